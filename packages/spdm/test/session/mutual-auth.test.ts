/**
 * Who may open a session, over real TCP: requester chains presented with VENDOR_DEFINED_REQUEST
 * or provisioned (libspdm WO_ENCAP), chains from a foreign root, keys that do not match the
 * chain, requesters without an identity; the session limit; SPDM 1.1 / 1.2 sessions and
 * HANDSHAKE_IN_THE_CLEAR.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { CAP } from '../../src/msgs/capabilities.js';
import { ERROR_CODE } from '../../src/msgs/codes.js';
import { Authenticator } from '../../src/requester/authenticate.js';
import { DEFAULT_REQUESTER_CAPS } from '../../src/requester/init.js';
import { keyExchangePhase, prepareKeyExchange } from '../../src/requester/key-exchange.js';
import { RequesterLink } from '../../src/requester/link.js';
import { negotiate } from '../../src/requester/negotiate.js';
import { runPhase } from '../../src/requester/phase.js';
import { RequesterSession } from '../../src/requester/session.js';
import { DEFAULT_RESPONDER_CAPS } from '../../src/responder/init.js';
import type { ServeInit } from '../../src/responder/run.js';
import { connectTcp, type TcpServerHandle } from '../../src/transport/tcp.js';
import {
  closedOf,
  collect,
  echoResponder,
  identities,
  openSession,
  requesterInit,
  responderInit,
  SUITES,
  startResponder,
} from './fixtures.js';
import { startProxy } from './proxy.js';

const suite = SUITES[0]!;
const servers: TcpServerHandle[] = [];

async function responder(init: ServeInit): Promise<number> {
  const { server, port } = await startResponder(init);
  servers.push(server);
  return port;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function echoOnce(port: number, init: Parameters<typeof openSession>[1], text = 'ping') {
  const r = await openSession(port, init);
  const back = collect(r.channel);
  r.channel.end(text);
  await closedOf(r.channel);
  return { ...r, text: back.text() };
}

describe('requester identity', () => {
  it('a chain from a foreign root is refused before any session exists', async () => {
    const ids = identities();
    const foreign = identities();
    const echo = echoResponder();
    const port = await responder(responderInit(ids, suite, { onSession: echo.onSession }));
    const attempt = openSession(port, requesterInit(ids, suite, { identity: foreign.requester }));
    await expect(attempt).rejects.toMatchObject({
      name: 'SpdmError',
      code: 'InvalidCertificate',
      wireCode: ERROR_CODE.InvalidRequest,
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(echo.sessions).toHaveLength(0);
  });

  it('without presenting it, a responder that knows no chain refuses KEY_EXCHANGE', async () => {
    const ids = identities();
    const echo = echoResponder();
    const port = await responder(responderInit(ids, suite, { onSession: echo.onSession }));
    await expect(openSession(port, requesterInit(ids, suite, { presentChain: false }))).rejects.toMatchObject(
      {
        code: 'Peer',
        wireCode: ERROR_CODE.UnexpectedRequest,
      },
    );
    expect(echo.sessions).toHaveLength(0);
  });

  it('a requester without an identity is refused when mutual authentication is required', async () => {
    const ids = identities();
    const port = await responder(responderInit(ids, suite));
    await expect(openSession(port, requesterInit(ids, suite, { identity: undefined }))).rejects.toMatchObject(
      {
        code: 'Peer',
        wireCode: ERROR_CODE.UnexpectedRequest,
      },
    );
  });

  it('a key that does not belong to the presented chain fails the FINISH signature: no session', async () => {
    const ids = identities();
    const echo = echoResponder();
    const port = await responder(responderInit(ids, suite, { onSession: echo.onSession }));
    const wrongKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const identity = { certificates: ids.requester.certificates, privateKey: wrongKey };
    await expect(openSession(port, requesterInit(ids, suite, { identity }))).rejects.toMatchObject({
      code: 'Peer',
      wireCode: ERROR_CODE.DecryptError,
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(echo.sessions).toHaveLength(0);
  });

  it("libspdm's WO_ENCAP mode: a provisioned requester chain, nothing presented", async () => {
    const ids = identities();
    const echo = echoResponder();
    const port = await responder(
      responderInit(ids, suite, {
        onSession: echo.onSession,
        mutualAuth: { provisionedRequesterChain: ids.requester.certificates },
      }),
    );
    const r = await echoOnce(port, requesterInit(ids, suite, { presentChain: false }));
    expect(r.text).toBe('ping');
    expect(r.session.mutuallyAuthenticated).toBe(true);
    expect(echo.sessions[0]?.peer?.leafSubject).toBe('CN=Test Requester');
  });

  it('without mutual authentication the responder sees no peer and the requester does not sign', async () => {
    const ids = identities();
    const echo = echoResponder();
    const port = await responder(
      responderInit(ids, suite, { onSession: echo.onSession, mutualAuth: undefined }),
    );
    const r = await echoOnce(port, requesterInit(ids, suite, { identity: undefined }));
    expect(r.text).toBe('ping');
    expect(r.session.mutuallyAuthenticated).toBe(false);
    expect(echo.sessions[0]?.peer).toBeNull();
  });

  it('a requester with an identity opens a one-way session with a responder that asks for none', async () => {
    const ids = identities();
    const echo = echoResponder();
    const port = await responder(
      responderInit(ids, suite, { onSession: echo.onSession, mutualAuth: undefined }),
    );
    const r = await echoOnce(port, requesterInit(ids, suite));
    expect(r.text).toBe('ping');
    expect(r.session.mutuallyAuthenticated).toBe(false);
    expect(echo.sessions[0]?.peer).toBeNull();
  });

  it('a responder chain from a foreign root is refused by the requester', async () => {
    const ids = identities();
    const foreign = identities();
    const port = await responder(responderInit(foreign, suite, { mutualAuth: { trustedRoots: [ids.root] } }));
    await expect(openSession(port, requesterInit(ids, suite))).rejects.toMatchObject({
      code: 'InvalidCertificate',
    });
  });
});

describe('session limit', () => {
  it('a KEY_EXCHANGE beyond maxSessions is answered SessionLimitExceeded', async () => {
    const ids = identities();
    const port = await responder(responderInit(ids, suite, { maxSessions: 1, mutualAuth: undefined }));
    const link = new RequesterLink(await connectTcp('127.0.0.1', port));
    const init = requesterInit(ids, suite, {
      identity: undefined,
      capabilities: DEFAULT_REQUESTER_CAPS & ~(CAP.CERT | CAP.CHAL | CAP.MUT_AUTH),
    });
    const negotiated = await negotiate(link.exchange, init);
    const auth = new Authenticator(link.exchange, negotiated, init);
    await auth.getDigests();
    const cert = await auth.getCertificate(0);
    const start = (reqSessionId: number) =>
      prepareKeyExchange(negotiated, {
        slotId: 0,
        responderCertChain: cert.chain,
        responderKey: cert.validated.leafKey,
        reqSessionId,
      });
    const ke = await runPhase(keyExchangePhase, start(0xffff), undefined, link.exchange);
    expect(ke.rspSessionId).toBe(0xffff);
    const first = await RequesterSession.establish(link, ke, {});
    await expect(runPhase(keyExchangePhase, start(0xfffe), undefined, link.exchange)).rejects.toMatchObject({
      code: 'Peer',
      wireCode: ERROR_CODE.SessionLimitExceeded,
    });
    await first.end();
    // The limit counts live sessions: after END_SESSION the id 0xFFFF is free again (libspdm).
    const again = await runPhase(keyExchangePhase, start(0xfffd), undefined, link.exchange);
    expect(again.rspSessionId).toBe(0xffff);
    const second = await RequesterSession.establish(link, again, { ownsConnection: true });
    await second.end();
  });
});

describe('versions and handshake placement', () => {
  it.each([
    ['1.2', 0x12, true],
    ['1.1', 0x11, false],
  ] as const)('SPDM %s session (mutual authentication: %s)', async (_name, version, mutual) => {
    const ids = identities();
    const echo = echoResponder();
    const port = await responder(
      responderInit(ids, suite, {
        versions: [version],
        onSession: echo.onSession,
        ...(mutual ? {} : { mutualAuth: undefined }),
      }),
    );
    const r = await echoOnce(
      port,
      requesterInit(ids, suite, { versions: [version], ...(mutual ? {} : { identity: undefined }) }),
    );
    expect(r.negotiated.version).toBe(version);
    expect(r.text).toBe('ping');
    expect(r.session.mutuallyAuthenticated).toBe(mutual);
    expect(r.session.securedVersion).toBe(0x1200);
  });

  it('HANDSHAKE_IN_THE_CLEAR on both sides: FINISH and FINISH_RSP travel as plain messages', async () => {
    const ids = identities();
    const port = await responder(
      responderInit(ids, suite, {
        capabilities: DEFAULT_RESPONDER_CAPS | CAP.HANDSHAKE_IN_THE_CLEAR,
        onSession: echoResponder().onSession,
      }),
    );
    const seen: string[] = [];
    const proxy = await startProxy(port, (dir, frame) => {
      if (frame[3] === 0x05 && (frame[5] === 0xe5 || frame[5] === 0x65))
        seen.push(`${dir} plain ${frame[5]!.toString(16)}`);
      if (frame[3] === 0x06 && seen.length === 2 && !seen.includes('secured')) seen.push('secured');
      return [frame];
    });
    try {
      const r = await echoOnce(
        proxy.port,
        requesterInit(ids, suite, { capabilities: DEFAULT_REQUESTER_CAPS | CAP.HANDSHAKE_IN_THE_CLEAR }),
      );
      expect(r.text).toBe('ping');
      expect(seen).toEqual(['requester->responder plain e5', 'responder->requester plain 65', 'secured']);
    } finally {
      await proxy.close();
    }
  });
});
