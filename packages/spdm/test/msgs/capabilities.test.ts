import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/codec/bytes.js';
import {
  CAP,
  CAPABILITY_FLAGS,
  type Capabilities,
  capabilitiesSize,
  capabilityMask,
  capabilityNames,
  capField,
  capsForVersion,
  checkRequesterCaps,
  checkResponderCaps,
  decodeCapabilities,
  decodeGetCapabilities,
  encodeCapabilities,
  encodeGetCapabilities,
  getCapabilitiesSize,
  maskCapabilities,
} from '../../src/msgs/capabilities.js';
import { REQUEST_CODE, RESPONSE_CODE } from '../../src/msgs/codes.js';
import { encodeToBytes } from '../../src/msgs/encode.js';
import { capabilities, getCapabilities, mutated, offer, onlySpdmError } from './vca-arbitraries.js';

const VERSIONS = [0x10, 0x11, 0x12, 0x13] as const;

describe('GET_CAPABILITIES / CAPABILITIES layouts', () => {
  it('request sizes are 4 / 12 / 20 / 20 and response sizes 12 / 12 / 20 / 20 bytes', () => {
    expect(VERSIONS.map(getCapabilitiesSize)).toEqual([4, 12, 20, 20]);
    expect(VERSIONS.map(capabilitiesSize)).toEqual([12, 12, 20, 20]);
    for (const v of VERSIONS) {
      const req = { code: REQUEST_CODE.GET_CAPABILITIES, version: v, param1: 0, ctExponent: 0, flags: 0 };
      const sizes =
        v >= 0x12
          ? { dataTransferSize: 4608, maxSpdmMsgSize: 4608 }
          : { dataTransferSize: 0, maxSpdmMsgSize: 0 };
      expect(encodeToBytes(encodeGetCapabilities, { ...req, ...sizes }).length).toBe(getCapabilitiesSize(v));
      const rsp: Capabilities = {
        code: RESPONSE_CODE.CAPABILITIES,
        version: v,
        ctExponent: 0,
        flags: 0,
        ...sizes,
      };
      expect(encodeToBytes(encodeCapabilities, rsp).length).toBe(capabilitiesSize(v));
    }
  });

  it('decodes the recorded 1.2 request field by field', () => {
    const m = decodeGetCapabilities(fromHex('12e1000000000000c06200000012000000120000'));
    expect(m).toEqual({
      code: REQUEST_CODE.GET_CAPABILITIES,
      version: 0x12,
      param1: 0,
      ctExponent: 0,
      flags: CAP.ENCRYPT | CAP.MAC | CAP.KEY_EX | CAP.HBEAT | CAP.KEY_UPD,
      dataTransferSize: 4608,
      maxSpdmMsgSize: 4608,
    });
  });

  it('encodes a 1.1 request with CTExponent and Flags but no sizes', () => {
    const m = {
      code: REQUEST_CODE.GET_CAPABILITIES,
      version: 0x11,
      param1: 0,
      ctExponent: 12,
      flags: 0x62c0,
    } as const;
    expect(
      toHex(encodeToBytes(encodeGetCapabilities, { ...m, dataTransferSize: 0, maxSpdmMsgSize: 0 })),
    ).toBe('11e10000000c0000c0620000');
  });

  it.each([
    ['12e1000000000000c062000000120000001200', 'InvalidMsgSize'],
    ['11e1000000000000c06200000012000000120000', 'InvalidMsgSize'],
    ['12e1010000000000c06200000012000000120000', 'InvalidMsgField'],
    ['13e1020000000000c06200000012000000120000', 'InvalidMsgField'],
    ['12e1000001000000c06200000012000000120000', 'InvalidMsgField'],
    ['12e1000000000100c06200000012000000120000', 'InvalidMsgField'],
    ['14e1000000000000c06200000012000000120000', 'VersionMismatch'],
    ['12e3000000000000c06200000012000000120000', 'InvalidMsgField'],
  ])('GET_CAPABILITIES %s -> %s', (hex, code) => {
    expect(() => decodeGetCapabilities(fromHex(hex))).toThrow(expect.objectContaining({ code }));
  });

  it('checks the header version against an expected one', () => {
    const b = fromHex('12e1000000000000c06200000012000000120000');
    expect(() => decodeGetCapabilities(b, { version: 0x13 })).toThrow(
      expect.objectContaining({ code: 'VersionMismatch' }),
    );
  });

  it('a 1.3 response with Param1 bit0 carries the Supported Algorithms block (Length = 30 + 4n)', () => {
    const m: Capabilities = {
      code: RESPONSE_CODE.CAPABILITIES,
      version: 0x13,
      ctExponent: 0,
      flags: CAP.CHUNK,
      dataTransferSize: 4608,
      maxSpdmMsgSize: 8192,
      supportedAlgorithms: {
        measurementSpecification: 1,
        otherParamsSupport: 2,
        baseAsymAlgo: 0x10,
        baseHashAlgo: 1,
        melSpecification: 0,
        extAsym: [],
        extHash: [],
        algStructs: [{ algType: 2, algSupported: 8, external: [] }],
      },
    };
    const b = encodeToBytes(encodeCapabilities, m);
    expect(b.length).toBe(20 + 34);
    expect(toHex(b.subarray(0, 4))).toBe('13610100');
    expect(toHex(b.subarray(20, 24))).toBe('01002200');
    expect(decodeCapabilities(b)).toEqual(m);
    const bad = b.slice();
    bad[22] = 0x23;
    expect(() => decodeCapabilities(bad)).toThrow(expect.objectContaining({ code: 'InvalidMsgSize' }));
  });

  it.each(VERSIONS)('round-trips GET_CAPABILITIES and CAPABILITIES at 0x%s', (v) => {
    fc.assert(
      fc.property(getCapabilities(v), (m) => {
        expect(decodeGetCapabilities(encodeToBytes(encodeGetCapabilities, m))).toEqual(m);
      }),
    );
    fc.assert(
      fc.property(capabilities(v), (m) => {
        expect(decodeCapabilities(encodeToBytes(encodeCapabilities, m))).toEqual(m);
      }),
    );
  });

  it('decoders throw only SpdmError on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        onlySpdmError(() => decodeGetCapabilities(b));
        onlySpdmError(() => decodeCapabilities(b));
      }),
      { numRuns: 3000 },
    );
    const valid = fc.constantFrom(...VERSIONS).chain((v) => fc.tuple(getCapabilities(v), capabilities(v)));
    fc.assert(
      fc.property(
        valid.chain(([q, r]) =>
          fc.tuple(
            mutated(encodeToBytes(encodeGetCapabilities, q)),
            mutated(encodeToBytes(encodeCapabilities, r)),
          ),
        ),
        ([q, r]) => {
          onlySpdmError(() => decodeGetCapabilities(q));
          onlySpdmError(() => decodeCapabilities(r));
        },
      ),
    );
  });

  it('refuses a Supported Algorithms block with a wrong Length or trailing bytes', () => {
    fc.assert(
      fc.property(offer(0x13), fc.integer({ min: 1, max: 3 }), (o, extra) => {
        const m: Capabilities = {
          code: RESPONSE_CODE.CAPABILITIES,
          version: 0x13,
          ctExponent: 0,
          flags: 0,
          dataTransferSize: 42,
          maxSpdmMsgSize: 42,
          supportedAlgorithms: o,
        };
        const b = encodeToBytes(encodeCapabilities, m);
        expect(() => decodeCapabilities(Uint8Array.of(...b, ...new Uint8Array(extra)))).toThrow(
          expect.objectContaining({ name: 'SpdmError' }),
        );
      }),
    );
  });
});

describe('CAPABILITY_FLAGS', () => {
  it('covers all 32 bits exactly once', () => {
    let seen = 0;
    for (const f of Object.values(CAPABILITY_FLAGS)) {
      const mask = ((f.width === 2 ? 3 : 1) << f.shift) >>> 0;
      expect(seen & mask).toBe(0);
      seen = (seen | mask) >>> 0;
    }
    expect(seen).toBe(0xffffffff);
  });

  it('has the 2-bit fields MEAS_CAP, PSK_CAP, EP_INFO_CAP, MULTI_KEY_CAP', () => {
    expect(capField(CAP.MEAS_SIG, 'MEAS_CAP')).toBe(2);
    expect(capField(CAP.PSK_WITH_CONTEXT, 'PSK_CAP')).toBe(2);
    expect(capField(CAP.EP_INFO_NO_SIG, 'EP_INFO_CAP')).toBe(1);
    expect(capField(CAP.MULTI_KEY_NEG, 'MULTI_KEY_CAP')).toBe(2);
    expect(capField(CAP.LARGE_RESP, 'LARGE_RESP_CAP')).toBe(1);
  });

  it('names the recorded words (responder 0x62d6, requester 0x63c6)', () => {
    expect(capabilityNames(0x62d6, 'responder')).toEqual([
      'CERT_CAP',
      'CHAL_CAP',
      'MEAS_CAP=SIG',
      'ENCRYPT_CAP',
      'MAC_CAP',
      'KEY_EX_CAP',
      'HBEAT_CAP',
      'KEY_UPD_CAP',
    ]);
    expect(capabilityNames(0x63c6, 'requester')).toContain('MUT_AUTH_CAP');
    expect(capabilityNames(CAP.PSK_WITH_CONTEXT | CAP.CACHE, 'requester')).toEqual([
      'PSK_CAP=PSK_WITH_CONTEXT',
      'UNDEFINED_BIT_0',
    ]);
  });

  it('masks per role and version like libspdm (a 1.0 requester has no flags)', () => {
    expect(capabilityMask('requester', 0x10)).toBe(0);
    expect(capabilityMask('requester', 0x11)).toBe(0x1ffc6);
    expect(capabilityMask('responder', 0x10)).toBe(0x3f);
    expect(capabilityMask('responder', 0x13)).toBe(0x3fffffff);
    expect(maskCapabilities(0xffffffff, 'requester', 0x13)).toBe(0x0ec3ffc6);
  });

  it('capsForVersion drops MUT_AUTH_CAP without ENCAP_CAP at 1.1 only', () => {
    const caps = CAP.CERT | CAP.CHAL | CAP.MUT_AUTH | CAP.KEY_EX | CAP.MAC;
    expect(capsForVersion(caps, 'requester', 0x11) & CAP.MUT_AUTH).toBe(0);
    expect(capsForVersion(caps | CAP.ENCAP, 'requester', 0x11) & CAP.MUT_AUTH).toBe(CAP.MUT_AUTH);
    expect(capsForVersion(caps, 'requester', 0x12) & CAP.MUT_AUTH).toBe(CAP.MUT_AUTH);
  });
});

describe('libspdm consistency checks (spdm-reference §2.2)', () => {
  const q = checkRequesterCaps;
  const r = checkResponderCaps;
  const SESSION = CAP.KEY_EX | CAP.MAC | CAP.ENCRYPT;

  it('accept the recorded capability words', () => {
    expect(q(0x62c0, 0x12)).toBeNull();
    expect(q(0x63c6, 0x13)).toBeNull();
    expect(r(0x62d6, 0x12)).toBeNull();
    expect(r(0x63d6, 0x13)).toBeNull();
  });

  it.each([
    ['KEY_EX without MAC/ENCRYPT', CAP.KEY_EX, 0x12, /MAC_CAP/],
    ['MAC without KEY_EX or PSK', CAP.MAC, 0x12, /needs KEY_EX_CAP or PSK_CAP/],
    ['HBEAT without a session', CAP.HBEAT, 0x11, /needs KEY_EX_CAP/],
    ['EVENT without a session (1.3)', CAP.EVENT, 0x13, /EVENT_CAP/],
    ['PSK_CAP = 10b', CAP.PSK_WITH_CONTEXT | CAP.MAC, 0x12, /PSK_CAP/],
    [
      'HANDSHAKE_IN_THE_CLEAR with PSK only',
      CAP.PSK | CAP.MAC | CAP.HANDSHAKE_IN_THE_CLEAR,
      0x12,
      /HANDSHAKE/,
    ],
    ['CERT and PUB_KEY_ID', CAP.CERT | CAP.PUB_KEY_ID | CAP.CHAL, 0x12, /mutually exclusive/],
    ['CERT without a use', CAP.CERT, 0x12, /needs a use/],
    ['CHAL without a key', CAP.CHAL, 0x12, /CHAL_CAP needs/],
    ['MUT_AUTH without a key', CAP.MUT_AUTH | SESSION, 0x12, /MUT_AUTH_CAP needs CERT/],
    ['1.1 MUT_AUTH without ENCAP', CAP.CERT | CAP.MUT_AUTH | SESSION, 0x11, /ENCAP_CAP/],
    ['1.3 MULTI_KEY without CERT', CAP.MULTI_KEY_ONLY | SESSION, 0x13, /MULTI_KEY_CAP/],
    ['1.3 EP_INFO = 11b', CAP.EP_INFO_NO_SIG | CAP.EP_INFO_SIG, 0x13, /reserved/],
  ])('requester: %s', (_name, flags, v, why) => {
    expect(q(flags, v)).toMatch(why);
  });

  it.each([
    ['session without certificates', SESSION, 0x12],
    ['certificate used for KEY_EX', CAP.CERT | SESSION, 0x12],
    ['mutual auth over KEY_EX', CAP.CERT | CAP.MUT_AUTH | SESSION, 0x13],
    ['1.1 mutual auth with ENCAP', CAP.CERT | CAP.MUT_AUTH | CAP.ENCAP | SESSION, 0x11],
    ['signed endpoint info as the only use (1.3)', CAP.CERT | CAP.EP_INFO_SIG, 0x13],
    ['nothing at all', 0, 0x13],
  ])('requester accepts %s', (_name, flags, v) => {
    expect(q(flags, v)).toBeNull();
  });

  it.each([
    ['MEAS_CAP = 11b', CAP.MEAS_NO_SIG | CAP.MEAS_SIG, 0x12, /MEAS_CAP/],
    ['MEAS_FRESH without MEAS', CAP.MEAS_FRESH, 0x12, /MEAS_FRESH_CAP/],
    ['1.0 CERT without CHAL', CAP.CERT, 0x10, /CERT_CAP must equal CHAL_CAP/],
    ['1.0 signed MEAS without CERT', CAP.MEAS_SIG, 0x10, /CERT_CAP/],
    ['KEY_EX without a key', SESSION, 0x12, /need CERT_CAP/],
    ['signed MEAS without a key', CAP.MEAS_SIG, 0x12, /need CERT_CAP/],
    ['PSK_CAP = 11b', CAP.PSK | CAP.PSK_WITH_CONTEXT | CAP.MAC, 0x12, /PSK_CAP/],
    ['CERT without a use', CAP.CERT | CAP.MEAS_NO_SIG, 0x12, /needs a use/],
    ['CSR without SET_CERT', CAP.CERT | CAP.CHAL | CAP.CSR, 0x12, /CSR_CAP/],
    ['ALIAS_CERT without CERT', CAP.ALIAS_CERT, 0x12, /ALIAS_CERT_CAP/],
    ['CERT_INSTALL_RESET alone', CAP.CERT | CAP.CHAL | CAP.CERT_INSTALL_RESET, 0x12, /CERT_INSTALL_RESET/],
    [
      'MULTI_KEY without GET_KEY_PAIR_INFO',
      CAP.CERT | CAP.CHAL | CAP.MULTI_KEY_NEG,
      0x13,
      /GET_KEY_PAIR_INFO/,
    ],
    [
      'PUB_KEY_ID with GET_KEY_PAIR_INFO',
      CAP.PUB_KEY_ID | CAP.CHAL | CAP.GET_KEY_PAIR_INFO,
      0x13,
      /PUB_KEY_ID_CAP/,
    ],
  ])('responder: %s', (_name, flags, v, why) => {
    expect(r(flags, v)).toMatch(why);
  });

  it.each([
    ['1.0 CERT and CHAL', CAP.CERT | CAP.CHAL, 0x10],
    ['1.0 unsigned measurements only', CAP.MEAS_NO_SIG, 0x10],
    ['signed measurements as the only use', CAP.CERT | CAP.MEAS_SIG, 0x12],
    ['CSR bits are not checked before 1.2', CAP.CERT | CAP.CHAL | CAP.CSR, 0x11],
    ['the default responder set', 0x63d6, 0x12],
  ])('responder accepts %s', (_name, flags, v) => {
    expect(r(flags, v)).toBeNull();
  });

  it('never throw', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(...VERSIONS), (f, v) => {
        for (const res of [q(f, v), r(f, v)]) expect(res === null || typeof res === 'string').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
