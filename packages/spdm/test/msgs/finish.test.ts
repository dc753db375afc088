import { verify, X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../src/codec/bytes.js';
import { ByteWriter } from '../../src/codec/writer.js';
import { REQUEST_CODE, RESPONSE_CODE } from '../../src/msgs/codes.js';
import { encodeToBytes as enc } from '../../src/msgs/encode.js';
import {
  decodeFinish,
  decodeFinishRsp,
  encodeFinish,
  encodeFinishRsp,
  type Finish,
  type FinishParams,
  type FinishRsp,
  type FinishRspParams,
  finishHeaderBytes,
  finishHmacPart,
  finishRspHmacPart,
  finishSignedPart,
} from '../../src/msgs/finish.js';
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

/** The DER certificates of an SPDM chain structure (Length, Reserved, RootHash(H), certs). */
function derCerts(chain: Uint8Array, hashSize: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 4 + hashSize;
  while (at < chain.length) {
    const lenByte = chain[at + 1]!;
    const n = lenByte < 0x80 ? 0 : lenByte & 0x7f;
    let len = n === 0 ? lenByte : 0;
    for (let i = 0; i < n; i++) len = len * 256 + chain[at + 2 + i]!;
    const end = at + 2 + n + len;
    out.push(chain.subarray(at, end));
    at = end;
  }
  return out;
}

/** DSP0274 1.2+ signing: prefix "dmtf-spdm-v1.x.*" x4, zero pad, context, then Hash(transcript). */
function signedMessage(version: number, context: string, transcriptHash: Uint8Array): Uint8Array {
  const prefix = Buffer.from(`dmtf-spdm-v${version >> 4}.${version & 0xf}.*`.repeat(4), 'ascii');
  const ctx = Buffer.from(context, 'ascii');
  return concatBytes(prefix, new Uint8Array(36 - ctx.length), ctx, transcriptHash);
}

describe.skipIf(!vectorsPresent)(vectorSuite('FINISH / FINISH_RSP'), () => {
  for (const v of loadVectors()) {
    describe(v.file, () => {
      for (const s of sessionsOf(v)) {
        const fin = spdmBytes(only(s, 'FINISH'));
        const finRsp = spdmBytes(only(s, 'FINISH_RSP'));
        const p = s.params;
        const h = hashName(v.config);
        const cm = v.config.mutual_auth ? [digest(h, [fromHex(v.certs.requester_chain_hex!)])] : [];
        const upToKr = () => [
          ...vcaAndCt(v, s),
          spdmBytes(only(s, 'KEY_EXCHANGE')),
          spdmBytes(only(s, 'KEY_EXCHANGE_RSP')),
          ...cm,
        ];

        it(`session ${s.index}: FINISH and FINISH_RSP decode and re-encode byte for byte`, () => {
          const m = decodeFinish(fin, p);
          expect(toHex(enc(encodeFinish, m))).toBe(toHex(fin));
          expect(m.signature !== undefined).toBe(v.config.mutual_auth);
          if (m.signature) expect(m.signature).toHaveLength(p.reqSigSize);
          expect(toHex(m.requesterVerifyData)).toBe(s.ks.requester_verify_data);
          const r = decodeFinishRsp(finRsp, p);
          expect(r.responderVerifyData).toBeUndefined();
          expect(toHex(enc(encodeFinishRsp, r))).toBe(toHex(finRsp));
        });

        it(`session ${s.index}: HMAC part gives RequesterVerifyData, whole messages give TH2`, () => {
          const part = finishHmacPart(fin, p);
          expect(part.length).toBe(fin.length - p.hashSize);
          const mac = hmac(h, fromHex(s.ks.request_finished_key), digest(h, [...upToKr(), part]));
          expect(toHex(mac)).toBe(s.ks.requester_verify_data);
          expect(toHex(digest(h, [...upToKr(), fin, finRsp]))).toBe(s.ks.th2_hash);
        });

        if (v.config.mutual_auth) {
          it(`session ${s.index}: the signed part (header) makes the requester's signature verify`, () => {
            const m = decodeFinish(fin, p);
            const signedPart = finishSignedPart(fin, p);
            expect(toHex(signedPart)).toBe(
              toHex(
                finishHeaderBytes({ version: m.version, signatureIncluded: true, reqSlotId: m.reqSlotId }),
              ),
            );
            const leaf = derCerts(fromHex(v.certs.requester_chain_hex!), p.hashSize).at(-1)!;
            const key = new X509Certificate(leaf).publicKey;
            const th = digest(h, [...upToKr(), signedPart]);
            const msg = signedMessage(p.version, 'requester-finish signing', th);
            expect(verify(h, msg, { key, dsaEncoding: 'ieee-p1363' }, m.signature!)).toBe(true);
            // The same signature does not verify over the whole message: the cut matters.
            const wrong = signedMessage(p.version, 'requester-finish signing', digest(h, [...upToKr(), fin]));
            expect(verify(h, wrong, { key, dsaEncoding: 'ieee-p1363' }, m.signature!)).toBe(false);
          });
        }
      }
    });
  }
});

// ---- synthetic: round trips, bad inputs, fuzz ----

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const finishParamsArb: fc.Arbitrary<FinishParams> = fc.record({
  version: fc.constantFrom(0x11, 0x12, 0x13),
  hashSize: fc.constantFrom(32, 48, 64),
  reqSigSize: fc.constantFrom(64, 96, 132, 256),
});

const finishArb = finishParamsArb.chain((p) =>
  fc
    .record({
      signed: fc.boolean(),
      slot: fc.constantFrom(0, 1, 7, 0xff),
      sig: bytes(p.reqSigSize),
      vd: bytes(p.hashSize),
    })
    .map(({ signed, slot, sig, vd }): [FinishParams, Finish] => [
      p,
      {
        code: REQUEST_CODE.FINISH,
        version: p.version,
        reqSlotId: signed ? slot : 0,
        ...(signed ? { signature: sig } : {}),
        requesterVerifyData: vd,
      },
    ]),
);

const finishRspArb = fc
  .record({
    version: fc.constantFrom(0x11, 0x12, 0x13),
    hashSize: fc.constantFrom(32, 48, 64),
    handshakeInTheClear: fc.boolean(),
  })
  .chain((p) =>
    bytes(p.hashSize).map((vd): [FinishRspParams, FinishRsp] => [
      p,
      {
        code: RESPONSE_CODE.FINISH_RSP,
        version: p.version,
        ...(p.handshakeInTheClear ? { responderVerifyData: vd } : {}),
      },
    ]),
  );

describe('FINISH / FINISH_RSP structure', () => {
  it('arbitrary valid FINISH round-trips; signed part is the header, HMAC part drops H bytes', () => {
    fc.assert(
      fc.property(finishArb, ([p, m]) => {
        const b = enc(encodeFinish, m);
        expect(decodeFinish(b, p)).toEqual(m);
        expect(toHex(finishSignedPart(b, p))).toBe(toHex(b.subarray(0, 4)));
        expect(finishHmacPart(b, p).length).toBe(b.length - p.hashSize);
      }),
    );
  });

  it('arbitrary valid FINISH_RSP round-trips', () => {
    fc.assert(
      fc.property(finishRspArb, ([p, m]) => {
        const b = enc(encodeFinishRsp, m);
        expect(b.length).toBe(4 + (p.handshakeInTheClear ? p.hashSize : 0));
        expect(decodeFinishRsp(b, p)).toEqual(m);
        expect(finishRspHmacPart(b, p)).toHaveLength(4);
      }),
    );
  });

  it('encoders refuse a slot without signature and a bad slot with one', () => {
    const w = new ByteWriter();
    const base = {
      code: REQUEST_CODE.FINISH,
      version: 0x12,
      requesterVerifyData: new Uint8Array(32),
    } as const;
    expect(() => encodeFinish(w, { ...base, reqSlotId: 1 })).toThrow(RangeError);
    expect(() => encodeFinish(w, { ...base, reqSlotId: 8, signature: new Uint8Array(64) })).toThrow(
      RangeError,
    );
    expect(() => encodeFinishRsp(w, { code: RESPONSE_CODE.FINISH_RSP, version: 0x10 })).toThrow(RangeError);
  });
});

const P: FinishParams & FinishRspParams = {
  version: 0x13,
  hashSize: 48,
  reqSigSize: 96,
  handshakeInTheClear: false,
};
const SIGNED = enc(encodeFinish, {
  code: REQUEST_CODE.FINISH,
  version: 0x13,
  reqSlotId: 0,
  signature: new Uint8Array(96).fill(7),
  requesterVerifyData: new Uint8Array(48).fill(8),
});
const UNSIGNED = enc(encodeFinish, {
  code: REQUEST_CODE.FINISH,
  version: 0x13,
  reqSlotId: 0,
  requesterVerifyData: new Uint8Array(48).fill(8),
});
const patch = (b: Uint8Array, at: number, ...vals: number[]) => {
  const c = b.slice();
  c.set(vals, at);
  return c;
};

describe('FINISH / FINISH_RSP bad inputs', () => {
  const finCases: [string, Uint8Array, FinishParams, string][] = [
    ['empty', new Uint8Array(0), P, 'InvalidMsgSize'],
    ['header only', SIGNED.subarray(0, 4), P, 'InvalidMsgSize'],
    ['truncated by one byte', SIGNED.subarray(0, SIGNED.length - 1), P, 'InvalidMsgSize'],
    ['one extra byte', concatBytes(SIGNED, Uint8Array.of(0)), P, 'InvalidMsgSize'],
    ['signed bit cleared on a signed message', patch(SIGNED, 2, 0), P, 'InvalidMsgSize'],
    ['signed bit set on an unsigned message', patch(UNSIGNED, 2, 1), P, 'InvalidMsgSize'],
    ['wrong code', patch(SIGNED, 1, 0xe7), P, 'InvalidMsgField'],
    ['other version', patch(SIGNED, 0, 0x12), P, 'InvalidMsgField'],
    ['reserved Param1 bit', patch(SIGNED, 2, 3), P, 'InvalidMsgField'],
    ['ReqSlotID 8', patch(SIGNED, 3, 8), P, 'InvalidMsgField'],
    ['ReqSlotID without signature', patch(UNSIGNED, 3, 1), P, 'InvalidMsgField'],
    ['signature without ReqBaseAsymAlg', SIGNED, { ...P, reqSigSize: 0 }, 'InvalidMsgField'],
  ];
  it.each(finCases)('FINISH: %s', (_name, b, p, code) => {
    expect(() => decodeFinish(b, p)).toThrow(expect.objectContaining({ code }));
    expect(() => finishHmacPart(b, p)).toThrow(expect.objectContaining({ code }));
  });

  it('a version mismatch carries wire code VersionMismatch', () => {
    expect(() => decodeFinish(patch(SIGNED, 0, 0x12), P)).toThrow(
      expect.objectContaining({ wireCode: 0x41 }),
    );
  });

  const RSP = Uint8Array.of(0x13, 0x65, 0, 0);
  const rspCases: [string, Uint8Array, FinishRspParams, string][] = [
    ['truncated', RSP.subarray(0, 3), P, 'InvalidMsgSize'],
    ['verify data without HANDSHAKE_IN_THE_CLEAR', concatBytes(RSP, new Uint8Array(48)), P, 'InvalidMsgSize'],
    [
      'no verify data with HANDSHAKE_IN_THE_CLEAR',
      RSP,
      { ...P, handshakeInTheClear: true },
      'InvalidMsgSize',
    ],
    ['wrong code', patch(RSP, 1, 0x64), P, 'InvalidMsgField'],
    ['non-zero Param1', patch(RSP, 2, 1), P, 'InvalidMsgField'],
    ['non-zero Param2', patch(RSP, 3, 1), P, 'InvalidMsgField'],
  ];
  it.each(rspCases)('FINISH_RSP: %s', (_name, b, p, code) => {
    expect(() => decodeFinishRsp(b, p)).toThrow(expect.objectContaining({ code }));
  });
});

describe('FINISH / FINISH_RSP fuzz: only SpdmError escapes', () => {
  it('arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), finishParamsArb, fc.boolean(), (b, p, clear) => {
        onlySpdmError(() => decodeFinish(b, p));
        onlySpdmError(() => finishSignedPart(b, p));
        onlySpdmError(() => decodeFinishRsp(b, { ...p, handshakeInTheClear: clear }));
      }),
      { numRuns: 2000 },
    );
  });

  it('valid messages with bytes changed or cut', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(SIGNED, UNSIGNED),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        fc.nat(),
        (base, edits, cut) => {
          const b = base.slice(0, base.length - (cut % 6));
          for (const [at, val] of edits) b[at % b.length] = val;
          onlySpdmError(() => decodeFinish(b, P));
          onlySpdmError(() => decodeFinishRsp(b, P));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
