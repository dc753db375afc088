/**
 * GET_DIGESTS / DIGESTS (DSP0274 1.3 "GET_DIGESTS request and DIGESTS response";
 * spdm-reference §2.4): the requester learns which certificate slots are provisioned and the
 * hash of each slot's SPDM certificate chain.
 */
import type { ByteReader } from '../codec/reader.js';
import type { ByteWriter } from '../codec/writer.js';
import { REQUEST_CODE, RESPONSE_CODE, SPDM_VERSION } from './codes.js';
import {
  checkInt,
  checkLength,
  checkReserved,
  expectSize,
  invalidField,
  type MsgSource,
  readerOf,
  readHeader,
} from './fields.js';
import { encodeHeader } from './header.js';

/** Number of certificate slots (DSP0274 1.3: SlotID 0..7). */
export const SLOT_COUNT = 8;

/** CertificateInfo bits 2:0, the certificate model of a slot (DSP0274 1.3, 1.3 only). */
export const CERT_MODEL = {
  NONE: 0,
  DEVICE_CERT: 1,
  ALIAS_CERT: 2,
  GENERIC_CERT: 3,
} as const;

/** KeyUsageMask bits (DSP0274 1.3; bits 13:4 reserved). */
export const KEY_USAGE_MASK = {
  KEY_EX_USE: 1 << 0,
  CHALLENGE_USE: 1 << 1,
  MEASUREMENT_USE: 1 << 2,
  ENDPOINT_INFO_USE: 1 << 3,
  STANDARDS_KEY_USE: 1 << 14,
  VENDOR_KEY_USE: 1 << 15,
} as const;

const KEY_USAGE_DEFINED = 0xc00f;

export interface GetDigests {
  readonly code: typeof REQUEST_CODE.GET_DIGESTS;
  readonly version: number;
}

/** The 1.3 per-slot tail sent when the responder's multi-key connection is on. */
export interface DigestsMultiKey {
  /** One KeyPairID per provisioned slot, ascending slot order. */
  readonly keyPairIds: readonly number[];
  /** One CertificateInfo byte per provisioned slot (bits 2:0 = CERT_MODEL). */
  readonly certificateInfos: readonly number[];
  /** One KeyUsageMask per provisioned slot (KEY_USAGE_MASK bits). */
  readonly keyUsageMasks: readonly number[];
}

export interface Digests {
  readonly code: typeof RESPONSE_CODE.DIGESTS;
  readonly version: number;
  /** 1.3 Param1: slots the responder has; 0 before 1.3 (reserved there). */
  readonly supportedSlotMask: number;
  /** Param2: slots holding a chain (called ProvisionedSlotMask in 1.3). */
  readonly provisionedSlotMask: number;
  /** One H-byte digest per bit of provisionedSlotMask, ascending slot order (views). */
  readonly digests: readonly Uint8Array[];
  /** Present iff the multi-key tail is on the wire (1.3, responder multi-key connection). */
  readonly multiKey?: DigestsMultiKey;
}

export interface DigestsParams {
  readonly version: number;
  /** H, the digest size of the negotiated BaseHashAlgo. */
  readonly hashSize: number;
  /** 1.3: the responder's multi-key connection is on (OtherParamsSupport bit4 of the request). */
  readonly multiKeyConn?: boolean;
}

/** Slot IDs whose bit is set in `mask`, ascending. */
export function slotIdsOfMask(mask: number): number[] {
  const out: number[] = [];
  for (let slot = 0; slot < SLOT_COUNT; slot++) if (mask & (1 << slot)) out.push(slot);
  return out;
}

/** The digest a DIGESTS response reports for `slot`, or undefined when the slot is empty. */
export function digestOfSlot(d: Digests, slot: number): Uint8Array | undefined {
  if (!(d.provisionedSlotMask & (1 << slot))) return undefined;
  return d.digests[slotIdsOfMask(d.provisionedSlotMask).indexOf(slot)];
}

/** Encodes GET_DIGESTS (header only, Param1/Param2 reserved). */
export function encodeGetDigests(w: ByteWriter, m: GetDigests): void {
  encodeHeader(w, { version: m.version, code: REQUEST_CODE.GET_DIGESTS, param1: 0, param2: 0 });
}

/**
 * Decodes GET_DIGESTS.
 * @throws SpdmError InvalidMsgSize (not 4 bytes), InvalidMsgField (code, version, reserved).
 */
export function decodeGetDigests(src: MsgSource, p: { readonly version: number }): GetDigests {
  const r = readerOf(src);
  const start = r.offset;
  const h = readHeader(r, REQUEST_CODE.GET_DIGESTS, p.version, 'GET_DIGESTS');
  expectSize(r, start, 4, 'GET_DIGESTS');
  checkReserved(h.param1, 0, 'GET_DIGESTS Param1');
  checkReserved(h.param2, 0, 'GET_DIGESTS Param2');
  r.done('GET_DIGESTS');
  return { code: REQUEST_CODE.GET_DIGESTS, version: h.version };
}

/**
 * Encodes DIGESTS. @throws TypeError / RangeError when the message does not fit its version
 * (digest count or size, a multi-key tail before 1.3, masks out of range).
 */
export function encodeDigests(w: ByteWriter, m: Digests): void {
  checkInt(m.provisionedSlotMask, 0, 0xff, 'ProvisionedSlotMask');
  checkInt(m.supportedSlotMask, 0, 0xff, 'SupportedSlotMask');
  if (m.version < SPDM_VERSION.V13 && (m.supportedSlotMask !== 0 || m.multiKey)) {
    throw new TypeError('DIGESTS: SupportedSlotMask and the multi-key tail exist from SPDM 1.3 on');
  }
  if (m.version >= SPDM_VERSION.V13 && (m.provisionedSlotMask & ~m.supportedSlotMask) !== 0) {
    throw new TypeError('DIGESTS: ProvisionedSlotMask must be within SupportedSlotMask');
  }
  if (m.provisionedSlotMask === 0) throw new TypeError('DIGESTS: at least one slot must be provisioned');
  const n = slotIdsOfMask(m.provisionedSlotMask).length;
  if (m.digests.length !== n)
    throw new TypeError(`DIGESTS: ${n} provisioned slot(s) but ${m.digests.length} digest(s)`);
  const size = m.digests[0]?.length ?? 0;
  encodeHeader(w, {
    version: m.version,
    code: RESPONSE_CODE.DIGESTS,
    param1: m.supportedSlotMask,
    param2: m.provisionedSlotMask,
  });
  for (const d of m.digests) w.bytes(checkLength(d, size, 'DIGESTS digest'));
  if (m.multiKey) encodeMultiKey(w, m.multiKey, n);
}

function encodeMultiKey(w: ByteWriter, mk: DigestsMultiKey, n: number): void {
  if (mk.keyPairIds.length !== n || mk.certificateInfos.length !== n || mk.keyUsageMasks.length !== n) {
    throw new TypeError(`DIGESTS: multi-key arrays must each hold ${n} entries`);
  }
  for (const id of mk.keyPairIds) w.u8(id);
  for (const info of mk.certificateInfos) {
    checkInt(info, 0, CERT_MODEL.GENERIC_CERT, 'CertificateInfo');
    w.u8(info);
  }
  for (const usage of mk.keyUsageMasks) {
    checkInt(usage, 0, 0xffff, 'KeyUsageMask');
    if (usage & ~KEY_USAGE_DEFINED) throw new RangeError('KeyUsageMask: reserved bits set');
    w.u16le(usage);
  }
}

/**
 * Decodes DIGESTS. As the libspdm requester does, refuses an empty ProvisionedSlotMask and, in
 * 1.3, a provisioned slot that SupportedSlotMask does not list.
 * @throws RangeError when `multiKeyConn` is set for a version before 1.3 (misuse).
 * @throws SpdmError InvalidMsgSize (length does not match the mask), InvalidMsgField (code,
 *   version, reserved bits, masks, CertificateInfo / KeyUsageMask reserved values).
 */
export function decodeDigests(src: MsgSource, p: DigestsParams): Digests {
  if (p.multiKeyConn && p.version < SPDM_VERSION.V13) {
    throw new RangeError('DIGESTS: multi-key connections exist from SPDM 1.3 on');
  }
  const r = readerOf(src);
  const start = r.offset;
  const h = readHeader(r, RESPONSE_CODE.DIGESTS, p.version, 'DIGESTS');
  const v13 = h.version >= SPDM_VERSION.V13;
  if (!v13) checkReserved(h.param1, 0, 'DIGESTS Param1');
  if (h.param2 === 0) invalidField('DIGESTS: no provisioned slot (Param2 = 0)');
  if (v13 && (h.param2 & ~h.param1) !== 0) {
    invalidField(`DIGESTS: ProvisionedSlotMask 0x${h.param2.toString(16)} not within SupportedSlotMask`);
  }
  const n = slotIdsOfMask(h.param2).length;
  const perSlot = p.hashSize + (p.multiKeyConn ? 4 : 0);
  expectSize(r, start, 4 + n * perSlot, 'DIGESTS');
  const digests: Uint8Array[] = [];
  for (let i = 0; i < n; i++) digests.push(r.bytes(p.hashSize, 'DIGESTS digest'));
  const multiKey = p.multiKeyConn ? decodeMultiKey(r, n) : undefined;
  r.done('DIGESTS');
  return {
    code: RESPONSE_CODE.DIGESTS,
    version: h.version,
    supportedSlotMask: v13 ? h.param1 : 0,
    provisionedSlotMask: h.param2,
    digests,
    ...(multiKey ? { multiKey } : {}),
  };
}

function decodeMultiKey(r: ByteReader, n: number): DigestsMultiKey {
  const keyPairIds: number[] = [];
  const certificateInfos: number[] = [];
  const keyUsageMasks: number[] = [];
  for (let i = 0; i < n; i++) keyPairIds.push(r.u8('KeyPairID'));
  for (let i = 0; i < n; i++) {
    const info = r.u8('CertificateInfo');
    checkReserved(info, 0x07, 'CertificateInfo');
    if (info > CERT_MODEL.GENERIC_CERT) invalidField(`DIGESTS: CertificateInfo model ${info} is reserved`);
    certificateInfos.push(info);
  }
  for (let i = 0; i < n; i++) {
    const usage = r.u16le('KeyUsageMask');
    checkReserved(usage, KEY_USAGE_DEFINED, 'KeyUsageMask');
    keyUsageMasks.push(usage);
  }
  return { keyPairIds, certificateInfos, keyUsageMasks };
}
