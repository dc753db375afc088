/**
 * Hash, HMAC and HKDF for the negotiated BaseHashAlgo, on node:crypto (spdm-reference §4).
 *
 * SPDM's key schedule (DSP0274 1.3 §12) needs HKDF-Extract and HKDF-Expand as separate steps
 * (RFC 5869 §2.2 / §2.3); node's `hkdfSync` only offers both together, so both are built here on
 * `createHmac` and cross-checked against `hkdfSync` in the tests.
 *
 * Outputs are Uint8Array views of the Buffer node allocated for them (no second copy exists), so
 * a caller that zeroes a returned secret zeroes the only copy.
 */
import { createHash, createHmac, type Hash } from 'node:crypto';
import { type HashInfo, hashInfo } from './algorithms.js';

/** A BaseHashAlgo bit (DSP0274 1.3 Table 21) or its descriptor. */
export type HashLike = number | HashInfo;

/**
 * The descriptor of a hash selection.
 * @throws RangeError when the bit is not a single supported BaseHashAlgo.
 */
export function resolveHash(h: HashLike): HashInfo {
  return typeof h === 'number' ? hashInfo(h) : h;
}

/** Views a node Buffer as a plain Uint8Array (same memory). */
export function asU8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Hash(parts[0] ‖ parts[1] ‖ …) with the given algorithm.
 * @throws RangeError for an unsupported algorithm.
 */
export function hash(h: HashLike, ...parts: Uint8Array[]): Uint8Array {
  const md = createHash(resolveHash(h).node);
  for (const p of parts) md.update(p);
  return asU8(md.digest());
}

/**
 * Incremental hash whose `digest()` does not end it: transcripts take the hash of a prefix and
 * keep appending (Hash(TH1) is taken before ResponderVerifyData is appended).
 */
export class Hasher {
  readonly info: HashInfo;
  readonly #md: Hash;

  /** @throws RangeError for an unsupported algorithm. */
  constructor(h: HashLike, md?: Hash) {
    this.info = resolveHash(h);
    this.#md = md ?? createHash(this.info.node);
  }

  update(data: Uint8Array): this {
    this.#md.update(data);
    return this;
  }

  /** Hash of everything so far; the hasher stays usable. */
  digest(): Uint8Array {
    return asU8(this.#md.copy().digest());
  }

  /** An independent hasher with the same state. */
  copy(): Hasher {
    return new Hasher(this.info, this.#md.copy());
  }
}

/**
 * HMAC-Hash(key, parts[0] ‖ parts[1] ‖ …).
 * @throws RangeError for an unsupported algorithm.
 */
export function hmac(h: HashLike, key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const mac = createHmac(resolveHash(h).node, key);
  for (const p of parts) mac.update(p);
  return asU8(mac.digest());
}

/**
 * HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM) (RFC 5869 §2.2). An empty salt means H zeros,
 * which HMAC gives by itself (a short key is zero-padded to the block size).
 * @throws RangeError for an unsupported algorithm.
 */
export function hkdfExtract(h: HashLike, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return hmac(h, salt, ikm);
}

/**
 * HKDF-Expand(PRK, info, L) (RFC 5869 §2.3): T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i), output the
 * first L bytes of T(1) ‖ T(2) ‖ …. Intermediate blocks are zeroed.
 * @throws RangeError when L is not in 0..255·H, or for an unsupported algorithm.
 */
export function hkdfExpand(h: HashLike, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const hi = resolveHash(h);
  if (!Number.isInteger(length) || length < 0 || length > 255 * hi.size) {
    throw new RangeError(`hkdfExpand: length ${length} outside 0..${255 * hi.size}`);
  }
  const out = new Uint8Array(length);
  let prev: Uint8Array = new Uint8Array(0);
  for (let i = 1, at = 0; at < length; i++) {
    const block = hmac(hi, prk, prev, info, Uint8Array.of(i));
    prev.fill(0);
    out.set(block.subarray(0, Math.min(block.length, length - at)), at);
    at += block.length;
    prev = block;
  }
  prev.fill(0);
  return out;
}
