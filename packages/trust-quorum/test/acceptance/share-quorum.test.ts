/**
 * Acceptance of issue 5 over REAL loopback SPDM sessions (TCP on 127.0.0.1, DSP0287 framing,
 * KEY_EXCHANGE + FINISH with mutual authentication, DSP0277 records): 5 sleds, k = 3, a dev PKI
 * made by `initPki` (p256) and ledgers made by `tq rack gen-config`'s `genConfig`. Sled 1
 * collects; share servers run for the peers that are "up"; peers that are "down" have a port
 * nobody listens on. Every wait is on an event (progress reports), not on a clock: backoff is
 * short and the collector is stopped with an AbortSignal once the awaited state was reported.
 * The recovered secret is checked against the fingerprint gen-config printed.
 */
import { Writable } from 'node:stream';
import { SpdmError } from '@trust-quorum/spdm/errors';
import { run as runRequester } from '@trust-quorum/spdm/requester/run';
import { connectTcp } from '@trust-quorum/spdm/transport/tcp';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CollectProgress,
  type PeerAddress,
  ShareCollector,
  type ShareCollectorInit,
} from '../../src/collector/index.js';
import { isTrustQuorumError, type TrustQuorumError } from '../../src/errors.js';
import type { Ledger } from '../../src/ledger/index.js';
import { MessageReader, writeMessage } from '../../src/protocol/index.js';
import { ORDER, Share, scalarToBytes } from '../../src/rack-secret/index.js';
import { type SessionListener, spdmSessions } from '../../src/server/index.js';
import type { ShareServer } from '../../src/server/share-server.js';
import {
  disposeRack,
  fetcherOf,
  makeOtherRack,
  makeRack,
  type RunningServer,
  reservePort,
  startShareServer,
  type TestRack,
  type TestSled,
} from '../helpers/spdm-rack.js';

let rack: TestRack;
const servers: ShareServer[] = [];
const listeners: SessionListener[] = [];

beforeAll(async () => {
  rack = await makeRack(5, 3);
});
afterAll(async () => disposeRack(rack));
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(listeners.splice(0).map((l) => l.close()));
});

const sled = (n: number): TestSled => rack.sleds[n - 1]!;
const key = (a: PeerAddress) => `${a.host}:${a.port}`;

async function up(n: number, init: Parameters<typeof startShareServer>[2] = {}): Promise<RunningServer> {
  const r = await startShareServer(rack, sled(n), init);
  servers.push(r.server);
  return r;
}

async function down(): Promise<PeerAddress> {
  return { host: '127.0.0.1', port: await reservePort() };
}

function collectorOf(
  who: TestSled,
  peers: Iterable<PeerAddress>,
  extra: Partial<ShareCollectorInit<PeerAddress>> = {},
  ledger: Ledger = who.ledger,
): ShareCollector<PeerAddress> {
  return new ShareCollector<PeerAddress>({
    ledger,
    selfId: who.sledId,
    peers,
    fetchShare: fetcherOf(rack, { spdm: who.spdm, ledger }),
    backoff: { baseMs: 20, maxMs: 200 },
    attemptTimeoutMs: 15_000,
    ...extra,
  });
}

function until(
  c: ShareCollector<PeerAddress>,
  pred: (p: CollectProgress) => boolean,
): Promise<CollectProgress> {
  return new Promise((resolve) => {
    const on = (p: CollectProgress) => {
      if (pred(p)) {
        c.off('progress', on);
        resolve(p);
      }
    };
    c.on('progress', on);
  });
}

/** Polls `cond` on each turn of the event loop (no clock): for server-side state. */
async function whenTrue(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}

const report = (p: CollectProgress, a: PeerAddress) => p.peers.find((r) => r.peer === key(a));

async function rejection(p: Promise<unknown>): Promise<TrustQuorumError> {
  try {
    await p;
  } catch (e) {
    expect(isTrustQuorumError(e), String(e)).toBe(true);
    return e as TrustQuorumError;
  }
  throw new Error('resolved, expected a rejection');
}

describe('acceptance: 5 sleds, k = 3, real SPDM sessions on loopback', () => {
  it('sled-1 unlocks with 2 peers up (2 down)', async () => {
    const s2 = await up(2);
    const s3 = await up(3);
    const c = collectorOf(sled(1), [await down(), s2.address, await down(), s3.address]);
    const secret = await c.run();
    expect(secret.fingerprint()).toBe(rack.fingerprint);
    secret.zero();
    const p = c.progress();
    expect([p.held, p.needed]).toEqual([3, 3]);
    expect([...p.heldFrom].sort()).toEqual(['sled-1', 'sled-2', 'sled-3']);
    expect(s2.server.stats().sharesServed).toBe(1);
    expect(s3.server.stats().sharesServed).toBe(1);
  });

  it('stays locked with 1 peer up, reporting 2/3 (own + sled-2) and who failed and why', async () => {
    const s2 = await up(2);
    const gone = [await down(), await down(), await down()];
    const ac = new AbortController();
    const c = collectorOf(sled(1), [s2.address, ...gone], { signal: ac.signal });
    const rounds = until(c, (p) => gone.every((a) => (report(p, a)?.attempts ?? 0) >= 3) && p.held === 2);
    const run = c.run();
    const seen = await rounds;
    ac.abort();
    const e = await rejection(run);
    expect(e.code).toBe('Aborted');
    expect(e.message).toContain('2/3 shares (from sled-1, sled-2)');
    expect([seen.held, seen.needed]).toEqual([2, 3]);
    for (const a of gone) {
      const r = report(c.progress(), a)!;
      expect(r.state).toBe('waiting');
      expect(r.lastError).toMatchObject({ kind: 'retryable', code: 'Transport' });
      expect(r.lastError!.message).toMatch(/ECONNREFUSED/);
      expect(e.message).toContain(`${key(a)}: Transport`);
    }
    expect(s2.server.stats().sharesServed).toBe(1);
  });

  it('stays locked with no peer up, reporting 1/3', async () => {
    const gone = [await down(), await down(), await down(), await down()];
    const ac = new AbortController();
    const c = collectorOf(sled(1), gone, { signal: ac.signal });
    const rounds = until(c, (p) => gone.every((a) => (report(p, a)?.attempts ?? 0) >= 2));
    const run = c.run();
    await rounds;
    ac.abort();
    const e = await rejection(run);
    expect(e.message).toContain('1/3 shares (from sled-1)');
    expect(c.progress()).toMatchObject({ held: 1, needed: 3, heldFrom: ['sled-1'] });
  });

  it('unlocks when a second peer comes up later, without restarting, keeping the first share', async () => {
    const s2 = await up(2);
    const later: PeerAddress = await down();
    const c = collectorOf(sled(1), [s2.address, later]);
    const waiting = until(c, (p) => p.held === 2 && (report(p, later)?.attempts ?? 0) >= 2);
    const run = c.run();
    await waiting;
    const s3 = await up(3, { port: later.port });
    const secret = await run;
    expect(secret.fingerprint()).toBe(rack.fingerprint);
    secret.zero();
    const r = report(c.progress(), later)!;
    expect(r.state).toBe('held');
    expect(r.attempts).toBeGreaterThanOrEqual(3);
    expect(r.lastError?.code).toBe('Transport');
    expect(s2.server.stats().sharesServed).toBe(1);
    expect(s3.server.stats().sharesServed).toBe(1);
  });

  it('also takes a peer that discovery adds while collecting', async () => {
    const s2 = await up(2);
    const s4 = await up(4);
    const peers: PeerAddress[] = [s2.address];
    const c = collectorOf(sled(1), peers, { rescanMs: 10 });
    const half = until(c, (p) => p.held === 2);
    const run = c.run();
    await half;
    peers.push(s4.address);
    const secret = await run;
    expect(secret.fingerprint()).toBe(rack.fingerprint);
    secret.zero();
  });

  it('names and excludes a peer serving a tampered share; the secret is right from honest peers', async () => {
    const s2 = await up(2);
    let tamperedRequests = 0;
    const tamperer = await spdmSessions({ identity: sled(4).spdm, trustedRoot: rack.root })(
      async (channel) => {
        channel.on('error', () => {});
        const reader = new MessageReader(channel);
        const req = await reader.next({ timeoutMs: 5000 });
        reader.close();
        if (req?.type !== 'GetShare') return void channel.destroy();
        tamperedRequests++;
        const own = sled(4).ledger;
        const y = scalarToBytes((own.share.yScalar() + 1n) % ORDER);
        await writeMessage(channel, {
          type: 'Share',
          rackId: own.rackId,
          epoch: own.epoch,
          share: new Share(own.share.x, y),
        });
        channel.end();
      },
    );
    listeners.push(tamperer);
    const bad: PeerAddress = tamperer.address();
    const c = collectorOf(sled(1), [bad, s2.address]);
    const rejected = new Promise<unknown>((r) => c.on('share', (ev) => ev.outcome === 'rejected' && r(ev)));
    const run = c.run();
    expect(await rejected).toEqual({ peer: key(bad), sledId: 'sled-4', x: 4, outcome: 'rejected' });
    expect(c.progress().held).toBe(2);
    const s3 = await up(3);
    c.addPeer(s3.address);
    const secret = await run;
    expect(secret.fingerprint()).toBe(rack.fingerprint);
    secret.zero();
    const p = c.progress();
    expect(report(p, bad)).toMatchObject({
      state: 'failed',
      sledId: 'sled-4',
      lastError: { code: 'InvalidShare', kind: 'permanent' },
    });
    expect(p.excluded).toEqual([
      { sledId: 'sled-4', reason: expect.stringMatching(/^InvalidShare: share x=4 from sled-4/) },
    ]);
    expect([...p.heldFrom].sort()).toEqual(['sled-1', 'sled-2', 'sled-3']);
    expect(tamperedRequests).toBe(1);
  });

  it('a requester whose certificate is not in the member list gets NotAMember and no share', async () => {
    const s2 = await up(2);
    // The operator's certificate chains to the rack root (the SPDM session is established) but is
    // no member of the configuration.
    const fetch = fetcherOf(rack, { spdm: rack.operator, ledger: sled(1).ledger });
    const e = await rejection(fetch(s2.address, new AbortController().signal));
    expect(e.code).toBe('NotAMember');
    expect(e.message).toBe('sled-2 refused GetShare: NotAMember');
    const st = s2.server.stats();
    expect(st).toMatchObject({ sessionsOpened: 1, requests: 1, sharesServed: 0 });
    expect(st.refusals.NotAMember).toBe(1);
  });

  it('a requester without a device identity gets no session at all, hence no share', async () => {
    const s2 = await up(2);
    const conn = await connectTcp(s2.address.host, s2.address.port);
    // Mutual authentication is required: KEY_EXCHANGE without a presented requester chain is refused.
    const e = await runRequester(conn, { trustedRoots: [rack.root] }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(SpdmError);
    expect((e as SpdmError).message).toMatch(/KEY_EXCHANGE_RSP: responder answered ERROR/);
    expect(s2.server.stats()).toMatchObject({ sessionsOpened: 0, requests: 0, sharesServed: 0 });
  });

  it('the collector refuses a responder that is not in its member list, before asking', async () => {
    const four = await makeOtherRack(rack, ['sled-1', 'sled-2', 'sled-3', 'sled-4'], 3, 'four');
    const outsider = await up(5); // a rack device, not a member of the 4-sled configuration
    const r2 = await startShareServer(rack, { spdm: sled(2).spdm, ledger: four[1]! });
    servers.push(r2.server);
    const c = collectorOf(sled(1), [outsider.address, r2.address], {}, four[0]!);
    const failed = until(c, (p) => report(p, outsider.address)?.state === 'failed');
    const run = c.run();
    const p = await failed;
    expect(report(p, outsider.address)!.lastError).toMatchObject({ code: 'NotAMember', kind: 'permanent' });
    expect(report(p, outsider.address)!.lastError!.message).toMatch(
      /responder at .* \(CN=sled-5.*\) is not a member/,
    );
    const r3 = await startShareServer(rack, { spdm: sled(3).spdm, ledger: four[2]! });
    servers.push(r3.server);
    c.addPeer(r3.address);
    const secret = await run;
    expect(secret.fingerprint()).not.toBe(rack.fingerprint);
    secret.zero();
    expect(outsider.server.stats()).toMatchObject({ requests: 0, sharesServed: 0 });
    for (const l of four) l.zero();
  });

  it('a ledger from another rack is refused (RackMismatch) and the collector gives up', async () => {
    const other = await makeOtherRack(
      rack,
      rack.sleds.map((s) => s.sledId),
      3,
      'other',
    );
    expect(other[0]!.rackId).not.toBe(rack.rackId);
    const peers = await Promise.all([2, 3, 4, 5].map((n) => up(n)));
    const c = collectorOf(
      sled(1),
      peers.map((p) => p.address),
      {},
      other[0]!,
    );
    const e = await rejection(c.run());
    expect(e.code).toBe('NotEnoughShares');
    expect(e.message).toMatch(/threshold 3 out of reach: 1\/3 shares/);
    // Three refusals leave 1 + 1 members possible < 3: it stops then, cancelling what still runs.
    const p = c.progress();
    const failed = peers.filter((r) => report(p, r.address)?.state === 'failed');
    expect(failed.length).toBeGreaterThanOrEqual(3);
    for (const r of failed) {
      expect(report(p, r.address)).toMatchObject({
        sledId: `sled-${peers.indexOf(r) + 2}`,
        lastError: { code: 'RackMismatch', kind: 'permanent' },
      });
    }
    const refusals = peers.reduce((n, r) => n + r.server.stats().refusals.RackMismatch, 0);
    expect(refusals).toBeGreaterThanOrEqual(failed.length);
    for (const r of peers) expect(r.server.stats().sharesServed).toBe(0);
    expect(p.excluded.length).toBe(failed.length);
    for (const x of p.excluded)
      expect(x.reason).toMatch(/^RackMismatch: sled-\d refused GetShare: RackMismatch$/);
    for (const l of other) l.zero();
  });

  it('close() ends a live SPDM session and the listener', async () => {
    const s2 = await up(2);
    const conn = await connectTcp(s2.address.host, s2.address.port);
    const { channel } = await runRequester(conn, {
      trustedRoots: [rack.root],
      identity: { certificates: sled(1).spdm.certificates, privateKey: sled(1).spdm.privateKey },
    });
    channel.on('error', () => {});
    const closed = new Promise<void>((r) => channel.once('close', () => r()));
    await whenTrue(() => s2.server.stats().sessionsActive === 1);
    await s2.server.close();
    await closed;
    expect(s2.server.stats()).toMatchObject({ sessionsActive: 0, sessionErrors: 0 });
    const e = await connectTcp(s2.address.host, s2.address.port).then(
      (c) => {
        c.destroy();
        return null;
      },
      (err: unknown) => err,
    );
    expect((e as SpdmError).code).toBe('Transport');
  });

  it('the captured logs of a full collection hold no share or secret bytes', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const log = pino({ level: 'trace' }, sink);
    const peers = await Promise.all(
      [2, 3, 4, 5].map((n) =>
        up(n, { logger: log.child({ sled: `sled-${n}` }), spdmLogger: log.child({ spdm: `sled-${n}` }) }),
      ),
    );
    const c = collectorOf(
      sled(1),
      peers.map((p) => p.address),
      {
        logger: log.child({ sled: 'sled-1', role: 'collector' }),
        concurrency: 4,
      },
    );
    const secret = await c.run();
    const secretHex = Buffer.from(secret.expose()).toString('hex');
    const secretB64 = Buffer.from(secret.expose()).toString('base64');
    expect(secret.fingerprint()).toBe(rack.fingerprint);
    await Promise.all(servers.splice(0).map((s) => s.close()));
    const text = lines.join('');
    // The log is real: it saw the collection and the servers.
    expect(text).toContain('share accepted');
    expect(text).toContain('share served');
    expect(text).toContain('rack secret reconstructed');
    expect(text).toContain(rack.fingerprint);
    expect(text).toContain('spdm request');
    const forbidden = [secretHex, secretHex.toUpperCase(), secretB64];
    for (const s of rack.sleds) {
      const y = Buffer.from(s.ledger.share.expose());
      forbidden.push(y.toString('hex'), y.toString('hex').toUpperCase(), y.toString('base64'));
    }
    for (const f of forbidden) expect(text).not.toContain(f);
    // Nor any 16-byte window of them (a partial dump).
    for (const f of forbidden.filter((x) => /^[0-9a-f]{64}$/.test(x))) {
      for (let i = 0; i + 32 <= f.length; i += 8) expect(text).not.toContain(f.slice(i, i + 32));
    }
    secret.zero();
  });
});
