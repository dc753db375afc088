/**
 * Ledger storage on a real file system (temp directories): atomic write with mode 0600, the
 * generation rule, and load's choice and repair: highest generation wins, stale/missing/corrupt
 * copies are repaired and reported by file name, foreign copies and all-corrupt sets are errors.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isTrustQuorumError, type TrustQuorumError } from '../../src/errors.js';
import {
  LEDGER_FILE_NAME,
  type Ledger,
  loadLedger,
  readLedgerFile,
  serializeLedger,
  writeLedger,
} from '../../src/ledger/index.js';
import { makeLedgers, makePki, type TestPki } from '../helpers/rack-fixture.js';

const RACK = '5d0c3b1a-7e2f-4a6b-8c9d-0e1f2a3b4c5d';
const OTHER_RACK = '9a8b7c6d-5e4f-4321-8fed-cba987654321';

let pki: TestPki;
let root: string;
let a: string;
let b: string;
let c: string;
const fileIn = (dir: string) => join(dir, LEDGER_FILE_NAME);

beforeAll(async () => {
  pki = await makePki(3);
});
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tq-ledger-'));
  [a, b, c] = ['a', 'b', 'c'].map((d) => join(root, d)) as [string, string, string];
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const sledLedger = (rackId = RACK): Ledger => makeLedgers(pki, 2, rackId)[0]!;

async function rejects(p: Promise<unknown>, code: string): Promise<TrustQuorumError> {
  try {
    await p;
  } catch (e) {
    expect(isTrustQuorumError(e), String(e)).toBe(true);
    expect((e as TrustQuorumError).code).toBe(code);
    return e as TrustQuorumError;
  }
  throw new Error(`expected ${code}`);
}

describe('writeLedger', () => {
  it('writes every directory atomically, mode 0600, at generation 1, leaving no temp file', async () => {
    const written = await writeLedger([a, b, `${a}/`], sledLedger());
    expect(written.generation).toBe(1);
    for (const dir of [a, b]) {
      const st = await stat(fileIn(dir));
      expect(st.mode & 0o777).toBe(0o600);
      expect(await readdir(dir)).toEqual([LEDGER_FILE_NAME]);
      expect(await readFile(fileIn(dir), 'utf8')).toBe(serializeLedger(written));
    }
    expect((await stat(a)).mode & 0o777).toBe(0o700);
  });

  it('goes one past the highest generation already on disk, even from a fresh ledger', async () => {
    const first = await writeLedger([a], sledLedger());
    await writeLedger([a], first);
    const third = await writeLedger([a, b], sledLedger());
    expect(third.generation).toBe(3);
    expect((await readLedgerFile(fileIn(b))).generation).toBe(3);
  });

  it('reports a directory it could not write, by name, and still writes the others', async () => {
    await writeFile(join(root, 'not-a-dir'), 'x');
    const bad = join(root, 'not-a-dir');
    const e = await rejects(writeLedger([a, bad], sledLedger()), 'LedgerWrite');
    expect(e.files).toEqual([fileIn(bad)]);
    expect(e.message).toContain('1 of 2');
    expect((await readLedgerFile(fileIn(a))).generation).toBe(1);
  });
});

describe('loadLedger', () => {
  it('returns null when no directory holds a ledger (even absent directories)', async () => {
    expect(await loadLedger([a, join(root, 'nowhere', 'deep')])).toBeNull();
    await expect(loadLedger([])).rejects.toThrow(RangeError);
  });

  it('loads an intact set without warnings', async () => {
    const w = await writeLedger([a, b], sledLedger());
    const loaded = await loadLedger([a, b]);
    expect(loaded?.warnings).toEqual([]);
    expect(loaded?.source).toBe(fileIn(a));
    expect(loaded?.ledger.share.equals(w.share)).toBe(true);
  });

  it('takes the highest generation and repairs the stale copy', async () => {
    const g1 = await writeLedger([a, b, c], sledLedger());
    const g2 = await writeLedger([b], g1);
    const loaded = await loadLedger([a, b, c]);
    expect(loaded?.ledger.generation).toBe(2);
    expect(loaded?.source).toBe(fileIn(b));
    expect(loaded?.warnings).toEqual([
      { file: fileIn(a), problem: 'stale', detail: 'generation 1 < 2', repaired: true },
      { file: fileIn(c), problem: 'stale', detail: 'generation 1 < 2', repaired: true },
    ]);
    for (const d of [a, c]) expect(await readFile(fileIn(d), 'utf8')).toBe(serializeLedger(g2));
    expect((await stat(fileIn(a))).mode & 0o777).toBe(0o600);
    expect((await loadLedger([a, b, c]))?.warnings).toEqual([]);
  });

  it('repairs a missing copy', async () => {
    await writeLedger([a], sledLedger());
    const loaded = await loadLedger([a, b]);
    expect(loaded?.warnings).toEqual([
      { file: fileIn(b), problem: 'missing', detail: 'no copy here', repaired: true },
    ]);
    expect(await readFile(fileIn(b), 'utf8')).toBe(await readFile(fileIn(a), 'utf8'));
  });

  it('reports a corrupted copy by name, keeps it aside and repairs it', async () => {
    const w = await writeLedger([a, b, c], sledLedger());
    await writeFile(fileIn(b), '{"formatVersion": 1, "rackId": ');
    const text = serializeLedger(w);
    await writeFile(fileIn(c), text.replace('"epoch": 1', '"epoch": 2'));
    const loaded = await loadLedger([a, b, c]);
    expect(loaded?.ledger.generation).toBe(1);
    expect(loaded?.warnings).toEqual([
      { file: fileIn(b), problem: 'corrupt', detail: 'not valid JSON', repaired: true },
      { file: fileIn(c), problem: 'corrupt', detail: 'checksum mismatch', repaired: true },
    ]);
    for (const d of [b, c]) {
      expect(await readFile(fileIn(d), 'utf8')).toBe(text);
      const names = await readdir(d);
      expect(names.filter((n) => n.startsWith(`${LEDGER_FILE_NAME}.bad-`))).toHaveLength(1);
    }
  });

  it('with repair off, reports and leaves the files as they are', async () => {
    await writeLedger([a], sledLedger());
    await mkdir(b);
    await writeFile(fileIn(b), 'garbage');
    const loaded = await loadLedger([a, b, c], { repair: false });
    expect(loaded?.warnings.map((w) => [w.file, w.problem, w.repaired])).toEqual([
      [fileIn(b), 'corrupt', false],
      [fileIn(c), 'missing', false],
    ]);
    expect(await readFile(fileIn(b), 'utf8')).toBe('garbage');
  });

  it('refuses copies of two racks, naming both files, and repairs nothing', async () => {
    await writeLedger([a], sledLedger());
    await writeLedger([b], sledLedger(OTHER_RACK));
    const e = await rejects(loadLedger([a, b]), 'LedgerForeign');
    expect(e.message).toContain(`${fileIn(a)} (rack ${RACK})`);
    expect(e.message).toContain(`${fileIn(b)} (rack ${OTHER_RACK})`);
    expect((await readLedgerFile(fileIn(b))).rackId).toBe(OTHER_RACK);
  });

  it('refuses a single copy of another rack than expected', async () => {
    await writeLedger([a], sledLedger(OTHER_RACK));
    const e = await rejects(loadLedger([a], { rackId: RACK }), 'LedgerForeign');
    expect(e.files).toEqual([fileIn(a)]);
    expect(e.message).toContain(`expected rack ${RACK}`);
    expect((await loadLedger([a], { rackId: OTHER_RACK }))?.ledger.rackId).toBe(OTHER_RACK);
  });

  it('all copies corrupt: LedgerCorrupt naming every file and why', async () => {
    const w = await writeLedger([a, b], sledLedger());
    await writeFile(fileIn(a), '');
    await writeFile(fileIn(b), serializeLedger(w).replace('"threshold": 2', '"threshold": 3'));
    const e = await rejects(loadLedger([a, b, c]), 'LedgerCorrupt');
    expect(e.files).toEqual([fileIn(a), fileIn(b)]);
    expect(e.message).toContain(`${fileIn(a)}: not valid JSON`);
    expect(e.message).toContain(`${fileIn(b)}: checksum mismatch`);
    expect(await readFile(fileIn(a), 'utf8')).toBe('');
  });

  it('two different copies at one generation: LedgerCorrupt naming both', async () => {
    await writeLedger([a], sledLedger());
    await writeLedger([b], sledLedger());
    const e = await rejects(loadLedger([a, b]), 'LedgerCorrupt');
    expect(e.files).toEqual([fileIn(a), fileIn(b)]);
  });

  it('refuses an oversized file or a directory in place of the file', async () => {
    await writeLedger([a], sledLedger());
    await mkdir(b);
    await writeFile(fileIn(b), Buffer.alloc(5 * 1024 * 1024, 0x20));
    const loaded = await loadLedger([a, b], { repair: false });
    expect(loaded?.warnings[0]?.detail).toMatch(/more than a ledger can be/);
    await rm(fileIn(b));
    await mkdir(fileIn(b));
    const e = await rejects(readLedgerFile(fileIn(b)), 'LedgerCorrupt');
    expect(e.message).toContain('not a regular file');
  });

  it('ignores a temp file left by a crash before rename', async () => {
    const w = await writeLedger([a], sledLedger());
    await writeFile(join(a, `.${LEDGER_FILE_NAME}.1234.abcdef.tmp`), '{"half');
    const loaded = await loadLedger([a]);
    expect(loaded?.ledger.generation).toBe(w.generation);
    expect(loaded?.warnings).toEqual([]);
  });
});
