import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { aeadInfo, asymInfo, dheInfo, hashInfo } from '../../src/crypto/algorithms.js';
import { SIGNING_CONTEXT } from '../../src/crypto/signing-context.js';
import { cryptoSuite } from '../../src/crypto/suite.js';
import { keyExchangeRspSignedTranscript } from '../../src/crypto/transcript.js';
import type { SpdmVersion } from '../../src/msgs/codes.js';
import type { Suite } from '../../src/negotiated.js';
import { MCTP_RECORD_PARAMS, RecordDirection } from '../../src/session/record.js';
import {
  aeadBit,
  asymBit,
  chainLeafKey,
  dheBit,
  hashBit,
  hx,
  loadAllVectors,
  reqAsymBit,
  sessionMessages,
  VECTORS_ABSENT_MESSAGE,
  VECTORS_PRESENT,
  type VectorFile,
  vca,
  vectorKeyFile,
  versionByte,
} from './libspdm-vectors.js';

if (!VECTORS_PRESENT) console.warn(VECTORS_ABSENT_MESSAGE);

function suiteOfVector(v: VectorFile): Suite {
  return {
    version: versionByte(v) as SpdmVersion,
    hash: hashInfo(hashBit(v)),
    asym: asymInfo(asymBit(v)),
    reqAsym: asymInfo(reqAsymBit(v)),
    dhe: dheInfo(dheBit(v)),
    aead: aeadInfo(aeadBit(v)),
  };
}

describe.skipIf(!VECTORS_PRESENT)('CryptoSuite on the recorded algorithms', () => {
  for (const v of loadAllVectors()) {
    it(`${v.name}: verifies the recorded KEY_EXCHANGE_RSP signature; signs with the sample key`, () => {
      const cs = cryptoSuite(suiteOfVector(v));
      const H = cs.hash.size;
      const S = cs.asym!.sigSize;
      const msgs = sessionMessages(v, 0);
      const parts = {
        hash: cs.hash,
        vca: vca(v),
        certChainHash: cs.digest(hx(v.certs.responder_chain_hex)),
        keyExchange: msgs.keyExchange,
        keyExchangeRsp: msgs.keyExchangeRsp,
        signatureSize: S,
        responderVerifyDataSize: H,
      };
      const t = keyExchangeRspSignedTranscript(parts);
      const kr = msgs.keyExchangeRsp;
      const sig = kr.subarray(kr.length - S - H, kr.length - H);
      const leaf = chainLeafKey(hx(v.certs.responder_chain_hex), H);
      const ctx = SIGNING_CONTEXT.RESPONDER_KEY_EXCHANGE_RSP;
      expect(cs.verify('responder', leaf, ctx, t, sig)).toBe(true);
      expect(cs.verify('responder', leaf, ctx, t.bytes(), sig)).toBe(true);
      expect(cs.verify('responder', leaf, SIGNING_CONTEXT.REQUESTER_FINISH, t, sig)).toBe(false);

      const dir = H === 32 ? 'ecp256' : 'ecp384';
      const priv = createPrivateKey(vectorKeyFile(`keys/${dir}/end_responder.key`));
      const ours = cs.sign('responder', priv, ctx, t);
      expect(cs.verify('responder', leaf, ctx, t, ours)).toBe(true);
    });
  }
});

describe('CryptoSuite end to end', () => {
  const suite: Suite = {
    version: 0x13,
    hash: hashInfo(1 << 0),
    asym: asymInfo(1 << 4),
    reqAsym: null,
    dhe: dheInfo(1 << 3),
    aead: aeadInfo(1 << 2),
  };

  it('two sides reach the same keys and exchange records', () => {
    const cs = cryptoSuite(suite);
    const req = cs.generateDhe();
    const rsp = cs.generateDhe();
    const s1 = req.computeSecret(rsp.exchangeData);
    const s2 = rsp.computeSecret(req.exchangeData);
    const a = cs.keySchedule(s1);
    const b = cs.keySchedule(s2);
    s1.fill(0);
    s2.fill(0);
    const th1 = cs.digest(Uint8Array.of(1));
    a.deriveHandshakeSecrets(th1);
    b.deriveHandshakeSecrets(th1);
    expect(toHex(a.verifyData('response', th1))).toBe(toHex(b.verifyData('response', th1)));
    const th2 = cs.digest(Uint8Array.of(2));
    a.deriveDataSecrets(th2);
    b.deriveDataSecrets(th2);
    const tx = new RecordDirection(MCTP_RECORD_PARAMS, a.dataKeys('request'), 0xffffffff);
    const rx = new RecordDirection(MCTP_RECORD_PARAMS, b.dataKeys('request'), 0xffffffff);
    const msg = Uint8Array.of(5, 0x13, 0xe8, 0, 0);
    expect([...rx.open(tx.seal(msg))]).toEqual([...msg]);
    tx.rekey(a.updateDataKeys('request'));
    rx.rekey(b.updateDataKeys('request'));
    expect([...rx.open(tx.seal(msg))]).toEqual([...msg]);
  });

  it('refuses to sign for a side without a negotiated algorithm', () => {
    const cs = cryptoSuite(suite);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    expect(() =>
      cs.sign('requester', privateKey, SIGNING_CONTEXT.REQUESTER_FINISH, Uint8Array.of(1)),
    ).toThrow(RangeError);
    expect(
      cs.sign('responder', privateKey, SIGNING_CONTEXT.RESPONDER_MEASUREMENTS, Uint8Array.of(1)).length,
    ).toBe(64);
    expect(() => cryptoSuite({ ...suite, dhe: null }).generateDhe()).toThrow(RangeError);
  });
});
