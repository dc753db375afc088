/**
 * CHALLENGE / CHALLENGE_AUTH (DSP0274 1.3 "CHALLENGE request and CHALLENGE_AUTH response";
 * spdm-reference §2.6): the requester sends a nonce, the responder proves possession of the key
 * of a certificate slot by signing the transcript M1/M2 = VCA ‖ B ‖ C (spdm-reference §3.2).
 * The transcript records CHALLENGE_AUTH without its last S bytes: see `withoutSignature`.
 */
import type { ByteWriter } from '../codec/writer.js';
import { REQUEST_CODE, RESPONSE_CODE, SPDM_VERSION } from './codes.js';
import { SLOT_COUNT } from './digests.js';
import {
  checkInt,
  checkLength,
  checkOpaque,
  checkPresence,
  checkReserved,
  expectSize,
  hasRequesterContext,
  invalidField,
  type MsgSource,
  NONCE_SIZE,
  REQUESTER_CONTEXT_SIZE,
  readerOf,
  readHeader,
  readOpaqueData,
} from './fields.js';
import { encodeHeader } from './header.js';

/** CHALLENGE Param2 / KEY_EXCHANGE Param1: which measurement summary hash to include. */
export const MEAS_SUMMARY_HASH_TYPE = {
  NONE: 0x00,
  TCB: 0x01,
  ALL: 0xff,
} as const;

/** SlotID value naming the pre-provisioned public key instead of a certificate slot. */
export const PUBLIC_KEY_SLOT = 0xff;
/** CHALLENGE_AUTH Param1 bits 3:0 when the request used PUBLIC_KEY_SLOT. */
export const PUBLIC_KEY_SLOT_AUTH = 0x0f;
/** CHALLENGE_AUTH Param1 bit 7 (1.1+; deprecated since 1.2 but still set by libspdm). */
export const BASIC_MUT_AUTH_REQ = 0x80;

export interface Challenge {
  readonly code: typeof REQUEST_CODE.CHALLENGE;
  readonly version: number;
  /** 0..7, or PUBLIC_KEY_SLOT. */
  readonly slotId: number;
  /** A MEAS_SUMMARY_HASH_TYPE value. */
  readonly measurementSummaryHashType: number;
  readonly nonce: Uint8Array;
  /** 1.3 only (8 bytes). */
  readonly requesterContext?: Uint8Array;
}

export interface ChallengeAuth {
  readonly code: typeof RESPONSE_CODE.CHALLENGE_AUTH;
  readonly version: number;
  /** Param1 bits 3:0: 0..7, or PUBLIC_KEY_SLOT_AUTH (0xF). */
  readonly slotId: number;
  /** Param1 bit 7 (always false on 1.0, where it is reserved). */
  readonly basicMutAuthReq: boolean;
  /** Param2: slot mask of the responder (0 when slotId is 0xF). */
  readonly slotMask: number;
  /** H bytes: hash of the slot's SPDM certificate chain (or of the raw public key). */
  readonly certChainHash: Uint8Array;
  readonly nonce: Uint8Array;
  /** H bytes, present iff the request's MeasurementSummaryHashType was not NONE. */
  readonly measurementSummaryHash?: Uint8Array;
  readonly opaqueData: Uint8Array;
  /** 1.3 only: the request's RequesterContext echoed. */
  readonly requesterContext?: Uint8Array;
  /** S bytes. */
  readonly signature: Uint8Array;
}

export interface ChallengeAuthParams {
  readonly version: number;
  /** H of the negotiated BaseHashAlgo. */
  readonly hashSize: number;
  /** S of the negotiated BaseAsymAlgo. */
  readonly sigSize: number;
  /** True iff the CHALLENGE carried MeasurementSummaryHashType != NONE. */
  readonly summaryHashPresent: boolean;
}

/** Size of CHALLENGE for a version: 36 bytes, 44 in 1.3. */
export function challengeSize(version: number): number {
  return 4 + NONCE_SIZE + (hasRequesterContext(version) ? REQUESTER_CONTEXT_SIZE : 0);
}

function isSummaryType(t: number): boolean {
  return (
    t === MEAS_SUMMARY_HASH_TYPE.NONE || t === MEAS_SUMMARY_HASH_TYPE.TCB || t === MEAS_SUMMARY_HASH_TYPE.ALL
  );
}

/** Encodes CHALLENGE. @throws RangeError / TypeError on out-of-range or mis-sized fields. */
export function encodeChallenge(w: ByteWriter, m: Challenge): void {
  if (m.slotId !== PUBLIC_KEY_SLOT) checkInt(m.slotId, 0, SLOT_COUNT - 1, 'CHALLENGE SlotID');
  if (!isSummaryType(m.measurementSummaryHashType))
    throw new RangeError('CHALLENGE: bad MeasurementSummaryHashType');
  checkLength(m.nonce, NONCE_SIZE, 'CHALLENGE Nonce');
  checkPresence(
    m.requesterContext,
    hasRequesterContext(m.version),
    REQUESTER_CONTEXT_SIZE,
    'RequesterContext',
  );
  encodeHeader(w, {
    version: m.version,
    code: REQUEST_CODE.CHALLENGE,
    param1: m.slotId,
    param2: m.measurementSummaryHashType,
  });
  w.bytes(m.nonce);
  if (m.requesterContext) w.bytes(m.requesterContext);
}

/**
 * Decodes CHALLENGE (36 bytes, 44 in 1.3).
 * @throws SpdmError InvalidMsgSize, InvalidMsgField (code, version, SlotID, summary type).
 */
export function decodeChallenge(src: MsgSource, p: { readonly version: number }): Challenge {
  const r = readerOf(src);
  const start = r.offset;
  const h = readHeader(r, REQUEST_CODE.CHALLENGE, p.version, 'CHALLENGE');
  expectSize(r, start, challengeSize(h.version), 'CHALLENGE');
  if (h.param1 !== PUBLIC_KEY_SLOT && h.param1 >= SLOT_COUNT) invalidField(`CHALLENGE: SlotID ${h.param1}`);
  if (!isSummaryType(h.param2))
    invalidField(`CHALLENGE: MeasurementSummaryHashType 0x${h.param2.toString(16)}`);
  const nonce = r.bytes(NONCE_SIZE, 'Nonce');
  const requesterContext = hasRequesterContext(h.version) ? r.bytes(REQUESTER_CONTEXT_SIZE) : undefined;
  r.done('CHALLENGE');
  return {
    code: REQUEST_CODE.CHALLENGE,
    version: h.version,
    slotId: h.param1,
    measurementSummaryHashType: h.param2,
    nonce,
    ...(requesterContext ? { requesterContext } : {}),
  };
}

/** Encodes CHALLENGE_AUTH. @throws RangeError / TypeError on out-of-range or mis-sized fields. */
export function encodeChallengeAuth(w: ByteWriter, m: ChallengeAuth): void {
  if (m.slotId !== PUBLIC_KEY_SLOT_AUTH) checkInt(m.slotId, 0, SLOT_COUNT - 1, 'CHALLENGE_AUTH SlotID');
  checkInt(m.slotMask, 0, 0xff, 'CHALLENGE_AUTH slot mask');
  if (m.basicMutAuthReq && m.version < SPDM_VERSION.V11) {
    throw new TypeError('CHALLENGE_AUTH: BasicMutAuthReq exists from SPDM 1.1 on');
  }
  checkLength(m.nonce, NONCE_SIZE, 'CHALLENGE_AUTH Nonce');
  if (m.measurementSummaryHash)
    checkLength(m.measurementSummaryHash, m.certChainHash.length, 'MeasurementSummaryHash');
  checkOpaque(m.opaqueData, 'CHALLENGE_AUTH');
  checkPresence(
    m.requesterContext,
    hasRequesterContext(m.version),
    REQUESTER_CONTEXT_SIZE,
    'RequesterContext',
  );
  encodeHeader(w, {
    version: m.version,
    code: RESPONSE_CODE.CHALLENGE_AUTH,
    param1: m.slotId | (m.basicMutAuthReq ? BASIC_MUT_AUTH_REQ : 0),
    param2: m.slotMask,
  });
  w.bytes(m.certChainHash).bytes(m.nonce);
  if (m.measurementSummaryHash) w.bytes(m.measurementSummaryHash);
  w.u16le(m.opaqueData.length).bytes(m.opaqueData);
  if (m.requesterContext) w.bytes(m.requesterContext);
  w.bytes(m.signature);
}

/**
 * Decodes CHALLENGE_AUTH; every byte field is a view of the input.
 * Not checked here (the requester flow knows them): that SlotID and CertChainHash match the
 * request and the DIGESTS/CERTIFICATE seen, that RequesterContext echoes the request's, that
 * OpaqueDataLength is 0 when no opaque-data format was negotiated (1.2+).
 * @throws SpdmError InvalidMsgSize (truncated or trailing bytes), InvalidMsgField (code,
 *   version, reserved bits, SlotID, OpaqueDataLength > 1024).
 */
export function decodeChallengeAuth(src: MsgSource, p: ChallengeAuthParams): ChallengeAuth {
  const r = readerOf(src);
  const h = readHeader(r, RESPONSE_CODE.CHALLENGE_AUTH, p.version, 'CHALLENGE_AUTH');
  const allowed = h.version >= SPDM_VERSION.V11 ? 0x8f : 0x0f;
  checkReserved(h.param1, allowed, 'CHALLENGE_AUTH Param1');
  const slotId = h.param1 & 0x0f;
  if (slotId !== PUBLIC_KEY_SLOT_AUTH && slotId >= SLOT_COUNT)
    invalidField(`CHALLENGE_AUTH: SlotID ${slotId}`);
  const certChainHash = r.bytes(p.hashSize, 'CertChainHash');
  const nonce = r.bytes(NONCE_SIZE, 'Nonce');
  const measurementSummaryHash = p.summaryHashPresent
    ? r.bytes(p.hashSize, 'MeasurementSummaryHash')
    : undefined;
  const opaqueData = readOpaqueData(r, 'CHALLENGE_AUTH');
  const requesterContext = hasRequesterContext(h.version)
    ? r.bytes(REQUESTER_CONTEXT_SIZE, 'RequesterContext')
    : undefined;
  const signature = r.bytes(p.sigSize, 'Signature');
  r.done('CHALLENGE_AUTH');
  return {
    code: RESPONSE_CODE.CHALLENGE_AUTH,
    version: h.version,
    slotId,
    basicMutAuthReq: (h.param1 & BASIC_MUT_AUTH_REQ) !== 0,
    slotMask: h.param2,
    certChainHash,
    nonce,
    ...(measurementSummaryHash ? { measurementSummaryHash } : {}),
    opaqueData,
    ...(requesterContext ? { requesterContext } : {}),
    signature,
  };
}
