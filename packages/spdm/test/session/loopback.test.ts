/**
 * Both peers in one process over real TCP on 127.0.0.1, for each suite: a mutually
 * authenticated session, 64 MiB echoed through SecureChannel, KEY_UPDATE during a transfer,
 * END_SESSION closing both ends; and HEARTBEAT keeping an idle session open past its timeout.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TcpServerHandle } from '../../src/transport/tcp.js';
import {
  closedOf,
  collect,
  echoResponder,
  errorOf,
  identities,
  openSession,
  requesterInit,
  responderInit,
  SUITES,
  startResponder,
  writeRandom,
} from './fixtures.js';

const MiB = 1 << 20;

describe.each(SUITES)('session over TCP: $name', (suite) => {
  const ids = identities(suite.key);
  const echo = echoResponder();
  const outcomes: string[] = [];
  let server: TcpServerHandle;
  let port: number;

  beforeAll(async () => {
    ({ server, port } = await startResponder(
      responderInit(ids, suite, { onSession: echo.onSession, onOutcome: (o) => outcomes.push(o.reason) }),
    ));
  });
  afterAll(() => server.close());

  it('authenticates both sides: each sees the identity the other proved', async () => {
    const { channel, peer, session, negotiated } = await openSession(port, requesterInit(ids, suite));
    const got = collect(channel);
    channel.end('who');
    await closedOf(channel);
    expect(got.text()).toBe('who');
    expect(session.mutuallyAuthenticated).toBe(true);
    expect(peer.leafSubject).toBe('CN=Test Responder');
    expect(Buffer.from(peer.leafCertificate)).toEqual(Buffer.from(ids.responder.certificates[2]!));
    expect(negotiated.baseAsymAlgo).toBe(suite.algorithms.baseAsym![0]);
    expect(negotiated.aeadSuite).toBe(suite.algorithms.aead![0]);
    const rec = echo.sessions.at(-1)!;
    expect(rec.peer?.leafSubject).toBe('CN=Test Requester');
    expect(Buffer.from(rec.peer!.leafCertificate)).toEqual(Buffer.from(ids.requester.certificates[2]!));
    expect(rec.peer?.chain.length).toBe(3);
    expect(rec.info.sessionId).toBe(session.sessionId);
  });

  it('echoes 64 MiB with the same SHA-256 on both ends', async () => {
    const { channel } = await openSession(port, requesterInit(ids, suite));
    const back = collect(channel);
    const closed = closedOf(channel);
    const sent = await writeRandom(channel, 64 * MiB);
    channel.end();
    await closed;
    const rec = echo.sessions.at(-1)!;
    await rec.closed;
    expect(back.bytes()).toBe(64 * MiB);
    expect(rec.bytes).toBe(64 * MiB);
    expect(back.hash.digest('hex')).toBe(sent);
    expect(rec.hash.digest('hex')).toBe(sent);
  });

  it('KEY_UPDATE (all three operations, two at once) in the middle of a transfer loses nothing', async () => {
    const { channel, session } = await openSession(port, requesterInit(ids, suite));
    const back = collect(channel);
    const closed = closedOf(channel);
    const updates: Promise<void>[] = [];
    let recordsBefore = 0n;
    const sent = await writeRandom(channel, 16 * MiB, (i) => {
      if (i === 4) updates.push(session.keyUpdate('UpdateAllKeys'));
      if (i === 8) updates.push(session.keyUpdate('UpdateKey'), session.keyUpdate('UpdateAllKeys'));
      if (i === 12) {
        recordsBefore = session.secured.sendSequenceNumber;
        updates.push(session.keyUpdate('UpdateAllKeys'));
      }
    });
    await Promise.all(updates);
    // The request key restarted at sequence 0 with the last update: fewer records since then.
    expect(session.secured.sendSequenceNumber).toBeLessThan(
      recordsBefore + 4n * BigInt(Math.ceil(MiB / channel.maxPayload)) + 8n,
    );
    expect(recordsBefore).toBeGreaterThan(0n);
    channel.end();
    await closed;
    const rec = echo.sessions.at(-1)!;
    await rec.closed;
    expect(rec.error).toBeUndefined();
    expect(back.bytes()).toBe(16 * MiB);
    expect(back.hash.digest('hex')).toBe(sent);
    expect(rec.hash.digest('hex')).toBe(sent);
  });

  it('END_SESSION closes both ends cleanly and the connection with them', async () => {
    const before = outcomes.length;
    const { channel, session } = await openSession(port, requesterInit(ids, suite));
    const rspClosed = new Promise<void>((r) => setImmediate(() => echo.sessions.at(-1)!.closed.then(r)));
    await session.end();
    await closedOf(channel);
    await rspClosed;
    expect(session.state).toBe('ended');
    expect(echo.sessions.at(-1)!.error).toBeUndefined();
    await expect(session.heartbeat()).rejects.toMatchObject({ code: 'Closed' });
    await new Promise<void>((r) => {
      const poll = () => (outcomes.length > before ? r() : setTimeout(poll, 10));
      poll();
    });
    expect(outcomes.at(-1)).toBe('peer-closed');
  });
});

describe('heartbeat and idle sessions', () => {
  const suite = SUITES[0]!;
  const ids = identities(suite.key);
  const echo = echoResponder();
  let server: TcpServerHandle;
  let port: number;

  beforeAll(async () => {
    ({ server, port } = await startResponder(
      responderInit(ids, suite, { onSession: echo.onSession, idleTimeoutMs: 300 }),
    ));
  });
  afterAll(() => server.close());

  it('HEARTBEAT keeps an idle session open past its idle timeout', async () => {
    const { channel, session } = await openSession(
      port,
      requesterInit(ids, suite, { session: { heartbeatIntervalMs: 100 } }),
    );
    const back = collect(channel);
    await new Promise((r) => setTimeout(r, 1000));
    expect(session.state).toBe('established');
    const closed = closedOf(channel);
    channel.end('still here');
    await closed;
    expect(back.text()).toBe('still here');
    expect(echo.sessions.at(-1)!.error).toBeUndefined();
  });

  it('without heartbeats the responder closes the idle session', async () => {
    const { channel, session } = await openSession(port, requesterInit(ids, suite));
    const err = await errorOf(channel);
    expect(err).toMatchObject({ name: 'SpdmError' });
    expect(session.state).toBe('ended');
    const rec = echo.sessions.at(-1)!;
    await rec.closed;
    expect(rec.error).toMatchObject({ code: 'Timeout' });
  });

  it('an explicit heartbeat() is answered', async () => {
    const { channel, session } = await openSession(port, requesterInit(ids, suite));
    await session.heartbeat();
    await session.heartbeat();
    await session.end();
    await closedOf(channel);
  });
});

describe('write patterns', () => {
  const suite = SUITES[0]!;
  const ids = identities(suite.key);
  const echo = echoResponder();
  let server: TcpServerHandle;
  let port: number;

  beforeAll(async () => {
    ({ server, port } = await startResponder(responderInit(ids, suite, { onSession: echo.onSession })));
  });
  afterAll(() => server.close());

  it('thousands of tiny writes are joined into few records and all come back in order', async () => {
    const { channel, session } = await openSession(port, requesterInit(ids, suite));
    const back = collect(channel);
    const closed = closedOf(channel);
    const h = createHash('sha256');
    for (let i = 0; i < 20_000; i++) {
      const piece = Buffer.from(`${i},`);
      h.update(piece);
      channel.write(piece);
    }
    channel.end();
    await closed;
    expect(back.hash.digest('hex')).toBe(h.digest('hex'));
    // Data records, the end-of-stream message and END_SESSION, all under the data key.
    expect(session.secured.sendSequenceNumber).toBeLessThan(100n);
  });
});
