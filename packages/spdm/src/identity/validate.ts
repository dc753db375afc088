/**
 * Validation of a peer's SPDM certificate chain against trusted root certificates, on
 * node:crypto's X509Certificate (DSP0274 1.3 "Certificates and certificate chains"; the checks
 * follow what the libspdm requester does, spdm-reference §2.5). A failure names the
 * certificate by its index in the chain (0 = first after RootHash) and its subject.
 */
import { type KeyObject, X509Certificate } from 'node:crypto';
import type { AsymInfo, HashInfo } from '../crypto/algorithms.js';
import { SpdmError } from '../errors.js';
import { SPDM_VERSION } from '../msgs/codes.js';
import { type CertChain, hashOf, parseCertChain } from './cert-chain.js';
import { type CertDetails, certDetails, KEY_USAGE_BIT, OID } from './der.js';

export interface ValidateCertChainInit {
  /** Negotiated BaseHashAlgo (RootHash). */
  readonly hash: HashInfo;
  /** Negotiated BaseAsymAlgo (or ReqBaseAsymAlg for a requester chain): the leaf key's type. */
  readonly asym: AsymInfo;
  /** DER or parsed root certificates the chain must lead to. */
  readonly trustedRoots: readonly (Uint8Array | X509Certificate)[];
  /** Time at which every certificate must be valid (default: now). */
  readonly now?: Date;
  /** Negotiated SPDMVersion byte; from 1.3 on the leaf must carry basicConstraints. */
  readonly version?: number;
  /**
   * Whose chain this is. With 'responder' a leaf whose extKeyUsage lists only the SPDM
   * requester-auth OID is refused, and the other way round (libspdm).
   */
  readonly role?: 'responder' | 'requester';
  readonly maxCerts?: number;
  /**
   * Parsed certificates and verified issuer signatures remembered across validations (a rack's
   * chains share their root and intermediate). Default: none, everything is parsed and checked.
   */
  readonly memo?: CertificateMemo;
}

/**
 * Certificates parsed before, by exact DER, and (certificate, issuer) pairs whose issuer name
 * and signature were checked and found right (by object identity, so only pairs of memoized or
 * caller-held certificates). Failures are never kept. Bounded: the oldest DER goes first.
 */
export class CertificateMemo {
  readonly maxEntries: number;
  readonly #parsed = new Map<string, X509Certificate>();
  readonly #issued = new WeakMap<X509Certificate, WeakSet<X509Certificate>>();

  /** @throws RangeError for maxEntries < 1. */
  constructor(init: { readonly maxEntries?: number } = {}) {
    this.maxEntries = init.maxEntries ?? 256;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1)
      throw new RangeError('maxEntries must be >= 1');
  }

  /** The certificate for `der`, parsed once. @throws what new X509Certificate throws */
  parse(der: Uint8Array): X509Certificate {
    const key = Buffer.from(der.buffer, der.byteOffset, der.length).toString('latin1');
    const known = this.#parsed.get(key);
    if (known) return known;
    const cert = new X509Certificate(der);
    this.#parsed.set(key, cert);
    if (this.#parsed.size > this.maxEntries) this.#parsed.delete(this.#parsed.keys().next().value as string);
    return cert;
  }

  /** `check()` the first time a pair is asked for (and until it holds), then true. */
  issuedBy(cert: X509Certificate, issuer: X509Certificate, check: () => boolean): boolean {
    if (this.#issued.get(cert)?.has(issuer)) return true;
    if (!check()) return false;
    let set = this.#issued.get(cert);
    if (!set) {
      set = new WeakSet();
      this.#issued.set(cert, set);
    }
    set.add(issuer);
    return true;
  }

  get size(): number {
    return this.#parsed.size;
  }

  clear(): void {
    this.#parsed.clear();
  }
}

export interface ValidatedChain {
  /** The leaf's public key: what CHALLENGE_AUTH / MEASUREMENTS / KEY_EXCHANGE_RSP verify with. */
  readonly leafKey: KeyObject;
  /** The leaf's subject, one line (`CN=...`). */
  readonly leafSubject: string;
  readonly leaf: X509Certificate;
  /** Every certificate of the chain, first to leaf. */
  readonly certs: readonly X509Certificate[];
  /** The trusted root the chain leads to. */
  readonly root: X509Certificate;
}

/**
 * Validates a chain structure: parses it; the first certificate is a trusted root (same DER)
 * or verifies under one; RootHash = Hash(that root); each later certificate is issued and
 * signed by the one before; every certificate is valid at `now`; all but the leaf are CAs; the
 * leaf is not a CA, is X.509 v3, has digitalSignature when it has keyUsage, has basicConstraints
 * in 1.3, has a key of the negotiated algorithm, and (with `role`) a compatible extKeyUsage.
 * @throws SpdmError InvalidCertificate with a one-line reason naming the certificate;
 *   InvalidMsgField for a malformed structure header; TypeError when no trusted root is given.
 */
export function validateCertChain(
  chain: Uint8Array | CertChain,
  init: ValidateCertChainInit,
): ValidatedChain {
  const roots = parseRoots(init.trustedRoots);
  const parsed = chain instanceof Uint8Array ? parseCertChain(chain, init.hash.size, init.maxCerts) : chain;
  const memo = init.memo;
  const certs = parsed.certs.map((der, i) => parseCert(der, i, memo));
  const now = init.now ?? new Date();
  const first = certs[0]!;
  const root = findRoot(first, roots, memo);
  if (!root) fail(0, first, 'neither a trusted root nor issued by one');
  if (!Buffer.from(parsed.rootHash).equals(Buffer.from(hashOf(init.hash, root.raw)))) {
    fail(0, first, 'RootHash does not match the hash of the root certificate');
  }
  if (root !== first) checkTime(root, now, () => `trusted root (${subjectOf(root)})`);
  certs.forEach((c, i) => {
    checkTime(c, now, () => label(i, c));
    if (i > 0 && !signedBy(c, certs[i - 1]!, memo)) fail(i, c, `not signed by certificate ${i - 1}`);
    // X509_check_ca: cA=TRUE, and keyCertSign if keyUsage is present.
    if (i < certs.length - 1 && !c.ca) fail(i, c, `is not a CA but issues certificate ${i + 1}`);
  });
  const leafIndex = certs.length - 1;
  const leaf = certs[leafIndex]!;
  checkLeaf(leaf, leafIndex, parsed.certs[leafIndex]!, init);
  return { leafKey: leaf.publicKey, leafSubject: subjectOf(leaf), leaf, certs, root };
}

function parseRoots(roots: readonly (Uint8Array | X509Certificate)[]): X509Certificate[] {
  if (roots.length === 0) throw new TypeError('validateCertChain: no trusted root');
  return roots.map((r, i) => {
    if (r instanceof X509Certificate) return r;
    try {
      return new X509Certificate(r);
    } catch (e) {
      throw new TypeError(`validateCertChain: trusted root ${i} is not a DER certificate`, { cause: e });
    }
  });
}

function parseCert(der: Uint8Array, i: number, memo: CertificateMemo | undefined): X509Certificate {
  try {
    return memo ? memo.parse(der) : new X509Certificate(der);
  } catch (e) {
    throw new SpdmError('InvalidCertificate', `certificate ${i}: not a parsable X.509 certificate`, {
      cause: e,
    });
  }
}

function findRoot(
  first: X509Certificate,
  roots: readonly X509Certificate[],
  memo: CertificateMemo | undefined,
): X509Certificate | undefined {
  const same = roots.find((r) => r === first || r.raw.equals(first.raw));
  if (same) return first;
  return roots.find((r) => signedBy(first, r, memo));
}

/** Issuer name matches and the signature verifies under `issuer`'s key (remembered in `memo`). */
function signedBy(cert: X509Certificate, issuer: X509Certificate, memo?: CertificateMemo): boolean {
  const check = (): boolean => {
    try {
      return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
    } catch {
      return false;
    }
  };
  return memo ? memo.issuedBy(cert, issuer, check) : check();
}

function checkTime(c: X509Certificate, now: Date, name: () => string): void {
  const from = Date.parse(c.validFrom);
  const to = Date.parse(c.validTo);
  if (Number.isNaN(from) || Number.isNaN(to))
    throw new SpdmError('InvalidCertificate', `${name()}: unreadable validity`);
  const t = now.getTime();
  if (t < from) throw new SpdmError('InvalidCertificate', `${name()}: not valid before ${c.validFrom}`);
  if (t > to) throw new SpdmError('InvalidCertificate', `${name()}: expired ${c.validTo}`);
}

function checkLeaf(leaf: X509Certificate, i: number, der: Uint8Array, init: ValidateCertChainInit): void {
  let d: CertDetails;
  try {
    d = certDetails(der, label(i, leaf));
  } catch (e) {
    throw e instanceof SpdmError ? e : new SpdmError('InvalidCertificate', `${label(i, leaf)}: unreadable`);
  }
  // node's `ca` is OpenSSL's X509_check_ca (cA *and* keyCertSign when keyUsage is present), so
  // a cA=TRUE leaf without keyCertSign would pass it: read the cA flag itself.
  if (leaf.ca || d.basicConstraints?.ca) fail(i, leaf, 'leaf certificate is a CA');
  if (d.version !== 3) fail(i, leaf, `leaf is X.509 v${d.version}, not v3`);
  if (d.keyUsage !== undefined && !(d.keyUsage & (1 << KEY_USAGE_BIT.digitalSignature))) {
    fail(i, leaf, 'leaf keyUsage lacks digitalSignature');
  }
  if ((init.version ?? 0) >= SPDM_VERSION.V13 && !d.basicConstraints) {
    fail(i, leaf, 'leaf lacks basicConstraints (mandatory in SPDM 1.3)');
  }
  checkEku(leaf, i, d.extKeyUsage, init.role);
  checkKeyType(leaf, i, init.asym);
}

function checkEku(leaf: X509Certificate, i: number, eku: readonly string[] | undefined, role?: string): void {
  if (!role || !eku || eku.length === 0) return;
  const other = role === 'responder' ? OID.SPDM_REQUESTER_AUTH : OID.SPDM_RESPONDER_AUTH;
  const own = role === 'responder' ? OID.SPDM_RESPONDER_AUTH : OID.SPDM_REQUESTER_AUTH;
  if (eku.includes(other) && !eku.includes(own)) fail(i, leaf, `extKeyUsage is for the other role only`);
}

function checkKeyType(leaf: X509Certificate, i: number, asym: AsymInfo): void {
  const key = leaf.publicKey;
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  let ok: boolean;
  switch (asym.kind) {
    case 'ecdsa':
      ok = type === 'ec' && details.namedCurve === asym.curve;
      break;
    case 'eddsa':
      ok = type === asym.curve;
      break;
    case 'rsassa':
      ok = type === 'rsa' && details.modulusLength === asym.modulusBits;
      break;
    case 'rsapss':
      ok = (type === 'rsa' || type === 'rsa-pss') && details.modulusLength === asym.modulusBits;
      break;
    default:
      ok = false;
  }
  if (!ok) {
    const have = details.namedCurve ?? (details.modulusLength ? `${details.modulusLength} bits` : '');
    fail(i, leaf, `leaf key (${type}${have ? ` ${have}` : ''}) does not match ${asym.name}`);
  }
}

/** One-line subject without control characters, at most 100 characters. */
function subjectOf(c: X509Certificate): string {
  const s = c.subject
    .split('\n')
    .join(', ')
    .replace(/[\u0000-\u001f\u007f]/g, '?');
  return s.length > 100 ? `${s.slice(0, 97)}...` : s;
}

function label(i: number, c: X509Certificate): string {
  return `certificate ${i} (${subjectOf(c)})`;
}

function fail(i: number, c: X509Certificate, why: string): never {
  throw new SpdmError('InvalidCertificate', `${label(i, c)}: ${why}`);
}
