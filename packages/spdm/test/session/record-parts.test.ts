/**
 * Sealing from parts: appMessageParts joined is exactly encodeAppMessage (TCP and MCTP, data and
 * end), and a record sealed from parts is byte for byte the record sealed from their
 * concatenation (encrypted and MAC-only, with fixed padding), and opens to it.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AeadKeys } from '../../src/crypto/aead.js';
import { AEAD_SUITE, aeadInfo } from '../../src/crypto/algorithms.js';
import { appMessageParts, encodeAppMessage } from '../../src/session/app-data.js';
import {
  MCTP_RECORD_PARAMS,
  openRecord,
  type RecordParams,
  sealRecord,
  TCP_RECORD_PARAMS,
} from '../../src/session/record.js';
import { MCTP_SECURED_PARAMS, TCP_SECURED_PARAMS } from '../../src/transport/secured-params.js';

const aead = aeadInfo(AEAD_SUITE.AES_256_GCM);
const keys = () => new AeadKeys(aead, new Uint8Array(key), new Uint8Array(iv));
const key = randomBytes(32);
const iv = randomBytes(12);

describe('sealing from parts', () => {
  it('appMessageParts joined is encodeAppMessage', () => {
    for (const params of [TCP_SECURED_PARAMS, MCTP_SECURED_PARAMS]) {
      const payload = new Uint8Array(randomBytes(300));
      const parts = appMessageParts(params, 'data', payload);
      expect(parts[1]).toBe(payload);
      expect(Buffer.concat(parts).equals(Buffer.from(encodeAppMessage(params, 'data', payload)))).toBe(true);
      const end = appMessageParts(params, 'end');
      expect(Buffer.concat(end).equals(Buffer.from(encodeAppMessage(params, 'end')))).toBe(true);
      expect(() => appMessageParts(params, 'data', new Uint8Array(0))).toThrow(RangeError);
      expect(() => appMessageParts(params, 'end', payload)).toThrow(RangeError);
    }
  });

  it('a record sealed from parts equals the record sealed from their concatenation', () => {
    const cases: [string, RecordParams, Uint8Array | undefined][] = [
      ['TCP', TCP_RECORD_PARAMS, undefined],
      ['MCTP', MCTP_RECORD_PARAMS, Uint8Array.of(1, 2, 3)],
      ['MAC-only', { ...TCP_RECORD_PARAMS, macOnly: true }, undefined],
    ];
    for (const [name, params, pad] of cases) {
      const parts = [new Uint8Array(randomBytes(5)), new Uint8Array(0), new Uint8Array(randomBytes(4000))];
      const joined = new Uint8Array(Buffer.concat(parts));
      const a = sealRecord(params, keys(), 7n, 0x10002, parts, pad);
      const b = sealRecord(params, keys(), 7n, 0x10002, joined, pad);
      expect(Buffer.from(a).equals(Buffer.from(b)), name).toBe(true);
      expect(Buffer.from(openRecord(params, keys(), 7n, 0x10002, a)).equals(Buffer.from(joined)), name).toBe(
        true,
      );
    }
  });
});
