/**
 * Timing for benchmarks: a monotonic clock (process.hrtime.bigint), per-operation timers for
 * synchronous and asynchronous work, batch calibration for operations too short to time one at
 * a time, and `interleave`, which runs competing contestants in turn (A B A B ...) after a
 * warm-up so that machine noise falls on all of them alike.
 */

/** Nanoseconds on a monotonic clock. */
export function now(): bigint {
  return process.hrtime.bigint();
}

/** Milliseconds elapsed since `start` (a value of `now()`). */
export function msSince(start: bigint): number {
  return Number(now() - start) / 1e6;
}

function checkOps(ops: number): void {
  if (!Number.isInteger(ops) || ops < 1) throw new RangeError(`ops must be a positive integer, got ${ops}`);
}

/**
 * Runs `fn` `ops` times back to back.
 * @returns milliseconds per call.
 * @throws RangeError when ops is not a positive integer; whatever `fn` throws.
 */
export function timeOps(fn: () => void, ops = 1): number {
  checkOps(ops);
  const start = now();
  for (let i = 0; i < ops; i++) fn();
  return msSince(start) / ops;
}

/**
 * Runs `fn` `ops` times, one after another (each awaited).
 * @returns milliseconds per call.
 * @throws RangeError when ops is not a positive integer; whatever `fn` rejects with.
 */
export async function timeOpsAsync(fn: () => Promise<unknown>, ops = 1): Promise<number> {
  checkOps(ops);
  const start = now();
  for (let i = 0; i < ops; i++) await fn();
  return msSince(start) / ops;
}

/**
 * How many calls of `fn` make one sample of about `targetMs` (at least 1, at most 10 000):
 * short operations are timed in batches so the clock's resolution and the loop do not dominate.
 * Calls `fn` a few times itself (a little extra warm-up).
 */
export function calibrateBatch(fn: () => void, targetMs = 2): number {
  let ops = 1;
  for (;;) {
    const perOp = timeOps(fn, ops);
    const total = perOp * ops;
    if (total >= targetMs / 4 || ops >= 10_000) {
      return Math.max(1, Math.min(10_000, Math.round(targetMs / Math.max(perOp, 1e-6))));
    }
    ops *= 4;
  }
}

/** One competitor in a measurement: each call of `sample()` yields one value of the figure. */
export interface Contestant {
  readonly name: string;
  /** One sample in the figure's own unit (ms per operation, handshakes/s, MB/s ...). */
  sample(): number | Promise<number>;
}

export interface InterleaveInit {
  /** Rounds run before measuring; their samples are dropped. */
  readonly warmup: number;
  /** Rounds measured: each contestant gives this many samples. */
  readonly samples: number;
}

/**
 * Runs the contestants in turn, one sample each per round (A B A B ... for two), first
 * `warmup` rounds that are dropped, then `samples` rounds that are kept. Sequential: never
 * two samples at once.
 * @returns the kept samples, one array per contestant in the order given.
 * @throws RangeError for no contestants, a negative warm-up or fewer than one sample; whatever a
 *   contestant throws, and RangeError when a sample is not a finite number.
 */
export async function interleave(
  contestants: readonly Contestant[],
  init: InterleaveInit,
): Promise<number[][]> {
  if (contestants.length === 0) throw new RangeError('interleave: no contestants');
  if (!Number.isInteger(init.warmup) || init.warmup < 0) throw new RangeError('interleave: bad warmup');
  if (!Number.isInteger(init.samples) || init.samples < 1) throw new RangeError('interleave: bad samples');
  const kept = contestants.map(() => [] as number[]);
  for (let round = 0; round < init.warmup + init.samples; round++) {
    for (const [i, c] of contestants.entries()) {
      const v = await c.sample();
      if (!Number.isFinite(v)) throw new RangeError(`interleave: ${c.name} gave the sample ${v}`);
      if (round >= init.warmup) kept[i]!.push(v);
    }
  }
  return kept;
}

/**
 * A contestant timing a synchronous operation in ms per call, in batches calibrated to about
 * `targetMs` per sample on first use.
 */
export function syncContestant(name: string, fn: () => void, targetMs = 2): Contestant {
  let batch = 0;
  return {
    name,
    sample: () => {
      if (batch === 0) batch = calibrateBatch(fn, targetMs);
      return timeOps(fn, batch);
    },
  };
}
