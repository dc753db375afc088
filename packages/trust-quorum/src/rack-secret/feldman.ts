/**
 * Shamir secret sharing over the P-256 scalar field with Feldman commitments.
 *
 * The dealer picks f(x) = a_0 + a_1·x + ... + a_{k-1}·x^{k-1} mod n with a_0 the rack secret
 * (Shamir, "How to share a secret", CACM 1979), hands share i the pair (i, f(i)) for i = 1..n,
 * and publishes C_j = g·a_j (Feldman, "A practical scheme for non-interactive verifiable secret
 * sharing", FOCS 1987). Anyone holding the commitments checks a share with
 * g·y == Σ_j C_j·x^j, and a combined secret with g·secret == C_0.
 * Every coefficient is non-zero, so every commitment is a proper point (the identity has no
 * compressed encoding) and the polynomial has degree exactly k-1.
 */
import { TrustQuorumError } from '../errors.js';
import { MAX_SHARES, RackSecret, Share } from './rack-secret.js';
import {
  decodePoints,
  inv,
  mod,
  mulBase,
  ORDER,
  Point,
  randomNonZeroScalar,
  scalarFromBytes,
  scalarToBytes,
} from './scalar.js';

export interface SplitResult {
  /** The rack secret (the one given, or a fresh random one). Zero it when done. */
  readonly secret: RackSecret;
  /** k compressed points, C_j = g·a_j. Public. */
  readonly commitments: Uint8Array[];
  /** n shares, x = 1..n. Zero them when done. */
  readonly shares: Share[];
}

export interface CombineInit {
  /**
   * The caller has already checked every share against these commitments (the collector does
   * on arrival): skip the per-share check. The result is still checked against C_0.
   */
  readonly sharesVerified?: boolean;
}

function checkThreshold(n: number, k: number): void {
  if (!Number.isInteger(n) || !Number.isInteger(k) || k < 2 || k > n || n > MAX_SHARES) {
    throw new RangeError(`want integers 2 <= k <= n <= ${MAX_SHARES}, got n=${n} k=${k}`);
  }
}

/** f(x) mod n by Horner's rule. */
function evaluate(coefficients: readonly bigint[], x: bigint): bigint {
  let acc = 0n;
  for (let j = coefficients.length - 1; j >= 0; j--) acc = mod(acc * x + (coefficients[j] as bigint));
  return acc;
}

/**
 * Splits with the given coefficients (a_0 = the secret). For known-answer tests and for
 * callers with their own randomness; the coefficients are as secret as the secret.
 * @param coefficients k scalars, each in [1, n-1].
 * @param n number of shares.
 * @throws RangeError when 2 <= k <= n <= 255 does not hold or a coefficient is out of range.
 */
export function splitWithCoefficients(coefficients: readonly bigint[], n: number): SplitResult {
  checkThreshold(n, coefficients.length);
  for (const a of coefficients) {
    if (a <= 0n || a >= ORDER) throw new RangeError('every coefficient must be in [1, n-1]');
  }
  const commitments = coefficients.map((a) => mulBase(a).toBytes(true));
  const shares: Share[] = [];
  for (let x = 1; x <= n; x++) {
    const y = scalarToBytes(evaluate(coefficients, BigInt(x)));
    shares.push(new Share(x, y));
    y.fill(0);
  }
  const s = scalarToBytes(coefficients[0] as bigint);
  const secret = new RackSecret(s);
  s.fill(0);
  return { secret, commitments, shares };
}

/**
 * Splits a rack secret into n shares with threshold k.
 * @param secret 32-byte non-zero scalar below n (copied); a fresh random one when undefined.
 * @throws RangeError when 2 <= k <= n <= 255 does not hold or the secret is out of range.
 */
export function split(secret: Uint8Array | RackSecret | undefined, n: number, k: number): SplitResult {
  checkThreshold(n, k);
  let a0: bigint;
  if (secret === undefined) {
    a0 = randomNonZeroScalar();
  } else {
    const v = scalarFromBytes(secret instanceof RackSecret ? secret.expose() : secret);
    if (v === null || v === 0n) throw new RangeError('secret must be a non-zero 32-byte scalar below n');
    a0 = v;
  }
  const coefficients = [a0];
  for (let j = 1; j < k; j++) coefficients.push(randomNonZeroScalar());
  return splitWithCoefficients(coefficients, n);
}

/**
 * p·x for a small public x (a share's x-coordinate, 1..255) by double-and-add: at most 7
 * doublings and 7 additions, about half the cost of a general (windowed) multiplication.
 */
function timesSmall(p: Point, x: number): Point {
  let acc: Point | null = null;
  let q = p;
  for (let k = x; k > 0; k >>>= 1) {
    if (k & 1) acc = acc === null ? q : acc.add(q);
    if (k > 1) q = q.double();
  }
  return acc ?? Point.ZERO;
}

/** g·y == Σ_j C_j·x^j, evaluated by Horner's rule on the points (x is public). */
function verifyDecoded(share: Share, points: readonly Point[]): boolean {
  let acc = points[points.length - 1] as Point;
  for (let j = points.length - 2; j >= 0; j--) acc = timesSmall(acc, share.x).add(points[j] as Point);
  return mulBase(share.yScalar()).equals(acc);
}

/**
 * Checks one share against the Feldman commitments.
 * @returns true when g·y == Σ_j C_j·x^j.
 * @throws TrustQuorumError InvalidCommitments when a commitment is not a valid point.
 */
export function verifyShare(share: Share, commitments: readonly Uint8Array[]): boolean {
  if (commitments.length === 0) throw new TrustQuorumError('InvalidCommitments', 'no commitments');
  return verifyDecoded(share, decodePoints(commitments));
}

/** True when g·secret == C_0. @throws TrustQuorumError InvalidCommitments. */
export function secretMatches(secret: RackSecret, commitments: readonly Uint8Array[]): boolean {
  const [c0] = decodePoints(commitments.slice(0, 1));
  if (c0 === undefined) throw new TrustQuorumError('InvalidCommitments', 'no commitments');
  return mulBase(scalarFromBytes(secret.expose()) ?? 0n).equals(c0);
}

function nameOf(share: Share): string {
  return share.sender ?? `x=${share.x}`;
}

function checkDistinct(shares: readonly Share[]): void {
  const seen = new Map<number, Share>();
  for (const s of shares) {
    const prev = seen.get(s.x);
    if (prev !== undefined) {
      throw new TrustQuorumError(
        'DuplicateShare',
        `two shares with x=${s.x}: from ${nameOf(prev)} and ${nameOf(s)}`,
        { sender: s.sender },
      );
    }
    seen.set(s.x, s);
  }
}

/** Lagrange interpolation at 0: Σ_i y_i · Π_{j≠i} x_j / (x_j - x_i) mod n. */
function interpolateAtZero(shares: readonly Share[]): bigint {
  let acc = 0n;
  for (const si of shares) {
    let num = 1n;
    let den = 1n;
    for (const sj of shares) {
      if (sj === si) continue;
      num = mod(num * BigInt(sj.x));
      den = mod(den * BigInt(sj.x - si.x));
    }
    acc = mod(acc + si.yScalar() * mod(num * inv(den)));
  }
  return acc;
}

/**
 * Combines shares into the rack secret. All given shares are checked (unless
 * `init.sharesVerified`), the first k are interpolated, and the result is checked against C_0.
 * @param shares at least k shares with distinct x.
 * @param commitments exactly k commitments.
 * @param k the threshold.
 * @throws RangeError when k is out of range.
 * @throws TrustQuorumError InvalidCommitments (wrong count or malformed), DuplicateShare (same x
 *   twice), NotEnoughShares (fewer than k), InvalidShare (a share fails its check; `sender`
 *   names it), CommitmentMismatch (g·secret != C_0).
 */
export function combine(
  shares: readonly Share[],
  commitments: readonly Uint8Array[],
  k: number,
  init: CombineInit = {},
): RackSecret {
  checkThreshold(MAX_SHARES, k);
  if (commitments.length !== k) {
    throw new TrustQuorumError('InvalidCommitments', `${commitments.length} commitments for threshold ${k}`);
  }
  const points = decodePoints(commitments);
  checkDistinct(shares);
  if (shares.length < k) {
    throw new TrustQuorumError('NotEnoughShares', `have ${shares.length} shares, need ${k}`);
  }
  if (init.sharesVerified !== true) {
    for (const s of shares) {
      if (!verifyDecoded(s, points)) {
        throw new TrustQuorumError('InvalidShare', `share from ${nameOf(s)} fails the commitment check`, {
          sender: s.sender,
        });
      }
    }
  }
  const value = interpolateAtZero(shares.slice(0, k));
  if (value === 0n || !mulBase(value).equals(points[0] as Point)) {
    throw new TrustQuorumError('CommitmentMismatch', 'combined secret does not match commitment 0');
  }
  const bytes = scalarToBytes(value);
  const secret = new RackSecret(bytes);
  bytes.fill(0);
  return secret;
}
