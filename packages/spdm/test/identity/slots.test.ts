import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/codec/bytes.js';
import { hashInfo } from '../../src/crypto/algorithms.js';
import { buildCertChain, CertChainAssembler, certChainDigest } from '../../src/identity/cert-chain.js';
import { CertSlots } from '../../src/identity/slots.js';
import { type Digests, decodeDigests, encodeDigests } from '../../src/msgs/digests.js';
import {
  encodeWith,
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
import { testPki } from './test-certs.js';

describe.skipIf(!vectorsExist)(vectorsTitle('certificate slots holding the libspdm sample chains'), () => {
  for (const file of VECTOR_FILES) {
    it(`${file}: slots 0 and 1 give the recorded DIGESTS body`, () => {
      const v = loadVector(file);
      const p = paramsOf(v);
      const dir = keyDirOf(v);
      const slots = new CertSlots({ hash: p.hash, supportedSlotMask: 0x03 });
      const certs = (n: string) => ['ca', 'inter', n].map((c) => readVectorFile(`${dir}/${c}.cert.der`));
      slots.setCertificates(0, certs('end_responder'));
      slots.set(1, fromHex(v.certs.responder_chain_slot1_hex));
      expect(slots.provisionedSlotMask).toBe(0x03);
      expect(toHex(slots.get(0)!.chain)).toBe(v.certs.responder_chain_hex);
      expect(toHex(slots.get(0)!.digest)).toBe(v.certs.responder_chain_hash_hex);
      const digests: Digests = {
        code: 0x01,
        version: p.version,
        supportedSlotMask: p.version >= 0x13 ? slots.supportedSlotMask : 0,
        provisionedSlotMask: slots.provisionedSlotMask,
        digests: slots.digests(),
      };
      expect(toHex(encodeWith(encodeDigests, digests))).toBe(toHex(spdmOf(v, 7)));
      expect(decodeDigests(spdmOf(v, 7), p).digests).toEqual(slots.digests());
    });
  }
});

describe('CertSlots', () => {
  const sha384 = hashInfo(2);
  const pki = testPki();
  const chain = buildCertChain([pki.root, pki.inter, pki.leaf()], sha384);

  it('keeps its own copy, lists slots in order, computes digests with its hash', () => {
    const slots = new CertSlots({ hash: sha384 });
    const input = chain.slice();
    slots.set(5, input, { keyPairId: 7, certificateInfo: 1, keyUsageMask: 3 });
    slots.set(2, chain);
    input.fill(0);
    expect(slots.get(5)!.chain).toEqual(chain);
    expect(slots.get(5)!.keyPairId).toBe(7);
    expect(slots.get(5)!.certs).toHaveLength(3);
    expect(slots.provisionedSlotMask).toBe(0b0010_0100);
    expect(slots.list().map((s) => s.slotId)).toEqual([2, 5]);
    expect(slots.digests()).toEqual([certChainDigest(chain, sha384), certChainDigest(chain, sha384)]);
    expect(slots.delete(2)).toBe(true);
    expect(slots.provisionedSlotMask).toBe(0b0010_0000);
  });

  it('refuses slots out of range or unsupported, and malformed chains', () => {
    const slots = new CertSlots({ hash: sha384, supportedSlotMask: 0x01 });
    expect(() => slots.set(8, chain)).toThrow(RangeError);
    expect(() => slots.set(1, chain)).toThrow(/supportedSlotMask/);
    expect(spdmErrorOf(() => slots.set(0, chain.subarray(0, 100))).code).toBe('InvalidMsgField');
    // The same chain read with the wrong hash size does not split into certificates.
    const sha256 = new CertSlots({ hash: hashInfo(1) });
    expect(spdmErrorOf(() => sha256.set(0, chain)).code).toBe('InvalidCertificate');
    expect(() => new CertSlots({ hash: sha384, supportedSlotMask: 0 })).toThrow(RangeError);
  });

  it('slices portions for CERTIFICATE that reassemble to the chain', () => {
    const slots = new CertSlots({ hash: sha384 });
    slots.set(0, chain);
    const asm = new CertChainAssembler();
    let responses = 0;
    while (!asm.complete) {
      const { portion, remainderLength } = slots.portion(0, asm.offset, asm.nextLength(0x1000), 300);
      expect(portion.length).toBeLessThanOrEqual(300);
      asm.add(portion, remainderLength);
      responses++;
    }
    expect(asm.finish()).toEqual(chain);
    expect(responses).toBe(Math.ceil(chain.length / 300));
    const last = slots.portion(0, chain.length - 1, 10);
    expect([last.portion.length, last.remainderLength]).toEqual([1, 0]);
    const past = spdmErrorOf(() => slots.portion(0, chain.length, 10));
    expect([past.code, past.wireCode]).toEqual(['InvalidMsgField', 0x01]);
    expect(spdmErrorOf(() => slots.portion(3, 0, 10)).message).toMatch(/slot 3 holds no/);
  });
});
