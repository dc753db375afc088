/**
 * The responder's session handlers and session layer driven directly (ResponderCore +
 * ResponderSessions on an in-memory FramedConnection): the ERROR codes for refused KEY_EXCHANGE,
 * FINISH, HEARTBEAT, KEY_UPDATE, END_SESSION and chain-presentation requests, a measurement
 * summary hash in KEY_EXCHANGE_RSP, GET_VERSION ending every session, and `onSecured` staying
 * total on arbitrary bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../src/codec/bytes.js';
import { CAP } from '../../src/msgs/capabilities.js';
import { ERROR_CODE, REQUEST_CODE, RESPONSE_CODE } from '../../src/msgs/codes.js';
import { encodeToBytes } from '../../src/msgs/encode.js';
import { decodeErrorResponse } from '../../src/msgs/error.js';
import { encodeKeyExchange } from '../../src/msgs/key-exchange.js';
import { buildSupportedVersions } from '../../src/msgs/opaque-data.js';
import { encodeVendorDefinedRequest } from '../../src/msgs/vendor-defined.js';
import type { Negotiated } from '../../src/negotiated.js';
import { Authenticator } from '../../src/requester/authenticate.js';
import { finishPhase } from '../../src/requester/finish.js';
import { keyExchangePhase, prepareKeyExchange } from '../../src/requester/key-exchange.js';
import { negotiate } from '../../src/requester/negotiate.js';
import { runPhase } from '../../src/requester/phase.js';
import { ResponderCore } from '../../src/responder/core.js';
import { ResponderSessions, type ResponderSessionsInit } from '../../src/responder/sessions.js';
import { SecuredSession } from '../../src/session/secured-session.js';
import { memoryConnectionPair } from '../../src/transport/memory.js';
import { TCP_SECURED_PARAMS } from '../../src/transport/secured-params.js';
import { identities, requesterInit, responderInit, SUITES } from '../session/fixtures.js';

const suite = SUITES[0]!;

async function setup(over: Partial<ResponderSessionsInit & { capabilities: number }> = {}) {
  const ids = identities();
  const init = responderInit(ids, suite, over);
  const core = new ResponderCore(init);
  const [a, b] = memoryConnectionPair();
  const sessions = new ResponderSessions(core, a, init);
  const ex = async (req: Uint8Array) => core.handle(req);
  const rinit = requesterInit(ids, suite, { identity: undefined });
  const n = await negotiate(ex, rinit);
  return { ids, core, sessions, peer: b, ex, n, rinit };
}

function errorOf(rsp: Uint8Array): number {
  expect(rsp[1]).toBe(RESPONSE_CODE.ERROR);
  return decodeErrorResponse(rsp).errorCode;
}

function keyExchange(n: Negotiated, over: Partial<Parameters<typeof encodeKeyExchange>[1]> = {}): Uint8Array {
  return encodeToBytes(encodeKeyExchange, {
    code: REQUEST_CODE.KEY_EXCHANGE,
    version: n.version,
    measurementSummaryHashType: 0,
    slotId: 0,
    reqSessionId: 0xffff,
    sessionPolicy: 0,
    randomData: new Uint8Array(32),
    exchangeData: new Uint8Array(64).fill(1),
    opaqueData: buildSupportedVersions(n.version, [0x1200]),
    ...over,
  });
}

/** A real KEY_EXCHANGE through the core; returns the requester's session state. */
async function openHandshake(s: Awaited<ReturnType<typeof setup>>, summary = 0) {
  const auth = new Authenticator(s.ex, s.n, s.rinit);
  await auth.getDigests();
  const cert = await auth.getCertificate(0);
  const start = prepareKeyExchange(s.n, {
    slotId: 0,
    responderCertChain: cert.chain,
    responderKey: cert.validated.leafKey,
    measurementSummaryHashType: summary,
  });
  const ke = await runPhase(keyExchangePhase, start, undefined, s.ex);
  const secured = new SecuredSession({
    role: 'requester',
    sessionId: ke.sessionId,
    params: TCP_SECURED_PARAMS,
    keySchedule: ke.keySchedule,
  });
  /** Sends `msg` in the session and returns the opened answer. */
  const inSession = async (msg: Uint8Array): Promise<Uint8Array> => {
    s.sessions.onSecured(secured.sealSpdm(msg));
    const f = await s.peer.receive();
    if (f.type !== 'secured') throw new Error(`expected a record, got ${f.type}`);
    const o = secured.openRaw(f.payload);
    if (o.kind !== 'spdm') throw new Error('expected SPDM');
    return o.message;
  };
  return { ke, secured, inSession };
}

const hdr = (n: Negotiated, code: number, p1 = 0, p2 = 0) => Uint8Array.of(n.version, code, p1, p2);

describe('KEY_EXCHANGE refusals', () => {
  it('answers InvalidRequest / UnexpectedRequest / UnsupportedRequest as libspdm does', async () => {
    const s = await setup({ mutualAuth: undefined });
    expect(errorOf(s.core.handle(keyExchange(s.n, { slotId: 0xff })))).toBe(ERROR_CODE.InvalidRequest);
    expect(errorOf(s.core.handle(keyExchange(s.n, { slotId: 3 })))).toBe(ERROR_CODE.InvalidRequest);
    const only13 = buildSupportedVersions(s.n.version, [0x1300]);
    expect(errorOf(s.core.handle(keyExchange(s.n, { opaqueData: only13 })))).toBe(ERROR_CODE.InvalidRequest);
    expect(errorOf(s.core.handle(keyExchange(s.n, { opaqueData: new Uint8Array(0) })))).toBe(
      ERROR_CODE.InvalidRequest,
    );
    // Not a point on the curve.
    expect(errorOf(s.core.handle(keyExchange(s.n)))).toBe(ERROR_CODE.InvalidRequest);
    // EventAllPolicy without EVENT_CAP.
    expect(errorOf(s.core.handle(keyExchange(s.n, { sessionPolicy: 2 })))).toBe(ERROR_CODE.InvalidRequest);
    // Mutual authentication is required and the requester presented no chain.
    const ex = await setup({ mutualAuth: { trustedRoots: [s.ids.root] } });
    const key = (await openHandshake(s)).ke.transcript.keyExchange;
    expect(errorOf(ex.core.handle(key))).toBe(ERROR_CODE.UnexpectedRequest);
    expect(s.sessions.liveCount()).toBe(1);
  });

  it('before VCA it is UnexpectedRequest; without KEY_EX_CAP UnsupportedRequest', async () => {
    const fresh = new ResponderCore(responderInit(identities(), suite));
    const [a] = memoryConnectionPair();
    new ResponderSessions(fresh, a);
    expect(errorOf(fresh.handle(Uint8Array.of(0x13, REQUEST_CODE.KEY_EXCHANGE, 0, 0)))).toBe(
      ERROR_CODE.UnexpectedRequest,
    );
    const s = await setup({ capabilities: CAP.CERT | CAP.CHAL | CAP.MEAS_SIG, mutualAuth: undefined });
    const rsp = s.core.handle(keyExchange(s.n));
    expect(errorOf(rsp)).toBe(ERROR_CODE.UnsupportedRequest);
    expect(decodeErrorResponse(rsp).errorData).toBe(REQUEST_CODE.KEY_EXCHANGE);
  });

  it('answers a measurement summary hash when asked (TCB)', async () => {
    const s = await setup({ mutualAuth: undefined });
    const { ke } = await openHandshake(s, 1);
    expect(ke.measurementSummaryHash?.length).toBe(32);
  });
});

describe('requests in and around a session', () => {
  it('in-session requests outside a session are SessionRequired (1.2+; libspdm, validator 9.11/12.4/13.5/16.4), FINISH / HEARTBEAT in the wrong phase UnexpectedRequest', async () => {
    const s = await setup({ mutualAuth: undefined });
    const outside = s.n.version >= 0x12 ? ERROR_CODE.SessionRequired : ERROR_CODE.Unspecified;
    for (const code of [
      REQUEST_CODE.FINISH,
      REQUEST_CODE.HEARTBEAT,
      REQUEST_CODE.END_SESSION,
      REQUEST_CODE.KEY_UPDATE,
    ]) {
      expect(errorOf(s.core.handle(hdr(s.n, code, code === REQUEST_CODE.KEY_UPDATE ? 1 : 0)))).toBe(outside);
    }
    const h = await openHandshake(s);
    expect(errorOf(await h.inSession(hdr(s.n, REQUEST_CODE.HEARTBEAT)))).toBe(ERROR_CODE.UnexpectedRequest);
    // KEY_EXCHANGE is an outside-session request.
    expect(errorOf(await h.inSession(keyExchange(s.n)))).toBe(ERROR_CODE.UnexpectedRequest);
    const finish = finishPhase.request(h.ke, undefined);
    finishPhase.response(h.ke, undefined, finish, await h.inSession(finish));
    h.secured.switchToDataKeys();
    expect((await h.inSession(hdr(s.n, REQUEST_CODE.HEARTBEAT)))[1]).toBe(RESPONSE_CODE.HEARTBEAT_ACK);
    // A second FINISH in an established session.
    expect(errorOf(await h.inSession(finish))).toBe(ERROR_CODE.UnexpectedRequest);
    // VerifyNewKey without a new request key.
    expect(errorOf(await h.inSession(hdr(s.n, REQUEST_CODE.KEY_UPDATE, 3, 7)))).toBe(
      ERROR_CODE.InvalidRequest,
    );
    // GET_VERSION (outside the session) ends every session.
    expect(s.core.handle(Uint8Array.of(0x10, REQUEST_CODE.GET_VERSION, 0, 0))[1]).toBe(RESPONSE_CODE.VERSION);
    expect(s.sessions.liveCount()).toBe(0);
  });

  it('a FINISH with a wrong RequesterVerifyData is DecryptError and ends the session', async () => {
    const s = await setup({ mutualAuth: undefined });
    const h = await openHandshake(s);
    const finish = finishPhase.request(h.ke, undefined);
    finish[finish.length - 1]! ^= 1;
    expect(errorOf(await h.inSession(finish))).toBe(ERROR_CODE.DecryptError);
    expect(s.sessions.liveCount()).toBe(0);
  });
});

describe('chain presentation (VENDOR_DEFINED_REQUEST)', () => {
  const vdm = (n: Negotiated, standardId: number, vendorId: Uint8Array, payload: Uint8Array) =>
    encodeToBytes(encodeVendorDefinedRequest, {
      code: REQUEST_CODE.VENDOR_DEFINED_REQUEST,
      version: n.version,
      standardId,
      vendorId,
      payload,
    });
  const ours = Uint8Array.of(0xd9, 0x7e, 0, 0);

  it('another vendor, or a responder that takes no chains, is UnsupportedRequest', async () => {
    const s = await setup({ mutualAuth: undefined });
    expect(errorOf(s.core.handle(vdm(s.n, 4, Uint8Array.of(1, 2, 3, 4), new Uint8Array(4))))).toBe(
      ERROR_CODE.UnsupportedRequest,
    );
    expect(errorOf(s.core.handle(vdm(s.n, 4, ours, new Uint8Array(40))))).toBe(ERROR_CODE.UnsupportedRequest);
  });

  it('a malformed chain is InvalidRequest', async () => {
    const ids = identities();
    const rinit = requesterInit(ids, suite);
    const core = new ResponderCore(responderInit(ids, suite));
    const [a] = memoryConnectionPair();
    new ResponderSessions(core, a, { mutualAuth: { trustedRoots: [ids.root] } });
    const n = await negotiate(async (r) => core.handle(r), rinit);
    expect(
      errorOf(core.handle(vdm(n, 4, ours, concatBytes(Uint8Array.of(40, 0, 0, 0), new Uint8Array(36))))),
    ).toBe(ERROR_CODE.InvalidRequest);
  });
});

describe('onSecured', () => {
  it('is total: arbitrary bytes never throw (they are answered DecryptError)', async () => {
    const s = await setup({ mutualAuth: undefined });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(s.sessions.onSecured(bytes)).toBeNull();
      }),
      { numRuns: 200 },
    );
    const f = await s.peer.receive();
    expect(f.type === 'spdm' && decodeErrorResponse(f.payload).errorCode).toBe(ERROR_CODE.DecryptError);
  });
});
