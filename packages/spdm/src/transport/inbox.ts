/**
 * FrameInbox: the receive side shared by FramedConnection and EmuConnection: frames waiting for
 * a receive(), receives waiting for a frame, and flow control on the byte stream under them.
 *
 * Backpressure instead of a hard limit: bytes are deframed only while someone can take the
 * result, a waiting receive() or room in the queue (`highWater` frames). When there is no room,
 * the rest of the chunk is kept as it came (not deframed) and the stream is paused: a net.Socket
 * then stops reading, its buffers fill and TCP flow control holds the peer's writes back. Once
 * receive() has taken the queue down to the low-water mark (half of `highWater`, rounded down),
 * the kept bytes are deframed and the stream resumes. With `highWater` 0 nothing is queued:
 * bytes are read only while a receive() waits.
 *
 * Memory per connection is therefore at most `highWater` frames, the undeframed rest of the
 * chunks the stream had already handed over, and the deframer's one incomplete frame. Two things
 * cannot be paused and are bounded separately:
 * - end of stream: the peer can send nothing more, so what is kept is deframed at once (`flush`)
 *   and the queue may then exceed `highWater` by the frames of those bytes;
 * - a stream that ignores pause() and keeps emitting 'data': more than `overrunBytes` arriving
 *   while paused fails the connection with SpdmError 'Transport'.
 */
import type { Duplex } from 'node:stream';
import { SpdmError } from '../errors.js';
import type { Frame } from './frame.js';

/**
 * Bytes a stream that ignores pause() may still deliver before the connection fails: as much as
 * the queue holds at most (`highWater` frames of `frameBytes`, at least one frame).
 */
export function overrunBytes(highWater: number, frameBytes: number): number {
  return Math.max(1, highWater) * frameBytes;
}

/** A pending receive(). */
export interface InboxWaiter {
  resolve(f: Frame): void;
  reject(e: SpdmError): void;
}

export interface FrameInboxInit {
  /** Frames queued before reading pauses (the connection's maxQueuedFrames). */
  readonly highWater: number;
  /** Bytes a stream may deliver while paused before the connection fails (a stream ignoring pause). */
  readonly overrunBytes: number;
  /** Label of the peer, for errors. */
  readonly remoteAddress: string;
  /**
   * Deframes the start of `bytes` until at most `room` frames are out (handing each to `put`, or
   * handling it otherwise) and returns how many bytes it consumed; at least one unless it failed
   * the connection. Must not throw.
   */
  readonly consume: (bytes: Uint8Array, room: number) => number;
  /** Fails the connection (which then calls `close` on the inbox). */
  readonly fail: (e: SpdmError) => void;
}

/** Receive queue and read flow control of one connection; see the module comment. */
export class FrameInbox {
  readonly #stream: Duplex;
  readonly #init: FrameInboxInit;
  readonly #lowWater: number;
  readonly #queue: Frame[] = [];
  readonly #waiters: InboxWaiter[] = [];
  /** Chunks (or their undeframed rest) handed over by the stream and not deframed yet. */
  readonly #held: Uint8Array[] = [];
  #overrun = 0;
  #paused = false;
  #closed = false;

  constructor(stream: Duplex, init: FrameInboxInit) {
    this.#stream = stream;
    this.#init = init;
    this.#lowWater = Math.floor(init.highWater / 2);
  }

  /** Frames deframed and not yet taken by a receive(). */
  get queued(): number {
    return this.#queue.length;
  }

  /** Whether reading from the stream is paused by backpressure. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Hands a deframed frame to the oldest waiting receive(), or queues it. */
  put(frame: Frame): void {
    const w = this.#waiters.shift();
    if (w !== undefined) w.resolve(frame);
    else this.#queue.push(frame);
  }

  /** The oldest queued frame, if any (and reading goes on when the queue is low enough). */
  take(): Frame | undefined {
    const f = this.#queue.shift();
    if (f !== undefined) this.#pump();
    return f;
  }

  /** Registers a receive() waiting for the next frame (call only when `take()` gave none). */
  wait(w: InboxWaiter): void {
    this.#waiters.push(w);
    this.#pump();
  }

  /** A chunk from the stream's 'data' event. */
  data(chunk: Uint8Array): void {
    if (this.#closed || chunk.length === 0) return;
    if (this.#paused) {
      this.#overrun += chunk.length;
      if (this.#overrun > this.#init.overrunBytes) {
        this.#init.fail(
          new SpdmError(
            'Transport',
            `the stream from ${this.#init.remoteAddress} delivered more than ${this.#init.overrunBytes} byte(s) while paused`,
          ),
        );
        return;
      }
    }
    this.#held.push(chunk);
    this.#pump();
  }

  /** End of stream: deframes every kept byte now, whatever the queue holds (nothing more can come). */
  flush(): void {
    while (!this.#closed && this.#held.length > 0) {
      if (!this.#consumeHead(Number.POSITIVE_INFINITY)) return;
    }
  }

  /**
   * The connection failed: waiters are rejected, kept bytes dropped, the queue emptied unless
   * `keepQueue` (clean close: queued frames stay deliverable). A paused stream is resumed so that
   * its end and close can still happen (what arrives from now on is ignored).
   */
  close(e: SpdmError, keepQueue: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#held.length = 0;
    if (!keepQueue) this.#queue.length = 0;
    for (const w of this.#waiters.splice(0)) w.reject(e);
    if (this.#paused) {
      this.#paused = false;
      if (!this.#stream.destroyed) this.#stream.resume();
    }
  }

  /** Frames that can be handed over now without exceeding the high-water mark. */
  #room(): number {
    return this.#waiters.length + this.#init.highWater - this.#queue.length;
  }

  /** Deframes kept bytes while there is room, then pauses or resumes the stream. */
  #pump(): void {
    while (!this.#closed && this.#held.length > 0) {
      const room = this.#room();
      if (room <= 0) break;
      if (!this.#consumeHead(room)) return;
    }
    if (this.#closed) return;
    if (this.#held.length > 0 || this.#room() <= 0) {
      if (!this.#paused) {
        this.#paused = true;
        this.#overrun = 0;
        this.#stream.pause();
      }
    } else if (this.#paused && this.#queue.length <= this.#lowWater) {
      this.#paused = false;
      this.#stream.resume();
    }
  }

  /** Deframes from the first kept chunk; false when the connection failed meanwhile. */
  #consumeHead(room: number): boolean {
    const head = this.#held[0]!;
    const used = this.#init.consume(head, room);
    if (this.#closed) return false;
    if (!(used > 0)) {
      this.#init.fail(new SpdmError('Internal', 'deframer made no progress'));
      return false;
    }
    if (used >= head.length) this.#held.shift();
    else this.#held[0] = head.subarray(used);
    return true;
  }
}
