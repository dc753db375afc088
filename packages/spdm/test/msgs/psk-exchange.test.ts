import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../../src/codec/bytes.js';
import { REQUEST_CODE, RESPONSE_CODE } from '../../src/msgs/codes.js';
import { encodeToBytes as enc } from '../../src/msgs/encode.js';
import { buildSupportedVersions, parseSupportedVersions } from '../../src/msgs/opaque-data.js';
import {
  decodePskExchange,
  decodePskExchangeRsp,
  decodePskFinish,
  decodePskFinishRsp,
  encodePskExchange,
  encodePskExchangeRsp,
  encodePskFinish,
  encodePskFinishRsp,
  type PskExchange,
  type PskExchangeRsp,
  type PskExchangeRspParams,
  pskExchangeRspTh1Part,
} from '../../src/msgs/psk-exchange.js';
import { onlySpdmError } from './session-vectors.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

const pskArb: fc.Arbitrary<PskExchange> = fc.constantFrom(0x11, 0x12, 0x13).chain((version) =>
  fc.record({
    code: fc.constant(REQUEST_CODE.PSK_EXCHANGE),
    version: fc.constant(version),
    measurementSummaryHashType: fc.constantFrom(0 as const, 1 as const, 0xff as const),
    sessionPolicy: fc.integer({ min: 0, max: version === 0x11 ? 0 : version === 0x12 ? 1 : 3 }),
    reqSessionId: fc.integer({ min: 0, max: 0xffff }),
    pskHint: fc.uint8Array({ maxLength: 16 }),
    requesterContext: fc.uint8Array({ maxLength: 64 }),
    opaqueData: fc.uint8Array({ maxLength: 64 }),
  }),
);

const rspArb = fc
  .record({
    version: fc.constantFrom(0x11, 0x12, 0x13),
    hashSize: fc.constantFrom(32, 48),
    summaryHashPresent: fc.boolean(),
  })
  .chain((p) =>
    fc
      .record({
        heartbeatPeriod: fc.integer({ min: 0, max: 255 }),
        rspSessionId: fc.integer({ min: 0, max: 0xffff }),
        summary: bytes(p.hashSize),
        responderContext: fc.uint8Array({ maxLength: 64 }),
        opaqueData: fc.uint8Array({ maxLength: 64 }),
        responderVerifyData: bytes(p.hashSize),
      })
      .map(({ summary, ...m }): [PskExchangeRspParams, PskExchangeRsp] => [
        p,
        {
          code: RESPONSE_CODE.PSK_EXCHANGE_RSP,
          version: p.version,
          ...m,
          ...(p.summaryHashPresent ? { measurementSummaryHash: summary } : {}),
        },
      ]),
  );

describe('PSK_EXCHANGE / PSK_FINISH', () => {
  it('lays PSK_EXCHANGE out as spdm-reference §2.11 says', () => {
    const m: PskExchange = {
      code: REQUEST_CODE.PSK_EXCHANGE,
      version: 0x12,
      measurementSummaryHashType: 0,
      sessionPolicy: 1,
      reqSessionId: 0xfffe,
      pskHint: Uint8Array.of(0xaa, 0xbb),
      requesterContext: new Uint8Array(3).fill(0xcc),
      opaqueData: buildSupportedVersions(0x12, [0x1200]),
    };
    const b = enc(encodePskExchange, m);
    expect(toHex(b.subarray(0, 12))).toBe('12e60001' + 'feff' + '0200' + '0300' + '1000');
    expect(toHex(b.subarray(12, 17))).toBe('aabbcccccc');
    const d = decodePskExchange(b, m);
    expect(d).toEqual(m);
    expect(parseSupportedVersions(d.opaqueData, 0x12)).toEqual([0x1200]);
  });

  it('arbitrary valid messages round-trip', () => {
    fc.assert(
      fc.property(pskArb, (m) => {
        expect(decodePskExchange(enc(encodePskExchange, m), m)).toEqual(m);
      }),
    );
    fc.assert(
      fc.property(rspArb, ([p, m]) => {
        const b = enc(encodePskExchangeRsp, m);
        expect(decodePskExchangeRsp(b, p)).toEqual(m);
        expect(pskExchangeRspTh1Part(b, p)).toHaveLength(b.length - p.hashSize);
      }),
    );
    const fin = {
      code: REQUEST_CODE.PSK_FINISH,
      version: 0x13,
      requesterVerifyData: new Uint8Array(48).fill(1),
    } as const;
    expect(decodePskFinish(enc(encodePskFinish, fin), { version: 0x13, hashSize: 48 })).toEqual(fin);
    const finRsp = { code: RESPONSE_CODE.PSK_FINISH_RSP, version: 0x13 } as const;
    expect(toHex(enc(encodePskFinishRsp, finRsp))).toBe('13670000');
    expect(decodePskFinishRsp(Uint8Array.of(0x13, 0x67, 0, 0), finRsp)).toEqual(finRsp);
  });

  const base = enc(
    encodePskExchange,
    fc.sample(
      pskArb.filter((m) => m.version === 0x12),
      { seed: 3, numRuns: 1 },
    )[0]!,
  );
  const patch = (at: number, ...v: number[]) => {
    const c = base.slice();
    c.set(v, at);
    return c;
  };
  const cases: [string, Uint8Array, string][] = [
    ['truncated', base.subarray(0, base.length - 1), 'InvalidMsgSize'],
    ['extra byte', concatBytes(base, Uint8Array.of(0)), 'InvalidMsgSize'],
    ['hint length past end', patch(6, 0xff, 0xff), 'InvalidMsgSize'],
    ['opaque length over 1024', patch(10, 0x01, 0x04), 'InvalidMsgField'],
    ['bad Param1', patch(2, 2), 'InvalidMsgField'],
    ['SessionPolicy reserved bit', patch(3, 2), 'InvalidMsgField'],
    ['wrong code', patch(1, 0xe4), 'InvalidMsgField'],
  ];
  it.each(cases)('PSK_EXCHANGE: %s', (_name, b, code) => {
    expect(() => decodePskExchange(b, { version: 0x12 })).toThrow(expect.objectContaining({ code }));
  });

  it('PSK_EXCHANGE_RSP and PSK_FINISH reject reserved bytes and wrong sizes', () => {
    const [p, m] = fc.sample(rspArb, { seed: 5, numRuns: 1 })[0]!;
    const b = enc(encodePskExchangeRsp, m);
    const r = b.slice();
    r[6] = 1;
    expect(() => decodePskExchangeRsp(r, p)).toThrow(expect.objectContaining({ code: 'InvalidMsgField' }));
    expect(() => decodePskExchangeRsp(b.subarray(0, b.length - 1), p)).toThrow(
      expect.objectContaining({ code: 'InvalidMsgSize' }),
    );
    expect(() => decodePskFinish(Uint8Array.of(0x13, 0xe7, 0, 0), { version: 0x13, hashSize: 48 })).toThrow(
      expect.objectContaining({ code: 'InvalidMsgSize' }),
    );
  });

  it('arbitrary bytes: only SpdmError escapes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 120 }),
        fc.constantFrom(0x11, 0x12, 0x13),
        fc.boolean(),
        (b, version, s) => {
          onlySpdmError(() => decodePskExchange(b, { version }));
          onlySpdmError(() => decodePskExchangeRsp(b, { version, hashSize: 32, summaryHashPresent: s }));
          onlySpdmError(() => decodePskFinish(b, { version, hashSize: 32 }));
          onlySpdmError(() => decodePskFinishRsp(b, { version }));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
