/**
 * `npm run bench [-- NAME ...] [--quick] [--json]`: runs the benchmarks of the registry below
 * (all, or those named), prints a table (or JSON lines with --json) on stdout, progress on
 * stderr, and leaves the figures and the machine description in bench/results/latest*.json.
 * See bench/README.md for what each benchmark measures and how to add one.
 */
import { fileURLToPath } from 'node:url';
import { cryptoFloorBench } from './crypto-floor.js';
import { type Benchmark, type BenchmarkEntry, isPending } from './lib/benchmark.js';
import type { Figure } from './lib/figure.js';
import { figureJsonLine, writeRunRecord } from './lib/json.js';
import { describeMachine, machineInfo } from './lib/machine.js';
import { disposeBenchPkis } from './lib/pki-fixture.js';
import { formatTable } from './lib/table.js';
import { msSince, now } from './lib/timing.js';
import { rackUnlockBench } from './rack-unlock.js';
import { secretSharingBench } from './secret-sharing.js';
import { spdmSessionBench } from './spdm-session.js';
import { spdmThroughputBench } from './spdm-throughput.js';
import { throughputBench } from './throughput.js';
import { tlsHandshakeBench } from './tls-handshake.js';

/**
 * The registry, in run order: the peers (TLS, TCP, crypto floor) before the SPDM benchmarks
 * that are compared with them. A benchmark whose code under test does not exist yet is
 * registered as a `pending` entry (see bench/README.md "Adding a benchmark").
 */
export const BENCHMARKS: readonly BenchmarkEntry[] = [
  secretSharingBench,
  cryptoFloorBench,
  tlsHandshakeBench,
  throughputBench,
  spdmSessionBench,
  spdmThroughputBench,
  rackUnlockBench,
];

export interface CliOptions {
  readonly quick: boolean;
  readonly json: boolean;
  readonly help: boolean;
  readonly names: readonly string[];
}

/**
 * Parses the command line (after `node run.ts`).
 * @throws RangeError for an unknown flag.
 */
export function parseArgs(argv: readonly string[]): CliOptions {
  const names: string[] = [];
  let quick = false;
  let json = false;
  let help = false;
  for (const a of argv) {
    if (a === '--quick') quick = true;
    else if (a === '--json') json = true;
    else if (a === '--help' || a === '-h') help = true;
    else if (a.startsWith('-')) throw new RangeError(`unknown option ${a}`);
    else names.push(a);
  }
  return { quick, json, help, names };
}

export function helpText(registry: readonly BenchmarkEntry[] = BENCHMARKS): string {
  const width = Math.max(...registry.map((b) => b.name.length));
  const list = registry.map(
    (b) =>
      `  ${b.name.padEnd(width)}  ${b.summary}${isPending(b) ? `\n  ${' '.repeat(width)}  (not yet: ${b.pending})` : ''}`,
  );
  return [
    'usage: npm run bench -- [NAME ...] [--quick] [--json]',
    '',
    'Runs the named benchmarks (default: all available) and prints one row per figure: our median',
    'and p90, the peer it is compared with, the peer median, and ratio = ours / peer in the',
    "figure's unit. `better` says which way is good: lower for times, higher for rates. p90 is",
    'the bound 90% of samples were at least as good as (90th percentile of times, 10th of rates).',
    'Competitors are measured interleaved (A B A B) after warm-up rounds, in the same process.',
    '',
    '  --quick  reduced iterations (the whole quick run stays under 60 s on 2 cores)',
    '  --json   one JSON object per figure per line on stdout (progress stays on stderr)',
    '  --help   this text',
    '',
    'Benchmarks:',
    ...list,
    '',
    'Every run also writes bench/results/latest.json (latest-quick.json with --quick); full runs',
    'write the SVG charts there.',
  ].join('\n');
}

/**
 * The benchmarks to run for `names` (all available ones when empty).
 * @throws RangeError naming an unknown or pending benchmark.
 */
export function select(
  names: readonly string[],
  registry: readonly BenchmarkEntry[] = BENCHMARKS,
): Benchmark[] {
  if (names.length === 0) return registry.filter((b): b is Benchmark => !isPending(b));
  return names.map((n) => {
    const b = registry.find((e) => e.name === n);
    if (!b) throw new RangeError(`unknown benchmark ${n} (known: ${registry.map((e) => e.name).join(', ')})`);
    if (isPending(b)) throw new RangeError(`benchmark ${n} is not available yet: ${b.pending}`);
    return b;
  });
}

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

async function main(argv: readonly string[]): Promise<number> {
  let opts: CliOptions;
  let chosen: Benchmark[];
  try {
    opts = parseArgs(argv);
    if (opts.help) {
      process.stdout.write(`${helpText()}\n`);
      return 0;
    }
    chosen = select(opts.names);
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n\n${helpText()}\n`);
    return 2;
  }
  const machine = machineInfo();
  const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
  log(`${describeMachine(machine)}${opts.quick ? ' (quick)' : ''}`);
  if (opts.names.length === 0) {
    for (const b of BENCHMARKS) if (isPending(b)) log(`skipping ${b.name}: ${b.pending}`);
  }
  const ctx = { quick: opts.quick, resultsDir: RESULTS_DIR, log };
  const started = new Date();
  const t0 = now();
  const figures: Figure[] = [];
  try {
    for (const b of chosen) {
      const tb = now();
      log(`running ${b.name} ...`);
      const got = await b.run(ctx);
      log(`${b.name}: ${got.length} figures in ${(msSince(tb) / 1000).toFixed(1)} s`);
      figures.push(...got);
      if (opts.json) for (const f of got) process.stdout.write(`${figureJsonLine(f)}\n`);
    }
  } finally {
    disposeBenchPkis();
  }
  const seconds = msSince(t0) / 1000;
  if (!opts.json) {
    process.stdout.write(`machine: ${describeMachine(machine)}\n`);
    process.stdout.write(`command: npm run bench -- ${argv.join(' ')}\n\n${formatTable(figures)}\n`);
  }
  const file = writeRunRecord(RESULTS_DIR, opts.quick ? 'latest-quick.json' : 'latest.json', {
    command: `npm run bench -- ${argv.join(' ')}`.trim(),
    quick: opts.quick,
    started: started.toISOString(),
    seconds: Math.round(seconds * 10) / 10,
    machine,
    figures,
  });
  log(`done in ${seconds.toFixed(1)} s; wrote ${file}`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      disposeBenchPkis();
      process.stderr.write(`bench: failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
