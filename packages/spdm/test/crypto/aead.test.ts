/**
 * The AEAD helpers: aeadSealInto writes exactly what aeadSeal returns for the concatenated
 * parts (ciphertext ‖ tag at the offset, nothing else touched), for every AEAD suite; aeadOpen
 * gives back the plaintext and refuses a wrong tag with VerifyFailed.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aeadOpen, aeadSeal, aeadSealInto } from '../../src/crypto/aead.js';
import { AEADS } from '../../src/crypto/algorithms.js';
import { isSpdmError } from '../../src/errors.js';

describe('AEAD', () => {
  for (const a of AEADS) {
    it(`${a.name}: aeadSealInto equals aeadSeal of the joined parts, in place`, () => {
      const key = new Uint8Array(randomBytes(a.keySize));
      const nonce = new Uint8Array(randomBytes(12));
      const aad = new Uint8Array(randomBytes(7));
      const parts = [
        Uint8Array.of(3, 0),
        new Uint8Array(0),
        new Uint8Array(randomBytes(1000)),
        Uint8Array.of(9),
      ];
      const joined = Buffer.concat(parts);
      const { ciphertext, tag } = aeadSeal(a, key, nonce, aad, joined);
      const out = new Uint8Array(5 + joined.length + a.tagSize + 3).fill(0xee);
      const end = aeadSealInto(a, key, nonce, aad, parts, out, 5);
      expect(end).toBe(5 + joined.length + a.tagSize);
      expect(Buffer.from(out.subarray(5, 5 + joined.length)).equals(Buffer.from(ciphertext))).toBe(true);
      expect(Buffer.from(out.subarray(5 + joined.length, end)).equals(Buffer.from(tag))).toBe(true);
      expect([...out.subarray(0, 5), ...out.subarray(end)].every((b) => b === 0xee)).toBe(true);
      const back = aeadOpen(
        a,
        key,
        nonce,
        aad,
        out.subarray(5, 5 + joined.length),
        out.subarray(5 + joined.length, end),
      );
      expect(Buffer.from(back).equals(joined)).toBe(true);
      expect(() => aeadSealInto(a, key, nonce, aad, parts, new Uint8Array(10), 0)).toThrow(RangeError);
    });

    it(`${a.name}: a wrong tag or AAD is VerifyFailed`, () => {
      const key = new Uint8Array(randomBytes(a.keySize));
      const nonce = new Uint8Array(randomBytes(12));
      const { ciphertext, tag } = aeadSeal(a, key, nonce, Uint8Array.of(1), Uint8Array.of(1, 2, 3));
      for (const [aad, t] of [
        [Uint8Array.of(2), tag],
        [Uint8Array.of(1), tag.map((b, i) => (i === 0 ? b ^ 1 : b))],
      ] as const) {
        let thrown: unknown;
        try {
          aeadOpen(a, key, nonce, aad, ciphertext, t);
        } catch (e) {
          thrown = e;
        }
        expect(isSpdmError(thrown, 'VerifyFailed')).toBe(true);
      }
    });
  }
});
