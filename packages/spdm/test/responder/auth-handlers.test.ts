/**
 * The responder's authentication handlers in process (digests.ts, certificate.ts, challenge.ts,
 * measurements.ts): the ERROR codes of the issue (CHALLENGE before ALGORITHMS, wrong slot,
 * offset past the end, ...), portion clamping, the B and M transcripts as both sides must keep
 * them (checked by verifying the signatures with the requester phases), summary hashes and the
 * transcript bound.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { concatBytes } from '../../src/codec/bytes.js';
import { ByteWriter } from '../../src/codec/writer.js';
import { MEASUREMENT_HASH_ALGO } from '../../src/crypto/algorithms.js';
import { CAP } from '../../src/msgs/capabilities.js';
import { decodeCertificate, encodeGetCertificate } from '../../src/msgs/certificate.js';
import { decodeChallengeAuth, encodeChallenge, MEAS_SUMMARY_HASH_TYPE } from '../../src/msgs/challenge.js';
import { ERROR_CODE, REQUEST_CODE, RESPONSE_CODE, type SpdmVersion } from '../../src/msgs/codes.js';
import { encodeToBytes } from '../../src/msgs/encode.js';
import { decodeErrorResponse } from '../../src/msgs/error.js';
import { DMTF_MEASUREMENT_TYPE, encodeMeasurementBlock } from '../../src/msgs/measurement-blocks.js';
import {
  decodeMeasurements,
  encodeGetMeasurements,
  MEASUREMENT_OPERATION,
} from '../../src/msgs/measurements.js';
import type { Negotiated } from '../../src/negotiated.js';
import type { NegotiatedRequesterState } from '../../src/requester/auth-state.js';
import { Authenticator } from '../../src/requester/authenticate.js';
import { capabilitiesPhase } from '../../src/requester/capabilities.js';
import { resolveRequesterInit } from '../../src/requester/init.js';
import { measurementsPhase } from '../../src/requester/measurements.js';
import { negotiate } from '../../src/requester/negotiate.js';
import { START } from '../../src/requester/state.js';
import { versionPhase } from '../../src/requester/version.js';
import { MAX_AUTH_TRANSCRIPT_MESSAGES } from '../../src/responder/auth-state.js';
import { DEFAULT_RESPONDER_CAPS, type ResponderInit } from '../../src/responder/init.js';
import { type MeasuredItem, measurementSource } from '../../src/responder/measurement-source.js';
import { coreExchange, responderFor, type TestIdentity, testIdentity } from '../auth-fixture.js';

const ITEMS: MeasuredItem[] = [
  {
    index: 1,
    type: DMTF_MEASUREMENT_TYPE.MUTABLE_FIRMWARE,
    value: { kind: 'content', bytes: Uint8Array.of(1, 2, 3) },
    tcb: true,
  },
  {
    index: 2,
    type: DMTF_MEASUREMENT_TYPE.FIRMWARE_CONFIGURATION,
    value: { kind: 'content', bytes: Uint8Array.of(4) },
  },
  {
    index: 3,
    type: DMTF_MEASUREMENT_TYPE.VERSION,
    value: { kind: 'raw', bytes: new Uint8Array(Buffer.from('v1')) },
  },
];

const VERSIONS = [
  ['1.1', 0x11],
  ['1.2', 0x12],
  ['1.3', 0x13],
] as const;

let id: TestIdentity;
beforeAll(() => {
  id = testIdentity({ curve: 'p256' });
});

function setup(init: ResponderInit = {}) {
  const core = responderFor(id, { measurements: measurementSource(ITEMS), ...init });
  const { exchange } = coreExchange(core);
  return { core, exchange };
}

async function negotiated(version: SpdmVersion, init: ResponderInit = {}, req = {}) {
  const s = setup(init);
  const n = await negotiate(s.exchange, { versions: [version], ...req });
  return { ...s, n };
}

function errorOf(rsp: Uint8Array): { code: number; data: number } {
  expect(rsp[1]).toBe(RESPONSE_CODE.ERROR);
  const e = decodeErrorResponse(rsp);
  return { code: e.errorCode, data: e.errorData };
}

const getCert = (v: number, slotId: number, offset: number, length: number, slotSizeRequested = false) =>
  encodeToBytes(encodeGetCertificate, {
    code: REQUEST_CODE.GET_CERTIFICATE,
    version: v,
    slotId,
    slotSizeRequested,
    offset,
    length,
  });

const challenge = (v: number, slotId: number, summary: number = MEAS_SUMMARY_HASH_TYPE.NONE) =>
  encodeToBytes(encodeChallenge, {
    code: REQUEST_CODE.CHALLENGE,
    version: v,
    slotId,
    measurementSummaryHashType: summary,
    nonce: new Uint8Array(32).fill(7),
    ...(v >= 0x13 ? { requesterContext: new Uint8Array(8).fill(9) } : {}),
  });

const getMeas = (v: number, operation: number, signed = false) =>
  encodeToBytes(encodeGetMeasurements, {
    code: REQUEST_CODE.GET_MEASUREMENTS,
    version: v,
    signatureRequested: signed,
    rawBitStreamRequested: false,
    newMeasurementRequested: false,
    operation,
    ...(signed ? { nonce: new Uint8Array(32), slotId: 0 } : {}),
    ...(v >= 0x13 ? { requesterContext: new Uint8Array(8) } : {}),
  });

describe('authentication requests before negotiation', () => {
  it('CHALLENGE, GET_DIGESTS, GET_CERTIFICATE, GET_MEASUREMENTS before ALGORITHMS: UnexpectedRequest', () => {
    const { core } = setup();
    for (const req of [challenge(0x12, 0), getCert(0x12, 0, 0, 100), getMeas(0x12, 0xff)]) {
      expect(errorOf(core.handle(req)).code).toBe(ERROR_CODE.UnexpectedRequest);
    }
    const cfg = resolveRequesterInit({ versions: [0x12] });
    const v = versionPhase.response(
      START,
      cfg,
      versionPhase.request(START, cfg),
      core.handle(versionPhase.request(START, cfg)),
    );
    const capsReq = capabilitiesPhase.request(v, cfg);
    capabilitiesPhase.response(v, cfg, capsReq, core.handle(capsReq));
    expect(core.state.kind).toBe('AfterCapabilities');
    const rsp = core.handle(challenge(0x12, 0));
    expect(errorOf(rsp).code).toBe(ERROR_CODE.UnexpectedRequest);
    expect(rsp[0]).toBe(0x12);
    expect(core.state.kind).toBe('AfterCapabilities');
  });
});

describe('GET_CERTIFICATE', () => {
  it('wrong slot and an offset at or past the end: InvalidRequest, state unchanged', async () => {
    const { core } = await negotiated(0x12);
    const chainSize = decodeCertificate(core.handle(getCert(0x12, 0, 0, 8)), {
      version: 0x12,
      maxPortionLength: 8,
    });
    const total = chainSize.portion.length + chainSize.remainderLength;
    const before = core.state;
    for (const req of [
      getCert(0x12, 3, 0, 100),
      getCert(0x12, 0, total, 10),
      getCert(0x12, 0, total + 1, 10),
    ]) {
      expect(errorOf(core.handle(req))).toEqual({ code: ERROR_CODE.InvalidRequest, data: 0 });
    }
    expect(core.state).toBe(before);
    const last = decodeCertificate(core.handle(getCert(0x12, 0, total - 1, 10)), {
      version: 0x12,
      maxPortionLength: 10,
    });
    expect([last.portion.length, last.remainderLength]).toEqual([1, 0]);
  });

  it('clamps the portion to the requester DataTransferSize (1.2) and to ours (1.1)', async () => {
    const small = await negotiated(0x12, {}, { dataTransferSize: 200, maxSpdmMsgSize: 200 });
    const rsp = small.core.handle(getCert(0x12, 0, 0, 0xffff));
    expect(rsp.length).toBe(200);
    const c = decodeCertificate(rsp, { version: 0x12, maxPortionLength: 0xffff });
    expect(c.portion.length).toBe(192);
    const v11 = await negotiated(0x11, { dataTransferSize: 300, maxSpdmMsgSize: 300 });
    expect(v11.core.handle(getCert(0x11, 0, 0, 0xffff)).length).toBe(300);
  });

  it('1.3 SlotSizeRequested: no portion, RemainderLength = the chain size', async () => {
    const { core } = await negotiated(0x13);
    const all = decodeCertificate(core.handle(getCert(0x13, 0, 0, 0xffff)), {
      version: 0x13,
      maxPortionLength: 0xffff,
    });
    const size = decodeCertificate(core.handle(getCert(0x13, 0, 0, 0, true)), {
      version: 0x13,
      maxPortionLength: 0,
    });
    expect([size.portion.length, size.remainderLength]).toEqual([0, all.portion.length]);
  });

  it('B is bounded: endless zero-length fetches end in ERROR(Unspecified)', async () => {
    const { core } = await negotiated(0x12);
    let last: Uint8Array = new Uint8Array();
    let answered = 0;
    for (let i = 0; i < MAX_AUTH_TRANSCRIPT_MESSAGES; i++) {
      last = core.handle(getCert(0x12, 0, 0, 0));
      if (last[1] === RESPONSE_CODE.ERROR) break;
      answered++;
    }
    expect(errorOf(last).code).toBe(ERROR_CODE.Unspecified);
    expect(answered).toBe(MAX_AUTH_TRANSCRIPT_MESSAGES / 2);
  });

  it('without CERT_CAP: UnsupportedRequest naming the request', async () => {
    const { core } = await negotiated(0x12, { capabilities: CAP.MEAS_NO_SIG });
    expect(errorOf(core.handle(getCert(0x12, 0, 0, 10)))).toEqual({
      code: ERROR_CODE.UnsupportedRequest,
      data: REQUEST_CODE.GET_CERTIFICATE,
    });
  });
});

describe('CHALLENGE', () => {
  it('slot 0xFF, an empty slot, and a summary hash without measurements: InvalidRequest', async () => {
    const { core } = await negotiated(0x12);
    expect(errorOf(core.handle(challenge(0x12, 0xff))).code).toBe(ERROR_CODE.InvalidRequest);
    expect(errorOf(core.handle(challenge(0x12, 2))).code).toBe(ERROR_CODE.InvalidRequest);
    const caps = DEFAULT_RESPONDER_CAPS & ~CAP.MEAS_SIG;
    const noMeas = await negotiated(0x12, { capabilities: caps });
    expect(errorOf(noMeas.core.handle(challenge(0x12, 0, MEAS_SUMMARY_HASH_TYPE.TCB))).code).toBe(
      ERROR_CODE.InvalidRequest,
    );
    expect(noMeas.core.handle(challenge(0x12, 0))[1]).toBe(RESPONSE_CODE.CHALLENGE_AUTH);
  });

  it('without CHAL_CAP: UnsupportedRequest naming the request', async () => {
    const { core } = await negotiated(0x12, { capabilities: DEFAULT_RESPONDER_CAPS & ~CAP.CHAL });
    expect(errorOf(core.handle(challenge(0x12, 0)))).toEqual({
      code: ERROR_CODE.UnsupportedRequest,
      data: REQUEST_CODE.CHALLENGE,
    });
  });

  it.each(VERSIONS)('summary hashes (SPDM %s): ALL = every block, TCB = the TCB blocks', async (_name, v) => {
    const { core } = await negotiated(v);
    const blocks = measurementSource(ITEMS).blocks(MEASUREMENT_HASH_ALGO.SHA_256);
    const field = (i: number) => {
      const w = new ByteWriter();
      encodeMeasurementBlock(w, blocks[i]!);
      const whole = w.finish();
      return v >= 0x12 ? whole : whole.subarray(4);
    };
    const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
    const summary = (type: number) =>
      decodeChallengeAuth(core.handle(challenge(v, 0, type)), {
        version: v,
        hashSize: 32,
        sigSize: 64,
        summaryHashPresent: true,
      }).measurementSummaryHash;
    expect(summary(MEAS_SUMMARY_HASH_TYPE.ALL)).toEqual(sha256(concatBytes(field(0), field(1), field(2))));
    expect(summary(MEAS_SUMMARY_HASH_TYPE.TCB)).toEqual(sha256(field(0)));
  });
});

describe('GET_MEASUREMENTS', () => {
  it('count, one index, all; an unknown index is InvalidRequest', async () => {
    const { core } = await negotiated(0x12);
    const dec = (op: number, rsp: Uint8Array) =>
      decodeMeasurements(rsp, {
        version: 0x12,
        operation: op,
        measurementHashSize: 32,
        signaturePresent: false,
        sigSize: 0,
      });
    expect(
      dec(0, core.handle(getMeas(0x12, MEASUREMENT_OPERATION.TOTAL_NUMBER))).totalMeasurementIndices,
    ).toBe(3);
    expect(dec(2, core.handle(getMeas(0x12, 2))).blocks.map((b) => b.index)).toEqual([2]);
    expect(dec(0xff, core.handle(getMeas(0x12, 0xff))).blocks.map((b) => b.index)).toEqual([1, 2, 3]);
    expect(errorOf(core.handle(getMeas(0x12, 9))).code).toBe(ERROR_CODE.InvalidRequest);
  });

  it('a signature asked of a MEAS_CAP=NO_SIG responder: UnsupportedRequest', async () => {
    const caps = (DEFAULT_RESPONDER_CAPS & ~CAP.MEAS_SIG) | CAP.MEAS_NO_SIG;
    const { core } = await negotiated(0x12, { capabilities: caps });
    expect(errorOf(core.handle(getMeas(0x12, 0xff, true))).code).toBe(ERROR_CODE.UnsupportedRequest);
    expect(core.handle(getMeas(0x12, 0xff))[1]).toBe(RESPONSE_CODE.MEASUREMENTS);
  });

  it.each(VERSIONS)('SPDM %s: unsigned pairs join M, the signed answer covers them', async (_name, v) => {
    const { core, n } = await negotiated(v);
    const cfg = resolveRequesterInit({ versions: [v] });
    const leafKey = new X509Certificate(id.certificates[2]!).publicKey;
    const ctx = v >= 0x13 ? { requesterContext: new Uint8Array(8).fill(1) } : {};
    const s0: NegotiatedRequesterState = { kind: 'Negotiated', negotiated: n };
    const run = <T>(
      p: {
        request(s: NegotiatedRequesterState, c: typeof cfg): Uint8Array;
        response(s: NegotiatedRequesterState, c: typeof cfg, q: Uint8Array, r: Uint8Array): T;
      },
      s: NegotiatedRequesterState,
    ) => {
      const q = p.request(s, cfg);
      return p.response(s, cfg, q, core.handle(q));
    };
    const s1 = run(measurementsPhase({ operation: 1, signed: false, ...ctx }), s0).state;
    expect(s1.auth!.m.length).toBe(2);
    const signed = measurementsPhase({
      operation: 0xff,
      signed: true,
      nonce: new Uint8Array(32).fill(3),
      leafKey,
      ...ctx,
    });
    const s2 = run(signed, s1);
    expect(s2.state.auth!.m).toEqual([]);
    if (v >= 0x12) expect(s2.measurements.contentChanged).toBe(2); // no change
    // the same again, but the requester forgets the unsigned pair: the signature no longer verifies
    run(measurementsPhase({ operation: 1, signed: false, ...ctx }), s0);
    expect(() => run(signed, s0)).toThrow(expect.objectContaining({ code: 'VerifyFailed' }));
  });
});

describe('B transcript rules seen from both sides', () => {
  it('GET_MEASUREMENTS before CHALLENGE clears B on both sides; GET_DIGESTS restarts it', async () => {
    const { exchange, core, n } = await negotiated(0x12);
    const auth = new Authenticator(exchange, n as Negotiated, { trustedRoots: [id.root] });
    await auth.getDigests();
    await auth.getCertificate(0);
    const st = () => (core.state.kind === 'Negotiated' ? core.state.auth : undefined);
    expect(st()!.b.length).toBe(4);
    await auth.getMeasurements({ signed: false });
    expect(st()!.b).toEqual([]);
    expect(auth.state.auth!.b).toEqual([]);
    const c = await auth.challenge(0); // verifies: both signed over VCA ‖ CHALLENGE ‖ CHALLENGE_AUTH
    expect(c.leafSubject).toBe('CN=Test Device');
    expect(st()!.authenticated).toBe(true);
    await auth.getDigests();
    await auth.getDigests();
    expect(st()!.b.length).toBe(2);
    await auth.challenge(0);
  });
});
