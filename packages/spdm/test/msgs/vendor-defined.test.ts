import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { REQUEST_CODE, RESPONSE_CODE } from '../../src/msgs/codes.js';
import { encodeToBytes as enc } from '../../src/msgs/encode.js';
import { REGISTRY_ID } from '../../src/msgs/opaque-data.js';
import {
  decodeVendorDefinedRequest,
  decodeVendorDefinedResponse,
  encodeVendorDefinedRequest,
  encodeVendorDefinedResponse,
  type VendorDefinedRequest,
} from '../../src/msgs/vendor-defined.js';
import { onlySpdmError } from './session-vectors.js';

const PCI: VendorDefinedRequest = {
  code: REQUEST_CODE.VENDOR_DEFINED_REQUEST,
  version: 0x12,
  standardId: REGISTRY_ID.PCISIG,
  vendorId: Uint8Array.of(0x86, 0x80),
  payload: Uint8Array.of(1, 2, 3),
};

describe('VENDOR_DEFINED_REQUEST / _RESPONSE', () => {
  it('lays out StandardID, Len, VendorID, length, payload', () => {
    const b = enc(encodeVendorDefinedRequest, PCI);
    expect(toHex(b)).toBe('12fe0000' + '0300' + '02' + '8680' + '0300' + '010203');
    expect(decodeVendorDefinedRequest(b, PCI)).toEqual(PCI);
    const rsp = { ...PCI, code: RESPONSE_CODE.VENDOR_DEFINED_RESPONSE, version: 0x10 } as const;
    const r = enc(encodeVendorDefinedResponse, rsp);
    expect(toHex(r.subarray(0, 2))).toBe('107e');
    expect(decodeVendorDefinedResponse(r, rsp)).toEqual(rsp);
  });

  it('arbitrary valid messages round-trip', () => {
    const arb = fc.record({
      code: fc.constant(REQUEST_CODE.VENDOR_DEFINED_REQUEST),
      version: fc.constantFrom(0x10, 0x11, 0x12, 0x13),
      standardId: fc.integer({ min: 0, max: 0xffff }),
      vendorId: fc.uint8Array({ maxLength: 255 }),
      payload: fc.uint8Array({ maxLength: 2000 }),
    });
    fc.assert(
      fc.property(arb, (m) => {
        const b = enc(encodeVendorDefinedRequest, m);
        expect(b.length).toBe(9 + m.vendorId.length + m.payload.length);
        expect(decodeVendorDefinedRequest(b, m)).toEqual(m);
      }),
    );
  });

  const base = enc(encodeVendorDefinedRequest, PCI);
  const patch = (at: number, ...v: number[]) => {
    const c = base.slice();
    c.set(v, at);
    return c;
  };
  const cases: [string, Uint8Array, string][] = [
    ['too short for the fixed fields', base.subarray(0, 8), 'InvalidMsgSize'],
    ['truncated payload', base.subarray(0, base.length - 1), 'InvalidMsgSize'],
    ['extra byte', Uint8Array.from([...base, 0]), 'InvalidMsgSize'],
    ['VendorID length past end', patch(6, 0xff), 'InvalidMsgSize'],
    ['payload length past end', patch(9, 4, 0), 'InvalidMsgSize'],
    ['wrong code', patch(1, 0x7e), 'InvalidMsgField'],
    ['non-zero Param1', patch(2, 1), 'InvalidMsgField'],
    ['other version', patch(0, 0x13), 'InvalidMsgField'],
  ];
  it.each(cases)('%s', (_name, b, code) => {
    expect(() => decodeVendorDefinedRequest(b, { version: 0x12 })).toThrow(expect.objectContaining({ code }));
  });

  it('a payload over maxPayloadSize is TooLarge before it is read', () => {
    expect(() =>
      decodeVendorDefinedRequest(patch(9, 0xff, 0xff), { version: 0x12, maxPayloadSize: 2 }),
    ).toThrow(expect.objectContaining({ code: 'TooLarge', wireCode: 0x0e }));
    expect(() => decodeVendorDefinedRequest(base, { version: 0x12, maxPayloadSize: 2 })).toThrow(
      expect.objectContaining({ code: 'TooLarge' }),
    );
    expect(decodeVendorDefinedRequest(base, { version: 0x12, maxPayloadSize: 3 }).payload).toHaveLength(3);
  });

  it('arbitrary bytes: only SpdmError escapes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.constantFrom(0x10, 0x12),
        fc.nat(40),
        (b, version, max) => {
          onlySpdmError(() => decodeVendorDefinedRequest(b, { version, maxPayloadSize: max }));
          onlySpdmError(() => decodeVendorDefinedResponse(b, { version }));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
