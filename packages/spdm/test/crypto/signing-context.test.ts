import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { BASE_HASH_ALGO } from '../../src/crypto/algorithms.js';
import { hash } from '../../src/crypto/hash.js';
import {
  SIGNING_CONTEXT,
  SIGNING_CONTEXT_SIZE,
  signedMessage,
  signedMessageFromHash,
  signingContext,
} from '../../src/crypto/signing-context.js';
import { Transcript } from '../../src/crypto/transcript.js';

// DSP0274 1.3 / spdm-reference §3.3: context string lengths and zero padding.
const TABLE: [string, number, number][] = [
  [SIGNING_CONTEXT.RESPONDER_CHALLENGE_AUTH, 32, 4],
  [SIGNING_CONTEXT.REQUESTER_CHALLENGE_AUTH, 32, 4],
  [SIGNING_CONTEXT.RESPONDER_MEASUREMENTS, 30, 6],
  [SIGNING_CONTEXT.RESPONDER_KEY_EXCHANGE_RSP, 34, 2],
  [SIGNING_CONTEXT.REQUESTER_FINISH, 24, 12],
  [SIGNING_CONTEXT.RESPONDER_ENDPOINT_INFO, 31, 5],
  [SIGNING_CONTEXT.REQUESTER_ENDPOINT_INFO, 31, 5],
];

describe('signing context (SPDM 1.2+)', () => {
  it('has the 64-byte version prefix, zero padding and the context string', () => {
    for (const version of [0x12, 0x13]) {
      for (const [str, len, pad] of TABLE) {
        const ctx = signingContext(version, str);
        expect(ctx.length).toBe(SIGNING_CONTEXT_SIZE);
        expect(Buffer.byteLength(str)).toBe(len);
        const text = Buffer.from(ctx.subarray(0, 64)).toString('ascii');
        expect(text).toBe(`dmtf-spdm-v1.${version & 0xf}.*`.repeat(4));
        expect(text[11]).toBe('1');
        expect(text[13]).toBe(String(version & 0xf));
        expect([...ctx.subarray(64, 64 + pad)].every((b) => b === 0)).toBe(true);
        expect(ctx[64 + pad]).not.toBe(0);
        expect(Buffer.from(ctx.subarray(64 + pad)).toString('ascii')).toBe(str);
      }
    }
  });

  it('matches the KEY_EXCHANGE_RSP context byte for byte (1.2)', () => {
    const want =
      '646d74662d7370646d2d76312e322e2a'.repeat(4) +
      '0000' +
      Buffer.from('responder-key_exchange_rsp signing').toString('hex');
    expect(toHex(signingContext(0x12, SIGNING_CONTEXT.RESPONDER_KEY_EXCHANGE_RSP))).toBe(want);
  });

  it('signedMessage is context ‖ Hash(T) for 1.2+, from bytes or a Transcript', () => {
    const t = Uint8Array.of(1, 2, 3, 4);
    const h = hash(BASE_HASH_ALGO.SHA_384, t);
    const ctxStr = SIGNING_CONTEXT.RESPONDER_CHALLENGE_AUTH;
    const want = toHex(signingContext(0x13, ctxStr)) + toHex(h);
    expect(toHex(signedMessage(0x13, ctxStr, BASE_HASH_ALGO.SHA_384, t))).toBe(want);
    const tr = new Transcript(BASE_HASH_ALGO.SHA_384, t);
    expect(toHex(signedMessage(0x13, ctxStr, BASE_HASH_ALGO.SHA_384, tr))).toBe(want);
    expect(toHex(signedMessageFromHash(0x13, ctxStr, h))).toBe(want);
    expect(signedMessage(0x13, ctxStr, BASE_HASH_ALGO.SHA_384, t).length).toBe(100 + 48);
  });

  it('signedMessage is T itself for 1.0/1.1 (no context, no prehash)', () => {
    const t = Uint8Array.of(9, 8, 7, 6, 5);
    for (const v of [0x10, 0x11]) {
      expect([
        ...signedMessage(v, SIGNING_CONTEXT.RESPONDER_MEASUREMENTS, BASE_HASH_ALGO.SHA_256, t),
      ]).toEqual([...t]);
      const tr = new Transcript(BASE_HASH_ALGO.SHA_256, t);
      expect([
        ...signedMessage(v, SIGNING_CONTEXT.RESPONDER_MEASUREMENTS, BASE_HASH_ALGO.SHA_256, tr),
      ]).toEqual([...t]);
    }
    expect(() => signingContext(0x11, SIGNING_CONTEXT.REQUESTER_FINISH)).toThrow(RangeError);
    expect(() => signedMessageFromHash(0x11, SIGNING_CONTEXT.REQUESTER_FINISH, new Uint8Array(32))).toThrow(
      RangeError,
    );
  });

  it('refuses a transcript hashed with another algorithm', () => {
    const tr = new Transcript(BASE_HASH_ALGO.SHA_256, Uint8Array.of(1));
    expect(() => signedMessage(0x12, SIGNING_CONTEXT.REQUESTER_FINISH, BASE_HASH_ALGO.SHA_384, tr)).toThrow();
  });
});
