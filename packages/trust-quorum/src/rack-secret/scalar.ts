/**
 * Scalars of the P-256 group (integers mod n, the order of secp256r1's base point, SEC 2 §2.4.2)
 * and the points of the Feldman commitments, on @noble/curves. Scalars travel as 32-byte
 * big-endian strings; points as 33-byte compressed SEC1 encodings (SEC 1 §2.3.3).
 * Note: bigint arithmetic is not constant-time. The values handled here stay inside one
 * process; see the package notes on that choice.
 */
import { createECDH, randomBytes } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { TrustQuorumError } from '../errors.js';

export const Point = p256.Point;
export type Point = InstanceType<typeof p256.Point>;

/** The group order n. */
export const ORDER: bigint = Point.Fn.ORDER;
/** Bytes in a scalar. */
export const SCALAR_BYTES = 32;
/** Bytes in a compressed point. */
export const POINT_BYTES = 33;

/** Reduces into [0, n). */
export function mod(a: bigint): bigint {
  const r = a % ORDER;
  return r < 0n ? r + ORDER : r;
}

/** Modular inverse of a non-zero scalar. */
export function inv(a: bigint): bigint {
  return Point.Fn.inv(mod(a));
}

/** Big-endian integer of any length. */
export function bytesToBigint(b: Uint8Array): bigint {
  let v = 0n;
  for (const byte of b) v = (v << 8n) | BigInt(byte);
  return v;
}

/** 32-byte big-endian encoding of a scalar in [0, n). */
export function scalarToBytes(s: bigint): Uint8Array {
  if (s < 0n || s >= ORDER) throw new RangeError('scalar out of range');
  const out = new Uint8Array(SCALAR_BYTES);
  let v = s;
  for (let i = SCALAR_BYTES - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Parses a 32-byte scalar; null when the length is wrong or the value is not below n. */
export function scalarFromBytes(b: Uint8Array): bigint | null {
  if (b.length !== SCALAR_BYTES) return null;
  const v = bytesToBigint(b);
  return v < ORDER ? v : null;
}

/**
 * A uniformly random scalar in [1, n-1]: 48 random bytes reduced mod n-1, plus one
 * (FIPS 186-5 §A.2.1 "extra random bits" method; bias below 2^-128). Never 0.
 */
export function randomNonZeroScalar(): bigint {
  const buf = randomBytes(48);
  const v = bytesToBigint(buf) % (ORDER - 1n);
  buf.fill(0);
  return v + 1n;
}

/**
 * g·s; g·0 is the identity. `s` may be secret. For s in [1, n-1] the product comes from
 * OpenSSL (node's ECDH: the public key of private key s, P-256's constant-time fixed-base
 * multiplication), about 25 times faster than the same product in BigInt; the scalar's bytes
 * are zeroed after use (OpenSSL's copy lives until the ECDH object is collected).
 */
export function mulBase(s: bigint): Point {
  if (s === 0n) return Point.ZERO;
  if (s < 0n || s >= ORDER) return Point.BASE.multiply(s); // noble refuses these, as before
  const bytes = scalarToBytes(s);
  try {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    return Point.fromBytes(ecdh.getPublicKey());
  } finally {
    bytes.fill(0);
  }
}

/**
 * Points decoded before, by their exact compressed encoding (public commitments: a ledger's k
 * points are decoded for every share the collector checks, and decompression, a square root
 * mod p, was most of a check). Bounded: the oldest entry goes first. Points are immutable.
 */
const decoded = new Map<string, Point>();
const MAX_DECODED = 1024;

function decodePoint(b: Uint8Array, j: number): Point {
  if (b.length !== POINT_BYTES) {
    throw new TrustQuorumError('InvalidCommitments', `commitment ${j}: ${b.length} bytes, want 33`);
  }
  const key = Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
  const known = decoded.get(key);
  if (known !== undefined) return known;
  let p: Point;
  try {
    p = Point.fromBytes(b);
  } catch (e) {
    throw new TrustQuorumError('InvalidCommitments', `commitment ${j} is not a point of P-256`, {
      cause: e,
    });
  }
  decoded.set(key, p);
  if (decoded.size > MAX_DECODED) decoded.delete(decoded.keys().next().value as string);
  return p;
}

/**
 * Decodes compressed commitments (each a point on the curve, not the identity); points seen
 * before come from a bounded memo.
 * @throws TrustQuorumError InvalidCommitments on any malformed point.
 */
export function decodePoints(encoded: readonly Uint8Array[]): Point[] {
  return encoded.map(decodePoint);
}
