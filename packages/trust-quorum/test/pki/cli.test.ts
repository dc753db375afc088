/**
 * `tq pki init` as a user runs it: a child process of packages/trust-quorum/bin/tq.js.
 * Exit codes (0 ok, 1 refused, 2 usage), one-line errors, output naming every file and
 * subject and never key material, and files that the loader accepts.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadIdentity, loadTrustedRoot } from '../../src/pki/index.js';
import { cleanTemp, tempDir } from './helpers.js';

const TQ = fileURLToPath(new URL('../../bin/tq.js', import.meta.url));

afterAll(cleanTemp);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function tq(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TQ, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('tq pki init', () => {
  it('writes a PKI and reports paths, subjects and algorithm, no key material', async () => {
    const out = join(tempDir(), 'pki');
    const r = await tq(
      'pki',
      'init',
      '--out',
      out,
      '--sleds',
      '2',
      '--alg',
      'p384',
      '--intermediate',
      '--rack-name',
      'cli',
      '--days',
      '7',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/rack "cli", ECDSA P-384 with SHA-384, 2 sleds, with intermediate CA/);
    for (const f of ['root.pem', 'root.key.pem', 'intermediate.pem', 'intermediate.key.pem', 'pki.json']) {
      expect(r.stdout).toContain(join(out, f));
    }
    for (const n of ['sled-1', 'sled-2', 'operator']) {
      expect(r.stdout).toContain(`CN=${n}, O=trust-quorum rack cli`);
      for (const f of ['cert.pem', 'chain.pem', 'key.pem', 'identity.json'])
        expect(r.stdout).toContain(join(out, n, f));
      const body = readFileSync(join(out, n, 'key.pem'), 'latin1').split('\n')[1]!;
      expect(r.stdout).not.toContain(body);
    }
    expect(r.stdout).not.toContain('BEGIN');
    const id = loadIdentity(join(out, 'sled-2'));
    expect([id.sledId, id.alg, id.chainDer.length, id.warnings]).toEqual([2, 'p384', 3, []]);
    expect(loadTrustedRoot(join(out, 'root.pem')).ca).toBe(true);
    const days = (Date.parse(id.leaf.validTo) - Date.parse(id.leaf.validFrom)) / 86400_000;
    expect(days).toBeCloseTo(7 + 1 / 24, 3);
  });

  it.each([
    [['--alg', 'bogus'], /'bogus' is invalid.*p256, p384, ed25519/],
    [['--sleds', '0'], /--sleds must be an integer from 1 to 256/],
    [['--sleds', 'many'], /--sleds must be an integer/],
    [['--days', '-1'], /--days/],
    [['--rack-name', 'a b'], /--rack-name/],
    [['--bogus'], /unknown option '--bogus'/],
  ])('%j is a usage error: exit 2, one line, nothing written', async (args, message) => {
    const out = join(tempDir(), 'pki');
    const r = await tq('pki', 'init', '--out', out, ...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it('requires --out (exit 2, one line)', async () => {
    const r = await tq('pki', 'init');
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toEqual(["error: required option '--out <dir>' not specified"]);
  });

  it('refuses a non-empty directory with exit 1 and one line; --force overwrites', async () => {
    const out = tempDir();
    writeFileSync(join(out, 'mine.txt'), 'x');
    const r = await tq('pki', 'init', '--out', out, '--sleds', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`tq: ${out} is not empty (use --force to write into it)\n`);
    expect(existsSync(join(out, 'root.pem'))).toBe(false);
    const f = await tq('pki', 'init', '--out', out, '--sleds', '1', '--alg', 'ed25519', '--force');
    expect(f.code).toBe(0);
    expect(loadIdentity(join(out, 'sled-1')).alg).toBe('ed25519');
    expect(readFileSync(join(out, 'mine.txt'), 'utf8')).toBe('x');
  });

  it('--help explains every option and the layout', async () => {
    const r = await tq('pki', 'init', '--help');
    expect(r.code).toBe(0);
    for (const o of [
      '--out <dir>',
      '--sleds <n>',
      '--alg <alg>',
      '--intermediate',
      '--rack-name <name>',
      '--days <n>',
      '--force',
    ]) {
      expect(r.stdout).toContain(o);
    }
    expect(r.stdout).toMatch(/sled-N\/cert\.pem, chain\.pem, key\.pem/);
    expect(r.stdout).toMatch(/ed25519/);
  });
});
