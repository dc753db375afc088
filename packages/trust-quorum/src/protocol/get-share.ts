/**
 * The share exchange: `GetShare{rackId, epoch}` from the requester, answered by
 * `Share{rackId, epoch, x, y}` (or by `Error{code}`, error.ts). Bodies only: the version and
 * type bytes are message.ts's.
 *
 * ```
 * GET_SHARE  rackId[16] epoch:u32le                              20 bytes
 * SHARE      rackId[16] epoch:u32le x:u8 y[32] (big-endian < n)  53 bytes
 * ```
 * y is the only secret of the protocol: the decoded message holds it in a rack-secret `Share`
 * (printing shows x and the sender, never y), and encoders leave it to a SecretSlot.
 */
import type { ByteReader } from '@trust-quorum/spdm/codec/reader';
import type { ByteWriter } from '@trust-quorum/spdm/codec/writer';
import { isTrustQuorumError, TrustQuorumError } from '../errors.js';
import { Share } from '../rack-secret/rack-secret.js';
import { SCALAR_BYTES } from '../rack-secret/scalar.js';
import { decodeRackEpoch, encodeRackEpoch, type RackEpoch, type SecretSlot } from './fields.js';

export interface GetShare extends RackEpoch {
  readonly type: 'GetShare';
}

export interface ShareResponse extends RackEpoch {
  readonly type: 'Share';
  /** The share (x public, y secret). Zero it when done, unless it is the ledger's own. */
  readonly share: Share;
}

/** @throws RangeError for a bad rack id or epoch. */
export function encodeGetShare(w: ByteWriter, m: GetShare): void {
  encodeRackEpoch(w, m);
}

/** @throws SpdmError InvalidMsgSize when truncated or too long. */
export function decodeGetShare(r: ByteReader): GetShare {
  const m = decodeRackEpoch(r);
  r.done('GET_SHARE');
  return { type: 'GetShare', ...m };
}

/**
 * Writes the public fields and zeros in place of y.
 * @returns the slot where y goes (offset relative to the writer's start).
 * @throws RangeError for a bad rack id or epoch; TypeError when the share was zeroed.
 */
export function encodeShareResponse(w: ByteWriter, m: ShareResponse): SecretSlot {
  encodeRackEpoch(w, m);
  w.u8(m.share.x);
  const at = w.length;
  w.zeros(SCALAR_BYTES);
  return { at, bytes: m.share.expose() };
}

/**
 * Decodes a Share body; the y bytes are copied into the Share (the caller zeroes its input).
 * @param sender labels the share (sled id or address) for error messages.
 * @throws SpdmError InvalidMsgSize when truncated or too long; TrustQuorumError InvalidMessage
 *   when x is 0 or y is not below the group order.
 */
export function decodeShareResponse(r: ByteReader, sender?: string): ShareResponse {
  const m = decodeRackEpoch(r);
  const x = r.u8('x');
  const y = r.bytes(SCALAR_BYTES, 'y');
  r.done('SHARE');
  try {
    return { type: 'Share', ...m, share: new Share(x, y, sender) };
  } catch (e) {
    if (!isTrustQuorumError(e)) throw e;
    throw new TrustQuorumError('InvalidMessage', `SHARE: ${e.message}`, { sender });
  }
}
