/**
 * The sans-I/O requester phases driven by hand, and a table of responses each check must refuse
 * (each starts from a valid ResponderCore answer and changes one thing).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/codec/bytes.js';
import { ALG_TYPE, BASE_HASH_ALGO, DHE_GROUP } from '../../src/crypto/algorithms.js';
import { SpdmError } from '../../src/errors.js';
import { type Algorithms, decodeAlgorithms, encodeAlgorithms } from '../../src/msgs/algorithms.js';
import {
  CAP,
  type Capabilities,
  decodeCapabilities,
  encodeCapabilities,
} from '../../src/msgs/capabilities.js';
import { encodeToBytes } from '../../src/msgs/encode.js';
import { algorithmsPhase } from '../../src/requester/algorithms.js';
import { capabilitiesPhase } from '../../src/requester/capabilities.js';
import { type RequesterInit, resolveRequesterInit } from '../../src/requester/init.js';
import { START } from '../../src/requester/state.js';
import { highestCommonVersion, versionPhase } from '../../src/requester/version.js';
import { ResponderCore, type ResponderInit } from '../../src/responder/index.js';
import { mutated, onlySpdmError } from '../msgs/vca-arbitraries.js';

/** Runs VCA by hand with one response replaced by `tamper(step, response)`. */
function run(
  tamper: (step: number, rsp: Uint8Array) => Uint8Array = (_s, r) => r,
  reqInit: RequesterInit = {},
  rspInit: ResponderInit = {},
) {
  const cfg = resolveRequesterInit(reqInit);
  const core = new ResponderCore(rspInit);
  const q0 = versionPhase.request(START, cfg);
  const s1 = versionPhase.response(START, cfg, q0, tamper(0, core.handle(q0)));
  const q1 = capabilitiesPhase.request(s1, cfg);
  const s2 = capabilitiesPhase.response(s1, cfg, q1, tamper(1, core.handle(q1)));
  const q2 = algorithmsPhase.request(s2, cfg);
  return algorithmsPhase.response(s2, cfg, q2, tamper(2, core.handle(q2)));
}

const at = (step: number, f: (rsp: Uint8Array) => Uint8Array) => (s: number, r: Uint8Array) =>
  s === step ? f(r) : r;
const caps = (f: (m: Capabilities) => Capabilities) =>
  at(1, (r) => encodeToBytes(encodeCapabilities, f(decodeCapabilities(r))));
const algs = (f: (m: Algorithms) => Algorithms) =>
  at(2, (r) => encodeToBytes(encodeAlgorithms, f(decodeAlgorithms(r))));
const byte = (step: number, offset: number, value: number) =>
  at(step, (r) => {
    const b = r.slice();
    b[offset] = value;
    return b;
  });
const setStruct = (algType: number, algSupported: number) =>
  algs((m) => ({
    ...m,
    algStructs: m.algStructs.map((s) => (s.algType === algType ? { ...s, algSupported } : s)),
  }));

describe('requester phases by hand', () => {
  it('produce the same Negotiated as the responder', () => {
    const n = run();
    expect(n.kind).toBe('Negotiated');
    expect(toHex(n.negotiated.vca.subarray(0, 4))).toBe('10840000');
  });

  it('pick the highest common version, ignoring Update/Alpha', () => {
    expect(highestCommonVersion([0x11, 0x12, 0x13], [0x1000, 0x1105, 0x1200])).toBe(0x12);
    expect(highestCommonVersion([0x13], [0x1000, 0x1200])).toBeNull();
  });

  it.each([
    ['VERSION without entries', at(0, () => fromHex('100400000000')), 'InvalidMsgField', /no version/],
    ['VERSION in 1.1', byte(0, 0, 0x11), 'InvalidMsgField', /version/],
    ['VERSION truncated', at(0, (r) => r.subarray(0, 7)), 'InvalidMsgSize', /VERSION/],
    [
      'VERSION replaced by CAPABILITIES',
      at(0, () => fromHex('106100000000000000000000')),
      'InvalidMsgField',
      /code/,
    ],
    ['CAPABILITIES truncated', at(1, (r) => r.subarray(0, 19)), 'InvalidMsgSize', /CAPABILITIES/],
    ['CAPABILITIES in another version', byte(1, 0, 0x12), 'InvalidMsgField', /version/],
    [
      'CAPABILITIES KEY_EX without MAC',
      caps((m) => ({ ...m, flags: CAP.CERT | CAP.KEY_EX })),
      'InvalidMsgField',
      /MAC/,
    ],
    [
      'CAPABILITIES MEAS_CAP = 11b',
      caps((m) => ({ ...m, flags: m.flags | (3 << 3) })),
      'InvalidMsgField',
      /MEAS_CAP/,
    ],
    [
      'CAPABILITIES DataTransferSize 41',
      caps((m) => ({ ...m, dataTransferSize: 41 })),
      'InvalidMsgField',
      /42/,
    ],
    [
      'CAPABILITIES sizes differ without CHUNK',
      caps((m) => ({ ...m, maxSpdmMsgSize: 9000 })),
      'InvalidMsgField',
      /CHUNK/,
    ],
    ['CAPABILITIES CTExponent 32', caps((m) => ({ ...m, ctExponent: 32 })), 'InvalidMsgField', /CTExponent/],
    [
      'CAPABILITIES with an unrequested block',
      caps((m) => ({
        ...m,
        supportedAlgorithms: {
          measurementSpecification: 0,
          otherParamsSupport: 0,
          baseAsymAlgo: 0,
          baseHashAlgo: 0,
          melSpecification: 0,
          extAsym: [],
          extHash: [],
          algStructs: [],
        },
      })),
      'InvalidMsgField',
      /Supported Algorithms/,
    ],
    ['ALGORITHMS Length off by one', byte(2, 4, 0x35), 'InvalidMsgSize', /Length/],
    ['ALGORITHMS two hash bits', algs((m) => ({ ...m, baseHashSel: 3 })), 'InvalidMsgField', /single/],
    [
      'ALGORITHMS hash not offered',
      algs((m) => ({ ...m, baseHashSel: BASE_HASH_ALGO.SHA_512 })),
      'InvalidMsgField',
      /not offered/,
    ],
    [
      'ALGORITHMS DHE not offered',
      setStruct(ALG_TYPE.DHE, DHE_GROUP.SECP521R1),
      'InvalidMsgField',
      /not offered/,
    ],
    ['ALGORITHMS two AEAD bits', setStruct(ALG_TYPE.AEAD, 3), 'InvalidMsgField', /single/],
    ['ALGORITHMS no DHE with KEY_EX', setStruct(ALG_TYPE.DHE, 0), 'NegotiationFailed', /DHE/],
    ['ALGORITHMS no AEAD with ENCRYPT', setStruct(ALG_TYPE.AEAD, 0), 'NegotiationFailed', /AEAD/],
    [
      'ALGORITHMS no ReqBaseAsym with MUT_AUTH',
      setStruct(ALG_TYPE.REQ_BASE_ASYM, 0),
      'NegotiationFailed',
      /ReqBase/,
    ],
    ['ALGORITHMS no key schedule', setStruct(ALG_TYPE.KEY_SCHEDULE, 0), 'NegotiationFailed', /KeySchedule/],
    ['ALGORITHMS no base asym', algs((m) => ({ ...m, baseAsymSel: 0 })), 'NegotiationFailed', /BaseAsymAlgo/],
    [
      'ALGORITHMS no Fmt1 at 1.3',
      algs((m) => ({ ...m, otherParamsSelection: 0 })),
      'NegotiationFailed',
      /Fmt1/,
    ],
    [
      'ALGORITHMS requester multi-key without MULTI_KEY_CAP',
      algs((m) => ({ ...m, otherParamsSelection: 0x12 })),
      'NegotiationFailed',
      /multi-key/,
    ],
    [
      'ALGORITHMS no measurement spec from a measuring responder',
      algs((m) => ({ ...m, measurementSpecificationSel: 0 })),
      'InvalidMsgField',
      /measurement spec/,
    ],
    [
      'ALGORITHMS no measurement hash',
      algs((m) => ({ ...m, measurementHashAlgo: 0 })),
      'NegotiationFailed',
      /Measurement/,
    ],
    [
      'ALGORITHMS extended asym',
      algs((m) => ({ ...m, extAsymSel: [{ registryId: 1, algorithmId: 1 }] })),
      'InvalidMsgField',
      /extended/,
    ],
    [
      'ALGORITHMS without the KeySchedule table',
      algs((m) => ({ ...m, algStructs: m.algStructs.filter((s) => s.algType !== ALG_TYPE.KEY_SCHEDULE) })),
      'NegotiationFailed',
      /KeySchedule/,
    ],
  ] as const)('refuses %s', (_name, tamper, code, why) => {
    try {
      run(tamper);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SpdmError);
      expect((e as SpdmError).code).toBe(code);
      expect((e as SpdmError).message).toMatch(why);
    }
  });

  it('refuses MELspecificationSel without MEL_CAP and an AlgType it did not request', () => {
    expect(() =>
      run(
        algs((m) => ({ ...m, melSpecificationSel: 1 })),
        { algorithms: { melSpec: 1 } },
      ),
    ).toThrow(expect.objectContaining({ code: 'InvalidMsgField', message: expect.stringMatching(/MEL/) }));
    const noReqAsym: RequesterInit = {
      capabilities: CAP.ENCRYPT | CAP.MAC | CAP.KEY_EX,
      algorithms: { reqBaseAsym: [] },
    };
    expect(run(undefined, noReqAsym).negotiated.reqBaseAsymAlg).toBe(0);
    const extra = algs((m) => ({
      ...m,
      algStructs: [
        ...m.algStructs.slice(0, 2),
        { algType: 4, algSupported: 0x10, external: [] },
        ...m.algStructs.slice(2),
      ],
    }));
    expect(() => run(extra, noReqAsym)).toThrow(
      expect.objectContaining({
        code: 'InvalidMsgField',
        message: expect.stringMatching(/not in the request/),
      }),
    );
  });

  it('accepts a responder without measurements selecting no measurement algorithms', () => {
    const n = run(undefined, {}, { capabilities: CAP.CERT | CAP.CHAL | CAP.ENCRYPT | CAP.MAC | CAP.KEY_EX });
    expect([n.negotiated.measurementSpec, n.negotiated.measurementHashAlgo]).toEqual([0, 0]);
    expect(() =>
      run(
        algs((m) => ({ ...m, measurementHashAlgo: 2 })),
        {},
        { capabilities: CAP.CERT | CAP.CHAL | CAP.ENCRYPT | CAP.MAC | CAP.KEY_EX },
      ),
    ).toThrow(expect.objectContaining({ code: 'InvalidMsgField' }));
  });
});

describe('requester phases are total', () => {
  it('throw only SpdmError whatever one response is replaced with', () => {
    const valid = [0, 1, 2].map((step) => {
      let seen: Uint8Array = new Uint8Array();
      run((s, r) => {
        if (s === step) seen = r;
        return r;
      });
      return seen;
    });
    const replacement = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.constantFrom(...valid).chain((v) => mutated(v)),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), replacement, (step, b) => {
        onlySpdmError(() => run(at(step, () => b)));
      }),
      { numRuns: 3000 },
    );
  });
});
