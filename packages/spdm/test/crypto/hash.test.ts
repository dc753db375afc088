import { createHash, createHmac, hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/codec/bytes.js';
import { BASE_HASH_ALGO, HASHES } from '../../src/crypto/algorithms.js';
import { Hasher, hash, hkdfExpand, hkdfExtract, hmac } from '../../src/crypto/hash.js';

describe('hash / Hasher / hmac', () => {
  it('hash of several parts equals node createHash of their concatenation', () => {
    for (const h of HASHES) {
      const parts = [Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3)];
      const want = createHash(h.node)
        .update(Uint8Array.of(1, 2, 3))
        .digest('hex');
      expect(toHex(hash(h, ...parts))).toBe(want);
      expect(toHex(hash(h.bit, ...parts))).toBe(want);
      expect(hash(h).length).toBe(h.size);
    }
  });

  it('FIPS 180 "abc" known answer (SHA-256)', () => {
    expect(toHex(hash(BASE_HASH_ALGO.SHA_256, new TextEncoder().encode('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('Hasher.digest() leaves the hasher usable; copy() forks it', () => {
    const h = new Hasher(BASE_HASH_ALGO.SHA_384).update(Uint8Array.of(1));
    const d1 = h.digest();
    expect(toHex(h.digest())).toBe(toHex(d1));
    const c = h.copy();
    h.update(Uint8Array.of(2));
    expect(toHex(c.digest())).toBe(toHex(d1));
    expect(toHex(h.digest())).toBe(toHex(hash(BASE_HASH_ALGO.SHA_384, Uint8Array.of(1, 2))));
  });

  it('hmac matches RFC 4231 test case 2 (SHA-256, SHA-384)', () => {
    const key = new TextEncoder().encode('Jefe');
    const data = new TextEncoder().encode('what do ya want for nothing?');
    expect(toHex(hmac(BASE_HASH_ALGO.SHA_256, key, data))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    expect(toHex(hmac(BASE_HASH_ALGO.SHA_384, key, data.subarray(0, 4), data.subarray(4)))).toBe(
      createHmac('sha384', key).update(data).digest('hex'),
    );
  });

  it('rejects an unknown hash bit with RangeError', () => {
    expect(() => hash(0x80)).toThrow(RangeError);
    expect(() => hash(BASE_HASH_ALGO.SHA_256 | BASE_HASH_ALGO.SHA_384)).toThrow(RangeError);
  });
});

describe('HKDF extract / expand', () => {
  it('RFC 5869 test case 1 (SHA-256)', () => {
    const ikm = fromHex('0b'.repeat(22));
    const salt = fromHex('000102030405060708090a0b0c');
    const info = fromHex('f0f1f2f3f4f5f6f7f8f9');
    const prk = hkdfExtract(BASE_HASH_ALGO.SHA_256, salt, ikm);
    expect(toHex(prk)).toBe('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
    expect(toHex(hkdfExpand(BASE_HASH_ALGO.SHA_256, prk, info, 42))).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });

  it('Extract then Expand equals node hkdfSync for random inputs and lengths', () => {
    for (const h of HASHES.filter((x) => x.node.startsWith('sha') && !x.node.startsWith('sha3'))) {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 80 }),
          fc.uint8Array({ minLength: 1, maxLength: 80 }),
          fc.uint8Array({ maxLength: 100 }),
          fc.integer({ min: 1, max: 4 * h.size + 7 }),
          (salt, ikm, info, len) => {
            const ours = hkdfExpand(h, hkdfExtract(h, salt, ikm), info, len);
            const node = new Uint8Array(hkdfSync(h.node, ikm, salt, info, len));
            return toHex(ours) === toHex(node);
          },
        ),
        { numRuns: 60 },
      );
    }
  });

  it('an empty salt behaves as H zero bytes', () => {
    const ikm = Uint8Array.of(1, 2, 3);
    expect(toHex(hkdfExtract(BASE_HASH_ALGO.SHA_384, new Uint8Array(0), ikm))).toBe(
      toHex(hkdfExtract(BASE_HASH_ALGO.SHA_384, new Uint8Array(48), ikm)),
    );
  });

  it('bounds the output length to 0..255·H', () => {
    const prk = new Uint8Array(32);
    expect(hkdfExpand(BASE_HASH_ALGO.SHA_256, prk, new Uint8Array(0), 0).length).toBe(0);
    expect(hkdfExpand(BASE_HASH_ALGO.SHA_256, prk, new Uint8Array(0), 255 * 32).length).toBe(255 * 32);
    expect(() => hkdfExpand(BASE_HASH_ALGO.SHA_256, prk, new Uint8Array(0), 255 * 32 + 1)).toThrow(
      RangeError,
    );
    expect(() => hkdfExpand(BASE_HASH_ALGO.SHA_256, prk, new Uint8Array(0), -1)).toThrow(RangeError);
  });
});
