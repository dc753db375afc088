/**
 * Writes generated PKI material to disk in the layout of `layout.ts`: directories 0700,
 * private keys 0600 created exclusively (an existing file is removed first, never rewritten
 * in place, so a key never sits in a file with looser permissions), public files 0644.
 */
import { chmodSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaMaterial, IdentityMaterial } from './certs.js';
import { pkiError } from './errors.js';
import {
  DIR_MODE,
  type IdentityRecord,
  KEY_MODE,
  PKI_FILES,
  type PkiManifest,
  PUBLIC_MODE,
} from './layout.js';
import { pemBytes, pemString } from './pem.js';
import type { Pkcs8Key } from './secret.js';

/** One identity or CA written: its name, subject and the files (absolute or as given). */
export interface PkiWrittenEntry {
  readonly name: string;
  readonly subject: string;
  readonly files: readonly string[];
}

/**
 * Create `dir` (0700) or check that it is an empty directory.
 * @throws {TrustQuorumError} InvalidConfig when `dir` is not empty (without `force`) or not a directory.
 */
export function prepareOutDir(dir: string, force: boolean): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    isDir = true;
  }
  if (!isDir) throw pkiError(dir, `${dir} exists and is not a directory`);
  if (!force && readdirSync(dir).length > 0) {
    throw pkiError(dir, `${dir} is not empty (use --force to write into it)`);
  }
  chmodSync(dir, DIR_MODE);
}

function makeDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  chmodSync(dir, DIR_MODE);
}

function writeFresh(path: string, data: string | Uint8Array, mode: number): void {
  rmSync(path, { force: true });
  writeFileSync(path, data, { mode, flag: 'wx' });
  chmodSync(path, mode);
}

function writeKey(path: string, key: Pkcs8Key): void {
  const pem = pemBytes('PRIVATE KEY', key.expose());
  try {
    writeFresh(path, pem, KEY_MODE);
  } finally {
    pem.fill(0);
  }
}

function certPem(der: Uint8Array): string {
  return pemString('CERTIFICATE', der);
}

/** Write a CA's certificate and key as `OUT/<base>.pem` and `OUT/<base>.key.pem`. */
export function writeCa(dir: string, certFile: string, keyFile: string, ca: CaMaterial): PkiWrittenEntry {
  const cert = join(dir, certFile);
  const key = join(dir, keyFile);
  writeFresh(cert, certPem(new Uint8Array(ca.cert.rawData)), PUBLIC_MODE);
  writeKey(key, ca.key);
  return { name: certFile.replace(/\.pem$/, ''), subject: ca.cert.subject, files: [cert, key] };
}

/** Write one identity into `OUT/<name>/`. */
export function writeIdentity(outDir: string, id: IdentityMaterial): PkiWrittenEntry {
  const dir = join(outDir, id.name);
  makeDir(dir);
  const files = {
    cert: join(dir, PKI_FILES.leafCert),
    chain: join(dir, PKI_FILES.chain),
    key: join(dir, PKI_FILES.leafKey),
    identity: join(dir, PKI_FILES.identity),
  };
  writeFresh(files.cert, certPem(id.chainDer[id.chainDer.length - 1]!), PUBLIC_MODE);
  writeFresh(files.chain, id.chainDer.map(certPem).join(''), PUBLIC_MODE);
  writeKey(files.key, id.key);
  const record: IdentityRecord = { role: id.role, sledId: id.sledId, alg: id.alg, subject: id.subject };
  writeFresh(files.identity, `${JSON.stringify(record, null, 2)}\n`, PUBLIC_MODE);
  return { name: id.name, subject: id.subject, files: Object.values(files) };
}

/** Write `OUT/pki.json`. */
export function writeManifest(outDir: string, manifest: PkiManifest): string {
  const path = join(outDir, PKI_FILES.manifest);
  writeFresh(path, `${JSON.stringify(manifest, null, 2)}\n`, PUBLIC_MODE);
  return path;
}
