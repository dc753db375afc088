/**
 * The responder's own slots (responder/local-identity.ts) and the options that carry them
 * (responder/init.ts): misuse is refused, keys never show in inspect/JSON, signature algorithms
 * are narrowed to what the keys can sign, signingSlot refuses empty slots and unfit keys.
 */
import { inspect } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { BASE_ASYM_ALGO, BASE_HASH_ALGO, hashInfo } from '../../src/crypto/algorithms.js';
import { ERROR_CODE } from '../../src/msgs/codes.js';
import type { Negotiated } from '../../src/negotiated.js';
import { resolveResponderInit } from '../../src/responder/init.js';
import { ResponderSlots, signingSlot } from '../../src/responder/local-identity.js';
import { slotOf, type TestIdentity, testIdentity } from '../auth-fixture.js';
import { spdmErrorOf } from '../auth-vectors.js';

let p256: TestIdentity;
let p384: TestIdentity;
beforeAll(() => {
  p256 = testIdentity({ curve: 'p256', cn: 'a' });
  p384 = testIdentity({ curve: 'p384', cn: 'b' });
});

describe('ResponderSlots', () => {
  it('refuses a key that is not the leaf key, repeated or out-of-range slots, no slot', () => {
    expect(() => new ResponderSlots([{ ...slotOf(p256), privateKey: p384.privateKey }])).toThrow(
      /does not belong/,
    );
    expect(() => new ResponderSlots([slotOf(p256), slotOf(p384)])).toThrow(/twice/);
    expect(() => new ResponderSlots([slotOf(p256, 8)])).toThrow(RangeError);
    expect(() => new ResponderSlots([])).toThrow(RangeError);
    expect(() => new ResponderSlots([{ ...slotOf(p256), certificates: [Uint8Array.of(1, 2)] }])).toThrow(
      TypeError,
    );
  });

  it('shows slot ids and subjects, never key material', () => {
    const s = new ResponderSlots([slotOf(p256), slotOf(p384, 3)]);
    const pem = p256.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const shown = `${inspect(s, { depth: 10 })} ${JSON.stringify(s)} ${JSON.stringify(resolveResponderInit({ slots: [slotOf(p256)] }))}`;
    expect(shown).toMatch(/CN=a/);
    expect(shown).not.toContain(pem.split('\n')[1]!);
    expect(s.slotIds).toEqual([0, 3]);
    expect(s.forHash(hashInfo(BASE_HASH_ALGO.SHA_384)).supportedSlotMask).toBe(0b1001);
  });

  it('narrows the offered signature algorithms to the keys; an explicit list must fit', () => {
    expect(resolveResponderInit({ slots: [slotOf(p384)] }).algorithms.baseAsym).toEqual([
      BASE_ASYM_ALGO.ECDSA_P384,
    ]);
    expect(() =>
      resolveResponderInit({ slots: [slotOf(p384)], algorithms: { baseAsym: [BASE_ASYM_ALGO.ECDSA_P256] } }),
    ).toThrow(/cannot sign/);
    // two slots with different curves: nothing both can sign with
    expect(() => resolveResponderInit({ slots: [slotOf(p256), slotOf(p384, 1)] })).toThrow(
      /fits the slot keys/,
    );
  });

  it('signingSlot: InvalidRequest for an empty slot, Unspecified for an unfit key or no slots', () => {
    const s = new ResponderSlots([slotOf(p256)]);
    const n = {
      baseHashAlgo: BASE_HASH_ALGO.SHA_256,
      baseAsymAlgo: BASE_ASYM_ALGO.ECDSA_P256,
      version: 0x12,
    } as Negotiated;
    expect(signingSlot(s, n, 0).digest.length).toBe(32);
    expect(spdmErrorOf(() => signingSlot(s, n, 1)).wireCode).toBe(ERROR_CODE.InvalidRequest);
    expect(
      spdmErrorOf(() => signingSlot(s, { ...n, baseAsymAlgo: BASE_ASYM_ALGO.ECDSA_P384 }, 0)).wireCode,
    ).toBe(ERROR_CODE.Unspecified);
    expect(spdmErrorOf(() => signingSlot(null, n, 0)).wireCode).toBe(ERROR_CODE.Unspecified);
  });
});
