/**
 * A responder's (or a mutual-auth requester's) certificate slots: up to 8 SPDM chain structures,
 * each with its digest (Hash of the whole structure, DSP0274 1.3 DIGESTS; spdm-reference §2.4)
 * for one hash algorithm, plus the masks DIGESTS reports and the slicing GET_CERTIFICATE needs.
 */
import type { HashInfo } from '../crypto/algorithms.js';
import { SpdmError } from '../errors.js';
import { ERROR_CODE } from '../msgs/codes.js';
import { buildCertChain as build, certChainDigest, parseCertChain } from './cert-chain.js';

export const MAX_SLOTS = 8;

/** 1.3 per-slot information reported by DIGESTS (multi-key) and CERTIFICATE Param2. */
export interface SlotInfo {
  readonly keyPairId?: number;
  /** CertificateInfo: a CERT_MODEL value. */
  readonly certificateInfo?: number;
  /** A KEY_USAGE_MASK combination. */
  readonly keyUsageMask?: number;
}

export interface CertSlot extends SlotInfo {
  readonly slotId: number;
  /** The chain structure (our own copy). */
  readonly chain: Uint8Array;
  /** Hash(chain) with the store's hash algorithm. */
  readonly digest: Uint8Array;
  /** DER certificates, views of `chain`. */
  readonly certs: readonly Uint8Array[];
}

export interface CertSlotsInit {
  readonly hash: HashInfo;
  /** 1.3 SupportedSlotMask: the slots that may hold a chain (default all 8). */
  readonly supportedSlotMask?: number;
}

/** Slice of a slot's chain for one CERTIFICATE response. */
export interface ChainPortion {
  readonly portion: Uint8Array;
  readonly remainderLength: number;
}

export class CertSlots {
  readonly hash: HashInfo;
  readonly supportedSlotMask: number;
  private readonly slots = new Map<number, CertSlot>();

  constructor(init: CertSlotsInit) {
    this.hash = init.hash;
    this.supportedSlotMask = init.supportedSlotMask ?? 0xff;
    if (
      !Number.isInteger(this.supportedSlotMask) ||
      this.supportedSlotMask < 1 ||
      this.supportedSlotMask > 0xff
    ) {
      throw new RangeError(`supportedSlotMask 0x${this.supportedSlotMask.toString(16)}`);
    }
  }

  /**
   * Stores a chain structure in a slot (replacing what was there).
   * @throws RangeError for a slot outside 0..7 or the supported mask; SpdmError InvalidMsgField /
   *   InvalidCertificate when `chain` is not a well-formed structure for this hash.
   */
  set(slotId: number, chain: Uint8Array, info: SlotInfo = {}): CertSlot {
    this.checkSlot(slotId);
    const own = chain.slice();
    const parsed = parseCertChain(own, this.hash.size);
    const slot: CertSlot = {
      ...info,
      slotId,
      chain: own,
      digest: certChainDigest(own, this.hash),
      certs: parsed.certs,
    };
    this.slots.set(slotId, slot);
    return slot;
  }

  /** Builds the structure from DER certificates (root first) and stores it. @throws as set() */
  setCertificates(
    slotId: number,
    certs: readonly Uint8Array[],
    info: SlotInfo = {},
    root?: Uint8Array,
  ): CertSlot {
    return this.set(slotId, build(certs, this.hash, root), info);
  }

  get(slotId: number): CertSlot | undefined {
    return this.slots.get(slotId);
  }

  delete(slotId: number): boolean {
    return this.slots.delete(slotId);
  }

  /** DIGESTS Param2: the slots holding a chain. */
  get provisionedSlotMask(): number {
    let m = 0;
    for (const id of this.slots.keys()) m |= 1 << id;
    return m;
  }

  /** The provisioned slots in ascending order. */
  list(): CertSlot[] {
    return [...this.slots.values()].sort((a, b) => a.slotId - b.slotId);
  }

  /** DIGESTS body: one digest per provisioned slot, ascending slot order. */
  digests(): Uint8Array[] {
    return this.list().map((s) => s.digest);
  }

  /**
   * What a CERTIFICATE response carries for GET_CERTIFICATE(slot, offset, length): at most
   * `min(length, maxPortion)` bytes from `offset`, and what remains after them.
   * @throws SpdmError InvalidMsgField with wireCode InvalidRequest for an empty slot or an
   *   Offset at or past the end (libspdm behaviour).
   */
  portion(slotId: number, offset: number, length: number, maxPortion = length): ChainPortion {
    const slot = this.slots.get(slotId);
    if (!slot) throw invalidRequest(`slot ${slotId} holds no certificate chain`);
    if (offset >= slot.chain.length) throw invalidRequest(`Offset ${offset} at or past the chain end`);
    const n = Math.max(0, Math.min(length, maxPortion, slot.chain.length - offset));
    return {
      portion: slot.chain.subarray(offset, offset + n),
      remainderLength: slot.chain.length - offset - n,
    };
  }

  private checkSlot(slotId: number): void {
    if (!Number.isInteger(slotId) || slotId < 0 || slotId >= MAX_SLOTS)
      throw new RangeError(`slot ${slotId}`);
    if (!(this.supportedSlotMask & (1 << slotId)))
      throw new RangeError(`slot ${slotId} is not in supportedSlotMask`);
  }
}

function invalidRequest(msg: string): SpdmError {
  return new SpdmError('InvalidMsgField', msg, { wireCode: ERROR_CODE.InvalidRequest });
}
