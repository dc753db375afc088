/**
 * Bounds-checked little-endian reader over a Uint8Array (conventions #3).
 * `bytes(n)` returns a view (no copy); every read checks the remaining length first and throws
 * SpdmError('InvalidMsgSize'), never RangeError, so decoders are total on any input.
 */
import { SpdmError } from '../errors.js';

export class ByteReader {
  readonly buf: Uint8Array;
  private readonly view: DataView;
  private pos: number;
  private readonly end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    if (start < 0 || end > buf.length || start > end) throw new RangeError('ByteReader: bad bounds');
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.end = end;
  }

  /** Current offset from the start of `buf`. */
  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (!Number.isInteger(n) || n < 0 || this.end - this.pos < n) {
      throw new SpdmError(
        'InvalidMsgSize',
        `truncated: ${what} needs ${n} byte(s) at offset ${this.pos}, ${this.end - this.pos} left`,
        { wireCode: 0x01 },
      );
    }
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    return this.view.getUint8(this.pos++);
  }

  u16le(what = 'u16'): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u16be(what = 'u16'): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, false);
    this.pos += 2;
    return v;
  }

  u24le(what = 'u24'): number {
    this.need(3, what);
    const v = this.view.getUint16(this.pos, true) | (this.view.getUint8(this.pos + 2) << 16);
    this.pos += 3;
    return v;
  }

  u32le(what = 'u32'): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u32be(what = 'u32'): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, false);
    this.pos += 4;
    return v;
  }

  u64le(what = 'u64'): bigint {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A view of the next n bytes (shares memory with the input). */
  bytes(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** The rest of the input, as a view. */
  rest(): Uint8Array {
    const v = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return v;
  }

  /** Skips n reserved bytes, insisting that they are zero. */
  reserved(n: number, what = 'reserved'): void {
    const b = this.bytes(n, what);
    for (const x of b) {
      if (x !== 0) {
        throw new SpdmError('InvalidMsgField', `${what}: reserved bytes must be zero`, { wireCode: 0x01 });
      }
    }
  }

  /** Skips n bytes whose value we ignore (reserved fields that peers are known to fill). */
  skip(n: number, what = 'skip'): void {
    this.need(n, what);
    this.pos += n;
  }

  /** Throws unless every byte was consumed: decoders must read exactly the declared length. */
  done(what = 'message'): void {
    if (this.pos !== this.end) {
      throw new SpdmError('InvalidMsgSize', `${what}: ${this.end - this.pos} trailing byte(s)`, {
        wireCode: 0x01,
      });
    }
  }
}
