/**
 * ERROR and RESPOND_IF_READY (DSP0274 1.3 "ERROR response", DSP0274 1.3 "RESPOND_IF_READY request"; spdm-reference §2.13).
 *
 * ERROR: header (P1 = ErrorCode, P2 = ErrorData) then ExtendedErrorData of at most 32 bytes. For
 * ResponseNotReady the extended data is RDExponent(1) RequestCode(1) Token(1) RDTM(1), decoded
 * into `notReady`. RESPOND_IF_READY is a bare header: P1 = the original request code, P2 = Token.
 * ERROR carries the negotiated version (1.0 before negotiation), so the decoder accepts 1.0..1.3.
 */
import type { ByteWriter } from '../codec/writer.js';
import { SpdmError } from '../errors.js';
import { ERROR_CODE, errorCodeName, REQUEST_CODE, RESPONSE_CODE } from './codes.js';
import { checkInt, expectSize, type MsgSource, readerOf } from './fields.js';
import { decodeHeader, encodeHeader, expectCode } from './header.js';
import { expectKnownVersion } from './version.js';

/** Upper bound of ExtendedErrorData (DSP0274 1.3 "ERROR response"). */
export const MAX_EXTENDED_ERROR_DATA = 32;
/** Size of the ResponseNotReady extended data. */
export const RESPONSE_NOT_READY_DATA_SIZE = 4;

/** ResponseNotReady extended error data (DSP0274 1.3 "ERROR response", ResponseNotReady). */
export interface ResponseNotReadyData {
  /** Wait at least 2^RDExponent microseconds before RESPOND_IF_READY. */
  readonly rdExponent: number;
  /** The request code the responder is still working on. */
  readonly requestCode: number;
  /** Token to echo in RESPOND_IF_READY Param2. */
  readonly token: number;
  /** RDT multiplier: the response is due within 2^RDExponent * RDTM microseconds. */
  readonly rdtm: number;
}

export interface ErrorResponse {
  readonly code: typeof RESPONSE_CODE.ERROR;
  readonly version: number;
  /** Param1, an ERROR_CODE value (unknown values decode too). */
  readonly errorCode: number;
  /** Param2 (UnsupportedRequest: the request code; otherwise mostly 0). */
  readonly errorData: number;
  /** ExtendedErrorData (view), at most 32 bytes; the 4 bytes of `notReady` for ResponseNotReady. */
  readonly extendedData: Uint8Array;
  /** Decoded extended data, present iff errorCode is ResponseNotReady. */
  readonly notReady?: ResponseNotReadyData;
}

export interface RespondIfReady {
  readonly code: typeof REQUEST_CODE.RESPOND_IF_READY;
  readonly version: number;
  /** Param1: the request code of the original request. */
  readonly requestCode: number;
  /** Param2: the Token from ResponseNotReady. */
  readonly token: number;
}

/** Builds an ERROR message value (no extended data unless given). */
export function errorResponse(
  version: number,
  errorCode: number,
  errorData = 0,
  extendedData: Uint8Array = new Uint8Array(0),
): ErrorResponse {
  return { code: RESPONSE_CODE.ERROR, version, errorCode, errorData, extendedData };
}

/** Builds a ResponseNotReady ERROR. */
export function responseNotReady(version: number, d: ResponseNotReadyData): ErrorResponse {
  const ext = Uint8Array.of(d.rdExponent, d.requestCode, d.token, d.rdtm);
  return { ...errorResponse(version, ERROR_CODE.ResponseNotReady, 0, ext), notReady: d };
}

/**
 * Encodes ERROR. For ResponseNotReady the extended data is written from `notReady`.
 * @throws TypeError (ResponseNotReady without `notReady`) / RangeError (values out of range,
 *   extended data over 32 bytes).
 */
export function encodeErrorResponse(w: ByteWriter, m: ErrorResponse): void {
  checkInt(m.errorCode, 0, 0xff, 'ErrorCode');
  checkInt(m.errorData, 0, 0xff, 'ErrorData');
  encodeHeader(w, {
    version: m.version,
    code: RESPONSE_CODE.ERROR,
    param1: m.errorCode,
    param2: m.errorData,
  });
  if (m.errorCode === ERROR_CODE.ResponseNotReady) {
    const d = m.notReady;
    if (!d) throw new TypeError('ERROR ResponseNotReady needs its notReady data');
    checkInt(d.rdExponent, 0, 0xff, 'RDExponent');
    checkInt(d.requestCode, 0, 0xff, 'RequestCode');
    checkInt(d.token, 0, 0xff, 'Token');
    checkInt(d.rdtm, 0, 0xff, 'RDTM');
    w.u8(d.rdExponent).u8(d.requestCode).u8(d.token).u8(d.rdtm);
    return;
  }
  if (m.extendedData.length > MAX_EXTENDED_ERROR_DATA) {
    throw new RangeError(
      `ExtendedErrorData of ${m.extendedData.length} bytes exceeds ${MAX_EXTENDED_ERROR_DATA}`,
    );
  }
  w.bytes(m.extendedData);
}

/**
 * Decodes ERROR.
 * @throws SpdmError InvalidMsgSize (extended data over 32 bytes, ResponseNotReady data not 4
 *   bytes), InvalidMsgField (code), VersionMismatch (version outside 1.0..1.3 or not `p.version`).
 */
export function decodeErrorResponse(src: MsgSource, p: { readonly version?: number } = {}): ErrorResponse {
  const r = readerOf(src);
  const start = r.offset;
  const h = decodeHeader(r);
  expectCode(h, RESPONSE_CODE.ERROR, 'ERROR');
  expectKnownVersion(h, 'ERROR', p.version);
  if (r.remaining > MAX_EXTENDED_ERROR_DATA) {
    throw new SpdmError('InvalidMsgSize', `ERROR: ${r.remaining} bytes of ExtendedErrorData exceed 32`, {
      wireCode: ERROR_CODE.InvalidRequest,
    });
  }
  const base = { code: RESPONSE_CODE.ERROR, version: h.version, errorCode: h.param1, errorData: h.param2 };
  if (h.param1 !== ERROR_CODE.ResponseNotReady) {
    return { ...base, extendedData: r.rest() };
  }
  expectSize(r, start, 4 + RESPONSE_NOT_READY_DATA_SIZE, 'ERROR ResponseNotReady');
  const extendedData = r.bytes(RESPONSE_NOT_READY_DATA_SIZE, 'ResponseNotReady data');
  r.done('ERROR');
  const [rdExponent = 0, requestCode = 0, token = 0, rdtm = 0] = extendedData;
  return { ...base, extendedData, notReady: { rdExponent, requestCode, token, rdtm } };
}

/** One-line description of an ERROR for messages and logs (no payload bytes). */
export function describeError(e: ErrorResponse): string {
  const data =
    e.errorCode === ERROR_CODE.UnsupportedRequest ? ` (request 0x${e.errorData.toString(16)})` : '';
  return `ERROR ${errorCodeName(e.errorCode)}${data}`;
}

/** Encodes RESPOND_IF_READY. @throws RangeError when Param1 / Param2 are not bytes. */
export function encodeRespondIfReady(w: ByteWriter, m: RespondIfReady): void {
  checkInt(m.requestCode, 0, 0xff, 'RESPOND_IF_READY Param1');
  checkInt(m.token, 0, 0xff, 'RESPOND_IF_READY Param2');
  encodeHeader(w, {
    version: m.version,
    code: REQUEST_CODE.RESPOND_IF_READY,
    param1: m.requestCode,
    param2: m.token,
  });
}

/**
 * Decodes RESPOND_IF_READY (4 bytes).
 * @throws SpdmError InvalidMsgSize, InvalidMsgField (code), VersionMismatch.
 */
export function decodeRespondIfReady(src: MsgSource, p: { readonly version?: number } = {}): RespondIfReady {
  const r = readerOf(src);
  const start = r.offset;
  const h = decodeHeader(r);
  expectCode(h, REQUEST_CODE.RESPOND_IF_READY, 'RESPOND_IF_READY');
  expectKnownVersion(h, 'RESPOND_IF_READY', p.version);
  expectSize(r, start, 4, 'RESPOND_IF_READY');
  r.done('RESPOND_IF_READY');
  return { code: REQUEST_CODE.RESPOND_IF_READY, version: h.version, requestCode: h.param1, token: h.param2 };
}
