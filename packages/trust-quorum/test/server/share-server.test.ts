/**
 * The share server's session handling over real loopback TCP sockets standing in for the SPDM
 * SecureChannel (both are byte Duplexes; the SPDM wiring is covered by the acceptance tests):
 * answers, counters, limits (sessions, rate, requests, deadline), malformed input, shutdown,
 * and logs free of share bytes.
 */
import { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/ledger/index.js';
import { MessageReader, type ShareProtocolMessage, writeMessage } from '../../src/protocol/index.js';
import type { SharePeer } from '../../src/server/answer.js';
import { ShareServer, type ShareServerInit } from '../../src/server/share-server.js';
import { makeLedgers, makePki, type TestPki } from '../helpers/rack-fixture.js';
import { tcpPair } from '../helpers/tcp-pair.js';

const RACK = '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab';
let pki: TestPki;
let outsider: TestPki;
let ledgers: Ledger[];
const sockets: Socket[] = [];
const servers: ShareServer[] = [];

function peerOf(certPem: string): SharePeer {
  const c = new X509Certificate(certPem);
  return { leafCertificateDer: new Uint8Array(c.raw), subject: c.subject.replaceAll('\n', ', ') };
}

beforeAll(async () => {
  pki = await makePki(3);
  outsider = await makePki(1, 'other');
  ledgers = makeLedgers(pki, 2, RACK, 1);
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function makeServer(init: ShareServerInit = {}): ShareServer {
  const s = new ShareServer({ ledger: ledgers[0]!, ...init });
  servers.push(s);
  return s;
}

interface Session {
  client: Socket;
  reader: MessageReader;
  done: Promise<void>;
  ask(m?: ShareProtocolMessage): Promise<ShareProtocolMessage | null>;
}

async function open(server: ShareServer, peer: SharePeer): Promise<Session> {
  const [client, side] = await tcpPair();
  sockets.push(client, side);
  client.on('error', () => {});
  const done = server.handleSession(side, peer);
  const reader = new MessageReader(client);
  const ask = async (m: ShareProtocolMessage = { type: 'GetShare', rackId: RACK, epoch: 1 }) => {
    await writeMessage(client, m);
    return reader.next({ timeoutMs: 5000 });
  };
  return { client, reader, done, ask };
}

const member = () => peerOf(pki.sleds[1]!.certPem);

describe('ShareServer sessions', () => {
  it('serves a member, ends when the requester ends, and counts', async () => {
    const server = makeServer();
    const s = await open(server, member());
    const r = await s.ask();
    expect(r?.type === 'Share' && [r.share.x, r.share.yScalar()]).toEqual([1, ledgers[0]!.share.yScalar()]);
    s.client.end();
    expect(await s.reader.next({ timeoutMs: 5000 })).toBeNull();
    await s.done;
    const st = server.stats();
    expect(st).toMatchObject({
      sessionsOpened: 1,
      sessionsActive: 0,
      requests: 1,
      sharesServed: 1,
      sessionErrors: 0,
    });
    expect(ledgers[0]!.share.isZeroed).toBe(false);
  });

  it('refuses a non-member, and a server without a ledger, counting by reason', async () => {
    const server = makeServer();
    const s = await open(server, peerOf(outsider.sleds[0]!.certPem));
    expect(await s.ask()).toEqual({ type: 'Error', code: 'NotAMember' });
    server.setLedger(null);
    expect(server.ledger).toBeNull();
    const t = await open(server, member());
    expect(await t.ask()).toEqual({ type: 'Error', code: 'NotInitialized' });
    expect(server.stats().refusals).toMatchObject({ NotAMember: 1, NotInitialized: 1 });
    expect(server.stats().sharesServed).toBe(0);
  });

  it('answers Busy once a requester has used its burst, keyed by certificate across sessions', async () => {
    const server = makeServer({ rateLimit: { burst: 2, perSecond: 0.001 } });
    const s = await open(server, member());
    const codes = [];
    for (let i = 0; i < 3; i++) {
      const r = await s.ask();
      codes.push(r?.type === 'Error' ? r.code : r?.type);
    }
    expect(codes).toEqual(['Share', 'Share', 'Busy']);
    const again = await open(server, member());
    expect(await again.ask()).toEqual({ type: 'Error', code: 'Busy' });
    const other = await open(server, peerOf(pki.sleds[2]!.certPem));
    expect((await other.ask())?.type).toBe('Share');
    expect(server.stats().refusals.Busy).toBe(2);
  });

  it('answers Busy to sessions beyond maxSessions and ends them', async () => {
    const server = makeServer({ maxSessions: 1 });
    const first = await open(server, member());
    const second = await open(server, peerOf(pki.sleds[2]!.certPem));
    expect(await second.reader.next({ timeoutMs: 5000 })).toEqual({ type: 'Error', code: 'Busy' });
    expect(await second.reader.next({ timeoutMs: 5000 })).toBeNull();
    await second.done;
    expect((await first.ask())?.type).toBe('Share');
    expect(server.stats()).toMatchObject({ sessionsOpened: 2, sessionsRefused: 1, sessionsActive: 1 });
    first.client.end();
    await first.done;
    const third = await open(server, member());
    expect((await third.ask())?.type).toBe('Share');
  });

  it('ends a session after maxRequestsPerSession requests', async () => {
    const server = makeServer({ maxRequestsPerSession: 2, rateLimit: { burst: 10 } });
    const s = await open(server, member());
    expect((await s.ask())?.type).toBe('Share');
    expect((await s.ask())?.type).toBe('Share');
    await writeMessage(s.client, { type: 'GetShare', rackId: RACK, epoch: 1 }).catch(() => {});
    expect(await s.reader.next({ timeoutMs: 5000 })).toBeNull();
    await s.done;
  });

  it('answers a malformed request BadRequest and ends the session', async () => {
    const server = makeServer();
    const s = await open(server, member());
    s.client.write(Uint8Array.of(2, 0, 0, 0, 9, 9)); // a 2-byte message of version 9
    expect(await s.reader.next({ timeoutMs: 5000 })).toEqual({ type: 'Error', code: 'BadRequest' });
    await s.done;
    expect(server.stats()).toMatchObject({ sessionErrors: 1, requests: 1 });
    expect(server.stats().refusals.BadRequest).toBe(1);
  });

  it('ends a session whose request does not come in time', async () => {
    const server = makeServer({ requestTimeoutMs: 30 });
    const s = await open(server, member());
    await s.done;
    expect(server.stats().sessionErrors).toBe(1);
    await expect(s.reader.next({ timeoutMs: 5000 })).resolves.toBeNull();
  });

  it('close() ends open sessions and refuses later ones', async () => {
    const server = makeServer();
    const s = await open(server, member());
    expect((await s.ask())?.type).toBe('Share');
    await server.close();
    await s.done;
    expect(server.stats().sessionsActive).toBe(0);
    expect(server.closed).toBe(true);
    const [client, side] = await tcpPair();
    sockets.push(client, side);
    await server.handleSession(side, member());
    expect(side.destroyed).toBe(true);
    await expect(
      server.listen(async () => ({ address: () => ({ host: '', port: 0 }), close: async () => {} })),
    ).rejects.toThrow(TypeError);
  });

  it('listen() wires a transport and close() closes it', async () => {
    const server = makeServer();
    let closed = 0;
    let handler: ((c: Socket, p: SharePeer) => Promise<void>) | null = null;
    const address = await server.listen(async (onSession) => {
      handler = onSession;
      return { address: () => ({ host: '127.0.0.1', port: 4242 }), close: async () => void closed++ };
    });
    expect(address).toEqual({ host: '127.0.0.1', port: 4242 });
    expect(handler).toBe(server.handleSession);
    await server.close();
    await server.close();
    expect(closed).toBe(1);
  });

  it('logs sessions, shares and refusals without share bytes', async () => {
    const lines: string[] = [];
    const log = (level: string) => (fields: Record<string, unknown>, msg: string) =>
      lines.push(JSON.stringify({ level, ...fields, msg }));
    const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
    const server = makeServer({ logger, rateLimit: { burst: 1, perSecond: 0.001 } });
    const s = await open(server, member());
    await s.ask();
    await s.ask();
    s.client.end();
    await s.done;
    const text = lines.join('\n');
    expect(text).toContain('share served');
    expect(text).toContain('"reason":"Busy"');
    expect(text).toContain('sled-2');
    for (const l of ledgers) expect(text).not.toContain(Buffer.from(l.share.expose()).toString('hex'));
  });

  it('rejects bad limits', () => {
    expect(() => new ShareServer({ maxSessions: 0 })).toThrow(RangeError);
    expect(() => new ShareServer({ requestTimeoutMs: 0.5 })).toThrow(RangeError);
    expect(() => new ShareServer({ maxRequestsPerSession: -1 })).toThrow(RangeError);
  });
});
