import { describe, expect, it } from 'vitest';
import { resolveAlgorithmPrefs } from '../../src/algorithm-prefs.js';
import {
  AEAD_SUITE,
  ALG_TYPE,
  BASE_ASYM_ALGO,
  BASE_HASH_ALGO,
  DHE_GROUP,
  KEY_SCHEDULE,
  MEASUREMENT_HASH_ALGO,
  OTHER_PARAMS,
} from '../../src/crypto/algorithms.js';
import { algStructValue, type NegotiateAlgorithms } from '../../src/msgs/algorithms.js';
import { CAP } from '../../src/msgs/capabilities.js';
import { REQUEST_CODE } from '../../src/msgs/codes.js';
import type { CapabilityExchange } from '../../src/negotiation.js';
import { selectAlgorithms } from '../../src/responder/algorithms.js';

const SESSION = CAP.KEY_EX | CAP.MAC | CAP.ENCRYPT;
const RSP = CAP.CERT | CAP.CHAL | CAP.MEAS_SIG | SESSION | CAP.MUT_AUTH;
const REQ = CAP.CERT | CAP.CHAL | SESSION | CAP.MUT_AUTH;

function exchange(version: 0x11 | 0x12 | 0x13, requesterCaps = REQ, responderCaps = RSP): CapabilityExchange {
  const v12 = version >= 0x12;
  return {
    version,
    requesterCaps,
    responderCaps,
    requesterCtExponent: 0,
    responderCtExponent: 0,
    requesterDataTransferSize: v12 ? 4608 : 0,
    requesterMaxSpdmMsgSize: v12 ? 4608 : 0,
    responderDataTransferSize: v12 ? 4608 : 0,
    responderMaxSpdmMsgSize: v12 ? 4608 : 0,
  };
}

const ALL = {
  asym: BASE_ASYM_ALGO.ECDSA_P256 | BASE_ASYM_ALGO.ECDSA_P384 | BASE_ASYM_ALGO.EDDSA_ED25519,
  hash: BASE_HASH_ALGO.SHA_256 | BASE_HASH_ALGO.SHA_384,
  dhe: DHE_GROUP.SECP256R1 | DHE_GROUP.SECP384R1,
  aead: AEAD_SUITE.AES_128_GCM | AEAD_SUITE.AES_256_GCM | AEAD_SUITE.CHACHA20_POLY1305,
};

function offer(version: number, over: Partial<NegotiateAlgorithms> = {}): NegotiateAlgorithms {
  return {
    code: REQUEST_CODE.NEGOTIATE_ALGORITHMS,
    version,
    measurementSpecification: 1,
    otherParamsSupport: version >= 0x12 ? OTHER_PARAMS.OPAQUE_DATA_FMT0 | OTHER_PARAMS.OPAQUE_DATA_FMT1 : 0,
    baseAsymAlgo: ALL.asym,
    baseHashAlgo: ALL.hash,
    melSpecification: version >= 0x13 ? 1 : 0,
    extAsym: [],
    extHash: [],
    algStructs: [
      { algType: ALG_TYPE.DHE, algSupported: ALL.dhe, external: [] },
      { algType: ALG_TYPE.AEAD, algSupported: ALL.aead, external: [] },
      { algType: ALG_TYPE.REQ_BASE_ASYM, algSupported: ALL.asym, external: [] },
      { algType: ALG_TYPE.KEY_SCHEDULE, algSupported: KEY_SCHEDULE.SPDM, external: [] },
    ],
    ...over,
  };
}

const defaults = resolveAlgorithmPrefs();

describe('selectAlgorithms (responder preference order among what was offered)', () => {
  it('picks P-256 / SHA-256 / secp256r1 / AES-256-GCM / Fmt1 by default', () => {
    const a = selectAlgorithms(offer(0x13), exchange(0x13), defaults);
    expect([a.baseAsymSel, a.baseHashSel]).toEqual([BASE_ASYM_ALGO.ECDSA_P256, BASE_HASH_ALGO.SHA_256]);
    expect(algStructValue(a.algStructs, ALG_TYPE.DHE)).toBe(DHE_GROUP.SECP256R1);
    expect(algStructValue(a.algStructs, ALG_TYPE.AEAD)).toBe(AEAD_SUITE.AES_256_GCM);
    expect(algStructValue(a.algStructs, ALG_TYPE.REQ_BASE_ASYM)).toBe(BASE_ASYM_ALGO.ECDSA_P256);
    expect(a.otherParamsSelection).toBe(OTHER_PARAMS.OPAQUE_DATA_FMT1);
    expect([a.measurementSpecificationSel, a.measurementHashAlgo]).toEqual([
      1,
      MEASUREMENT_HASH_ALGO.SHA_256,
    ]);
    expect(a.melSpecificationSel).toBe(0);
    expect(a.algStructs.map((s) => s.algType)).toEqual([2, 3, 4, 5]);
  });

  it('follows a different preference order', () => {
    const prefs = resolveAlgorithmPrefs({
      baseAsym: [BASE_ASYM_ALGO.EDDSA_ED25519, BASE_ASYM_ALGO.ECDSA_P256],
      baseHash: [BASE_HASH_ALGO.SHA_384],
      aead: [AEAD_SUITE.CHACHA20_POLY1305, AEAD_SUITE.AES_256_GCM],
      dhe: [DHE_GROUP.SECP384R1],
    });
    const a = selectAlgorithms(offer(0x12), exchange(0x12), prefs);
    expect([a.baseAsymSel, a.baseHashSel]).toEqual([BASE_ASYM_ALGO.EDDSA_ED25519, BASE_HASH_ALGO.SHA_384]);
    expect(algStructValue(a.algStructs, ALG_TYPE.AEAD)).toBe(AEAD_SUITE.CHACHA20_POLY1305);
    expect(algStructValue(a.algStructs, ALG_TYPE.DHE)).toBe(DHE_GROUP.SECP384R1);
  });

  it('falls back to a later preference when the first is not offered', () => {
    const a = selectAlgorithms(
      offer(0x12, { baseAsymAlgo: BASE_ASYM_ALGO.ECDSA_P384 }),
      exchange(0x12),
      defaults,
    );
    expect(a.baseAsymSel).toBe(BASE_ASYM_ALGO.ECDSA_P384);
  });

  it('answers only the AlgStruct types requested, in request order', () => {
    const o = offer(0x12);
    const a = selectAlgorithms(
      { ...o, algStructs: o.algStructs.filter((s) => s.algType !== ALG_TYPE.REQ_BASE_ASYM) },
      exchange(0x12, REQ & ~CAP.MUT_AUTH),
      defaults,
    );
    expect(a.algStructs.map((s) => s.algType)).toEqual([2, 3, 5]);
  });

  it('selects no measurement spec or hash when the requester names no spec, or the responder does not measure', () => {
    const a = selectAlgorithms(offer(0x12, { measurementSpecification: 0 }), exchange(0x12), defaults);
    expect([a.measurementSpecificationSel, a.measurementHashAlgo]).toEqual([0, 0]);
    const b = selectAlgorithms(offer(0x12), exchange(0x12, REQ, RSP & ~CAP.MEAS_SIG), defaults);
    expect([b.measurementSpecificationSel, b.measurementHashAlgo]).toEqual([0, 0]);
  });

  it('selects MEL only with MEL_CAP, and no OtherParams before 1.2', () => {
    const a = selectAlgorithms(
      offer(0x13),
      exchange(0x13, REQ, RSP | CAP.MEL),
      resolveAlgorithmPrefs({ melSpec: 1 }),
    );
    expect(a.melSpecificationSel).toBe(1);
    const b = selectAlgorithms(offer(0x11), exchange(0x11, REQ | CAP.ENCAP, RSP | CAP.ENCAP), defaults);
    expect(b.otherParamsSelection).toBe(0);
  });

  it('sets the requester MULTI_KEY_CONN bit from a requester MULTI_KEY_CAP = 01 (1.3)', () => {
    const a = selectAlgorithms(offer(0x13), exchange(0x13, REQ | CAP.MULTI_KEY_ONLY), defaults);
    expect(a.otherParamsSelection).toBe(OTHER_PARAMS.OPAQUE_DATA_FMT1 | OTHER_PARAMS.MULTI_KEY_CONN);
    const b = selectAlgorithms(offer(0x13), exchange(0x13, REQ | CAP.MULTI_KEY_NEG), defaults);
    expect(b.otherParamsSelection).toBe(OTHER_PARAMS.OPAQUE_DATA_FMT1);
  });

  it.each([
    ['no common hash', { baseHashAlgo: BASE_HASH_ALGO.SHA_512 }, /BaseHashAlgo/],
    ['no common asym', { baseAsymAlgo: BASE_ASYM_ALGO.RSASSA_2048 }, /BaseAsymAlgo/],
    [
      'no common DHE',
      { algStructs: [{ algType: 2, algSupported: DHE_GROUP.FFDHE_2048, external: [] }] },
      /DHE/,
    ],
    ['no DHE table at all', { algStructs: [] }, /DHE/],
    ['no Fmt1 at 1.2', { otherParamsSupport: OTHER_PARAMS.OPAQUE_DATA_FMT0 }, /OpaqueDataFmt1/],
    [
      'responder multi-key asked of a responder without MULTI_KEY_CAP',
      { otherParamsSupport: 0x12 },
      /multi-key/,
    ],
  ])('fails with NegotiationFailed (wire InvalidRequest): %s', (_name, over, why) => {
    expect(() => selectAlgorithms(offer(0x13, over), exchange(0x13), defaults)).toThrow(
      expect.objectContaining({
        code: 'NegotiationFailed',
        wireCode: 0x01,
        message: expect.stringMatching(why),
      }),
    );
  });

  it('does not need a hash or asym when nothing uses them', () => {
    const none = offer(0x12, {
      baseAsymAlgo: 0,
      baseHashAlgo: 0,
      measurementSpecification: 0,
      algStructs: [],
    });
    const a = selectAlgorithms(none, exchange(0x12, 0, 0), defaults);
    expect([a.baseAsymSel, a.baseHashSel]).toEqual([0, 0]);
  });

  it('refuses an AlgStruct offering nothing and a non-DMTF measurement spec (InvalidRequest)', () => {
    const o = offer(0x12);
    const zero = { ...o, algStructs: [{ algType: 2, algSupported: 0, external: [] }] };
    expect(() => selectAlgorithms(zero, exchange(0x12), defaults)).toThrow(
      expect.objectContaining({ code: 'InvalidMsgField', wireCode: 0x01 }),
    );
    expect(() => selectAlgorithms({ ...o, measurementSpecification: 2 }, exchange(0x12), defaults)).toThrow(
      expect.objectContaining({ code: 'InvalidMsgField', wireCode: 0x01 }),
    );
  });
});
