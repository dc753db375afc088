/**
 * Benchmark `secret-sharing`: split, verify one share and combine for n = 32, k = 17 with the
 * rack-secret module (Shamir over the P-256 scalar field with Feldman commitments).
 *
 * Peers: split and combine against a plain Shamir over the same field written here with the
 * same bigint helpers but without commitments, so the ratio is the cost of verifiability
 * (k fixed-base multiplications per split; per share k-1 point operations when verifying).
 * A plain Shamir has no share check, so "verify" is measured against one OpenSSL P-256
 * fixed-base scalar multiplication (node:crypto ECDH key generation): the ratio says how many
 * such multiplications one check costs. The full run also charts time against n.
 */
import { createECDH } from 'node:crypto';
import { combine, type Share, split, verifyShare } from '@trust-quorum/trust-quorum/rack-secret/index';
import {
  bytesToBigint,
  inv,
  mod,
  randomNonZeroScalar,
  scalarToBytes,
} from '@trust-quorum/trust-quorum/rack-secret/scalar';
import { type BenchContext, type Benchmark, rounds } from './lib/benchmark.js';
import { type Figure, makeFigure } from './lib/figure.js';
import { median } from './lib/stats.js';
import { writeLineChart } from './lib/svg-chart.js';
import { type Contestant, interleave, syncContestant } from './lib/timing.js';

/** A share of the plain scheme: x and f(x) as 32 big-endian bytes. */
export interface PlainShare {
  readonly x: number;
  readonly y: Uint8Array;
}

/** Plain Shamir split (no commitments) of a random secret: n shares, threshold k. */
export function plainSplit(n: number, k: number): PlainShare[] {
  const coefficients = Array.from({ length: k }, () => randomNonZeroScalar());
  const shares: PlainShare[] = [];
  for (let x = 1; x <= n; x++) {
    let acc = 0n;
    for (let j = k - 1; j >= 0; j--) acc = mod(acc * BigInt(x) + (coefficients[j] as bigint));
    shares.push({ x, y: scalarToBytes(acc) });
  }
  return shares;
}

/** Plain Lagrange interpolation at 0 of the given shares: the secret, 32 bytes. */
export function plainCombine(shares: readonly PlainShare[]): Uint8Array {
  let acc = 0n;
  for (const si of shares) {
    let num = 1n;
    let den = 1n;
    for (const sj of shares) {
      if (sj === si) continue;
      num = mod(num * BigInt(sj.x));
      den = mod(den * BigInt(sj.x - si.x));
    }
    acc = mod(acc + bytesToBigint(si.y) * mod(num * inv(den)));
  }
  return scalarToBytes(acc);
}

function zeroAll(shares: readonly (Share | PlainShare)[]): void {
  for (const s of shares) {
    if ('zero' in s) s.zero();
    else s.y.fill(0);
  }
}

/** The contestants for one (n, k): ours and the plain peers. */
function contestants(n: number, k: number) {
  const fixed = split(undefined, n, k);
  const some = fixed.shares.slice(n - k);
  const plain = plainSplit(n, k).slice(n - k);
  const probe = fixed.shares[Math.floor(n / 2)] as Share;
  return {
    split: syncContestant('split', () => {
      const r = split(undefined, n, k);
      r.secret.zero();
      zeroAll(r.shares);
    }),
    plainSplit: syncContestant('plain split', () => zeroAll(plainSplit(n, k))),
    verify: syncContestant('verify', () => {
      if (!verifyShare(probe, fixed.commitments)) throw new Error('bench: a good share failed its check');
    }),
    ecdh: syncContestant('ecdh keygen', () => createECDH('prime256v1').generateKeys()),
    combine: syncContestant('combine', () => combine(some, fixed.commitments, k).zero()),
    combineVerified: syncContestant('combine pre-verified', () =>
      combine(some, fixed.commitments, k, { sharesVerified: true }).zero(),
    ),
    plainCombine: syncContestant('plain combine', () => plainCombine(plain).fill(0)),
    dispose: () => {
      fixed.secret.zero();
      zeroAll(fixed.shares);
      zeroAll(plain);
    },
  };
}

async function headline(ctx: BenchContext): Promise<Figure[]> {
  const n = 32;
  const k = 17;
  const c = contestants(n, k);
  try {
    const order: Contestant[] = [
      c.split,
      c.plainSplit,
      c.verify,
      c.ecdh,
      c.combine,
      c.combineVerified,
      c.plainCombine,
    ];
    const r = rounds(ctx, { warmup: 3, samples: 21 }, { warmup: 10, samples: 60 });
    const [sp, psp, ve, ec, co, cov, pco] = await interleave(order, r);
    const base = { benchmark: 'secret-sharing', unit: 'ms', better: 'lower' as const };
    const plainName = 'plain Shamir';
    return [
      makeFigure({
        ...base,
        name: `secret-sharing split n=${n} k=${k}`,
        samples: sp!,
        peer: { name: `${plainName} split`, samples: psp! },
        note: 'split vs plain Shamir over the same field: ratio = cost of the k Feldman commitments',
      }),
      makeFigure({
        ...base,
        name: `secret-sharing verify 1 share k=${k}`,
        samples: ve!,
        peer: { name: 'node:crypto P-256 ECDH keygen', samples: ec! },
        note: 'plain Shamir cannot check a share; ratio = share check in OpenSSL P-256 base multiplications',
      }),
      makeFigure({
        ...base,
        name: `secret-sharing combine k=${k} (checks all)`,
        samples: co!,
        peer: { name: `${plainName} combine`, samples: pco! },
        note: 'combine() checking each share against the commitments, then g*secret == C0',
      }),
      makeFigure({
        ...base,
        name: `secret-sharing combine k=${k} (pre-verified)`,
        samples: cov!,
        peer: { name: `${plainName} combine`, samples: pco! },
        note: 'combine(sharesVerified) as the collector calls it: interpolation + the C0 check only',
      }),
    ];
  } finally {
    c.dispose();
  }
}

/** Full run only: medians for n = 4..64 (k = n/2 + 1) charted to secret-sharing.svg. */
async function scaling(ctx: BenchContext): Promise<void> {
  const ns = [4, 8, 16, 32, 64];
  const series = new Map<string, { x: number; y: number }[]>();
  const add = (name: string, x: number, y: number) =>
    series.set(name, [...(series.get(name) ?? []), { x, y }]);
  for (const n of ns) {
    const k = Math.floor(n / 2) + 1;
    const c = contestants(n, k);
    try {
      const [sp, ve, co, pco] = await interleave([c.split, c.verify, c.combine, c.plainCombine], {
        warmup: 2,
        samples: 15,
      });
      add('split (Feldman)', n, median(sp!));
      add('verify one share', n, median(ve!));
      add('combine, checking k shares', n, median(co!));
      add('plain Shamir combine', n, median(pco!));
    } finally {
      c.dispose();
    }
  }
  const path = writeLineChart(ctx.resultsDir, 'secret-sharing.svg', {
    title: 'Secret sharing: time against n (k = n/2 + 1)',
    xLabel: 'n (shares)',
    yLabel: 'median time (ms)',
    xScale: 'log2',
    series: [...series].map(([name, points]) => ({ name, points })),
  });
  ctx.log(`wrote ${path}`);
}

export const secretSharingBench: Benchmark = {
  name: 'secret-sharing',
  summary: 'rack secret split / verify one share / combine, n=32 k=17, vs plain Shamir',
  async run(ctx) {
    const figures = await headline(ctx);
    if (!ctx.quick) await scaling(ctx);
    return figures;
  },
};
