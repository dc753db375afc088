/**
 * `Error{code}`: a server's refusal (error codes in codes.ts). Body: code:u8, one byte.
 * An unknown code is a malformed message: a newer peer with more codes speaks a newer version.
 */
import type { ByteReader } from '@trust-quorum/spdm/codec/reader';
import type { ByteWriter } from '@trust-quorum/spdm/codec/writer';
import { TrustQuorumError } from '../errors.js';
import { ERROR_CODE, type ErrorCodeName, errorCodeName } from './codes.js';

export interface ErrorResponse {
  readonly type: 'Error';
  readonly code: ErrorCodeName;
}

/** @throws TypeError for a code name we do not know. */
export function encodeErrorResponse(w: ByteWriter, m: ErrorResponse): void {
  const code = ERROR_CODE[m.code];
  if (code === undefined) throw new TypeError(`unknown error code name`);
  w.u8(code);
}

/** @throws SpdmError InvalidMsgSize; TrustQuorumError InvalidMessage for an unknown code. */
export function decodeErrorResponse(r: ByteReader): ErrorResponse {
  const v = r.u8('code');
  r.done('ERROR');
  const code = errorCodeName(v);
  if (code === undefined)
    throw new TrustQuorumError('InvalidMessage', `ERROR: unknown code 0x${v.toString(16)}`);
  return { type: 'Error', code };
}
