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
import type { Duplex } from 'node:stream';
import { SpdmError } from '../errors.js';
import { abortError, checkTimeout } from './deadline.js';
import type { Frame, Framing } from './frame.js';
import { checkMaxFrameSize, Deframer, encodeFrameParts } from './framing.js';
import { type SecuredMessageParams, securedMessageParams } from './secured-params.js';
import { StreamConnection, validateStreamInit } from './stream-connection.js';

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

export { DEFAULT_MAX_QUEUED_FRAMES, formatAddress } from './stream-connection.js';

/**
 * Checks every option of a FramedConnectionInit without opening anything.
 * @throws RangeError / TypeError for a bad option.
 */
export function validateInit(init: FramedConnectionInit): void {
  checkMaxFrameSize(init.framing ?? 'dsp0287', init.maxFrameSize);
  validateStreamInit(init);
}

/** A framed SPDM connection over a Duplex stream; see the module comment. */
export class FramedConnection extends StreamConnection implements TransportConnection {
  readonly framing: Framing;
  /** DSP0287: libspdm's TCP parameters; length16: null (no secured messages). */
  readonly securedMessages: SecuredMessageParams | null;
  readonly maxFrameSize: number;
  private readonly deframer: Deframer;

  /** @throws RangeError / TypeError for bad options. */
  constructor(stream: Duplex, init: FramedConnectionInit = {}) {
    validateInit(init);
    const framing = init.framing ?? 'dsp0287';
    const maxFrameSize = checkMaxFrameSize(framing, init.maxFrameSize);
    super(stream, init, maxFrameSize);
    this.framing = framing;
    this.securedMessages = securedMessageParams(this.framing === 'dsp0287' ? 'tcp' : 'length16');
    this.maxFrameSize = maxFrameSize;
    this.deframer = new Deframer(this.framing, { maxFrameSize: this.maxFrameSize });
    this.start();
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
      // A large payload goes out as header + payload in one vectored write, without a copy.
      this.writeParts(parts, timeoutMs, opts.signal, resolve, reject);
    });
  }

  protected consume(bytes: Uint8Array, room: number): number {
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

  protected endedMidFrame(): SpdmError | undefined {
    const p = this.deframer.partial();
    if (p === undefined) return undefined;
    return new SpdmError('Closed', `${this.remoteAddress} closed the connection mid-frame: ${missing(p)}`);
  }

  protected override resetDetail(): string {
    const p = this.deframer.partial();
    return p === undefined ? '' : ` mid-frame: ${missing(p)}`;
  }
}

function missing(p: { received: number; expected: number | undefined }): string {
  if (p.expected === undefined) return `${p.received} byte(s) of the frame header received, length unknown`;
  return `${p.expected - p.received} of ${p.expected} byte(s) missing`;
}
