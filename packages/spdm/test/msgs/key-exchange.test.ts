import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../src/codec/bytes.js';
import { ByteReader } from '../../src/codec/reader.js';
import { ByteWriter } from '../../src/codec/writer.js';
import { SpdmError } from '../../src/errors.js';
import { REQUEST_CODE, RESPONSE_CODE } from '../../src/msgs/codes.js';
import { encodeToBytes as enc } from '../../src/msgs/encode.js';
import {
  decodeKeyExchange,
  decodeKeyExchangeRsp,
  encodeKeyExchange,
  encodeKeyExchangeRsp,
  encodeKeyExchangeRspSignedPart,
  type KeyExchange,
  type KeyExchangeRsp,
  type KeyExchangeRspParams,
  keyExchangeRspLayout,
  keyExchangeRspSignedPart,
  keyExchangeRspTh1Part,
  sessionIdOf,
  splitSessionId,
} from '../../src/msgs/key-exchange.js';
import {
  buildSupportedVersions,
  buildVersionSelection,
  parseSupportedVersions,
  parseVersionSelection,
  securedVersionName,
} from '../../src/msgs/opaque-data.js';
import {
  digest,
  hashName,
  hmac,
  loadVectors,
  only,
  onlySpdmError,
  sessionsOf,
  spdmBytes,
  vcaAndCt,
  vectorSuite,
  vectorsPresent,
} from './session-vectors.js';

describe.skipIf(!vectorsPresent)(vectorSuite('KEY_EXCHANGE(_RSP)'), () => {
  for (const v of loadVectors()) {
    describe(v.file, () => {
      const sessions = sessionsOf(v);

      it('has two sessions and sizes that agree with config', () => {
        expect(sessions).toHaveLength(2);
        expect(sessions[0]!.params.sigSize).toBe(v.config.signature_size);
      });

      for (const s of sessions) {
        const ke = spdmBytes(only(s, 'KEY_EXCHANGE'));
        const kr = spdmBytes(only(s, 'KEY_EXCHANGE_RSP'));
        const p = s.params;

        it(`session ${s.index}: KEY_EXCHANGE decodes and re-encodes byte for byte`, () => {
          const m = decodeKeyExchange(new ByteReader(ke), p);
          expect(toHex(enc(encodeKeyExchange, m))).toBe(toHex(ke));
          expect(m.slotId).toBe(s.ks.responder_slot_id);
          expect(m.reqSessionId).toBe(Number.parseInt(s.ks.req_session_id, 16));
          expect(m.exchangeData).toHaveLength(p.dheSize);
          const offered = parseSupportedVersions(m.opaqueData, p.version);
          expect(offered.map(securedVersionName)).toEqual(v.config.versions_offered.secured_message);
          // libspdm's opaque data is exactly what buildSupportedVersions produces.
          expect(toHex(buildSupportedVersions(p.version, offered))).toBe(toHex(m.opaqueData));
        });

        it(`session ${s.index}: KEY_EXCHANGE_RSP decodes and re-encodes byte for byte`, () => {
          const req = decodeKeyExchange(new ByteReader(ke), p);
          const m = decodeKeyExchangeRsp(new ByteReader(kr), p);
          expect(toHex(enc(encodeKeyExchangeRsp, m))).toBe(toHex(kr));
          expect(m.rspSessionId).toBe(Number.parseInt(s.ks.rsp_session_id, 16));
          expect(m.mutAuthRequested).toBe(s.ks.mut_auth_requested);
          expect(m.measurementSummaryHash !== undefined).toBe(req.measurementSummaryHashType !== 0);
          expect(m.signature).toHaveLength(p.sigSize);
          expect(toHex(m.responderVerifyData!)).toBe(s.ks.responder_verify_data);
          const offered = parseSupportedVersions(req.opaqueData, p.version);
          const selected = parseVersionSelection(m.opaqueData, p.version, offered);
          expect(securedVersionName(selected)).toBe(s.ks.secured_message_version_selected);
          expect(toHex(buildVersionSelection(p.version, selected))).toBe(toHex(m.opaqueData));
        });

        it(`session ${s.index}: session ID = RspSessionID << 16 | ReqSessionID, as on the wire`, () => {
          const req = decodeKeyExchange(new ByteReader(ke), p);
          const rsp = decodeKeyExchangeRsp(new ByteReader(kr), p);
          const id = sessionIdOf(req.reqSessionId, rsp.rspSessionId);
          expect(id).toBe(Number.parseInt(s.ks.session_id, 16));
          expect(splitSessionId(id)).toEqual({
            reqSessionId: req.reqSessionId,
            rspSessionId: rsp.rspSessionId,
          });
          const wire = s.messages.find((m) => m.secured)!.session_id_hex!;
          expect(toHex(new ByteWriter().u32le(id).finish())).toBe(wire);
        });

        it(`session ${s.index}: signed part and TH1 part give libspdm's transcript hashes`, () => {
          const h = hashName(v.config);
          const prefix = [...vcaAndCt(v, s), ke];
          const signed = keyExchangeRspSignedPart(kr, p);
          const th1 = keyExchangeRspTh1Part(kr, p);
          expect(signed.length).toBe(kr.length - p.sigSize - p.hashSize);
          expect(toHex(digest(h, [...prefix, signed]))).toBe(s.ks.key_exchange_rsp_signed_transcript_hash);
          expect(toHex(digest(h, [...prefix, th1]))).toBe(s.ks.th1_hash);
          const mac = hmac(h, fromHex(s.ks.response_finished_key), fromHex(s.ks.th1_hash));
          expect(toHex(mac)).toBe(s.ks.responder_verify_data);
          // A responder writes the same signed part from the fields.
          const m = decodeKeyExchangeRsp(new ByteReader(kr), p);
          expect(toHex(enc(encodeKeyExchangeRspSignedPart, m))).toBe(toHex(signed));
        });
      }
    });
  }
});

// ---- synthetic messages: round trips, bad inputs, fuzz ----

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const versionArb = fc.constantFrom(0x11, 0x12, 0x13);

const rspParamsArb: fc.Arbitrary<KeyExchangeRspParams> = fc.record({
  version: versionArb,
  hashSize: fc.constantFrom(32, 48, 64),
  sigSize: fc.constantFrom(64, 96, 132, 256, 512),
  dheSize: fc.constantFrom(64, 96, 132, 256, 512),
  summaryHashPresent: fc.boolean(),
  handshakeInTheClear: fc.boolean(),
});

const keArb = fc.record({ version: versionArb, dheSize: fc.constantFrom(64, 96, 132, 384) }).chain((p) =>
  fc
    .record({
      code: fc.constant(REQUEST_CODE.KEY_EXCHANGE),
      version: fc.constant(p.version),
      measurementSummaryHashType: fc.constantFrom(0 as const, 1 as const, 0xff as const),
      slotId: fc.constantFrom(0, 1, 7, 0xff),
      reqSessionId: fc.integer({ min: 0, max: 0xffff }),
      sessionPolicy: fc.integer({ min: 0, max: p.version === 0x11 ? 0 : p.version === 0x12 ? 1 : 3 }),
      randomData: bytes(32),
      exchangeData: bytes(p.dheSize),
      opaqueData: fc.uint8Array({ maxLength: 1024 }),
    })
    .map((m): [typeof p, KeyExchange] => [p, m]),
);

const krArb = rspParamsArb.chain((p) =>
  fc
    .record({
      code: fc.constant(RESPONSE_CODE.KEY_EXCHANGE_RSP),
      version: fc.constant(p.version),
      heartbeatPeriod: fc.integer({ min: 0, max: 0xff }),
      rspSessionId: fc.integer({ min: 0, max: 0xffff }),
      mutAuthRequested: fc.constantFrom(0, 1, 2, 4),
      reqSlotIdParam: fc.constantFrom(0, 3, 7, 0xf),
      randomData: bytes(32),
      exchangeData: bytes(p.dheSize),
      measurementSummaryHash: p.summaryHashPresent ? bytes(p.hashSize) : fc.constant(undefined),
      opaqueData: fc.uint8Array({ maxLength: 300 }),
      signature: bytes(p.sigSize),
      responderVerifyData: p.handshakeInTheClear ? fc.constant(undefined) : bytes(p.hashSize),
    })
    .map((m): [KeyExchangeRspParams, KeyExchangeRsp] => {
      const { measurementSummaryHash, responderVerifyData, ...rest } = m;
      return [
        p,
        {
          ...rest,
          ...(measurementSummaryHash ? { measurementSummaryHash } : {}),
          ...(responderVerifyData ? { responderVerifyData } : {}),
        },
      ];
    }),
);

describe('KEY_EXCHANGE(_RSP) structure', () => {
  it('arbitrary valid KEY_EXCHANGE round-trips', () => {
    fc.assert(
      fc.property(keArb, ([p, m]) => {
        const b = enc(encodeKeyExchange, m);
        expect(b.length).toBe(42 + p.dheSize + m.opaqueData.length);
        expect(decodeKeyExchange(new ByteReader(b), p)).toEqual(m);
      }),
    );
  });

  it('arbitrary valid KEY_EXCHANGE_RSP round-trips, and the layout points at the right bytes', () => {
    fc.assert(
      fc.property(krArb, ([p, m]) => {
        const b = enc(encodeKeyExchangeRsp, m);
        expect(decodeKeyExchangeRsp(new ByteReader(b), p)).toEqual(m);
        const l = keyExchangeRspLayout(b, p);
        expect(l.length).toBe(b.length);
        expect(toHex(b.subarray(l.opaqueDataOffset, l.signatureOffset))).toBe(toHex(m.opaqueData));
        expect(toHex(b.subarray(l.signatureOffset, l.verifyDataOffset))).toBe(toHex(m.signature));
        expect(toHex(b.subarray(l.verifyDataOffset))).toBe(toHex(m.responderVerifyData ?? new Uint8Array(0)));
        expect(keyExchangeRspTh1Part(b, p).length).toBe(
          p.handshakeInTheClear ? b.length : b.length - p.hashSize,
        );
      }),
    );
  });

  it('decodes a message that sits inside a larger buffer', () => {
    const m = fc.sample(keArb, { seed: 7, numRuns: 1 })[0]!;
    const b = concatBytes(Uint8Array.of(9, 9, 9), enc(encodeKeyExchange, m[1]), Uint8Array.of(8));
    expect(decodeKeyExchange(new ByteReader(b, 3, b.length - 1), m[0])).toEqual(m[1]);
  });

  it('session IDs: ReqSessionID is the low half', () => {
    expect(sessionIdOf(0x1234, 0xabcd)).toBe(0xabcd1234);
    expect(toHex(new ByteWriter().u32le(sessionIdOf(0x1234, 0xabcd)).finish())).toBe('3412cdab');
    expect(() => sessionIdOf(0x10000, 0)).toThrow(RangeError);
  });

  it('encoders refuse what the decoders would refuse', () => {
    const [, m] = fc.sample(keArb, { seed: 1, numRuns: 1 })[0]!;
    const w = new ByteWriter();
    expect(() => encodeKeyExchange(w, { ...m, randomData: new Uint8Array(31) })).toThrow(TypeError);
    expect(() => encodeKeyExchange(w, { ...m, slotId: 8 })).toThrow(RangeError);
    expect(() => encodeKeyExchange(w, { ...m, version: 0x11, sessionPolicy: 1 })).toThrow(RangeError);
    expect(() => encodeKeyExchange(w, { ...m, opaqueData: new Uint8Array(1025) })).toThrow(RangeError);
    const [, r] = fc.sample(krArb, { seed: 1, numRuns: 1 })[0]!;
    expect(() => encodeKeyExchangeRsp(w, { ...r, mutAuthRequested: 3 })).toThrow(RangeError);
    expect(() => encodeKeyExchangeRsp(w, { ...r, mutAuthRequested: 1, reqSlotIdParam: 9 })).toThrow(
      RangeError,
    );
  });
});

// A fixed, valid pair to mutate: SPDM 1.2, D = 64, H = 32, S = 64, summary hash present.
const P: KeyExchangeRspParams & { reqSigSize: number } = {
  version: 0x12,
  hashSize: 32,
  sigSize: 64,
  reqSigSize: 64,
  dheSize: 64,
  summaryHashPresent: true,
  handshakeInTheClear: false,
};
const KE = enc(encodeKeyExchange, {
  code: REQUEST_CODE.KEY_EXCHANGE,
  version: 0x12,
  measurementSummaryHashType: 1,
  slotId: 0,
  reqSessionId: 0xfffe,
  sessionPolicy: 1,
  randomData: new Uint8Array(32).fill(0xaa),
  exchangeData: new Uint8Array(64).fill(0xbb),
  opaqueData: buildSupportedVersions(0x12, [0x1000, 0x1100, 0x1200]),
});
const KR = enc(encodeKeyExchangeRsp, {
  code: RESPONSE_CODE.KEY_EXCHANGE_RSP,
  version: 0x12,
  heartbeatPeriod: 0,
  rspSessionId: 0xfffd,
  mutAuthRequested: 1,
  reqSlotIdParam: 0,
  randomData: new Uint8Array(32).fill(1),
  exchangeData: new Uint8Array(64).fill(2),
  measurementSummaryHash: new Uint8Array(32).fill(3),
  opaqueData: buildVersionSelection(0x12, 0x1200),
  signature: new Uint8Array(64).fill(4),
  responderVerifyData: new Uint8Array(32).fill(5),
});
const KE_OPAQUE_LEN_AT = 40 + 64;
const KR_OPAQUE_LEN_AT = 40 + 64 + 32;

function patch(b: Uint8Array, at: number, ...vals: number[]): Uint8Array {
  const c = b.slice();
  c.set(vals, at);
  return c;
}

describe('KEY_EXCHANGE(_RSP) bad inputs', () => {
  it('the unmodified messages decode', () => {
    expect(decodeKeyExchange(new ByteReader(KE), P).reqSessionId).toBe(0xfffe);
    expect(decodeKeyExchangeRsp(new ByteReader(KR), P).rspSessionId).toBe(0xfffd);
  });

  const keCases: [string, Uint8Array, string][] = [
    ['empty', new Uint8Array(0), 'InvalidMsgSize'],
    ['truncated by one byte', KE.subarray(0, KE.length - 1), 'InvalidMsgSize'],
    ['one extra byte', concatBytes(KE, Uint8Array.of(0)), 'InvalidMsgSize'],
    ['wrong code', patch(KE, 1, 0xe5), 'InvalidMsgField'],
    ['other version', patch(KE, 0, 0x13), 'InvalidMsgField'],
    ['MeasurementSummaryHashType 2', patch(KE, 2, 2), 'InvalidMsgField'],
    ['SlotID 8', patch(KE, 3, 8), 'InvalidMsgField'],
    ['SessionPolicy reserved bit', patch(KE, 6, 3), 'InvalidMsgField'],
    ['non-zero reserved byte', patch(KE, 7, 1), 'InvalidMsgField'],
    ['opaque length past end', patch(KE, KE_OPAQUE_LEN_AT, 21, 0), 'InvalidMsgSize'],
    ['opaque length short of end', patch(KE, KE_OPAQUE_LEN_AT, 19, 0), 'InvalidMsgSize'],
    ['opaque length over 1024', patch(KE, KE_OPAQUE_LEN_AT, 0x01, 0x04), 'InvalidMsgField'],
  ];
  it.each(keCases)('KEY_EXCHANGE: %s', (_name, b, code) => {
    expect(() => decodeKeyExchange(new ByteReader(b), P)).toThrow(expect.objectContaining({ code }));
  });

  it('a version mismatch carries wire code VersionMismatch', () => {
    expect(() => decodeKeyExchange(patch(KE, 0, 0x13), P)).toThrow(
      expect.objectContaining({ wireCode: 0x41 }),
    );
    expect(() => decodeKeyExchangeRsp(patch(KR, 0, 0x11), P)).toThrow(
      expect.objectContaining({ wireCode: 0x41 }),
    );
  });

  it('KEY_EXCHANGE on SPDM 1.1: SessionPolicy is reserved', () => {
    const v11 = patch(patch(KE, 0, 0x11), 6, 0);
    expect(decodeKeyExchange(new ByteReader(v11), { version: 0x11, dheSize: 64 }).sessionPolicy).toBe(0);
    expect(() => decodeKeyExchange(new ByteReader(patch(v11, 6, 1)), { version: 0x11, dheSize: 64 })).toThrow(
      expect.objectContaining({ code: 'InvalidMsgField' }),
    );
  });

  const krCases: [string, Uint8Array, KeyExchangeRspParams, string][] = [
    ['empty', new Uint8Array(0), P, 'InvalidMsgSize'],
    ['truncated by one byte', KR.subarray(0, KR.length - 1), P, 'InvalidMsgSize'],
    ['one extra byte', concatBytes(KR, Uint8Array.of(0)), P, 'InvalidMsgSize'],
    ['wrong code', patch(KR, 1, 0x65), P, 'InvalidMsgField'],
    ['other version', patch(KR, 0, 0x11), P, 'InvalidMsgField'],
    ['non-zero reserved Param2', patch(KR, 3, 1), P, 'InvalidMsgField'],
    ['MutAuthRequested 3', patch(KR, 6, 3), P, 'InvalidMsgField'],
    ['ReqSlotIDParam 8 with MutAuthRequested 1', patch(KR, 7, 8), P, 'InvalidMsgField'],
    ['ReqSlotIDParam reserved bits', patch(KR, 7, 0x10), P, 'InvalidMsgField'],
    ['opaque length past end', patch(KR, KR_OPAQUE_LEN_AT, 13, 0), P, 'InvalidMsgSize'],
    ['opaque length over 1024', patch(KR, KR_OPAQUE_LEN_AT, 0xff, 0xff), P, 'InvalidMsgField'],
    ['last 32 bytes missing', KR.subarray(0, KR.length - 32), P, 'InvalidMsgSize'],
    ['summary hash sent, not expected', KR, { ...P, summaryHashPresent: false }, 'InvalidMsgSize'],
    [
      'verify data present with HANDSHAKE_IN_THE_CLEAR',
      KR,
      { ...P, handshakeInTheClear: true },
      'InvalidMsgSize',
    ],
  ];
  it.each(krCases)('KEY_EXCHANGE_RSP: %s', (_name, b, p, code) => {
    expect(() => decodeKeyExchangeRsp(new ByteReader(b), p)).toThrow(expect.objectContaining({ code }));
    expect(() => keyExchangeRspSignedPart(b, p)).toThrow(SpdmError);
  });

  it('params that make no sense are a RangeError, not a peer error', () => {
    expect(() => decodeKeyExchange(new ByteReader(KE), { version: 0x10, dheSize: 64 })).toThrow(RangeError);
    expect(() => decodeKeyExchangeRsp(new ByteReader(KR), { ...P, sigSize: 0 })).toThrow(RangeError);
  });
});

describe('KEY_EXCHANGE(_RSP) fuzz: only SpdmError escapes', () => {
  it('arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), rspParamsArb, (b, p) => {
        onlySpdmError(() => decodeKeyExchange(new ByteReader(b), p));
        onlySpdmError(() => decodeKeyExchangeRsp(new ByteReader(b), p));
        onlySpdmError(() => keyExchangeRspTh1Part(b, p));
      }),
      { numRuns: 2000 },
    );
  });

  it('valid messages with bytes changed or cut', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(KE, KR),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        (base, edits, cut) => {
          const b = base.slice(0, base.length - (cut % 8));
          for (const [at, val] of edits) b[at % b.length] = val;
          onlySpdmError(() => decodeKeyExchange(new ByteReader(b), P));
          onlySpdmError(() => decodeKeyExchangeRsp(new ByteReader(b), P));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
