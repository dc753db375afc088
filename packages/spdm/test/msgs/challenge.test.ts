import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import {
  type Challenge,
  type ChallengeAuth,
  challengeSize,
  decodeChallenge,
  decodeChallengeAuth,
  encodeChallenge,
  encodeChallengeAuth,
  MEAS_SUMMARY_HASH_TYPE,
} from '../../src/msgs/challenge.js';
import { withoutSignature } from '../../src/msgs/fields.js';
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

describe.skipIf(!vectorsExist)(vectorsTitle('CHALLENGE / CHALLENGE_AUTH against libspdm vectors'), () => {
  for (const file of VECTOR_FILES) {
    it(`${file}: CHALLENGE and CHALLENGE_AUTH decode and re-encode byte-exact`, () => {
      const v = loadVector(file);
      const p = paramsOf(v);
      const reqMsg = v.messages[12]!;
      const rspMsg = v.messages[13]!;
      expect([reqMsg.name, rspMsg.name]).toEqual(['CHALLENGE', 'CHALLENGE_AUTH']);
      const req = decodeChallenge(spdmOf(v, 12), p);
      expect(req.slotId).toBe(0);
      expect(spdmOf(v, 12).length).toBe(challengeSize(p.version));
      expect(toHex(encodeWith(encodeChallenge, req))).toBe(reqMsg.spdm_hex);

      const summaryHashPresent = req.measurementSummaryHashType !== MEAS_SUMMARY_HASH_TYPE.NONE;
      const rspBytes = spdmOf(v, 13);
      const rsp = decodeChallengeAuth(rspBytes, { ...p, summaryHashPresent });
      expect(rsp).toMatchObject({ slotId: 0, slotMask: 0x03, basicMutAuthReq: false });
      expect(toHex(rsp.certChainHash)).toBe(v.certs.responder_chain_hash_hex);
      expect(rsp.measurementSummaryHash?.length).toBe(summaryHashPresent ? p.hashSize : undefined);
      expect(rsp.opaqueData.length).toBe(0);
      expect(rsp.signature.length).toBe(p.sigSize);
      if (p.version >= 0x13) expect(rsp.requesterContext).toEqual(req.requesterContext);
      expect(toHex(encodeWith(encodeChallengeAuth, rsp))).toBe(rspMsg.spdm_hex);
      expect(withoutSignature(rspBytes, p.sigSize).length).toBe(rspBytes.length - p.sigSize);

      // The same bytes with the wrong idea of the summary hash do not decode.
      expect(
        spdmErrorOf(() => decodeChallengeAuth(rspBytes, { ...p, summaryHashPresent: !summaryHashPresent })),
      ).toBeTruthy();
    });
  }
});

const nonce = new Uint8Array(32).fill(0x4e);
const ctx = new Uint8Array(8).fill(0xcc);

describe('CHALLENGE / CHALLENGE_AUTH rules', () => {
  it('CHALLENGE is 36 bytes before 1.3 and 44 in 1.3; SlotID and summary type checked', () => {
    const m13: Challenge = {
      code: 0x83,
      version: 0x13,
      slotId: 0xff,
      measurementSummaryHashType: 1,
      nonce,
      requesterContext: ctx,
    };
    const b13 = encodeWith(encodeChallenge, m13);
    expect(b13.length).toBe(44);
    expect(decodeChallenge(b13, { version: 0x13 })).toEqual(m13);
    expect(() => encodeWith(encodeChallenge, { ...m13, version: 0x12 })).toThrow(TypeError);
    const b12 = encodeWith(encodeChallenge, {
      code: 0x83,
      version: 0x12,
      slotId: 7,
      measurementSummaryHashType: 0xff,
      nonce,
    });
    expect(b12.length).toBe(36);
    expect(() => decodeChallenge(b12, { version: 0x13 })).toThrow(/version/);
    const bad = b12.slice();
    bad[2] = 8;
    expect(spdmErrorOf(() => decodeChallenge(bad, { version: 0x12 })).message).toMatch(/SlotID 8/);
    bad[2] = 0;
    bad[3] = 2;
    expect(spdmErrorOf(() => decodeChallenge(bad, { version: 0x12 })).message).toMatch(
      /MeasurementSummaryHashType/,
    );
  });

  const auth = (over: Partial<ChallengeAuth> = {}): ChallengeAuth => ({
    code: 0x03,
    version: 0x13,
    slotId: 0,
    basicMutAuthReq: false,
    slotMask: 1,
    certChainHash: new Uint8Array(48).fill(1),
    nonce,
    measurementSummaryHash: new Uint8Array(48).fill(2),
    opaqueData: new Uint8Array(3).fill(3),
    requesterContext: ctx,
    signature: new Uint8Array(96).fill(9),
    ...over,
  });
  const params = { version: 0x13, hashSize: 48, sigSize: 96, summaryHashPresent: true };

  it('CHALLENGE_AUTH: BasicMutAuthReq bit, 0xF slot, reserved bits 6:4', () => {
    const b = encodeWith(encodeChallengeAuth, auth({ basicMutAuthReq: true, slotId: 0x0f, slotMask: 0 }));
    expect(b[2]).toBe(0x8f);
    expect(decodeChallengeAuth(b, params)).toMatchObject({ basicMutAuthReq: true, slotId: 0x0f });
    b[2] = 0x10;
    expect(spdmErrorOf(() => decodeChallengeAuth(b, params)).message).toMatch(/reserved/);
    b[2] = 0x09;
    expect(spdmErrorOf(() => decodeChallengeAuth(b, params)).message).toMatch(/SlotID 9/);
    const v10 = encodeWith(encodeChallengeAuth, auth({ version: 0x10, requesterContext: undefined }));
    v10[2] = 0x80;
    expect(() => decodeChallengeAuth(v10, { ...params, version: 0x10 })).toThrow(/reserved/);
  });

  it('CHALLENGE_AUTH: OpaqueDataLength above 1024 is refused; the signature must fill the rest', () => {
    const b = encodeWith(encodeChallengeAuth, auth({ opaqueData: new Uint8Array(1024) }));
    expect(decodeChallengeAuth(b, params).opaqueData.length).toBe(1024);
    const at = 4 + 48 + 32 + 48;
    new DataView(b.buffer).setUint16(at, 1025, true);
    expect(spdmErrorOf(() => decodeChallengeAuth(b, params)).message).toMatch(/1025 exceeds 1024/);
    expect(() => encodeWith(encodeChallengeAuth, auth({ opaqueData: new Uint8Array(1025) }))).toThrow(
      RangeError,
    );
    const good = encodeWith(encodeChallengeAuth, auth());
    expect(spdmErrorOf(() => decodeChallengeAuth(good.subarray(0, -1), params)).code).toBe('InvalidMsgSize');
    expect(spdmErrorOf(() => decodeChallengeAuth(Uint8Array.of(...good, 0), params)).code).toBe(
      'InvalidMsgSize',
    );
  });
});

describe('CHALLENGE fuzz', () => {
  const pArb = fc.record({
    version: fc.constantFrom(0x10, 0x11, 0x12, 0x13),
    hashSize: fc.constantFrom(32, 48),
    sigSize: fc.constantFrom(64, 96),
    summaryHashPresent: fc.boolean(),
  });

  it('arbitrary bytes give only SpdmError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), pArb, (b, p) => {
        onlySpdmErrors(() => decodeChallenge(b, p));
        onlySpdmErrors(() => decodeChallengeAuth(b, p));
        onlySpdmErrors(() => decodeChallenge(Uint8Array.of(p.version, 0x83, ...b), p));
        onlySpdmErrors(() => decodeChallengeAuth(Uint8Array.of(p.version, 0x03, ...b), p));
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary valid CHALLENGE round-trip', () => {
    const arb = fc.record({
      version: fc.constantFrom(0x10, 0x11, 0x12, 0x13),
      slotId: fc.constantFrom(0, 3, 7, 0xff),
      type: fc.constantFrom(0, 1, 0xff),
      nonce: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      ctx: fc.uint8Array({ minLength: 8, maxLength: 8 }),
    });
    fc.assert(
      fc.property(arb, ({ version, slotId, type, nonce: n, ctx: c }) => {
        const m: Challenge = {
          code: 0x83,
          version,
          slotId,
          measurementSummaryHashType: type,
          nonce: n,
          ...(version >= 0x13 ? { requesterContext: c } : {}),
        };
        const b = encodeWith(encodeChallenge, m);
        expect(b.length).toBe(challengeSize(version));
        expect(decodeChallenge(b, m)).toEqual(m);
      }),
    );
  });

  it('arbitrary valid CHALLENGE_AUTH round-trip', () => {
    const arb = fc
      .record({
        p: pArb,
        slot: fc.constantFrom(0, 1, 7, 0x0f),
        mut: fc.boolean(),
        mask: fc.integer({ min: 0, max: 255 }),
        opaque: fc.uint8Array({ maxLength: 64 }),
        fill: fc.integer({ min: 0, max: 255 }),
      })
      .map(({ p, slot, mut, mask, opaque, fill }) => {
        const m: ChallengeAuth = {
          code: 0x03,
          version: p.version,
          slotId: slot,
          basicMutAuthReq: mut && p.version >= 0x11,
          slotMask: mask,
          certChainHash: new Uint8Array(p.hashSize).fill(fill),
          nonce,
          ...(p.summaryHashPresent
            ? { measurementSummaryHash: new Uint8Array(p.hashSize).fill(fill ^ 1) }
            : {}),
          opaqueData: opaque,
          ...(p.version >= 0x13 ? { requesterContext: ctx } : {}),
          signature: new Uint8Array(p.sigSize).fill(fill ^ 2),
        };
        return { m, p };
      });
    fc.assert(
      fc.property(arb, ({ m, p }) => {
        const b = encodeWith(encodeChallengeAuth, m);
        const back = decodeChallengeAuth(b, p);
        expect(back).toEqual(m);
        expect(encodeWith(encodeChallengeAuth, back)).toEqual(b);
      }),
    );
  });
});
