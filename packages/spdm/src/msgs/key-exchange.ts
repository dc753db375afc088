/**
 * KEY_EXCHANGE / KEY_EXCHANGE_RSP (DSP0274 1.3 "KEY_EXCHANGE request and KEY_EXCHANGE_RSP
 * response"; spdm-reference §2.8): the DHE
 * handshake that opens a session. Both messages always travel in the clear.
 *
 * Transcript helpers: the responder signs the transcript up to (not including) the Signature,
 * and TH1 ends right before ResponderVerifyData (so TH1 includes the signature).
 * `keyExchangeRspLayout` / `keyExchangeRspSignedPart` / `keyExchangeRspTh1Part` cut a received
 * message; `encodeKeyExchangeRspSignedPart` writes the part a responder signs, after which it
 * appends Signature and ResponderVerifyData itself.
 *
 * OpaqueData stays raw bytes here (the transcript needs them verbatim); opaque-data.ts parses it.
 *
 * Reserved bits are rejected (project rule). libspdm's requester is laxer on two fields: it
 * masks MutAuthRequested with 0x7 and ReqSlotIDParam with 0xF before checking them; we refuse a
 * response with those reserved bits set, and accept any low nibble of ReqSlotIDParam unless
 * MutAuthRequested = MUT_AUTH (then 0-7 or 0xF, as libspdm).
 */
import type { ByteReader } from '../codec/reader.js';
import type { ByteWriter } from '../codec/writer.js';
import { MEAS_SUMMARY_HASH_TYPE, PUBLIC_KEY_SLOT, PUBLIC_KEY_SLOT_AUTH } from './challenge.js';
import { REQUEST_CODE, RESPONSE_CODE } from './codes.js';
import { SLOT_COUNT } from './digests.js';
import {
  checkInt,
  checkLength,
  checkOpaque,
  checkReserved,
  invalidField,
  MAX_OPAQUE_DATA_SIZE,
  type MsgSource,
  readerOf,
  readHeader,
} from './fields.js';
import { encodeHeader, HEADER_SIZE } from './header.js';
import {
  checkSizeParam,
  checkVersionParam,
  needAtLeast,
  needExactly,
  type SessionMsgParams,
} from './session-params.js';

/** RandomData size in both messages. */
export const RANDOM_DATA_SIZE = 32;

/** KEY_EXCHANGE Param1 values: MEAS_SUMMARY_HASH_TYPE of challenge.ts (NONE 0, TCB 1, ALL 0xFF). */
export type MeasurementSummaryHashType = (typeof MEAS_SUMMARY_HASH_TYPE)[keyof typeof MEAS_SUMMARY_HASH_TYPE];

/** SessionPolicy bits (1.2+; the byte is reserved in 1.1). */
export const SESSION_POLICY = {
  /** 1.2: keep the session across a runtime update. */
  TERMINATION_POLICY: 1 << 0,
  /** 1.3: subscribe to all events. */
  EVENT_ALL_POLICY: 1 << 1,
} as const;

/** KEY_EXCHANGE_RSP MutAuthRequested values (exactly one bit, or 0). */
export const MUT_AUTH_REQUESTED = {
  /** The requester signs FINISH directly with the slot in ReqSlotIDParam. */
  MUT_AUTH: 0x01,
  /** Mutual authentication through the encapsulated request flow. */
  WITH_ENCAP_REQUEST: 0x02,
  /** Encapsulated flow starting with GET_DIGESTS. */
  WITH_GET_DIGESTS: 0x04,
} as const;

export interface KeyExchange {
  readonly code: typeof REQUEST_CODE.KEY_EXCHANGE;
  readonly version: number;
  /** Param1. */
  readonly measurementSummaryHashType: MeasurementSummaryHashType;
  /** Param2: responder slot 0-7, or PUBLIC_KEY_SLOT (0xFF, provisioned raw public key). */
  readonly slotId: number;
  readonly reqSessionId: number;
  /** SESSION_POLICY bits; must be 0 on SPDM 1.1. */
  readonly sessionPolicy: number;
  /** 32 bytes. */
  readonly randomData: Uint8Array;
  /** D bytes: the requester's ephemeral public value (ECDHE X‖Y, no 0x04 prefix). */
  readonly exchangeData: Uint8Array;
  /** Raw OpaqueData (at most 1024 bytes). */
  readonly opaqueData: Uint8Array;
}

export type KeyExchangeParams = Pick<SessionMsgParams, 'version' | 'dheSize'>;

export interface KeyExchangeRsp {
  readonly code: typeof RESPONSE_CODE.KEY_EXCHANGE_RSP;
  readonly version: number;
  /** Param1, seconds; 0 = no heartbeat. */
  readonly heartbeatPeriod: number;
  readonly rspSessionId: number;
  /** 0 or one MUT_AUTH_REQUESTED value. */
  readonly mutAuthRequested: number;
  /**
   * Bits 3:0 of ReqSlotIDParam (bits 7:4 are reserved): with MutAuthRequested = MUT_AUTH the
   * requester slot 0-7 or PUBLIC_KEY_SLOT_AUTH (0xF); otherwise not interpreted.
   */
  readonly reqSlotIdParam: number;
  /** 32 bytes. */
  readonly randomData: Uint8Array;
  /** D bytes. */
  readonly exchangeData: Uint8Array;
  /** H bytes; present iff KEY_EXCHANGE Param1 != 0. */
  readonly measurementSummaryHash?: Uint8Array;
  readonly opaqueData: Uint8Array;
  /** S bytes (responder's BaseAsymAlgo). */
  readonly signature: Uint8Array;
  /** H bytes; absent iff HANDSHAKE_IN_THE_CLEAR was negotiated. */
  readonly responderVerifyData?: Uint8Array;
}

/** The part of KEY_EXCHANGE_RSP a responder writes before it can sign. */
export type KeyExchangeRspSignedFields = Omit<KeyExchangeRsp, 'signature' | 'responderVerifyData'>;

export type KeyExchangeRspParams = Pick<
  SessionMsgParams,
  'version' | 'hashSize' | 'sigSize' | 'dheSize' | 'summaryHashPresent' | 'handshakeInTheClear'
>;

/** Offsets into a KEY_EXCHANGE_RSP, from its first byte. */
export interface KeyExchangeRspLayout {
  readonly opaqueDataOffset: number;
  readonly signatureOffset: number;
  /** Where ResponderVerifyData starts; equals `length` with HANDSHAKE_IN_THE_CLEAR. */
  readonly verifyDataOffset: number;
  readonly length: number;
}

/** SessionID of secured messages: RspSessionID in the high 16 bits (spdm-reference §2.8). */
export function sessionIdOf(reqSessionId: number, rspSessionId: number): number {
  checkInt(reqSessionId, 0, 0xffff, 'ReqSessionID');
  checkInt(rspSessionId, 0, 0xffff, 'RspSessionID');
  return ((rspSessionId << 16) | reqSessionId) >>> 0;
}

/** Inverse of sessionIdOf. @throws RangeError unless `sessionId` is a u32. */
export function splitSessionId(sessionId: number): { reqSessionId: number; rspSessionId: number } {
  checkInt(sessionId, 0, 0xffffffff, 'SessionID');
  return { reqSessionId: sessionId & 0xffff, rspSessionId: sessionId >>> 16 };
}

/** SessionPolicy bits a version defines (KEY_EXCHANGE byte 6, PSK_EXCHANGE Param2; 0 in 1.1). */
export function sessionPolicyMask(version: number): number {
  if (version >= 0x13) return SESSION_POLICY.TERMINATION_POLICY | SESSION_POLICY.EVENT_ALL_POLICY;
  if (version >= 0x12) return SESSION_POLICY.TERMINATION_POLICY;
  return 0;
}

const isSummaryType = (v: number): v is MeasurementSummaryHashType =>
  v === MEAS_SUMMARY_HASH_TYPE.NONE || v === MEAS_SUMMARY_HASH_TYPE.TCB || v === MEAS_SUMMARY_HASH_TYPE.ALL;
const isSlotId = (v: number): boolean => (v >= 0 && v < SLOT_COUNT) || v === PUBLIC_KEY_SLOT;
const isReqSlot = (v: number): boolean => (v >= 0 && v < SLOT_COUNT) || v === PUBLIC_KEY_SLOT_AUTH;
const isMutAuth = (v: number): boolean => v === 0 || v === 1 || v === 2 || v === 4;

/**
 * Writes KEY_EXCHANGE.
 * @throws RangeError / TypeError on values the decoder would reject (bad Param1/Param2, policy
 *   bits the version does not define, RandomData not 32 bytes, opaque data over 1024 bytes).
 */
export function encodeKeyExchange(w: ByteWriter, m: KeyExchange): void {
  checkVersionParam(m.version, 0x11, 'KEY_EXCHANGE');
  if (!isSummaryType(m.measurementSummaryHashType)) throw new RangeError('KEY_EXCHANGE: bad Param1');
  if (!isSlotId(m.slotId)) throw new RangeError(`KEY_EXCHANGE: bad SlotID ${m.slotId}`);
  checkInt(m.sessionPolicy, 0, 0xff, 'KEY_EXCHANGE SessionPolicy');
  if ((m.sessionPolicy & ~sessionPolicyMask(m.version)) !== 0) {
    throw new RangeError(
      `KEY_EXCHANGE: SessionPolicy 0x${m.sessionPolicy.toString(16)} not defined in this version`,
    );
  }
  checkLength(m.randomData, RANDOM_DATA_SIZE, 'KEY_EXCHANGE RandomData');
  checkOpaque(m.opaqueData, 'KEY_EXCHANGE');
  encodeHeader(w, {
    version: m.version,
    code: REQUEST_CODE.KEY_EXCHANGE,
    param1: m.measurementSummaryHashType,
    param2: m.slotId,
  });
  w.u16le(m.reqSessionId).u8(m.sessionPolicy).u8(0);
  w.bytes(m.randomData).bytes(m.exchangeData);
  w.u16le(m.opaqueData.length).bytes(m.opaqueData);
}

/**
 * Reads KEY_EXCHANGE; consumes exactly the message. Byte arrays are views into the input.
 * @throws SpdmError InvalidMsgSize (truncated, trailing bytes, opaque data past the end),
 *   InvalidMsgField (wrong code or version, bad Param1/SlotID, reserved bits, opaque data over
 *   1024 bytes).
 * @throws RangeError if `p` itself is unusable.
 */
export function decodeKeyExchange(src: MsgSource, p: KeyExchangeParams): KeyExchange {
  checkVersionParam(p.version, 0x11, 'KEY_EXCHANGE');
  checkSizeParam(p.dheSize, 'KEY_EXCHANGE dheSize');
  const r = readerOf(src);
  needAtLeast(r, HEADER_SIZE + 4 + RANDOM_DATA_SIZE + p.dheSize + 2, 'KEY_EXCHANGE');
  const h = readHeader(r, REQUEST_CODE.KEY_EXCHANGE, p.version, 'KEY_EXCHANGE');
  if (!isSummaryType(h.param1))
    invalidField(`KEY_EXCHANGE: MeasurementSummaryHashType 0x${h.param1.toString(16)}`);
  if (!isSlotId(h.param2)) invalidField(`KEY_EXCHANGE: SlotID ${h.param2}`);
  const reqSessionId = r.u16le('ReqSessionID');
  const sessionPolicy = r.u8('SessionPolicy');
  checkReserved(sessionPolicy, sessionPolicyMask(p.version), 'KEY_EXCHANGE SessionPolicy');
  r.reserved(1, 'KEY_EXCHANGE reserved');
  const randomData = r.bytes(RANDOM_DATA_SIZE, 'RandomData');
  const exchangeData = r.bytes(p.dheSize, 'ExchangeData');
  const opaqueData = readOpaqueThen(r, 0, 'KEY_EXCHANGE');
  r.done('KEY_EXCHANGE');
  return {
    code: REQUEST_CODE.KEY_EXCHANGE,
    version: h.version,
    measurementSummaryHashType: h.param1,
    slotId: h.param2,
    reqSessionId,
    sessionPolicy,
    randomData,
    exchangeData,
    opaqueData,
  };
}

/**
 * Reads OpaqueDataLength + OpaqueData when exactly `after` bytes must follow the opaque data:
 * the length is checked against 1024 and against what is left before the bytes are taken.
 */
function readOpaqueThen(r: ByteReader, after: number, what: string): Uint8Array {
  const len = r.u16le(`${what} OpaqueDataLength`);
  if (len > MAX_OPAQUE_DATA_SIZE)
    invalidField(`${what}: OpaqueDataLength ${len} exceeds ${MAX_OPAQUE_DATA_SIZE}`);
  needExactly(r, len + after, `${what} after OpaqueDataLength`);
  return r.bytes(len, `${what} OpaqueData`);
}

function checkRspFields(m: KeyExchangeRspSignedFields): void {
  checkVersionParam(m.version, 0x11, 'KEY_EXCHANGE_RSP');
  checkInt(m.heartbeatPeriod, 0, 0xff, 'KEY_EXCHANGE_RSP HeartbeatPeriod');
  if (!isMutAuth(m.mutAuthRequested)) throw new RangeError('KEY_EXCHANGE_RSP: bad MutAuthRequested');
  checkInt(m.reqSlotIdParam, 0, 0x0f, 'KEY_EXCHANGE_RSP ReqSlotIDParam');
  if (m.mutAuthRequested === MUT_AUTH_REQUESTED.MUT_AUTH && !isReqSlot(m.reqSlotIdParam)) {
    throw new RangeError(`KEY_EXCHANGE_RSP: bad ReqSlotIDParam ${m.reqSlotIdParam}`);
  }
  checkLength(m.randomData, RANDOM_DATA_SIZE, 'KEY_EXCHANGE_RSP RandomData');
  checkOpaque(m.opaqueData, 'KEY_EXCHANGE_RSP');
}

/**
 * Writes KEY_EXCHANGE_RSP up to, not including, the Signature: the bytes the responder's
 * signature covers (after VCA ‖ Hash(Ct) ‖ KEY_EXCHANGE). Continue with `w.bytes(signature)`
 * and, unless HANDSHAKE_IN_THE_CLEAR, `w.bytes(responderVerifyData)`.
 * @throws RangeError / TypeError on values the decoder would reject.
 */
export function encodeKeyExchangeRspSignedPart(w: ByteWriter, m: KeyExchangeRspSignedFields): void {
  checkRspFields(m);
  encodeHeader(w, {
    version: m.version,
    code: RESPONSE_CODE.KEY_EXCHANGE_RSP,
    param1: m.heartbeatPeriod,
    param2: 0,
  });
  w.u16le(m.rspSessionId).u8(m.mutAuthRequested).u8(m.reqSlotIdParam);
  w.bytes(m.randomData).bytes(m.exchangeData);
  if (m.measurementSummaryHash) w.bytes(m.measurementSummaryHash);
  w.u16le(m.opaqueData.length).bytes(m.opaqueData);
}

/**
 * Writes the whole KEY_EXCHANGE_RSP (signed part, Signature, ResponderVerifyData if present).
 * @throws RangeError / TypeError on values the decoder would reject.
 */
export function encodeKeyExchangeRsp(w: ByteWriter, m: KeyExchangeRsp): void {
  encodeKeyExchangeRspSignedPart(w, m);
  w.bytes(m.signature);
  if (m.responderVerifyData) w.bytes(m.responderVerifyData);
}

function checkRspParams(p: KeyExchangeRspParams): void {
  checkVersionParam(p.version, 0x11, 'KEY_EXCHANGE_RSP');
  checkSizeParam(p.hashSize, 'KEY_EXCHANGE_RSP hashSize');
  checkSizeParam(p.sigSize, 'KEY_EXCHANGE_RSP sigSize');
  checkSizeParam(p.dheSize, 'KEY_EXCHANGE_RSP dheSize');
}

/** Reads the fixed fields up to and including the measurement summary hash. */
function readRspHead(r: ByteReader, p: KeyExchangeRspParams) {
  const h = readHeader(r, RESPONSE_CODE.KEY_EXCHANGE_RSP, p.version, 'KEY_EXCHANGE_RSP');
  checkReserved(h.param2, 0, 'KEY_EXCHANGE_RSP Param2');
  const rspSessionId = r.u16le('RspSessionID');
  const mutAuthRequested = r.u8('MutAuthRequested');
  if (!isMutAuth(mutAuthRequested))
    invalidField(`KEY_EXCHANGE_RSP: MutAuthRequested 0x${mutAuthRequested.toString(16)}`);
  const reqSlotIdParam = r.u8('ReqSlotIDParam');
  checkReserved(reqSlotIdParam, 0x0f, 'KEY_EXCHANGE_RSP ReqSlotIDParam');
  if (mutAuthRequested === MUT_AUTH_REQUESTED.MUT_AUTH && !isReqSlot(reqSlotIdParam)) {
    invalidField(`KEY_EXCHANGE_RSP: ReqSlotIDParam ${reqSlotIdParam}`);
  }
  const randomData = r.bytes(RANDOM_DATA_SIZE, 'RandomData');
  const exchangeData = r.bytes(p.dheSize, 'ExchangeData');
  const measurementSummaryHash = p.summaryHashPresent
    ? r.bytes(p.hashSize, 'MeasurementSummaryHash')
    : undefined;
  return {
    code: RESPONSE_CODE.KEY_EXCHANGE_RSP,
    version: h.version,
    heartbeatPeriod: h.param1,
    rspSessionId,
    mutAuthRequested,
    reqSlotIdParam,
    randomData,
    exchangeData,
    ...(measurementSummaryHash ? { measurementSummaryHash } : {}),
  } as const;
}

function readRsp(
  src: MsgSource,
  p: KeyExchangeRspParams,
): { msg: KeyExchangeRsp; layout: KeyExchangeRspLayout } {
  checkRspParams(p);
  const r = readerOf(src);
  const start = r.offset;
  const summarySize = p.summaryHashPresent ? p.hashSize : 0;
  const verifySize = p.handshakeInTheClear ? 0 : p.hashSize;
  const fixed = HEADER_SIZE + 4 + RANDOM_DATA_SIZE + p.dheSize + summarySize + 2;
  needAtLeast(r, fixed + p.sigSize + verifySize, 'KEY_EXCHANGE_RSP');
  const head = readRspHead(r, p);
  const opaqueDataOffset = r.offset - start + 2;
  const opaqueData = readOpaqueThen(r, p.sigSize + verifySize, 'KEY_EXCHANGE_RSP');
  const signatureOffset = r.offset - start;
  const signature = r.bytes(p.sigSize, 'Signature');
  const verifyDataOffset = r.offset - start;
  const responderVerifyData = p.handshakeInTheClear ? undefined : r.bytes(p.hashSize, 'ResponderVerifyData');
  r.done('KEY_EXCHANGE_RSP');
  const msg: KeyExchangeRsp = {
    ...head,
    opaqueData,
    signature,
    ...(responderVerifyData ? { responderVerifyData } : {}),
  };
  return { msg, layout: { opaqueDataOffset, signatureOffset, verifyDataOffset, length: r.offset - start } };
}

/**
 * Reads KEY_EXCHANGE_RSP; consumes exactly the message. Byte arrays are views into the input.
 * @throws SpdmError InvalidMsgSize (truncated, trailing bytes, opaque data past the end),
 *   InvalidMsgField (wrong code or version, reserved bits, MutAuthRequested not 0/1/2/4, bad
 *   ReqSlotIDParam, opaque data over 1024 bytes).
 * @throws RangeError if `p` itself is unusable.
 */
export function decodeKeyExchangeRsp(src: MsgSource, p: KeyExchangeRspParams): KeyExchangeRsp {
  return readRsp(src, p).msg;
}

/**
 * Validates a complete KEY_EXCHANGE_RSP and returns where its parts start.
 * @throws as decodeKeyExchangeRsp.
 */
export function keyExchangeRspLayout(msg: Uint8Array, p: KeyExchangeRspParams): KeyExchangeRspLayout {
  return readRsp(msg, p).layout;
}

/**
 * The bytes of a received KEY_EXCHANGE_RSP that its Signature covers (everything before the
 * Signature), as a view. The signed transcript is VCA ‖ Hash(Ct) ‖ KEY_EXCHANGE ‖ this.
 * @throws as decodeKeyExchangeRsp.
 */
export function keyExchangeRspSignedPart(msg: Uint8Array, p: KeyExchangeRspParams): Uint8Array {
  return msg.subarray(0, keyExchangeRspLayout(msg, p).signatureOffset);
}

/**
 * The bytes of a received KEY_EXCHANGE_RSP that go into TH1 (everything before
 * ResponderVerifyData, Signature included), as a view. With HANDSHAKE_IN_THE_CLEAR that is the
 * whole message.
 * @throws as decodeKeyExchangeRsp.
 */
export function keyExchangeRspTh1Part(msg: Uint8Array, p: KeyExchangeRspParams): Uint8Array {
  return msg.subarray(0, keyExchangeRspLayout(msg, p).verifyDataOffset);
}
