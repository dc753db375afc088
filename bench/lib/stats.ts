/**
 * Order statistics for benchmark samples: median and percentiles (linear interpolation between
 * closest ranks, the "R-7" / spreadsheet PERCENTILE.INC definition), and the summary every
 * figure reports. Pure functions; no timing here.
 */

/** Which direction is good for a figure: times are `lower`, rates and throughput `higher`. */
export type Better = 'lower' | 'higher';

function sortedCopy(xs: readonly number[], what: string): number[] {
  if (xs.length === 0) throw new RangeError(`${what}: no samples`);
  for (const x of xs) {
    if (!Number.isFinite(x)) throw new RangeError(`${what}: sample ${x} is not a finite number`);
  }
  return [...xs].sort((a, b) => a - b);
}

function interpolate(sorted: readonly number[], p: number): number {
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (rank - lo);
}

/**
 * The p-th percentile (0..100) of `xs`, interpolating linearly between closest ranks:
 * percentile([1, 2, 3, 4], 50) = 2.5, percentile(xs, 0) = min, percentile(xs, 100) = max.
 * @throws RangeError for no samples, a non-finite sample, or p outside 0..100.
 */
export function percentile(xs: readonly number[], p: number): number {
  if (!Number.isFinite(p) || p < 0 || p > 100) throw new RangeError(`percentile: p=${p} is outside 0..100`);
  return interpolate(sortedCopy(xs, 'percentile'), p);
}

/**
 * The median (50th percentile) of `xs`.
 * @throws RangeError for no samples or a non-finite sample.
 */
export function median(xs: readonly number[]): number {
  return interpolate(sortedCopy(xs, 'median'), 50);
}

/** What a figure reports about one contestant's samples. */
export interface Summary {
  readonly median: number;
  /**
   * The bound that 90 % of the samples are at least as good as: the 90th percentile for
   * `lower`-is-better figures, the 10th percentile for `higher`-is-better ones. Either way the
   * slow tail, so "p90 close to the median" means a steady result.
   */
  readonly p90: number;
  readonly min: number;
  readonly max: number;
  /** Number of samples. */
  readonly n: number;
}

/**
 * Median, tail bound (see Summary.p90), min, max and count of `xs`.
 * @throws RangeError for no samples or a non-finite sample.
 */
export function summarize(xs: readonly number[], better: Better): Summary {
  const s = sortedCopy(xs, 'summarize');
  return {
    median: interpolate(s, 50),
    p90: interpolate(s, better === 'lower' ? 90 : 10),
    min: s[0] as number,
    max: s[s.length - 1] as number,
    n: s.length,
  };
}
