/**
 * What a benchmark is to the runner (run.ts): a name, a one-line summary, and `run(ctx)` that
 * measures and returns its figures. A benchmark whose code under test does not exist yet is
 * registered as `pending` with the reason, so `npm run bench -- NAME` can say why it is absent.
 */
import type { Figure } from './figure.js';

export interface BenchContext {
  /** Reduced iterations: the whole quick run must stay under 60 s on a 2-core machine. */
  readonly quick: boolean;
  /** Where charts (SVG) and results JSON go: bench/results/. */
  readonly resultsDir: string;
  /** Progress line on stderr (never stdout: that is the table or the JSON lines). */
  log(message: string): void;
}

export interface Benchmark {
  readonly name: string;
  readonly summary: string;
  /** Measures and returns the figures. Must release every socket, server and temp file. */
  run(ctx: BenchContext): Promise<Figure[]>;
}

export interface PendingBenchmark {
  readonly name: string;
  readonly summary: string;
  /** Why it cannot run yet (what it waits for). */
  readonly pending: string;
}

export type BenchmarkEntry = Benchmark | PendingBenchmark;

export function isPending(b: BenchmarkEntry): b is PendingBenchmark {
  return 'pending' in b;
}

/** Iteration counts for quick and full runs. */
export interface Rounds {
  readonly warmup: number;
  readonly samples: number;
}

/** `quick` or `full` rounds depending on the context. */
export function rounds(ctx: BenchContext, quick: Rounds, full: Rounds): Rounds {
  return ctx.quick ? quick : full;
}
