/**
 * The share collector's driver and bookkeeping with in-process FetchShare functions over a real
 * split (the SPDM FetchShare is covered by the acceptance tests): threshold and cancellation,
 * concurrency, retries with partial progress, permanent failures and exclusion, tampered and
 * duplicate shares, growing and async peer sources, deadlines, abort.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CollectProgress,
  collectShares,
  type FetchShare,
  type PeerAddress,
  ShareCollector,
  type ShareCollectorInit,
} from '../../src/collector/index.js';
import { isTrustQuorumError, TrustQuorumError } from '../../src/errors.js';
import type { Ledger } from '../../src/ledger/index.js';
import { combine, ORDER, Share, scalarToBytes } from '../../src/rack-secret/index.js';
import { makeLedgers, makePki } from '../helpers/rack-fixture.js';

const RACK = '5a5a5a5a-0000-4000-8000-000000000001';
let ledgers: Ledger[];
let expected: string;

beforeAll(async () => {
  ledgers = makeLedgers(await makePki(5), 3, RACK);
  const s = combine(
    ledgers.slice(0, 3).map((l) => l.share),
    ledgers[0]!.commitments,
    3,
  );
  expected = Buffer.from(s.expose()).toString('hex');
  s.zero();
});

const addr = (i: number): PeerAddress => ({ host: '127.0.0.1', port: 7000 + i });
const key = (i: number) => `127.0.0.1:${7000 + i}`;
const idOf = (p: PeerAddress) => p.port - 7000;
/** A fresh copy of sled i's share (1-based), as the network would deliver it. */
const shareOf = (i: number) => ({
  share: new Share(i, ledgers[i - 1]!.share.expose(), `sled-${i}`),
  sledId: `sled-${i}`,
});
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fast = { baseMs: 5, maxMs: 20, jitter: 0.5 };

function collector(init: Partial<ShareCollectorInit<PeerAddress>> & { fetchShare: FetchShare<PeerAddress> }) {
  return new ShareCollector<PeerAddress>({ ledger: ledgers[0]!, selfId: 'sled-1', backoff: fast, ...init });
}

/** Resolves when `c` reports a progress for which `pred` holds. */
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

const peerOf = (p: CollectProgress, i: number) => p.peers.find((r) => r.peer === key(i));

async function rejection(p: Promise<unknown>): Promise<TrustQuorumError> {
  try {
    await p;
  } catch (e) {
    expect(isTrustQuorumError(e), String(e)).toBe(true);
    return e as TrustQuorumError;
  }
  throw new Error('resolved');
}

describe('ShareCollector', () => {
  it('resolves with the secret from k shares (own included) and cancels the rest', async () => {
    const cancelled: number[] = [];
    const fetchShare: FetchShare<PeerAddress> = (p, signal) => {
      const i = idOf(p);
      if (i <= 3) return Promise.resolve(shareOf(i));
      return new Promise((_, reject) => {
        signal.addEventListener('abort', () => {
          cancelled.push(i);
          reject(signal.reason);
        });
      });
    };
    const c = collector({ peers: [addr(4), addr(2), addr(5), addr(3)], fetchShare });
    const secret = await c.run();
    expect(hex(secret.expose())).toBe(expected);
    expect(cancelled.sort()).toEqual([4, 5]);
    const p = c.progress();
    expect([p.held, p.needed]).toEqual([3, 3]);
    expect(p.heldFrom[0]).toBe('sled-1');
    expect([...p.heldFrom].sort()).toEqual(['sled-1', 'sled-2', 'sled-3']);
    expect(peerOf(p, 4)?.state).toBe('waiting');
    expect(ledgers[0]!.share.isZeroed).toBe(false);
  });

  it('never runs more than `concurrency` fetches at once', async () => {
    let now = 0;
    let max = 0;
    const fetchShare: FetchShare<PeerAddress> = async (p) => {
      now++;
      max = Math.max(max, now);
      await new Promise((r) => setTimeout(r, 5));
      now--;
      throw new TrustQuorumError('Unreachable', `${idOf(p)} down`);
    };
    const ac = new AbortController();
    const c = collector({
      peers: [2, 3, 4, 5, 6, 7].map(addr),
      fetchShare,
      concurrency: 2,
      signal: ac.signal,
    });
    const seen = until(c, (pr) => pr.peers.every((r) => r.attempts >= 2));
    const run = c.run();
    await seen;
    ac.abort();
    await rejection(run);
    expect(max).toBe(2);
  });

  it('retries a retryable failure with backoff, keeping the shares already held', async () => {
    const calls = new Map<number, number>();
    const fetchShare: FetchShare<PeerAddress> = async (p) => {
      const i = idOf(p);
      const n = (calls.get(i) ?? 0) + 1;
      calls.set(i, n);
      if (i === 3 && n < 3) throw new TrustQuorumError(n === 1 ? 'Unreachable' : 'Busy', 'not yet');
      return shareOf(i);
    };
    const failures: number[] = [];
    const c = collector({ peers: [addr(2), addr(3)], fetchShare });
    c.on('failure', ({ failure }) => failures.push(failure.code));
    const secret = await c.run();
    expect(hex(secret.expose())).toBe(expected);
    expect(Object.fromEntries(calls)).toEqual({ 2: 1, 3: 3 });
    expect(failures).toEqual(['Unreachable', 'Busy']);
    expect(peerOf(c.progress(), 3)).toMatchObject({
      state: 'held',
      attempts: 3,
      lastError: { code: 'Busy', kind: 'retryable' },
    });
  });

  it('schedules a retry within [d(1-jitter), d] of the failure', async () => {
    const ac = new AbortController();
    const c = new ShareCollector<PeerAddress>({
      ledger: ledgers[0]!,
      peers: [addr(2)],
      fetchShare: async () => {
        throw new TrustQuorumError('Unreachable', 'down');
      },
      backoff: { baseMs: 10_000, maxMs: 10_000, jitter: 0.5 },
      random: () => 0.5,
      signal: ac.signal,
    });
    const before = Date.now();
    const p = until(c, (pr) => pr.peers[0]?.lastError !== null && pr.peers[0]?.state === 'waiting');
    const run = c.run();
    const pr = await p;
    const after = Date.now();
    const at = pr.peers[0]!.nextAttemptAt!;
    expect(at).toBeGreaterThanOrEqual(before + 7500);
    expect(at).toBeLessThanOrEqual(after + 7500);
    ac.abort();
    await rejection(run);
  });

  it('does not retry a permanent failure; gives up once the threshold is out of reach', async () => {
    const calls: number[] = [];
    const fetchShare: FetchShare<PeerAddress> = async (p) => {
      const i = idOf(p);
      calls.push(i);
      throw new TrustQuorumError('RackMismatch', `sled-${i} refused GetShare: RackMismatch`, {
        sender: `sled-${i}`,
      });
    };
    const c = collector({ peers: [2, 3, 4, 5].map(addr), fetchShare });
    const e = await rejection(c.run());
    expect(e.code).toBe('NotEnoughShares');
    expect(e.message).toMatch(/1\/3 shares/);
    expect(e.message).toMatch(/sled-2 \(RackMismatch/);
    expect(calls.sort()).toEqual([2, 3, 4, 5]);
    const p = c.progress();
    expect(p.excluded.map((x) => x.sledId).sort()).toEqual(['sled-2', 'sled-3', 'sled-4', 'sled-5']);
    expect(p.peers.every((r) => r.state === 'failed' && r.lastError?.kind === 'permanent')).toBe(true);
  });

  it('names and excludes the sender of a tampered share; the secret comes from honest peers', async () => {
    const calls = new Map<number, number>();
    const fetchShare: FetchShare<PeerAddress> = async (p) => {
      const i = idOf(p);
      calls.set(i, (calls.get(i) ?? 0) + 1);
      if (i === 4) {
        const y = (ledgers[3]!.share.yScalar() + 1n) % ORDER;
        return { share: new Share(4, scalarToBytes(y), 'sled-4'), sledId: 'sled-4' };
      }
      return shareOf(i);
    };
    const c = collector({ peers: [addr(4), addr(2)], fetchShare, concurrency: 1 });
    const rejected = new Promise((r) => c.on('share', (ev) => ev.outcome === 'rejected' && r(ev)));
    const run = c.run();
    expect(await rejected).toEqual({ peer: key(4), sledId: 'sled-4', x: 4, outcome: 'rejected' });
    c.addPeer(addr(5));
    const secret = await run;
    expect(hex(secret.expose())).toBe(expected);
    const p = c.progress();
    expect(peerOf(p, 4)).toMatchObject({
      state: 'failed',
      sledId: 'sled-4',
      lastError: { code: 'InvalidShare', kind: 'permanent', sledId: 'sled-4' },
    });
    expect(p.excluded).toEqual([
      { sledId: 'sled-4', reason: expect.stringMatching(/^InvalidShare: share x=4 from sled-4/) },
    ]);
    expect(calls.get(4)).toBe(1);
    expect([...p.heldFrom].sort()).toEqual(['sled-1', 'sled-2', 'sled-5']);
  });

  it('drops a duplicate (same x from a second address, or our own x back)', async () => {
    const fetchShare: FetchShare<PeerAddress> = async (p) => {
      const i = idOf(p);
      if (i === 12) return shareOf(2); // sled-2 again, through another address
      if (i === 11) return shareOf(1); // ourselves, found by discovery
      if (i === 3) await new Promise((r) => setTimeout(r, 30));
      return shareOf(i);
    };
    const c = collector({ peers: [addr(2), addr(12), addr(11), addr(3)], fetchShare });
    const secret = await c.run();
    expect(hex(secret.expose())).toBe(expected);
    const p = c.progress();
    expect(peerOf(p, 12)?.state).toBe('duplicate');
    expect(peerOf(p, 11)?.state).toBe('duplicate');
    expect(p.excluded).toEqual([]);
  });

  it('picks up peers added to the iterable while it runs (discovery)', async () => {
    const peers: PeerAddress[] = [addr(2)];
    const c = collector({ peers, fetchShare: async (p) => shareOf(idOf(p)), rescanMs: 5 });
    const stuck = until(c, (p) => peerOf(p, 2)?.state === 'held');
    const run = c.run();
    await stuck;
    expect(c.progress().held).toBe(2);
    peers.push(addr(5));
    const secret = await run;
    expect(hex(secret.expose())).toBe(expected);
  });

  it('consumes an async iterable of peers', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    async function* source() {
      yield addr(3);
      await gate;
      yield addr(4);
    }
    const c = collector({ peers: source(), fetchShare: async (p) => shareOf(idOf(p)) });
    const held = until(c, (p) => p.held === 2);
    const run = c.run();
    await held;
    release();
    const secret = await run;
    expect(hex(secret.expose())).toBe(expected);
  });

  it('gives up on an attempt at its deadline (Timeout, retryable) even if fetch ignores the signal', async () => {
    const ac = new AbortController();
    const c = new ShareCollector<PeerAddress>({
      ledger: ledgers[0]!,
      peers: [addr(2)],
      fetchShare: () => new Promise(() => {}),
      attemptTimeoutMs: 20,
      backoff: fast,
      signal: ac.signal,
    });
    const timedOut = until(c, (p) => (p.peers[0]?.attempts ?? 0) >= 2);
    const run = c.run();
    const p = await timedOut;
    expect(p.peers[0]!.lastError).toMatchObject({ code: 'Timeout', kind: 'retryable' });
    ac.abort();
    await rejection(run);
  });

  it('an abort rejects with Aborted, says how far it got, and zeroes received shares', async () => {
    const ac = new AbortController();
    const got: Share[] = [];
    const fetchShare: FetchShare<PeerAddress> = async (p) => {
      const i = idOf(p);
      if (i === 2) {
        const s = shareOf(2);
        got.push(s.share);
        return s;
      }
      throw new TrustQuorumError('Unreachable', `connect to ${key(i)} failed: ECONNREFUSED`);
    };
    const c = collector({ peers: [addr(2), addr(3)], fetchShare, signal: ac.signal });
    const reported = until(c, (p) => p.held === 2 && (peerOf(p, 3)?.attempts ?? 0) >= 3);
    const run = c.run();
    await reported;
    ac.abort();
    const e = await rejection(run);
    expect(e.code).toBe('Aborted');
    expect(e.message).toBe(
      `share collection aborted with 2/3 shares (from sled-1, sled-2); ${key(3)}: Unreachable`,
    );
    expect(got[0]!.isZeroed).toBe(true);
    expect(ledgers[0]!.share.isZeroed).toBe(false);
  });

  it('an already aborted signal rejects at once; run() twice is a TypeError', async () => {
    const c = collector({
      peers: [addr(2)],
      fetchShare: async (p) => shareOf(idOf(p)),
      signal: AbortSignal.abort(),
    });
    expect((await rejection(c.run())).code).toBe('Aborted');
    expect(() => c.run()).toThrow(TypeError);
  });

  it('a share arriving after completion is zeroed, not kept', async () => {
    let late: Share | undefined;
    let lateResolve!: () => void;
    const lateDone = new Promise<void>((r) => {
      lateResolve = r;
    });
    const fetchShare: FetchShare<PeerAddress> = async (p) => {
      const i = idOf(p);
      if (i === 5) {
        await new Promise((r) => setTimeout(r, 30));
        const s = shareOf(5);
        late = s.share;
        setImmediate(lateResolve);
        return s;
      }
      return shareOf(i);
    };
    await collectShares({
      ledger: ledgers[0]!,
      peers: [addr(2), addr(3), addr(5)],
      fetchShare,
      backoff: fast,
    });
    await lateDone;
    await new Promise((r) => setImmediate(r));
    expect(late?.isZeroed).toBe(true);
  });

  it('reports progress through onProgress, never with share bytes', async () => {
    const reports: string[] = [];
    await collectShares({
      ledger: ledgers[0]!,
      peers: [addr(2), addr(3)],
      fetchShare: async (p) => shareOf(idOf(p)),
      onProgress: (p) => reports.push(JSON.stringify(p)),
    });
    expect(reports.length).toBeGreaterThan(0);
    const all = reports.join('\n');
    for (const l of ledgers) expect(all).not.toContain(hex(l.share.expose()));
    expect(all).not.toContain(expected);
  });

  it('rejects bad options', () => {
    const fetchShare: FetchShare<PeerAddress> = async (p) => shareOf(idOf(p));
    expect(() => collector({ fetchShare, concurrency: 0 })).toThrow(RangeError);
    expect(() => collector({ fetchShare, attemptTimeoutMs: -5 })).toThrow(RangeError);
    expect(() => collector({ fetchShare, backoff: { jitter: 2 } })).toThrow(RangeError);
  });
});
