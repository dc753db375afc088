import { createPrivateKey, createPublicKey, verify, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../src/codec/bytes.js';
import { asymInfo, BASE_ASYM_ALGO, hashInfo } from '../../src/crypto/algorithms.js';
import { buildCertChain, hashOf } from '../../src/identity/cert-chain.js';
import { OID } from '../../src/identity/der.js';
import { type ValidateCertChainInit, validateCertChain } from '../../src/identity/validate.js';
import { withoutSignature } from '../../src/msgs/fields.js';
import {
  keyDirOf,
  loadVector,
  paramsOf,
  readVectorFile,
  spdmErrorOf,
  spdmOf,
  VECTOR_FILES,
  vectorsExist,
  vectorsTitle,
} from '../auth-vectors.js';
import { makeCert, newKey, testPki } from './test-certs.js';

/** Inside the libspdm sample certificates' validity (2023-04 .. 2033-04). */
const IN_VALIDITY = new Date('2030-01-01T00:00:00Z');

/** DSP0274 1.2+ signing context (spdm-reference §3.3), to check that leafKey is the right key. */
function signingContext(version: number, label: string): Uint8Array {
  const ver = `dmtf-spdm-v${version >> 4}.${version & 0xf}.*`;
  return concatBytes(
    new Uint8Array(Buffer.from(ver.repeat(4), 'ascii')),
    new Uint8Array(36 - label.length),
    new Uint8Array(Buffer.from(label, 'ascii')),
  );
}

describe.skipIf(!vectorsExist)(vectorsTitle('chain validation with the libspdm sample certificates'), () => {
  for (const file of VECTOR_FILES) {
    const v = vectorsExist ? loadVector(file) : undefined;
    const setup = () => {
      const p = paramsOf(v!);
      const dir = keyDirOf(v!);
      const der = (n: string) => readVectorFile(`${dir}/${n}.cert.der`);
      const init = (
        roots: (Uint8Array | X509Certificate)[],
        over: Partial<ValidateCertChainInit> = {},
      ): ValidateCertChainInit => ({
        hash: p.hash,
        asym: p.asym,
        trustedRoots: roots,
        now: IN_VALIDITY,
        version: p.version,
        role: 'responder',
        ...over,
      });
      return { p, dir, der, init };
    };

    it(`${file}: slot 0 validates to ca.cert.der, slot 1 to ca1.cert.der, each fails against the other`, () => {
      const { der, init } = setup();
      const slot0 = fromHex(v!.certs.responder_chain_hex);
      const slot1 = fromHex(v!.certs.responder_chain_slot1_hex);
      const ok0 = validateCertChain(slot0, init([der('ca')]));
      expect(ok0.leafSubject).toMatch(/^CN=DMTF libspdm ECP(256|384) responder cert$/);
      expect(ok0.certs).toHaveLength(3);
      expect(ok0.root.raw).toEqual(Buffer.from(der('ca')));
      const ok1 = validateCertChain(slot1, init([new X509Certificate(der('ca1'))]));
      expect(ok1.leaf.raw).toEqual(Buffer.from(der('end_responder1')));
      const e0 = spdmErrorOf(() => validateCertChain(slot0, init([der('ca1')])));
      expect(e0.code).toBe('InvalidCertificate');
      expect(e0.message).toMatch(
        /^certificate 0 \(CN=DMTF libspdm ECP(256|384) CA\): neither a trusted root nor/,
      );
      expect(() => validateCertChain(slot1, init([der('ca')]))).toThrow(
        /certificate 0 .*neither a trusted root/,
      );
      expect(validateCertChain(slot1, init([der('ca'), der('ca1')])).leafSubject).toBe(ok0.leafSubject);
    });

    it(`${file}: the leaf key is end_responder.key's and verifies the recorded CHALLENGE_AUTH`, () => {
      const { p, dir, der, init } = setup();
      const { leafKey } = validateCertChain(fromHex(v!.certs.responder_chain_hex), init([der('ca')]));
      const priv = createPrivateKey(Buffer.from(readVectorFile(`${dir}/end_responder.key`)));
      expect(leafKey.equals(createPublicKey(priv))).toBe(true);
      const auth = spdmOf(v!, 13);
      const m1 = concatBytes(
        ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((i) => spdmOf(v!, i)),
        withoutSignature(auth, p.sigSize),
      );
      const m1Hash = hashOf(p.hash, m1);
      expect(toHex(m1Hash)).toBe(
        (v as unknown as { transcript_hashes: Record<string, string> }).transcript_hashes
          .m1_hash_challenge_auth,
      );
      const signed = concatBytes(signingContext(p.version, 'responder-challenge_auth signing'), m1Hash);
      const sig = auth.subarray(auth.length - p.sigSize);
      expect(verify(p.hash.node, signed, { key: leafKey, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    });

    it(`${file}: order, time, algorithm, CA leaf, RootHash and DER failures name the certificate`, () => {
      const { p, der, init } = setup();
      const [ca, inter, end] = [der('ca'), der('inter'), der('end_responder')];
      const good = buildCertChain([ca, inter, end], p.hash);
      const why = (chain: Uint8Array, over: Partial<ValidateCertChainInit> = {}) =>
        spdmErrorOf(() => validateCertChain(chain, init([ca], over))).message;
      expect(why(buildCertChain([ca, end, inter], p.hash))).toMatch(
        /^certificate 1 \(CN=.*responder cert\): not signed by certificate 0$/,
      );
      expect(why(good, { now: new Date('2034-01-01T00:00:00Z') })).toMatch(
        /^certificate 0 \(.*\): expired .* 2033 GMT$/,
      );
      expect(why(good, { now: new Date('2023-01-01T00:00:00Z') })).toMatch(
        /^certificate 0 .*: not valid before/,
      );
      const other = p.asym.curve === 'secp384r1' ? BASE_ASYM_ALGO.ECDSA_P256 : BASE_ASYM_ALGO.ECDSA_P384;
      expect(why(good, { asym: asymInfo(other) })).toMatch(
        /^certificate 2 .*: leaf key \(ec (secp384r1|prime256v1)\) does not match ECDSA_P(256|384)$/,
      );
      expect(why(buildCertChain([ca, inter], p.hash))).toMatch(
        /^certificate 1 \(CN=.*intermediate cert\): leaf certificate is a CA$/,
      );
      const badRoot = good.slice();
      badRoot[4]! ^= 1;
      expect(why(badRoot)).toMatch(/^certificate 0 .*: RootHash does not match/);
      const truncated = good.slice(0, -10);
      truncated[0] = truncated.length & 0xff;
      truncated[1] = truncated.length >> 8;
      const t = spdmErrorOf(() => validateCertChain(truncated, init([ca])));
      expect([t.code, t.message]).toEqual([
        'InvalidCertificate',
        expect.stringMatching(/^certificate 2: DER length/),
      ]);
      // A chain that starts below the root: RootHash must still be Hash(root).
      expect(validateCertChain(buildCertChain([inter, end], p.hash, ca), init([ca])).certs).toHaveLength(2);
      expect(why(buildCertChain([inter, end], p.hash))).toMatch(/RootHash does not match/);
      expect(why(buildCertChain([inter, end], p.hash, ca), { trustedRoots: [der('ca1')] })).toMatch(
        /neither a trusted root/,
      );
    });
  }
});

describe('chain validation with generated certificates', () => {
  const pki = testPki();
  const sha256 = hashInfo(1);
  const p256 = asymInfo(BASE_ASYM_ALGO.ECDSA_P256);
  const init = (over: Partial<ValidateCertChainInit> = {}): ValidateCertChainInit => ({
    hash: sha256,
    asym: p256,
    trustedRoots: [pki.root],
    now: new Date('2030-01-01T00:00:00Z'),
    version: 0x13,
    role: 'responder',
    ...over,
  });
  const chainWith = (leaf: Uint8Array, inter = pki.inter) => buildCertChain([pki.root, inter, leaf], sha256);
  const why = (chain: Uint8Array, over: Partial<ValidateCertChainInit> = {}) =>
    spdmErrorOf(() => validateCertChain(chain, init(over))).message;

  it('accepts a well-formed P-256 chain; defaults `now` to the current time', () => {
    expect(validateCertChain(chainWith(pki.leaf()), init()).leafSubject).toBe('CN=Test Leaf');
    expect(
      validateCertChain(chainWith(pki.leaf()), { ...init(), now: undefined }).leafKey.asymmetricKeyType,
    ).toBe('ec');
  });

  it('matches Ed25519 and RSA leaves to the negotiated algorithm', () => {
    const ed = chainWith(pki.leaf({ kind: 'ed25519' }));
    expect(
      validateCertChain(ed, init({ asym: asymInfo(BASE_ASYM_ALGO.EDDSA_ED25519) })).leafKey.asymmetricKeyType,
    ).toBe('ed25519');
    expect(why(ed)).toMatch(/leaf key \(ed25519\) does not match ECDSA_P256/);
    const rsa = chainWith(pki.leaf({ kind: 'rsa2048' }));
    expect(validateCertChain(rsa, init({ asym: asymInfo(BASE_ASYM_ALGO.RSASSA_2048) })).leaf.subject).toBe(
      'CN=Test Leaf',
    );
    expect(validateCertChain(rsa, init({ asym: asymInfo(BASE_ASYM_ALGO.RSAPSS_2048) })).leaf.subject).toBe(
      'CN=Test Leaf',
    );
    expect(why(rsa, { asym: asymInfo(BASE_ASYM_ALGO.RSASSA_3072) })).toMatch(
      /leaf key \(rsa 2048 bits\) does not match RSASSA_3072/,
    );
  });

  it('checks keyUsage, basicConstraints (1.3), X.509 version and extKeyUsage of the leaf', () => {
    expect(why(chainWith(pki.leaf({ keyUsage: [2] })))).toMatch(
      /^certificate 2 \(CN=Test Leaf\): leaf keyUsage lacks digitalSignature$/,
    );
    expect(validateCertChain(chainWith(pki.leaf({ keyUsage: undefined })), init()).leafSubject).toBe(
      'CN=Test Leaf',
    );
    const noBc = chainWith(pki.leaf({ noBasicConstraints: true }));
    expect(why(noBc)).toMatch(/lacks basicConstraints/);
    expect(validateCertChain(noBc, init({ version: 0x12 })).leafSubject).toBe('CN=Test Leaf');
    expect(why(chainWith(pki.leaf({ v1: true })), { version: 0x12 })).toMatch(/leaf is X.509 v1, not v3/);
    const reqOnly = chainWith(pki.leaf({ extKeyUsage: [OID.SPDM_REQUESTER_AUTH] }));
    expect(why(reqOnly)).toMatch(/extKeyUsage is for the other role only/);
    expect(validateCertChain(reqOnly, init({ role: 'requester' })).leafSubject).toBe('CN=Test Leaf');
    const both = chainWith(pki.leaf({ extKeyUsage: [OID.SPDM_REQUESTER_AUTH, OID.SPDM_RESPONDER_AUTH] }));
    expect(validateCertChain(both, init()).leafSubject).toBe('CN=Test Leaf');
  });

  it('refuses a CA leaf, a non-CA issuer, a forged signature and an expired intermediate', () => {
    expect(why(chainWith(pki.leaf({ ca: true })))).toMatch(
      /^certificate 2 \(CN=Test Leaf\): leaf certificate is a CA$/,
    );
    const k = newKey('p256');
    const nonCaInter = makeCert({
      subject: 'Test Intermediate',
      issuer: 'Test Root',
      signer: pki.rootKey,
      publicKey: k.publicKey,
      keyUsage: [0, 5],
    });
    const leafUnderIt = makeCert({
      subject: 'Test Leaf',
      issuer: 'Test Intermediate',
      signer: k.privateKey,
      publicKey: newKey('p256').publicKey,
      keyUsage: [0],
    });
    expect(why(chainWith(leafUnderIt, nonCaInter))).toMatch(
      /^certificate 1 \(CN=Test Intermediate\): is not a CA/,
    );
    const forged = makeCert({
      subject: 'Test Leaf',
      issuer: 'Test Intermediate',
      signer: newKey('p256').privateKey,
      publicKey: newKey('p256').publicKey,
      keyUsage: [0],
    });
    expect(why(chainWith(forged))).toMatch(/^certificate 2 \(CN=Test Leaf\): not signed by certificate 1$/);
    const oldInter = makeCert({
      subject: 'Test Intermediate',
      issuer: 'Test Root',
      signer: pki.rootKey,
      publicKey: k.publicKey,
      ca: true,
      notAfter: new Date('2029-01-01T00:00:00Z'),
    });
    expect(why(chainWith(leafUnderIt, oldInter))).toMatch(/^certificate 1 \(CN=Test Intermediate\): expired/);
  });

  it('refuses a chain that is not DER X.509 and misuse of the API', () => {
    const notX509 = buildCertChain([pki.root, pki.inter, Uint8Array.of(0x30, 3, 2, 1, 0)], sha256);
    expect(why(notX509)).toBe('certificate 2: not a parsable X.509 certificate');
    expect(() => validateCertChain(chainWith(pki.leaf()), init({ trustedRoots: [] }))).toThrow(TypeError);
    expect(() =>
      validateCertChain(chainWith(pki.leaf()), init({ trustedRoots: [Uint8Array.of(1)] })),
    ).toThrow(TypeError);
  });
});
