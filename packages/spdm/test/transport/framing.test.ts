import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/codec/bytes.js';
import { SpdmError } from '../../src/errors.js';
import { encodeControlFrame } from '../../src/transport/dsp0287.js';
import type { Frame, Framing } from '../../src/transport/frame.js';
import { Deframer, encodeAnyFrame, encodeFrame } from '../../src/transport/framing.js';
import { LIBSPDM_DIR, LIBSPDM_TCP_FILES, type LibspdmMessage, readLibspdmJson } from '../vectors/libspdm.js';

const TCP_FILES = LIBSPDM_TCP_FILES;
const haveVectors = TCP_FILES.every((f) => existsSync(new URL(f, LIBSPDM_DIR)));

interface VectorMessage extends LibspdmMessage {
  readonly wire_hex: string;
  readonly transport_header_hex?: string;
}

function loadMessages(file: string): VectorMessage[] {
  return readLibspdmJson<{ messages: VectorMessage[] }>(file).messages;
}

/** Expected frame of a recorded TCP message: type, and payload = wire minus the binding header. */
function expectedFrame(m: VectorMessage): { type: 'spdm' | 'secured'; payload: string } {
  return { type: m.secured ? 'secured' : 'spdm', payload: m.wire_hex.slice(8) };
}

function frameView(f: Frame): { type: string; payload: string } {
  return { type: f.type, payload: toHex(f.payload) };
}

function deframeAll(framing: Framing, chunks: Uint8Array[], maxFrameSize?: number) {
  const d = new Deframer(framing, { maxFrameSize });
  const out: { type: string; payload: string }[] = [];
  for (const c of chunks) out.push(...d.push(c).map(frameView));
  return { frames: out, deframer: d };
}

function splitAt(b: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < b.length))].sort((x, y) => x - y);
  const parts: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, b.length]) {
    parts.push(b.slice(prev, p));
    prev = p;
  }
  return parts;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

const VECTOR_SUITE = haveVectors
  ? 'DSP0287 framing against the libspdm TCP recordings'
  : 'DSP0287 framing against the libspdm TCP recordings (SKIPPED: shared/vectors/libspdm not found)';

describe.skipIf(!haveVectors)(VECTOR_SUITE, () => {
  for (const file of TCP_FILES) {
    const messages = haveVectors ? loadMessages(file) : [];

    it(`${file}: every recorded frame deframes to its type and payload`, () => {
      expect(messages.length).toBeGreaterThan(40);
      for (const m of messages) {
        const { frames, deframer } = deframeAll('dsp0287', [fromHex(m.wire_hex)]);
        expect(frames, `${m.index} ${m.name}`).toEqual([expectedFrame(m)]);
        expect(deframer.partial()).toBeUndefined();
        if (!m.secured) {
          expect(m.transport_header_hex).toBe(m.wire_hex.slice(0, 8));
          expect(frames[0]!.payload).toBe(m.spdm_hex);
        }
      }
    });

    it(`${file}: encodeFrame reproduces every wire_hex byte for byte`, () => {
      for (const m of messages) {
        const e = expectedFrame(m);
        expect(toHex(encodeFrame('dsp0287', e.type, fromHex(e.payload))), `${m.index} ${m.name}`).toBe(
          m.wire_hex,
        );
      }
    });

    it(`${file}: the whole conversation as one stream, split at every byte offset`, () => {
      const stream = concat(messages.map((m) => fromHex(m.wire_hex)));
      const want = messages.map(expectedFrame);
      expect(deframeAll('dsp0287', [stream]).frames).toEqual(want);
      for (let cut = 1; cut < stream.length; cut++) {
        expect(deframeAll('dsp0287', [stream.subarray(0, cut), stream.subarray(cut)]).frames).toEqual(want);
      }
    });

    it(`${file}: random chunkings yield the same frames (fast-check)`, () => {
      const stream = concat(messages.map((m) => fromHex(m.wire_hex)));
      const want = messages.map(expectedFrame);
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 200 }), (cuts) => {
          expect(deframeAll('dsp0287', splitAt(stream, cuts)).frames).toEqual(want);
        }),
        { numRuns: 200 },
      );
    });
  }

  it('byte-at-a-time feeding yields each frame on its last byte and nothing earlier', () => {
    const m = loadMessages(TCP_FILES[0]!).find((x) => x.name === 'KEY_EXCHANGE_RSP')!;
    const wire = fromHex(m.wire_hex);
    const d = new Deframer('dsp0287');
    for (let i = 0; i < wire.length - 1; i++) {
      expect(d.push(wire.subarray(i, i + 1))).toEqual([]);
      expect(d.bufferedBytes).toBe(i + 1);
      expect(d.partial()).toEqual({ received: i + 1, expected: i >= 1 ? wire.length : undefined });
    }
    expect(d.push(wire.subarray(wire.length - 1)).map(frameView)).toEqual([expectedFrame(m)]);
    expect(d.bufferedBytes).toBe(0);
  });
});

describe('DSP0287 encoding', () => {
  it('GET_VERSION is 06 00 01 05 10 84 00 00 (PayloadLength LE = frame size - 2)', () => {
    expect(toHex(encodeFrame('dsp0287', 'spdm', fromHex('10840000')))).toBe('0600010510840000');
  });

  it('secured records get MessageType 0x06', () => {
    expect(toHex(encodeFrame('dsp0287', 'secured', fromHex('ffffffff0100aa')))).toBe(
      '09000106ffffffff0100aa',
    );
  });

  it('a 300-byte payload has PayloadLength 302 little-endian', () => {
    const f = encodeFrame('dsp0287', 'spdm', new Uint8Array(300).fill(7));
    expect(toHex(f.subarray(0, 4))).toBe('2e010105');
    expect(f.length).toBe(304);
  });

  it('control frames: RoleInquiry and error messages have PayloadLength 0', () => {
    expect(toHex(encodeControlFrame({ type: 'role-inquiry', payload: new Uint8Array(0) }))).toBe('000001bf');
    expect(toHex(encodeControlFrame({ type: 'binding-error', code: 0xc0, payload: new Uint8Array(0) }))).toBe(
      '000001c0',
    );
    expect(() =>
      encodeControlFrame({ type: 'binding-error', code: 0x05, payload: new Uint8Array(0) }),
    ).toThrow(RangeError);
  });

  it('refuses empty and oversize payloads with typed errors', () => {
    expect(() => encodeFrame('dsp0287', 'spdm', new Uint8Array(0))).toThrow(SpdmError);
    expect(() => encodeFrame('dsp0287', 'spdm', new Uint8Array(0xfffe))).toThrow(
      expect.objectContaining({ code: 'TooLarge' }),
    );
    expect(encodeFrame('dsp0287', 'spdm', new Uint8Array(0xfffd)).length).toBe(0xffff + 2);
  });
});

describe('length16 framing', () => {
  it('is a big-endian u16 length then the bare message', () => {
    expect(toHex(encodeFrame('length16', 'spdm', fromHex('10840000')))).toBe('000410840000');
    const big = encodeFrame('length16', 'spdm', new Uint8Array(0x1234));
    expect(toHex(big.subarray(0, 2))).toBe('1234');
    expect(encodeFrame('length16', 'spdm', new Uint8Array(0xffff)).length).toBe(0x10001);
  });

  it('refuses secured records and control frames: they need dsp0287', () => {
    expect(() => encodeFrame('length16', 'secured', fromHex('ffffffff'))).toThrow(
      expect.objectContaining({ code: 'Transport', message: expect.stringContaining('dsp0287') }),
    );
    expect(() => encodeAnyFrame('length16', { type: 'role-inquiry', payload: new Uint8Array(0) })).toThrow(
      expect.objectContaining({ code: 'Transport' }),
    );
  });

  it('round-trips a stream of messages split at every byte offset', () => {
    const payloads = [fromHex('10840000'), new Uint8Array(1000).map((_, i) => i & 0xff), fromHex('aa')];
    const stream = concat(payloads.map((p) => encodeFrame('length16', 'spdm', p)));
    const want = payloads.map((p) => ({ type: 'spdm', payload: toHex(p) }));
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(deframeAll('length16', [stream.subarray(0, cut), stream.subarray(cut)]).frames).toEqual(want);
    }
  });

  it('rejects a zero length', () => {
    expect(() => new Deframer('length16').push(fromHex('0000'))).toThrow(
      expect.objectContaining({ code: 'Transport' }),
    );
  });
});

describe('Deframer limits and bad headers', () => {
  for (const [framing, header] of [
    ['dsp0287', 'ffff0105'],
    ['length16', 'ffff'],
  ] as const) {
    it(`${framing}: a 0xFFFF length over maxFrameSize fails as soon as the length bytes arrive`, () => {
      const d = new Deframer(framing, { maxFrameSize: 100 });
      expect(d.push(fromHex(header.slice(0, 2)))).toEqual([]);
      expect(() => d.push(fromHex(header.slice(2, 4)))).toThrow(
        expect.objectContaining({ code: 'TooLarge' }),
      );
      expect(d.bufferedBytes).toBe(0);
      // Dead afterwards: the same error again, whatever comes next.
      expect(() => d.push(fromHex('10840000'))).toThrow(d.failure!);
    });
  }

  it('accepts a frame of exactly maxFrameSize and refuses one byte more', () => {
    const ok = encodeFrame('dsp0287', 'spdm', new Uint8Array(96));
    expect(new Deframer('dsp0287', { maxFrameSize: 100 }).push(ok)).toHaveLength(1);
    const over = encodeFrame('dsp0287', 'spdm', new Uint8Array(97));
    expect(() => new Deframer('dsp0287', { maxFrameSize: 100 }).push(over)).toThrow(
      expect.objectContaining({ code: 'TooLarge' }),
    );
  });

  it('default maxFrameSize is 64 KiB + header', () => {
    expect(new Deframer('dsp0287').maxFrameSize).toBe(65536 + 4);
    expect(new Deframer('length16').maxFrameSize).toBe(65536 + 2);
    expect(() => new Deframer('dsp0287', { maxFrameSize: 4 })).toThrow(RangeError);
  });

  it.each([
    ['PayloadLength 2 (no message)', '02000105'],
    ['PayloadLength 0 on a data type', '00000105'],
    ['PayloadLength 1', '01000106'],
    ['BindingVersion 2', '06000205'],
    ['unknown MessageType 0x07', '06000107'],
    ['unknown MessageType 0x00', '00000100'],
    ['RoleInquiry with a payload', '020001bf'],
    ['error message with a payload', '010001c1'],
  ])('dsp0287 rejects %s with a Transport error', (_name, hex) => {
    expect(() => new Deframer('dsp0287').push(fromHex(hex))).toThrow(
      expect.objectContaining({ code: 'Transport' }),
    );
  });

  it('recognises RoleInquiry and the binding error messages as control frames', () => {
    const d = new Deframer('dsp0287');
    const frames = d.push(fromHex('000001bf' + '000001c0' + '000001c3' + '000001ff' + '0600010510840000'));
    expect(frames.map((f) => (f.type === 'binding-error' ? `${f.type}:${f.code}` : f.type))).toEqual([
      'role-inquiry',
      'binding-error:192',
      'binding-error:195',
      'binding-error:255',
      'spdm',
    ]);
  });

  it('returns the frames completed before an error, then throws it on the next push', () => {
    const d = new Deframer('dsp0287');
    const frames = d.push(fromHex('0600010510840000' + '06000905'));
    expect(frames.map(frameView)).toEqual([{ type: 'spdm', payload: '10840000' }]);
    expect(d.failure?.code).toBe('Transport');
    expect(() => d.push(fromHex('00'))).toThrow(d.failure!);
  });

  it('pushSome stops after maxFrames frames and says how many bytes it took', () => {
    const d = new Deframer('dsp0287');
    const wire = fromHex('0600010510840000' + '0600010510040000' + '0600');
    const first = d.pushSome(wire, 1);
    expect(first.frames.map(frameView)).toEqual([{ type: 'spdm', payload: '10840000' }]);
    expect(first.used).toBe(8);
    const rest = d.pushSome(wire.subarray(first.used), 5);
    expect(rest.frames.map(frameView)).toEqual([{ type: 'spdm', payload: '10040000' }]);
    expect(rest.used).toBe(10);
    expect(d.partial()).toEqual({ received: 2, expected: 8 });
    expect(d.pushSome(fromHex('ff'), 0)).toEqual({ frames: [], used: 0 });
  });

  for (const framing of ['dsp0287', 'length16'] as const) {
    it(`${framing}: pushSome one frame at a time yields what push does, for any chunking (fast-check)`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 12 }),
          fc.array(fc.nat(600), { maxLength: 10 }),
          fc.integer({ min: 1, max: 3 }),
          (payloads, cuts, max) => {
            const stream = concat(payloads.map((p) => encodeFrame(framing, 'spdm', p)));
            const d = new Deframer(framing);
            const got: Frame[] = [];
            for (let chunk of splitAt(stream, cuts)) {
              while (chunk.length > 0) {
                const step = d.pushSome(chunk, max);
                expect(step.frames.length).toBeLessThanOrEqual(max);
                expect(step.used).toBeGreaterThan(0);
                got.push(...step.frames);
                chunk = chunk.subarray(step.used);
              }
            }
            expect(got.map(frameView)).toEqual(payloads.map((p) => ({ type: 'spdm', payload: toHex(p) })));
          },
        ),
        { numRuns: 200 },
      );
    });
  }

  it('payloads are independent copies of the input', () => {
    const wire = fromHex('0600010510840000');
    const [f] = new Deframer('dsp0287').push(wire);
    wire.fill(0);
    expect(toHex(f!.payload)).toBe('10840000');
  });

  for (const framing of ['dsp0287', 'length16'] as const) {
    it(`${framing}: arbitrary byte streams in arbitrary chunks give frames or SpdmError only`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }),
          fc.nat(300),
          (chunks, max) => {
            const d = new Deframer(framing, { maxFrameSize: 3 + (framing === 'dsp0287' ? 2 : 0) + max });
            for (const c of chunks) {
              try {
                for (const f of d.push(c)) {
                  expect(['spdm', 'secured', 'role-inquiry', 'binding-error']).toContain(f.type);
                  expect(f.payload.length).toBeLessThanOrEqual(d.maxFrameSize);
                }
              } catch (e) {
                expect(e).toBeInstanceOf(SpdmError);
                expect(['Transport', 'TooLarge']).toContain((e as SpdmError).code);
                return;
              }
              expect(d.bufferedBytes).toBeLessThanOrEqual(d.maxFrameSize);
            }
          },
        ),
        { numRuns: 500 },
      );
    });

    it(`${framing}: encodeFrame then Deframer round-trips arbitrary payloads in arbitrary chunks`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 8 }),
          fc.array(fc.nat(3000), { maxLength: 30 }),
          (payloads, cuts) => {
            const type = 'spdm';
            const stream = concat(payloads.map((p) => encodeFrame(framing, type, p)));
            const got = deframeAll(framing, splitAt(stream, cuts)).frames;
            expect(got).toEqual(payloads.map((p) => ({ type, payload: toHex(p) })));
          },
        ),
        { numRuns: 200 },
      );
    });
  }
});
