import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/codec/bytes.js';
import { SpdmError } from '../../src/errors.js';
import { decodeAlgorithms, encodeNegotiateAlgorithms } from '../../src/msgs/algorithms.js';
import {
  CAP,
  capsForVersion,
  decodeCapabilities,
  encodeGetCapabilities,
} from '../../src/msgs/capabilities.js';
import { ERROR_CODE, REQUEST_CODE, RESPONSE_CODE } from '../../src/msgs/codes.js';
import { encodeToBytes } from '../../src/msgs/encode.js';
import { decodeErrorResponse } from '../../src/msgs/error.js';
import { peekHeader } from '../../src/msgs/header.js';
import { decodeVersion } from '../../src/msgs/version.js';
import { buildNegotiateAlgorithms } from '../../src/requester/algorithms.js';
import { resolveRequesterInit } from '../../src/requester/init.js';
import { ResponderCore } from '../../src/responder/core.js';
import type { RequestHandler } from '../../src/responder/handler.js';
import { mutated } from '../msgs/vca-arbitraries.js';

const GET_VERSION = fromHex('10840000');
const REQ_CAPS =
  CAP.CERT | CAP.CHAL | CAP.ENCRYPT | CAP.MAC | CAP.MUT_AUTH | CAP.KEY_EX | CAP.HBEAT | CAP.KEY_UPD;

function getCaps(v: number, over: Partial<Parameters<typeof encodeGetCapabilities>[1]> = {}): Uint8Array {
  const v12 = v >= 0x12;
  return encodeToBytes(encodeGetCapabilities, {
    code: REQUEST_CODE.GET_CAPABILITIES,
    version: v,
    param1: 0,
    ctExponent: v >= 0x11 ? 10 : 0,
    flags: capsForVersion(REQ_CAPS, 'requester', v),
    dataTransferSize: v12 ? 4608 : 0,
    maxSpdmMsgSize: v12 ? 4608 : 0,
    ...over,
  });
}

/** NEGOTIATE_ALGORITHMS as our requester would send it at version v. */
function negotiateAlgs(core: ResponderCore): Uint8Array {
  const s = core.state;
  if (s.kind !== 'AfterCapabilities') throw new Error('not after capabilities');
  return encodeToBytes(encodeNegotiateAlgorithms, buildNegotiateAlgorithms(s.caps, resolveRequesterInit()));
}

function expectError(rsp: Uint8Array, code: number, version: number, data = 0): void {
  const e = decodeErrorResponse(rsp);
  expect({ code: e.errorCode, version: e.version, data: e.errorData }).toEqual({ code, version, data });
}

function negotiateFully(core: ResponderCore, v: number): void {
  expect(peekHeader(core.handle(GET_VERSION)).code).toBe(RESPONSE_CODE.VERSION);
  expect(peekHeader(core.handle(getCaps(v))).code).toBe(RESPONSE_CODE.CAPABILITIES);
  expect(peekHeader(core.handle(negotiateAlgs(core))).code).toBe(RESPONSE_CODE.ALGORITHMS);
  expect(core.state.kind).toBe('Negotiated');
}

describe('ResponderCore: VCA', () => {
  it('lists its versions in VERSION and walks NotStarted -> AfterVersion -> AfterCapabilities -> Negotiated', () => {
    const core = new ResponderCore();
    expect(core.state.kind).toBe('NotStarted');
    const v = decodeVersion(core.handle(GET_VERSION));
    expect(v.entries).toEqual([0x1100, 0x1200, 0x1300]);
    expect(core.state.kind).toBe('AfterVersion');
    const caps = decodeCapabilities(core.handle(getCaps(0x13)));
    expect(caps.flags).toBe(
      CAP.CERT |
        CAP.CHAL |
        CAP.MEAS_SIG |
        CAP.ENCRYPT |
        CAP.MAC |
        CAP.MUT_AUTH |
        CAP.KEY_EX |
        CAP.HBEAT |
        CAP.KEY_UPD,
    );
    expect(core.state.kind).toBe('AfterCapabilities');
    const algs = decodeAlgorithms(core.handle(negotiateAlgs(core)));
    expect([algs.baseAsymSel, algs.baseHashSel]).toEqual([0x10, 0x01]);
    expect(core.negotiated?.version).toBe(0x13);
    expect(core.negotiated?.requesterCtExponent).toBe(10);
  });

  it.each([0x11, 0x12, 0x13])('answers GET_CAPABILITIES 0x%s with the size of that version', (v) => {
    const core = new ResponderCore();
    core.handle(GET_VERSION);
    const rsp = core.handle(getCaps(v));
    expect(rsp.length).toBe(v >= 0x12 ? 20 : 12);
    expect(rsp[0]).toBe(v);
    const alg = core.handle(negotiateAlgs(core));
    expect(alg[7]).toBe(v >= 0x12 ? 2 : 0);
    expect(core.negotiated?.otherParams).toBe(v >= 0x12 ? 2 : 0);
    expect(core.negotiated?.responderDataTransferSize).toBe(v >= 0x12 ? 4608 : 0);
    expect(core.negotiated!.requesterCaps & CAP.MUT_AUTH).toBe(v === 0x11 ? 0 : CAP.MUT_AUTH);
    expect(core.negotiated!.responderCaps & CAP.MUT_AUTH).toBe(v === 0x11 ? 0 : CAP.MUT_AUTH);
  });

  it('GET_VERSION resets from any state and starts a new transcript', () => {
    const core = new ResponderCore();
    negotiateFully(core, 0x12);
    const first = core.negotiated!.vca;
    core.handle(GET_VERSION);
    expect(core.state.kind).toBe('AfterVersion');
    expect(core.negotiated).toBeNull();
    core.handle(getCaps(0x13));
    core.handle(negotiateAlgs(core));
    expect(core.negotiated!.version).toBe(0x13);
    expect(toHex(core.negotiated!.vca.subarray(0, 4))).toBe('10840000');
    expect(toHex(first)).not.toBe(toHex(core.negotiated!.vca));
  });

  it('does not keep a reference to the caller request buffer', () => {
    const core = new ResponderCore();
    const gv = GET_VERSION.slice();
    core.handle(gv);
    gv.fill(0xee);
    const s = core.state;
    expect(s.kind === 'AfterVersion' && toHex(s.transcript.subarray(0, 4))).toBe('10840000');
  });
});

describe('ResponderCore: errors', () => {
  it('answers out-of-order requests with UnexpectedRequest and keeps its state', () => {
    const core = new ResponderCore();
    expectError(core.handle(getCaps(0x12)), ERROR_CODE.UnexpectedRequest, 0x10);
    core.handle(GET_VERSION);
    expectError(core.handle(fromHex('12e30000')), ERROR_CODE.UnexpectedRequest, 0x10);
    expect(core.state.kind).toBe('AfterVersion');
    core.handle(getCaps(0x12));
    expectError(core.handle(getCaps(0x12)), ERROR_CODE.UnexpectedRequest, 0x12);
    const algs = negotiateAlgs(core);
    core.handle(algs);
    expect(core.state.kind).toBe('Negotiated');
    expectError(core.handle(algs), ERROR_CODE.UnexpectedRequest, 0x12);
    expectError(core.handle(getCaps(0x12)), ERROR_CODE.UnexpectedRequest, 0x12);
    expect(core.state.kind).toBe('Negotiated');
  });

  it('answers a wrong version byte after GET_CAPABILITIES with VersionMismatch', () => {
    const core = new ResponderCore();
    core.handle(GET_VERSION);
    core.handle(getCaps(0x13));
    const algs = negotiateAlgs(core);
    const wrong = algs.slice();
    wrong[0] = 0x12;
    expectError(core.handle(wrong), ERROR_CODE.VersionMismatch, 0x13);
    expect(core.state.kind).toBe('AfterCapabilities');
    expect(peekHeader(core.handle(algs)).code).toBe(RESPONSE_CODE.ALGORITHMS);
  });

  it('answers GET_VERSION with a version other than 1.0, and GET_CAPABILITIES in a version not listed, with VersionMismatch', () => {
    const core = new ResponderCore({ versions: [0x12] });
    expectError(core.handle(fromHex('12840000')), ERROR_CODE.VersionMismatch, 0x10);
    core.handle(GET_VERSION);
    expectError(core.handle(getCaps(0x13)), ERROR_CODE.VersionMismatch, 0x10);
    expectError(core.handle(getCaps(0x10)), ERROR_CODE.VersionMismatch, 0x10);
    expect(core.state.kind).toBe('AfterVersion');
  });

  it('answers unknown and unimplemented codes with UnsupportedRequest, Param2 = the code', () => {
    const core = new ResponderCore();
    for (const code of [REQUEST_CODE.GET_CSR, REQUEST_CODE.KEY_EXCHANGE, 0x80, RESPONSE_CODE.VERSION, 0x00]) {
      expectError(core.handle(Uint8Array.of(0x10, code, 0, 0)), ERROR_CODE.UnsupportedRequest, 0x10, code);
    }
    negotiateFully(core, 0x12);
    expectError(core.handle(fromHex('12ed0000')), ERROR_CODE.UnsupportedRequest, 0x12, 0xed);
  });

  it('answers malformed requests with InvalidRequest', () => {
    const core = new ResponderCore();
    expectError(core.handle(fromHex('1084')), ERROR_CODE.InvalidRequest, 0x10);
    expectError(core.handle(fromHex('1084000000')), ERROR_CODE.InvalidRequest, 0x10);
    core.handle(GET_VERSION);
    expectError(core.handle(getCaps(0x12).subarray(0, 19)), ERROR_CODE.InvalidRequest, 0x12);
    expectError(core.handle(getCaps(0x12, { flags: CAP.KEY_EX })), ERROR_CODE.InvalidRequest, 0x12);
    expectError(core.handle(getCaps(0x11, { flags: REQ_CAPS })), ERROR_CODE.InvalidRequest, 0x11);
    expectError(
      core.handle(getCaps(0x12, { dataTransferSize: 41, maxSpdmMsgSize: 41 })),
      ERROR_CODE.InvalidRequest,
      0x12,
    );
    expectError(core.handle(getCaps(0x12, { maxSpdmMsgSize: 8192 })), ERROR_CODE.InvalidRequest, 0x12);
    expectError(core.handle(getCaps(0x12, { ctExponent: 32 })), ERROR_CODE.InvalidRequest, 0x12);
    expectError(core.handle(getCaps(0x13, { param1: 1 })), ERROR_CODE.InvalidRequest, 0x13);
    expect(core.state.kind).toBe('AfterVersion');
    core.handle(getCaps(0x12));
    const algs = negotiateAlgs(core);
    const zeroDhe = algs.slice();
    zeroDhe[34] = 0;
    zeroDhe[35] = 0;
    expectError(core.handle(zeroDhe), ERROR_CODE.InvalidRequest, 0x12);
    const badLength = algs.slice();
    badLength[4] = (badLength[4] ?? 0) + 1;
    expectError(core.handle(badLength), ERROR_CODE.InvalidRequest, 0x12);
    expect(core.state.kind).toBe('AfterCapabilities');
  });

  it('keeps serving after errors: a full negotiation still succeeds', () => {
    const core = new ResponderCore();
    core.handle(fromHex('ff'));
    core.handle(fromHex('10e10000'));
    core.handle(GET_VERSION);
    core.handle(getCaps(0x12, { flags: CAP.MAC }));
    core.handle(fromHex('12e3'));
    negotiateFully(core, 0x12);
  });

  it('refuses VCA inside a session with UnexpectedRequest', () => {
    const core = new ResponderCore();
    expectError(core.handle(GET_VERSION, { sessionId: 0xffffffff }), ERROR_CODE.UnexpectedRequest, 0x10);
    expect(core.state.kind).toBe('NotStarted');
  });

  it('answers RESPOND_IF_READY with UnexpectedRequest (nothing is ever pending)', () => {
    const core = new ResponderCore();
    negotiateFully(core, 0x13);
    expectError(core.handle(fromHex('13ffe305')), ERROR_CODE.UnexpectedRequest, 0x13);
    expectError(core.handle(fromHex('13ffe3')), ERROR_CODE.InvalidRequest, 0x13);
  });

  it('answers a request above MaxSPDMmsgSize with RequestTooLarge (1.2+)', () => {
    const core = new ResponderCore();
    negotiateFully(core, 0x12);
    const big = new Uint8Array(4609);
    big.set([0x12, 0x81]);
    expectError(core.handle(big), ERROR_CODE.RequestTooLarge, 0x12);
  });
});

describe('ResponderCore: extension through handlers', () => {
  const echo = (size: number): RequestHandler => ({
    name: 'GET_DIGESTS',
    allowedIn: ['Negotiated'],
    handle(request, ctx) {
      const rsp = new Uint8Array(size);
      rsp.set([ctx.version ?? 0, RESPONSE_CODE.DIGESTS, 0, request[3] ?? 0]);
      return { response: rsp };
    },
  });

  it('dispatches a registered handler only in its states, with the version checked', () => {
    const core = new ResponderCore().registerHandler(REQUEST_CODE.GET_DIGESTS, echo(4));
    expectError(core.handle(fromHex('10810000')), ERROR_CODE.UnexpectedRequest, 0x10);
    negotiateFully(core, 0x13);
    expect(toHex(core.handle(fromHex('13810007')))).toBe('13010007');
    expectError(core.handle(fromHex('12810000')), ERROR_CODE.VersionMismatch, 0x13);
    expect(core.state.kind).toBe('Negotiated');
  });

  it('takes handlers from ResponderInit and turns their exceptions into ERROR', () => {
    const seen: unknown[] = [];
    const failing: RequestHandler = {
      name: 'KEY_EXCHANGE',
      allowedIn: 'any',
      checkVersion: false,
      handle(request) {
        if (request[2] === 1) throw new SpdmError('Busy', 'try later', { wireCode: ERROR_CODE.Busy });
        if (request[2] === 2) throw new SpdmError('VerifyFailed', 'bad');
        if (request[2] === 3) throw new SpdmError('Internal', 'odd', { wireCode: 0x1234, wireData: -1 });
        throw new TypeError('a bug');
      },
    };
    const core = new ResponderCore({
      handlers: new Map([[REQUEST_CODE.KEY_EXCHANGE, failing]]),
      onError: (e) => seen.push(e),
    });
    expectError(core.handle(fromHex('10e40100')), ERROR_CODE.Busy, 0x10);
    expectError(core.handle(fromHex('10e40200')), ERROR_CODE.Unspecified, 0x10);
    expectError(core.handle(fromHex('10e40000')), ERROR_CODE.Unspecified, 0x10);
    expectError(core.handle(fromHex('10e40300')), ERROR_CODE.Unspecified, 0x10);
    expect(seen.map((e) => (e as Error).name)).toEqual(['SpdmError', 'SpdmError', 'TypeError', 'SpdmError']);
  });

  it('answers ResponseTooLarge when a response exceeds the requester DataTransferSize', () => {
    const core = new ResponderCore().registerHandler(REQUEST_CODE.GET_DIGESTS, echo(4609));
    negotiateFully(core, 0x12);
    expectError(core.handle(fromHex('12810000')), ERROR_CODE.ResponseTooLarge, 0x12);
  });

  it('refuses to register a response code', () => {
    expect(() => new ResponderCore().registerHandler(0x01, echo(4))).toThrow(RangeError);
  });

  it('refuses inconsistent configurations', () => {
    expect(() => new ResponderCore({ versions: [] })).toThrow(RangeError);
    expect(() => new ResponderCore({ versions: [0x10 as never] })).toThrow(RangeError);
    expect(() => new ResponderCore({ capabilities: CAP.KEY_EX })).toThrow(/MAC_CAP/);
    expect(() => new ResponderCore({ dataTransferSize: 41 })).toThrow(RangeError);
    expect(() => new ResponderCore({ dataTransferSize: 4096, maxSpdmMsgSize: 8192 })).toThrow(/CHUNK_CAP/);
    expect(() => new ResponderCore({ algorithms: { baseHash: [0x40] } })).toThrow(RangeError);
    expect(() => new ResponderCore({ algorithms: { baseHash: [1, 1] } })).toThrow(RangeError);
  });
});

describe('ResponderCore never throws', () => {
  it('on arbitrary bytes, in every state, and always answers an SPDM message', () => {
    const prefix = fc.constantFrom(0, 1, 2, 3);
    fc.assert(
      fc.property(prefix, fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 6 }), (steps, inputs) => {
        const core = new ResponderCore();
        if (steps >= 1) core.handle(GET_VERSION);
        if (steps >= 2) core.handle(getCaps(0x13));
        if (steps >= 3) core.handle(negotiateAlgs(core));
        for (const b of inputs) {
          const rsp = core.handle(b);
          expect(rsp.length).toBeGreaterThanOrEqual(4);
          expect(rsp[1]! & 0x80).toBe(0);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('on mutated VCA requests', () => {
    const core0 = new ResponderCore();
    core0.handle(GET_VERSION);
    core0.handle(getCaps(0x13));
    const algs = negotiateAlgs(core0);
    const valid = [GET_VERSION, getCaps(0x11), getCaps(0x12), getCaps(0x13), algs];
    fc.assert(
      fc.property(
        fc.array(
          fc.constantFrom(...valid).chain((v) => mutated(v)),
          { maxLength: 8 },
        ),
        (msgs) => {
          const core = new ResponderCore();
          for (const m of msgs) {
            const rsp = core.handle(m);
            expect(rsp[1]! & 0x80).toBe(0);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});
