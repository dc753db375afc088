import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { REQUEST_CODE } from '../../src/msgs/codes.js';
import { encodeToBytes as enc } from '../../src/msgs/encode.js';
import {
  checkKeyUpdateAck,
  decodeKeyUpdate,
  decodeKeyUpdateAck,
  encodeKeyUpdate,
  encodeKeyUpdateAck,
  KEY_UPDATE_OPERATION,
  type KeyUpdate,
  keyUpdateAckFor,
} from '../../src/msgs/key-update.js';
import {
  loadVectors,
  onlySpdmError,
  sessionsOf,
  spdmBytes,
  vectorSuite,
  vectorsPresent,
} from './session-vectors.js';

describe.skipIf(!vectorsPresent)(vectorSuite('KEY_UPDATE / KEY_UPDATE_ACK'), () => {
  for (const v of loadVectors()) {
    it(`${v.file}: UpdateAllKeys then VerifyNewKey, each ACK echoing its request`, () => {
      for (const s of sessionsOf(v)) {
        const reqs = s.messages.filter((m) => m.name === 'KEY_UPDATE').map((m) => spdmBytes(m));
        const acks = s.messages.filter((m) => m.name === 'KEY_UPDATE_ACK').map((m) => spdmBytes(m));
        expect(reqs).toHaveLength(2);
        expect(acks).toHaveLength(2);
        const decoded = reqs.map((b, i) => {
          const req = decodeKeyUpdate(b, s.params);
          const ack = decodeKeyUpdateAck(acks[i]!, s.params);
          expect(toHex(enc(encodeKeyUpdate, req))).toBe(toHex(b));
          expect(toHex(enc(encodeKeyUpdateAck, ack))).toBe(toHex(acks[i]!));
          checkKeyUpdateAck(req, ack);
          expect(keyUpdateAckFor(req)).toEqual(ack);
          return req.operation;
        });
        expect(decoded).toEqual([KEY_UPDATE_OPERATION.UpdateAllKeys, KEY_UPDATE_OPERATION.VerifyNewKey]);
      }
    });
  }
});

describe('KEY_UPDATE / KEY_UPDATE_ACK', () => {
  const arb = fc.record({
    code: fc.constant(REQUEST_CODE.KEY_UPDATE),
    version: fc.constantFrom(0x11, 0x12, 0x13),
    operation: fc.constantFrom(1 as const, 2 as const, 3 as const),
    tag: fc.integer({ min: 0, max: 255 }),
  });

  it('arbitrary valid requests and their ACKs round-trip', () => {
    fc.assert(
      fc.property(arb, (m: KeyUpdate) => {
        const b = enc(encodeKeyUpdate, m);
        expect(toHex(b)).toBe(toHex(Uint8Array.of(m.version, 0xe9, m.operation, m.tag)));
        expect(decodeKeyUpdate(b, m)).toEqual(m);
        const ack = keyUpdateAckFor(m);
        expect(decodeKeyUpdateAck(enc(encodeKeyUpdateAck, ack), m)).toEqual(ack);
      }),
    );
  });

  it('an ACK with another tag or operation is refused', () => {
    const req: KeyUpdate = { code: REQUEST_CODE.KEY_UPDATE, version: 0x12, operation: 1, tag: 0x42 };
    expect(() => checkKeyUpdateAck(req, { ...keyUpdateAckFor(req), tag: 0x43 })).toThrow(
      expect.objectContaining({ code: 'InvalidMsgField' }),
    );
    expect(() => checkKeyUpdateAck(req, { ...keyUpdateAckFor(req), operation: 2 })).toThrow(/echoes/);
  });

  const cases: [string, number[], string][] = [
    ['truncated', [0x12, 0xe9, 1], 'InvalidMsgSize'],
    ['extra byte', [0x12, 0xe9, 1, 0, 0], 'InvalidMsgSize'],
    ['wrong code', [0x12, 0xe8, 1, 0], 'InvalidMsgField'],
    ['other version', [0x11, 0xe9, 1, 0], 'InvalidMsgField'],
    ['KeyOperation 0', [0x12, 0xe9, 0, 0], 'InvalidMsgField'],
    ['KeyOperation 4', [0x12, 0xe9, 4, 0], 'InvalidMsgField'],
  ];
  it.each(cases)('%s', (_name, b, code) => {
    expect(() => decodeKeyUpdate(Uint8Array.from(b), { version: 0x12 })).toThrow(
      expect.objectContaining({ code }),
    );
    const ack = Uint8Array.from(b);
    ack[1] = ack[1] === 0xe9 ? 0x69 : 0xe9;
    expect(() => decodeKeyUpdateAck(ack, { version: 0x12 })).toThrow(expect.objectContaining({ code }));
  });

  it('encoders refuse unknown operations and out-of-range tags', () => {
    const m: KeyUpdate = { code: REQUEST_CODE.KEY_UPDATE, version: 0x12, operation: 1, tag: 0 };
    expect(() => enc(encodeKeyUpdate, { ...m, operation: 4 as 1 })).toThrow(RangeError);
    expect(() => enc(encodeKeyUpdate, { ...m, tag: 256 })).toThrow(RangeError);
  });

  it('arbitrary bytes: only SpdmError escapes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), fc.constantFrom(0x11, 0x12, 0x13), (b, version) => {
        onlySpdmError(() => decodeKeyUpdate(b, { version }));
        onlySpdmError(() => decodeKeyUpdateAck(b, { version }));
      }),
      { numRuns: 2000 },
    );
  });
});
