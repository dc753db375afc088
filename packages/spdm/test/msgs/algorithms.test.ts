import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/codec/bytes.js';
import { ALG_TYPE, BASE_ASYM_ALGO, BASE_HASH_ALGO, DHE_GROUP } from '../../src/crypto/algorithms.js';
import {
  type Algorithms,
  algorithmsSize,
  algStructValue,
  decodeAlgorithms,
  decodeNegotiateAlgorithms,
  encodeAlgorithms,
  encodeNegotiateAlgorithms,
  type NegotiateAlgorithms,
} from '../../src/msgs/algorithms.js';
import { REQUEST_CODE, RESPONSE_CODE } from '../../src/msgs/codes.js';
import { encodeToBytes } from '../../src/msgs/encode.js';
import { algorithms, mutated, negotiateAlgorithms, onlySpdmError } from './vca-arbitraries.js';

const VERSIONS = [0x10, 0x11, 0x12, 0x13] as const;

/** The recorded 1.3 MCTP request and response (spdm13_mctp_p256_aes128.json, messages 4 and 5). */
const REQ13 =
  '13e304003000010210000000010000000000000000000000000000000000000102200800032001000420100005200100';
const RSP13 =
  '13630400340001020200000010000000010000000000000000000000000000000000000002200800032001000420100005200100';

const structs = (...pairs: [number, number][]) =>
  pairs.map(([algType, algSupported]) => ({ algType, algSupported, external: [] }));

function request(v: number, over: Partial<NegotiateAlgorithms> = {}): NegotiateAlgorithms {
  return {
    code: REQUEST_CODE.NEGOTIATE_ALGORITHMS,
    version: v,
    measurementSpecification: 1,
    otherParamsSupport: v >= 0x12 ? 2 : 0,
    baseAsymAlgo: BASE_ASYM_ALGO.ECDSA_P256,
    baseHashAlgo: BASE_HASH_ALGO.SHA_256,
    melSpecification: 0,
    extAsym: [],
    extHash: [],
    algStructs: v >= 0x11 ? structs([2, 8], [3, 1], [4, 0x10], [5, 1]) : [],
    ...over,
  };
}

describe('NEGOTIATE_ALGORITHMS', () => {
  it('decodes the recorded 1.3 request field by field (Length 48, MEL 01, OtherParams 02)', () => {
    const m = decodeNegotiateAlgorithms(fromHex(REQ13));
    expect(m).toEqual(
      request(0x13, {
        baseAsymAlgo: 0x10,
        baseHashAlgo: 0x01,
        melSpecification: 1,
        algStructs: structs([2, 0x08], [3, 0x01], [4, 0x10], [5, 0x01]),
      }),
    );
    expect(toHex(encodeToBytes(encodeNegotiateAlgorithms, m))).toBe(REQ13);
  });

  it('has no AlgStructs and no OtherParams at 1.0, no OtherParams at 1.1, and Length = size', () => {
    for (const v of VERSIONS) {
      const b = encodeToBytes(encodeNegotiateAlgorithms, request(v));
      expect(b.length).toBe(v >= 0x11 ? 48 : 32);
      expect(b[4]! | (b[5]! << 8)).toBe(b.length);
      expect(b[2]).toBe(v >= 0x11 ? 4 : 0);
      expect(b[7]).toBe(v >= 0x12 ? 2 : 0);
    }
    expect(() => encodeToBytes(encodeNegotiateAlgorithms, request(0x11, { otherParamsSupport: 2 }))).toThrow(
      TypeError,
    );
  });

  it('carries extended entries and AlgExternal (AlgCount = 0x2n)', () => {
    const m = request(0x12, {
      extAsym: [{ registryId: 3, algorithmId: 0x1234 }],
      algStructs: [{ algType: 2, algSupported: 8, external: [{ registryId: 1, algorithmId: 2 }] }],
    });
    const b = encodeToBytes(encodeNegotiateAlgorithms, m);
    expect(toHex(b.subarray(28, 40))).toBe('01000000' + '03003412' + '0221' + '0800');
    expect(decodeNegotiateAlgorithms(b)).toEqual(m);
  });

  function patched(hex: string, at: number, ...bytes: number[]): Uint8Array {
    const b = fromHex(hex);
    b.set(bytes, at);
    return b;
  }

  it.each([
    ['Length larger than the message', patched(REQ13, 4, 0x31), 'InvalidMsgSize'],
    ['Length smaller than the message', patched(REQ13, 4, 0x2f), 'InvalidMsgSize'],
    ['AlgTypes not increasing', patched(REQ13, 36, 0x02), 'InvalidMsgField'],
    ['AlgType 6 before 1.4', patched(REQ13, 44, 0x06), 'InvalidMsgField'],
    ['AlgType 1', patched(REQ13, 32, 0x01), 'InvalidMsgField'],
    ['fixed-field size 3', patched(REQ13, 33, 0x30), 'InvalidMsgField'],
    ['more AlgStructs than bytes', patched(REQ13, 2, 0x05), 'InvalidMsgSize'],
    ['reserved byte set', patched(REQ13, 20, 0x01), 'InvalidMsgField'],
    ['Param2 set', patched(REQ13, 3, 0x01), 'InvalidMsgField'],
    ['MEL byte at 1.2', patched(REQ13.replace(/^13/, '12'), 31, 0x01), 'InvalidMsgField'],
    ['version 1.4', patched(REQ13, 0, 0x14), 'VersionMismatch'],
  ])('refuses %s', (_name, b, code) => {
    expect(() => decodeNegotiateAlgorithms(b)).toThrow(expect.objectContaining({ code }));
  });

  it('refuses Length > 128 and more than 20 extended entries (libspdm request limits)', () => {
    const ext = Array.from({ length: 21 }, (_, i) => ({ registryId: 0, algorithmId: i }));
    const tooMany = encodeToBytes(encodeNegotiateAlgorithms, request(0x12, { extAsym: ext, algStructs: [] }));
    expect(() => decodeNegotiateAlgorithms(tooMany)).toThrow(
      expect.objectContaining({ code: 'InvalidMsgField' }),
    );
    const long = encodeToBytes(
      encodeNegotiateAlgorithms,
      request(0x12, { extAsym: ext.slice(0, 20), algStructs: [] }),
    );
    expect(long.length).toBe(112);
    expect(decodeNegotiateAlgorithms(long).extAsym).toHaveLength(20);
    const v10 = encodeToBytes(encodeNegotiateAlgorithms, request(0x10, { extAsym: ext.slice(0, 9) }));
    expect(() => decodeNegotiateAlgorithms(v10)).toThrow(
      expect.objectContaining({ code: 'InvalidMsgField' }),
    );
  });

  it.each(VERSIONS)('round-trips at 0x%s', (v) => {
    fc.assert(
      fc.property(negotiateAlgorithms(v), (m) => {
        expect(decodeNegotiateAlgorithms(encodeToBytes(encodeNegotiateAlgorithms, m))).toEqual(m);
      }),
    );
  });
});

describe('ALGORITHMS', () => {
  it('decodes the recorded 1.3 response field by field (Length 52, single bits)', () => {
    const m = decodeAlgorithms(fromHex(RSP13));
    const want: Algorithms = {
      code: RESPONSE_CODE.ALGORITHMS,
      version: 0x13,
      measurementSpecificationSel: 1,
      otherParamsSelection: 2,
      measurementHashAlgo: 2,
      baseAsymSel: 0x10,
      baseHashSel: 1,
      melSpecificationSel: 0,
      extAsymSel: [],
      extHashSel: [],
      algStructs: structs([2, 0x08], [3, 0x01], [4, 0x10], [5, 0x01]),
    };
    expect(m).toEqual(want);
    expect(algorithmsSize(m)).toBe(52);
    expect(algStructValue(m.algStructs, ALG_TYPE.DHE)).toBe(DHE_GROUP.SECP256R1);
    expect(algStructValue([], ALG_TYPE.DHE)).toBe(0);
    expect(toHex(encodeToBytes(encodeAlgorithms, m))).toBe(RSP13);
  });

  it.each([
    ['Length mismatch', 4, 0x35, 'InvalidMsgSize'],
    ['ExtAsymSelCount 2', 32, 0x02, 'InvalidMsgField'],
    ['reserved byte 20', 20, 0x01, 'InvalidMsgField'],
    ['reserved byte 34', 34, 0x01, 'InvalidMsgField'],
    ['AlgType repeated', 40, 0x02, 'InvalidMsgField'],
  ])('refuses %s', (_name, at, value, code) => {
    const b = fromHex(RSP13);
    b[at] = value;
    expect(() => decodeAlgorithms(b)).toThrow(expect.objectContaining({ code }));
  });

  it('checks the expected version', () => {
    expect(() => decodeAlgorithms(fromHex(RSP13), { version: 0x12 })).toThrow(
      expect.objectContaining({ code: 'VersionMismatch' }),
    );
  });

  it.each(VERSIONS)('round-trips at 0x%s', (v) => {
    fc.assert(
      fc.property(algorithms(v), (m) => {
        expect(decodeAlgorithms(encodeToBytes(encodeAlgorithms, m))).toEqual(m);
      }),
    );
  });
});

describe('NEGOTIATE_ALGORITHMS / ALGORITHMS decoders are total', () => {
  it('throw only SpdmError on random and mutated bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
        onlySpdmError(() => decodeNegotiateAlgorithms(b));
        onlySpdmError(() => decodeAlgorithms(b));
      }),
      { numRuns: 3000 },
    );
    const pair = fc.constantFrom(...VERSIONS).chain((v) => fc.tuple(negotiateAlgorithms(v), algorithms(v)));
    fc.assert(
      fc.property(
        pair.chain(([q, r]) =>
          fc.tuple(
            mutated(encodeToBytes(encodeNegotiateAlgorithms, q)),
            mutated(encodeToBytes(encodeAlgorithms, r)),
          ),
        ),
        ([q, r]) => {
          onlySpdmError(() => decodeNegotiateAlgorithms(q));
          onlySpdmError(() => decodeAlgorithms(r));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
