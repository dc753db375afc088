/**
 * StreamConnection: the connection lifecycle shared by FramedConnection (connection.ts) and
 * EmuConnection (emu-connection.ts) over one Duplex stream: option defaults, remote address,
 * the FrameInbox, receive() with its deadline, guarded writes, close/destroy, end of stream
 * and the first-error-wins failure handling. Subclasses supply only how bytes become frames
 * (`consume`) and what an incomplete frame at end or reset of the stream is called.
 */
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { SpdmError } from '../errors.js';
import type { ReceiveOptions, SendOptions } from './connection.js';
import { abortError, checkTimeout, DEFAULT_TIMEOUT_MS, guard } from './deadline.js';
import type { Frame } from './frame.js';
import { FrameInbox, overrunBytes } from './inbox.js';

/** Default high-water mark of the receive queue (maxQueuedFrames). */
export const DEFAULT_MAX_QUEUED_FRAMES = 32;

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/** "host:port" with IPv6 hosts bracketed. */
export function formatAddress(host: string | undefined, port: number | undefined): string {
  const h = host ?? '?';
  return `${h.includes(':') ? `[${h}]` : h}:${port ?? '?'}`;
}

/** Lifecycle options common to every stream connection (documented on each public Init). */
export interface StreamConnectionInit {
  sendTimeoutMs?: number;
  receiveTimeoutMs?: number;
  closeTimeoutMs?: number;
  maxQueuedFrames?: number;
  remoteAddress?: string;
}

/**
 * Checks the lifecycle options (deadlines and maxQueuedFrames).
 * @throws RangeError for a bad option.
 */
export function validateStreamInit(init: StreamConnectionInit): void {
  checkTimeout(init.sendTimeoutMs, DEFAULT_TIMEOUT_MS, 'sendTimeoutMs');
  checkTimeout(init.receiveTimeoutMs, DEFAULT_TIMEOUT_MS, 'receiveTimeoutMs');
  checkTimeout(init.closeTimeoutMs, DEFAULT_TIMEOUT_MS, 'closeTimeoutMs');
  const mq = init.maxQueuedFrames ?? DEFAULT_MAX_QUEUED_FRAMES;
  if (!Number.isSafeInteger(mq) || mq < 0) throw new RangeError(`maxQueuedFrames must be >= 0, got ${mq}`);
}

/** Lifecycle of one framed connection over a Duplex stream; see the module comment. */
export abstract class StreamConnection {
  readonly remoteAddress: string;
  protected readonly stream: Duplex;
  protected readonly sendTimeoutMs: number;
  protected readonly receiveTimeoutMs: number;
  protected readonly closeTimeoutMs: number;
  protected readonly inbox: FrameInbox;
  protected error: SpdmError | undefined;
  protected readonly streamClosed: Promise<void>;

  /** `frameBytes`: the largest frame on the wire, header included (bounds a paused overrun). */
  protected constructor(stream: Duplex, init: StreamConnectionInit, frameBytes: number) {
    this.sendTimeoutMs = init.sendTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.receiveTimeoutMs = init.receiveTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.closeTimeoutMs = init.closeTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxQueuedFrames = init.maxQueuedFrames ?? DEFAULT_MAX_QUEUED_FRAMES;
    this.stream = stream;
    if (stream instanceof Socket) {
      stream.setNoDelay(true);
      this.remoteAddress = init.remoteAddress ?? formatAddress(stream.remoteAddress, stream.remotePort);
    } else {
      this.remoteAddress = init.remoteAddress ?? 'stream';
    }
    this.inbox = new FrameInbox(stream, {
      highWater: maxQueuedFrames,
      overrunBytes: overrunBytes(maxQueuedFrames, frameBytes),
      remoteAddress: this.remoteAddress,
      consume: (bytes, room) => this.consume(bytes, room),
      fail: (e) => this.fail(e),
    });
    this.streamClosed = new Promise((resolve) => {
      if (stream.destroyed) resolve();
      else stream.once('close', () => resolve());
    });
  }

  /** Attaches the stream listeners; the subclass calls it last in its constructor. */
  protected start(): void {
    const stream = this.stream;
    stream.on('error', (e) => this.fail(this.mapStreamError(e)));
    stream.on('data', (chunk: Uint8Array) => this.inbox.data(chunk));
    stream.on('end', () => this.onEnd());
    stream.on('close', () =>
      this.fail(new SpdmError('Closed', `connection to ${this.remoteAddress} closed`)),
    );
    if (stream.destroyed)
      this.fail(new SpdmError('Closed', `stream to ${this.remoteAddress} already closed`));
  }

  get failure(): SpdmError | undefined {
    return this.error;
  }

  /** Frames received and not yet taken by receive() (at most maxQueuedFrames while open). */
  get queuedFrames(): number {
    return this.inbox.queued;
  }

  /** Whether reading from the stream is paused because maxQueuedFrames frames wait unread. */
  get readingPaused(): boolean {
    return this.inbox.paused;
  }

  /** Sends one data frame (plain SPDM, or secured). @throws SpdmError */
  async send(payload: Uint8Array, opts: SendOptions = {}): Promise<void> {
    const type = opts.secured === true ? 'secured' : 'spdm';
    await this.sendFrame({ type, payload }, opts);
  }

  /** Sends any frame. @throws SpdmError */
  abstract sendFrame(frame: Frame, opts?: Omit<SendOptions, 'secured'>): Promise<void>;

  /** The next frame from the peer. @throws SpdmError */
  receive(opts: ReceiveOptions = {}): Promise<Frame> {
    return new Promise<Frame>((resolve, reject) => {
      const queued = this.inbox.take();
      if (queued !== undefined) return resolve(queued);
      if (this.error !== undefined) return reject(this.error);
      const timeoutMs = checkTimeout(opts.timeoutMs, this.receiveTimeoutMs, 'timeoutMs');
      const what = `receive from ${this.remoteAddress}`;
      if (opts.signal?.aborted) return reject(abortError(opts.signal, what));
      const disarm = guard(what, timeoutMs, opts.signal, (e) => this.fail(e));
      this.inbox.wait({
        resolve: (f) => {
          disarm();
          resolve(f);
        },
        reject: (e) => {
          disarm();
          reject(e);
        },
      });
    });
  }

  /** Flushes, half-closes and waits for the stream to close (destroying it after a deadline). */
  close(): Promise<void> {
    this.fail(new SpdmError('Closed', `connection to ${this.remoteAddress} closed locally`), false);
    return this.finish();
  }

  /** Ends the connection at once; pending operations reject with `error` or 'Closed'. */
  destroy(error?: SpdmError): void {
    this.fail(error ?? new SpdmError('Closed', `connection to ${this.remoteAddress} destroyed locally`));
    this.stream.destroy();
  }

  /** Ends the stream and waits for it to close, destroying it after closeTimeoutMs. */
  protected finish(): Promise<void> {
    if (!this.stream.destroyed) {
      if (!this.stream.writableEnded) this.stream.end();
      const timer = setTimeout(() => this.stream.destroy(), this.closeTimeoutMs);
      void this.streamClosed.then(() => clearTimeout(timer));
    }
    return this.streamClosed;
  }

  /**
   * Writes `parts` (corked when more than one: a vectored write without a copy) under a deadline
   * and signal; settles through `resolve` / `reject` when the stream took the last part. A
   * deadline or abort kills the connection.
   */
  protected writeParts(
    parts: readonly Uint8Array[],
    timeoutMs: number,
    signal: AbortSignal | undefined,
    resolve: () => void,
    reject: (e: unknown) => void,
  ): void {
    const disarm = guard(`send to ${this.remoteAddress}`, timeoutMs, signal, (e) => {
      this.fail(e);
      reject(e);
    });
    const corked = parts.length > 1;
    if (corked) this.stream.cork();
    for (let i = 0; i < parts.length - 1; i++) this.stream.write(parts[i]!);
    this.stream.write(parts[parts.length - 1]!, (err) => {
      disarm();
      if (err) {
        this.fail(this.mapStreamError(err));
        reject(this.error);
      } else if (this.error !== undefined && this.error.code !== 'Closed') {
        reject(this.error);
      } else {
        resolve();
      }
    });
    if (corked) this.stream.uncork();
  }

  /** Deframes at most `room` frames from `bytes` into the inbox; returns the bytes consumed. */
  protected abstract consume(bytes: Uint8Array, room: number): number;

  /** The error for a peer that closed mid-frame, or undefined when no frame is incomplete. */
  protected abstract endedMidFrame(): SpdmError | undefined;

  /** What a reset adds to its message about an incomplete frame ('' by default). */
  protected resetDetail(): string {
    return '';
  }

  /** Told about the first error, after the inbox is closed and before the stream is destroyed. */
  protected onFailed(_e: SpdmError): void {}

  private onEnd(): void {
    if (this.error !== undefined) return;
    this.inbox.flush(); // bytes kept back by backpressure: the last frames of the stream
    if (this.error !== undefined) return;
    const mid = this.endedMidFrame();
    if (mid !== undefined) {
      this.fail(mid);
      return;
    }
    // Clean close between frames: queued frames stay deliverable.
    this.fail(new SpdmError('Closed', `${this.remoteAddress} closed the connection`), false, true);
    if (!this.stream.writableEnded) this.stream.end();
  }

  /** Records the first error, rejects every waiter; by default destroys the stream. */
  protected fail(e: SpdmError, destroyStream = true, keepQueue = false): void {
    if (this.error !== undefined) return;
    this.error = e;
    this.inbox.close(e, keepQueue);
    this.onFailed(e);
    if (destroyStream) this.stream.destroy();
  }

  protected mapStreamError(err: unknown): SpdmError {
    const c = (err as { code?: unknown } | null)?.code;
    const code = typeof c === 'string' ? c : undefined;
    if (code !== undefined && RESET_CODES.has(code)) {
      return new SpdmError(
        'Closed',
        `connection to ${this.remoteAddress} reset (${code})${this.resetDetail()}`,
        {
          cause: err,
        },
      );
    }
    return new SpdmError('Transport', `connection to ${this.remoteAddress} failed: ${code ?? String(err)}`, {
      cause: err,
    });
  }
}
