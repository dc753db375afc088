/**
 * Certificates for the session benchmarks, made with the project's development PKI
 * (`tq pki init` as a library call) into a temporary directory and loaded back with its loader,
 * so SPDM and TLS use the very same files: root CA, and per sled a leaf with SPDM
 * responder/requester-auth plus serverAuth/clientAuth EKUs and SAN DNS=sled-N.
 * One PKI per (suite, sled count) per process; `disposeBenchPkis()` removes the directories.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HashInfo } from '@trust-quorum/spdm';
import { buildCertChain } from '@trust-quorum/spdm/identity/cert-chain';
import {
  initPki,
  loadIdentity,
  loadTrustedRoot,
  PKI_FILES,
  sledDirName,
} from '@trust-quorum/trust-quorum/pki/index';
import type { BenchSuiteName } from './suites.js';

export interface BenchIdentity {
  readonly sledId: number;
  /** TLS servername: the leaf's SAN DNS name, `sled-N`. */
  readonly servername: string;
  /** DER certificates, root first, leaf last. */
  readonly chainDer: readonly Uint8Array[];
  readonly privateKey: KeyObject;
  /** PEM private key file (mode 0600) for node:tls, which wants PEM bytes. */
  readonly keyFile: string;
  /** Leaf first, then any intermediates, without the root: what a TLS peer sends. */
  readonly tlsCertPem: string;
  /** The SPDM certificate-chain structure (DSP0274 1.3 §10.7) for `hash`. */
  spdmChain(hash: HashInfo): Uint8Array;
}

export interface BenchPki {
  readonly suite: BenchSuiteName;
  readonly dir: string;
  readonly root: X509Certificate;
  readonly rootPem: string;
  /** Sleds 1..n. */
  readonly sleds: readonly BenchIdentity[];
}

const cache = new Map<string, Promise<BenchPki>>();
const dirs = new Set<string>();

function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

async function create(suite: BenchSuiteName, sleds: number): Promise<BenchPki> {
  const dir = mkdtempSync(join(tmpdir(), `tq-bench-pki-${suite}-`));
  dirs.add(dir);
  await initPki({ outDir: join(dir, 'pki'), sleds, alg: suite, rackName: `bench-${suite}`, force: true });
  const out = join(dir, 'pki');
  const root = loadTrustedRoot(join(out, PKI_FILES.rootCert));
  const identities = Array.from({ length: sleds }, (_, i) => {
    const sledDir = join(out, sledDirName(i + 1));
    const id = loadIdentity(sledDir);
    const rootDer = id.chainDer[0]!;
    return {
      sledId: i + 1,
      servername: sledDirName(i + 1),
      chainDer: id.chainDer,
      privateKey: id.privateKey,
      keyFile: join(sledDir, PKI_FILES.leafKey),
      tlsCertPem: id.chainDer.slice(1).reverse().map(toPem).join(''),
      spdmChain: (hash: HashInfo) => buildCertChain(id.chainDer, hash, rootDer),
    };
  });
  return { suite, dir: out, root, rootPem: root.toString(), sleds: identities };
}

/**
 * The bench PKI for `suite` with at least `sleds` sled identities (made once per process).
 * @throws TrustQuorumError / RangeError from the PKI generator or loader.
 */
export function benchPki(suite: BenchSuiteName, sleds = 2): Promise<BenchPki> {
  const key = `${suite}/${sleds}`;
  let p = cache.get(key);
  if (!p) {
    p = create(suite, sleds);
    cache.set(key, p);
  }
  return p;
}

/** Removes every temporary PKI directory made by this process. */
export function disposeBenchPkis(): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
  cache.clear();
}
