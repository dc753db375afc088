/**
 * FramedConnection: SPDM frames over one byte stream (a net.Socket or any Duplex), with a
 * deadline and an optional AbortSignal on every send and receive.
 *
 * Lifecycle: a connection is open until its first error; from then on it is dead, the stream
 * is destroyed and every pending and future receive rejects with that error (SpdmError
 * 'Timeout', 'Closed', 'TooLarge', 'Transport' or 'Aborted'). A receive or send that times out
 * or is aborted while waiting kills the connection too, because the request/response stream
 * is then out of step; a signal that is already aborted when the call starts, or a message we
 * refuse to encode, rejects that call only. When the peer closes cleanly between frames, the
 * frames it sent before closing are still delivered, then receive rejects with 'Closed'.
 *
 * Frames that arrive before anyone receives them are queued. Reading is flow-controlled
 * (inbox.ts): once `maxQueuedFrames` frames wait unread, the stream is paused (the socket is no
 * longer read, so TCP pushes back on the peer, whose writes block) and resumed when receive() has
 * taken the queue down to half that; nothing is lost and a fast peer is never an error. Memory is
 * bounded by `maxQueuedFrames` frames, the stream's own buffers and one incomplete frame of at most
 * `maxFrameSize`. The stream's 'error' event always has a listener, so a reset or refused peer can
 * never crash the process.
 */
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { SpdmError } from '../errors.js';
import { abortError, checkTimeout, DEFAULT_TIMEOUT_MS, guard } from './deadline.js';
import type { Frame, Framing } from './frame.js';
import { checkMaxFrameSize, Deframer, encodeFrameParts } from './framing.js';
import { FrameInbox, type InboxWaiter, overrunBytes } from './inbox.js';
import { type SecuredMessageParams, securedMessageParams } from './secured-params.js';

/** Options of FramedConnection (and of connectTcp / listenTcp, which extend them). */
export interface FramedConnectionInit {
  /** Default 'dsp0287'. */
  framing?: Framing;
  /** Largest total frame (header included) accepted or sent; default 64 KiB + header. */
  maxFrameSize?: number;
  /** Default deadline of send(), in ms; default 5000. */
  sendTimeoutMs?: number;
  /** Default deadline of receive(), in ms; default 5000. */
  receiveTimeoutMs?: number;
  /** Deadline of a graceful close() before the stream is destroyed; default 5000. */
  closeTimeoutMs?: number;
  /**
   * High-water mark of the receive queue: when this many frames wait for a receive(), reading
   * from the stream pauses until receive() takes the queue down to half of it (backpressure; a
   * peer sending faster is held back, not failed). 0: read only while a receive() waits. Default 32.
   */
  maxQueuedFrames?: number;
  /** Label for remoteAddress when the stream is not a net.Socket. */
  remoteAddress?: string;
}

export interface SendOptions {
  /** Send as a DSP0277 secured record (DSP0287 type 0x06) instead of plain SPDM. */
  secured?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ReceiveOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** How a connection delimits messages: a byte-stream framing, or the spdm-emu socket protocol. */
export type TransportFraming = Framing | 'spdm-emu';

/** What upper layers need from a framed transport (TCP, in memory, or the spdm-emu socket). */
export interface TransportConnection {
  readonly framing: TransportFraming;
  /**
   * Secured-message parameters of this transport (sequence-number size, padding, inner
   * message encoding); null when it carries no secured messages. Absent on implementations
   * that predate it: `securedParamsOf(conn)` then derives them from `framing`.
   */
  readonly securedMessages?: SecuredMessageParams | null;
  /** "host:port" of the peer, or a label. */
  readonly remoteAddress: string;
  /** The error that ended the connection; undefined while it is open. */
  readonly failure: SpdmError | undefined;
  /** Sends one data frame. @throws SpdmError */
  send(payload: Uint8Array, opts?: SendOptions): Promise<void>;
  /** Sends any frame, control frames included. @throws SpdmError */
  sendFrame(frame: Frame, opts?: Omit<SendOptions, 'secured'>): Promise<void>;
  /** The next frame from the peer. @throws SpdmError */
  receive(opts?: ReceiveOptions): Promise<Frame>;
  /** Flushes, half-closes and waits for the stream to close (destroying it after a deadline). */
  close(): Promise<void>;
  /** Ends the connection at once; pending operations reject with `error` or 'Closed'. */
  destroy(error?: SpdmError): void;
}

/** Default high-water mark of the receive queue (maxQueuedFrames). */
export const DEFAULT_MAX_QUEUED_FRAMES = 32;

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

function errnoCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** "host:port" with IPv6 hosts bracketed. */
export function formatAddress(host: string | undefined, port: number | undefined): string {
  const h = host ?? '?';
  return `${h.includes(':') ? `[${h}]` : h}:${port ?? '?'}`;
}

/**
 * Checks every option of a FramedConnectionInit without opening anything.
 * @throws RangeError / TypeError for a bad option.
 */
export function validateInit(init: FramedConnectionInit): void {
  checkMaxFrameSize(init.framing ?? 'dsp0287', init.maxFrameSize);
  checkTimeout(init.sendTimeoutMs, DEFAULT_TIMEOUT_MS, 'sendTimeoutMs');
  checkTimeout(init.receiveTimeoutMs, DEFAULT_TIMEOUT_MS, 'receiveTimeoutMs');
  checkTimeout(init.closeTimeoutMs, DEFAULT_TIMEOUT_MS, 'closeTimeoutMs');
  const mq = init.maxQueuedFrames ?? DEFAULT_MAX_QUEUED_FRAMES;
  if (!Number.isSafeInteger(mq) || mq < 0) throw new RangeError(`maxQueuedFrames must be >= 0, got ${mq}`);
}

/** A framed SPDM connection over a Duplex stream; see the module comment. */
export class FramedConnection implements TransportConnection {
  readonly framing: Framing;
  /** DSP0287: libspdm's TCP parameters; length16: null (no secured messages). */
  readonly securedMessages: SecuredMessageParams | null;
  readonly remoteAddress: string;
  readonly maxFrameSize: number;
  private readonly stream: Duplex;
  private readonly deframer: Deframer;
  private readonly sendTimeoutMs: number;
  private readonly receiveTimeoutMs: number;
  private readonly closeTimeoutMs: number;
  private readonly inbox: FrameInbox;
  private error: SpdmError | undefined;
  private readonly streamClosed: Promise<void>;

  /** @throws RangeError / TypeError for bad options. */
  constructor(stream: Duplex, init: FramedConnectionInit = {}) {
    validateInit(init);
    this.framing = init.framing ?? 'dsp0287';
    this.securedMessages = securedMessageParams(this.framing === 'dsp0287' ? 'tcp' : 'length16');
    this.maxFrameSize = checkMaxFrameSize(this.framing, init.maxFrameSize);
    this.deframer = new Deframer(this.framing, { maxFrameSize: this.maxFrameSize });
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
      overrunBytes: overrunBytes(maxQueuedFrames, this.maxFrameSize),
      remoteAddress: this.remoteAddress,
      consume: (bytes, room) => this.consume(bytes, room),
      fail: (e) => this.fail(e),
    });
    this.streamClosed = new Promise((resolve) => {
      if (stream.destroyed) resolve();
      else stream.once('close', () => resolve());
    });
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

  async send(payload: Uint8Array, opts: SendOptions = {}): Promise<void> {
    const type = opts.secured === true ? 'secured' : 'spdm';
    await this.sendFrame({ type, payload }, opts);
  }

  sendFrame(frame: Frame, opts: Omit<SendOptions, 'secured'> = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.error !== undefined) return reject(this.error);
      const timeoutMs = checkTimeout(opts.timeoutMs, this.sendTimeoutMs, 'timeoutMs');
      if (opts.signal?.aborted) return reject(abortError(opts.signal, `send to ${this.remoteAddress}`));
      const parts = encodeFrameParts(this.framing, frame);
      const size = parts.reduce((n, p) => n + p.length, 0);
      if (size > this.maxFrameSize) {
        throw new SpdmError('TooLarge', `a ${size}-byte frame exceeds maxFrameSize ${this.maxFrameSize}`);
      }
      const disarm = guard(`send to ${this.remoteAddress}`, timeoutMs, opts.signal, (e) => {
        this.fail(e);
        reject(e);
      });
      // A large payload goes out as header + payload in one vectored write, without a copy.
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
    });
  }

  receive(opts: ReceiveOptions = {}): Promise<Frame> {
    return new Promise<Frame>((resolve, reject) => {
      const queued = this.inbox.take();
      if (queued !== undefined) return resolve(queued);
      if (this.error !== undefined) return reject(this.error);
      const timeoutMs = checkTimeout(opts.timeoutMs, this.receiveTimeoutMs, 'timeoutMs');
      const what = `receive from ${this.remoteAddress}`;
      if (opts.signal?.aborted) return reject(abortError(opts.signal, what));
      const waiter: InboxWaiter = {
        resolve: (f) => {
          disarm();
          resolve(f);
        },
        reject: (e) => {
          disarm();
          reject(e);
        },
      };
      const disarm = guard(what, timeoutMs, opts.signal, (e) => this.fail(e));
      this.inbox.wait(waiter);
    });
  }

  close(): Promise<void> {
    this.fail(new SpdmError('Closed', `connection to ${this.remoteAddress} closed locally`), false);
    if (!this.stream.destroyed) {
      if (!this.stream.writableEnded) this.stream.end();
      const timer = setTimeout(() => this.stream.destroy(), this.closeTimeoutMs);
      void this.streamClosed.then(() => clearTimeout(timer));
    }
    return this.streamClosed;
  }

  destroy(error?: SpdmError): void {
    this.fail(error ?? new SpdmError('Closed', `connection to ${this.remoteAddress} destroyed locally`));
    this.stream.destroy();
  }

  /** Deframes at most `room` frames from `bytes` into the inbox; returns the bytes consumed. */
  private consume(bytes: Uint8Array, room: number): number {
    let step: { frames: Frame[]; used: number };
    try {
      step = this.deframer.pushSome(bytes, room);
    } catch (e) {
      this.fail(e instanceof SpdmError ? e : new SpdmError('Internal', 'deframer failed', { cause: e }));
      return bytes.length;
    }
    for (const f of step.frames) this.inbox.put(f);
    if (this.deframer.failure !== undefined) this.fail(this.deframer.failure);
    return step.used;
  }

  private onEnd(): void {
    if (this.error !== undefined) return;
    this.inbox.flush(); // bytes kept back by backpressure: the last frames of the stream
    if (this.error !== undefined) return;
    const p = this.deframer.partial();
    if (p !== undefined) {
      this.fail(
        new SpdmError('Closed', `${this.remoteAddress} closed the connection mid-frame: ${missing(p)}`),
      );
      return;
    }
    // Clean close between frames: queued frames stay deliverable.
    this.fail(new SpdmError('Closed', `${this.remoteAddress} closed the connection`), false, true);
    if (!this.stream.writableEnded) this.stream.end();
  }

  /** Records the first error, rejects every waiter; by default destroys the stream. */
  private fail(e: SpdmError, destroyStream = true, keepQueue = false): void {
    if (this.error !== undefined) return;
    this.error = e;
    this.inbox.close(e, keepQueue);
    if (destroyStream) this.stream.destroy();
  }

  private mapStreamError(err: unknown): SpdmError {
    const code = errnoCode(err);
    if (code !== undefined && RESET_CODES.has(code)) {
      const p = this.deframer.partial();
      const mid = p === undefined ? '' : ` mid-frame: ${missing(p)}`;
      return new SpdmError('Closed', `connection to ${this.remoteAddress} reset (${code})${mid}`, {
        cause: err,
      });
    }
    return new SpdmError('Transport', `connection to ${this.remoteAddress} failed: ${code ?? String(err)}`, {
      cause: err,
    });
  }
}

function missing(p: { received: number; expected: number | undefined }): string {
  if (p.expected === undefined) return `${p.received} byte(s) of the frame header received, length unknown`;
  return `${p.expected - p.received} of ${p.expected} byte(s) missing`;
}
