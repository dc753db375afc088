/**
 * Framing of share-protocol messages inside a byte stream (the SPDM SecureChannel, which
 * carries application data as a stream, not as messages): each message is preceded by its
 * length as a u32 little-endian. The length is checked against a small maximum (default
 * 1 MiB) before anything is allocated for it; a length below the two header bytes is refused
 * too. `MessageDeframer` keeps the unread tail between chunks (conventions #5): any split of
 * the stream gives the same messages.
 */
import { TrustQuorumError } from '../errors.js';
import { MESSAGE_HEADER_BYTES } from './message.js';

/** Bytes of the length prefix. */
export const FRAME_HEADER_BYTES = 4;
/** Default largest message (the length prefix's value), 1 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1 << 20;
/** Largest maximum a caller may configure, 16 MiB. */
export const MAX_MESSAGE_BYTES_LIMIT = 16 << 20;

/** @throws RangeError when `max` is not an integer from 2 to 16 MiB. */
export function checkMaxMessageBytes(max: number): number {
  if (!Number.isSafeInteger(max) || max < MESSAGE_HEADER_BYTES || max > MAX_MESSAGE_BYTES_LIMIT) {
    throw new RangeError(`maxMessageBytes must be ${MESSAGE_HEADER_BYTES}..${MAX_MESSAGE_BYTES_LIMIT}`);
  }
  return max;
}

/**
 * Prefixes an encoded message with its length. The result holds whatever `message` holds:
 * zero it after sending when the message was secret.
 * @throws RangeError when the message is shorter than a header or longer than `max`.
 */
export function frameBytes(message: Uint8Array, max = DEFAULT_MAX_MESSAGE_BYTES): Uint8Array {
  if (message.length < MESSAGE_HEADER_BYTES || message.length > max) {
    throw new RangeError(`message of ${message.length} bytes cannot be framed (max ${max})`);
  }
  const out = new Uint8Array(FRAME_HEADER_BYTES + message.length);
  new DataView(out.buffer).setUint32(0, message.length, true);
  out.set(message, FRAME_HEADER_BYTES);
  return out;
}

export interface MessageDeframerInit {
  /** Largest message accepted; default 1 MiB. */
  readonly maxMessageBytes?: number;
  /** Names the peer in errors. */
  readonly sender?: string;
}

/**
 * Streaming deframer: `push` takes any chunk and returns the complete messages it finished
 * (each a fresh buffer the caller owns and should zero after decoding). After an error the
 * deframer is broken: every later call throws the same error.
 */
export class MessageDeframer {
  readonly maxMessageBytes: number;
  readonly #sender: string | undefined;
  readonly #header = new Uint8Array(FRAME_HEADER_BYTES);
  #headerFill = 0;
  #body: Uint8Array | null = null;
  #bodyFill = 0;
  #failed: TrustQuorumError | null = null;

  /** @throws RangeError for a bad maxMessageBytes. */
  constructor(init: MessageDeframerInit = {}) {
    this.maxMessageBytes = checkMaxMessageBytes(init.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    this.#sender = init.sender;
  }

  /** Bytes of an unfinished frame held (0 at a frame boundary). */
  get buffered(): number {
    return this.#headerFill + this.#bodyFill;
  }

  #fail(why: string): never {
    this.wipe();
    this.#failed = new TrustQuorumError('InvalidMessage', `share-protocol framing: ${why}`, {
      sender: this.#sender,
    });
    throw this.#failed;
  }

  /** Reads the length once the header is complete; allocates only after the bound check. */
  #startBody(): void {
    const length = new DataView(this.#header.buffer).getUint32(0, true);
    if (length > this.maxMessageBytes)
      this.#fail(`message of ${length} bytes exceeds ${this.maxMessageBytes}`);
    if (length < MESSAGE_HEADER_BYTES) this.#fail(`message of ${length} bytes is shorter than its header`);
    this.#body = new Uint8Array(length);
    this.#bodyFill = 0;
  }

  /**
   * Consumes a chunk (not kept: its bytes are copied).
   * @returns the messages completed by this chunk, in order.
   * @throws TrustQuorumError InvalidMessage for a length above the maximum or below 2.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failed !== null) throw this.#failed;
    const out: Uint8Array[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.#body === null) {
        const n = Math.min(FRAME_HEADER_BYTES - this.#headerFill, chunk.length - at);
        this.#header.set(chunk.subarray(at, at + n), this.#headerFill);
        this.#headerFill += n;
        at += n;
        if (this.#headerFill === FRAME_HEADER_BYTES) this.#startBody();
        continue;
      }
      const n = Math.min(this.#body.length - this.#bodyFill, chunk.length - at);
      this.#body.set(chunk.subarray(at, at + n), this.#bodyFill);
      this.#bodyFill += n;
      at += n;
      if (this.#bodyFill === this.#body.length) {
        out.push(this.#body);
        this.#body = null;
        this.#bodyFill = 0;
        this.#headerFill = 0;
      }
    }
    return out;
  }

  /**
   * The stream ended: fine at a frame boundary.
   * @throws TrustQuorumError InvalidMessage when a frame is unfinished.
   */
  end(): void {
    if (this.#failed !== null) throw this.#failed;
    if (this.buffered > 0) this.#fail(`stream ended inside a frame (${this.buffered} bytes held)`);
  }

  /** Zeroes and drops an unfinished frame (it may hold part of a share). */
  wipe(): void {
    this.#body?.fill(0);
    this.#body = null;
    this.#bodyFill = 0;
    this.#header.fill(0);
    this.#headerFill = 0;
  }
}
