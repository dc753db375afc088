import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/codec/bytes.js';
import { ByteReader } from '../../src/codec/reader.js';
import { SpdmError } from '../../src/errors.js';
import { REQUEST_CODE, RESPONSE_CODE } from '../../src/msgs/codes.js';
import { encodeToBytes } from '../../src/msgs/encode.js';
import {
  decodeGetVersion,
  decodeVersion,
  encodeGetVersion,
  encodeVersion,
  entryVersionByte,
  versionEntry,
} from '../../src/msgs/version.js';
import { mutated, onlySpdmError, version } from './vca-arbitraries.js';

describe('GET_VERSION', () => {
  it('encodes and decodes `10 84 00 00` (spdm-reference §2.1)', () => {
    expect(toHex(encodeToBytes(encodeGetVersion, { code: REQUEST_CODE.GET_VERSION }))).toBe('10840000');
    expect(decodeGetVersion(fromHex('10840000'))).toEqual({ code: REQUEST_CODE.GET_VERSION });
  });

  it('decodes from a ByteReader bounded to the message', () => {
    const buf = fromHex('ff10840000ff');
    expect(decodeGetVersion(new ByteReader(buf, 1, 5)).code).toBe(REQUEST_CODE.GET_VERSION);
  });

  it.each([
    ['11840000', 'VersionMismatch'],
    ['1284000000', 'VersionMismatch'],
    ['108400', 'InvalidMsgSize'],
    ['1084000000', 'InvalidMsgSize'],
    ['10840100', 'InvalidMsgField'],
    ['10840001', 'InvalidMsgField'],
    ['10e10000', 'InvalidMsgField'],
  ])('refuses %s with %s', (hex, code) => {
    expect(() => decodeGetVersion(fromHex(hex))).toThrow(expect.objectContaining({ code }));
  });

  it('a wrong version byte carries wire code VersionMismatch', () => {
    try {
      decodeGetVersion(fromHex('13840000'));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SpdmError);
      expect((e as SpdmError).wireCode).toBe(0x41);
    }
  });
});

describe('VERSION', () => {
  it('decodes `10 04 00 00 00 01 00 12` as one entry, SPDM 1.2 (spdm-reference §2.1)', () => {
    const m = decodeVersion(fromHex('1004000000010012'));
    expect(m).toEqual({ code: RESPONSE_CODE.VERSION, entries: [0x1200] });
    expect(entryVersionByte(m.entries[0] ?? 0)).toBe(0x12);
    expect(toHex(encodeToBytes(encodeVersion, m))).toBe('1004000000010012');
  });

  it('encodes three versions with Update/Alpha nibbles kept', () => {
    const m = { code: RESPONSE_CODE.VERSION, entries: [0x1100, 0x1200, 0x1321] } as const;
    expect(toHex(encodeToBytes(encodeVersion, m))).toBe('1004000000030011001221' + '13');
    expect(versionEntry(0x13)).toBe(0x1300);
  });

  it.each([
    ['1104000000010012', 'VersionMismatch'],
    ['10040000000100', 'InvalidMsgSize'],
    ['100400000001001200', 'InvalidMsgSize'],
    ['1004000001010012', 'InvalidMsgField'],
    ['1004010000010012', 'InvalidMsgField'],
    ['1005000000010012', 'InvalidMsgField'],
  ])('refuses %s with %s', (hex, code) => {
    expect(() => decodeVersion(fromHex(hex))).toThrow(expect.objectContaining({ code }));
  });

  it('round-trips any entry list', () => {
    fc.assert(
      fc.property(version, (m) => {
        expect(decodeVersion(encodeToBytes(encodeVersion, m))).toEqual(m);
      }),
    );
  });

  it('decoders throw only SpdmError on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        onlySpdmError(() => decodeVersion(b));
        onlySpdmError(() => decodeGetVersion(b));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        version.chain((m) => mutated(encodeToBytes(encodeVersion, m))),
        (b) => onlySpdmError(() => decodeVersion(b)),
      ),
    );
  });
});
