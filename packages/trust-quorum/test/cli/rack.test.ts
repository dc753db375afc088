/**
 * `tq rack gen-config` and `tq rack recover`, run in-process through `main()` on real files:
 * round trip (fingerprint and keys checked against an independent Lagrange + HKDF computation),
 * failures named by file (too few, tampered, foreign, bad PKI), no share or secret bytes in
 * any output, and the layout written by the real `tq pki init`.
 */
import { createHash, hkdfSync } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TqRun as Run, tqInProcess as tq } from '../helpers/cli.js';
import { makePki, type TestPki, writePkiDir } from '../helpers/rack-fixture.js';

/** Order of the P-256 base point, SEC 2 v2 §2.4.2. */
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

interface FileShare {
  x: bigint;
  y: bigint;
  yHex: string;
}

async function shareOf(file: string): Promise<FileShare> {
  const o = JSON.parse(await readFile(file, 'utf8'));
  return { x: BigInt(o.share.x), y: BigInt(`0x${o.share.y}`), yHex: o.share.y };
}

function powMod(b: bigint, e: bigint): bigint {
  let r = 1n;
  let base = ((b % N) + N) % N;
  for (let x = e; x > 0n; x >>= 1n, base = (base * base) % N) if (x & 1n) r = (r * base) % N;
  return r;
}

/** Lagrange at 0, written here without the package's code. */
function secretFrom(shares: FileShare[]): Buffer {
  let s = 0n;
  for (const i of shares) {
    let l = 1n;
    for (const j of shares) if (j !== i) l = (l * j.x * powMod(j.x - i.x, N - 2n)) % N;
    s = (s + i.y * l) % N;
  }
  return Buffer.from(s.toString(16).padStart(64, '0'), 'hex');
}

const fingerprint = (secret: Buffer) =>
  createHash('sha256').update('tq-rack-secret-fingerprint-v1').update(secret).digest('hex').slice(0, 16);

let root: string;
let pki: TestPki;
let pkiDir: string;
const ledgerOf = (out: string, i: number) => join(out, `sled-${i}`, 'ledger.json');

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tq-rack-'));
  pki = await makePki(5);
  pkiDir = join(root, 'pki');
  await writePkiDir(pkiDir, pki);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('tq rack gen-config + recover', () => {
  let out: string;
  let gen: Run;
  let rackId: string;

  beforeAll(async () => {
    out = join(root, 'out');
    gen = await tq('rack', 'gen-config', '--pki', pkiDir, '--threshold', '3', '--out', out);
    rackId = /rack id: (\S+)/.exec(gen.out)?.[1] ?? '';
  });

  it('writes one 0600 ledger per sled with every member, and prints only id and fingerprint', async () => {
    expect(gen.code, gen.err).toBe(0);
    expect(gen.err).toBe('');
    expect(rackId).toMatch(/^[0-9a-f-]{36}$/);
    const shares: FileShare[] = [];
    for (let i = 1; i <= 5; i++) {
      expect((await stat(ledgerOf(out, i))).mode & 0o777).toBe(0o600);
      const o = JSON.parse(await readFile(ledgerOf(out, i), 'utf8'));
      expect(o).toMatchObject({ rackId, epoch: 1, threshold: 3, generation: 1, share: { x: i } });
      expect(o.members.map((m: { certificate: string }) => m.certificate)).toEqual(
        pki.sleds.map((s) => s.certPem),
      );
      shares.push(await shareOf(ledgerOf(out, i)));
    }
    const secret = secretFrom(shares.slice(0, 3));
    expect(secretFrom(shares.slice(2))).toEqual(secret);
    expect(gen.out).toContain(`rack secret fingerprint: ${fingerprint(secret)}`);
    for (const text of [gen.out, gen.err]) {
      expect(text).not.toContain(secret.toString('hex'));
      for (const s of shares) expect(text).not.toContain(s.yHex);
    }
  });

  it('recovers the same fingerprint from any 3 of 5 (files or directories), and the right keys', async () => {
    const shares = await Promise.all([1, 2, 3, 4, 5].map((i) => shareOf(ledgerOf(out, i))));
    const secret = secretFrom(shares.slice(0, 3));
    const r1 = await tq('rack', 'recover', ledgerOf(out, 1), ledgerOf(out, 3), ledgerOf(out, 5));
    expect(r1.code, r1.err).toBe(0);
    expect(r1.out).toContain(`rack id: ${rackId}`);
    expect(r1.out).toContain(`rack secret fingerprint: ${fingerprint(secret)}`);
    expect(r1.out).not.toContain('key ');
    expect(r1.err).toBe('');
    const r2 = await tq(
      'rack',
      'recover',
      join(out, 'sled-4'),
      join(out, 'sled-2'),
      join(out, 'sled-5'),
      join(out, 'sled-1'),
    );
    expect(r2.code, r2.err).toBe(0);
    expect(r2.out).toContain(`rack secret fingerprint: ${fingerprint(secret)}`);
    expect(r2.out).toContain('shares: 4 (threshold 3)');

    const r3 = await tq(
      'rack',
      'recover',
      ledgerOf(out, 2),
      ledgerOf(out, 3),
      ledgerOf(out, 4),
      '--print-keys',
      'nvme0',
      'disk/b',
    );
    expect(r3.code, r3.err).toBe(0);
    expect(r3.err).toMatch(/WARNING/);
    const salt = createHash('sha256')
      .update(Buffer.from(rackId.replaceAll('-', ''), 'hex'))
      .digest();
    for (const disk of ['nvme0', 'disk/b']) {
      const info = Buffer.concat([Buffer.from('tq-disk-v1'), Buffer.of(0), Buffer.from(disk)]);
      const key = Buffer.from(hkdfSync('sha256', secret, salt, info, 32)).toString('hex');
      expect(r3.out).toContain(`key ${disk} (sha256): ${key}`);
    }
    for (const r of [r1, r2, r3]) {
      expect(r.out + r.err).not.toContain(secret.toString('hex'));
      for (const s of shares) expect(r.out + r.err).not.toContain(s.yHex);
    }
  });

  it('with k-1 files fails with one line naming them', async () => {
    const r = await tq('rack', 'recover', ledgerOf(out, 2), ledgerOf(out, 5));
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain('need 3 shares, have 2');
    expect(r.err).toContain(ledgerOf(out, 2));
    expect(r.err).toContain(ledgerOf(out, 5));
  });

  it('names a tampered file, with or without a fixed-up checksum', async () => {
    const bad = join(root, 'tampered');
    await cp(join(out, 'sled-3'), bad, { recursive: true });
    const file = join(bad, 'ledger.json');
    const o = JSON.parse(await readFile(file, 'utf8'));
    const y = BigInt(`0x${o.share.y}`);
    o.share.y = ((y + 1n) % N).toString(16).padStart(64, '0');
    await writeFile(file, JSON.stringify(o));
    let r = await tq('rack', 'recover', ledgerOf(out, 1), file, ledgerOf(out, 5));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`tq: ${file}: checksum mismatch\n`);

    const { checksum: _old, ...body } = o;
    const keys = new Set<string>();
    JSON.stringify(body, (k, v) => {
      keys.add(k);
      return v;
    });
    keys.delete('');
    o.checksum = createHash('sha256')
      .update(JSON.stringify(body, [...keys].sort()))
      .digest('hex');
    await writeFile(file, JSON.stringify(o));
    r = await tq('rack', 'recover', ledgerOf(out, 1), file, ledgerOf(out, 5));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`tq: ${file}: share fails the commitment check\n`);
    expect(r.err).not.toContain(o.share.y);
  });

  it('names a ledger of another rack, and a duplicated share', async () => {
    const other = join(root, 'other');
    expect((await tq('rack', 'gen-config', '--pki', pkiDir, '--threshold', '3', '--out', other)).code).toBe(
      0,
    );
    let r = await tq('rack', 'recover', ledgerOf(out, 1), ledgerOf(other, 2), ledgerOf(out, 3));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      new RegExp(`^tq: ${ledgerOf(other, 2)}: rack [0-9a-f-]+ differs from ${ledgerOf(out, 1)}\\n$`),
    );
    const copy = join(root, 'copy-of-1');
    await cp(join(out, 'sled-1'), copy, { recursive: true });
    r = await tq('rack', 'recover', ledgerOf(out, 1), join(copy, 'ledger.json'), ledgerOf(out, 3));
    expect(r.err).toContain(`${join(copy, 'ledger.json')}: share x=1 duplicates ${ledgerOf(out, 1)}`);
    r = await tq('rack', 'recover', ledgerOf(out, 1), join(root, 'missing.json'), ledgerOf(out, 3));
    expect(r.code).toBe(1);
    expect(r.err).toContain(join(root, 'missing.json'));
  });

  it('refuses to overwrite without --force; with it, writes a new rack at the next generation', async () => {
    const before = await readFile(ledgerOf(out, 1), 'utf8');
    let r = await tq('rack', 'gen-config', '--pki', pkiDir, '--threshold', '2', '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toContain('refusing to overwrite');
    expect(await readFile(ledgerOf(out, 1), 'utf8')).toBe(before);
    const forced = join(root, 'forced');
    await cp(out, forced, { recursive: true });
    const id = '01234567-89ab-4def-8123-456789abcdef';
    r = await tq(
      'rack',
      'gen-config',
      '--pki',
      pkiDir,
      '--threshold',
      '2',
      '--out',
      forced,
      '--force',
      '--rack-id',
      id.toUpperCase(),
    );
    expect(r.code, r.err).toBe(0);
    const o = JSON.parse(await readFile(ledgerOf(forced, 4), 'utf8'));
    expect(o).toMatchObject({ rackId: id, generation: 2, threshold: 2 });
  });
});

describe('tq rack gen-config: bad input', () => {
  it('fails clearly on a missing or foreign PKI directory, and a bad threshold', async () => {
    const out = join(root, 'unused');
    let r = await tq('rack', 'gen-config', '--pki', join(root, 'nope'), '--threshold', '2', '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toContain('no such directory');
    r = await tq('rack', 'gen-config', '--pki', root, '--threshold', '2', '--out', out);
    expect(r.err).toContain(`${join(root, 'root.pem')} is missing`);
    r = await tq('rack', 'gen-config', '--pki', pkiDir, '--threshold', '6', '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toContain('threshold 6 impossible with 5 sleds');
    r = await tq('rack', 'gen-config', '--pki', pkiDir, '--threshold', 'x', '--out', out);
    expect(r.code).toBe(2);
    await expect(stat(out)).rejects.toThrow();
  });

  it('names a sled certificate that does not chain to the root', async () => {
    const mixed = join(root, 'mixed');
    await writePkiDir(mixed, pki);
    const stranger = await makePki(1, 'elsewhere');
    await writeFile(join(mixed, 'sled-2', 'cert.pem'), stranger.sleds[0]!.certPem);
    const r = await tq('rack', 'gen-config', '--pki', mixed, '--threshold', '2', '--out', join(root, 'o2'));
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${join(mixed, 'sled-2', 'cert.pem')}: does not chain to`);
  });
});

describe('with the layout of the real `tq pki init`', () => {
  it('round-trips through gen-config and recover, with an intermediate CA', async () => {
    const real = join(root, 'real-pki');
    const init = await tq('pki', 'init', '--out', real, '--sleds', '4', '--intermediate');
    expect(init.code, init.err).toBe(0);
    const out = join(root, 'real-out');
    const gen = await tq('rack', 'gen-config', '--pki', real, '--threshold', '2', '--out', out);
    expect(gen.code, gen.err).toBe(0);
    const fp = /fingerprint: (\w+)/.exec(gen.out)?.[1];
    const rec = await tq('rack', 'recover', join(out, 'sled-4'), join(out, 'sled-2'));
    expect(rec.code, rec.err).toBe(0);
    expect(rec.out).toContain(`rack secret fingerprint: ${fp}`);
    const shares = await Promise.all([2, 4].map((i) => shareOf(ledgerOf(out, i))));
    expect(fingerprint(secretFrom(shares))).toBe(fp);
  });
});
