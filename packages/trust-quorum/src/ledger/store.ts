/**
 * The ledger on disk: one `ledger.json` in each configured directory, written atomically and
 * read back with repair.
 *
 * Write (each directory): create a temp file in the directory (mode 0600, exclusive), write,
 * fsync, rename over `ledger.json`, fsync the directory. The new generation is one more than
 * the highest of the ledger's and of any copy already in the directories.
 *
 * Load, precisely:
 * - no `ledger.json` in any directory: `null` (single-node mode is the caller's decision);
 * - every copy is read and validated (size bound, JSON, schema, checksum, ledger rules incl.
 *   the share against the commitments); an unreadable or invalid copy is "corrupt";
 * - valid copies of different racks (or of a rack other than `init.rackId`): throw
 *   LedgerForeign naming each file and its rack. Nothing is repaired: we cannot tell which one
 *   is foreign, and overwriting would destroy another rack's share;
 * - two valid copies at the same generation with different contents: throw LedgerCorrupt;
 * - copies exist but none is valid: throw LedgerCorrupt naming every file and why;
 * - otherwise the highest generation wins; every missing, stale or corrupt copy is reported
 *   in `warnings` and (unless `repair: false`) rewritten with the winner's exact bytes; a
 *   corrupt file is first renamed to `ledger.json.bad-<time>` so the evidence stays.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { TrustQuorumError } from '../errors.js';
import { type Ledger, parseLedger, serializeLedger } from './ledger.js';
import { MAX_LEDGER_FILE_BYTES } from './schema.js';

export const LEDGER_FILE_NAME = 'ledger.json';

export interface LoadLedgerInit {
  /** Refuse (LedgerForeign) any valid copy of another rack. */
  readonly rackId?: string;
  /** Rewrite missing, stale and corrupt copies; default true. */
  readonly repair?: boolean;
}

export interface LedgerWarning {
  readonly file: string;
  readonly problem: 'missing' | 'stale' | 'corrupt';
  /** Why (never quotes the file's content). */
  readonly detail: string;
  /** True when the copy was rewritten from the winner. */
  readonly repaired: boolean;
  /** Why the repair failed, when it did. */
  readonly repairError?: string;
}

export interface LoadedLedger {
  readonly ledger: Ledger;
  /** The file the ledger was taken from. */
  readonly source: string;
  readonly warnings: readonly LedgerWarning[];
}

type Copy =
  | { kind: 'missing'; file: string }
  | { kind: 'bad'; file: string; why: string }
  | { kind: 'ok'; file: string; ledger: Ledger; text: string };

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? 'error';
}

function uniqueDirs(dirs: readonly string[]): string[] {
  if (dirs.length === 0) throw new RangeError('at least one ledger directory is required');
  return [...new Set(dirs.map((d) => resolve(d)))];
}

/** Reads a file of at most MAX_LEDGER_FILE_BYTES; null when it does not exist. */
async function readBounded(file: string): Promise<string | null> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    if (errCode(e) === 'ENOENT') return null;
    throw e;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new TrustQuorumError('LedgerCorrupt', 'not a regular file');
    if (st.size > MAX_LEDGER_FILE_BYTES) {
      throw new TrustQuorumError('LedgerCorrupt', `${st.size} bytes, more than a ledger can be`);
    }
    // Read at most the size seen by stat: a file growing meanwhile cannot make us allocate more.
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const { bytesRead } = await fh.read(buf, off, buf.length - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    const text = buf.subarray(0, off).toString('utf8');
    buf.fill(0);
    return text;
  } finally {
    await fh.close();
  }
}

/**
 * Reads and validates one ledger file.
 * @throws TrustQuorumError LedgerCorrupt naming the file when it is missing, unreadable or
 *   invalid.
 */
export async function readLedgerFile(file: string): Promise<Ledger> {
  const copy = await readCopy(resolve(file));
  if (copy.kind === 'ok') return copy.ledger;
  const why = copy.kind === 'missing' ? 'no such file' : copy.why;
  throw new TrustQuorumError('LedgerCorrupt', `${copy.file}: ${why}`, { files: [copy.file] });
}

function withoutPrefix(message: string, file: string): string {
  return message.startsWith(`${file}: `) ? message.slice(file.length + 2) : message;
}

async function readCopy(file: string): Promise<Copy> {
  let text: string | null;
  try {
    text = await readBounded(file);
  } catch (e) {
    const why = e instanceof TrustQuorumError ? e.message : `unreadable (${errCode(e)})`;
    return { kind: 'bad', file, why };
  }
  if (text === null) return { kind: 'missing', file };
  try {
    return { kind: 'ok', file, ledger: parseLedger(text, file), text };
  } catch (e) {
    const why = e instanceof TrustQuorumError ? withoutPrefix(e.message, file) : 'invalid';
    return { kind: 'bad', file, why };
  }
}

/** Atomic replace of `dir/name` with `text`, mode 0600 (see the module comment). */
async function atomicWrite(dir: string, name: string, text: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const data = Buffer.from(text, 'utf8');
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.chmod(0o600);
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(dir, name));
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  } finally {
    data.fill(0);
  }
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** Highest generation among readable copies (valid or not: a stale writer must not win). */
async function highestGenerationOnDisk(files: readonly string[]): Promise<number> {
  let max = 0;
  for (const file of files) {
    try {
      const text = await readBounded(file);
      const g: unknown = text === null ? 0 : (JSON.parse(text) as { generation?: unknown }).generation;
      if (typeof g === 'number' && Number.isSafeInteger(g) && g > max) max = g;
    } catch {
      // An unreadable copy has no generation to beat.
    }
  }
  return max;
}

/**
 * Writes the ledger to `ledger.json` in every directory, at the next generation.
 * @returns the ledger as written (its new generation); the argument is left as it was.
 * @throws RangeError with no directories; TrustQuorumError LedgerWrite naming every directory
 *   that failed (the others hold the new generation; `loadLedger` will repair the rest).
 */
export async function writeLedger(dirs: readonly string[], ledger: Ledger): Promise<Ledger> {
  const targets = uniqueDirs(dirs);
  const onDisk = await highestGenerationOnDisk(targets.map((d) => join(d, LEDGER_FILE_NAME)));
  const next = ledger.withGeneration(Math.max(ledger.generation, onDisk) + 1);
  const text = serializeLedger(next);
  const failed: string[] = [];
  for (const dir of targets) {
    try {
      await atomicWrite(dir, LEDGER_FILE_NAME, text);
    } catch (e) {
      failed.push(`${join(dir, LEDGER_FILE_NAME)} (${errCode(e)})`);
    }
  }
  if (failed.length > 0) {
    next.zero();
    const files = failed.map((f) => f.replace(/ \(.*\)$/, ''));
    throw new TrustQuorumError(
      'LedgerWrite',
      `wrote generation ${next.generation} to ${targets.length - failed.length} of ${targets.length} directories; failed: ${failed.join(', ')}`,
      { files },
    );
  }
  return next;
}

function checkOneRack(valid: readonly Extract<Copy, { kind: 'ok' }>[], expected: string | undefined): void {
  const racks = new Set(valid.map((c) => c.ledger.rackId));
  if (expected !== undefined) racks.add(expected);
  if (racks.size <= 1) return;
  const list = valid.map((c) => `${c.file} (rack ${c.ledger.rackId})`).join(', ');
  const want = expected === undefined ? 'copies disagree' : `expected rack ${expected}`;
  const files = valid
    .filter((c) => expected === undefined || c.ledger.rackId !== expected)
    .map((c) => c.file);
  throw new TrustQuorumError('LedgerForeign', `ledger copies of another rack: ${want}: ${list}`, { files });
}

function pickWinner(valid: readonly Extract<Copy, { kind: 'ok' }>[]): Extract<Copy, { kind: 'ok' }> {
  let best = valid[0]!;
  for (const c of valid) if (c.ledger.generation > best.ledger.generation) best = c;
  for (const c of valid) {
    if (c !== best && c.ledger.generation === best.ledger.generation && c.text !== best.text) {
      throw new TrustQuorumError(
        'LedgerCorrupt',
        `${best.file} and ${c.file} are both generation ${best.ledger.generation} but differ`,
        { files: [best.file, c.file] },
      );
    }
  }
  return best;
}

async function repairCopy(c: Copy, text: string): Promise<string | undefined> {
  const dir = join(c.file, '..');
  try {
    if (c.kind === 'bad') {
      const stamp = new Date().toISOString().replaceAll(':', '-');
      await rename(c.file, `${c.file}.bad-${stamp}`).catch((e) => {
        if (errCode(e) !== 'ENOENT') throw e;
      });
    }
    await atomicWrite(dir, LEDGER_FILE_NAME, text);
    return undefined;
  } catch (e) {
    return errCode(e);
  }
}

function warningFor(c: Copy, generation: number): Omit<LedgerWarning, 'repaired'> | null {
  if (c.kind === 'missing') return { file: c.file, problem: 'missing', detail: 'no copy here' };
  if (c.kind === 'bad') return { file: c.file, problem: 'corrupt', detail: c.why };
  if (c.ledger.generation < generation) {
    return { file: c.file, problem: 'stale', detail: `generation ${c.ledger.generation} < ${generation}` };
  }
  return null;
}

/**
 * Loads the ledger from its directories, choosing and repairing as the module comment says.
 * @returns null when no directory holds a ledger file.
 * @throws RangeError with no directories; TrustQuorumError LedgerForeign (copies of another
 *   rack), LedgerCorrupt (no valid copy, or two different copies at one generation), both
 *   naming the files.
 */
export async function loadLedger(
  dirs: readonly string[],
  init: LoadLedgerInit = {},
): Promise<LoadedLedger | null> {
  const copies: Copy[] = [];
  for (const dir of uniqueDirs(dirs)) copies.push(await readCopy(join(dir, LEDGER_FILE_NAME)));
  const valid = copies.filter((c): c is Extract<Copy, { kind: 'ok' }> => c.kind === 'ok');
  try {
    if (valid.length === 0) {
      const bad = copies.filter((c): c is Extract<Copy, { kind: 'bad' }> => c.kind === 'bad');
      if (bad.length === 0) return null;
      const list = bad.map((c) => `${c.file}: ${c.why}`).join('; ');
      throw new TrustQuorumError('LedgerCorrupt', `no valid ledger copy: ${list}`, {
        files: bad.map((c) => c.file),
      });
    }
    checkOneRack(valid, init.rackId);
    const winner = pickWinner(valid);
    const warnings: LedgerWarning[] = [];
    for (const c of copies) {
      const w = c === winner ? null : warningFor(c, winner.ledger.generation);
      if (w === null) continue;
      const repairError = init.repair === false ? 'repair disabled' : await repairCopy(c, winner.text);
      warnings.push(
        repairError === undefined ? { ...w, repaired: true } : { ...w, repaired: false, repairError },
      );
    }
    for (const c of valid) if (c !== winner) c.ledger.zero();
    return { ledger: winner.ledger, source: winner.file, warnings };
  } catch (e) {
    for (const c of valid) c.ledger.zero();
    throw e;
  }
}
