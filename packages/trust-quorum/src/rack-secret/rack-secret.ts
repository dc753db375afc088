/**
 * The rack secret and one share of it, as secret holders (see secret-bytes.ts): printing,
 * logging or JSON-encoding them shows a fingerprint or an x-coordinate, never the bytes.
 */
import { TrustQuorumError } from '../errors.js';
import { bytesToBigint, SCALAR_BYTES, scalarFromBytes } from './scalar.js';
import { fingerprintOf, SecretBytes } from './secret-bytes.js';

/** Domain label of the rack secret fingerprint: SHA-256(label || secret), first 8 bytes. */
export const FINGERPRINT_LABEL = 'tq-rack-secret-fingerprint-v1';

/** The rack secret: a non-zero scalar mod n, 32 bytes big-endian. */
export class RackSecret extends SecretBytes {
  /**
   * @param bytes 32 bytes, big-endian, in [1, n-1]; copied.
   * @throws RangeError when the length or the value is out of range.
   */
  constructor(bytes: Uint8Array) {
    const v = scalarFromBytes(bytes);
    if (v === null || v === 0n) throw new RangeError(`RackSecret: want a non-zero scalar below n`);
    super(bytes);
  }

  /** First 8 bytes (hex) of SHA-256("tq-rack-secret-fingerprint-v1" || secret). Safe to print. */
  fingerprint(): string {
    return fingerprintOf(FINGERPRINT_LABEL, this.expose());
  }

  protected describe(): Record<string, string> {
    return { fingerprint: this.fingerprint() };
  }
}

/** Highest x-coordinate a share may have (n <= 255). */
export const MAX_SHARES = 255;

/**
 * One share (x, y = f(x)) of the rack secret. `x` is public; `y` is secret. `sender` says
 * where the share came from (sled id, address, file) so errors can name it.
 */
export class Share extends SecretBytes {
  readonly x: number;
  readonly sender: string | undefined;

  /**
   * @param x 1..255.
   * @param y 32 bytes big-endian, below n; copied.
   * @param sender where the share came from, for error messages.
   * @throws TrustQuorumError InvalidShare when x or y is out of range (a peer's share may be).
   */
  constructor(x: number, y: Uint8Array, sender?: string) {
    const who = sender === undefined ? `share x=${x}` : `share from ${sender}`;
    if (!Number.isInteger(x) || x < 1 || x > MAX_SHARES) {
      throw new TrustQuorumError('InvalidShare', `${who}: x must be 1..${MAX_SHARES}`, { sender });
    }
    if (y.length !== SCALAR_BYTES || scalarFromBytes(y) === null) {
      throw new TrustQuorumError('InvalidShare', `${who}: y is not a 32-byte scalar below n`, { sender });
    }
    super(y);
    this.x = x;
    this.sender = sender;
  }

  /** y as a bigint (cannot be zeroed: keep it short-lived). */
  yScalar(): bigint {
    return bytesToBigint(this.expose());
  }

  /** The same share labelled with another sender (copies y). */
  withSender(sender: string): Share {
    return new Share(this.x, this.expose(), sender);
  }

  protected describe(): Record<string, string | number> {
    return this.sender === undefined ? { x: this.x } : { x: this.x, sender: this.sender };
  }
}
