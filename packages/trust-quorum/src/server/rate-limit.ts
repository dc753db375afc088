/**
 * Per-peer rate limit of the share server: one token bucket per key (the hash of the peer's
 * certificate), `burst` tokens, refilled at `perSecond`. The clock is an argument so tests do
 * not wait. The table is bounded: a full bucket is the same as no bucket, so full ones are
 * dropped first, then the oldest.
 */

export interface RateLimitInit {
  /** Tokens a bucket holds (requests in a burst); default 4. */
  readonly burst?: number;
  /** Tokens added per second; default 1. */
  readonly perSecond?: number;
  /** Buckets kept; default 1024. */
  readonly maxPeers?: number;
  /** ms clock; default Date.now. */
  readonly now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

function positive(name: string, v: number, integer: boolean): number {
  if (!(v > 0) || !Number.isFinite(v) || (integer && !Number.isSafeInteger(v))) {
    throw new RangeError(`${name} must be a positive ${integer ? 'integer' : 'number'}`);
  }
  return v;
}

export class RateLimiter {
  readonly burst: number;
  readonly perSecond: number;
  readonly maxPeers: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  /** @throws RangeError for a non-positive burst, rate or table size. */
  constructor(init: RateLimitInit = {}) {
    this.burst = positive('burst', init.burst ?? 4, true);
    this.perSecond = positive('perSecond', init.perSecond ?? 1, false);
    this.maxPeers = positive('maxPeers', init.maxPeers ?? 1024, true);
    this.#now = init.now ?? Date.now;
  }

  /** Buckets held. */
  get size(): number {
    return this.#buckets.size;
  }

  #refilled(b: Bucket, now: number): number {
    return Math.min(this.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * this.perSecond);
  }

  /** Takes one token for `key`; false when its bucket is empty. */
  take(key: string): boolean {
    const now = this.#now();
    const b = this.#buckets.get(key);
    const tokens = b === undefined ? this.burst : this.#refilled(b, now);
    if (tokens < 1) {
      if (b !== undefined) Object.assign(b, { tokens, at: now });
      return false;
    }
    this.#buckets.delete(key); // re-insert: Map order is then least recently used first
    this.#buckets.set(key, { tokens: tokens - 1, at: now });
    if (this.#buckets.size > this.maxPeers) this.#evict(now);
    return true;
  }

  #evict(now: number): void {
    for (const [k, b] of this.#buckets) if (this.#refilled(b, now) >= this.burst) this.#buckets.delete(k);
    for (const k of this.#buckets.keys()) {
      if (this.#buckets.size <= this.maxPeers) break;
      this.#buckets.delete(k);
    }
  }
}
