import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { REQUEST_CODE, RESPONSE_CODE } from '../../src/msgs/codes.js';
import { encodeToBytes as enc } from '../../src/msgs/encode.js';
import {
  decodeHeartbeat,
  decodeHeartbeatAck,
  encodeHeartbeat,
  encodeHeartbeatAck,
} from '../../src/msgs/heartbeat.js';
import {
  loadVectors,
  onlySpdmError,
  sessionsOf,
  spdmBytes,
  vectorSuite,
  vectorsPresent,
} from './session-vectors.js';

describe.skipIf(!vectorsPresent)(vectorSuite('HEARTBEAT / HEARTBEAT_ACK'), () => {
  for (const v of loadVectors()) {
    it(`${v.file}: every HEARTBEAT(_ACK) decodes and re-encodes byte for byte`, () => {
      let n = 0;
      for (const s of sessionsOf(v)) {
        for (const m of s.messages) {
          if (m.name === 'HEARTBEAT') {
            const b = spdmBytes(m);
            expect(toHex(enc(encodeHeartbeat, decodeHeartbeat(b, s.params)))).toBe(toHex(b));
            n++;
          } else if (m.name === 'HEARTBEAT_ACK') {
            const b = spdmBytes(m);
            expect(toHex(enc(encodeHeartbeatAck, decodeHeartbeatAck(b, s.params)))).toBe(toHex(b));
            n++;
          }
        }
      }
      expect(n).toBe(4);
    });
  }
});

describe('HEARTBEAT / HEARTBEAT_ACK', () => {
  it('are bare headers', () => {
    expect(toHex(enc(encodeHeartbeat, { code: REQUEST_CODE.HEARTBEAT, version: 0x12 }))).toBe('12e80000');
    expect(toHex(enc(encodeHeartbeatAck, { code: RESPONSE_CODE.HEARTBEAT_ACK, version: 0x11 }))).toBe(
      '11680000',
    );
    expect(() => enc(encodeHeartbeat, { code: REQUEST_CODE.HEARTBEAT, version: 0x10 })).toThrow(RangeError);
  });

  const cases: [string, number[], string][] = [
    ['truncated', [0x12, 0xe8, 0], 'InvalidMsgSize'],
    ['extra byte', [0x12, 0xe8, 0, 0, 0], 'InvalidMsgSize'],
    ['wrong code', [0x12, 0x68, 0, 0], 'InvalidMsgField'],
    ['other version', [0x13, 0xe8, 0, 0], 'InvalidMsgField'],
    ['non-zero Param1', [0x12, 0xe8, 1, 0], 'InvalidMsgField'],
    ['non-zero Param2', [0x12, 0xe8, 0, 0x80], 'InvalidMsgField'],
  ];
  it.each(cases)('HEARTBEAT %s', (_name, b, code) => {
    expect(() => decodeHeartbeat(Uint8Array.from(b), { version: 0x12 })).toThrow(
      expect.objectContaining({ code }),
    );
  });
  it('HEARTBEAT_ACK rejects a HEARTBEAT and non-zero params', () => {
    expect(() => decodeHeartbeatAck(Uint8Array.of(0x12, 0xe8, 0, 0), { version: 0x12 })).toThrow(
      /unexpected code/,
    );
    expect(() => decodeHeartbeatAck(Uint8Array.of(0x12, 0x68, 0, 1), { version: 0x12 })).toThrow(
      expect.objectContaining({ code: 'InvalidMsgField' }),
    );
  });

  it('arbitrary bytes: only SpdmError escapes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), fc.constantFrom(0x11, 0x12, 0x13), (b, version) => {
        onlySpdmError(() => decodeHeartbeat(b, { version }));
        onlySpdmError(() => decodeHeartbeatAck(b, { version }));
      }),
      { numRuns: 2000 },
    );
  });
});
