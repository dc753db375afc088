/**
 * PSK_EXCHANGE / PSK_EXCHANGE_RSP and PSK_FINISH / PSK_FINISH_RSP (DSP0274 1.3 "PSK_EXCHANGE
 * request and PSK_EXCHANGE_RSP response", "PSK_FINISH request and PSK_FINISH_RSP response";
 * spdm-reference §2.11): a session from a pre-shared key instead of DHE + signatures. The
 * trust-quorum stack opens DHE sessions; these codecs exist for completeness and are not
 * exercised by the libspdm vectors (no PSK there).
 *
 * Only the layout is enforced here. Bounds that are local policy in libspdm (PSKHint up to
 * LIBSPDM_PSK_MAX_HINT_LENGTH, context length) are left to the flow; every length is still
 * checked against the bytes present before anything is read, and OpaqueData against 1024.
 * TH1 for PSK ends right before ResponderVerifyData: `pskExchangeRspTh1Part`.
 */
import type { ByteWriter } from '../codec/writer.js';
import { MEAS_SUMMARY_HASH_TYPE } from './challenge.js';
import { REQUEST_CODE, RESPONSE_CODE } from './codes.js';
import {
  checkInt,
  checkOpaque,
  checkReserved,
  expectSize,
  invalidField,
  MAX_OPAQUE_DATA_SIZE,
  type MsgSource,
  readerOf,
  readHeader,
  type VersionParams,
} from './fields.js';
import { encodeHeader, HEADER_SIZE } from './header.js';
import { type MeasurementSummaryHashType, sessionPolicyMask } from './key-exchange.js';
import {
  checkSizeParam,
  checkVersionParam,
  needAtLeast,
  needExactly,
  readHeaderOnly,
  type SessionMsgParams,
} from './session-params.js';

export interface PskExchange {
  readonly code: typeof REQUEST_CODE.PSK_EXCHANGE;
  readonly version: number;
  /** Param1. */
  readonly measurementSummaryHashType: MeasurementSummaryHashType;
  /** Param2 (1.2+; must be 0 on 1.1). */
  readonly sessionPolicy: number;
  readonly reqSessionId: number;
  readonly pskHint: Uint8Array;
  readonly requesterContext: Uint8Array;
  readonly opaqueData: Uint8Array;
}

export interface PskExchangeRsp {
  readonly code: typeof RESPONSE_CODE.PSK_EXCHANGE_RSP;
  readonly version: number;
  /** Param1, seconds; 0 = no heartbeat. */
  readonly heartbeatPeriod: number;
  readonly rspSessionId: number;
  /** H bytes; present iff PSK_EXCHANGE Param1 != 0. */
  readonly measurementSummaryHash?: Uint8Array;
  readonly responderContext: Uint8Array;
  readonly opaqueData: Uint8Array;
  /** H bytes. */
  readonly responderVerifyData: Uint8Array;
}

export type PskExchangeRspParams = Pick<SessionMsgParams, 'version' | 'hashSize' | 'summaryHashPresent'>;

export interface PskFinish {
  readonly code: typeof REQUEST_CODE.PSK_FINISH;
  readonly version: number;
  /** H bytes. */
  readonly requesterVerifyData: Uint8Array;
}

export interface PskFinishRsp {
  readonly code: typeof RESPONSE_CODE.PSK_FINISH_RSP;
  readonly version: number;
}

export type PskFinishParams = Pick<SessionMsgParams, 'version' | 'hashSize'>;

const isSummaryType = (v: number): v is MeasurementSummaryHashType =>
  v === MEAS_SUMMARY_HASH_TYPE.NONE || v === MEAS_SUMMARY_HASH_TYPE.TCB || v === MEAS_SUMMARY_HASH_TYPE.ALL;

/**
 * Writes PSK_EXCHANGE.
 * @throws RangeError / TypeError on values the decoder would reject.
 */
export function encodePskExchange(w: ByteWriter, m: PskExchange): void {
  checkVersionParam(m.version, 0x11, 'PSK_EXCHANGE');
  if (!isSummaryType(m.measurementSummaryHashType)) throw new RangeError('PSK_EXCHANGE: bad Param1');
  checkInt(m.sessionPolicy, 0, 0xff, 'PSK_EXCHANGE SessionPolicy');
  if ((m.sessionPolicy & ~sessionPolicyMask(m.version)) !== 0)
    throw new RangeError('PSK_EXCHANGE: bad SessionPolicy');
  checkInt(m.pskHint.length, 0, 0xffff, 'PSKHintLength');
  checkInt(m.requesterContext.length, 0, 0xffff, 'RequesterContextLength');
  checkOpaque(m.opaqueData, 'PSK_EXCHANGE');
  const param1 = m.measurementSummaryHashType;
  encodeHeader(w, { version: m.version, code: REQUEST_CODE.PSK_EXCHANGE, param1, param2: m.sessionPolicy });
  w.u16le(m.reqSessionId).u16le(m.pskHint.length).u16le(m.requesterContext.length).u16le(m.opaqueData.length);
  w.bytes(m.pskHint).bytes(m.requesterContext).bytes(m.opaqueData);
}

/**
 * Reads PSK_EXCHANGE; byte arrays are views into the input.
 * @throws SpdmError InvalidMsgSize (lengths that do not add up to the message), InvalidMsgField
 *   (wrong code or version, bad Param1, SessionPolicy bits, opaque data over 1024 bytes).
 * @throws RangeError if `p.version` is before 1.1.
 */
export function decodePskExchange(src: MsgSource, p: VersionParams): PskExchange {
  checkVersionParam(p.version, 0x11, 'PSK_EXCHANGE');
  const r = readerOf(src);
  needAtLeast(r, HEADER_SIZE + 8, 'PSK_EXCHANGE');
  const h = readHeader(r, REQUEST_CODE.PSK_EXCHANGE, p.version, 'PSK_EXCHANGE');
  if (!isSummaryType(h.param1))
    invalidField(`PSK_EXCHANGE: MeasurementSummaryHashType 0x${h.param1.toString(16)}`);
  checkReserved(h.param2, sessionPolicyMask(p.version), 'PSK_EXCHANGE SessionPolicy');
  const reqSessionId = r.u16le('ReqSessionID');
  const hintLen = r.u16le('PSKHintLength');
  const ctxLen = r.u16le('RequesterContextLength');
  const opaqueLen = r.u16le('OpaqueDataLength');
  if (opaqueLen > MAX_OPAQUE_DATA_SIZE)
    invalidField(`PSK_EXCHANGE: OpaqueDataLength ${opaqueLen} exceeds 1024`);
  needExactly(r, hintLen + ctxLen + opaqueLen, 'PSK_EXCHANGE variable fields');
  const pskHint = r.bytes(hintLen, 'PSKHint');
  const requesterContext = r.bytes(ctxLen, 'RequesterContext');
  const opaqueData = r.bytes(opaqueLen, 'OpaqueData');
  r.done('PSK_EXCHANGE');
  return {
    code: REQUEST_CODE.PSK_EXCHANGE,
    version: h.version,
    measurementSummaryHashType: h.param1,
    sessionPolicy: h.param2,
    reqSessionId,
    pskHint,
    requesterContext,
    opaqueData,
  };
}

/**
 * Writes PSK_EXCHANGE_RSP.
 * @throws RangeError / TypeError on out-of-range values.
 */
export function encodePskExchangeRsp(w: ByteWriter, m: PskExchangeRsp): void {
  checkVersionParam(m.version, 0x11, 'PSK_EXCHANGE_RSP');
  checkInt(m.heartbeatPeriod, 0, 0xff, 'PSK_EXCHANGE_RSP HeartbeatPeriod');
  checkInt(m.responderContext.length, 0, 0xffff, 'ResponderContextLength');
  checkOpaque(m.opaqueData, 'PSK_EXCHANGE_RSP');
  encodeHeader(w, {
    version: m.version,
    code: RESPONSE_CODE.PSK_EXCHANGE_RSP,
    param1: m.heartbeatPeriod,
    param2: 0,
  });
  w.u16le(m.rspSessionId).u16le(0).u16le(m.responderContext.length).u16le(m.opaqueData.length);
  if (m.measurementSummaryHash) w.bytes(m.measurementSummaryHash);
  w.bytes(m.responderContext).bytes(m.opaqueData).bytes(m.responderVerifyData);
}

/**
 * Reads PSK_EXCHANGE_RSP; byte arrays are views into the input.
 * @throws SpdmError InvalidMsgSize, InvalidMsgField (wrong code or version, reserved fields,
 *   opaque data over 1024 bytes).
 * @throws RangeError if `p` itself is unusable.
 */
export function decodePskExchangeRsp(src: MsgSource, p: PskExchangeRspParams): PskExchangeRsp {
  checkVersionParam(p.version, 0x11, 'PSK_EXCHANGE_RSP');
  checkSizeParam(p.hashSize, 'PSK_EXCHANGE_RSP hashSize');
  const r = readerOf(src);
  const summarySize = p.summaryHashPresent ? p.hashSize : 0;
  needAtLeast(r, HEADER_SIZE + 8 + summarySize + p.hashSize, 'PSK_EXCHANGE_RSP');
  const h = readHeader(r, RESPONSE_CODE.PSK_EXCHANGE_RSP, p.version, 'PSK_EXCHANGE_RSP');
  checkReserved(h.param2, 0, 'PSK_EXCHANGE_RSP Param2');
  const rspSessionId = r.u16le('RspSessionID');
  r.reserved(2, 'PSK_EXCHANGE_RSP reserved');
  const ctxLen = r.u16le('ResponderContextLength');
  const opaqueLen = r.u16le('OpaqueDataLength');
  if (opaqueLen > MAX_OPAQUE_DATA_SIZE)
    invalidField(`PSK_EXCHANGE_RSP: OpaqueDataLength ${opaqueLen} exceeds 1024`);
  needExactly(r, summarySize + ctxLen + opaqueLen + p.hashSize, 'PSK_EXCHANGE_RSP variable fields');
  const measurementSummaryHash = p.summaryHashPresent
    ? r.bytes(p.hashSize, 'MeasurementSummaryHash')
    : undefined;
  const responderContext = r.bytes(ctxLen, 'ResponderContext');
  const opaqueData = r.bytes(opaqueLen, 'OpaqueData');
  const responderVerifyData = r.bytes(p.hashSize, 'ResponderVerifyData');
  r.done('PSK_EXCHANGE_RSP');
  return {
    code: RESPONSE_CODE.PSK_EXCHANGE_RSP,
    version: h.version,
    heartbeatPeriod: h.param1,
    rspSessionId,
    ...(measurementSummaryHash ? { measurementSummaryHash } : {}),
    responderContext,
    opaqueData,
    responderVerifyData,
  };
}

/**
 * The bytes of a received PSK_EXCHANGE_RSP that go into TH1 (all but ResponderVerifyData).
 * @throws as decodePskExchangeRsp.
 */
export function pskExchangeRspTh1Part(msg: Uint8Array, p: PskExchangeRspParams): Uint8Array {
  decodePskExchangeRsp(msg, p);
  return msg.subarray(0, msg.length - p.hashSize);
}

/**
 * Writes PSK_FINISH.
 * @throws RangeError on a version before 1.1.
 */
export function encodePskFinish(w: ByteWriter, m: PskFinish): void {
  checkVersionParam(m.version, 0x11, 'PSK_FINISH');
  encodeHeader(w, { version: m.version, code: REQUEST_CODE.PSK_FINISH, param1: 0, param2: 0 });
  w.bytes(m.requesterVerifyData);
}

/**
 * Reads PSK_FINISH (header + H bytes).
 * @throws SpdmError InvalidMsgSize, InvalidMsgField (wrong code or version, reserved params).
 * @throws RangeError if `p` itself is unusable.
 */
export function decodePskFinish(src: MsgSource, p: PskFinishParams): PskFinish {
  checkVersionParam(p.version, 0x11, 'PSK_FINISH');
  checkSizeParam(p.hashSize, 'PSK_FINISH hashSize');
  const r = readerOf(src);
  expectSize(r, r.offset, HEADER_SIZE + p.hashSize, 'PSK_FINISH');
  const h = readHeader(r, REQUEST_CODE.PSK_FINISH, p.version, 'PSK_FINISH');
  checkReserved(h.param1, 0, 'PSK_FINISH Param1');
  checkReserved(h.param2, 0, 'PSK_FINISH Param2');
  const requesterVerifyData = r.bytes(p.hashSize, 'RequesterVerifyData');
  r.done('PSK_FINISH');
  return { code: REQUEST_CODE.PSK_FINISH, version: h.version, requesterVerifyData };
}

/**
 * Writes PSK_FINISH_RSP.
 * @throws RangeError on a version before 1.1.
 */
export function encodePskFinishRsp(w: ByteWriter, m: PskFinishRsp): void {
  checkVersionParam(m.version, 0x11, 'PSK_FINISH_RSP');
  encodeHeader(w, { version: m.version, code: RESPONSE_CODE.PSK_FINISH_RSP, param1: 0, param2: 0 });
}

/**
 * Reads PSK_FINISH_RSP (exactly 4 bytes).
 * @throws SpdmError InvalidMsgSize, InvalidMsgField (wrong code or version, non-zero params).
 * @throws RangeError if `p.version` is before 1.1.
 */
export function decodePskFinishRsp(src: MsgSource, p: VersionParams): PskFinishRsp {
  const h = readHeaderOnly(readerOf(src), p.version, RESPONSE_CODE.PSK_FINISH_RSP, 'PSK_FINISH_RSP');
  return { code: RESPONSE_CODE.PSK_FINISH_RSP, version: h.version };
}
