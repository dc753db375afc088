/**
 * Codecs of the rack-init exchange (its handling comes with the rack-init issue): the
 * coordinator sends `Prepare{ledger}` (the new ledger file's bytes for this sled), the sled
 * stores it and answers `PrepareAck{rackId, epoch}`; then `Commit{rackId, epoch}` makes it
 * current and is answered by `CommitAck{rackId, epoch}`.
 *
 * ```
 * PREPARE      length:u32le ledger[length]   (length <= the message bound)
 * PREPARE_ACK  rackId[16] epoch:u32le
 * COMMIT       rackId[16] epoch:u32le
 * COMMIT_ACK   rackId[16] epoch:u32le
 * ```
 * The ledger bytes hold the sled's share: `LedgerBytes` prints its length only, and encoders
 * leave the bytes to a SecretSlot.
 */
import type { ByteReader } from '@trust-quorum/spdm/codec/reader';
import type { ByteWriter } from '@trust-quorum/spdm/codec/writer';
import { SecretBytes } from '../rack-secret/secret-bytes.js';
import { decodeRackEpoch, encodeRackEpoch, type RackEpoch, type SecretSlot } from './fields.js';

/** The bytes of a ledger file in transit (they hold a share): never printed, zero after use. */
export class LedgerBytes extends SecretBytes {
  /** @param bytes copied. */
  constructor(bytes: Uint8Array) {
    super(bytes);
  }

  protected describe(): Record<string, number> {
    return { bytes: this.length };
  }
}

export interface Prepare {
  readonly type: 'Prepare';
  readonly ledger: LedgerBytes;
}

export interface PrepareAck extends RackEpoch {
  readonly type: 'PrepareAck';
}

export interface Commit extends RackEpoch {
  readonly type: 'Commit';
}

export interface CommitAck extends RackEpoch {
  readonly type: 'CommitAck';
}

/**
 * Writes the length and zeros in place of the ledger bytes.
 * @returns the slot where the ledger bytes go.
 * @throws TypeError when the ledger bytes were zeroed.
 */
export function encodePrepare(w: ByteWriter, m: Prepare): SecretSlot {
  const bytes = m.ledger.expose();
  w.u32le(bytes.length);
  const at = w.length;
  w.zeros(bytes.length);
  return { at, bytes };
}

/**
 * The length is checked against what is left before anything is copied (the message itself
 * was bounded by the framing).
 * @throws SpdmError InvalidMsgSize when the length disagrees with the message.
 */
export function decodePrepare(r: ByteReader): Prepare {
  const length = r.u32le('ledger length');
  const bytes = r.bytes(length, 'ledger');
  r.done('PREPARE');
  return { type: 'Prepare', ledger: new LedgerBytes(bytes) };
}

/** @throws RangeError for a bad rack id or epoch. */
export function encodeAck(w: ByteWriter, m: PrepareAck | Commit | CommitAck): void {
  encodeRackEpoch(w, m);
}

/** Decodes a PrepareAck, Commit or CommitAck body. @throws SpdmError InvalidMsgSize. */
export function decodeRackEpochMessage<T extends 'PrepareAck' | 'Commit' | 'CommitAck'>(
  r: ByteReader,
  type: T,
): RackEpoch & { readonly type: T } {
  const m = decodeRackEpoch(r);
  r.done(type);
  return { type, ...m };
}
