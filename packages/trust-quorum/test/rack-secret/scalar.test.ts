/**
 * mulBase (OpenSSL's fixed-base multiplication for s in [1, n-1]) agrees with @noble/curves'
 * g·s everywhere: random scalars, the edges 1 and n-1, 0 (the identity) and values outside
 * [0, n) (refused with RangeError, as noble refuses them).
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToBigint, mulBase, ORDER, Point } from '../../src/rack-secret/scalar.js';

const noble = (s: bigint) =>
  s % ORDER === 0n ? Point.ZERO : Point.BASE.multiply(((s % ORDER) + ORDER) % ORDER);

describe('mulBase', () => {
  it('agrees with noble for random scalars and the edges', () => {
    for (const s of [1n, 2n, ORDER - 1n, ORDER - 2n, bytesToBigint(randomBytes(32)) % ORDER]) {
      expect(mulBase(s).equals(noble(s))).toBe(true);
    }
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: ORDER - 1n }), (s) => mulBase(s).equals(noble(s))),
      { numRuns: 100 },
    );
  });

  it('g·0 is the identity; scalars outside [0, n) are refused', () => {
    expect(mulBase(0n).equals(Point.ZERO)).toBe(true);
    expect(() => mulBase(ORDER)).toThrow(RangeError);
    expect(() => mulBase(-3n)).toThrow(RangeError);
  });
});
