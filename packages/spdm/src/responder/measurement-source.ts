/**
 * Where the responder's measurements come from (DSP0274 1.3 "GET_MEASUREMENTS request and
 * MEASUREMENTS response", measurement block, DMTF measurement specification; spdm-reference
 * §2.7), and the MeasurementSummaryHash of CHALLENGE_AUTH.
 *
 * A `MeasurementSource` is synchronous and does no I/O when asked: the core calls it while
 * answering. `measurementSource(items)` serves fixed items; `programMeasurementSource(...)`
 * reads the running program's files once, when it is built, and serves their digest (index 1,
 * MUTABLE_FIRMWARE, part of the TCB), the digest of a configuration blob the caller passes
 * (index 2, FIRMWARE_CONFIGURATION) and, optionally, a version string (index 3, VERSION, raw).
 *
 * File-set digest (`digestFiles`): for each regular file, in byte order of its path relative to
 * the root it was found under (a single file: its base name; or relative to `base` when given), Hash over
 *   u32le(len(path)) ‖ path (UTF-8) ‖ u64le(size) ‖ content;
 * directories are walked recursively, skipping symbolic links, `node_modules` and names that
 * start with a dot.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { ByteWriter } from '../codec/writer.js';
import { type HashInfo, MEASUREMENT_HASH_ALGO, MEASUREMENT_SPEC_DMTF } from '../crypto/algorithms.js';
import { hash } from '../crypto/hash.js';
import { MEAS_SUMMARY_HASH_TYPE } from '../msgs/challenge.js';
import { SPDM_VERSION } from '../msgs/codes.js';
import {
  DMTF_MEASUREMENT_TYPE,
  encodeMeasurementBlock,
  type MeasurementBlock,
} from '../msgs/measurement-blocks.js';

export interface MeasurementSource {
  /**
   * The measurement blocks, indices unique and ascending in 0x01..0xFE, with digests made with
   * MeasurementHashAlgo `measurementHashAlgo` (a MEASUREMENT_HASH_ALGO bit).
   * @throws RangeError when the source cannot digest with that algorithm.
   */
  blocks(measurementHashAlgo: number): readonly MeasurementBlock[];
  /**
   * Whether block `index` measures a TCB component (MeasurementSummaryHashType TCB). Absent:
   * blocks of type IMMUTABLE_ROM, libspdm's sample rule.
   */
  isTcb?(index: number): boolean;
}

/** What an item's value is: content to digest, digests made beforehand, or a raw bit stream. */
export type MeasuredValue =
  | { readonly kind: 'content'; readonly bytes: Uint8Array }
  | { readonly kind: 'digests'; readonly byAlgo: ReadonlyMap<number, Uint8Array> }
  | { readonly kind: 'raw'; readonly bytes: Uint8Array };

export interface MeasuredItem {
  /** 0x01..0xFE. */
  readonly index: number;
  /** DMTFSpecMeasurementValueType bits 6:0 (a DMTF_MEASUREMENT_TYPE value). */
  readonly type: number;
  readonly value: MeasuredValue;
  /** Part of the TCB (MeasurementSummaryHashType TCB). Default false. */
  readonly tcb?: boolean;
}

/** node:crypto name of a MeasurementHashAlgo bit, or undefined (raw only, SM3). */
export function measurementHashNode(bit: number): string | undefined {
  switch (bit) {
    case MEASUREMENT_HASH_ALGO.SHA_256:
      return 'sha256';
    case MEASUREMENT_HASH_ALGO.SHA_384:
      return 'sha384';
    case MEASUREMENT_HASH_ALGO.SHA_512:
      return 'sha512';
    case MEASUREMENT_HASH_ALGO.SHA3_256:
      return 'sha3-256';
    case MEASUREMENT_HASH_ALGO.SHA3_384:
      return 'sha3-384';
    case MEASUREMENT_HASH_ALGO.SHA3_512:
      return 'sha3-512';
    default:
      return undefined;
  }
}

function checkItems(items: readonly MeasuredItem[]): MeasuredItem[] {
  const sorted = [...items].sort((a, b) => a.index - b.index);
  sorted.forEach((it, i) => {
    if (!Number.isInteger(it.index) || it.index < 1 || it.index > 0xfe)
      throw new RangeError(`measurement index ${it.index}`);
    if (i > 0 && sorted[i - 1]!.index === it.index)
      throw new RangeError(`measurement index ${it.index} twice`);
    if (!Number.isInteger(it.type) || it.type < 0 || it.type > 0x7f)
      throw new RangeError(`measurement type ${it.type}`);
  });
  return sorted;
}

function blockOf(it: MeasuredItem, algo: number): MeasurementBlock {
  const v = it.value;
  const common = { index: it.index, spec: MEASUREMENT_SPEC_DMTF, type: it.type };
  if (v.kind === 'raw') return { ...common, raw: true, value: v.bytes };
  if (v.kind === 'digests') {
    const d = v.byAlgo.get(algo);
    if (!d)
      throw new RangeError(
        `measurement ${it.index}: no digest for MeasurementHashAlgo 0x${algo.toString(16)}`,
      );
    return { ...common, raw: false, value: d };
  }
  const node = measurementHashNode(algo);
  if (!node) throw new RangeError(`MeasurementHashAlgo 0x${algo.toString(16)} cannot digest`);
  return { ...common, raw: false, value: new Uint8Array(createHash(node).update(v.bytes).digest()) };
}

/**
 * A source serving fixed items; digests of 'content' items are made once per algorithm.
 * @throws RangeError for an index outside 1..0xFE, a repeated index or a type above 0x7F.
 */
export function measurementSource(items: readonly MeasuredItem[]): MeasurementSource {
  const sorted = checkItems(items);
  const memo = new Map<number, readonly MeasurementBlock[]>();
  const tcb = new Set(sorted.filter((it) => it.tcb).map((it) => it.index));
  return {
    blocks(algo) {
      let blocks = memo.get(algo);
      if (!blocks) {
        blocks = Object.freeze(sorted.map((it) => blockOf(it, algo)));
        memo.set(algo, blocks);
      }
      return blocks;
    },
    isTcb: (index) => tcb.has(index),
  };
}

/** Bounds of a file walk, and where relative paths start. */
export interface DigestFilesLimits {
  /**
   * Measure paths relative to this directory instead of to each root (a file given directly:
   * its base name), so that files of several roots cannot share a name.
   */
  readonly base?: string;
  /** Default 10 000. */
  readonly maxFiles?: number;
  /** Total bytes read, default 256 MiB. */
  readonly maxBytes?: number;
}

interface Found {
  readonly rel: string;
  readonly abs: string;
}

function rel(from: string, abs: string): string {
  return relative(from, abs).split(sep).join('/');
}

function walk(from: string, dir: string, out: Found[], maxFiles: number): void {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || name === 'node_modules') continue;
    const abs = join(dir, name);
    const st = lstatSync(abs);
    if (st.isDirectory()) walk(from, abs, out, maxFiles);
    else if (st.isFile()) out.push({ rel: rel(from, abs), abs });
    if (out.length > maxFiles) throw new RangeError(`more than ${maxFiles} files under ${dir}`);
  }
}

function listFiles(paths: readonly string[], maxFiles: number, base: string | undefined): Found[] {
  const out: Found[] = [];
  for (const p of paths) {
    const st = lstatSync(p);
    if (st.isDirectory()) walk(base ?? p, p, out, maxFiles);
    else if (st.isFile()) out.push({ rel: base ? rel(base, p) : basename(p), abs: p });
  }
  const key = (f: Found) => Buffer.from(f.rel, 'utf8');
  return out.sort((a, b) => Buffer.compare(key(a), key(b)));
}

function feedFile(f: Found, hashers: readonly Hash[], budget: { left: number }): void {
  const fd = openSync(f.abs, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > budget.left) throw new RangeError(`measured files exceed the byte limit at ${f.rel}`);
    const name = Buffer.from(f.rel, 'utf8');
    const head = new ByteWriter(12 + name.length).u32le(name.length).bytes(name).u64le(BigInt(size));
    for (const h of hashers) h.update(head.finish());
    const buf = Buffer.alloc(Math.min(size, 1 << 20));
    for (let at = 0; at < size; ) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, size - at), at);
      if (n === 0) throw new RangeError(`${f.rel} shrank while being measured`);
      for (const h of hashers) h.update(buf.subarray(0, n));
      at += n;
    }
    budget.left -= size;
  } finally {
    closeSync(fd);
  }
}

/**
 * Digests of a set of files and directories (see the module comment), one per MeasurementHashAlgo
 * in `algos`. Reads the files synchronously; call it at start-up, not from a handler.
 * @throws RangeError past the limits or for an algorithm that cannot digest; Error from node:fs
 *   for a path that cannot be read.
 */
export function digestFiles(
  paths: readonly string[],
  algos: readonly number[],
  limits: DigestFilesLimits = {},
): Map<number, Uint8Array> {
  const nodes = algos.map((a) => {
    const n = measurementHashNode(a);
    if (!n) throw new RangeError(`MeasurementHashAlgo 0x${a.toString(16)} cannot digest`);
    return n;
  });
  const hashers = nodes.map((n) => createHash(n));
  const budget = { left: limits.maxBytes ?? 256 * 1024 * 1024 };
  for (const f of listFiles(paths, limits.maxFiles ?? 10_000, limits.base)) feedFile(f, hashers, budget);
  return new Map(algos.map((a, i) => [a, new Uint8Array(hashers[i]!.digest())]));
}

export interface ProgramMeasurementInit extends DigestFilesLimits {
  /** Files and directories of the program. Default: the main script, `process.argv[1]`. */
  readonly paths?: readonly string[];
  /** The configuration the program runs with, measured as index 2 when given. */
  readonly config?: Uint8Array;
  /** A version string, served raw as index 3 when given (at most 256 bytes of UTF-8). */
  readonly version?: string;
  /** MeasurementHashAlgo bits to prepare. Default SHA-256, SHA-384, SHA-512. */
  readonly algorithms?: readonly number[];
}

/** Indices of the program source's blocks. */
export const PROGRAM_MEASUREMENT_INDEX = { PROGRAM: 1, CONFIG: 2, VERSION: 3 } as const;

/**
 * The running program as measurements (see the module comment). Reads the files now.
 * @throws RangeError / Error as digestFiles; RangeError for a version string over 256 bytes.
 */
export function programMeasurementSource(init: ProgramMeasurementInit = {}): MeasurementSource {
  const algos = init.algorithms ?? [
    MEASUREMENT_HASH_ALGO.SHA_256,
    MEASUREMENT_HASH_ALGO.SHA_384,
    MEASUREMENT_HASH_ALGO.SHA_512,
  ];
  const main = process.argv[1];
  const paths = init.paths ?? (main ? [main] : []);
  const items: MeasuredItem[] = [
    {
      index: PROGRAM_MEASUREMENT_INDEX.PROGRAM,
      type: DMTF_MEASUREMENT_TYPE.MUTABLE_FIRMWARE,
      value: { kind: 'digests', byAlgo: digestFiles(paths, algos, init) },
      tcb: true,
    },
  ];
  if (init.config) {
    items.push({
      index: PROGRAM_MEASUREMENT_INDEX.CONFIG,
      type: DMTF_MEASUREMENT_TYPE.FIRMWARE_CONFIGURATION,
      value: { kind: 'content', bytes: init.config.slice() },
    });
  }
  if (init.version !== undefined) {
    const bytes = new Uint8Array(Buffer.from(init.version, 'utf8'));
    if (bytes.length > 256) throw new RangeError('version string longer than 256 bytes');
    items.push({
      index: PROGRAM_MEASUREMENT_INDEX.VERSION,
      type: DMTF_MEASUREMENT_TYPE.VERSION,
      value: { kind: 'raw', bytes },
    });
  }
  return measurementSource(items);
}

let defaultSource: MeasurementSource | undefined;

/**
 * The source a ResponderCore uses when its init names none: `programMeasurementSource()` over
 * the main script, built once per process on first use.
 */
export function defaultMeasurementSource(): MeasurementSource {
  defaultSource ??= programMeasurementSource();
  return defaultSource;
}

/**
 * MeasurementSummaryHash of CHALLENGE_AUTH (and KEY_EXCHANGE_RSP) for summary type TCB or ALL:
 * Hash with BaseHashAlgo over the selected blocks concatenated, each as the whole measurement
 * block (Index, MeasurementSpecification, MeasurementSize, Measurement) from SPDM 1.2 on and as
 * the Measurement field only before 1.2 (libspdm 1e16c60f
 * `libspdm_generate_measurement_summary_hash`). TCB selects `source.isTcb` blocks.
 * @throws RangeError for summary type NONE or an unknown type (misuse), or from the source.
 */
export function measurementSummaryHash(
  source: MeasurementSource,
  version: number,
  baseHash: HashInfo,
  measurementHashAlgo: number,
  summaryType: number,
): Uint8Array {
  if (summaryType !== MEAS_SUMMARY_HASH_TYPE.TCB && summaryType !== MEAS_SUMMARY_HASH_TYPE.ALL) {
    throw new RangeError(`no summary hash for MeasurementSummaryHashType 0x${summaryType.toString(16)}`);
  }
  const blocks = source.blocks(measurementHashAlgo);
  // The source's TCB rule, else libspdm's sample rule (IMMUTABLE_ROM blocks).
  const inTcb = source.isTcb
    ? (b: MeasurementBlock) => source.isTcb!(b.index)
    : (b: MeasurementBlock) => b.type === DMTF_MEASUREMENT_TYPE.IMMUTABLE_ROM;
  const w = new ByteWriter(256);
  for (const b of blocks) {
    if (summaryType === MEAS_SUMMARY_HASH_TYPE.TCB && !inTcb(b)) continue;
    const one = new ByteWriter(8 + b.value.length);
    encodeMeasurementBlock(one, b);
    const whole = one.finish();
    w.bytes(version >= SPDM_VERSION.V12 ? whole : whole.subarray(4));
  }
  return hash(baseHash, w.finish());
}
