/**
 * `tq pki init` as a library call: generate a rack root CA, an optional intermediate, one
 * device identity per sled and an operator identity, then write them in the layout of
 * `layout.ts`. Generation happens entirely in memory before the first file is written, and
 * every private key buffer is zeroed when done.
 */
import { randomBytes } from 'node:crypto';
import { type PkiAlg, pkiAlgInfo } from './algorithms.js';
import {
  type CaMaterial,
  createIntermediateCa,
  createRootCa,
  type IdentityMaterial,
  issueIdentity,
  type Validity,
} from './certs.js';
import { PKI_FILES, type PkiManifest } from './layout.js';
import { type PkiWrittenEntry, prepareOutDir, writeCa, writeIdentity, writeManifest } from './write.js';

export const DEFAULT_SLEDS = 5;
export const MAX_SLEDS = 256;
export const DEFAULT_DAYS = 3650;
export const MAX_DAYS = 36500;
/** Letters, digits, '.', '_', '-'; at most 40 so `O=trust-quorum rack NAME` stays under 64. */
export const RACK_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;

/** Options of {@link generatePki}; all have defaults. */
export interface PkiGenerateInit {
  /** Number of sleds, ids 1..sleds. Default 5, at most 256. */
  readonly sleds?: number;
  /** Default 'p256'. */
  readonly alg?: PkiAlg;
  /** Put an intermediate CA between root and leaves. Default false. */
  readonly intermediate?: boolean;
  /** Rack name in every subject's O. Default: 8 random hex digits. */
  readonly rackName?: string;
  /** Validity in days from now (notBefore is now - 1 h). Default 3650. */
  readonly days?: number;
  /** Add keyAgreement to the leaves' keyUsage (EC only). Default false. */
  readonly keyAgreement?: boolean;
  /** Clock, for tests. Default: new Date(). */
  readonly now?: Date;
}

/** Options of {@link initPki}. */
export interface PkiInit extends PkiGenerateInit {
  readonly outDir: string;
  /** Write into a non-empty directory, replacing our files. Default false. */
  readonly force?: boolean;
}

/** Everything generated, in memory. Call {@link disposePki} when done. */
export interface PkiMaterial {
  readonly manifest: PkiManifest;
  readonly root: CaMaterial;
  readonly intermediate: CaMaterial | undefined;
  readonly sleds: readonly IdentityMaterial[];
  readonly operator: IdentityMaterial;
}

export interface PkiInitResult {
  readonly outDir: string;
  readonly manifest: PkiManifest;
  /** Human-readable algorithm name. */
  readonly algLabel: string;
  /** root, [intermediate], sled-1..N, operator, in that order. */
  readonly written: readonly PkiWrittenEntry[];
  readonly manifestFile: string;
}

function intOption(name: string, v: number | undefined, dflt: number, min: number, max: number): number {
  const n = v ?? dflt;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}`);
  }
  return n;
}

/**
 * Check and default the options.
 * @throws {RangeError} for a value out of range or an unknown algorithm.
 */
function resolve(init: PkiGenerateInit) {
  const alg = init.alg ?? 'p256';
  pkiAlgInfo(alg);
  const sleds = intOption('sleds', init.sleds, DEFAULT_SLEDS, 1, MAX_SLEDS);
  const days = intOption('days', init.days, DEFAULT_DAYS, 1, MAX_DAYS);
  const rackName = init.rackName ?? randomBytes(4).toString('hex');
  if (!RACK_NAME_RE.test(rackName)) {
    throw new RangeError('rack name must be 1-40 letters, digits, ".", "_" or "-", starting alphanumeric');
  }
  if (init.keyAgreement && alg === 'ed25519') throw new RangeError('keyAgreement needs an EC algorithm');
  const now = init.now ?? new Date();
  const validity: Validity = {
    notBefore: new Date(now.getTime() - 3600_000),
    notAfter: new Date(now.getTime() + days * 86400_000),
  };
  return { alg, sleds, rackName, validity, now, intermediate: init.intermediate ?? false };
}

/**
 * Generate a rack PKI in memory.
 * @throws {RangeError} for bad options.
 */
export async function generatePki(init: PkiGenerateInit = {}): Promise<PkiMaterial> {
  const o = resolve(init);
  const root = await createRootCa(o.alg, o.rackName, o.validity, o.intermediate ? 1 : 0);
  const intermediate = o.intermediate
    ? await createIntermediateCa(o.alg, o.rackName, o.validity, root)
    : undefined;
  const issuer = intermediate ?? root;
  const above = [root, ...(intermediate ? [intermediate] : [])].map((c) => new Uint8Array(c.cert.rawData));
  const common = { alg: o.alg, rackName: o.rackName, validity: o.validity, keyAgreement: init.keyAgreement };
  const sleds: IdentityMaterial[] = [];
  for (let id = 1; id <= o.sleds; id++) {
    sleds.push(await issueIdentity({ ...common, role: 'sled', sledId: id }, issuer, above));
  }
  const operator = await issueIdentity({ ...common, role: 'operator' }, issuer, above);
  const manifest: PkiManifest = {
    version: 1,
    rackName: o.rackName,
    alg: o.alg,
    sledIds: sleds.map((s) => s.sledId!),
    intermediate: o.intermediate,
    created: o.now.toISOString(),
    notBefore: o.validity.notBefore.toISOString(),
    notAfter: o.validity.notAfter.toISOString(),
  };
  return { manifest, root, intermediate, sleds, operator };
}

/** Zero every private key buffer of `m`. */
export function disposePki(m: PkiMaterial): void {
  m.root.key.zero();
  m.intermediate?.key.zero();
  for (const s of m.sleds) s.key.zero();
  m.operator.key.zero();
}

/**
 * Generate a rack PKI and write it to `init.outDir`.
 * @throws {RangeError} for bad options.
 * @throws {TrustQuorumError} InvalidConfig when the directory has files and `force` is not set,
 *   or when the path is not a directory.
 */
export async function initPki(init: PkiInit): Promise<PkiInitResult> {
  resolve(init); // fail on bad options before touching the disk
  prepareOutDir(init.outDir, init.force ?? false);
  const m = await generatePki(init);
  try {
    const written: PkiWrittenEntry[] = [writeCa(init.outDir, PKI_FILES.rootCert, PKI_FILES.rootKey, m.root)];
    if (m.intermediate) {
      written.push(
        writeCa(init.outDir, PKI_FILES.intermediateCert, PKI_FILES.intermediateKey, m.intermediate),
      );
    }
    for (const s of m.sleds) written.push(writeIdentity(init.outDir, s));
    written.push(writeIdentity(init.outDir, m.operator));
    const manifestFile = writeManifest(init.outDir, m.manifest);
    return {
      outDir: init.outDir,
      manifest: m.manifest,
      algLabel: pkiAlgInfo(m.manifest.alg).label,
      written,
      manifestFile,
    };
  } finally {
    disposePki(m);
  }
}
