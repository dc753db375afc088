/**
 * Loading what `tq pki init` wrote: a device (or operator) identity with its chain and
 * private key, a trusted root, and the manifest. Loading checks that the files agree with
 * each other (chain links, leaf = last of chain, key matches leaf, algorithm as recorded);
 * validity periods and policy are the job of the SPDM chain validator, not of this loader.
 *
 * The private key lives in a node:crypto KeyObject behind a getter of {@link DeviceIdentity};
 * `util.inspect` and `JSON.stringify` of the identity show only public fields. The key file's
 * bytes are zeroed right after parsing.
 */
import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { TrustQuorumError } from '../errors.js';
import { type PkiAlg, pkiAlgInfo } from './algorithms.js';
import { pkiError } from './errors.js';
import { IdentityRecordSchema, PKI_FILES, type PkiManifest, PkiManifestSchema } from './layout.js';
import { pemDecodeAll } from './pem.js';

/** Largest file the loader reads (a chain of a few certificates is a few KiB). */
const MAX_FILE = 1 << 20;
/** Longest chain accepted (root, intermediates, leaf). */
const MAX_CHAIN = 8;

/** Read a whole file, refusing one larger than `max` before allocating for it. */
function readBounded(path: string, max = MAX_FILE): { bytes: Buffer; mode: number } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw pkiError(path, `${path}: cannot open (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw pkiError(path, `${path}: not a regular file`);
    if (st.size > max) throw pkiError(path, `${path}: larger than ${max} bytes`);
    const bytes = Buffer.alloc(st.size);
    let off = 0;
    while (off < bytes.length) {
      const n = readSync(fd, bytes, off, bytes.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return { bytes: bytes.subarray(0, off), mode: st.mode };
  } finally {
    closeSync(fd);
  }
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readBounded(path, 64 * 1024).bytes.toString('utf8'));
  } catch (e) {
    if (e instanceof TrustQuorumError) throw e;
    throw pkiError(path, `${path}: not JSON`);
  }
}

/**
 * Parse every CERTIFICATE block of a PEM file.
 * @throws {TrustQuorumError} InvalidConfig: unreadable file, no or too many certificates, bad DER.
 */
function readCerts(path: string): X509Certificate[] {
  let ders: Uint8Array[];
  try {
    ders = pemDecodeAll(readBounded(path).bytes.toString('latin1'), 'CERTIFICATE');
  } catch (e) {
    if (e instanceof TrustQuorumError) throw e;
    throw pkiError(path, `${path}: ${(e as Error).message}`);
  }
  if (ders.length === 0) throw pkiError(path, `${path}: no certificate`);
  if (ders.length > MAX_CHAIN) throw pkiError(path, `${path}: more than ${MAX_CHAIN} certificates`);
  return ders.map((der, i) => {
    try {
      return new X509Certificate(der);
    } catch (e) {
      throw pkiError(path, `${path}: certificate ${i} does not parse`, e);
    }
  });
}

function selfSigned(c: X509Certificate): boolean {
  return c.checkIssued(c) && c.verify(c.publicKey);
}

/**
 * Check that `chain` (root first) links: root self-signed, each cert issued and signed by
 * the one before it, every cert but the last a CA.
 */
function checkLinks(path: string, chain: readonly X509Certificate[]): void {
  if (!selfSigned(chain[0]!)) throw pkiError(path, `${path}: first certificate is not self-signed`);
  for (let i = 1; i < chain.length; i++) {
    const issuer = chain[i - 1]!;
    const cert = chain[i]!;
    if (!issuer.ca) throw pkiError(path, `${path}: certificate ${i - 1} is not a CA`);
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) {
      throw pkiError(path, `${path}: certificate ${i} is not signed by certificate ${i - 1}`);
    }
  }
}

function checkKeyAlg(path: string, key: KeyObject, alg: PkiAlg): void {
  const info = pkiAlgInfo(alg);
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== info.nodeKeyType || curve !== info.nodeCurve) {
    throw pkiError(path, `${path}: leaf key is ${key.asymmetricKeyType} ${curve ?? ''}, not ${alg}`);
  }
}

function readPrivateKey(path: string, warnings: string[]): KeyObject {
  const { bytes, mode } = readBounded(path, 64 * 1024);
  try {
    if ((mode & 0o077) !== 0) {
      warnings.push(
        `${path} is readable by group or others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`,
      );
    }
    return createPrivateKey({ key: bytes, format: 'pem' });
  } catch {
    throw pkiError(path, `${path}: not a PEM private key`);
  } finally {
    bytes.fill(0);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** The public parts of a loaded identity. */
export interface DeviceIdentityInit {
  /** The identity directory. */
  readonly dir: string;
  readonly role: 'sled' | 'operator';
  /** The sled id, null for the operator. */
  readonly sledId: number | null;
  readonly alg: PkiAlg;
  /** Leaf subject, `CN=sled-1, O=trust-quorum rack NAME`. */
  readonly subject: string;
  /** DER certificates, root first, leaf last. */
  readonly chainDer: readonly Uint8Array[];
  /** The leaf, parsed. */
  readonly leaf: X509Certificate;
  /** Non-fatal findings, e.g. a key file readable by others. */
  readonly warnings: readonly string[];
}

/** A loaded identity. `privateKey` is a getter, so it is neither enumerated nor printed. */
export class DeviceIdentity implements DeviceIdentityInit {
  readonly dir: string;
  readonly role: 'sled' | 'operator';
  readonly sledId: number | null;
  readonly alg: PkiAlg;
  readonly subject: string;
  readonly chainDer: readonly Uint8Array[];
  readonly leaf: X509Certificate;
  readonly warnings: readonly string[];
  readonly #privateKey: KeyObject;

  constructor(init: DeviceIdentityInit, privateKey: KeyObject) {
    this.dir = init.dir;
    this.role = init.role;
    this.sledId = init.sledId;
    this.alg = init.alg;
    this.subject = init.subject;
    this.chainDer = init.chainDer;
    this.leaf = init.leaf;
    this.warnings = init.warnings;
    this.#privateKey = privateKey;
  }

  /** DER of the leaf certificate (the last of chainDer). */
  get leafDer(): Uint8Array {
    return this.chainDer[this.chainDer.length - 1]!;
  }

  get privateKey(): KeyObject {
    return this.#privateKey;
  }

  toJSON(): object {
    return { dir: this.dir, role: this.role, sledId: this.sledId, alg: this.alg, subject: this.subject };
  }

  [inspect.custom](): string {
    const who = this.role === 'sled' ? `sled ${this.sledId}` : 'operator';
    return `DeviceIdentity(${who}, ${this.alg}, ${this.chainDer.length} certs, private key redacted)`;
  }
}

/**
 * Load `dir` (an `OUT/sled-N` or `OUT/operator` directory written by `tq pki init`).
 * @throws {TrustQuorumError} InvalidConfig, `files` naming the file at fault: a file is
 *   missing or garbled, the chain does not link, the leaf differs from the chain's last, the
 *   algorithm or subject is not the recorded one, or the key does not parse or match the leaf.
 */
export function loadIdentity(dir: string): DeviceIdentity {
  const recPath = join(dir, PKI_FILES.identity);
  const parsed = IdentityRecordSchema.safeParse(readJson(recPath));
  if (!parsed.success) throw pkiError(recPath, `${recPath}: not an identity record`);
  const rec = parsed.data;
  const chainPath = join(dir, PKI_FILES.chain);
  const chain = readCerts(chainPath);
  checkLinks(chainPath, chain);
  const leaf = chain[chain.length - 1]!;
  const certPath = join(dir, PKI_FILES.leafCert);
  const certs = readCerts(certPath);
  if (certs.length !== 1 || !sameBytes(certs[0]!.raw, leaf.raw)) {
    throw pkiError(certPath, `${certPath}: differs from the last certificate of ${chainPath}`);
  }
  const cn = rec.role === 'sled' ? `sled-${rec.sledId}` : 'operator';
  if (!leaf.subject.split('\n').includes(`CN=${cn}`)) {
    throw pkiError(certPath, `${certPath}: subject does not name ${cn}`);
  }
  checkKeyAlg(certPath, leaf.publicKey, rec.alg);
  const warnings: string[] = [];
  const keyPath = join(dir, PKI_FILES.leafKey);
  const privateKey = readPrivateKey(keyPath, warnings);
  const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
  if (!spki(createPublicKey(privateKey)).equals(spki(leaf.publicKey))) {
    throw pkiError(keyPath, `${keyPath}: does not match the public key of ${certPath}`);
  }
  const chainDer = chain.map((c) => new Uint8Array(c.raw));
  return new DeviceIdentity({ dir, ...rec, chainDer, leaf, warnings }, privateKey);
}

/**
 * Load a trusted root certificate from a PEM file holding exactly one self-signed CA.
 * @throws {TrustQuorumError} InvalidConfig: unreadable file, not one self-signed CA.
 */
export function loadTrustedRoot(pemFile: string): X509Certificate {
  const certs = readCerts(pemFile);
  if (certs.length !== 1)
    throw pkiError(pemFile, `${pemFile}: expected one certificate, found ${certs.length}`);
  const root = certs[0]!;
  if (!root.ca) throw pkiError(pemFile, `${pemFile}: not a CA certificate`);
  if (!selfSigned(root)) throw pkiError(pemFile, `${pemFile}: not self-signed`);
  return root;
}

/**
 * Load `OUT/pki.json`.
 * @throws {TrustQuorumError} InvalidConfig: missing or not a manifest.
 */
export function loadPkiManifest(outDir: string): PkiManifest {
  const path = join(outDir, PKI_FILES.manifest);
  const parsed = PkiManifestSchema.safeParse(readJson(path));
  if (!parsed.success) throw pkiError(path, `${path}: not a PKI manifest`);
  return parsed.data;
}
