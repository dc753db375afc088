import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../src/codec/bytes.js';
import { ByteWriter } from '../../src/codec/writer.js';
import { decodeKeyExchange, decodeKeyExchangeRsp } from '../../src/msgs/key-exchange.js';
import {
  buildSecuredMessageOpaque,
  buildSupportedVersions,
  buildVersionSelection,
  decodeOpaqueData,
  decodeSmData,
  encodeOpaqueData,
  encodeSmData,
  type OpaqueDataFormat,
  type OpaqueElement,
  opaqueDataFormatFor,
  parseSecuredMessageOpaque,
  parseSupportedVersions,
  parseVersionSelection,
  REGISTRY_ID,
  type SmData,
  SECURED_MESSAGE_VERSION as SV,
  sameSecuredVersion,
  securedVersionName,
  selectSecuredVersion,
} from '../../src/msgs/opaque-data.js';
import {
  loadVectors,
  only,
  onlySpdmError,
  sessionsOf,
  spdmBytes,
  vectorSuite,
  vectorsPresent,
} from './session-vectors.js';

const hex = (s: string) => fromHex(s.replace(/\s+/g, ''));
const OFFER_12 = '01000000 00000900 01010300 10001100 12 000000';
const SELECT_12 = '01000000 00000400 01000012';

describe('secured-message opaque data: known bytes (spdm-reference §2.9)', () => {
  it('builds the libspdm offer of 1.0, 1.1, 1.2 byte for byte', () => {
    expect(toHex(buildSupportedVersions(0x12, [SV.V10, SV.V11, SV.V12]))).toBe(toHex(hex(OFFER_12)));
    expect(toHex(buildSupportedVersions(0x13, [SV.V10, SV.V11, SV.V12]))).toBe(toHex(hex(OFFER_12)));
  });

  it('builds the 1.2 selection byte for byte, versions as u16 LE (1.2 = 00 12)', () => {
    expect(toHex(buildVersionSelection(0x12, SV.V12))).toBe(toHex(hex(SELECT_12)));
    expect(toHex(buildVersionSelection(0x12, SV.V11))).toBe('010000000000040001000011');
  });

  it('parses both back', () => {
    expect(parseSupportedVersions(hex(OFFER_12), 0x12)).toEqual([0x1000, 0x1100, 0x1200]);
    expect(parseVersionSelection(hex(SELECT_12), 0x13, [0x1000, 0x1100, 0x1200])).toBe(0x1200);
    expect(parseSecuredMessageOpaque(hex(OFFER_12), 0x12)).toEqual({
      supportedVersions: [0x1000, 0x1100, 0x1200],
    });
  });

  it('uses the "DMTF" SpecID container on SPDM 1.1', () => {
    expect(opaqueDataFormatFor(0x11)).toBe('spec-id');
    expect(opaqueDataFormatFor(0x12)).toBe('fmt1');
    const b = buildSupportedVersions(0x11, [SV.V11]);
    expect(toHex(b)).toBe('46544d44' + '01' + '01' + '0000' + '0000' + '0500' + '010101' + '0011' + '000000');
    expect(parseSupportedVersions(b, 0x11)).toEqual([0x1100]);
    expect(toHex(buildVersionSelection(0x11, SV.V11))).toBe('46544d4401010000' + '00000400' + '01000011');
  });

  it('carries an AeadLimit element (DSP0277 1.3) next to the version element', () => {
    const offer = buildSupportedVersions(0x13, [SV.V12, SV.V13], { aeadLimitExponent: 40 });
    expect(toHex(offer)).toBe(
      '02000000' + '00000700' + '0101020012' + '0013' + '00' + '00000300' + '010228' + '00',
    );
    expect(parseSecuredMessageOpaque(offer, 0x13)).toEqual({
      supportedVersions: [0x1200, 0x1300],
      aeadLimitExponent: 40,
    });
    const sel = buildVersionSelection(0x13, SV.V13, { aeadLimitExponent: 64 });
    expect(parseSecuredMessageOpaque(sel, 0x13)).toEqual({ selectedVersion: 0x1300, aeadLimitExponent: 64 });
  });

  it('version helpers compare major.minor only and pick the highest common version', () => {
    expect(securedVersionName(0x1200)).toBe('1.2');
    expect(sameSecuredVersion(0x1200, 0x1210)).toBe(true);
    expect(sameSecuredVersion(0x1200, 0x1100)).toBe(false);
    expect(selectSecuredVersion([0x1000, 0x1100, 0x1200], [0x1100, 0x1200, 0x1300])).toBe(0x1200);
    expect(selectSecuredVersion([0x1000], [0x1100])).toBeUndefined();
    expect(selectSecuredVersion([0x1215, 0x1000], [0x1200])).toBe(0x1215);
  });
});

describe.skipIf(!vectorsPresent)(vectorSuite('opaque data in KEY_EXCHANGE(_RSP)'), () => {
  for (const v of loadVectors()) {
    for (const s of sessionsOf(v)) {
      it(`${v.file} session ${s.index}: offer and selection match config`, () => {
        const ke = decodeKeyExchange(spdmBytes(only(s, 'KEY_EXCHANGE')), s.params);
        const kr = decodeKeyExchangeRsp(spdmBytes(only(s, 'KEY_EXCHANGE_RSP')), s.params);
        expect(toHex(ke.opaqueData)).toBe(toHex(hex(OFFER_12)));
        expect(toHex(kr.opaqueData)).toBe(toHex(hex(SELECT_12)));
        const offered = parseSupportedVersions(ke.opaqueData, s.params.version);
        expect(offered.map(securedVersionName)).toEqual(v.config.versions_offered.secured_message);
        const selected = parseVersionSelection(kr.opaqueData, s.params.version, offered);
        expect(securedVersionName(selected)).toBe(s.ks.secured_message_version_selected);
        // What a responder offering 1.0-1.2 itself would answer.
        expect(selectSecuredVersion(offered, [0x1000, 0x1100, 0x1200])).toBe(selected);
      });
    }
  }
});

describe('opaque data: unknown elements are skipped', () => {
  const elements = (format: OpaqueDataFormat, es: OpaqueElement[]) => {
    const w = new ByteWriter();
    encodeOpaqueData(w, format, es);
    return w.finish();
  };
  const sel = encodeSmData({ kind: 'VersionSelection', version: 0x1200 });
  const unknown: [string, OpaqueElement][] = [
    [
      'another registry',
      { id: REGISTRY_ID.PCISIG, vendorId: Uint8Array.of(0x86, 0x80), data: Uint8Array.of(1, 2, 3) },
    ],
    ['DMTF with a vendor ID', { id: 0, vendorId: Uint8Array.of(1), data: Uint8Array.of(1, 0, 0, 0x12) }],
    ['SMDataVersion 2', { id: 0, vendorId: new Uint8Array(0), data: Uint8Array.of(2, 0, 0, 0x13) }],
    ['unknown SMDataID', { id: 0, vendorId: new Uint8Array(0), data: Uint8Array.of(1, 9, 0xff, 0xff, 0xff) }],
    ['data too short to say', { id: 0, vendorId: new Uint8Array(0), data: Uint8Array.of(1) }],
  ];
  it.each(unknown)('%s', (_name, e) => {
    expect(decodeSmData(e)).toBeUndefined();
    for (const f of ['fmt1', 'spec-id'] as const) {
      const v = f === 'fmt1' ? 0x12 : 0x11;
      const b = elements(f, [e, sel, e]);
      expect(b.length % 4).toBe(0);
      expect(decodeOpaqueData(b, f)).toHaveLength(3);
      expect(parseVersionSelection(b, v)).toBe(0x1200);
    }
  });

  it('an empty OpaqueData has no elements; the helpers then say what is missing', () => {
    expect(parseSecuredMessageOpaque(new Uint8Array(0), 0x12)).toEqual({});
    expect(() => parseSupportedVersions(new Uint8Array(0), 0x12)).toThrow(/no SupportedVersion/);
    expect(() => parseVersionSelection(hex(OFFER_12), 0x12)).toThrow(/no VersionSelection/);
    expect(() => parseVersionSelection(hex(SELECT_12), 0x12, [0x1000, 0x1100])).toThrow(/not offered/);
  });
});

describe('opaque data: bad inputs', () => {
  const cases: [string, string, number, string][] = [
    ['truncated header', '010000', 0x12, 'InvalidMsgSize'],
    ['non-zero reserved in Fmt1 header', '01000100 00000400 01000012', 0x12, 'InvalidMsgField'],
    ['element header truncated', '01000000 0000', 0x12, 'InvalidMsgSize'],
    ['element length past end', '01000000 00000500 01000012', 0x12, 'InvalidMsgSize'],
    ['vendor ID length past end', '01000000 00090000', 0x12, 'InvalidMsgSize'],
    ['padding missing', OFFER_12.slice(0, -2), 0x12, 'InvalidMsgSize'],
    ['non-zero padding', OFFER_12.slice(0, -2) + '01', 0x12, 'InvalidMsgField'],
    ['bytes after the last element', SELECT_12 + '00000000', 0x12, 'InvalidMsgSize'],
    ['TotalElements larger than present', '02000000 00000400 01000012', 0x12, 'InvalidMsgSize'],
    ['VersionCount 0', '01000000 00000300 01010000', 0x12, 'InvalidMsgField'],
    ['VersionCount past element data', '01000000 00000500 01010200 10000000', 0x12, 'InvalidMsgSize'],
    ['VersionSelection with an extra byte', '01000000 00000500 01000012 00000000', 0x12, 'InvalidMsgSize'],
    ['VersionSelection cut short', '01000000 00000300 01000000', 0x12, 'InvalidMsgSize'],
    ['AeadLimitExponent 65', '01000000 00000300 01024100', 0x13, 'InvalidMsgField'],
    [
      'two VersionSelection elements',
      '02000000 00000400 01000012 00000400 01000011',
      0x12,
      'InvalidMsgField',
    ],
    ['wrong SpecID on 1.1', '46544d45 01010000 00000400 01000011', 0x11, 'InvalidMsgField'],
    ['OpaqueVersion 2 on 1.1', '46544d44 02010000 00000400 01000011', 0x11, 'InvalidMsgField'],
    ['non-zero reserved in 1.1 header', '46544d44 01010100 00000400 01000011', 0x11, 'InvalidMsgField'],
    ['Fmt1 bytes on a 1.1 connection', SELECT_12, 0x11, 'InvalidMsgField'],
  ];
  it.each(cases)('%s -> %s', (_name, h, version, code) => {
    expect(() => parseSecuredMessageOpaque(hex(h), version)).toThrow(expect.objectContaining({ code }));
  });

  it('more than 1024 bytes is refused before parsing', () => {
    const big = concatBytes(hex('01000000'), new Uint8Array(1021));
    expect(() => decodeOpaqueData(big, 'fmt1')).toThrow(expect.objectContaining({ code: 'InvalidMsgField' }));
  });

  it('builders refuse values that cannot be encoded', () => {
    expect(() => buildSupportedVersions(0x12, [])).toThrow(RangeError);
    expect(() => buildSupportedVersions(0x12, [0x10000])).toThrow(RangeError);
    expect(() => buildVersionSelection(0x12, 0x1300, { aeadLimitExponent: 65 })).toThrow(RangeError);
    expect(() => buildSupportedVersions(0x10, [0x1000])).toThrow(RangeError);
    const huge: SmData = { kind: 'SupportedVersion', versions: new Array(255).fill(0x1200) };
    expect(() => buildSecuredMessageOpaque(0x12, [huge, huge, huge])).toThrow(RangeError);
  });
});

const smDataArb: fc.Arbitrary<SmData> = fc.oneof(
  fc.record({
    kind: fc.constant('SupportedVersion' as const),
    versions: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 20 }),
  }),
  fc.record({ kind: fc.constant('VersionSelection' as const), version: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ kind: fc.constant('AeadLimit' as const), exponent: fc.integer({ min: 0, max: 64 }) }),
);

const elementArb: fc.Arbitrary<OpaqueElement> = fc.record({
  id: fc.integer({ min: 0, max: 255 }),
  vendorId: fc.uint8Array({ maxLength: 6 }),
  data: fc.uint8Array({ maxLength: 40 }),
});

describe('opaque data: properties', () => {
  it('arbitrary element lists round-trip in both containers, 4-byte aligned', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<OpaqueDataFormat>('fmt1', 'spec-id'),
        fc.array(elementArb, { maxLength: 12 }),
        (f, es) => {
          const w = new ByteWriter();
          encodeOpaqueData(w, f, es);
          const b = w.finish();
          expect(b.length % 4).toBe(0);
          expect(decodeOpaqueData(b, f)).toEqual(es);
        },
      ),
    );
  });

  it('arbitrary secured-message data round-trips through the builders and the parser', () => {
    fc.assert(
      fc.property(fc.constantFrom(0x11, 0x12, 0x13), smDataArb, smDataArb, (version, a, b) => {
        fc.pre(a.kind !== b.kind);
        const parsed = parseSecuredMessageOpaque(buildSecuredMessageOpaque(version, [a, b]), version);
        for (const d of [a, b]) {
          if (d.kind === 'SupportedVersion') expect(parsed.supportedVersions).toEqual(d.versions);
          else if (d.kind === 'VersionSelection') expect(parsed.selectedVersion).toBe(d.version);
          else expect(parsed.aeadLimitExponent).toBe(d.exponent);
        }
      }),
    );
  });

  it('arbitrary bytes: only SpdmError escapes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(0x11, 0x12, 0x13), (b, version) => {
        onlySpdmError(() => parseSecuredMessageOpaque(b, version));
        onlySpdmError(() => parseSupportedVersions(b, version));
        onlySpdmError(() => parseVersionSelection(b, version, [0x1200]));
      }),
      { numRuns: 3000 },
    );
  });

  it('valid blobs with bytes changed: only SpdmError escapes', () => {
    const bases = [hex(OFFER_12), hex(SELECT_12), buildSupportedVersions(0x11, [0x1100, 0x1200])];
    fc.assert(
      fc.property(
        fc.constantFrom(...bases),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
        (base, edits) => {
          const b = base.slice();
          for (const [at, val] of edits) b[at % b.length] = val;
          for (const v of [0x11, 0x12]) onlySpdmError(() => parseSecuredMessageOpaque(b, v));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
