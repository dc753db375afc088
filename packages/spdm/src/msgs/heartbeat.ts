/**
 * HEARTBEAT / HEARTBEAT_ACK (DSP0274 1.3 "HEARTBEAT request and HEARTBEAT_ACK
 * response"; spdm-reference §2.12): in-session
 * keep-alive, 4-byte headers with reserved Param1/Param2. Not part of any transcript.
 */
import type { ByteWriter } from '../codec/writer.js';
import { REQUEST_CODE, RESPONSE_CODE } from './codes.js';
import { type MsgSource, readerOf, type VersionParams } from './fields.js';
import { encodeHeader } from './header.js';
import { checkVersionParam, readHeaderOnly } from './session-params.js';

export interface Heartbeat {
  readonly code: typeof REQUEST_CODE.HEARTBEAT;
  readonly version: number;
}

export interface HeartbeatAck {
  readonly code: typeof RESPONSE_CODE.HEARTBEAT_ACK;
  readonly version: number;
}

/**
 * Writes HEARTBEAT.
 * @throws RangeError on a version before 1.1.
 */
export function encodeHeartbeat(w: ByteWriter, m: Heartbeat): void {
  checkVersionParam(m.version, 0x11, 'HEARTBEAT');
  encodeHeader(w, { version: m.version, code: REQUEST_CODE.HEARTBEAT, param1: 0, param2: 0 });
}

/**
 * Reads HEARTBEAT (exactly 4 bytes).
 * @throws SpdmError InvalidMsgSize, InvalidMsgField (wrong code or version, non-zero params).
 * @throws RangeError if `p.version` is before 1.1.
 */
export function decodeHeartbeat(src: MsgSource, p: VersionParams): Heartbeat {
  const h = readHeaderOnly(readerOf(src), p.version, REQUEST_CODE.HEARTBEAT, 'HEARTBEAT');
  return { code: REQUEST_CODE.HEARTBEAT, version: h.version };
}

/**
 * Writes HEARTBEAT_ACK.
 * @throws RangeError on a version before 1.1.
 */
export function encodeHeartbeatAck(w: ByteWriter, m: HeartbeatAck): void {
  checkVersionParam(m.version, 0x11, 'HEARTBEAT_ACK');
  encodeHeader(w, { version: m.version, code: RESPONSE_CODE.HEARTBEAT_ACK, param1: 0, param2: 0 });
}

/**
 * Reads HEARTBEAT_ACK (exactly 4 bytes).
 * @throws SpdmError InvalidMsgSize, InvalidMsgField (wrong code or version, non-zero params).
 * @throws RangeError if `p.version` is before 1.1.
 */
export function decodeHeartbeatAck(src: MsgSource, p: VersionParams): HeartbeatAck {
  const h = readHeaderOnly(readerOf(src), p.version, RESPONSE_CODE.HEARTBEAT_ACK, 'HEARTBEAT_ACK');
  return { code: RESPONSE_CODE.HEARTBEAT_ACK, version: h.version };
}
