import { describe, expect, it } from 'vitest';
import {
  ASYMS,
  BASE_ASYM_ALGO,
  BASE_HASH_ALGO,
  DHE_GROUP,
  dheInfo,
  HASHES,
} from '../../src/crypto/algorithms.js';
import { sessionMsgParams } from '../../src/msgs/session-params.js';
import type { Suite } from '../../src/negotiated.js';

const find = <T extends { bit: number }>(t: readonly T[], bit: number): T => t.find((e) => e.bit === bit)!;

describe('sessionMsgParams', () => {
  const suite: Suite = {
    version: 0x13,
    hash: find(HASHES, BASE_HASH_ALGO.SHA_384),
    asym: find(ASYMS, BASE_ASYM_ALGO.ECDSA_P384),
    reqAsym: find(ASYMS, BASE_ASYM_ALGO.ECDSA_P256),
    dhe: dheInfo(DHE_GROUP.SECP384R1),
    aead: null,
  };

  it('takes H, S, requester S and D from the suite and the two switches from the caller', () => {
    expect(sessionMsgParams(suite, { measurementSummaryHashType: 1, handshakeInTheClear: false })).toEqual({
      version: 0x13,
      hashSize: 48,
      sigSize: 96,
      reqSigSize: 64,
      dheSize: 96,
      summaryHashPresent: true,
      handshakeInTheClear: false,
    });
    const p = sessionMsgParams(
      { ...suite, reqAsym: null },
      { measurementSummaryHashType: 0, handshakeInTheClear: true },
    );
    expect(p).toMatchObject({ reqSigSize: 0, summaryHashPresent: false, handshakeInTheClear: true });
  });

  it('refuses a suite without DHE or signature algorithm', () => {
    const sw = { measurementSummaryHashType: 0, handshakeInTheClear: false };
    expect(() => sessionMsgParams({ ...suite, dhe: null }, sw)).toThrow(TypeError);
    expect(() => sessionMsgParams({ ...suite, asym: null }, sw)).toThrow(TypeError);
  });
});
