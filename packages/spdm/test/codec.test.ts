import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../src/codec/reader.js';
import { ByteWriter } from '../src/codec/writer.js';
import { SpdmError } from '../src/errors.js';

describe('ByteWriter / ByteReader', () => {
  it('round-trips every width little-endian', () => {
    const w = new ByteWriter(1);
    w.u8(0xab).u16le(0x1234).u24le(0x56789a).u32le(0xdeadbeef).u64le(0x0102030405060708n);
    w.u16be(0x1234).u32be(0xcafef00d).zeros(3).bytes(Uint8Array.of(9, 8));
    const b = w.finish();
    expect(Buffer.from(b).toString('hex')).toBe(
      'ab34129a7856efbeadde0807060504030201' + '1234cafef00d000000' + '0908',
    );
    const r = new ByteReader(b);
    expect(r.u8()).toBe(0xab);
    expect(r.u16le()).toBe(0x1234);
    expect(r.u24le()).toBe(0x56789a);
    expect(r.u32le()).toBe(0xdeadbeef);
    expect(r.u64le()).toBe(0x0102030405060708n);
    expect(r.u16be()).toBe(0x1234);
    expect(r.u32be()).toBe(0xcafef00d);
    r.reserved(3);
    expect([...r.bytes(2)]).toEqual([9, 8]);
    r.done();
  });

  it('bytes() returns a view, not a copy', () => {
    const buf = Uint8Array.of(1, 2, 3, 4);
    const v = new ByteReader(buf).bytes(2);
    buf[0] = 7;
    expect(v[0]).toBe(7);
  });

  it('back-fills a reserved length', () => {
    const w = new ByteWriter();
    const at = w.reserveU16le();
    w.bytes(new Uint8Array(300));
    w.patchU16le(at, 300);
    expect(new ByteReader(w.finish()).u16le()).toBe(300);
  });

  it('rejects non-zero reserved bytes, truncation and trailing bytes with typed errors', () => {
    expect(() => new ByteReader(Uint8Array.of(0, 1)).reserved(2)).toThrow(SpdmError);
    expect(() => new ByteReader(Uint8Array.of(0)).u16le()).toThrow(/truncated/);
    const r = new ByteReader(Uint8Array.of(1, 2));
    r.u8();
    expect(() => r.done()).toThrow(/trailing/);
    expect(() => new ByteWriter().u8(256)).toThrow(RangeError);
  });

  it('never reads out of bounds on arbitrary input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.array(fc.integer({ min: 0, max: 6 })), (buf, ops) => {
        const r = new ByteReader(buf);
        try {
          for (const op of ops) {
            const before = r.offset;
            [
              () => r.u8(),
              () => r.u16le(),
              () => r.u24le(),
              () => r.u32le(),
              () => r.u64le(),
              () => r.bytes(5),
              () => r.rest(),
            ][op]!();
            expect(r.offset).toBeGreaterThanOrEqual(before);
            expect(r.offset).toBeLessThanOrEqual(buf.length);
          }
        } catch (e) {
          expect(e).toBeInstanceOf(SpdmError);
        }
      }),
    );
  });
});
