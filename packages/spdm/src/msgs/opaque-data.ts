/**
 * Secured-message opaque data carried in KEY_EXCHANGE(_RSP) and PSK_EXCHANGE(_RSP): the DSP0277
 * version negotiation (spdm-reference §2.9).
 *
 * Two containers, chosen by the SPDM version of the connection:
 * - SPDM 1.2+ (OpaqueDataFmt1, DSP0274 1.2+ "General opaque data format"):
 *   TotalElements(1) Reserved(3).
 * - SPDM 1.1 (DSP0277 1.0 "general opaque data table"): SpecID u32 0x444D5446 ("DMTF",
 *   bytes `46 54 4d 44`), OpaqueVersion(1) = 1, TotalElements(1), Reserved(2).
 * libspdm requires OpaqueDataFmt1 on 1.2+ connections (it refuses KEY_EXCHANGE otherwise), so the
 * container follows from the version alone.
 *
 * Each element: ID(1) (registry, 0 = DMTF), VendorIDLen(1), VendorID, OpaqueElementDataLen(2),
 * data, zero padding to a 4-byte boundary. DMTF secured-message data (SMDataVersion = 1):
 * SupportedVersion (SMDataID 1: VersionCount(1), versions u16le[]), VersionSelection (SMDataID 0:
 * SelectedVersion u16le), AeadLimit (SMDataID 2, DSP0277 1.3: AeadLimitExponent(1) <= 64).
 * Secured versions are 16-bit version numbers (1.2 = 0x1200, bytes `00 12`); they are compared
 * on major.minor only, as libspdm does.
 *
 * Unknown elements (other registry, vendor ID present, other SMDataVersion or SMDataID) are
 * skipped; the walk is bounded by TotalElements (<= 255) and the 1024-byte opaque limit.
 * Malformed containers or known elements throw SpdmError.
 */
import { ByteReader } from '../codec/reader.js';
import { ByteWriter } from '../codec/writer.js';
import { checkInt, invalidField, MAX_OPAQUE_DATA_SIZE } from './fields.js';
import { checkVersionParam } from './session-params.js';

/** SpecID of the SPDM 1.1 container, "DMTF" read as a little-endian u32. */
export const OPAQUE_DATA_SPEC_ID = 0x444d5446;
/** OpaqueVersion of the SPDM 1.1 container. */
export const OPAQUE_VERSION = 1;
/**
 * Registry or standards body IDs (DSP0274 1.3 Table "Registry or standards body ID"; libspdm
 * SPDM_REGISTRY_ID_*): opaque element IDs and VENDOR_DEFINED StandardID.
 */
export const REGISTRY_ID = {
  DMTF: 0x0,
  TCG: 0x1,
  USB: 0x2,
  PCISIG: 0x3,
  IANA: 0x4,
  HDBASET: 0x5,
  MIPI: 0x6,
  CXL: 0x7,
  JEDEC: 0x8,
  VESA: 0x9,
  IANA_CBOR: 0xa,
} as const;
/** SMDataVersion of every element defined by DSP0277. */
export const SM_DATA_VERSION = 1;
/** SMDataID values (DSP0277 1.3, secured-message opaque element data). */
export const SM_DATA_ID = {
  VERSION_SELECTION: 0,
  SUPPORTED_VERSION: 1,
  AEAD_LIMIT: 2,
} as const;
/** Secured-message (DSP0277) version numbers as 16-bit values. */
export const SECURED_MESSAGE_VERSION = {
  V10: 0x1000,
  V11: 0x1100,
  V12: 0x1200,
  V13: 0x1300,
} as const;
/** DSP0277 1.3: AeadLimitExponent must not exceed 64 (also the default when absent). */
export const AEAD_LIMIT_EXPONENT_MAX = 64;

/** Container format: `fmt1` for SPDM 1.2+, `spec-id` ("DMTF" header) for SPDM 1.1. */
export type OpaqueDataFormat = 'fmt1' | 'spec-id';

/** One opaque element as on the wire (views into the input when decoded). */
export interface OpaqueElement {
  /** Registry / standards body ID (0 = DMTF). */
  readonly id: number;
  /** Vendor ID (empty for DMTF elements). */
  readonly vendorId: Uint8Array;
  /** OpaqueElementData, without padding. */
  readonly data: Uint8Array;
}

/** The DMTF secured-message data elements this module understands. */
export type SmData =
  | { readonly kind: 'SupportedVersion'; readonly versions: readonly number[] }
  | { readonly kind: 'VersionSelection'; readonly version: number }
  | { readonly kind: 'AeadLimit'; readonly exponent: number };

/** What a secured-message opaque data blob says; absent fields had no element. */
export interface SecuredMessageOpaque {
  readonly supportedVersions?: readonly number[];
  readonly selectedVersion?: number;
  readonly aeadLimitExponent?: number;
}

/** Container format used on a connection of SPDM version `specVersion` (0x11, 0x12, 0x13). */
export function opaqueDataFormatFor(specVersion: number): OpaqueDataFormat {
  checkVersionParam(specVersion, 0x11, 'opaque data');
  return specVersion >= 0x12 ? 'fmt1' : 'spec-id';
}

const pad4 = (n: number): number => (4 - (n & 3)) & 3;

/**
 * Writes a container holding `elements`.
 * @throws RangeError if there are more than 255 elements, a vendor ID over 255 bytes, element
 *   data over 65535 bytes, or the whole exceeds MAX_OPAQUE_DATA_SIZE.
 */
export function encodeOpaqueData(
  w: ByteWriter,
  format: OpaqueDataFormat,
  elements: readonly OpaqueElement[],
): void {
  checkInt(elements.length, 0, 0xff, 'TotalElements');
  let size = format === 'spec-id' ? 8 : 4;
  for (const e of elements) {
    checkInt(e.id, 0, 0xff, 'opaque element ID');
    checkInt(e.vendorId.length, 0, 0xff, 'VendorIDLen');
    checkInt(e.data.length, 0, 0xffff, 'OpaqueElementDataLen');
    const n = 4 + e.vendorId.length + e.data.length;
    size += n + pad4(n);
  }
  if (size > MAX_OPAQUE_DATA_SIZE)
    throw new RangeError(`opaque data of ${size} bytes exceeds ${MAX_OPAQUE_DATA_SIZE}`);
  if (format === 'spec-id') w.u32le(OPAQUE_DATA_SPEC_ID).u8(OPAQUE_VERSION).u8(elements.length).zeros(2);
  else w.u8(elements.length).zeros(3);
  for (const e of elements) {
    w.u8(e.id).u8(e.vendorId.length).bytes(e.vendorId).u16le(e.data.length).bytes(e.data);
    w.zeros(pad4(4 + e.vendorId.length + e.data.length));
  }
}

/**
 * Reads a whole container (`opaque` is exactly the OpaqueData field) into its elements.
 * Element data are views into `opaque`.
 * @throws SpdmError InvalidMsgSize when an element runs past the end or bytes follow the last
 *   element; InvalidMsgField on a bad SpecID/OpaqueVersion, non-zero reserved or padding bytes,
 *   or more than MAX_OPAQUE_DATA_SIZE bytes.
 */
export function decodeOpaqueData(opaque: Uint8Array, format: OpaqueDataFormat): OpaqueElement[] {
  if (opaque.length > MAX_OPAQUE_DATA_SIZE)
    invalidField(`opaque data of ${opaque.length} bytes exceeds 1024`);
  const r = new ByteReader(opaque);
  let total: number;
  if (format === 'spec-id') {
    const specId = r.u32le('SpecID');
    if (specId !== OPAQUE_DATA_SPEC_ID)
      invalidField(`opaque data: SpecID 0x${specId.toString(16)} is not "DMTF"`);
    const ver = r.u8('OpaqueVersion');
    if (ver !== OPAQUE_VERSION) invalidField(`opaque data: OpaqueVersion ${ver} is not 1`);
    total = r.u8('TotalElements');
    r.reserved(2, 'opaque data header reserved');
  } else {
    total = r.u8('TotalElements');
    r.reserved(3, 'opaque data header reserved');
  }
  const elements: OpaqueElement[] = [];
  for (let i = 0; i < total; i++) {
    const id = r.u8('opaque element ID');
    const vendorId = r.bytes(r.u8('VendorIDLen'), 'VendorID');
    const data = r.bytes(r.u16le('OpaqueElementDataLen'), 'OpaqueElementData');
    r.reserved(pad4(4 + vendorId.length + data.length), 'opaque element padding');
    elements.push({ id, vendorId, data });
  }
  r.done('opaque data');
  return elements;
}

/**
 * Builds the DMTF element carrying `d`.
 * @throws RangeError on an empty or over-long version list, a version outside u16, or an
 *   AeadLimitExponent over 64.
 */
export function encodeSmData(d: SmData): OpaqueElement {
  const w = new ByteWriter(16);
  w.u8(SM_DATA_VERSION);
  switch (d.kind) {
    case 'SupportedVersion':
      if (d.versions.length < 1 || d.versions.length > 0xff)
        throw new RangeError('VersionCount must be 1..255');
      w.u8(SM_DATA_ID.SUPPORTED_VERSION).u8(d.versions.length);
      for (const v of d.versions) w.u16le(v);
      break;
    case 'VersionSelection':
      w.u8(SM_DATA_ID.VERSION_SELECTION).u16le(d.version);
      break;
    case 'AeadLimit':
      checkInt(d.exponent, 0, AEAD_LIMIT_EXPONENT_MAX, 'AeadLimitExponent');
      w.u8(SM_DATA_ID.AEAD_LIMIT).u8(d.exponent);
      break;
  }
  return { id: REGISTRY_ID.DMTF, vendorId: new Uint8Array(0), data: w.finish() };
}

/**
 * Interprets a DMTF secured-message element; `undefined` for an element this module does not
 * know (other registry, a vendor ID, another SMDataVersion or SMDataID), which callers skip.
 * @throws SpdmError InvalidMsgSize / InvalidMsgField when a known element is malformed
 *   (wrong length, VersionCount 0, AeadLimitExponent > 64).
 */
export function decodeSmData(e: OpaqueElement): SmData | undefined {
  if (e.id !== REGISTRY_ID.DMTF || e.vendorId.length !== 0 || e.data.length < 2) return undefined;
  if (e.data[0] !== SM_DATA_VERSION) return undefined;
  const r = new ByteReader(e.data, 2);
  let d: SmData;
  switch (e.data[1]) {
    case SM_DATA_ID.SUPPORTED_VERSION: {
      const n = r.u8('VersionCount');
      if (n === 0) invalidField('SupportedVersion: VersionCount is 0');
      const versions: number[] = [];
      for (let i = 0; i < n; i++) versions.push(r.u16le('SupportedVersion entry'));
      d = { kind: 'SupportedVersion', versions };
      break;
    }
    case SM_DATA_ID.VERSION_SELECTION:
      d = { kind: 'VersionSelection', version: r.u16le('SelectedVersion') };
      break;
    case SM_DATA_ID.AEAD_LIMIT: {
      const exponent = r.u8('AeadLimitExponent');
      if (exponent > AEAD_LIMIT_EXPONENT_MAX) invalidField(`AeadLimitExponent ${exponent} > 64`);
      d = { kind: 'AeadLimit', exponent };
      break;
    }
    default:
      return undefined;
  }
  r.done(`secured-message element ${d.kind}`);
  return d;
}

/**
 * Builds a whole opaque-data blob for a connection of SPDM version `specVersion`.
 * @throws RangeError as encodeOpaqueData / encodeSmData.
 */
export function buildSecuredMessageOpaque(specVersion: number, items: readonly SmData[]): Uint8Array {
  const w = new ByteWriter(32);
  encodeOpaqueData(w, opaqueDataFormatFor(specVersion), items.map(encodeSmData));
  return w.finish();
}

/**
 * Requester side: the KEY_EXCHANGE / PSK_EXCHANGE opaque data offering `versions` (16-bit
 * secured-message versions, e.g. SECURED_MESSAGE_VERSION.V12), optionally with an AeadLimit
 * element (DSP0277 1.3; only send it when offering 1.3). For SPDM 1.2+ and [0x1000, 0x1100,
 * 0x1200] this is `01 00 00 00 00 00 09 00 01 01 03 00 10 00 11 00 12 00 00 00`, byte for byte
 * what libspdm 1e16c60f sends.
 * @throws RangeError on an empty list or bad values.
 */
export function buildSupportedVersions(
  specVersion: number,
  versions: readonly number[],
  opts: { readonly aeadLimitExponent?: number } = {},
): Uint8Array {
  const items: SmData[] = [{ kind: 'SupportedVersion', versions }];
  if (opts.aeadLimitExponent !== undefined)
    items.push({ kind: 'AeadLimit', exponent: opts.aeadLimitExponent });
  return buildSecuredMessageOpaque(specVersion, items);
}

/**
 * Responder side: the KEY_EXCHANGE_RSP / PSK_EXCHANGE_RSP opaque data selecting `version`
 * (SPDM 1.2+, 0x1200: `01 00 00 00 00 00 04 00 01 00 00 12`).
 * @throws RangeError on bad values.
 */
export function buildVersionSelection(
  specVersion: number,
  version: number,
  opts: { readonly aeadLimitExponent?: number } = {},
): Uint8Array {
  const items: SmData[] = [{ kind: 'VersionSelection', version }];
  if (opts.aeadLimitExponent !== undefined)
    items.push({ kind: 'AeadLimit', exponent: opts.aeadLimitExponent });
  return buildSecuredMessageOpaque(specVersion, items);
}

/**
 * Reads every secured-message element of an opaque-data blob; unknown elements are skipped.
 * An empty blob (OpaqueDataLength 0) has no container and yields `{}`.
 * @throws SpdmError on a malformed container or element, or a known element given twice.
 */
export function parseSecuredMessageOpaque(opaque: Uint8Array, specVersion: number): SecuredMessageOpaque {
  const format = opaqueDataFormatFor(specVersion);
  if (opaque.length === 0) return {};
  const out: { supportedVersions?: number[]; selectedVersion?: number; aeadLimitExponent?: number } = {};
  for (const e of decodeOpaqueData(opaque, format)) {
    const d = decodeSmData(e);
    if (d === undefined) continue;
    if (d.kind === 'SupportedVersion') {
      if (out.supportedVersions) invalidField('opaque data: two SupportedVersion elements');
      out.supportedVersions = [...d.versions];
    } else if (d.kind === 'VersionSelection') {
      if (out.selectedVersion !== undefined) invalidField('opaque data: two VersionSelection elements');
      out.selectedVersion = d.version;
    } else {
      if (out.aeadLimitExponent !== undefined) invalidField('opaque data: two AeadLimit elements');
      out.aeadLimitExponent = d.exponent;
    }
  }
  return out;
}

/**
 * Responder side: the secured-message versions the requester offers in KEY_EXCHANGE.
 * @throws SpdmError InvalidMsgField when there is no SupportedVersion element, or as
 *   parseSecuredMessageOpaque.
 */
export function parseSupportedVersions(opaque: Uint8Array, specVersion: number): number[] {
  const v = parseSecuredMessageOpaque(opaque, specVersion).supportedVersions;
  if (!v) invalidField('opaque data: no SupportedVersion element');
  return [...v];
}

/**
 * Requester side: the secured-message version the responder selected in KEY_EXCHANGE_RSP. With
 * `offered`, also insists that the selection is one of them (major.minor).
 * @throws SpdmError InvalidMsgField when there is no VersionSelection element or it selects a
 *   version that was not offered; otherwise as parseSecuredMessageOpaque.
 */
export function parseVersionSelection(
  opaque: Uint8Array,
  specVersion: number,
  offered?: readonly number[],
): number {
  const v = parseSecuredMessageOpaque(opaque, specVersion).selectedVersion;
  if (v === undefined) invalidField('opaque data: no VersionSelection element');
  if (offered && !offered.some((o) => sameSecuredVersion(o, v))) {
    invalidField(`opaque data: selected secured version ${securedVersionName(v)} was not offered`);
  }
  return v;
}

/** True when two 16-bit version numbers have the same major.minor (update/alpha ignored). */
export function sameSecuredVersion(a: number, b: number): boolean {
  return (a & 0xff00) === (b & 0xff00);
}

/**
 * Responder side: the highest version (major.minor) present in both lists, as the peer wrote it,
 * or undefined when there is none (libspdm then refuses the session).
 */
export function selectSecuredVersion(
  offered: readonly number[],
  supported: readonly number[],
): number | undefined {
  let best: number | undefined;
  for (const o of offered) {
    if (!supported.some((s) => sameSecuredVersion(s, o))) continue;
    if (best === undefined || (o & 0xff00) > (best & 0xff00)) best = o;
  }
  return best;
}

/** "1.2" for 0x1200 (update and alpha nibbles are not shown). */
export function securedVersionName(v: number): string {
  return `${(v >> 12) & 0xf}.${(v >> 8) & 0xf}`;
}
