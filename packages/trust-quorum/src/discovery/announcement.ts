/**
 * The discovery announcement: one small UDP datagram an agent multicasts every interval.
 * It is only a hint (any host on the link can send one); trust comes from SPDM. Layout,
 * version 1, multi-byte fields big-endian (network order):
 *
 * | offset | size | field |
 * | ---    | ---  | ---   |
 * | 0      | 4    | magic "TQDA" |
 * | 4      | 1    | version = 1 |
 * | 5      | 1    | flags: bit 0 = rack id present; bits 7:1 reserved, must be 0 |
 * | 6      | 2    | SPDM TCP port, 1..65535 |
 * | 8      | 1    | sled id length n, 1..64 |
 * | 9      | n    | sled id, ASCII (ledger SLED_ID_PATTERN) |
 * | 9+n    | 16   | rack id (UUID bytes), when flag bit 0 |
 *
 * The datagram must be exactly that long. The sender's address comes from the packet's
 * source, never from the payload, so a peer cannot point us at a third host by itself.
 */
import { SLED_ID_PATTERN } from '../ledger/schema.js';

export const ANNOUNCEMENT_MAGIC = Buffer.from('TQDA', 'latin1');
export const ANNOUNCEMENT_VERSION = 1;
const FLAG_RACK_ID = 0x01;
const HEADER_BYTES = 9;
const MAX_SLED_ID_BYTES = 64;
const RACK_ID_BYTES = 16;
/** Longest valid announcement; anything longer is refused before it is parsed. */
export const MAX_ANNOUNCEMENT_BYTES = HEADER_BYTES + MAX_SLED_ID_BYTES + RACK_ID_BYTES;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface Announcement {
  readonly sledId: string;
  readonly spdmPort: number;
  /** Lowercase UUID, or null when the sender has no ledger yet. A hint only. */
  readonly rackId: string | null;
}

/**
 * Encodes an announcement.
 * @throws RangeError when a field is out of range (bad sled id, port, rack id).
 */
export function encodeAnnouncement(a: Announcement): Buffer {
  if (!SLED_ID_PATTERN.test(a.sledId)) throw new RangeError('announcement: bad sled id');
  if (!Number.isInteger(a.spdmPort) || a.spdmPort < 1 || a.spdmPort > 65535) {
    throw new RangeError('announcement: SPDM port must be 1..65535');
  }
  const rack = a.rackId?.toLowerCase() ?? null;
  if (rack !== null && !UUID.test(rack)) throw new RangeError('announcement: rack id is not a UUID');
  const id = Buffer.from(a.sledId, 'latin1');
  const out = Buffer.alloc(HEADER_BYTES + id.length + (rack === null ? 0 : RACK_ID_BYTES));
  ANNOUNCEMENT_MAGIC.copy(out, 0);
  out[4] = ANNOUNCEMENT_VERSION;
  out[5] = rack === null ? 0 : FLAG_RACK_ID;
  out.writeUInt16BE(a.spdmPort, 6);
  out[8] = id.length;
  id.copy(out, HEADER_BYTES);
  if (rack !== null) Buffer.from(rack.replaceAll('-', ''), 'hex').copy(out, HEADER_BYTES + id.length);
  return out;
}

function uuidText(b: Uint8Array): string {
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Decodes an announcement; never throws.
 * @returns the announcement, or a short reason why the datagram is not one.
 */
export function decodeAnnouncement(data: Uint8Array): Announcement | string {
  if (data.length > MAX_ANNOUNCEMENT_BYTES) return 'too long';
  if (data.length < HEADER_BYTES + 1) return 'too short';
  const b = Buffer.from(data.buffer, data.byteOffset, data.length);
  if (!b.subarray(0, 4).equals(ANNOUNCEMENT_MAGIC)) return 'bad magic';
  if (b[4] !== ANNOUNCEMENT_VERSION) return 'unknown version';
  const flags = b[5]!;
  if ((flags & ~FLAG_RACK_ID) !== 0) return 'reserved flags set';
  const spdmPort = b.readUInt16BE(6);
  if (spdmPort === 0) return 'port 0';
  const n = b[8]!;
  if (n === 0 || n > MAX_SLED_ID_BYTES) return 'bad sled id length';
  const want = HEADER_BYTES + n + ((flags & FLAG_RACK_ID) !== 0 ? RACK_ID_BYTES : 0);
  if (b.length !== want) return 'length mismatch';
  const sledId = b.subarray(HEADER_BYTES, HEADER_BYTES + n).toString('latin1');
  if (!SLED_ID_PATTERN.test(sledId)) return 'bad sled id';
  const rackId = (flags & FLAG_RACK_ID) !== 0 ? uuidText(b.subarray(HEADER_BYTES + n)) : null;
  return { sledId, spdmPort, rackId };
}
