import {
  constants,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  X509Certificate,
} from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ASYMS, type AsymInfo, BASE_ASYM_ALGO, BASE_HASH_ALGO } from '../../src/crypto/algorithms.js';
import { keyMatchesAsym, signSpdm, verifySpdm } from '../../src/crypto/sign.js';
import { SIGNING_CONTEXT, signedMessage } from '../../src/crypto/signing-context.js';
import { VECTORS_ABSENT_MESSAGE, VECTORS_PRESENT, vectorKeyFile } from './libspdm-vectors.js';

if (!VECTORS_PRESENT) console.warn(VECTORS_ABSENT_MESSAGE);

const asym = (name: string): AsymInfo => {
  const a = ASYMS.find((x) => x.name === name);
  if (!a) throw new Error(name);
  return a;
};

function flip(b: Uint8Array, at: number): Uint8Array {
  const c = b.slice();
  c[at] = (c[at] ?? 0) ^ 0x80;
  return c;
}

/** Signs, verifies, and checks that a changed message or signature byte is rejected. */
function roundTrip(a: AsymInfo, hashBit: number, priv: KeyObject, pub: KeyObject, version = 0x13): void {
  const message = signedMessage(
    version,
    SIGNING_CONTEXT.RESPONDER_KEY_EXCHANGE_RSP,
    hashBit,
    Uint8Array.of(1, 2, 3),
  );
  const sig = signSpdm(a, hashBit, priv, message);
  expect(sig.length).toBe(a.sigSize);
  expect(verifySpdm(a, hashBit, pub, message, sig)).toBe(true);
  expect(verifySpdm(a.bit, hashBit, pub, message, sig)).toBe(true);
  expect(verifySpdm(a, hashBit, pub, flip(message, 0), sig)).toBe(false);
  expect(verifySpdm(a, hashBit, pub, flip(message, message.length - 1), sig)).toBe(false);
  expect(verifySpdm(a, hashBit, pub, message, flip(sig, 0))).toBe(false);
  expect(verifySpdm(a, hashBit, pub, message, flip(sig, sig.length - 1))).toBe(false);
  expect(verifySpdm(a, hashBit, pub, message, sig.subarray(1))).toBe(false);
  expect(verifySpdm(a, hashBit, pub, message, new Uint8Array(sig.length + 1))).toBe(false);
  expect(verifySpdm(a, hashBit, pub, message, new Uint8Array(0))).toBe(false);
}

describe.skipIf(!VECTORS_PRESENT)('signing with the libspdm sample keys', () => {
  const cases = [
    ['ecp256', 'ECDSA_P256', BASE_HASH_ALGO.SHA_256],
    ['ecp384', 'ECDSA_P384', BASE_HASH_ALGO.SHA_384],
  ] as const;
  for (const [dir, name, hashBit] of cases) {
    for (const who of ['responder', 'requester']) {
      it(`${dir}/end_${who}.key signs; its certificate's key verifies`, () => {
        const priv = createPrivateKey(vectorKeyFile(`keys/${dir}/end_${who}.key`));
        const pub = new X509Certificate(vectorKeyFile(`keys/${dir}/end_${who}.cert.der`)).publicKey;
        roundTrip(asym(name), hashBit, priv, pub, 0x12);
        roundTrip(asym(name), hashBit, priv, pub, 0x13);
        roundTrip(asym(name), hashBit, priv, pub, 0x11);
        // The other side's certificate does not verify it.
        const other = who === 'responder' ? 'requester' : 'responder';
        const otherPub = new X509Certificate(vectorKeyFile(`keys/${dir}/end_${other}.cert.der`)).publicKey;
        const m = Uint8Array.of(5);
        expect(verifySpdm(asym(name), hashBit, otherPub, m, signSpdm(asym(name), hashBit, priv, m))).toBe(
          false,
        );
      });
    }
  }
});

describe('signatures with fresh keys', () => {
  const rsa = new Map<number, { privateKey: KeyObject; publicKey: KeyObject }>();
  beforeAll(() => {
    for (const bits of [2048, 3072, 4096]) rsa.set(bits, generateKeyPairSync('rsa', { modulusLength: bits }));
  });

  it('ECDSA P-521 with SHA-512 (raw 132-byte r‖s)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp521r1' });
    roundTrip(asym('ECDSA_P521'), BASE_HASH_ALGO.SHA_512, privateKey, publicKey);
  });

  it('Ed25519 signs the 100+H bytes themselves (pure EdDSA)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    roundTrip(asym('EDDSA_ED25519'), BASE_HASH_ALGO.SHA_384, privateKey, publicKey);
    const m = Uint8Array.of(1, 2, 3);
    const sig = signSpdm(BASE_ASYM_ALGO.EDDSA_ED25519, BASE_HASH_ALGO.SHA_256, privateKey, m);
    expect(Buffer.from(sig).equals(sign(null, m, privateKey))).toBe(true);
  });

  for (const bits of [2048, 3072, 4096] as const) {
    it(`RSASSA and RSAPSS ${bits}`, () => {
      const { privateKey, publicKey } = rsa.get(bits)!;
      const ssa = asym(`RSASSA_${bits}`);
      const pss = asym(`RSAPSS_${bits}`);
      roundTrip(ssa, BASE_HASH_ALGO.SHA_256, privateKey, publicKey);
      roundTrip(pss, BASE_HASH_ALGO.SHA_384, privateKey, publicKey);
      const m = Uint8Array.of(7, 7, 7);
      // PKCS#1 v1.5 is deterministic; PSS is not, and neither verifies as the other.
      const s1 = signSpdm(ssa, BASE_HASH_ALGO.SHA_256, privateKey, m);
      expect(Buffer.from(s1).equals(Buffer.from(signSpdm(ssa, BASE_HASH_ALGO.SHA_256, privateKey, m)))).toBe(
        true,
      );
      const p1 = signSpdm(pss, BASE_HASH_ALGO.SHA_256, privateKey, m);
      expect(verifySpdm(pss, BASE_HASH_ALGO.SHA_256, publicKey, m, s1)).toBe(false);
      expect(verifySpdm(ssa, BASE_HASH_ALGO.SHA_256, publicKey, m, p1)).toBe(false);
      // A PSS signature with another hash does not verify.
      expect(verifySpdm(pss, BASE_HASH_ALGO.SHA_384, publicKey, m, p1)).toBe(false);
    });
  }

  it('RSAPSS insists on salt length = hash length', () => {
    const { privateKey, publicKey } = rsa.get(2048)!;
    const m = Uint8Array.of(1);
    const pss = asym('RSAPSS_2048');
    const withSalt = (saltLength: number) =>
      sign('sha256', m, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
    expect(verifySpdm(pss, BASE_HASH_ALGO.SHA_256, publicKey, m, withSalt(32))).toBe(true);
    expect(verifySpdm(pss, BASE_HASH_ALGO.SHA_256, publicKey, m, withSalt(0))).toBe(false);
    expect(verifySpdm(pss, BASE_HASH_ALGO.SHA_256, publicKey, m, withSalt(20))).toBe(false);
  });

  it('keys of the wrong kind or size: verify says false, sign throws TypeError', () => {
    const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const m = Uint8Array.of(1);
    const sig = signSpdm(BASE_ASYM_ALGO.ECDSA_P256, BASE_HASH_ALGO.SHA_256, p256.privateKey, m);
    expect(verifySpdm(BASE_ASYM_ALGO.ECDSA_P384, BASE_HASH_ALGO.SHA_256, p256.publicKey, m, sig)).toBe(false);
    expect(
      verifySpdm(BASE_ASYM_ALGO.RSASSA_2048, BASE_HASH_ALGO.SHA_256, rsa.get(2048)!.publicKey, m, sig),
    ).toBe(false);
    expect(() => signSpdm(BASE_ASYM_ALGO.ECDSA_P384, BASE_HASH_ALGO.SHA_256, p256.privateKey, m)).toThrow(
      TypeError,
    );
    expect(() => signSpdm(BASE_ASYM_ALGO.ECDSA_P256, BASE_HASH_ALGO.SHA_256, p256.publicKey, m)).toThrow(
      TypeError,
    );
    expect(() =>
      signSpdm(BASE_ASYM_ALGO.RSASSA_3072, BASE_HASH_ALGO.SHA_256, rsa.get(2048)!.privateKey, m),
    ).toThrow(TypeError);
    expect(keyMatchesAsym(BASE_ASYM_ALGO.RSAPSS_4096, rsa.get(4096)!.publicKey)).toBe(true);
    expect(keyMatchesAsym(BASE_ASYM_ALGO.EDDSA_ED25519, p256.publicKey)).toBe(false);
  });

  it('verifySpdm never throws on arbitrary signatures and messages', () => {
    const keys = {
      ecdsa: generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey,
      ed: generateKeyPairSync('ed25519').publicKey,
      rsa: rsa.get(2048)!.publicKey,
    };
    const cases = [
      [BASE_ASYM_ALGO.ECDSA_P384, keys.ecdsa, 96],
      [BASE_ASYM_ALGO.EDDSA_ED25519, keys.ed, 64],
      [BASE_ASYM_ALGO.RSASSA_2048, keys.rsa, 256],
      [BASE_ASYM_ALGO.RSAPSS_2048, keys.rsa, 256],
    ] as const;
    for (const [bit, key, size] of cases) {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 64 }),
          fc.oneof(
            fc.uint8Array({ minLength: size, maxLength: size }),
            fc.uint8Array({ maxLength: size + 4 }),
          ),
          (m, s) => verifySpdm(bit, BASE_HASH_ALGO.SHA_384, key, m, s) === false,
        ),
        { numRuns: 100 },
      );
    }
  });
});
