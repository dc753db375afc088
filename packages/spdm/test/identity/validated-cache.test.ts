/**
 * ValidatedChainCache: a remembered validation is given back only for the same chain bytes,
 * options and roots at a time inside every certificate's validity; everything else is
 * validated afresh (and fails as validateCertChain fails). Real certificates (test-certs.ts).
 */
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asymInfo, BASE_ASYM_ALGO, hashInfo } from '../../src/crypto/algorithms.js';
import { buildCertChain } from '../../src/identity/cert-chain.js';
import { OID } from '../../src/identity/der.js';
import {
  CertificateMemo,
  type ValidateCertChainInit,
  validateCertChain,
} from '../../src/identity/validate.js';
import { ValidatedChainCache } from '../../src/identity/validated-cache.js';
import { CertChainCache } from '../../src/requester/chain-cache.js';
import { spdmErrorOf } from '../auth-vectors.js';
import { makeCert, newKey, testPki } from './test-certs.js';

const sha256 = hashInfo(1);
const p256 = asymInfo(BASE_ASYM_ALGO.ECDSA_P256);
const pki = testPki();
const other = testPki();

function init(over: Partial<ValidateCertChainInit> = {}): ValidateCertChainInit {
  return {
    hash: sha256,
    asym: p256,
    trustedRoots: [pki.root],
    now: new Date('2030-01-01T00:00:00Z'),
    version: 0x13,
    role: 'responder',
    ...over,
  };
}

const chainOf = (leaf: Uint8Array) => buildCertChain([pki.root, pki.inter, leaf], sha256);

describe('ValidatedChainCache', () => {
  it('gives back the remembered result for the same chain, options and roots', () => {
    const cache = new ValidatedChainCache();
    const chain = chainOf(pki.leaf());
    const first = cache.validate(chain, init());
    expect(first.leafSubject).toBe('CN=Test Leaf');
    expect(cache.validate(chain.slice(), init())).toBe(first);
    expect(cache.validate(chain, init({ trustedRoots: [pki.root] }))).toBe(first);
    expect(cache.size).toBe(1);
  });

  it('validates again (and fails) under other roots, another role or algorithm', () => {
    const cache = new ValidatedChainCache();
    const chain = chainOf(pki.leaf({ extKeyUsage: [OID.SPDM_RESPONDER_AUTH] }));
    const ok = cache.validate(chain, init());
    expect(spdmErrorOf(() => cache.validate(chain, init({ trustedRoots: [other.root] }))).message).toMatch(
      /neither a trusted root nor issued by one/,
    );
    expect(spdmErrorOf(() => cache.validate(chain, init({ role: 'requester' }))).message).toMatch(
      /other role only/,
    );
    const p384 = asymInfo(BASE_ASYM_ALGO.ECDSA_P384);
    expect(spdmErrorOf(() => cache.validate(chain, init({ asym: p384 }))).message).toMatch(/does not match/);
    const both = cache.validate(chain, init({ trustedRoots: [other.root, new X509Certificate(pki.root)] }));
    expect(both).not.toBe(ok);
    expect(both.leafSubject).toBe(ok.leafSubject);
  });

  it('a remembered chain outside a certificate validity fails as validateCertChain does', () => {
    const cache = new ValidatedChainCache();
    const chain = chainOf(pki.leaf({ notAfter: new Date('2031-01-01T00:00:00Z') }));
    cache.validate(chain, init());
    const late = init({ now: new Date('2032-01-01T00:00:00Z') });
    const cached = spdmErrorOf(() => cache.validate(chain, late));
    expect(cached.code).toBe('InvalidCertificate');
    expect(cached.message).toBe(spdmErrorOf(() => validateCertChain(chain, late)).message);
    expect(cached.message).toMatch(/expired/);
    const early = spdmErrorOf(() => cache.validate(chain, init({ now: new Date('2023-01-01T00:00:00Z') })));
    expect(early.message).toMatch(/not valid before/);
  });

  it('does not remember failures, and another chain is another entry', () => {
    const cache = new ValidatedChainCache();
    const chain = chainOf(pki.leaf());
    const tampered = chain.slice();
    tampered[tampered.length - 5]! ^= 0x01;
    expect(() => cache.validate(tampered, init())).toThrow();
    expect(() => cache.validate(tampered, init())).toThrow();
    expect(cache.size).toBe(0);
    cache.validate(chain, init());
    cache.validate(chainOf(pki.leaf()), init());
    expect(cache.size).toBe(2);
  });

  it('is bounded, dropping the least recently used entry', () => {
    const cache = new ValidatedChainCache({ maxEntries: 2 });
    const [a, b, c] = [chainOf(pki.leaf()), chainOf(pki.leaf()), chainOf(pki.leaf())];
    const ra = cache.validate(a, init());
    cache.validate(b, init());
    expect(cache.validate(a, init())).toBe(ra);
    cache.validate(c, init());
    expect(cache.size).toBe(2);
    expect(cache.validate(a, init())).toBe(ra);
    expect(() => new ValidatedChainCache({ maxEntries: 0 })).toThrow(RangeError);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('CertChainCache carries one, cleared with it', () => {
    const chains = new CertChainCache({ maxEntries: 3 });
    expect(chains.validations.maxEntries).toBe(3);
    chains.validations.validate(chainOf(pki.leaf()), init());
    chains.clear();
    expect(chains.validations.size).toBe(0);
  });
});

describe('CertificateMemo', () => {
  it('parses each DER once; a DER that does not parse throws every time', () => {
    const memo = new CertificateMemo({ maxEntries: 2 });
    const a = memo.parse(pki.root);
    expect(memo.parse(pki.root.slice())).toBe(a);
    expect(memo.parse(pki.inter)).not.toBe(a);
    expect(() => memo.parse(Uint8Array.of(0x30, 0x00))).toThrow();
    expect(() => memo.parse(Uint8Array.of(0x30, 0x00))).toThrow();
    memo.parse(pki.leaf());
    expect(memo.size).toBe(2);
    expect(memo.parse(pki.root)).not.toBe(a); // dropped as the oldest, parsed again
  });

  it('remembers only issuer checks that held', () => {
    const memo = new CertificateMemo();
    const [c, i] = [memo.parse(pki.inter), memo.parse(pki.root)];
    let calls = 0;
    const answer = (v: boolean) => () => {
      calls++;
      return v;
    };
    expect(memo.issuedBy(c, i, answer(false))).toBe(false);
    expect(memo.issuedBy(c, i, answer(true))).toBe(true);
    expect(memo.issuedBy(c, i, answer(false))).toBe(true);
    expect(calls).toBe(2);
  });

  it('validation with a memo fails exactly where validation without one fails', () => {
    const memo = new CertificateMemo();
    const good = chainOf(pki.leaf());
    expect(validateCertChain(good, init({ memo })).leafSubject).toBe('CN=Test Leaf');
    // Same root and intermediate, a leaf signed by a key that is not the intermediate's.
    const forged = makeCert({
      subject: 'Forged',
      issuer: 'Test Intermediate',
      signer: newKey('p256').privateKey,
      publicKey: newKey('p256').publicKey,
      keyUsage: [0],
    });
    const bad = chainOf(forged);
    const plain = spdmErrorOf(() => validateCertChain(bad, init())).message;
    expect(spdmErrorOf(() => validateCertChain(bad, init({ memo }))).message).toBe(plain);
    expect(plain).toMatch(/not signed by certificate 1/);
    expect(
      spdmErrorOf(() => validateCertChain(good, init({ memo, trustedRoots: [other.root] }))).message,
    ).toMatch(/neither a trusted root/);
  });

  it('a ValidatedChainCache parses only the new leaf of a chain sharing root and intermediate', () => {
    const cache = new ValidatedChainCache();
    cache.validate(chainOf(pki.leaf()), init());
    expect(cache.certificates.size).toBe(3);
    cache.validate(chainOf(pki.leaf()), init());
    expect(cache.certificates.size).toBe(4);
  });
});
