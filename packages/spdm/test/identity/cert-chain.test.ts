import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { hashInfo } from '../../src/crypto/algorithms.js';
import { SpdmError } from '../../src/errors.js';
import {
  buildCertChain,
  buildCertChainFromBundle,
  CertChainAssembler,
  certChainDigest,
  parseCertChain,
} from '../../src/identity/cert-chain.js';
import { decodeCertificate, decodeGetCertificate } from '../../src/msgs/certificate.js';
import { decodeDigests } from '../../src/msgs/digests.js';
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

describe.skipIf(!vectorsExist)(vectorsTitle('SPDM certificate chains of the libspdm vectors'), () => {
  for (const file of VECTOR_FILES) {
    it(`${file}: CERTIFICATE responses reassemble to the recorded chains; digests match DIGESTS`, () => {
      const v = loadVector(file);
      const p = paramsOf(v);
      const digests = decodeDigests(spdmOf(v, 7), p);
      const chains = new Map<number, Uint8Array>();
      for (let i = 8; i <= 10; i += 2) {
        const req = decodeGetCertificate(spdmOf(v, i), p);
        const asm = new CertChainAssembler();
        expect(asm.offset).toBe(req.offset);
        const rsp = decodeCertificate(spdmOf(v, i + 1), { ...p, maxPortionLength: req.length });
        asm.add(rsp.portion, rsp.remainderLength);
        expect(asm.complete).toBe(true);
        chains.set(rsp.slotId, asm.finish());
      }
      expect(toHex(chains.get(0)!)).toBe(v.certs.responder_chain_hex);
      expect(toHex(chains.get(1)!)).toBe(v.certs.responder_chain_slot1_hex);
      expect(toHex(certChainDigest(chains.get(0)!, p.hash))).toBe(v.certs.responder_chain_hash_hex);
      expect(certChainDigest(chains.get(0)!, p.hash)).toEqual(digests.digests[0]);
      expect(certChainDigest(chains.get(1)!, p.hash)).toEqual(digests.digests[1]);
    });

    it(`${file}: the builder reproduces the recorded structures from the DER bundles`, () => {
      const v = loadVector(file);
      const p = paramsOf(v);
      const dir = keyDirOf(v);
      const slot0 = buildCertChainFromBundle(readVectorFile(`${dir}/bundle_responder.certchain.der`), p.hash);
      expect(toHex(slot0)).toBe(v.certs.responder_chain_hex);
      const slot1 = buildCertChainFromBundle(
        readVectorFile(`${dir}/bundle_responder.certchain1.der`),
        p.hash,
      );
      expect(toHex(slot1)).toBe(v.certs.responder_chain_slot1_hex);
      if (v.certs.requester_chain_hex) {
        const req = buildCertChainFromBundle(readVectorFile(`${dir}/bundle_requester.certchain.der`), p.hash);
        expect(toHex(req)).toBe(v.certs.requester_chain_hex);
      }
      const parsed = parseCertChain(slot0, p.hashSize);
      const files = ['ca', 'inter', 'end_responder'].map((n) => readVectorFile(`${dir}/${n}.cert.der`));
      expect(parsed.certs).toEqual(files);
      expect(buildCertChain(files, p.hash)).toEqual(slot0);
      expect(parsed.rootHash).toEqual(certChainDigest(files[0]!, p.hash));
      // Starting at the intermediate, RootHash still names the root when it is passed in.
      const fromInter = parseCertChain(buildCertChain(files.slice(1), p.hash, files[0]), p.hashSize);
      expect(fromInter.rootHash).toEqual(parsed.rootHash);
      expect(fromInter.certs).toHaveLength(2);
    });
  }
});

const sha256 = hashInfo(1);
/** A fake "certificate": a DER SEQUENCE of `n` content bytes (structure tests need no X.509). */
const fakeCert = (n: number, fill = 0xaa): Uint8Array => {
  const hdr = n < 0x80 ? [0x30, n] : n < 0x100 ? [0x30, 0x81, n] : [0x30, 0x82, n >> 8, n & 0xff];
  return Uint8Array.of(...hdr, ...new Uint8Array(n).fill(fill));
};

describe('chain structure', () => {
  const good = buildCertChain([fakeCert(10), fakeCert(200, 0xbb), fakeCert(300, 0xcc)], sha256);

  it('Length covers the whole structure, Reserved is 0, RootHash = Hash(first DER)', () => {
    expect(good.length).toBe(4 + 32 + 12 + 203 + 304);
    expect(good[0]! | (good[1]! << 8)).toBe(good.length);
    expect([good[2], good[3]]).toEqual([0, 0]);
    const parsed = parseCertChain(good, 32);
    expect(parsed.rootHash).toEqual(certChainDigest(fakeCert(10), sha256));
    expect(parsed.certs.map((c) => c.length)).toEqual([12, 203, 304]);
    expect(parsed.certs[1]!.buffer).toBe(good.buffer);
  });

  const withByte = (at: number, v: number) => {
    const b = good.slice();
    b[at] = v;
    return b;
  };
  const setLen = (b: Uint8Array) => {
    b[0] = b.length & 0xff;
    b[1] = b.length >> 8;
    return b;
  };
  const cases: [string, Uint8Array, string, RegExp][] = [
    ['Length too small', withByte(0, good[0]! - 1), 'InvalidMsgField', /Length/],
    ['Reserved non-zero', withByte(2, 1), 'InvalidMsgField', /Reserved/],
    ['shorter than a RootHash', good.subarray(0, 20), 'InvalidMsgField', /RootHash/],
    ['no certificate', setLen(good.slice(0, 36)), 'InvalidCertificate', /no certificate/],
    [
      'truncated DER',
      setLen(good.slice(0, -1)),
      'InvalidCertificate',
      /certificate 2: DER length 300 runs past/,
    ],
    ['junk after the leaf', setLen(Uint8Array.of(...good, 0x00)), 'InvalidCertificate', /certificate 3/],
    ['not a SEQUENCE', withByte(36, 0x31), 'InvalidCertificate', /not a DER SEQUENCE/],
    ['indefinite length', withByte(37, 0x80), 'InvalidCertificate', /indefinite/],
    ['5-byte length', withByte(37, 0x85), 'InvalidCertificate', /5 bytes/],
  ];
  for (const [what, bytes, code, msg] of cases) {
    it(`refuses: ${what}`, () => {
      const e = spdmErrorOf(() => parseCertChain(bytes, 32));
      expect(e.code).toBe(code);
      expect(e.message).toMatch(msg);
    });
  }

  it('bounds the number of certificates', () => {
    const many = buildCertChain(
      Array.from({ length: 17 }, () => fakeCert(3)),
      sha256,
    );
    expect(spdmErrorOf(() => parseCertChain(many, 32)).message).toMatch(/more than 16/);
    expect(parseCertChain(many, 32, 17).certs).toHaveLength(17);
  });

  it('builder refuses what is not one DER SEQUENCE per entry, and oversize chains', () => {
    expect(spdmErrorOf(() => buildCertChain([Uint8Array.of(...fakeCert(3), 0)], sha256)).code).toBe(
      'InvalidCertificate',
    );
    expect(() => buildCertChain([], sha256)).toThrow(TypeError);
    expect(() => buildCertChain([fakeCert(40000), fakeCert(30000)], sha256)).toThrow(RangeError);
  });

  it('arbitrary bytes give only InvalidMsgField / InvalidCertificate', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (b, fixLength) => {
        const bytes = fixLength && b.length >= 2 ? setLen(b.slice()) : b;
        try {
          parseCertChain(bytes, 32);
        } catch (e) {
          expect(e).toBeInstanceOf(SpdmError);
          expect(['InvalidMsgField', 'InvalidCertificate']).toContain((e as SpdmError).code);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('arbitrary certificate lists round-trip through build and parse', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 8 }), (sizes) => {
        const certs = sizes.map((n, i) => fakeCert(n, i));
        const chain = buildCertChain(certs, sha256);
        const parsed = parseCertChain(chain, 32);
        expect(parsed.certs).toEqual(certs);
        expect(buildCertChain(parsed.certs, sha256)).toEqual(chain);
      }),
    );
  });
});

describe('CertChainAssembler', () => {
  const chain = buildCertChain([fakeCert(100), fakeCert(1000)], sha256);

  it('reassembles a chain delivered in portions of any size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: chain.length }), (step) => {
        const asm = new CertChainAssembler();
        expect(asm.nextLength(step)).toBe(step);
        while (!asm.complete) {
          const at = asm.offset;
          const n = Math.min(asm.nextLength(step), chain.length - at);
          asm.add(chain.subarray(at, at + n), chain.length - at - n);
        }
        expect(asm.finish()).toEqual(chain);
      }),
    );
  });

  it('refuses inconsistent totals, stalls, oversize chains and use after completion', () => {
    const a = new CertChainAssembler();
    a.add(chain.subarray(0, 100), chain.length - 100);
    expect(spdmErrorOf(() => a.add(chain.subarray(100, 200), 5)).message).toMatch(/changed/);
    expect(spdmErrorOf(() => a.add(new Uint8Array(0), chain.length - 100)).message).toMatch(/empty portion/);
    expect(spdmErrorOf(() => a.finish()).message).toMatch(/incomplete/);
    const small = new CertChainAssembler({ maxSize: 1000 });
    expect(spdmErrorOf(() => small.add(new Uint8Array(10), 991)).code).toBe('TooLarge');
    const done = new CertChainAssembler();
    done.add(chain, 0);
    expect(spdmErrorOf(() => done.add(chain, 0)).message).toMatch(/complete/);
    expect(spdmErrorOf(() => new CertChainAssembler().add(new Uint8Array(0), 0)).message).toMatch(/empty/);
  });
});
