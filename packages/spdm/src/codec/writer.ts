/**
 * Growable little-endian writer (conventions #3). `reserve*` returns a position that a later
 * `patch*` back-fills, for length fields that precede their data.
 */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initial = 64) {
    this.buf = new Uint8Array(Math.max(16, initial));
    this.view = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  private checkInt(v: number, max: number, what: string): void {
    if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${what} out of range: ${v}`);
  }

  u8(v: number): this {
    this.checkInt(v, 0xff, 'u8');
    this.ensure(1);
    this.view.setUint8(this.pos++, v);
    return this;
  }

  u16le(v: number): this {
    this.checkInt(v, 0xffff, 'u16');
    this.ensure(2);
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
    return this;
  }

  u16be(v: number): this {
    this.checkInt(v, 0xffff, 'u16');
    this.ensure(2);
    this.view.setUint16(this.pos, v, false);
    this.pos += 2;
    return this;
  }

  u24le(v: number): this {
    this.checkInt(v, 0xffffff, 'u24');
    this.ensure(3);
    this.view.setUint16(this.pos, v & 0xffff, true);
    this.view.setUint8(this.pos + 2, v >>> 16);
    this.pos += 3;
    return this;
  }

  u32le(v: number): this {
    this.checkInt(v, 0xffffffff, 'u32');
    this.ensure(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
    return this;
  }

  u32be(v: number): this {
    this.checkInt(v, 0xffffffff, 'u32');
    this.ensure(4);
    this.view.setUint32(this.pos, v, false);
    this.pos += 4;
    return this;
  }

  u64le(v: bigint): this {
    if (v < 0n || v > 0xffffffffffffffffn) throw new RangeError('u64 out of range');
    this.ensure(8);
    this.view.setBigUint64(this.pos, v, true);
    this.pos += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  zeros(n: number): this {
    this.checkInt(n, 0x7fffffff, 'zeros');
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
    return this;
  }

  /** Reserves a u16le to back-fill; returns its offset. */
  reserveU16le(): number {
    const at = this.pos;
    this.u16le(0);
    return at;
  }

  patchU16le(at: number, v: number): this {
    this.checkInt(v, 0xffff, 'u16');
    if (at < 0 || at + 2 > this.pos) throw new RangeError('patch outside written data');
    this.view.setUint16(at, v, true);
    return this;
  }

  /** A copy of what was written (the internal buffer may be reused). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
