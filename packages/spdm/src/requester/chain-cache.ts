/**
 * A cache of peer certificate chains keyed by their digest (DSP0274 1.3: a requester that already
 * holds the chain whose digest DIGESTS reports may skip GET_CERTIFICATE). Shared between
 * connections: pass one instance in `RequesterInit.chainCache`. The key includes the hash
 * algorithm, since RootHash and the digest both depend on it. A hit is only a shortcut: the
 * driver checks the chain against the digest and validates it again, and CHALLENGE_AUTH's
 * CertChainHash must match it. Validations are remembered too (`validations`,
 * identity/validated-cache.ts): the same chain under the same roots and options, while every
 * certificate is within its validity, is not parsed or verified again.
 * Bounded: the least recently used entry goes when `maxEntries` is reached (in each).
 */
import { toHex } from '../codec/bytes.js';
import type { HashInfo } from '../crypto/algorithms.js';
import { ValidatedChainCache } from '../identity/validated-cache.js';

export class CertChainCache {
  readonly maxEntries: number;
  /** Remembered validations of the chains (shared by every connection using this cache). */
  readonly validations: ValidatedChainCache;
  readonly #map = new Map<string, Uint8Array>();

  /** @throws RangeError for maxEntries < 1. */
  constructor(init: { readonly maxEntries?: number } = {}) {
    this.maxEntries = init.maxEntries ?? 64;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1)
      throw new RangeError('maxEntries must be >= 1');
    this.validations = new ValidatedChainCache({ maxEntries: this.maxEntries });
  }

  static key(hash: HashInfo, digest: Uint8Array): string {
    return `${hash.name}:${toHex(digest)}`;
  }

  /** The chain structure with this digest (a copy), or undefined. */
  get(hash: HashInfo, digest: Uint8Array): Uint8Array | undefined {
    const k = CertChainCache.key(hash, digest);
    const hit = this.#map.get(k);
    if (!hit) return undefined;
    this.#map.delete(k);
    this.#map.set(k, hit);
    return hit.slice();
  }

  /** Remembers a chain structure under its digest (a copy is kept). */
  set(hash: HashInfo, digest: Uint8Array, chain: Uint8Array): void {
    const k = CertChainCache.key(hash, digest);
    this.#map.delete(k);
    this.#map.set(k, chain.slice());
    while (this.#map.size > this.maxEntries) {
      const oldest = this.#map.keys().next().value;
      if (oldest === undefined) break;
      this.#map.delete(oldest);
    }
  }

  get size(): number {
    return this.#map.size;
  }

  clear(): void {
    this.#map.clear();
    this.validations.clear();
  }
}
