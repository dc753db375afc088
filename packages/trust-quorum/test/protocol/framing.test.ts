/**
 * Framing: the u32le length prefix, bounds checked before allocation, and the streaming
 * deframer under every split of a stream (conventions #5), plus a fuzz of arbitrary chunks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTrustQuorumError } from '../../src/errors.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  decodeMessage,
  encodeMessage,
  frameBytes,
  LedgerBytes,
  MessageDeframer,
  type ShareProtocolMessage,
} from '../../src/protocol/index.js';
import { Share, scalarToBytes } from '../../src/rack-secret/index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const RACK = 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6';

const messages: ShareProtocolMessage[] = [
  { type: 'GetShare', rackId: RACK, epoch: 1 },
  { type: 'Share', rackId: RACK, epoch: 1, share: new Share(2, scalarToBytes(0x1234n)) },
  { type: 'Error', code: 'Busy' },
  { type: 'Prepare', ledger: new LedgerBytes(new Uint8Array(300).fill(7)) },
  { type: 'CommitAck', rackId: RACK, epoch: 9 },
];
const encoded = messages.map(encodeMessage);
const stream = Uint8Array.from(Buffer.concat(encoded.map((m) => frameBytes(m))));

function expectInvalid(f: () => unknown, why: RegExp): void {
  try {
    f();
  } catch (e) {
    expect(isTrustQuorumError(e, 'InvalidMessage'), String(e)).toBe(true);
    expect((e as Error).message).toMatch(why);
    return;
  }
  throw new Error('no error');
}

describe('frameBytes', () => {
  it('prefixes the length as u32 little-endian', () => {
    expect(hex(frameBytes(Uint8Array.of(1, 3, 5)))).toBe('03000000010305');
  });

  it('refuses a message shorter than its header or above the maximum (RangeError)', () => {
    expect(() => frameBytes(Uint8Array.of(1))).toThrow(RangeError);
    expect(() => frameBytes(new Uint8Array(11), 10)).toThrow(RangeError);
    expect(frameBytes(new Uint8Array(10), 10).length).toBe(14);
  });
});

describe('MessageDeframer', () => {
  it('gives the same messages for the stream split at every offset (two pieces)', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new MessageDeframer();
      const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(got.map(hex)).toEqual(encoded.map(hex));
      expect(d.buffered).toBe(0);
      d.end();
    }
  });

  it('gives the same messages byte by byte', () => {
    const d = new MessageDeframer();
    const got: Uint8Array[] = [];
    for (const b of stream) got.push(...d.push(Uint8Array.of(b)));
    expect(got.map(hex)).toEqual(encoded.map(hex));
  });

  it('gives the same messages for any chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 12 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const d = new MessageDeframer();
        const got: Uint8Array[] = [];
        for (let i = 1; i < points.length; i++)
          got.push(...d.push(stream.subarray(points[i - 1], points[i])));
        expect(got.map((m) => decodeMessage(m).type)).toEqual(messages.map((m) => m.type));
      }),
    );
  });

  it('refuses a length above the maximum as soon as the 4 header bytes are in, before allocating', () => {
    const d = new MessageDeframer();
    expectInvalid(() => d.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff)), /4294967295 bytes exceeds 1048576/);
    const small = new MessageDeframer({ maxMessageBytes: 64 });
    expect(small.push(Uint8Array.of(64, 0, 0))).toEqual([]);
    expect(small.push(Uint8Array.of(0, ...new Uint8Array(64))).map((f) => f.length)).toEqual([64]);
    const tooBig = new MessageDeframer({ maxMessageBytes: 64 });
    expectInvalid(() => tooBig.push(Uint8Array.of(65, 0, 0, 0)), /65 bytes exceeds 64/);
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(1 << 20);
  });

  it('refuses lengths 0 and 1 (shorter than the version and type)', () => {
    expectInvalid(() => new MessageDeframer().push(Uint8Array.of(0, 0, 0, 0)), /shorter than its header/);
    expectInvalid(() => new MessageDeframer().push(Uint8Array.of(1, 0, 0, 0, 1)), /shorter than its header/);
  });

  it('is broken after an error: the same error again, even for good input', () => {
    const d = new MessageDeframer();
    let first: unknown;
    try {
      d.push(Uint8Array.of(0, 0, 0, 0));
    } catch (e) {
      first = e;
    }
    expect(() => d.push(stream)).toThrow(first as Error);
    expect(() => d.end()).toThrow(first as Error);
  });

  it('end() inside a frame is an error; at a boundary it is fine', () => {
    for (const cut of [1, 3, 4, 5, encoded[0]!.length + 3]) {
      const d = new MessageDeframer({ sender: 'sled-4' });
      d.push(stream.subarray(0, cut));
      try {
        d.end();
        expect.unreachable();
      } catch (e) {
        expect(isTrustQuorumError(e, 'InvalidMessage')).toBe(true);
        expect((e as { sender?: string }).sender).toBe('sled-4');
      }
    }
    const d = new MessageDeframer();
    d.push(stream.subarray(0, 4 + encoded[0]!.length));
    expect(() => d.end()).not.toThrow();
  });

  it('wipe() drops a partial frame', () => {
    const d = new MessageDeframer();
    d.push(stream.subarray(0, 10));
    expect(d.buffered).toBe(10);
    d.wipe();
    expect(d.buffered).toBe(0);
  });

  it('rejects a bad maximum (RangeError)', () => {
    expect(() => new MessageDeframer({ maxMessageBytes: 1 })).toThrow(RangeError);
    expect(() => new MessageDeframer({ maxMessageBytes: (16 << 20) + 1 })).toThrow(RangeError);
    expect(() => new MessageDeframer({ maxMessageBytes: 1.5 })).toThrow(RangeError);
  });

  it('any chunks of any bytes: frames or InvalidMessage, never more than the maximum held', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const d = new MessageDeframer({ maxMessageBytes: 100 });
        try {
          for (const c of chunks) {
            for (const frame of d.push(c)) {
              expect(frame.length).toBeLessThanOrEqual(100);
              try {
                decodeMessage(frame);
              } catch (e) {
                expect(isTrustQuorumError(e, 'InvalidMessage'), String(e)).toBe(true);
              }
            }
            expect(d.buffered).toBeLessThanOrEqual(104);
          }
          d.end();
        } catch (e) {
          expect(isTrustQuorumError(e, 'InvalidMessage'), String(e)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
