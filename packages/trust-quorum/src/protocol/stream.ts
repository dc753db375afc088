/**
 * Share-protocol messages over a byte stream (an SPDM SecureChannel, or any Duplex):
 * `MessageReader` deframes and decodes what arrives, with backpressure and a deadline per
 * message; `writeMessage` frames, writes and, for a secret message, zeroes the frame once the
 * stream has taken it. Neither logs; neither closes the stream (its owner does).
 */
import type { Readable, Writable } from 'node:stream';
import { TrustQuorumError } from '../errors.js';
import { DEFAULT_MAX_MESSAGE_BYTES, frameBytes, MessageDeframer } from './framing.js';
import {
  decodeMessage,
  encodeMessage,
  holdsSecret,
  type ShareProtocolMessage,
  zeroMessage,
} from './message.js';

export interface MessageReaderInit {
  /** Largest message accepted; default 1 MiB. */
  readonly maxMessageBytes?: number;
  /** Labels decoded shares and errors (sled id or address). */
  readonly sender?: string;
  /** Decoded messages held before the stream is paused; default 4. */
  readonly maxQueued?: number;
}

export interface NextMessageOptions {
  readonly signal?: AbortSignal;
  /** Deadline for this message, in ms; none when absent. */
  readonly timeoutMs?: number;
}

function abortedError(what: string): TrustQuorumError {
  return new TrustQuorumError('Aborted', `${what}: aborted`);
}

/** Reads messages from `stream` until it ends, fails or is closed. */
export class MessageReader {
  readonly #stream: Readable;
  readonly #deframer: MessageDeframer;
  readonly #sender: string | undefined;
  readonly #maxQueued: number;
  readonly #queue: ShareProtocolMessage[] = [];
  #error: unknown = null;
  #ended = false;
  #waiter: (() => void) | null = null;
  readonly #onDataFn = (chunk: Uint8Array): void => this.#onData(chunk);
  readonly #onEndFn = (): void => this.#onEnd();
  readonly #onErrorFn = (e: unknown): void => this.#onError(e);
  readonly #onCloseFn = (): void => this.#onClose();

  /** @throws RangeError for a bad maxMessageBytes or maxQueued. */
  constructor(stream: Readable, init: MessageReaderInit = {}) {
    this.#stream = stream;
    this.#sender = init.sender;
    this.#maxQueued = init.maxQueued ?? 4;
    if (!Number.isSafeInteger(this.#maxQueued) || this.#maxQueued < 1)
      throw new RangeError('maxQueued must be >= 1');
    this.#deframer = new MessageDeframer({ maxMessageBytes: init.maxMessageBytes, sender: init.sender });
    stream.on('data', this.#onDataFn);
    stream.on('end', this.#onEndFn);
    stream.on('error', this.#onErrorFn);
    stream.on('close', this.#onCloseFn);
  }

  #wake(): void {
    this.#waiter?.();
  }

  #onData(chunk: Uint8Array): void {
    if (this.#error !== null || this.#ended) return;
    try {
      for (const frame of this.#deframer.push(chunk)) {
        try {
          this.#queue.push(decodeMessage(frame, { sender: this.#sender }));
        } finally {
          frame.fill(0);
        }
      }
    } catch (e) {
      this.#error = e;
    }
    if (this.#queue.length >= this.#maxQueued) this.#stream.pause();
    this.#wake();
  }

  #onEnd(): void {
    if (this.#error === null) {
      try {
        this.#deframer.end();
      } catch (e) {
        this.#error = e;
      }
    }
    this.#ended = true;
    this.#wake();
  }

  #onError(e: unknown): void {
    this.#error ??= e;
    this.#deframer.wipe();
    this.#wake();
  }

  #onClose(): void {
    if (!this.#ended) {
      this.#error ??= new TrustQuorumError('Unreachable', 'connection closed before the end of the stream', {
        sender: this.#sender,
      });
    }
    this.#deframer.wipe();
    this.#wake();
  }

  #take(): ShareProtocolMessage | null | undefined {
    const m = this.#queue.shift();
    if (m !== undefined) {
      if (this.#queue.length < this.#maxQueued && this.#error === null) this.#stream.resume();
      return m;
    }
    if (this.#error !== null) throw this.#error;
    return this.#ended ? null : undefined;
  }

  /**
   * The next message, or null when the stream ended cleanly at a message boundary.
   * @throws TrustQuorumError InvalidMessage (bad framing or message), Timeout, Aborted,
   *   Unreachable (closed without an end); the stream's own error (e.g. an SpdmError).
   * @throws TypeError when another next() is pending.
   */
  async next(opts: NextMessageOptions = {}): Promise<ShareProtocolMessage | null> {
    if (this.#waiter !== null) throw new TypeError('MessageReader.next: one call at a time');
    const now = this.#take();
    if (now !== undefined) return now;
    const { signal, timeoutMs } = opts;
    if (signal?.aborted) throw abortedError('reading a message');
    return new Promise<ShareProtocolMessage | null>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#waiter = null;
      };
      const onAbort = (): void => {
        cleanup();
        reject(abortedError('reading a message'));
      };
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          cleanup();
          reject(
            new TrustQuorumError('Timeout', `no message within ${timeoutMs} ms`, { sender: this.#sender }),
          );
        }, timeoutMs);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiter = () => {
        try {
          const m = this.#take();
          if (m === undefined) return; // woken without news; keep waiting
          cleanup();
          resolve(m);
        } catch (e) {
          cleanup();
          reject(e);
        }
      };
      this.#stream.resume();
    });
  }

  /**
   * Stops reading: detaches from the stream (its owner keeps an 'error' listener) and zeroes
   * what is held.
   */
  close(): void {
    this.#stream.off('data', this.#onDataFn);
    this.#stream.off('end', this.#onEndFn);
    this.#stream.off('error', this.#onErrorFn);
    this.#stream.off('close', this.#onCloseFn);
    for (const m of this.#queue.splice(0)) zeroMessage(m);
    this.#deframer.wipe();
  }
}

export interface WriteMessageInit {
  /** Largest message; default 1 MiB. */
  readonly maxMessageBytes?: number;
}

/**
 * Frames and writes one message; resolves when the stream has taken it. The frame of a Share
 * or Prepare is zeroed then (the message's own secret holder is left alone).
 * @throws RangeError / TypeError for a message that cannot be encoded; the stream's write error.
 */
export async function writeMessage(
  stream: Writable,
  m: ShareProtocolMessage,
  init: WriteMessageInit = {},
): Promise<void> {
  const message = encodeMessage(m);
  let frame: Uint8Array;
  try {
    frame = frameBytes(message, init.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
  } finally {
    if (holdsSecret(m)) message.fill(0);
  }
  return new Promise<void>((resolve, reject) => {
    stream.write(frame, (e) => {
      if (holdsSecret(m)) frame.fill(0);
      if (e) reject(e);
      else resolve();
    });
  });
}
