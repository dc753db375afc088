/**
 * The option parsers of `tq spdm`: HOST:PORT (IPv6 brackets, port ranges), version lists, and
 * the --algorithms syntax (loose spellings, `none`, repetition, and every kind of mistake
 * rejected as a commander InvalidArgumentError).
 */
import {
  AEAD_SUITE,
  BASE_ASYM_ALGO,
  BASE_HASH_ALGO,
  DHE_GROUP,
  MEASUREMENT_HASH_ALGO,
} from '@trust-quorum/spdm/crypto/algorithms';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { algorithmsArg, hostPortArg, msArg, versionsArg } from '../../src/cli/spdm-options.js';

describe('tq spdm option parsers', () => {
  it('HOST:PORT', () => {
    expect(hostPortArg(true)('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(hostPortArg(false)('localhost:4194')).toEqual({ host: 'localhost', port: 4194 });
    expect(hostPortArg(false)('[::1]:65535')).toEqual({ host: '::1', port: 65535 });
    for (const bad of ['127.0.0.1', ':4194', '127.0.0.1:65536', '::1:4194', 'a b:1', '[::1]:', 'h:-1']) {
      expect(() => hostPortArg(true)(bad), bad).toThrow(InvalidArgumentError);
    }
    expect(() => hostPortArg(false)('127.0.0.1:0')).toThrow(InvalidArgumentError);
  });

  it('version lists keep their order and refuse unknown or repeated versions', () => {
    expect(versionsArg('1.3,1.1')).toEqual([0x13, 0x11]);
    expect(versionsArg('1.2')).toEqual([0x12]);
    for (const bad of ['1.0', '1.4', '1.2,1.2', '', '1.2,,1.3', '13']) {
      expect(() => versionsArg(bad), bad).toThrow(InvalidArgumentError);
    }
  });

  it('milliseconds', () => {
    expect(msArg('300')).toBe(300);
    for (const bad of ['0', '-1', '1.5', 'abc', '99999999999']) expect(() => msArg(bad), bad).toThrow();
  });

  it('--algorithms: spellings, order, none, repetition', () => {
    const spec = algorithmsArg('hash=sha384,SHA_256 asym=ed25519,ecdsa-p384 dhe=SECP_384_R1');
    expect(spec).toEqual({
      baseHash: [BASE_HASH_ALGO.SHA_384, BASE_HASH_ALGO.SHA_256],
      baseAsym: [BASE_ASYM_ALGO.EDDSA_ED25519, BASE_ASYM_ALGO.ECDSA_P384],
      dhe: [DHE_GROUP.SECP384R1],
    });
    const more = algorithmsArg('aead=chacha20-poly1305,aes-256-gcm  meas-hash=sha3-384', spec);
    expect(more).toMatchObject({
      baseHash: spec.baseHash,
      aead: [AEAD_SUITE.CHACHA20_POLY1305, AEAD_SUITE.AES_256_GCM],
      measurementHash: [MEASUREMENT_HASH_ALGO.SHA3_384],
    });
    expect(algorithmsArg('req-asym=none')).toEqual({ reqBaseAsym: [] });
  });

  it('--algorithms: mistakes are usage errors', () => {
    for (const bad of [
      'hash',
      '=sha256',
      'sha256',
      'cipher=aes-256-gcm',
      'hash=md5',
      'hash=sha256,sha256',
      'hash=sha256 hash=sha384',
      'dhe=ffdhe2048', // not a group this stack runs
      'asym=ecdsa-p256,',
    ]) {
      expect(() => algorithmsArg(bad), bad).toThrow(InvalidArgumentError);
    }
    expect(() => algorithmsArg('hash=sha384', algorithmsArg('hash=sha256'))).toThrow(/given twice/);
  });
});
