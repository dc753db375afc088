import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/codec/bytes.js';
import { ByteReader } from '../../src/codec/reader.js';
import { SpdmError } from '../../src/errors.js';
import {
  CERT_MODEL,
  type Digests,
  decodeDigests,
  decodeGetDigests,
  digestOfSlot,
  encodeDigests,
  encodeGetDigests,
  KEY_USAGE_MASK,
  slotIdsOfMask,
} from '../../src/msgs/digests.js';
import {
  encodeWith,
  loadVector,
  onlySpdmErrors,
  paramsOf,
  spdmErrorOf,
  spdmOf,
  VECTOR_FILES,
  vectorsExist,
  vectorsTitle,
} from '../auth-vectors.js';

describe.skipIf(!vectorsExist)(vectorsTitle('GET_DIGESTS / DIGESTS against libspdm vectors'), () => {
  for (const file of VECTOR_FILES) {
    it(`${file}: every GET_DIGESTS and DIGESTS decodes and re-encodes byte-exact`, () => {
      const v = loadVector(file);
      const p = paramsOf(v);
      let seen = 0;
      for (const m of v.messages.slice(6, 22)) {
        const bytes = spdmOf(v, m.index);
        if (m.name === 'GET_DIGESTS') {
          expect(toHex(encodeWith(encodeGetDigests, decodeGetDigests(bytes, p)))).toBe(m.spdm_hex);
          seen++;
        } else if (m.name === 'DIGESTS') {
          const d = decodeDigests(bytes, p);
          expect(d.provisionedSlotMask).toBe(0x03);
          expect(d.supportedSlotMask).toBe(p.version >= 0x13 ? 0x03 : 0);
          expect(d.digests).toHaveLength(2);
          expect(toHex(digestOfSlot(d, 0)!)).toBe(v.certs.responder_chain_hash_hex);
          expect(toHex(encodeWith(encodeDigests, d))).toBe(m.spdm_hex);
          seen++;
        }
      }
      expect(seen).toBe(6);
    });
  }
});

const H = 32;
const digest = (b: number) => new Uint8Array(H).fill(b);

describe('DIGESTS rules', () => {
  it('maps slot masks to slots in ascending order', () => {
    expect(slotIdsOfMask(0b1010_0101)).toEqual([0, 2, 5, 7]);
    const d: Digests = {
      code: 0x01,
      version: 0x12,
      supportedSlotMask: 0,
      provisionedSlotMask: 0b101,
      digests: [digest(1), digest(2)],
    };
    expect(digestOfSlot(d, 2)![0]).toBe(2);
    expect(digestOfSlot(d, 1)).toBeUndefined();
  });

  it('round-trips the 1.3 multi-key tail', () => {
    const d: Digests = {
      code: 0x01,
      version: 0x13,
      supportedSlotMask: 0x0f,
      provisionedSlotMask: 0x05,
      digests: [digest(1), digest(2)],
      multiKey: {
        keyPairIds: [0xa0, 0xa2],
        certificateInfos: [CERT_MODEL.DEVICE_CERT, CERT_MODEL.ALIAS_CERT],
        keyUsageMasks: [
          KEY_USAGE_MASK.KEY_EX_USE | KEY_USAGE_MASK.CHALLENGE_USE,
          KEY_USAGE_MASK.VENDOR_KEY_USE,
        ],
      },
    };
    const bytes = encodeWith(encodeDigests, d);
    expect(bytes.length).toBe(4 + 2 * (H + 4));
    expect(toHex(bytes.subarray(4 + 2 * H))).toBe('a0a2' + '0102' + '0300' + '0080');
    const back = decodeDigests(bytes, { version: 0x13, hashSize: H, multiKeyConn: true });
    expect(back).toEqual(d);
    // Without the flag the same bytes are 8 bytes too long.
    expect(() => decodeDigests(bytes, { version: 0x13, hashSize: H })).toThrow(/expected 68/);
  });

  const base = (hdr: string, n: number, tail = '') => fromHex(hdr + '11'.repeat(H * n) + tail);
  const cases: [string, Uint8Array, object, RegExp][] = [
    ['no provisioned slot', base('13010300', 0), {}, /no provisioned slot/],
    ['provisioned slot not supported', base('13010103', 2), {}, /not within SupportedSlotMask/],
    ['1.2 Param1 reserved', base('12010103', 2), { version: 0x12 }, /reserved/],
    ['digest count', base('13010303', 1), {}, /InvalidMsgSize|byte\(s\)/],
    ['trailing byte', base('13010303', 2, '00'), {}, /expected 68/],
    ['wrong code', base('13020303', 2), {}, /unexpected code/],
    ['model 4 reserved', base('13010101', 1, '00' + '04' + '0100'), { multiKeyConn: true }, /reserved/],
    ['model bits 7:3', base('13010101', 1, '00' + '81' + '0100'), { multiKeyConn: true }, /reserved/],
    ['key usage bit 4', base('13010101', 1, '00' + '01' + '1000'), { multiKeyConn: true }, /reserved/],
  ];
  for (const [what, bytes, extra, msg] of cases) {
    it(`refuses: ${what}`, () => {
      const err = spdmErrorOf(() => decodeDigests(bytes, { version: 0x13, hashSize: H, ...extra }));
      expect(err).toBeInstanceOf(SpdmError);
      expect(`${err.code} ${err.message}`).toMatch(msg);
    });
  }

  it('refuses a message carrying another version than the negotiated one', () => {
    const err = spdmErrorOf(() => decodeGetDigests(fromHex('12810000'), { version: 0x13 }));
    expect(err.code).toBe('InvalidMsgField');
    expect(err.wireCode).toBe(0x41);
  });

  it('GET_DIGESTS: Param1/Param2 reserved, exactly 4 bytes, decodes from a positioned reader', () => {
    expect(() => decodeGetDigests(fromHex('13810100'), { version: 0x13 })).toThrow(/reserved/);
    expect(() => decodeGetDigests(fromHex('1381000000'), { version: 0x13 })).toThrow(/expected 4/);
    const framed = fromHex('ffff' + '13810000');
    expect(decodeGetDigests(new ByteReader(framed, 2), { version: 0x13 }).version).toBe(0x13);
  });
});

describe('DIGESTS fuzz', () => {
  const paramsArb = fc.record({
    version: fc.constantFrom(0x10, 0x11, 0x12, 0x13),
    hashSize: fc.constantFrom(32, 48, 64),
    multiKeyConn: fc.boolean(),
  });

  it('arbitrary bytes give only SpdmError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), paramsArb, (bytes, p) => {
        const q = { ...p, multiKeyConn: p.multiKeyConn && p.version === 0x13 };
        onlySpdmErrors(() => decodeGetDigests(bytes, q));
        onlySpdmErrors(() => decodeDigests(bytes, q));
        const withHeader = Uint8Array.of(q.version, 0x01, ...bytes.subarray(0, 2), ...bytes.subarray(2));
        onlySpdmErrors(() => decodeDigests(withHeader, q));
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary valid DIGESTS round-trip', () => {
    const arb = fc
      .record({
        v13: fc.boolean(),
        hashSize: fc.constantFrom(32, 48),
        provisioned: fc.integer({ min: 1, max: 0xff }),
        extra: fc.integer({ min: 0, max: 0xff }),
        multi: fc.boolean(),
        seed: fc.uint8Array({ minLength: 64, maxLength: 64 }),
      })
      .map(({ v13, hashSize, provisioned, extra, multi, seed }) => {
        const n = slotIdsOfMask(provisioned).length;
        const slots = Array.from({ length: n }, (_, i) => i);
        const d: Digests = {
          code: 0x01,
          version: v13 ? 0x13 : 0x12,
          supportedSlotMask: v13 ? provisioned | extra : 0,
          provisionedSlotMask: provisioned,
          digests: slots.map((i) => seed.slice(i, i + hashSize)),
          ...(v13 && multi
            ? {
                multiKey: {
                  keyPairIds: slots.map((i) => seed[i]!),
                  certificateInfos: slots.map((i) => seed[i]! & 3),
                  keyUsageMasks: slots.map((i) => (seed[i]! & 0x0f) | ((seed[i + 1]! & 0xc0) << 8)),
                },
              }
            : {}),
        };
        return { d, hashSize };
      });
    fc.assert(
      fc.property(arb, ({ d, hashSize }) => {
        const bytes = encodeWith(encodeDigests, d);
        const back = decodeDigests(bytes, {
          version: d.version,
          hashSize,
          multiKeyConn: d.multiKey !== undefined,
        });
        expect(back).toEqual(d);
        expect(encodeWith(encodeDigests, back)).toEqual(bytes);
      }),
    );
  });
});
