/**
 * `initPki` end to end on disk, for every algorithm, with and without an intermediate CA.
 * Everything written is read back with node:crypto (X509Certificate, createPrivateKey), not
 * with the module under test: chains verify link by link, the root is self-signed, CA flags,
 * subjects, SAN and EKU are right, leaf keys have the right type and curve, each key.pem
 * holds the private half of its leaf, file and directory modes are 0600/0700, and the same
 * files serve a mutually authenticated Node TLS connection on 127.0.0.1.
 * Extension criticality and key-usage bits, which node:crypto does not expose, are read with
 * @peculiar/x509's parser.
 */
import 'reflect-metadata';
import { createPrivateKey, type KeyObject, sign, verify, type X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as tls from 'node:tls';
import * as px from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTrustQuorumError } from '../../src/errors.js';
import {
  initPki,
  OID_SPDM_REQUESTER_AUTH,
  OID_SPDM_RESPONDER_AUTH,
  type PkiAlg,
  type PkiInitResult,
} from '../../src/pki/index.js';
import { cleanTemp, modeOf, readPemCerts, tempDir } from './helpers.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SLEDS = 3;

const EXPECT_KEY: Record<PkiAlg, { type: string; curve?: string; sigLen: number }> = {
  p256: { type: 'ec', curve: 'prime256v1', sigLen: 64 },
  p384: { type: 'ec', curve: 'secp384r1', sigLen: 96 },
  ed25519: { type: 'ed25519', sigLen: 64 },
};

afterAll(cleanTemp);

function signWith(alg: PkiAlg, key: KeyObject, msg: Buffer): Buffer {
  if (alg === 'ed25519') return sign(null, msg, key);
  return sign(alg === 'p256' ? 'sha256' : 'sha384', msg, { key, dsaEncoding: 'ieee-p1363' });
}

function verifyWith(alg: PkiAlg, key: KeyObject, msg: Buffer, sig: Buffer): boolean {
  if (alg === 'ed25519') return verify(null, msg, key, sig);
  return verify(alg === 'p256' ? 'sha256' : 'sha384', msg, { key, dsaEncoding: 'ieee-p1363' }, sig);
}

function parsed(c: X509Certificate): px.X509Certificate {
  return new px.X509Certificate(new Uint8Array(c.raw));
}

function ski(c: X509Certificate): string {
  return parsed(c).getExtension(px.SubjectKeyIdentifierExtension)!.keyId;
}

function aki(c: X509Certificate): string | undefined {
  return parsed(c).getExtension(px.AuthorityKeyIdentifierExtension)!.keyId;
}

describe.each([
  ['p256', false],
  ['p384', false],
  ['ed25519', false],
  ['p256', true],
  ['p384', true],
  ['ed25519', true],
] as const)('initPki %s, intermediate=%s', (alg, intermediate) => {
  let out: string;
  let result: PkiInitResult;
  let before: number;
  let after: number;
  const chainLen = intermediate ? 3 : 2;
  const names = [...Array.from({ length: SLEDS }, (_, i) => `sled-${i + 1}`), 'operator'];

  beforeAll(async () => {
    before = Date.now();
    out = join(tempDir(), 'pki'); // does not exist yet: initPki creates it
    result = await initPki({ outDir: out, alg, intermediate, sleds: SLEDS, rackName: 'r7', days: 30 });
    after = Date.now();
  });

  it('writes the documented layout with 0700 directories and 0600 keys', () => {
    const keys = ['root.key.pem', ...names.map((n) => join(n, 'key.pem'))];
    if (intermediate) keys.push('intermediate.key.pem');
    for (const k of keys) expect(modeOf(join(out, k)), k).toBe(0o600);
    for (const d of ['', ...names]) expect(modeOf(join(out, d)), d || 'OUT').toBe(0o700);
    for (const n of names) {
      for (const f of ['cert.pem', 'chain.pem', 'identity.json'])
        expect(existsSync(join(out, n, f))).toBe(true);
    }
    expect(existsSync(join(out, 'intermediate.pem'))).toBe(intermediate);
    expect(existsSync(join(out, 'intermediate.key.pem'))).toBe(intermediate);
  });

  it('writes pki.json and identity.json records that match the certificates', () => {
    const m = JSON.parse(readFileSync(join(out, 'pki.json'), 'utf8'));
    expect(m).toMatchObject({ version: 1, rackName: 'r7', alg, sledIds: [1, 2, 3], intermediate });
    expect(m).toEqual(result.manifest);
    const created = Date.parse(m.created);
    expect(created).toBeGreaterThanOrEqual(before);
    expect(created).toBeLessThanOrEqual(after);
    for (const n of names) {
      const rec = JSON.parse(readFileSync(join(out, n, 'identity.json'), 'utf8'));
      const leaf = readPemCerts(join(out, n, 'cert.pem'))[0]!;
      expect(rec).toEqual({
        role: n === 'operator' ? 'operator' : 'sled',
        sledId: n === 'operator' ? null : Number(n.slice(5)),
        alg,
        subject: `CN=${n}, O=trust-quorum rack r7`,
      });
      expect(leaf.subject).toBe(`CN=${n}\nO=trust-quorum rack r7`);
    }
  });

  it('has a self-signed CA root with the CA extensions', () => {
    const [root] = readPemCerts(join(out, 'root.pem'));
    expect(root!.ca).toBe(true);
    expect(root!.checkIssued(root!)).toBe(true);
    expect(root!.verify(root!.publicKey)).toBe(true);
    expect(root!.subject).toBe('CN=trust-quorum root CA\nO=trust-quorum rack r7');
    const p = parsed(root!);
    const bc = p.getExtension(px.BasicConstraintsExtension)!;
    expect([bc.critical, bc.ca, bc.pathLength]).toEqual([true, true, intermediate ? 1 : 0]);
    const ku = p.getExtension(px.KeyUsagesExtension)!;
    expect([ku.critical, ku.usages]).toEqual([true, px.KeyUsageFlags.keyCertSign | px.KeyUsageFlags.cRLSign]);
    expect(aki(root!)).toBe(ski(root!));
  });

  it.each(names)('%s: chain.pem is root first, links and verifies, ends with cert.pem', (n) => {
    const chain = readPemCerts(join(out, n, 'chain.pem'));
    const [root] = readPemCerts(join(out, 'root.pem'));
    const [leaf] = readPemCerts(join(out, n, 'cert.pem'));
    expect(chain).toHaveLength(chainLen);
    expect(chain[0]!.raw.equals(root!.raw)).toBe(true);
    expect(chain[chainLen - 1]!.raw.equals(leaf!.raw)).toBe(true);
    if (intermediate) {
      const [inter] = readPemCerts(join(out, 'intermediate.pem'));
      expect(chain[1]!.raw.equals(inter!.raw)).toBe(true);
      expect(parsed(inter!).getExtension(px.BasicConstraintsExtension)!.pathLength).toBe(0);
    }
    for (let i = 1; i < chain.length; i++) {
      expect(chain[i]!.checkIssued(chain[i - 1]!)).toBe(true);
      expect(chain[i]!.verify(chain[i - 1]!.publicKey)).toBe(true);
      expect(chain[i]!.verify(chain[i]!.publicKey)).toBe(false);
      expect(aki(chain[i]!)).toBe(ski(chain[i - 1]!));
    }
    expect(chain.map((c) => c.ca)).toEqual(chain.map((_, i) => i < chainLen - 1));
  });

  it.each(names)('%s: leaf extensions are the SPDM ones', (n) => {
    const [leaf] = readPemCerts(join(out, n, 'cert.pem'));
    const p = parsed(leaf!);
    const bc = p.getExtension(px.BasicConstraintsExtension)!;
    expect([bc.critical, bc.ca]).toEqual([true, false]);
    const ku = p.getExtension(px.KeyUsagesExtension)!;
    expect([ku.critical, ku.usages]).toEqual([true, px.KeyUsageFlags.digitalSignature]);
    // node:crypto's X509Certificate.keyUsage is the *extended* key usage list.
    if (n === 'operator') {
      expect(leaf!.keyUsage).toEqual([OID_SPDM_REQUESTER_AUTH, CLIENT_AUTH]);
      expect(leaf!.subjectAltName).toBeUndefined();
    } else {
      expect(leaf!.keyUsage).toEqual([
        OID_SPDM_RESPONDER_AUTH,
        OID_SPDM_REQUESTER_AUTH,
        SERVER_AUTH,
        CLIENT_AUTH,
      ]);
      expect(leaf!.subjectAltName).toBe(`DNS:${n}`);
    }
    expect(p.getExtension(px.SubjectKeyIdentifierExtension)).toBeTruthy();
  });

  it('gives every certificate a distinct positive serial and the requested validity', () => {
    const certs = [
      ...readPemCerts(join(out, 'root.pem')),
      ...(intermediate ? readPemCerts(join(out, 'intermediate.pem')) : []),
      ...names.flatMap((n) => readPemCerts(join(out, n, 'cert.pem'))),
    ];
    const serials = certs.map((c) => c.serialNumber);
    expect(new Set(serials).size).toBe(certs.length);
    for (const s of serials) {
      expect(s).toMatch(/^[0-9A-F]+$/);
      expect(Number.parseInt(s[0]!, 16)).toBeLessThan(8); // DER INTEGER sign bit clear
      expect(BigInt(`0x${s}`)).toBeGreaterThan(0n);
    }
    for (const c of certs) {
      const from = Date.parse(c.validFrom);
      const to = Date.parse(c.validTo);
      // notBefore = now - 1 h, truncated to whole seconds in the certificate.
      expect(from).toBeGreaterThan(before - 3600_000 - 1000);
      expect(from).toBeLessThanOrEqual(after - 3600_000);
      expect(to - from).toBeGreaterThanOrEqual(30 * 86400_000 + 3600_000 - 2000);
      expect(to - from).toBeLessThanOrEqual(30 * 86400_000 + 3600_000 + 2000);
    }
  });

  it.each(names)('%s: key.pem is the private half of the leaf', (n) => {
    const [leaf] = readPemCerts(join(out, n, 'cert.pem'));
    const pem = readFileSync(join(out, n, 'key.pem'), 'latin1');
    expect(pem.startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true); // PKCS#8
    const key = createPrivateKey(pem);
    const want = EXPECT_KEY[alg];
    expect(leaf!.publicKey.asymmetricKeyType).toBe(want.type);
    expect(key.asymmetricKeyType).toBe(want.type);
    expect(leaf!.publicKey.asymmetricKeyDetails?.namedCurve).toBe(want.curve);
    const msg = Buffer.from(`challenge for ${n}`);
    const sig = signWith(alg, key, msg);
    expect(sig).toHaveLength(want.sigLen);
    expect(verifyWith(alg, leaf!.publicKey, msg, sig)).toBe(true);
    expect(verifyWith(alg, leaf!.publicKey, Buffer.from(`challenge for ${n}!`), sig)).toBe(false);
    const other = readPemCerts(join(out, n === 'sled-1' ? 'sled-2' : 'sled-1', 'cert.pem'))[0]!;
    expect(verifyWith(alg, other.publicKey, msg, sig)).toBe(false);
  });

  it('serves mutually authenticated Node TLS with the same files', async () => {
    const tlsCert = (n: string) =>
      readPemCerts(join(out, n, 'chain.pem'))
        .slice(1)
        .reverse()
        .map((c) => c.toString())
        .join('\n');
    const ca = readFileSync(join(out, 'root.pem'));
    const server = tls.createServer({
      key: readFileSync(join(out, 'sled-1', 'key.pem')),
      cert: tlsCert('sled-1'),
      ca,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    });
    // The server answers with the CN of the client certificate it verified, then closes.
    server.on('secureConnection', (s) => s.end(String(s.getPeerCertificate().subject.CN)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const client = tls.connect({
        host: '127.0.0.1',
        port,
        servername: 'sled-1',
        ca,
        key: readFileSync(join(out, 'sled-2', 'key.pem')),
        cert: tlsCert('sled-2'),
        minVersion: 'TLSv1.3',
      });
      const [serverCn, seenByServer] = await new Promise<[string, string]>((resolve, reject) => {
        let cn = '';
        let data = '';
        client.on('secureConnect', () => {
          cn = String(client.getPeerCertificate().subject.CN);
        });
        client.on('data', (d: Buffer) => {
          data += d.toString();
        });
        client.on('end', () => resolve([cn, data]));
        client.on('error', reject);
      });
      client.destroy();
      expect(serverCn).toBe('sled-1');
      expect(seenByServer).toBe('sled-2');
    } finally {
      server.close();
    }
  });

  it('reports what it wrote: subjects and paths, no key material', () => {
    expect(result.written.map((w) => w.name)).toEqual([
      'root',
      ...(intermediate ? ['intermediate'] : []),
      ...names,
    ]);
    const text = JSON.stringify(result);
    for (const n of names) {
      const body = readFileSync(join(out, n, 'key.pem'), 'latin1').split('\n')[1]!;
      expect(text).not.toContain(body);
    }
    expect(text).not.toContain('PRIVATE KEY');
  });
});

describe('initPki options and refusals', () => {
  it('defaults to 5 sleds, p256, a random 8-hex-digit rack name', async () => {
    const out = tempDir();
    const r = await initPki({ outDir: out });
    expect(r.manifest.sledIds).toEqual([1, 2, 3, 4, 5]);
    expect(r.manifest.alg).toBe('p256');
    expect(r.manifest.intermediate).toBe(false);
    expect(r.manifest.rackName).toMatch(/^[0-9a-f]{8}$/);
    const [leaf] = readPemCerts(join(out, 'sled-5', 'cert.pem'));
    expect(leaf!.subject).toBe(`CN=sled-5\nO=trust-quorum rack ${r.manifest.rackName}`);
    const days = (Date.parse(leaf!.validTo) - Date.parse(leaf!.validFrom)) / 86400_000;
    expect(Math.round(days)).toBe(3650);
  });

  it('refuses a non-empty directory and leaves it alone', async () => {
    const out = tempDir();
    writeFileSync(join(out, 'keep.txt'), 'mine');
    const err = await initPki({ outDir: out, sleds: 1 }).catch((e: unknown) => e);
    expect(isTrustQuorumError(err, 'InvalidConfig')).toBe(true);
    expect((err as Error).message).toMatch(/not empty/);
    expect(existsSync(join(out, 'root.pem'))).toBe(false);
    expect(readFileSync(join(out, 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('refuses a path that is a file', async () => {
    const file = join(tempDir(), 'f');
    writeFileSync(file, 'x');
    const err = await initPki({ outDir: file, sleds: 1 }).catch((e: unknown) => e);
    expect(isTrustQuorumError(err, 'InvalidConfig')).toBe(true);
  });

  it('with force replaces existing files, and a world-readable key file ends up 0600', async () => {
    const out = tempDir();
    await initPki({ outDir: out, sleds: 1, rackName: 'first' });
    const oldKey = readFileSync(join(out, 'sled-1', 'key.pem'), 'latin1');
    writeFileSync(join(out, 'sled-1', 'key.pem'), 'placeholder', { mode: 0o644 });
    writeFileSync(join(out, 'root.key.pem'), 'placeholder', { mode: 0o666 });
    const r = await initPki({ outDir: out, sleds: 1, rackName: 'second', force: true });
    expect(r.manifest.rackName).toBe('second');
    expect(modeOf(join(out, 'sled-1', 'key.pem'))).toBe(0o600);
    expect(modeOf(join(out, 'root.key.pem'))).toBe(0o600);
    const newKey = readFileSync(join(out, 'sled-1', 'key.pem'), 'latin1');
    expect(newKey).not.toBe(oldKey);
    expect(createPrivateKey(newKey).type).toBe('private');
    expect(readPemCerts(join(out, 'sled-1', 'cert.pem'))[0]!.subject).toContain('O=trust-quorum rack second');
  });

  it('adds keyAgreement to EC leaves on request', async () => {
    const out = tempDir();
    await initPki({ outDir: out, sleds: 1, keyAgreement: true });
    const [leaf] = readPemCerts(join(out, 'sled-1', 'cert.pem'));
    const ku = parsed(leaf!).getExtension(px.KeyUsagesExtension)!;
    expect(ku.usages).toBe(px.KeyUsageFlags.digitalSignature | px.KeyUsageFlags.keyAgreement);
  });

  it.each([
    { sleds: 0 },
    { sleds: 257 },
    { sleds: 1.5 },
    { days: 0 },
    { days: 36501 },
    { rackName: 'a,b' },
    { rackName: '' },
    { rackName: '-x' },
    { rackName: 'x'.repeat(41) },
    { alg: 'rsa2048' as PkiAlg },
    { alg: 'ed25519' as PkiAlg, keyAgreement: true },
  ])('rejects %o with a RangeError before touching the disk', async (opts) => {
    const out = join(tempDir(), 'never');
    await expect(initPki({ outDir: out, ...opts })).rejects.toBeInstanceOf(RangeError);
    expect(existsSync(out)).toBe(false);
  });
});
