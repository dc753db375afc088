/**
 * Remembered certificate-chain validations: `validateCertChain` parses every certificate and
 * verifies every signature, which is most of what a session costs beyond its own key exchange
 * when the same peers meet again and again (a rack's sleds reconnect with the same chains). A
 * ValidatedChainCache keeps the result for the exact chain bytes under the exact options and
 * trusted roots, and gives it back while the validation time stays inside every certificate's
 * validity (the root's included), so a hit answers exactly what validating again would.
 * Failures are never remembered. Bounded: the least recently used entry goes first. A chain
 * seen for the first time is validated with the cache's CertificateMemo, so the certificates it
 * shares with chains seen before (root, intermediates) are not parsed or verified again.
 *
 * Shared across connections by the requester's CertChainCache and by `serve()` for presented
 * requester chains (responder/run.ts).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { bytesEqual } from '../codec/bytes.js';
import {
  CertificateMemo,
  type ValidateCertChainInit,
  type ValidatedChain,
  validateCertChain,
} from './validate.js';

interface Entry {
  readonly chain: Uint8Array;
  readonly result: ValidatedChain;
  /** Latest notBefore and earliest notAfter over the chain and its root, ms since the epoch. */
  readonly from: number;
  readonly to: number;
}

function sha256Hex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** The roots as one string: SHA-256 of each DER, in order (recomputed per call: arrays may change). */
function rootsKey(roots: readonly (Uint8Array | X509Certificate)[]): string {
  return roots.map((r) => (r instanceof X509Certificate ? r.fingerprint256 : sha256Hex(r))).join(',');
}

function optionsKey(init: ValidateCertChainInit): string {
  return `${init.hash.bit}|${init.asym.bit}|${init.version ?? 0}|${init.role ?? ''}|${init.maxCerts ?? ''}`;
}

function validityOf(v: ValidatedChain): { from: number; to: number } {
  let from = Number.NEGATIVE_INFINITY;
  let to = Number.POSITIVE_INFINITY;
  for (const c of [...v.certs, v.root]) {
    from = Math.max(from, Date.parse(c.validFrom));
    to = Math.min(to, Date.parse(c.validTo));
  }
  return { from, to };
}

export class ValidatedChainCache {
  readonly maxEntries: number;
  /** Parsed certificates and verified issuers shared by every validation through this cache. */
  readonly certificates: CertificateMemo;
  readonly #map = new Map<string, Entry>();

  /** @throws RangeError for maxEntries < 1. */
  constructor(init: { readonly maxEntries?: number } = {}) {
    this.maxEntries = init.maxEntries ?? 64;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1)
      throw new RangeError('maxEntries must be >= 1');
    this.certificates = new CertificateMemo({ maxEntries: 4 * this.maxEntries });
  }

  /**
   * `validateCertChain(chain, init)`, answered from memory when these chain bytes were validated
   * under the same options and trusted roots and `init.now` (default: now) lies within every
   * certificate's validity. The result is shared between callers (its KeyObject and
   * X509Certificate objects are immutable).
   * @throws what validateCertChain throws (SpdmError InvalidCertificate / InvalidMsgField,
   *   TypeError without roots); a failure is not remembered.
   */
  validate(chain: Uint8Array, init: ValidateCertChainInit): ValidatedChain {
    if (init.trustedRoots.length === 0) return validateCertChain(chain, init);
    const key = `${sha256Hex(chain)}|${optionsKey(init)}|${rootsKey(init.trustedRoots)}`;
    const hit = this.#map.get(key);
    const t = (init.now ?? new Date()).getTime();
    if (hit && bytesEqual(hit.chain, chain) && t >= hit.from && t <= hit.to) {
      this.#map.delete(key);
      this.#map.set(key, hit);
      return hit.result;
    }
    this.#map.delete(key);
    const result = validateCertChain(chain, init.memo ? init : { ...init, memo: this.certificates });
    this.#map.set(key, { chain: chain.slice(), result, ...validityOf(result) });
    while (this.#map.size > this.maxEntries) {
      const oldest = this.#map.keys().next().value;
      if (oldest === undefined) break;
      this.#map.delete(oldest);
    }
    return result;
  }

  get size(): number {
    return this.#map.size;
  }

  clear(): void {
    this.#map.clear();
    this.certificates.clear();
  }
}
