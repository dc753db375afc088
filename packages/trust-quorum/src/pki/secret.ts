/**
 * A private key's encoded bytes (PKCS#8 DER) held so that they cannot leak by accident:
 * `util.inspect` and `JSON.stringify` show only the length, and `dispose()` zeroes the bytes.
 */
import { inspect } from 'node:util';

export class SecretBytes {
  readonly #bytes: Uint8Array;
  #disposed = false;

  /** Takes ownership of `bytes` (no copy): dispose() zeroes the caller's buffer too. */
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  get length(): number {
    return this.#bytes.length;
  }

  /**
   * The live bytes, for immediate use (write a file, import a key); do not keep them.
   * @throws {TypeError} after dispose().
   */
  expose(): Uint8Array {
    if (this.#disposed) throw new TypeError('secret already disposed');
    return this.#bytes;
  }

  /** Zero the bytes. Idempotent. */
  dispose(): void {
    this.#bytes.fill(0);
    this.#disposed = true;
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return `SecretBytes(${this.#bytes.length} bytes, redacted)`;
  }
}
