/**
 * Test fixtures for the rack secret, ledger and `tq rack` tests: a small PKI made with
 * @peculiar/x509 (a root CA and one P-256 leaf per sled), written in the `tq pki init` layout
 * (root.pem, sled-N/{cert,chain,key}.pem), and ledgers built from a real split.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { Ledger, type Member } from '../../src/ledger/index.js';
import { split } from '../../src/rack-secret/index.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface TestPki {
  readonly rootPem: string;
  readonly sleds: { readonly sledId: string; readonly certPem: string; readonly keyPem: string }[];
}

function pemOf(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64.replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

/** A root CA and `n` sled leaves sled-1..sled-n signed by it. */
export async function makePki(n: number, rackName = 'test'): Promise<TestPki> {
  const notBefore = new Date(Date.now() - 86_400_000);
  const notAfter = new Date(Date.now() + 86_400_000 * 30);
  const rootKeys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${rackName} root`,
    notBefore,
    notAfter,
    keys: rootKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  const sleds = [];
  for (let i = 1; i <= n; i++) {
    const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: (i + 1).toString(16).padStart(2, '0'),
      subject: `CN=sled-${i}, O=${rackName}`,
      issuer: root.subject,
      publicKey: keys.publicKey,
      signingKey: rootKeys.privateKey,
      signingAlgorithm: ALG,
      notBefore,
      notAfter,
    });
    const keyPem = pemOf('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    sleds.push({ sledId: `sled-${i}`, certPem: leaf.toString('pem') + '\n', keyPem });
  }
  return { rootPem: root.toString('pem') + '\n', sleds };
}

/** Writes `pki` in the `tq pki init` layout under `dir`. */
export async function writePkiDir(dir: string, pki: TestPki): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'root.pem'), pki.rootPem);
  for (const s of pki.sleds) {
    const d = join(dir, s.sledId);
    await mkdir(d, { recursive: true });
    await writeFile(join(d, 'cert.pem'), s.certPem);
    await writeFile(join(d, 'chain.pem'), pki.rootPem + s.certPem);
    await writeFile(join(d, 'key.pem'), s.keyPem, { mode: 0o600 });
  }
}

export function membersOf(pki: TestPki): Member[] {
  return pki.sleds.map((s) => ({ sledId: s.sledId, certificate: s.certPem }));
}

/** One ledger per sled from a fresh split (generation 0: not yet written). */
export function makeLedgers(pki: TestPki, k: number, rackId: string, epoch = 1): Ledger[] {
  const members = membersOf(pki);
  const { secret, commitments, shares } = split(undefined, members.length, k);
  secret.zero();
  return shares.map((share) => new Ledger({ rackId, epoch, threshold: k, members, commitments, share }));
}
