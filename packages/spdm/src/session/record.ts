/**
 * DSP0277 secured-message records (DSP0277 1.2 §6; spdm-reference §5): seal and open one record,
 * and `RecordDirection`, the per-direction state (key, IV, expected sequence number).
 *
 * Encrypt-and-MAC record:
 *   SessionID u32le ‖ SequenceNumber (transport-defined size, LE low bytes of the 64-bit counter)
 *   ‖ Length u16le (= ciphertext + tag) ‖ AEAD( ApplicationDataLength u16le ‖ ApplicationData ‖
 *   RandomData ) ‖ Tag(16)
 * AAD = SessionID ‖ SequenceNumber (as on the wire) ‖ Length; nonce = IV XOR u64le(counter) in
 * bytes 0..7 (DSP0277 1.2; libspdm's default for 1.0/1.1 too).
 * MAC-only record (MAC_CAP without ENCRYPT_CAP): SessionID ‖ SequenceNumber ‖ Length ‖
 * ApplicationData ‖ Tag, AAD = everything before the tag, empty plaintext.
 *
 * Sequence numbers: the last value 2^64-1 is never used. libspdm refuses to encode or decode at
 * `sequence_number >= max_spdm_session_sequence_number` (default 0xFFFFFFFFFFFFFFFF), so the
 * usable counters are 0..2^64-2 and a counter that reaches 2^64-1 gives
 * SpdmError('SequenceOverflow') before a nonce is built; counters never wrap.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { inspect } from 'node:util';
import { type AeadKeys, aeadOpen, aeadSeal, aeadSealInto } from '../crypto/aead.js';
import { SpdmError } from '../errors.js';
import { ERROR_CODE } from '../msgs/codes.js';

/** Per-transport layout of a record (spdm-reference §5.3). */
export interface RecordParams {
  /** Bytes of the sequence number carried in the header: 0 (TCP, PCI DOE) or 2 (MCTP); ≤ 8. */
  readonly sequenceNumberSize: number;
  /** Random padding sealRecord adds when none is given: a length drawn from min..max. */
  readonly minPadding: number;
  readonly maxPadding: number;
  /** MAC-only session (no ENCRYPT_CAP): no ApplicationDataLength, no padding, nothing encrypted. */
  readonly macOnly?: boolean;
}

/** MCTP (DSP0276 as libspdm builds it): 2-byte sequence number, 1-32 random padding bytes. */
export const MCTP_RECORD_PARAMS: RecordParams = { sequenceNumberSize: 2, minPadding: 1, maxPadding: 32 };
/** TCP (libspdm's DSP0287 binding): no sequence number in the header, no padding. */
export const TCP_RECORD_PARAMS: RecordParams = { sequenceNumberSize: 0, minPadding: 0, maxPadding: 0 };

/** Largest usable sequence number (2^64 - 2; see the module comment). */
export const MAX_SEQUENCE_NUMBER = 0xffff_ffff_ffff_fffen;

const TAG_SIZE = 16;
/** libspdm answers any record that fails to open with ERROR(DecryptError). */
const DECRYPT_ERROR = ERROR_CODE.DecryptError;
const SESSION_ID_SIZE = 4;
const LENGTH_SIZE = 2;
const APP_LENGTH_SIZE = 2;

function checkParams(p: RecordParams): void {
  const ok =
    Number.isInteger(p.sequenceNumberSize) &&
    p.sequenceNumberSize >= 0 &&
    p.sequenceNumberSize <= 8 &&
    Number.isInteger(p.minPadding) &&
    Number.isInteger(p.maxPadding) &&
    p.minPadding >= 0 &&
    p.maxPadding >= p.minPadding &&
    p.maxPadding <= 0xff;
  if (!ok) throw new RangeError('RecordParams out of range');
}

function checkSequence(seq: bigint): void {
  if (typeof seq !== 'bigint' || seq < 0n)
    throw new RangeError('sequence number must be a non-negative bigint');
  if (seq > MAX_SEQUENCE_NUMBER) {
    throw new SpdmError(
      'SequenceOverflow',
      'secured message: sequence number exhausted; the session must end',
    );
  }
}

function checkSessionId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new RangeError('session id must be a u32');
}

/**
 * AEAD nonce: the 12-byte IV with bytes 0..7 XORed with the sequence number little-endian.
 * @throws SpdmError('SequenceOverflow') at 2^64-1 or beyond; RangeError for a negative number.
 */
export function recordNonce(iv: Uint8Array, seq: bigint): Uint8Array {
  checkSequence(seq);
  const nonce = iv.slice();
  for (let i = 0; i < 8; i++) nonce[i] = (nonce[i] ?? 0) ^ Number((seq >> BigInt(8 * i)) & 0xffn);
  return nonce;
}

/** SessionID ‖ SequenceNumber (its low `size` bytes, LE) ‖ Length. */
function recordHeader(p: RecordParams, sessionId: number, seq: bigint, length: number): Uint8Array {
  const h = new Uint8Array(SESSION_ID_SIZE + p.sequenceNumberSize + LENGTH_SIZE);
  const v = new DataView(h.buffer);
  v.setUint32(0, sessionId, true);
  for (let i = 0; i < p.sequenceNumberSize; i++)
    h[SESSION_ID_SIZE + i] = Number((seq >> BigInt(8 * i)) & 0xffn);
  v.setUint16(SESSION_ID_SIZE + p.sequenceNumberSize, length, true);
  return h;
}

function choosePadding(p: RecordParams, padding: Uint8Array | undefined): Uint8Array {
  if (p.macOnly) {
    if (padding && padding.length > 0) throw new RangeError('MAC-only records carry no padding');
    return new Uint8Array(0);
  }
  if (padding) {
    if (padding.length < p.minPadding || padding.length > p.maxPadding) {
      throw new RangeError(`padding of ${padding.length} bytes outside ${p.minPadding}..${p.maxPadding}`);
    }
    return padding;
  }
  const n = p.minPadding === p.maxPadding ? p.minPadding : randomInt(p.minPadding, p.maxPadding + 1);
  return new Uint8Array(randomBytes(n));
}

/** A new buffer of `n` bytes that the caller fills entirely (not zeroed, never pooled). */
function uninitialized(n: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

/**
 * Seals `appData` (the inner transport header + message, spdm-reference §5.2; one buffer, or
 * parts sealed as their concatenation without joining them first) into a record.
 * `padding` fixes the RandomData (tests); when absent, `params` decide its length and it is random.
 * @throws SpdmError('SequenceOverflow') when `seq` is 2^64-1 or more.
 * @throws SpdmError('TooLarge') when the record would not fit its u16 Length field.
 * @throws RangeError for a bad session id, padding outside the params, or destroyed keys.
 */
export function sealRecord(
  params: RecordParams,
  keys: AeadKeys,
  seq: bigint,
  sessionId: number,
  appData: Uint8Array | readonly Uint8Array[],
  padding?: Uint8Array,
): Uint8Array {
  checkParams(params);
  checkSessionId(sessionId);
  const parts = appData instanceof Uint8Array ? [appData] : appData;
  let appLength = 0;
  for (const part of parts) appLength += part.length;
  const nonce = recordNonce(keys.iv, seq);
  const pad = choosePadding(params, padding);
  const body = params.macOnly ? appLength : APP_LENGTH_SIZE + appLength + pad.length;
  if (body + TAG_SIZE > 0xffff || appLength > 0xffff) {
    throw new SpdmError('TooLarge', `secured message: ${appLength} bytes of application data do not fit`);
  }
  const header = recordHeader(params, sessionId, seq, body + TAG_SIZE);
  // Every byte is written below (header, data or ciphertext, tag): no need to zero it first.
  const out = uninitialized(header.length + body + TAG_SIZE);
  out.set(header, 0);
  if (params.macOnly) {
    let at = header.length;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    const aad = out.subarray(0, at);
    const { tag } = aeadSeal(keys.aead, keys.key, nonce, aad, new Uint8Array(0));
    out.set(tag, at);
    return out;
  }
  // ApplicationDataLength ‖ ApplicationData ‖ RandomData, encrypted piecewise into `out`.
  const lengthField = Uint8Array.of(appLength & 0xff, appLength >>> 8);
  aeadSealInto(keys.aead, keys.key, nonce, header, [lengthField, ...parts, pad], out, header.length);
  return out;
}

/**
 * The SessionID of a record (to find its session before opening it).
 * @throws SpdmError('InvalidMsgSize') when the record is shorter than 4 bytes.
 */
export function recordSessionId(record: Uint8Array): number {
  if (record.length < SESSION_ID_SIZE) {
    throw new SpdmError('InvalidMsgSize', 'secured message: shorter than its SessionID', {
      wireCode: DECRYPT_ERROR,
    });
  }
  return new DataView(record.buffer, record.byteOffset, SESSION_ID_SIZE).getUint32(0, true);
}

/** Checks the header against what we expect; returns the header size. */
function checkHeader(p: RecordParams, record: Uint8Array, seq: bigint, sessionId: number): number {
  const headerSize = SESSION_ID_SIZE + p.sequenceNumberSize + LENGTH_SIZE;
  const minBody = p.macOnly ? TAG_SIZE : APP_LENGTH_SIZE + TAG_SIZE;
  if (record.length < headerSize + minBody) {
    throw new SpdmError('InvalidMsgSize', `secured message: ${record.length} bytes is too short`, {
      wireCode: DECRYPT_ERROR,
    });
  }
  if (recordSessionId(record) !== sessionId) {
    throw new SpdmError('SessionError', 'secured message: record for another session', {
      wireCode: DECRYPT_ERROR,
    });
  }
  const expected = recordHeader(p, sessionId, seq, 0);
  for (let i = SESSION_ID_SIZE; i < SESSION_ID_SIZE + p.sequenceNumberSize; i++) {
    if (record[i] !== expected[i]) {
      throw new SpdmError('SessionError', 'secured message: unexpected sequence number (replay or reorder)', {
        wireCode: DECRYPT_ERROR,
      });
    }
  }
  const length = new DataView(record.buffer, record.byteOffset).getUint16(headerSize - LENGTH_SIZE, true);
  if (length !== record.length - headerSize) {
    throw new SpdmError(
      'InvalidMsgSize',
      `secured message: Length ${length} but ${record.length - headerSize} bytes follow`,
      { wireCode: DECRYPT_ERROR },
    );
  }
  return headerSize;
}

/**
 * Opens a record sealed with `keys` at sequence number `seq` for session `sessionId`; returns
 * the ApplicationData (inner transport header + message) in a buffer of its own (a view of the
 * decrypted record; nobody else holds it). Padding is not part of the view.
 * @throws SpdmError('InvalidMsgSize') for a record too short or a Length that disagrees.
 * @throws SpdmError('SessionError') for another session id, header sequence bytes that are not
 *   the low bytes of `seq`, or an ApplicationDataLength past the decrypted data.
 * @throws SpdmError('VerifyFailed') when the tag does not verify (a replayed or reordered record
 *   on a transport without header sequence numbers fails here: its nonce differs).
 * @throws SpdmError('SequenceOverflow') when `seq` is 2^64-1 or more.
 */
export function openRecord(
  params: RecordParams,
  keys: AeadKeys,
  seq: bigint,
  sessionId: number,
  record: Uint8Array,
): Uint8Array {
  checkParams(params);
  checkSessionId(sessionId);
  const nonce = recordNonce(keys.iv, seq);
  const headerSize = checkHeader(params, record, seq, sessionId);
  const tagAt = record.length - TAG_SIZE;
  const tag = record.subarray(tagAt);
  if (params.macOnly) {
    aeadOpen(keys.aead, keys.key, nonce, record.subarray(0, tagAt), new Uint8Array(0), tag);
    return record.slice(headerSize, tagAt);
  }
  const plain = aeadOpen(
    keys.aead,
    keys.key,
    nonce,
    record.subarray(0, headerSize),
    record.subarray(headerSize, tagAt),
    tag,
  );
  const appLength = plain.length >= APP_LENGTH_SIZE ? (plain[0] ?? 0) | ((plain[1] ?? 0) << 8) : 0;
  if (plain.length < APP_LENGTH_SIZE || appLength > plain.length - APP_LENGTH_SIZE) {
    plain.fill(0);
    throw new SpdmError(
      'SessionError',
      `secured message: ApplicationDataLength ${appLength} exceeds the ${Math.max(0, plain.length - APP_LENGTH_SIZE)} decrypted bytes`,
      { wireCode: DECRYPT_ERROR },
    );
  }
  // Padding (random, public) stays behind the view; the rest of the buffer is the payload.
  return plain.subarray(APP_LENGTH_SIZE, APP_LENGTH_SIZE + appLength);
}

/** Options of a RecordDirection. */
export interface RecordDirectionInit {
  /** Refuse to use sequence numbers above this (e.g. a DSP0277 1.3 AEAD limit); default 2^64-2. */
  readonly maxSequenceNumber?: bigint;
}

/**
 * One direction of a session's record layer, sending or receiving: the AEAD keys and the next
 * sequence number. The receiver accepts only the record sealed at exactly the expected number,
 * so replays and reordering fail; the counter advances only on success.
 */
export class RecordDirection {
  readonly params: RecordParams;
  readonly sessionId: number;
  readonly #max: bigint;
  #keys: AeadKeys;
  #seq = 0n;

  /**
   * Takes ownership of `keys` (destroyed on rekey/destroy).
   * @throws RangeError for bad params, session id or limit.
   */
  constructor(params: RecordParams, keys: AeadKeys, sessionId: number, init: RecordDirectionInit = {}) {
    checkParams(params);
    checkSessionId(sessionId);
    const max = init.maxSequenceNumber ?? MAX_SEQUENCE_NUMBER;
    if (max < 0n || max > MAX_SEQUENCE_NUMBER) throw new RangeError('maxSequenceNumber out of range');
    this.params = params;
    this.sessionId = sessionId;
    this.#keys = keys;
    this.#max = max;
  }

  /** The sequence number the next record will use (sender) or must carry (receiver). */
  get sequenceNumber(): bigint {
    return this.#seq;
  }

  #checkLimit(): void {
    if (this.#seq > this.#max) {
      throw new SpdmError(
        'SequenceOverflow',
        'secured message: sequence number limit reached; update keys or end',
      );
    }
  }

  /**
   * Seals the next record.
   * @throws SpdmError('SequenceOverflow') when the counter is exhausted; see sealRecord.
   */
  seal(appData: Uint8Array | readonly Uint8Array[], padding?: Uint8Array): Uint8Array {
    this.#checkLimit();
    const rec = sealRecord(this.params, this.#keys, this.#seq, this.sessionId, appData, padding);
    this.#seq += 1n;
    return rec;
  }

  /**
   * Opens the next record; the counter advances only if it verifies.
   * @throws SpdmError as openRecord; 'SequenceOverflow' when the counter is exhausted.
   */
  open(record: Uint8Array): Uint8Array {
    this.#checkLimit();
    const app = openRecord(this.params, this.#keys, this.#seq, this.sessionId, record);
    this.#seq += 1n;
    return app;
  }

  /** Switches to new keys (KEY_UPDATE, or handshake → data keys); the counter restarts at 0. */
  rekey(keys: AeadKeys): void {
    if (keys !== this.#keys) this.#keys.destroy();
    this.#keys = keys;
    this.#seq = 0n;
  }

  /** Zeroes the keys; further use throws RangeError. */
  destroy(): void {
    this.#keys.destroy();
  }

  [inspect.custom](): string {
    return `RecordDirection { session: 0x${this.sessionId.toString(16)}, aead: '${this.#keys.aead.name}', seq: ${this.#seq} }`;
  }

  toJSON(): { sessionId: number; aead: string; sequenceNumber: string } {
    return { sessionId: this.sessionId, aead: this.#keys.aead.name, sequenceNumber: this.#seq.toString() };
  }
}
