/**
 * A holder for secret bytes (rack secret, share value, storage key) that cannot leak by
 * accident: the bytes live in a private field, and `toJSON`, `toString` and `util.inspect`
 * print only what the subclass's `describe()` says (a fingerprint, an x-coordinate).
 * The bytes come out only through `expose()`, and `zero()` overwrites them with zeros; any use
 * after `zero()` is a TypeError. JavaScript bigints derived from the bytes cannot be zeroed:
 * keep them short-lived.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';

export abstract class SecretBytes {
  readonly #bytes: Uint8Array;
  #zeroed = false;

  /** Takes a private copy of `bytes`; the caller may (and should) zero its own copy. */
  protected constructor(bytes: Uint8Array) {
    this.#bytes = new Uint8Array(bytes);
  }

  /** Number of secret bytes. */
  get length(): number {
    return this.#bytes.length;
  }

  /** True once `zero()` has run. */
  get isZeroed(): boolean {
    return this.#zeroed;
  }

  /**
   * The secret bytes themselves (a view, not a copy: it is zeroed with this object).
   * Never log it, never keep it past this object's life.
   * @throws TypeError after `zero()`.
   */
  expose(): Uint8Array {
    if (this.#zeroed) throw new TypeError(`${this.constructor.name}: used after zero()`);
    return this.#bytes;
  }

  /** Overwrites the bytes with zeros; the object is unusable afterwards. */
  zero(): void {
    this.#bytes.fill(0);
    this.#zeroed = true;
  }

  /** Constant-time comparison of the secret bytes. */
  equals(other: SecretBytes): boolean {
    const a = this.expose();
    const b = other.expose();
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** What may be printed about this secret (never the bytes). */
  protected abstract describe(): Record<string, string | number>;

  toJSON(): Record<string, string | number> {
    return this.#zeroed ? { state: 'zeroed' } : this.describe();
  }

  toString(): string {
    const fields = Object.entries(this.toJSON())
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
    return `${this.constructor.name} { ${fields} }`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** First 8 bytes (hex) of SHA-256(label || bytes): safe to print, identifies the secret. */
export function fingerprintOf(label: string, bytes: Uint8Array): string {
  return createHash('sha256').update(label).update(bytes).digest().subarray(0, 8).toString('hex');
}
