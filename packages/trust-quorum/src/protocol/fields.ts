/**
 * Fields shared by the share-protocol messages: the rack id (a UUID carried as its 16 bytes,
 * RFC 9562 §4 byte order, i.e. the hex digits in text order), the epoch (u32 little-endian,
 * as every integer of our codec), and the slots where a secret goes into an encoded message.
 */
import type { ByteReader } from '@trust-quorum/spdm/codec/reader';
import type { ByteWriter } from '@trust-quorum/spdm/codec/writer';
import { UUID_PATTERN } from '../ledger/schema.js';

export const RACK_ID_BYTES = 16;

/** The addressing pair of GetShare, Share and the rack-init acknowledgements. */
export interface RackEpoch {
  /** Lowercase textual UUID. */
  readonly rackId: string;
  /** 0..2^32-1 (a ledger's epoch starts at 1; 0 never matches one). */
  readonly epoch: number;
}

/**
 * A place in an encoded message that holds secret bytes. Encoders write zeros there (so the
 * growable ByteWriter never holds a secret) and `encodeMessage` copies the secret into the
 * final buffer, which the caller zeroes after use.
 */
export interface SecretSlot {
  /** Offset of the slot in the message. */
  readonly at: number;
  /** The secret bytes (a view of a secret holder; not copied until the final buffer). */
  readonly bytes: Uint8Array;
}

/** Writes the 16 bytes of a lowercase UUID. @throws RangeError when it is not one. */
export function encodeRackId(w: ByteWriter, rackId: string): void {
  if (!UUID_PATTERN.test(rackId)) throw new RangeError('rackId must be a lowercase UUID');
  w.bytes(Buffer.from(rackId.replaceAll('-', ''), 'hex'));
}

/** Reads 16 bytes as a lowercase UUID (any 16 bytes are one). @throws SpdmError InvalidMsgSize. */
export function decodeRackId(r: ByteReader): string {
  const h = Buffer.from(r.bytes(RACK_ID_BYTES, 'rackId')).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** rackId (16 bytes) then epoch (u32le). @throws RangeError for a bad rack id or epoch. */
export function encodeRackEpoch(w: ByteWriter, m: RackEpoch): void {
  encodeRackId(w, m.rackId);
  w.u32le(m.epoch);
}

/** @throws SpdmError InvalidMsgSize when truncated. */
export function decodeRackEpoch(r: ByteReader): RackEpoch {
  const rackId = decodeRackId(r);
  const epoch = r.u32le('epoch');
  return { rackId, epoch };
}
