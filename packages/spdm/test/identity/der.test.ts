import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpdmError } from '../../src/errors.js';
import { certDetails, decodeOid, KEY_USAGE_BIT, OID, splitDerCertificates } from '../../src/identity/der.js';
import { readVectorFile, vectorsExist, vectorsTitle } from '../auth-vectors.js';
import { newKey, oid, testPki } from './test-certs.js';

describe('DER helpers', () => {
  it('decodes OIDs, including multi-byte arcs', () => {
    for (const s of ['2.5.29.15', '1.2.840.10045.4.3.3', OID.SPDM_REQUESTER_AUTH, '2.999.3']) {
      expect(decodeOid(oid(s).subarray(2))).toBe(s);
    }
    expect(() => decodeOid(Uint8Array.of(0x2b, 0x86))).toThrow(SpdmError);
  });

  it('reads keyUsage, basicConstraints and extKeyUsage of generated certificates', () => {
    const pki = testPki();
    const leaf = pki.leaf({ keyUsage: [0, 2], extKeyUsage: [OID.SPDM_RESPONDER_AUTH] });
    expect(certDetails(leaf, 'leaf')).toEqual({
      version: 3,
      keyUsage: (1 << KEY_USAGE_BIT.digitalSignature) | (1 << KEY_USAGE_BIT.keyEncipherment),
      basicConstraints: { ca: false },
      extKeyUsage: [OID.SPDM_RESPONDER_AUTH],
    });
    expect(certDetails(pki.root, 'root')).toMatchObject({
      basicConstraints: { ca: true },
      keyUsage: 0b110_0000,
    });
    const bare = pki.leaf({ keyUsage: undefined, noBasicConstraints: true, kind: 'ed25519' });
    expect(certDetails(bare, 'bare')).toEqual({
      version: 3,
      keyUsage: undefined,
      basicConstraints: undefined,
      extKeyUsage: undefined,
    });
    expect(certDetails(pki.leaf({ v1: true }), 'v1').version).toBe(1);
    expect(newKey('p256').publicKey.asymmetricKeyType).toBe('ec');
  });

  it('arbitrary bytes give only SpdmError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        for (const f of [() => splitDerCertificates(b, 4), () => certDetails(b, 'x')]) {
          try {
            f();
          } catch (e) {
            expect(e).toBeInstanceOf(SpdmError);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('mutated certificates give only SpdmError from certDetails', () => {
    const cert = testPki().leaf({ extKeyUsage: [OID.SPDM_RESPONDER_AUTH] });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: cert.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, v) => {
        const b = cert.slice();
        b[at] = v;
        try {
          certDetails(b, 'x');
        } catch (e) {
          expect(e).toBeInstanceOf(SpdmError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe.skipIf(!vectorsExist)(vectorsTitle('DER details of the libspdm sample certificates'), () => {
  it('matches what openssl shows for the ECP384 responder leaf and CA', () => {
    const leaf = certDetails(readVectorFile('keys/ecp384/end_responder.cert.der'), 'leaf');
    expect(leaf.version).toBe(3);
    expect(leaf.basicConstraints).toEqual({ ca: false });
    expect(leaf.keyUsage).toBe(0b111); // digitalSignature, nonRepudiation, keyEncipherment
    expect(leaf.extKeyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.9']);
    const ca = certDetails(readVectorFile('keys/ecp384/ca.cert.der'), 'ca');
    expect(ca).toMatchObject({ basicConstraints: { ca: true }, keyUsage: undefined });
    expect(
      splitDerCertificates(readVectorFile('keys/ecp384/bundle_responder.certchain.der'), 16),
    ).toHaveLength(3);
  });
});
