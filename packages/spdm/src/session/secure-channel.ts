/**
 * SecureChannel: a Node Duplex (bytes, not objects) carrying application data over one
 * established SPDM session, on either side (DSP0277 records; encoding in app-data.ts).
 *
 * Writing: writes are cut into records of `maxPayload` bytes (writes queued meanwhile are cut
 * together, `_writev`, so many small writes make few records); the write callback fires once
 * the transport has taken every record of the chunk (the connection's send promise), so
 * `write()` returning false and 'drain' work as on a socket. Coalescing: when a write fills at
 * least one whole record, its remainder (a copy) is held back until the next write joins it or,
 * at the latest, the next turn of the event loop (setImmediate), so a stream of writes of any
 * size travels in full records; a write smaller than one record goes out at once, and `end()`
 * sends a held remainder first.
 * Reading: the session pushes each data record's bytes as they arrive. When the application's
 * read buffer reaches `readableHighWaterMark`, `deliver` says so and the session layer stops
 * taking frames off the connection until `drained()` resolves (the application read, through
 * `_read`), so a slow reader holds back the connection, whose socket holds back the peer
 * (backpressure end to end: application reader -> channel -> connection -> TCP).
 *
 * Ending (half-close, like TCP): `end()` sends an end-of-stream application message after the
 * pending writes; the peer's readable side then ends. When both directions have ended, the
 * requester closes the session with END_SESSION (and, when the session owns it, the
 * connection); the responder's channel closes when END_SESSION arrives. 'close' is emitted only
 * then, once the session is over (autoDestroy is off), so awaiting it means the session ended. A responder channel is
 * created with allowHalfOpen false by default, so an application that answers and returns (an
 * echo, a share server) ends its side as soon as the requester's side ends.
 *
 * Failure: a record that does not open (tampered, replayed, reordered), a sequence number that
 * would overflow, an idle timeout or a transport error destroys the channel with an SpdmError
 * ('VerifyFailed', 'SessionError', 'SequenceOverflow', 'Timeout', 'Closed', ...) and the session
 * layer closes the connection. `destroy()` by the application ends the session without waiting
 * (requester: END_SESSION is still attempted when destroyed without an error).
 */
import { Duplex } from 'node:stream';
import { SpdmError } from '../errors.js';
import type { PeerIdentity } from './peer.js';

/** What a channel needs from its session; implemented by the requester and responder sessions. */
export interface ChannelPort {
  /** Largest number of application bytes one record carries. */
  readonly maxPayload: number;
  /**
   * Seals and sends one data record carrying `payload` (one buffer, or pieces sealed as their
   * concatenation without joining them); resolves when the transport has taken it. The pieces
   * are only read until then. @throws SpdmError
   */
  sendData(payload: Uint8Array | readonly Uint8Array[]): Promise<void>;
  /** Sends the end-of-stream application message. @throws SpdmError */
  sendEnd(): Promise<void>;
  /** Both directions have ended: close the session cleanly. Must not reject. */
  finish(): Promise<void>;
  /** The application destroyed the channel (`error` null when it gave none). Must not throw. */
  abort(error: Error | null): void;
}

/** What the session layer drives a channel with (not part of the channel's public surface). */
export interface ChannelControl {
  /**
   * Bytes of one data record from the peer. False when the application's read buffer is now full:
   * take no further frame off the connection before `drained()` resolves.
   */
  deliver(payload: Uint8Array): boolean;
  /**
   * Resolves when the application wants more (it read below the high-water mark), or once the
   * channel can take no more data (ended, destroyed). Never rejects.
   */
  drained(): Promise<void>;
  /** The peer's end-of-stream message arrived. */
  peerEnded(): void;
  /** The session is over: cleanly (no error) or with `error` (the channel is destroyed). */
  terminate(error?: SpdmError): void;
}

export interface SecureChannelInit {
  readonly role: 'requester' | 'responder';
  readonly sessionId: number;
  /** The authenticated peer; null on a responder without mutual authentication. */
  readonly peer: PeerIdentity | null;
  /** Default: true for the requester, false for the responder (see the module comment). */
  readonly allowHalfOpen?: boolean;
  /** Writable high-water mark in bytes; default 64 KiB. */
  readonly writableHighWaterMark?: number;
  /** Readable high-water mark in bytes; default 64 KiB. */
  readonly readableHighWaterMark?: number;
}

export class SecureChannel extends Duplex {
  /** Which end of the session this is. */
  readonly role: 'requester' | 'responder';
  /** The session's SessionID (RspSessionID << 16 | ReqSessionID). */
  readonly sessionId: number;
  /**
   * The authenticated peer: the responder's identity on the requester side; on the responder
   * side the requester's (proven by its FINISH signature), or null without mutual authentication.
   */
  readonly peer: PeerIdentity | null;
  readonly #port: ChannelPort;
  #peerEnded = false;
  #wroteEnd = false;
  #sessionOver = false;
  #finishing = false;
  /** Wakes whoever waits in `drained()`. */
  #wake: (() => void) | undefined;
  #drained: Promise<void> | undefined;
  /** The held remainder of the last write (our copy), and its flush at the next loop turn. */
  #tail: Buffer | null = null;
  #tailFlush: NodeJS.Immediate | null = null;

  private constructor(port: ChannelPort, init: SecureChannelInit) {
    super({
      allowHalfOpen: init.allowHalfOpen ?? init.role === 'requester',
      writableHighWaterMark: init.writableHighWaterMark ?? 64 * 1024,
      readableHighWaterMark: init.readableHighWaterMark ?? 64 * 1024,
      decodeStrings: true,
      // 'close' means the session is over (END_SESSION done), not just both directions ended.
      autoDestroy: false,
    });
    if (!Number.isInteger(port.maxPayload) || port.maxPayload < 1) {
      throw new RangeError(`SecureChannel: maxPayload ${port.maxPayload}`);
    }
    this.role = init.role;
    this.sessionId = init.sessionId;
    this.peer = init.peer;
    this.#port = port;
  }

  /**
   * Creates a channel and the control its session drives it with.
   * @throws RangeError when `port.maxPayload` is not a positive integer.
   */
  static create(
    port: ChannelPort,
    init: SecureChannelInit,
  ): { channel: SecureChannel; control: ChannelControl } {
    const channel = new SecureChannel(port, init);
    return { channel, control: channel.#control() };
  }

  /** Largest number of application bytes per record. */
  get maxPayload(): number {
    return this.#port.maxPayload;
  }

  #control(): ChannelControl {
    return {
      deliver: (payload) => {
        if (this.#peerEnded || this.destroyed) return true;
        return this.push(payload);
      },
      drained: () => this.#drainedPromise(),
      peerEnded: () => {
        if (this.#peerEnded || this.destroyed) return;
        this.#peerEnded = true;
        this.push(null);
        this.#wakeReader();
        this.#maybeFinish();
      },
      terminate: (error) => this.#terminate(error),
    };
  }

  #drainedPromise(): Promise<void> {
    if (this.#peerEnded || this.destroyed || this.readableLength < this.readableHighWaterMark) {
      return Promise.resolve();
    }
    this.#drained ??= new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
    return this.#drained;
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    this.#drained = undefined;
    wake?.();
  }

  #terminate(error?: SpdmError): void {
    if (this.#sessionOver) return;
    this.#sessionOver = true;
    this.#wakeReader();
    if (error) {
      this.destroy(error);
      return;
    }
    if (!this.#peerEnded) {
      this.#peerEnded = true;
      this.push(null);
    }
    if (!this.writableEnded) this.end();
    // Closed once the application has read everything and our writes are flushed.
    let pending = (this.readableEnded ? 0 : 1) + (this.writableFinished ? 0 : 1);
    const step = (): void => {
      if (--pending <= 0) this.destroy();
    };
    if (pending === 0) this.destroy();
    if (!this.readableEnded) this.once('end', step);
    if (!this.writableFinished) this.once('finish', step);
    // Without a reader the (empty) readable side would never end.
    if (this.readableFlowing === null && this.readableLength === 0) this.resume();
  }

  #maybeFinish(): void {
    if (!this.#peerEnded || !this.#wroteEnd || this.#sessionOver || this.#finishing) return;
    this.#finishing = true;
    void this.#port.finish();
  }

  /** The application wants more: the session layer may take frames off the connection again. */
  override _read(): void {
    this.#wakeReader();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (error?: Error | null) => void): void {
    this.#send([chunk], cb);
  }

  /** Writes buffered while a record was in flight are cut into records together. */
  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    cb: (error?: Error | null) => void,
  ): void {
    this.#send(
      chunks.map((c) => c.chunk),
      cb,
    );
  }

  #send(chunks: readonly Buffer[], cb: (error?: Error | null) => void): void {
    if (this.#sessionOver) {
      this.#failWrite(new SpdmError('Closed', 'secure channel: the session has ended'), cb);
      return;
    }
    const parts = this.#takeTail(chunks);
    // Records across chunks are sealed from their pieces: no joined copy (the chunks stay
    // untouched until the write is called back, after every record was sealed).
    const { records, tail } = cutRecordParts(parts, this.#port.maxPayload);
    const sends: Promise<void>[] = [];
    try {
      for (const r of records) sends.push(this.#port.sendData(r.length === 1 ? r[0]! : r));
    } catch (e) {
      this.#failWrite(e, cb);
      return;
    }
    Promise.all(sends).then(
      () => {
        if (tail) this.#holdTail(tail);
        cb();
      },
      (e: unknown) => this.#failWrite(e, cb),
    );
  }

  /** `chunks` behind the held remainder, which is taken (its flush cancelled). */
  #takeTail(chunks: readonly Buffer[]): readonly Buffer[] {
    const tail = this.#tail;
    if (!tail) return chunks;
    this.#tail = null;
    if (this.#tailFlush) clearImmediate(this.#tailFlush);
    this.#tailFlush = null;
    return [tail, ...chunks];
  }

  #holdTail(tail: Buffer): void {
    this.#tail = tail;
    this.#tailFlush = setImmediate(() => {
      this.#tailFlush = null;
      this.#flushTail().catch((e: unknown) => this.destroy(e instanceof Error ? e : new Error(String(e))));
    });
  }

  /** Sends the held remainder now, if any. @throws SpdmError from the session */
  async #flushTail(): Promise<void> {
    const [tail] = this.#takeTail([]);
    if (!tail || this.#sessionOver) return;
    await this.#port.sendData(tail);
    tail.fill(0);
  }

  override _final(cb: (error?: Error | null) => void): void {
    if (this.#sessionOver) {
      cb();
      return;
    }
    this.#flushTail()
      .then(() => this.#port.sendEnd())
      .then(
        () => {
          this.#wroteEnd = true;
          cb();
          this.#maybeFinish();
        },
        (e: unknown) => this.#failWrite(e, cb),
      );
  }

  /** A failed write or end destroys the channel (autoDestroy is off, so Node would not). */
  #failWrite(e: unknown, cb: (error?: Error | null) => void): void {
    const err = e instanceof Error ? e : new SpdmError('Internal', String(e));
    this.destroy(err);
    cb(err);
  }

  override _destroy(error: Error | null, cb: (error?: Error | null) => void): void {
    this.#wakeReader();
    this.#takeTail([])[0]?.fill(0);
    if (!this.#sessionOver) {
      this.#sessionOver = true;
      this.#port.abort(error);
    }
    cb(error);
  }
}

/**
 * Cuts the bytes of `parts` (in order) into records of `max` bytes, each record as the list of
 * its pieces (views of `parts`, never copies). When at least one whole record was cut, the
 * remainder is returned as `tail` (a copy, since the writer may reuse its buffer once called
 * back); otherwise it is the last record.
 */
export function cutRecordParts(
  parts: readonly Uint8Array[],
  max: number,
): { records: Uint8Array[][]; tail: Buffer | null } {
  let total = 0;
  for (const p of parts) total += p.length;
  const full = Math.floor(total / max);
  const rest = total - full * max;
  const records: Uint8Array[][] = [];
  let i = 0;
  let off = 0;
  const take = (n: number): Uint8Array[] => {
    const pieces: Uint8Array[] = [];
    for (let left = n; left > 0; ) {
      const q = parts[i]!;
      const k = Math.min(left, q.length - off);
      if (k > 0) pieces.push(q.subarray(off, off + k));
      left -= k;
      off += k;
      if (off === q.length) {
        i++;
        off = 0;
      }
    }
    return pieces;
  };
  for (let r = 0; r < full; r++) records.push(take(max));
  if (rest === 0) return { records, tail: null };
  const last = take(rest);
  if (full === 0) return { records: [last], tail: null };
  return { records, tail: Buffer.concat(last, rest) };
}

/**
 * Cuts the bytes of `parts` (in order) into records of `max` bytes: a record inside one part is
 * a view of it, one across parts a joined copy (listed in `joined`, to be zeroed once sent).
 * When at least one whole record was cut, the remainder is returned as `tail` (a copy, since
 * the writer may reuse its buffer once called back); otherwise it is the last record.
 */
export function cutRecords(
  parts: readonly Uint8Array[],
  max: number,
): { records: Uint8Array[]; joined: Buffer[]; tail: Buffer | null } {
  let total = 0;
  for (const p of parts) total += p.length;
  const full = Math.floor(total / max);
  const rest = total - full * max;
  const records: Uint8Array[] = [];
  const joined: Buffer[] = [];
  let i = 0;
  let off = 0;
  const take = (n: number): Uint8Array => {
    while (i < parts.length && parts[i]!.length === off) {
      i++;
      off = 0;
    }
    const p = parts[i]!;
    if (p.length - off >= n) {
      off += n;
      return p.subarray(off - n, off);
    }
    const buf = Buffer.allocUnsafe(n);
    for (let at = 0; at < n; ) {
      const q = parts[i]!;
      const k = Math.min(n - at, q.length - off);
      buf.set(q.subarray(off, off + k), at);
      at += k;
      off += k;
      if (off === q.length) {
        i++;
        off = 0;
      }
    }
    joined.push(buf);
    return buf;
  };
  for (let r = 0; r < full; r++) records.push(take(max));
  if (rest === 0) return { records, joined, tail: null };
  const last = take(rest);
  if (full === 0) return { records: [last], joined, tail: null };
  const tail = Buffer.from(last);
  if (joined[joined.length - 1] === last) joined.pop()!.fill(0);
  return { records, joined, tail };
}
