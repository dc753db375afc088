/**
 * Real LUKS2 with Debian's cryptsetup (package cryptsetup-bin) on 32 MiB image files:
 * format with a storage key derived from a real rack, check passes with that key and fails with
 * another, a wrong image is named, an existing LUKS volume is not reformatted without force;
 * and `tq luks format|check` end to end from ledger files, with the shipped example hook
 * opening the image in test-only mode. Key slots use pbkdf2 with 1000 iterations to stay fast.
 * Skipped with the reason when cryptsetup is not installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recover } from '../../src/cli/rack-recover.js';
import { isTrustQuorumError } from '../../src/errors.js';
import { StorageKey } from '../../src/keys/index.js';
import { writeLedger } from '../../src/ledger/index.js';
import {
  createImage,
  cryptsetupVersion,
  isLuks,
  luksCheck,
  luksFormat,
  luksFormatArgv,
  parseSize,
} from '../../src/luks/index.js';
import { runUnlockHook } from '../../src/unlock/index.js';
import { tqInProcess as tq } from '../helpers/cli.js';
import { makeLedgers, makePki } from '../helpers/rack-fixture.js';

const version = await cryptsetupVersion();
const SKIP = version === null ? ' (skipped: cryptsetup not found; apt-get install -y cryptsetup-bin)' : '';
const FAST = { kind: 'pbkdf2', iterations: 1000 } as const;
const HOOK = fileURLToPath(new URL('../../examples/unlock-luks.sh', import.meta.url));
const RACK = '5ca1ab1e-0000-4000-8000-000000000001';

let dir: string;
let ledgerDirs: string[];

function randomKey(diskId: string): StorageKey {
  const b = randomBytes(32);
  const k = new StorageKey(diskId, b);
  b.fill(0);
  return k;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tq-luks-'));
  const pki = await makePki(3);
  ledgerDirs = [];
  for (const [i, ledger] of makeLedgers(pki, 2, RACK).entries()) {
    const d = join(dir, `sled-${i + 1}`);
    const written = await writeLedger([d], ledger);
    written.zero();
    ledger.zero();
    ledgerDirs.push(d);
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseSize and the format command line', () => {
  it('parses binary sizes and refuses nonsense', () => {
    expect(parseSize('32M')).toBe(32 * 1024 * 1024);
    expect(parseSize('32MiB')).toBe(32 * 1024 * 1024);
    expect(parseSize('1g')).toBe(1024 ** 3);
    expect(parseSize('4096')).toBe(4096);
    for (const bad of ['', '0', 'M', '1.5M', '-1M', '32X', '17T'])
      expect(() => parseSize(bad)).toThrow(RangeError);
  });

  it('uses luks2, batch mode, the key from stdin and a light argon2id by default', () => {
    expect(luksFormatArgv('/dev/sdb')).toEqual([
      'cryptsetup',
      'luksFormat',
      '--type',
      'luks2',
      '--batch-mode',
      '--pbkdf',
      'argon2id',
      '--pbkdf-memory',
      '65536',
      '--pbkdf-parallel',
      '1',
      '--pbkdf-force-iterations',
      '4',
      '--key-file=-',
      '/dev/sdb',
    ]);
    expect(() => luksFormatArgv('x', { pbkdf: { kind: 'pbkdf2', iterations: 10 } })).toThrow(RangeError);
  });
});

describe.skipIf(version === null)(`LUKS2 with cryptsetup${SKIP}`, () => {
  it('formats with a key; check passes with it and fails with another', async () => {
    const image = join(dir, 'plain.img');
    await createImage(image, parseSize('32M'));
    expect((await stat(image)).size).toBe(32 * 1024 * 1024);
    expect(await isLuks(image)).toBe(false);
    const key = randomKey('data0');
    await luksFormat(image, key, { pbkdf: FAST });
    expect(await isLuks(image)).toBe(true);
    expect(await luksCheck(image, key)).toBe(true);
    expect(await luksCheck(image, randomKey('data0'))).toBe(false);
    const dump = execFileSync('cryptsetup', ['luksDump', image], { encoding: 'utf8' });
    expect(dump).toMatch(/^Version:\s+2$/m);
    expect(dump).toMatch(/PBKDF:\s+pbkdf2/);
  });

  it('refuses to reformat a LUKS volume unless forced', async () => {
    const image = join(dir, 'twice.img');
    await createImage(image, parseSize('32M'));
    const first = randomKey('d');
    await luksFormat(image, first, { pbkdf: FAST });
    const second = randomKey('d');
    await expect(luksFormat(image, second, { pbkdf: FAST })).rejects.toThrow(
      `${image}: already a LUKS volume (use --force to reformat it)`,
    );
    expect(await luksCheck(image, first)).toBe(true);
    await luksFormat(image, second, { pbkdf: FAST, force: true });
    expect(await luksCheck(image, second)).toBe(true);
    expect(await luksCheck(image, first)).toBe(false);
  });

  it('names the image when it is missing, not LUKS, or cryptsetup is missing', async () => {
    const key = randomKey('d');
    const missing = join(dir, 'missing.img');
    await expect(luksCheck(missing, key)).rejects.toThrow(`${missing}: cannot use (ENOENT)`);
    const blank = join(dir, 'blank.img');
    await createImage(blank, parseSize('1M'));
    const err = await luksCheck(blank, key).catch((e: unknown) => e);
    expect(isTrustQuorumError(err, 'CommandFailed')).toBe(true);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^${blank}: cryptsetup open --test-passphrase exited with code 1: .*not a valid LUKS device`,
      ),
    );
    await expect(luksCheck(blank, key, { cryptsetup: join(dir, 'no-cryptsetup') })).rejects.toThrow(
      `${blank}: cryptsetup open --test-passphrase not found (install cryptsetup-bin)`,
    );
    await expect(createImage(blank, 1)).rejects.toThrow(`${blank}: exists already (not overwriting it)`);
  });

  it('tq luks format + check from ledgers, and the example hook opens the image', async () => {
    const image = join(dir, 'data0.img');
    const f = await tq(
      'luks',
      'format',
      image,
      '--create-size',
      '32M',
      '--disk',
      'data0',
      '--pbkdf',
      'pbkdf2',
      '--key-from-recover',
      ledgerDirs[0]!,
      ledgerDirs[2]!,
    );
    expect(f.err).toBe('');
    expect(f.code).toBe(0);
    const { keys } = await recover([ledgerDirs[1]!, ledgerDirs[2]!], { diskIds: ['data0', 'data1'] });
    const [key, other] = keys as [StorageKey, StorageKey];
    expect(f.out).toBe(
      `formatted ${image} as LUKS2 for disk data0\n` +
        `rack ${RACK}, epoch 1, key fingerprint ${key.fingerprint()} (sha256)\n` +
        'key slot 0: pbkdf2, 1000 iterations\n',
    );
    expect(f.out).not.toContain(Buffer.from(key.expose()).toString('hex'));

    const ok = await tq('luks', 'check', image, '--disk', 'data0', '--key-from-recover', ...ledgerDirs);
    expect(ok).toEqual({
      code: 0,
      out: `${image}: the key of disk data0 (fingerprint ${key.fingerprint()}) opens it\n`,
      err: '',
    });
    const bad = await tq('luks', 'check', image, '--disk', 'data1', '--key-from-recover', ...ledgerDirs);
    expect(bad.code).toBe(1);
    expect(bad.err).toBe(
      `tq: ${image}: the key of disk data1 (fingerprint ${other.fingerprint()}) does not open it\n`,
    );
    const sha3 = await tq(
      'luks',
      'check',
      image,
      '--disk',
      'data0',
      '--hash',
      'sha3-256',
      '--key-from-recover',
      ...ledgerDirs,
    );
    expect(sha3.code).toBe(1);

    // The shipped hook, as the agent runs it (test-only mode: no device-mapper needed).
    const hook = {
      command: { argv: [HOOK, image, 'tq-{disk}'] },
      sledId: 'sled-1',
      env: { TQ_LUKS_TEST_ONLY: '1' },
    };
    expect(await runUnlockHook(hook, key)).toMatchObject({ ok: true, error: null });
    const wrong = await runUnlockHook(hook, new StorageKey('data0', randomBytes(32)));
    expect(wrong).toMatchObject({
      ok: false,
      error: 'unlock hook exited with code 2: No key available with this passphrase.',
    });
    key.zero();
    other.zero();
  });

  it('tq luks refuses a bad disk id, too few ledgers, and an existing file with --create-size', async () => {
    const image = join(dir, 'exists.img');
    await writeFile(image, 'not empty');
    const usage = await tq('luks', 'format', image, '--disk', 'a/b', '--key-from-recover', ...ledgerDirs);
    expect(usage.code).toBe(2);
    expect(usage.err).toContain("option '--disk <id>' argument 'a/b' is invalid");
    const few = await tq('luks', 'check', image, '--disk', 'd', '--key-from-recover', ledgerDirs[0]!);
    expect(few.code).toBe(1);
    expect(few.err).toMatch(/^tq: need 2 shares, have 1: /);
    const exists = await tq(
      'luks',
      'format',
      image,
      '--create-size',
      '32M',
      '--disk',
      'd',
      '--key-from-recover',
      ...ledgerDirs,
    );
    expect(exists).toMatchObject({ code: 1, err: `tq: ${image}: exists already (not overwriting it)\n` });
  });

  it('writes exactly the 32 key bytes to cryptsetup (sha256 of stdin seen by a stand-in)', async () => {
    const stand = join(dir, 'fake-cryptsetup.sh');
    const seen = join(dir, 'fake.sha256');
    await writeFile(stand, `#!/bin/sh\nsha256sum | cut -d' ' -f1 > "${seen}"\nexit 0\n`, { mode: 0o755 });
    const key = randomKey('d');
    const image = join(dir, 'plain.img');
    expect(await luksCheck(image, key, { cryptsetup: stand })).toBe(true);
    const got = spawnSync('cat', [seen], { encoding: 'utf8' }).stdout.trim();
    expect(got).toBe(createHash('sha256').update(key.expose()).digest('hex'));
  });
});
