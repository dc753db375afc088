/**
 * Feldman VSS over P-256: known answers computed independently (plain bigint arithmetic mod n,
 * the order from SEC 2 §2.4.2 written out here), properties with fast-check, typed errors.
 */
import { p256 } from '@noble/curves/nist.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTrustQuorumError, type TrustQuorumErrorCode } from '../../src/errors.js';
import {
  combine,
  RackSecret,
  Share,
  secretMatches,
  split,
  splitWithCoefficients,
  verifyShare,
} from '../../src/rack-secret/index.js';

/** Order of the P-256 base point, SEC 2 v2 §2.4.2. */
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
/** Compressed generator G (Gy is odd: prefix 03), SEC 2 v2 §2.4.2. */
const G_COMPRESSED = '036b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296';
/** Compressed -G (same x, even y). */
const MINUS_G_COMPRESSED = '026b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const be32 = (v: bigint) => v.toString(16).padStart(64, '0');

function expectCode(f: () => unknown, code: TrustQuorumErrorCode): unknown {
  try {
    f();
  } catch (e) {
    expect(isTrustQuorumError(e, code), `${String(e)}`).toBe(true);
    return e;
  }
  throw new Error(`expected ${code}, nothing thrown`);
}

describe('known answers', () => {
  it('small polynomial 7 + 3x + 5x^2: shares are the plain values', () => {
    const { secret, commitments, shares } = splitWithCoefficients([7n, 3n, 5n], 4);
    expect(shares.map((s) => s.x)).toEqual([1, 2, 3, 4]);
    expect(shares.map((s) => hex(s.expose()))).toEqual([15n, 33n, 61n, 99n].map(be32));
    expect(hex(secret.expose())).toBe(be32(7n));
    const g = p256.Point.BASE;
    expect(commitments.map(hex)).toEqual([7n, 3n, 5n].map((a) => g.multiply(a).toHex(true)));
    expect(hex(combine(shares.slice(1), commitments, 3).expose())).toBe(be32(7n));
  });

  it('full-size coefficients: shares mod n and commitments match an independent computation', () => {
    const a0 = 0x8f3a52c71e0b4d6a9c21e57f03b8d4c6a1e29f7b5d3c8e0a4f6b2d9c1e7a3b5dn;
    const coefficients = [a0, 1n, N - 1n, N - 2n];
    const { commitments, shares } = splitWithCoefficients(coefficients, 6);
    const f = (x: bigint) => (a0 + x + (N - 1n) * x ** 2n + (N - 2n) * x ** 3n) % N;
    expect(shares.map((s) => hex(s.expose()))).toEqual([1n, 2n, 3n, 4n, 5n, 6n].map((x) => be32(f(x))));
    // a1 = 1 and a2 = n-1 give G and -G, known from SEC 2 without any library.
    expect(hex(commitments[1]!)).toBe(G_COMPRESSED);
    expect(hex(commitments[2]!)).toBe(MINUS_G_COMPRESSED);
    expect(hex(commitments[0]!)).toBe(p256.Point.BASE.multiply(a0).toHex(true));
    for (const s of shares) expect(verifyShare(s, commitments)).toBe(true);
    expect(hex(combine([shares[5]!, shares[0]!, shares[3]!, shares[2]!], commitments, 4).expose())).toBe(
      be32(a0),
    );
  });
});

describe('split', () => {
  it.each([
    [1, 1],
    [3, 1],
    [3, 4],
    [256, 2],
    [2.5, 2],
    [5, 2.5],
  ])('rejects n=%s k=%s with RangeError', (n, k) => {
    expect(() => split(undefined, n, k)).toThrow(RangeError);
  });

  it('accepts the extremes k=2,n=2 and k=n=255', () => {
    expect(split(undefined, 2, 2).shares).toHaveLength(2);
    const big = split(undefined, 255, 2);
    expect(big.shares.map((s) => s.x)).toEqual(Array.from({ length: 255 }, (_, i) => i + 1));
  });

  it('rejects a zero, too-large or wrong-length secret', () => {
    expect(() => split(new Uint8Array(32), 3, 2)).toThrow(RangeError);
    expect(() => split(Buffer.from(be32(N), 'hex'), 3, 2)).toThrow(RangeError);
    expect(() => split(new Uint8Array(31).fill(1), 3, 2)).toThrow(RangeError);
    expect(() => splitWithCoefficients([5n, 0n], 3)).toThrow(RangeError);
  });

  it('random secrets are non-zero, below n and fresh each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const { secret, commitments, shares } = split(undefined, 3, 2);
      const v = BigInt(`0x${hex(secret.expose())}`);
      expect(v > 0n && v < N).toBe(true);
      seen.add(hex(secret.expose()));
      expect(secretMatches(secret, commitments)).toBe(true);
      expect(combine(shares.slice(0, 2), commitments, 2).equals(secret)).toBe(true);
    }
    expect(seen.size).toBe(20);
  });

  it('keeps a given secret, accepting a RackSecret too', () => {
    const bytes = Buffer.from(be32(123456789n), 'hex');
    const { commitments, shares } = split(new RackSecret(bytes), 5, 3);
    expect(hex(combine(shares.slice(2), commitments, 3).expose())).toBe(be32(123456789n));
  });
});

/** n, k and a shuffled subset of k distinct indices. */
const scheme = fc
  .integer({ min: 2, max: 7 })
  .chain((n) => fc.record({ n: fc.constant(n), k: fc.integer({ min: 2, max: n }) }))
  .chain(({ n, k }) =>
    fc.record({
      n: fc.constant(n),
      k: fc.constant(k),
      pick: fc.shuffledSubarray([...Array(n).keys()], { minLength: k, maxLength: k }),
    }),
  );

describe('properties', () => {
  it('any k of n shares, in any order, give back the secret', () => {
    fc.assert(
      fc.property(scheme, ({ n, k, pick }) => {
        const { secret, commitments, shares } = split(undefined, n, k);
        const chosen = pick.map((i) => shares[i]!);
        expect(combine(chosen, commitments, k).equals(secret)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('k-1 shares padded with a fake one fail verification, and the commitment check if forced', () => {
    fc.assert(
      fc.property(scheme, fc.bigInt({ min: 1n, max: N - 1n }), ({ n, k, pick }, delta) => {
        const { commitments, shares } = split(undefined, n, k);
        const real = pick.slice(0, k - 1).map((i) => shares[i]!);
        // The fake takes the x of the left-out share (a plausible x) with a wrong y.
        const victim = shares[pick[k - 1]!]!;
        const y = (BigInt(`0x${hex(victim.expose())}`) + delta) % N;
        const fake = new Share(victim.x, Buffer.from(be32(y), 'hex'), 'impostor');
        expect(verifyShare(fake, commitments)).toBe(false);
        const e = expectCode(() => combine([...real, fake], commitments, k), 'InvalidShare');
        expect((e as Error).message).toContain('impostor');
        expectCode(
          () => combine([...real, fake], commitments, k, { sharesVerified: true }),
          'CommitmentMismatch',
        );
      }),
      { numRuns: 40 },
    );
  });

  it('a changed share fails verification and combine names its sender', () => {
    fc.assert(
      fc.property(scheme, fc.bigInt({ min: 1n, max: N - 1n }), ({ n, k, pick }, delta) => {
        const { commitments, shares } = split(undefined, n, k);
        const i = pick[0]!;
        const orig = shares[i]!;
        expect(verifyShare(orig, commitments)).toBe(true);
        const y = (BigInt(`0x${hex(orig.expose())}`) + delta) % N;
        const changed = new Share(orig.x, Buffer.from(be32(y), 'hex'), `sled-${orig.x}`);
        expect(verifyShare(changed, commitments)).toBe(false);
        const chosen = pick.map((j) => (j === i ? changed : shares[j]!));
        const e = expectCode(() => combine(chosen, commitments, k), 'InvalidShare');
        expect((e as { sender?: string }).sender).toBe(`sled-${orig.x}`);
      }),
      { numRuns: 40 },
    );
  });
});

describe('combine errors', () => {
  const { commitments, shares } = splitWithCoefficients([11n, 22n, 33n], 5);

  it('duplicate x is DuplicateShare naming both senders', () => {
    const a = shares[0]!.withSender('sled-a');
    const b = shares[0]!.withSender('sled-b');
    const e = expectCode(() => combine([a, shares[1]!, b], commitments, 3), 'DuplicateShare');
    expect((e as Error).message).toMatch(/sled-a.*sled-b/);
  });

  it('fewer than k is NotEnoughShares', () => {
    expectCode(() => combine(shares.slice(0, 2), commitments, 3), 'NotEnoughShares');
    expectCode(() => combine([], commitments, 3), 'NotEnoughShares');
  });

  it('more than k valid shares still combine; an invalid extra one is reported', () => {
    expect(hex(combine(shares, commitments, 3).expose())).toBe(be32(11n));
    const bad = new Share(5, Buffer.from(be32(1n), 'hex'), 'extra');
    expectCode(() => combine([...shares.slice(0, 4), bad], commitments, 3), 'InvalidShare');
  });

  it('commitments of the wrong count or not on the curve are InvalidCommitments', () => {
    expectCode(() => combine(shares, commitments.slice(0, 2), 3), 'InvalidCommitments');
    const broken = commitments.map((c) => new Uint8Array(c));
    broken[1]![0] = 0x05;
    expectCode(() => combine(shares, broken, 3), 'InvalidCommitments');
    expectCode(() => verifyShare(shares[0]!, [new Uint8Array(65)]), 'InvalidCommitments');
    expectCode(() => verifyShare(shares[0]!, []), 'InvalidCommitments');
  });

  it('decoded commitments are remembered by content only: changed bytes are decoded afresh', () => {
    expect(verifyShare(shares[0]!, commitments)).toBe(true);
    expect(verifyShare(shares[0]!, commitments)).toBe(true);
    const copy = commitments.map((c) => new Uint8Array(c));
    expect(verifyShare(shares[0]!, copy)).toBe(true);
    copy[1]![0] = 0x05;
    expectCode(() => verifyShare(shares[0]!, copy), 'InvalidCommitments');
    expectCode(() => verifyShare(shares[0]!, copy), 'InvalidCommitments');
    copy[1]![0] = commitments[1]![0]! === 0x02 ? 0x03 : 0x02; // the other point with that x
    expect(verifyShare(shares[0]!, copy)).toBe(false);
    expect(verifyShare(shares[0]!, commitments)).toBe(true);
  });

  it('arbitrary commitment bytes give a boolean or InvalidCommitments, nothing else', () => {
    const point = fc.oneof(
      fc.uint8Array({ minLength: 33, maxLength: 33 }),
      fc.uint8Array({ maxLength: 70 }),
      fc.constantFrom(...commitments),
    );
    fc.assert(
      fc.property(fc.array(point, { maxLength: 4 }), (cs) => {
        try {
          expect(typeof verifyShare(shares[0]!, cs)).toBe('boolean');
        } catch (e) {
          expect(isTrustQuorumError(e, 'InvalidCommitments'), String(e)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('rejects k out of range with RangeError', () => {
    expect(() => combine(shares, commitments, 1)).toThrow(RangeError);
    expect(() => combine(shares, commitments, 256)).toThrow(RangeError);
  });
});

describe('Share construction', () => {
  it.each([0, 256, 1.5, -1])('rejects x=%s as InvalidShare', (x) => {
    expectCode(() => new Share(x, new Uint8Array(32)), 'InvalidShare');
  });
  it('rejects y of the wrong length or not below n', () => {
    expectCode(() => new Share(1, new Uint8Array(31)), 'InvalidShare');
    expectCode(() => new Share(1, Buffer.from(be32(N), 'hex'), 'peer'), 'InvalidShare');
  });
});
