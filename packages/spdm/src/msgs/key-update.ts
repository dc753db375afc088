/**
 * KEY_UPDATE / KEY_UPDATE_ACK (DSP0274 1.3 "KEY_UPDATE request and KEY_UPDATE_ACK
 * response"; spdm-reference §2.12): Param1 = KeyOperation,
 * Param2 = Tag; the ACK echoes both. Which key protects which message (the old request key for
 * UpdateKey/UpdateAllKeys, the new one for VerifyNewKey, ...) belongs to the session layer, not
 * to this codec. Not part of any transcript.
 */
import type { ByteWriter } from '../codec/writer.js';
import { REQUEST_CODE, RESPONSE_CODE } from './codes.js';
import { checkInt, invalidField, type MsgSource, readerOf, type VersionParams } from './fields.js';
import { encodeHeader } from './header.js';
import { checkVersionParam, readHeaderOnly } from './session-params.js';

/** KeyOperation values (DSP0274 1.3 KEY_UPDATE, KeyOperation table). */
export const KEY_UPDATE_OPERATION = {
  /** Update the requester-to-responder data key only. */
  UpdateKey: 1,
  /** Update the data keys of both directions. */
  UpdateAllKeys: 2,
  /** Sent under the new request key to confirm it. */
  VerifyNewKey: 3,
} as const;
export type KeyUpdateOperation = (typeof KEY_UPDATE_OPERATION)[keyof typeof KEY_UPDATE_OPERATION];

export interface KeyUpdate {
  readonly code: typeof REQUEST_CODE.KEY_UPDATE;
  readonly version: number;
  readonly operation: KeyUpdateOperation;
  /** Arbitrary byte chosen by the requester, echoed in the ACK. */
  readonly tag: number;
}

export interface KeyUpdateAck {
  readonly code: typeof RESPONSE_CODE.KEY_UPDATE_ACK;
  readonly version: number;
  readonly operation: KeyUpdateOperation;
  readonly tag: number;
}

const isOperation = (v: number): v is KeyUpdateOperation => v >= 1 && v <= 3;

function write(w: ByteWriter, code: number, m: KeyUpdate | KeyUpdateAck, what: string): void {
  checkVersionParam(m.version, 0x11, what);
  if (!isOperation(m.operation)) throw new RangeError(`${what}: bad KeyOperation ${m.operation}`);
  checkInt(m.tag, 0, 0xff, `${what} Tag`);
  encodeHeader(w, { version: m.version, code, param1: m.operation, param2: m.tag });
}

function read(
  src: MsgSource,
  p: VersionParams,
  code: number,
  what: string,
): [number, KeyUpdateOperation, number] {
  const h = readHeaderOnly(readerOf(src), p.version, code, what, 0xff, 0xff);
  if (!isOperation(h.param1)) invalidField(`${what}: unknown KeyOperation ${h.param1}`);
  return [h.version, h.param1, h.param2];
}

/**
 * Writes KEY_UPDATE.
 * @throws RangeError on a bad version, operation or tag.
 */
export function encodeKeyUpdate(w: ByteWriter, m: KeyUpdate): void {
  write(w, REQUEST_CODE.KEY_UPDATE, m, 'KEY_UPDATE');
}

/**
 * Reads KEY_UPDATE (exactly 4 bytes).
 * @throws SpdmError InvalidMsgSize, InvalidMsgField (wrong code or version, unknown KeyOperation).
 * @throws RangeError if `p.version` is before 1.1.
 */
export function decodeKeyUpdate(src: MsgSource, p: VersionParams): KeyUpdate {
  const [version, operation, tag] = read(src, p, REQUEST_CODE.KEY_UPDATE, 'KEY_UPDATE');
  return { code: REQUEST_CODE.KEY_UPDATE, version, operation, tag };
}

/**
 * Writes KEY_UPDATE_ACK.
 * @throws RangeError on a bad version, operation or tag.
 */
export function encodeKeyUpdateAck(w: ByteWriter, m: KeyUpdateAck): void {
  write(w, RESPONSE_CODE.KEY_UPDATE_ACK, m, 'KEY_UPDATE_ACK');
}

/**
 * Reads KEY_UPDATE_ACK (exactly 4 bytes).
 * @throws SpdmError InvalidMsgSize, InvalidMsgField (wrong code or version, unknown KeyOperation).
 * @throws RangeError if `p.version` is before 1.1.
 */
export function decodeKeyUpdateAck(src: MsgSource, p: VersionParams): KeyUpdateAck {
  const [version, operation, tag] = read(src, p, RESPONSE_CODE.KEY_UPDATE_ACK, 'KEY_UPDATE_ACK');
  return { code: RESPONSE_CODE.KEY_UPDATE_ACK, version, operation, tag };
}

/** Responder side: the ACK that answers `req` (same version, operation and tag). */
export function keyUpdateAckFor(req: KeyUpdate): KeyUpdateAck {
  return { code: RESPONSE_CODE.KEY_UPDATE_ACK, version: req.version, operation: req.operation, tag: req.tag };
}

/**
 * Requester side: insists that `ack` echoes `req`'s KeyOperation and Tag.
 * @throws SpdmError InvalidMsgField when it does not.
 */
export function checkKeyUpdateAck(req: KeyUpdate, ack: KeyUpdateAck): void {
  if (ack.operation !== req.operation || ack.tag !== req.tag) {
    invalidField(
      `KEY_UPDATE_ACK: echoes operation ${ack.operation} tag ${ack.tag}, sent operation ${req.operation} tag ${req.tag}`,
    );
  }
}
