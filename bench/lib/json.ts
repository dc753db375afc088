/**
 * Machine output: one JSON object per line per figure (JSON Lines), numbers rounded to six
 * significant digits, and the results file that a run leaves in bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Figure } from './figure.js';
import type { MachineInfo } from './machine.js';

function round(v: number | null): number | null {
  return v === null ? null : Number(v.toPrecision(6));
}

/** A figure as a plain object with the fields in a fixed order and rounded numbers. */
export function figureRecord(f: Figure): Record<string, unknown> {
  return {
    name: f.name,
    benchmark: f.benchmark,
    unit: f.unit,
    better: f.better,
    median: round(f.median),
    p90: round(f.p90),
    n: f.n,
    peer: f.peer,
    peerMedian: round(f.peerMedian),
    peerP90: round(f.peerP90),
    peerN: f.peerN,
    ratio: round(f.ratio),
    ...(f.note === undefined ? {} : { note: f.note }),
  };
}

/** One line of JSON for one figure (no trailing newline). */
export function figureJsonLine(f: Figure): string {
  return JSON.stringify(figureRecord(f));
}

/** Everything one run measured, as written to bench/results/. */
export interface RunRecord {
  readonly command: string;
  readonly quick: boolean;
  readonly started: string;
  readonly seconds: number;
  readonly machine: MachineInfo;
  readonly figures: readonly Figure[];
}

/**
 * Writes `record` as `<dir>/<name>` (pretty JSON), creating the directory.
 * @returns the path written.
 * @throws the fs error when the directory or file cannot be written.
 */
export function writeRunRecord(dir: string, name: string, record: RunRecord): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  const body = { ...record, figures: record.figures.map(figureRecord) };
  writeFileSync(path, `${JSON.stringify(body, null, 2)}\n`);
  return path;
}
