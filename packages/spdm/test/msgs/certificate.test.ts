import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/codec/bytes.js';
import {
  type Certificate,
  decodeCertificate,
  decodeGetCertificate,
  encodeCertificate,
  encodeGetCertificate,
  type GetCertificate,
} from '../../src/msgs/certificate.js';
import {
  encodeWith,
  loadVector,
  onlySpdmErrors,
  paramsOf,
  spdmErrorOf,
  spdmOf,
  VECTOR_FILES,
  vectorsExist,
  vectorsTitle,
} from '../auth-vectors.js';

describe.skipIf(!vectorsExist)(vectorsTitle('GET_CERTIFICATE / CERTIFICATE against libspdm vectors'), () => {
  for (const file of VECTOR_FILES) {
    it(`${file}: every GET_CERTIFICATE and CERTIFICATE decodes and re-encodes byte-exact`, () => {
      const v = loadVector(file);
      const p = paramsOf(v);
      let request: GetCertificate | undefined;
      let seen = 0;
      for (const m of v.messages.slice(6, 22)) {
        const bytes = spdmOf(v, m.index);
        if (m.name === 'GET_CERTIFICATE') {
          request = decodeGetCertificate(bytes, p);
          expect(request).toMatchObject({ offset: 0, length: 0x11f8, slotSizeRequested: false });
          expect(toHex(encodeWith(encodeGetCertificate, request))).toBe(m.spdm_hex);
          seen++;
        } else if (m.name === 'CERTIFICATE') {
          const c = decodeCertificate(bytes, { ...p, maxPortionLength: request!.length });
          expect(c.slotId).toBe(request!.slotId);
          expect(c.remainderLength).toBe(0);
          expect(c.certificateInfo).toBe(0);
          const chain = c.slotId === 0 ? v.certs.responder_chain_hex : v.certs.responder_chain_slot1_hex;
          expect(toHex(c.portion)).toBe(chain);
          expect(toHex(encodeWith(encodeCertificate, c))).toBe(m.spdm_hex);
          seen++;
        }
      }
      expect(seen).toBe(6);
    });
  }
});

describe('CERTIFICATE bounds', () => {
  const msg = (hdr: string, portion: number, remainder: number, body: number) => {
    const b = new Uint8Array(8 + body);
    b.set(fromHex(hdr));
    new DataView(b.buffer).setUint16(4, portion, true);
    new DataView(b.buffer).setUint16(6, remainder, true);
    return b;
  };

  it('refuses a PortionLength beyond the message before reading the portion', () => {
    const err = spdmErrorOf(() =>
      decodeCertificate(msg('13020000', 0xffff, 0, 16), { version: 0x13, maxPortionLength: 0xffff }),
    );
    expect(err.code).toBe('InvalidMsgSize');
    expect(err.message).toMatch(/PortionLength 65535 but 16 byte\(s\)/);
  });

  it('refuses a PortionLength shorter than the message (trailing bytes)', () => {
    const err = spdmErrorOf(() =>
      decodeCertificate(msg('13020000', 8, 0, 16), { version: 0x13, maxPortionLength: 100 }),
    );
    expect(err.code).toBe('InvalidMsgSize');
  });

  it("refuses a PortionLength above the caller's maximum even when the bytes are there", () => {
    const err = spdmErrorOf(() =>
      decodeCertificate(msg('13020000', 100, 0, 100), { version: 0x13, maxPortionLength: 99 }),
    );
    expect(err.code).toBe('InvalidMsgField');
    expect(err.message).toMatch(/exceeds the maximum 99/);
  });

  it('returns the portion as a view of the input (no copy)', () => {
    const b = msg('13020300', 5, 7, 5);
    const c = decodeCertificate(b, { version: 0x13, maxPortionLength: 5 });
    expect(c.slotId).toBe(3);
    expect(c.portion.buffer).toBe(b.buffer);
    expect(c.portion.byteOffset).toBe(8);
  });

  it('checks slot, reserved bits and the 1.3 certificate model', () => {
    const p = { version: 0x13, maxPortionLength: 10 };
    expect(spdmErrorOf(() => decodeCertificate(msg('13020800', 0, 0, 0), p)).message).toMatch(/SlotID 8/);
    expect(spdmErrorOf(() => decodeCertificate(msg('13021000', 0, 0, 0), p)).message).toMatch(/reserved/);
    expect(spdmErrorOf(() => decodeCertificate(msg('13020004', 0, 0, 0), p)).message).toMatch(/model 4/);
    expect(decodeCertificate(msg('13020003', 0, 0, 0), p).certificateInfo).toBe(3);
    expect(
      spdmErrorOf(() => decodeCertificate(msg('12020001', 0, 0, 0), { version: 0x12, maxPortionLength: 1 }))
        .code,
    ).toBe('InvalidMsgField');
  });

  it('GET_CERTIFICATE: SlotSizeRequested only in 1.3, size exactly 8', () => {
    expect(decodeGetCertificate(fromHex('138202010000f811'), { version: 0x13 }).slotSizeRequested).toBe(true);
    expect(() => decodeGetCertificate(fromHex('128202010000f811'), { version: 0x12 })).toThrow(/reserved/);
    expect(() => decodeGetCertificate(fromHex('138200000000f8'), { version: 0x13 })).toThrow(/expected 8/);
    expect(() => decodeGetCertificate(fromHex('138209000000f811'), { version: 0x13 })).toThrow(/SlotID 9/);
    expect(() =>
      encodeWith(encodeGetCertificate, {
        code: 0x82,
        version: 0x12,
        slotId: 0,
        slotSizeRequested: true,
        offset: 0,
        length: 1,
      }),
    ).toThrow(TypeError);
  });
});

describe('CERTIFICATE fuzz', () => {
  const versionArb = fc.constantFrom(0x10, 0x11, 0x12, 0x13);

  it('arbitrary bytes give only SpdmError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        versionArb,
        fc.integer({ min: 0, max: 0xffff }),
        (b, version, max) => {
          onlySpdmErrors(() => decodeGetCertificate(b, { version }));
          onlySpdmErrors(() => decodeCertificate(b, { version, maxPortionLength: max }));
          const hdr = Uint8Array.of(version, 0x02, ...b);
          onlySpdmErrors(() => decodeCertificate(hdr, { version, maxPortionLength: max }));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('arbitrary valid GET_CERTIFICATE and CERTIFICATE round-trip', () => {
    const reqArb = fc.record({
      code: fc.constant(0x82 as const),
      version: versionArb,
      slotId: fc.integer({ min: 0, max: 7 }),
      slotSizeRequested: fc.boolean(),
      offset: fc.integer({ min: 0, max: 0xffff }),
      length: fc.integer({ min: 0, max: 0xffff }),
    });
    fc.assert(
      fc.property(reqArb, (m) => {
        const req: GetCertificate = { ...m, slotSizeRequested: m.slotSizeRequested && m.version === 0x13 };
        const bytes = encodeWith(encodeGetCertificate, req);
        expect(decodeGetCertificate(bytes, req)).toEqual(req);
      }),
    );
    const rspArb = fc.record({
      code: fc.constant(0x02 as const),
      version: versionArb,
      slotId: fc.integer({ min: 0, max: 7 }),
      certificateInfo: fc.integer({ min: 0, max: 3 }),
      portion: fc.uint8Array({ maxLength: 200 }),
      remainderLength: fc.integer({ min: 0, max: 0xffff }),
    });
    fc.assert(
      fc.property(rspArb, (m) => {
        const rsp: Certificate = { ...m, certificateInfo: m.version === 0x13 ? m.certificateInfo : 0 };
        const bytes = encodeWith(encodeCertificate, rsp);
        const back = decodeCertificate(bytes, { version: rsp.version, maxPortionLength: rsp.portion.length });
        expect(back).toEqual(rsp);
        expect(encodeWith(encodeCertificate, back)).toEqual(bytes);
      }),
    );
  });
});
