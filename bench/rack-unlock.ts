/**
 * Benchmark `rack-unlock`: a rack of n sleds (n = 4, 8, 16, 32, 64; quick: 4, 8, 16, 32) with
 * threshold k = n/2 + 1 in this one process, each sled with its real share server (ShareServer
 * + spdmSessions: SPDM responder with mutual authentication on its own 127.0.0.1 port) and its
 * real collector (ShareCollector + spdmFetchShare: one mutually authenticated SPDM session per
 * share, P-256 dev PKI from `tq pki init`, ledgers from `tq rack gen-config`'s genConfig).
 * Collectors run with the agent's defaults (4 fetches at once, backoff 500 ms .. 30 s, the
 * static peer list in the same order on every sled).
 *
 * (a) one sled restarting while all others are up: time from its collector's start until
 *     run() resolves with the rack secret (the agent's `unlocked`, before any disk hook);
 *     the restarting sled rotates over the rack so every sample is a different requester.
 * (b) all n restarting at once: time from starting n fresh share servers and n collectors
 *     until the last collector holds the secret.
 *
 * Peer of each figure, measured interleaved in the same run: the TLS equivalent, i.e. the same
 * number of mutually authenticated Node TLS 1.3 sessions (tls-handshake.ts: P-256, handshake +
 * 32-byte echo) at the same concurrency: k - 1 sessions 4 at a time for (a), n (k - 1) sessions
 * 4n at a time for (b). Ratio = what the unlock costs over bare authenticated connections of the
 * same count (sessions, share protocol, Feldman checks, scheduling). Every recovered secret is
 * checked against the fingerprint genConfig printed. Full runs write results/rack-unlock.svg
 * (both cases with their TLS equivalents) and results/rack-unlock-one.svg (case a alone).
 *
 * The share servers' per-requester rate limit is raised (burst 10^6): the benchmark restarts
 * the same sleds many times a second, which the production default (burst 4, 1/s) refuses.
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { genConfig } from '@trust-quorum/trust-quorum/cli/rack-gen-config';
import { type PeerAddress, ShareCollector } from '@trust-quorum/trust-quorum/collector/collector';
import { spdmFetchShare } from '@trust-quorum/trust-quorum/collector/spdm-fetch';
import { type Ledger, readLedgerFile } from '@trust-quorum/trust-quorum/ledger/index';
import { PKI_FILES, sledDirName } from '@trust-quorum/trust-quorum/pki/index';
import { ShareServer } from '@trust-quorum/trust-quorum/server/share-server';
import { spdmSessions } from '@trust-quorum/trust-quorum/server/spdm-listener';
import { type BenchContext, type Benchmark, rounds } from './lib/benchmark.js';
import { type Figure, makeFigure } from './lib/figure.js';
import { type BenchPki, benchPki } from './lib/pki-fixture.js';
import { median } from './lib/stats.js';
import { writeLineChart } from './lib/svg-chart.js';
import { type Contestant, interleave, msSince, now } from './lib/timing.js';
import { rateContestant, type SessionServer, startTlsServer } from './tls-handshake.js';

/** Fetches at once per collector (ShareCollector's default, which the agent uses). */
const COLLECTOR_CONCURRENCY = 4;
/** The agent's default retry backoff (config timeouts.retryBaseMs / retryMaxMs). */
const BACKOFF = { baseMs: 500, maxMs: 30_000 };
const RATE_LIMIT = { burst: 1e6, perSecond: 1e6 };

interface Sled {
  readonly sledId: string;
  readonly identity: {
    readonly certificates: readonly Uint8Array[];
    readonly privateKey: BenchPki['sleds'][0]['privateKey'];
  };
  readonly ledger: Ledger;
}

interface Rack {
  readonly n: number;
  readonly k: number;
  readonly dir: string;
  readonly fingerprint: string;
  readonly pki: BenchPki;
  readonly sleds: readonly Sled[];
}

/** Threshold of an n-sled rack in this benchmark. */
export function thresholdOf(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** A rack over the first n sleds of the bench PKI: genConfig on a copy of their public files. */
async function makeRack(pki: BenchPki, n: number): Promise<Rack> {
  const dir = await mkdtemp(join(tmpdir(), `tq-bench-rack${n}-`));
  const view = join(dir, 'pki');
  await mkdir(view);
  await copyFile(join(pki.dir, PKI_FILES.rootCert), join(view, PKI_FILES.rootCert));
  for (let i = 1; i <= n; i++) {
    await mkdir(join(view, sledDirName(i)));
    for (const f of [PKI_FILES.leafCert, PKI_FILES.chain]) {
      await copyFile(join(pki.dir, sledDirName(i), f), join(view, sledDirName(i), f));
    }
  }
  const k = thresholdOf(n);
  const gen = await genConfig({ pki: view, threshold: k, out: join(dir, 'ledgers') });
  const sleds = await Promise.all(
    gen.files.map(async (f, i) => {
      const id = pki.sleds[i]!;
      if (id.servername !== f.sledId)
        throw new Error(`bench: ledger ${f.sledId} is not sled ${id.servername}`);
      return {
        sledId: f.sledId,
        identity: { certificates: id.chainDer, privateKey: id.privateKey },
        ledger: await readLedgerFile(f.file),
      };
    }),
  );
  return { n, k, dir, fingerprint: gen.fingerprint, pki, sleds };
}

async function disposeRack(rack: Rack): Promise<void> {
  for (const s of rack.sleds) s.ledger.zero();
  await rm(rack.dir, { recursive: true, force: true });
}

interface Servers {
  readonly addresses: readonly PeerAddress[];
  close(): Promise<void>;
}

/** Every sled's share server on its own 127.0.0.1 port. */
async function startServers(rack: Rack): Promise<Servers> {
  const servers = rack.sleds.map((s) => new ShareServer({ ledger: s.ledger, rateLimit: RATE_LIMIT }));
  try {
    const addresses = await Promise.all(
      servers.map((server, i) =>
        server.listen(
          spdmSessions({
            identity: rack.sleds[i]!.identity,
            trustedRoot: rack.pki.root,
            maxConnections: 4 * rack.n,
          }),
        ),
      ),
    );
    return { addresses, close: async () => void (await Promise.all(servers.map((s) => s.close()))) };
  } catch (e) {
    await Promise.all(servers.map((s) => s.close()));
    throw e;
  }
}

/** Failed share attempts by code since the last `takeFailures()` (retried by the collectors). */
const failures = new Map<string, number>();

function takeFailures(): string {
  const s = [...failures].map(([code, count]) => `${count} ${code}`).join(', ');
  failures.clear();
  return s;
}

/** Sled i's collection from every other sled (same list order on every sled); checks the secret. */
async function unlock(rack: Rack, i: number, addresses: readonly PeerAddress[]): Promise<void> {
  const sled = rack.sleds[i]!;
  const collector = new ShareCollector<PeerAddress>({
    ledger: sled.ledger,
    selfId: sled.sledId,
    peers: addresses.filter((_, j) => j !== i),
    concurrency: COLLECTOR_CONCURRENCY,
    backoff: BACKOFF,
    fetchShare: spdmFetchShare({ ledger: sled.ledger, identity: sled.identity, trustedRoot: rack.pki.root }),
  });
  collector.on('failure', ({ failure }: { failure: { code: string } }) => {
    failures.set(failure.code, (failures.get(failure.code) ?? 0) + 1);
  });
  const secret = await collector.run();
  const fp = secret.fingerprint();
  secret.zero();
  if (fp !== rack.fingerprint) throw new Error(`bench: ${sled.sledId} recovered another secret`);
}

/** (a): one sled restarting, rotating over the rack, against warm servers. */
function oneRestart(rack: Rack, servers: Servers): Contestant {
  let next = 0;
  return {
    name: `one of ${rack.n} restarting`,
    async sample() {
      const i = next++ % rack.n;
      const t0 = now();
      await unlock(rack, i, servers.addresses);
      return msSince(t0);
    },
  };
}

/** (b): n fresh share servers and n collectors at once, until the last one unlocked. */
function coldBoot(rack: Rack): Contestant {
  return {
    name: `all ${rack.n} restarting`,
    async sample() {
      const t0 = now();
      const servers = await startServers(rack);
      try {
        await Promise.all(rack.sleds.map((_, i) => unlock(rack, i, servers.addresses)));
        return msSince(t0);
      } finally {
        await servers.close();
      }
    },
  };
}

/** The TLS equivalent: `total` TLS 1.3 mutual sessions, `concurrency` at a time, in ms. */
function tlsEquivalent(tls: SessionServer, total: number, concurrency: number): Contestant {
  const rate = rateContestant('tls', tls.session, total, concurrency);
  return { name: 'tls', sample: async () => (total / (await rate.sample())) * 1000 };
}

interface Point {
  readonly n: number;
  readonly one: number;
  readonly all: number;
  readonly oneTls: number;
  readonly allTls: number;
}

async function figuresFor(ctx: BenchContext, pki: BenchPki, tls: SessionServer, n: number, pts: Point[]) {
  const rack = await makeRack(pki, n);
  const servers = await startServers(rack);
  const k = rack.k;
  try {
    const ra = rounds(ctx, { warmup: 1, samples: 5 }, { warmup: 2, samples: 15 });
    ctx.log(`rack-unlock n=${n} k=${k}: one restarting, ${ra.samples} samples`);
    const [one, oneTls] = await interleave(
      [oneRestart(rack, servers), tlsEquivalent(tls, k - 1, COLLECTOR_CONCURRENCY)],
      ra,
    );
    const big = n >= 32;
    const rb = rounds(
      ctx,
      { warmup: big ? 0 : 1, samples: big ? 2 : 3 },
      { warmup: 1, samples: big ? 3 : 7 },
    );
    ctx.log(`rack-unlock n=${n} k=${k}: all restarting, ${rb.samples} samples`);
    const [all, allTls] = await interleave(
      [coldBoot(rack), tlsEquivalent(tls, n * (k - 1), n * COLLECTOR_CONCURRENCY)],
      rb,
    );
    const failed = takeFailures();
    if (failed) ctx.log(`rack-unlock n=${n}: failed attempts (retried): ${failed}`);
    pts.push({ n, one: median(one!), all: median(all!), oneTls: median(oneTls!), allTls: median(allTls!) });
    const base = { benchmark: 'rack-unlock', unit: 'ms', better: 'lower' as const };
    return [
      makeFigure({
        ...base,
        name: `rack-unlock n=${n} k=${k} one restarting`,
        samples: one!,
        peer: { name: `${k - 1} TLS 1.3 sessions, ${COLLECTOR_CONCURRENCY} at a time`, samples: oneTls! },
        ...(n === 4
          ? {
              note: 'one sled restarting: time until its collector holds the secret (k-1 shares over SPDM from warm share servers); peer = the same number of TLS 1.3 mutual sessions at the collector concurrency; target (n=32) < 100 ms',
            }
          : {}),
      }),
      makeFigure({
        ...base,
        name: `rack-unlock n=${n} k=${k} all restarting`,
        samples: all!,
        peer: {
          name: `${n * (k - 1)} TLS 1.3 sessions, ${n * COLLECTOR_CONCURRENCY} at a time`,
          samples: allTls!,
        },
        ...(n === 4
          ? {
              note: 'cold boot: n fresh share servers and n collectors at once, until the last holds the secret; peer = n(k-1) TLS 1.3 mutual sessions, 4n at a time; target (n=32) < 3 s',
            }
          : {}),
      }),
    ];
  } finally {
    await servers.close();
    await disposeRack(rack);
  }
}

/** results/rack-unlock.svg (both cases and their TLS equivalents) and rack-unlock-one.svg. */
function writeCharts(ctx: BenchContext, pts: readonly Point[]): void {
  const at = (f: (p: Point) => number) => pts.map((p) => ({ x: p.n, y: f(p) }));
  const common = {
    xLabel: 'sleds (n), k = n/2 + 1',
    yLabel: 'time to unlocked (ms)',
    xScale: 'log2' as const,
  };
  const one = [
    { name: 'one sled restarting (SPDM)', points: at((p) => p.one) },
    { name: 'TLS equivalent: k-1 sessions, 4 at a time', points: at((p) => p.oneTls) },
  ];
  const all = [
    { name: 'all sleds restarting (SPDM)', points: at((p) => p.all) },
    { name: 'TLS equivalent: n(k-1) sessions, 4n at a time', points: at((p) => p.allTls) },
  ];
  const files = [
    writeLineChart(ctx.resultsDir, 'rack-unlock.svg', {
      ...common,
      title: 'Rack unlock over SPDM on loopback, all parties in one process (median)',
      series: [...all, ...one],
    }),
    writeLineChart(ctx.resultsDir, 'rack-unlock-one.svg', {
      ...common,
      title: 'One sled restarting while the others are up (median)',
      series: one,
    }),
  ];
  ctx.log(`wrote ${files.join(', ')}`);
}

export const rackUnlockBench: Benchmark = {
  name: 'rack-unlock',
  summary:
    'rack unlock for n = 4, 8, 16, 32, 64 sleds over real SPDM share servers: one sled restarting, all restarting; vs TLS; SVG chart',
  async run(ctx) {
    const ns = ctx.quick ? [4, 8, 16, 32] : [4, 8, 16, 32, 64];
    const pki = await benchPki('p256', Math.max(...ns));
    const tls = await startTlsServer('p256');
    const figures: Figure[] = [];
    const pts: Point[] = [];
    try {
      for (const n of ns) figures.push(...(await figuresFor(ctx, pki, tls, n, pts)));
    } finally {
      await tls.close();
    }
    if (!ctx.quick) writeCharts(ctx, pts);
    return figures;
  },
};

/**
 * `reps` samples (after one dropped) of one case for an n-sled rack, in ms: 'one' sled
 * restarting or 'all' restarting. For tests and profiling (`node --cpu-prof`).
 * @throws when the PKI, the ledgers or a server cannot be made, or an unlock fails.
 */
export async function measureRackUnlock(n: number, mode: 'one' | 'all', reps: number): Promise<number[]> {
  const pki = await benchPki('p256', n);
  const rack = await makeRack(pki, n);
  const servers = await startServers(rack);
  try {
    const c = mode === 'one' ? oneRestart(rack, servers) : coldBoot(rack);
    await c.sample();
    const out: number[] = [];
    for (let i = 0; i < reps; i++) out.push(await c.sample());
    return out;
  } finally {
    takeFailures();
    await servers.close();
    await disposeRack(rack);
  }
}
