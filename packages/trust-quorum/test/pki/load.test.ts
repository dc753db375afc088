/**
 * Loading what initPki wrote: identities (sled and operator), the trusted root and the
 * manifest; the private key never shows in JSON.stringify or util.inspect; a key file readable
 * by others gives a warning; every kind of mismatched, tampered, missing or oversized file is
 * refused with TrustQuorumError('InvalidConfig') naming the file.
 */
import { createPrivateKey, sign, verify, X509Certificate } from 'node:crypto';
import { chmodSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTrustQuorumError } from '../../src/errors.js';
import {
  disposePki,
  generatePki,
  initPki,
  loadIdentity,
  loadPkiManifest,
  loadTrustedRoot,
} from '../../src/pki/index.js';
import { cleanTemp, readPemCerts, tempDir } from './helpers.js';

afterAll(cleanTemp);

/** A fresh copy of a PKI directory to tamper with. */
async function freshPki(alg: 'p256' | 'p384' | 'ed25519' = 'p256', intermediate = false): Promise<string> {
  const out = tempDir();
  await initPki({ outDir: out, sleds: 2, alg, intermediate, rackName: 'load' });
  return out;
}

/** Strings under which the private key of `keyPem` could show: PEM body lines, DER hex, d. */
function keyFingerprints(keyPemPath: string): string[] {
  const pem = readFileSync(keyPemPath, 'latin1');
  const key = createPrivateKey(pem);
  const der = key.export({ type: 'pkcs8', format: 'der' });
  const d = key.export({ format: 'jwk' }).d!;
  const body = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
  return [
    ...body,
    der.toString('hex'),
    der.toString('base64'),
    d,
    Buffer.from(d, 'base64url').toString('hex'),
  ];
}

function expectConfigError(fn: () => unknown, file: string, message: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(isTrustQuorumError(err, 'InvalidConfig'), String(err)).toBe(true);
  expect((err as { files: string[] }).files).toEqual([file]);
  expect((err as Error).message).toMatch(message);
}

describe.each(['p256', 'p384', 'ed25519'] as const)('loadIdentity %s', (alg) => {
  let out: string;
  beforeAll(async () => {
    out = await freshPki(alg, true);
  });

  it('returns the sled id, the chain root first, the leaf and a working private key', () => {
    const id = loadIdentity(join(out, 'sled-2'));
    expect(id.role).toBe('sled');
    expect(id.sledId).toBe(2);
    expect(id.alg).toBe(alg);
    expect(id.subject).toBe('CN=sled-2, O=trust-quorum rack load');
    expect(id.warnings).toEqual([]);
    const onDisk = readPemCerts(join(out, 'sled-2', 'chain.pem'));
    expect(id.chainDer.map((d) => Buffer.from(d).toString('hex'))).toEqual(
      onDisk.map((c) => c.raw.toString('hex')),
    );
    expect(Buffer.from(id.chainDer[0]!).equals(readPemCerts(join(out, 'root.pem'))[0]!.raw)).toBe(true);
    expect(Buffer.from(id.leafDer).equals(readPemCerts(join(out, 'sled-2', 'cert.pem'))[0]!.raw)).toBe(true);
    expect(id.leaf.raw.equals(Buffer.from(id.leafDer))).toBe(true);
    expect(id.privateKey.type).toBe('private');
    const msg = Buffer.from('measurement transcript');
    const hash = alg === 'ed25519' ? null : alg === 'p256' ? 'sha256' : 'sha384';
    const sig = sign(hash, msg, id.privateKey);
    expect(verify(hash, msg, new X509Certificate(id.leafDer).publicKey, sig)).toBe(true);
  });

  it('loads the operator identity with no sled id', () => {
    const op = loadIdentity(join(out, 'operator'));
    expect(op.role).toBe('operator');
    expect(op.sledId).toBeNull();
    expect(op.subject).toBe('CN=operator, O=trust-quorum rack load');
    expect(op.chainDer).toHaveLength(3);
  });

  it('never shows the private key in JSON.stringify or util.inspect', () => {
    const id = loadIdentity(join(out, 'sled-1'));
    const renderings = [
      JSON.stringify(id),
      JSON.stringify({ nested: [id] }),
      inspect(id),
      inspect({ nested: [id] }, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
      String(id),
      `${Object.keys(id).join(',')}`,
    ];
    for (const r of renderings) {
      for (const f of keyFingerprints(join(out, 'sled-1', 'key.pem'))) expect(r).not.toContain(f);
    }
    expect(JSON.parse(JSON.stringify(id))).toEqual({
      dir: join(out, 'sled-1'),
      role: 'sled',
      sledId: 1,
      alg,
      subject: 'CN=sled-1, O=trust-quorum rack load',
    });
    expect(inspect(id)).toMatch(/private key redacted/);
  });
});

describe('loadIdentity refusals', () => {
  let out: string;
  beforeAll(async () => {
    out = await freshPki('p256', false);
  });

  /** Run `tamper` on a fresh copy of sled-1's files and expect the load to fail on `file`. */
  async function refused(tamper: (dir: string, other: string) => void, file: string, message: RegExp) {
    const copy = await freshPki('p256', false);
    const dir = join(copy, 'sled-1');
    tamper(dir, join(out, 'sled-1'));
    expectConfigError(() => loadIdentity(dir), join(dir, file), message);
  }

  it('warns when key.pem is group or world readable, and loads anyway', async () => {
    const copy = await freshPki();
    chmodSync(join(copy, 'sled-1', 'key.pem'), 0o640);
    const id = loadIdentity(join(copy, 'sled-1'));
    expect(id.warnings).toHaveLength(1);
    expect(id.warnings[0]).toMatch(/key\.pem is readable by group or others \(mode 640\)/);
  });

  it('refuses a key from another identity', () =>
    refused(
      (dir, other) => copyFileSync(join(other, 'key.pem'), join(dir, 'key.pem')),
      'key.pem',
      /does not match/,
    ));

  it('refuses a key file that is not a key', () =>
    refused((dir) => writeFileSync(join(dir, 'key.pem'), 'not a key\n'), 'key.pem', /not a PEM private key/));

  it('refuses a cert.pem that is not the last of chain.pem', () =>
    refused(
      (dir, other) => copyFileSync(join(other, 'cert.pem'), join(dir, 'cert.pem')),
      'cert.pem',
      /differs from the last certificate/,
    ));

  it('refuses a chain from another PKI whose leaf is not ours', () =>
    refused(
      (dir, other) => copyFileSync(join(other, 'chain.pem'), join(dir, 'chain.pem')),
      'cert.pem',
      /differs/,
    ));

  it('refuses a chain without its root', () =>
    refused(
      (dir) => writeFileSync(join(dir, 'chain.pem'), readFileSync(join(dir, 'cert.pem'))),
      'chain.pem',
      /not self-signed/,
    ));

  it('refuses a chain whose root is another rack root', () =>
    refused(
      (dir, other) => {
        const foreignRoot = readPemCerts(join(other, 'chain.pem'))[0]!.toString();
        const leaf = readFileSync(join(dir, 'cert.pem'), 'latin1');
        writeFileSync(join(dir, 'chain.pem'), `${foreignRoot}\n${leaf}`);
      },
      'chain.pem',
      /not signed by certificate 0/,
    ));

  it('refuses a chain whose middle certificate is not a CA', () =>
    refused(
      (dir) => {
        // root -> sled-2 leaf (properly signed by the root, but cA=false) -> sled-1 leaf
        const chain = readFileSync(join(dir, 'chain.pem'), 'latin1');
        const [root, leaf] = chain.match(/-----BEGIN[\s\S]*?-----END CERTIFICATE-----\n/g)!;
        const sled2 = readFileSync(join(dir, '..', 'sled-2', 'cert.pem'), 'latin1');
        writeFileSync(join(dir, 'chain.pem'), root! + sled2 + leaf!);
      },
      'chain.pem',
      /certificate 1 is not a CA/,
    ));

  it('refuses garbage and foreign PEM blocks in chain.pem', async () => {
    await refused((dir) => writeFileSync(join(dir, 'chain.pem'), 'hello'), 'chain.pem', /outside PEM/);
    await refused(
      (dir) => writeFileSync(join(dir, 'chain.pem'), readFileSync(join(dir, 'key.pem'))),
      'chain.pem',
      /unexpected PEM block/,
    );
    await refused(
      (dir) =>
        writeFileSync(
          join(dir, 'chain.pem'),
          '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
        ),
      'chain.pem',
      /does not parse/,
    );
  });

  it('refuses an oversized chain.pem before reading it', () =>
    refused(
      (dir) => writeFileSync(join(dir, 'chain.pem'), Buffer.alloc((1 << 20) + 1, 0x41)),
      'chain.pem',
      /larger than/,
    ));

  it('refuses an identity.json that names another sled or algorithm, or is not JSON', async () => {
    const rec = (o: object) => (dir: string) =>
      writeFileSync(
        join(dir, 'identity.json'),
        JSON.stringify({ role: 'sled', sledId: 1, alg: 'p256', subject: 'x', ...o }),
      );
    await refused(rec({ sledId: 2 }), 'cert.pem', /does not name sled-2/);
    await refused(rec({ role: 'operator', sledId: null }), 'cert.pem', /does not name operator/);
    await refused(rec({ alg: 'p384' }), 'cert.pem', /not p384/);
    await refused(rec({ alg: 'rsa' }), 'identity.json', /not an identity record/);
    await refused((dir) => writeFileSync(join(dir, 'identity.json'), '{'), 'identity.json', /not JSON/);
  });

  it('refuses a missing file, naming it', async () => {
    for (const f of ['identity.json', 'chain.pem', 'cert.pem', 'key.pem']) {
      await refused((dir) => rmSync(join(dir, f)), f, /cannot open \(ENOENT\)/);
    }
  });
});

describe('loadTrustedRoot and loadPkiManifest', () => {
  let out: string;
  beforeAll(async () => {
    out = await freshPki('p384', true);
  });

  it('loads the rack root', () => {
    const root = loadTrustedRoot(join(out, 'root.pem'));
    expect(root.ca).toBe(true);
    expect(root.raw.equals(readPemCerts(join(out, 'root.pem'))[0]!.raw)).toBe(true);
  });

  it('refuses a leaf, an intermediate, a chain and a missing file', () => {
    expectConfigError(
      () => loadTrustedRoot(join(out, 'sled-1', 'cert.pem')),
      join(out, 'sled-1', 'cert.pem'),
      /not a CA/,
    );
    expectConfigError(
      () => loadTrustedRoot(join(out, 'intermediate.pem')),
      join(out, 'intermediate.pem'),
      /not self-signed/,
    );
    expectConfigError(
      () => loadTrustedRoot(join(out, 'sled-1', 'chain.pem')),
      join(out, 'sled-1', 'chain.pem'),
      /expected one certificate, found 3/,
    );
    expectConfigError(() => loadTrustedRoot(join(out, 'nope.pem')), join(out, 'nope.pem'), /cannot open/);
  });

  it('reads pki.json and refuses a broken one', () => {
    const m = loadPkiManifest(out);
    expect(m).toMatchObject({
      version: 1,
      rackName: 'load',
      alg: 'p384',
      sledIds: [1, 2],
      intermediate: true,
    });
    writeFileSync(join(out, 'pki.json'), JSON.stringify({ ...m, sledIds: ['1'] }));
    expectConfigError(() => loadPkiManifest(out), join(out, 'pki.json'), /not a PKI manifest/);
  });
});

describe('generatePki in memory', () => {
  it('keeps private keys out of inspect/JSON and zeroes them on dispose', async () => {
    const m = await generatePki({ sleds: 1, alg: 'p256' });
    const der = Buffer.from(m.sleds[0]!.key.expose()).toString('hex');
    const key = createPrivateKey({ key: Buffer.from(der, 'hex'), format: 'der', type: 'pkcs8' });
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    for (const r of [inspect(m, { depth: Number.POSITIVE_INFINITY }), JSON.stringify(m)]) {
      expect(r).not.toContain(der);
      expect(r).not.toContain(Buffer.from(der, 'hex').toString('base64'));
    }
    const view = m.sleds[0]!.key.expose();
    disposePki(m);
    expect(view.every((b) => b === 0)).toBe(true);
    expect(() => m.root.key.expose()).toThrow(TypeError);
  });
});
