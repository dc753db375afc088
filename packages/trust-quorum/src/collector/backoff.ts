/**
 * Per-peer exponential backoff with jitter: after the n-th consecutive failure a peer waits
 * d = min(maxMs, baseMs · 2^(n-1)), shortened by up to `jitter` of itself at random, i.e. a
 * delay in [d·(1-jitter), d] ("equal jitter" for jitter = 0.5), so peers that failed together
 * do not retry together and no retry comes sooner than half the nominal delay.
 */

export interface BackoffInit {
  /** Delay after the first failure, ms; default 250. */
  readonly baseMs?: number;
  /** Largest delay, ms; default 10000. */
  readonly maxMs?: number;
  /** Fraction of the delay removed at random, 0..1; default 0.5. */
  readonly jitter?: number;
}

export interface Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly jitter: number;
}

/** Defaults applied and checked. @throws RangeError for negative or inconsistent values. */
export function resolveBackoff(init: BackoffInit = {}): Backoff {
  const baseMs = init.baseMs ?? 250;
  const maxMs = init.maxMs ?? Math.max(10_000, baseMs);
  const jitter = init.jitter ?? 0.5;
  if (!Number.isFinite(baseMs) || baseMs < 0) throw new RangeError('backoff.baseMs must be >= 0');
  if (!Number.isFinite(maxMs) || maxMs < baseMs) throw new RangeError('backoff.maxMs must be >= baseMs');
  if (!(jitter >= 0 && jitter <= 1)) throw new RangeError('backoff.jitter must be in [0, 1]');
  return { baseMs, maxMs, jitter };
}

/**
 * Delay before the next attempt after `failures` consecutive failures (>= 1).
 * @param random a number in [0, 1) (Math.random by default).
 */
export function backoffDelay(b: Backoff, failures: number, random: () => number = Math.random): number {
  const exp = Math.min(Math.max(failures, 1) - 1, 30);
  const d = Math.min(b.maxMs, b.baseMs * 2 ** exp);
  return Math.round(d * (1 - b.jitter * random()));
}
