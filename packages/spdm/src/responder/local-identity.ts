/**
 * The responder's own identity: up to 8 certificate slots (DER chains, root first, leaf last)
 * with the private key of each leaf. GET_DIGESTS and GET_CERTIFICATE serve the chains, CHALLENGE
 * and signed GET_MEASUREMENTS (and, later, KEY_EXCHANGE) sign with the keys.
 *
 * The SPDM chain structure and its digest depend on the negotiated BaseHashAlgo (RootHash is a
 * hash), so the CertSlots store of identity/slots.ts is built once per hash algorithm, on first
 * use, from the same DER lists. Private keys stay in `#private` fields: `util.inspect` and
 * `JSON.stringify` show slot ids and subjects only.
 */
import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { inspect } from 'node:util';
import { BASE_HASH_ALGO, type HashInfo, hashInfo } from '../crypto/algorithms.js';
import { keyMatchesAsym } from '../crypto/sign.js';
import { SpdmError } from '../errors.js';
import { type CertSlot, CertSlots, MAX_SLOTS, type SlotInfo } from '../identity/slots.js';
import { ERROR_CODE } from '../msgs/codes.js';
import type { Negotiated } from '../negotiated.js';
import { suiteOf } from '../negotiated.js';

export interface ResponderSlotInit {
  /** 0..7. */
  readonly slotId: number;
  /** DER certificates, the root (or the one the root issued) first, the leaf last. */
  readonly certificates: readonly Uint8Array[];
  /** DER of the root when `certificates[0]` is not the root itself (for RootHash). */
  readonly root?: Uint8Array;
  /** The leaf's private key. */
  readonly privateKey: KeyObject;
  /** 1.3 slot information (CertificateInfo, KeyUsageMask, KeyPairID). */
  readonly info?: SlotInfo;
}

/** One slot for the negotiated hash, with its signing key. */
export interface SigningSlot extends CertSlot {
  readonly privateKey: KeyObject;
}

interface Entry {
  readonly slotId: number;
  readonly certificates: readonly Uint8Array[];
  readonly root?: Uint8Array;
  readonly info: SlotInfo;
  readonly subject: string;
}

function spki(k: KeyObject): Buffer {
  return k.export({ type: 'spki', format: 'der' });
}

function checkSlot(s: ResponderSlotInit, seen: Set<number>): Entry {
  if (!Number.isInteger(s.slotId) || s.slotId < 0 || s.slotId >= MAX_SLOTS)
    throw new RangeError(`slot ${s.slotId}: not 0..7`);
  if (seen.has(s.slotId)) throw new RangeError(`slot ${s.slotId} given twice`);
  seen.add(s.slotId);
  const leafDer = s.certificates[s.certificates.length - 1];
  if (!leafDer) throw new TypeError(`slot ${s.slotId}: no certificate`);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(leafDer);
  } catch (e) {
    throw new TypeError(`slot ${s.slotId}: leaf is not a DER certificate`, { cause: e });
  }
  if (s.privateKey?.type !== 'private')
    throw new TypeError(`slot ${s.slotId}: privateKey must be a private KeyObject`);
  if (!spki(createPublicKey(s.privateKey)).equals(spki(leaf.publicKey))) {
    throw new TypeError(`slot ${s.slotId}: privateKey does not belong to the leaf certificate`);
  }
  const certificates = s.certificates.map((c) => c.slice());
  return {
    slotId: s.slotId,
    certificates,
    ...(s.root ? { root: s.root.slice() } : {}),
    info: s.info ?? {},
    subject: leaf.subject.split('\n').join(', '),
  };
}

export class ResponderSlots {
  readonly #entries: readonly Entry[];
  readonly #keys: ReadonlyMap<number, KeyObject>;
  readonly #byHash = new Map<number, CertSlots>();

  /**
   * @throws RangeError / TypeError for a bad slot id, a repeated slot, an unparsable leaf, or a
   *   key that is not the leaf's; SpdmError InvalidCertificate / RangeError from the chain
   *   builder (checked here for SHA-256).
   */
  constructor(slots: readonly ResponderSlotInit[]) {
    if (slots.length === 0) throw new RangeError('ResponderSlots: no slot');
    const seen = new Set<number>();
    this.#entries = slots.map((s) => checkSlot(s, seen)).sort((a, b) => a.slotId - b.slotId);
    this.#keys = new Map(slots.map((s) => [s.slotId, s.privateKey]));
    this.forHash(hashInfo(BASE_HASH_ALGO.SHA_256));
  }

  /** The provisioned slot ids, ascending. */
  get slotIds(): number[] {
    return this.#entries.map((e) => e.slotId);
  }

  /** Leaf subjects by slot, one line each. */
  get subjects(): ReadonlyMap<number, string> {
    return new Map(this.#entries.map((e) => [e.slotId, e.subject]));
  }

  /**
   * The slots as chain structures for BaseHashAlgo `hash` (built on first use, then reused).
   * @throws SpdmError InvalidCertificate / RangeError when a chain cannot be built.
   */
  forHash(hash: HashInfo): CertSlots {
    let slots = this.#byHash.get(hash.bit);
    if (!slots) {
      // We cannot be provisioned over SPDM (no SET_CERTIFICATE): the slots we support are the
      // ones we hold, which is also what DIGESTS reports as SupportedSlotMask (1.3).
      const mask = this.#entries.reduce((m, e) => m | (1 << e.slotId), 0);
      slots = new CertSlots({ hash, supportedSlotMask: mask });
      for (const e of this.#entries) slots.setCertificates(e.slotId, e.certificates, e.info, e.root);
      this.#byHash.set(hash.bit, slots);
    }
    return slots;
  }

  /** The private key of a slot. */
  privateKey(slotId: number): KeyObject | undefined {
    return this.#keys.get(slotId);
  }

  /** The BaseAsymAlgo bits of `candidates` that every slot's key can sign with. */
  signableWith(candidates: readonly number[]): number[] {
    return candidates.filter((bit) => [...this.#keys.values()].every((k) => keyMatchesAsym(bit, k)));
  }

  toJSON(): object {
    return { slots: this.#entries.map((e) => ({ slotId: e.slotId, subject: e.subject })) };
  }

  [inspect.custom](): string {
    return `ResponderSlots ${JSON.stringify(this.toJSON())}`;
  }
}

function invalidRequest(msg: string): SpdmError {
  return new SpdmError('InvalidMsgField', msg, { wireCode: ERROR_CODE.InvalidRequest });
}

/**
 * The slot a signature over this connection uses: its chain structure and digest for the
 * negotiated hash, and the key, which must fit the negotiated BaseAsymAlgo.
 * @throws SpdmError InvalidMsgField (wire InvalidRequest) for an unprovisioned slot; Internal
 *   (wire Unspecified) when no slots are configured or the key does not fit the algorithm.
 */
export function signingSlot(slots: ResponderSlots | null, n: Negotiated, slotId: number): SigningSlot {
  if (!slots)
    throw new SpdmError('Internal', 'no certificate slots configured', { wireCode: ERROR_CODE.Unspecified });
  const suite = suiteOf(n);
  const slot = slots.forHash(suite.hash).get(slotId);
  const key = slots.privateKey(slotId);
  if (!slot || !key) throw invalidRequest(`slot ${slotId} holds no certificate chain`);
  if (!suite.asym || !keyMatchesAsym(suite.asym, key)) {
    throw new SpdmError(
      'Internal',
      `slot ${slotId}: key does not fit ${suite.asym?.name ?? 'no algorithm'}`,
      {
        wireCode: ERROR_CODE.Unspecified,
      },
    );
  }
  return { ...slot, privateKey: key };
}
