import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { REQUEST_CODE, RESPONSE_CODE } from '../../src/msgs/codes.js';
import { encodeToBytes as enc } from '../../src/msgs/encode.js';
import {
  decodeEndSession,
  decodeEndSessionAck,
  encodeEndSession,
  encodeEndSessionAck,
} from '../../src/msgs/end-session.js';
import {
  loadVectors,
  onlySpdmError,
  sessionsOf,
  spdmBytes,
  vectorSuite,
  vectorsPresent,
} from './session-vectors.js';

describe.skipIf(!vectorsPresent)(vectorSuite('END_SESSION / END_SESSION_ACK'), () => {
  for (const v of loadVectors()) {
    it(`${v.file}: each session ends with END_SESSION, END_SESSION_ACK (byte for byte)`, () => {
      for (const s of sessionsOf(v)) {
        const [req, ack] = s.messages.slice(-2);
        expect([req!.name, ack!.name]).toEqual(['END_SESSION', 'END_SESSION_ACK']);
        const m = decodeEndSession(spdmBytes(req!), s.params);
        expect(m.negotiatedStateClearing).toBe(false);
        expect(toHex(enc(encodeEndSession, m))).toBe(req!.spdm_hex);
        const a = decodeEndSessionAck(spdmBytes(ack!), s.params);
        expect(toHex(enc(encodeEndSessionAck, a))).toBe(ack!.spdm_hex);
      }
    });
  }
});

describe('END_SESSION / END_SESSION_ACK', () => {
  it('NegotiatedStateClearing is Param1 bit 0, and round-trips', () => {
    for (const clear of [false, true]) {
      const m = { code: REQUEST_CODE.END_SESSION, version: 0x13, negotiatedStateClearing: clear } as const;
      const b = enc(encodeEndSession, m);
      expect(toHex(b)).toBe(clear ? '13ec0100' : '13ec0000');
      expect(decodeEndSession(b, m)).toEqual(m);
    }
    const ack = { code: RESPONSE_CODE.END_SESSION_ACK, version: 0x11 } as const;
    expect(decodeEndSessionAck(enc(encodeEndSessionAck, ack), ack)).toEqual(ack);
  });

  const cases: [string, number[], string][] = [
    ['truncated', [0x12, 0xec, 0], 'InvalidMsgSize'],
    ['extra byte', [0x12, 0xec, 0, 0, 0], 'InvalidMsgSize'],
    ['wrong code', [0x12, 0x6c, 0, 0], 'InvalidMsgField'],
    ['other version', [0x13, 0xec, 0, 0], 'InvalidMsgField'],
    ['reserved Param1 bit', [0x12, 0xec, 2, 0], 'InvalidMsgField'],
    ['non-zero Param2', [0x12, 0xec, 1, 1], 'InvalidMsgField'],
  ];
  it.each(cases)('END_SESSION %s', (_name, b, code) => {
    expect(() => decodeEndSession(Uint8Array.from(b), { version: 0x12 })).toThrow(
      expect.objectContaining({ code }),
    );
  });
  it('END_SESSION_ACK has no flags', () => {
    expect(() => decodeEndSessionAck(Uint8Array.of(0x12, 0x6c, 1, 0), { version: 0x12 })).toThrow(
      expect.objectContaining({ code: 'InvalidMsgField' }),
    );
  });

  it('arbitrary bytes: only SpdmError escapes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), fc.constantFrom(0x11, 0x12, 0x13), (b, version) => {
        onlySpdmError(() => decodeEndSession(b, { version }));
        onlySpdmError(() => decodeEndSessionAck(b, { version }));
      }),
      { numRuns: 2000 },
    );
  });
});
