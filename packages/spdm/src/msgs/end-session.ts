/**
 * END_SESSION / END_SESSION_ACK (DSP0274 1.3 "END_SESSION request and
 * END_SESSION_ACK response"; spdm-reference §2.12). END_SESSION
 * Param1 bit 0 (NegotiatedStateClearing) asks the responder to drop its cached negotiated state;
 * END_SESSION_ACK is the last message under the session keys. Not part of any transcript.
 */
import type { ByteWriter } from '../codec/writer.js';
import { REQUEST_CODE, RESPONSE_CODE } from './codes.js';
import { type MsgSource, readerOf, type VersionParams } from './fields.js';
import { encodeHeader } from './header.js';
import { checkVersionParam, readHeaderOnly } from './session-params.js';

/** END_SESSION Param1 bit 0. */
export const END_SESSION_NEGOTIATED_STATE_CLEARING = 0x01;

export interface EndSession {
  readonly code: typeof REQUEST_CODE.END_SESSION;
  readonly version: number;
  readonly negotiatedStateClearing: boolean;
}

export interface EndSessionAck {
  readonly code: typeof RESPONSE_CODE.END_SESSION_ACK;
  readonly version: number;
}

/**
 * Writes END_SESSION.
 * @throws RangeError on a version before 1.1.
 */
export function encodeEndSession(w: ByteWriter, m: EndSession): void {
  checkVersionParam(m.version, 0x11, 'END_SESSION');
  const param1 = m.negotiatedStateClearing ? END_SESSION_NEGOTIATED_STATE_CLEARING : 0;
  encodeHeader(w, { version: m.version, code: REQUEST_CODE.END_SESSION, param1, param2: 0 });
}

/**
 * Reads END_SESSION (exactly 4 bytes).
 * @throws SpdmError InvalidMsgSize, InvalidMsgField (wrong code or version, reserved bits).
 * @throws RangeError if `p.version` is before 1.1.
 */
export function decodeEndSession(src: MsgSource, p: VersionParams): EndSession {
  const r = readerOf(src);
  const h = readHeaderOnly(
    r,
    p.version,
    REQUEST_CODE.END_SESSION,
    'END_SESSION',
    END_SESSION_NEGOTIATED_STATE_CLEARING,
  );
  return {
    code: REQUEST_CODE.END_SESSION,
    version: h.version,
    negotiatedStateClearing: (h.param1 & END_SESSION_NEGOTIATED_STATE_CLEARING) !== 0,
  };
}

/**
 * Writes END_SESSION_ACK.
 * @throws RangeError on a version before 1.1.
 */
export function encodeEndSessionAck(w: ByteWriter, m: EndSessionAck): void {
  checkVersionParam(m.version, 0x11, 'END_SESSION_ACK');
  encodeHeader(w, { version: m.version, code: RESPONSE_CODE.END_SESSION_ACK, param1: 0, param2: 0 });
}

/**
 * Reads END_SESSION_ACK (exactly 4 bytes).
 * @throws SpdmError InvalidMsgSize, InvalidMsgField (wrong code or version, non-zero params).
 * @throws RangeError if `p.version` is before 1.1.
 */
export function decodeEndSessionAck(src: MsgSource, p: VersionParams): EndSessionAck {
  const h = readHeaderOnly(readerOf(src), p.version, RESPONSE_CODE.END_SESSION_ACK, 'END_SESSION_ACK');
  return { code: RESPONSE_CODE.END_SESSION_ACK, version: h.version };
}
