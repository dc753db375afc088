/**
 * An in-memory connected pair for unit tests of the layers above the transport. Each side is
 * a real FramedConnection over an in-memory Duplex, so framing, deadlines, queue bounds and
 * close behave exactly as on TCP: bytes are framed and deframed, a write waits while the peer's
 * read buffer is full (so send deadlines can fire), end() and destroy() reach the peer as end
 * of stream, and writing to a destroyed end fails with EPIPE.
 */
import { Duplex } from 'node:stream';
import { FramedConnection, type FramedConnectionInit } from './connection.js';

/** One end of an in-memory byte pipe. */
class MemoryEnd extends Duplex {
  peer!: MemoryEnd;
  /** Our write waiting for the peer to drain its read buffer. */
  private blockedWrite: ((err?: Error | null) => void) | undefined;
  private eofSent = false;

  constructor(highWaterMark: number) {
    super({
      allowHalfOpen: false,
      readableHighWaterMark: highWaterMark,
      writableHighWaterMark: highWaterMark,
    });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const peer = this.peer;
    if (peer.destroyed || this.eofSent) {
      cb(Object.assign(new Error('memory peer is gone'), { code: 'EPIPE' }));
      return;
    }
    if (peer.push(Buffer.from(chunk))) cb();
    else this.blockedWrite = cb;
  }

  override _read(): void {
    const cb = this.peer.blockedWrite;
    this.peer.blockedWrite = undefined;
    cb?.();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.sendEof();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const epipe = (): Error => Object.assign(new Error('memory peer is gone'), { code: 'EPIPE' });
    const mine = this.blockedWrite;
    this.blockedWrite = undefined;
    mine?.(epipe());
    // Like closing a TCP socket: the peer reads end of stream, and its writes fail from now on.
    const theirs = this.peer.blockedWrite;
    this.peer.blockedWrite = undefined;
    theirs?.(epipe());
    this.sendEof();
    cb(err);
  }

  private sendEof(): void {
    if (this.eofSent || this.peer.destroyed) return;
    this.eofSent = true;
    this.peer.push(null);
  }
}

/** Two connected in-memory Duplex streams (bytes written to one are read from the other). */
export function memoryDuplexPair(highWaterMark = 64 * 1024): [Duplex, Duplex] {
  const a = new MemoryEnd(highWaterMark);
  const b = new MemoryEnd(highWaterMark);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

export interface MemoryPairInit extends FramedConnectionInit {
  /** Read-buffer size of each end, in bytes; default 64 KiB. */
  highWaterMark?: number;
}

/**
 * Two FramedConnections joined in memory: [a, b]; a.remoteAddress is 'memory:b' and vice versa.
 * @throws RangeError / TypeError for bad options.
 */
export function memoryConnectionPair(init: MemoryPairInit = {}): [FramedConnection, FramedConnection] {
  const [sa, sb] = memoryDuplexPair(init.highWaterMark);
  const a = new FramedConnection(sa, { ...init, remoteAddress: 'memory:b' });
  const b = new FramedConnection(sb, { ...init, remoteAddress: 'memory:a' });
  return [a, b];
}
