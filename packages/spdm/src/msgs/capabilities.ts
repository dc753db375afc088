/**
 * GET_CAPABILITIES / CAPABILITIES (DSP0274 1.3 "GET_CAPABILITIES request and CAPABILITIES response"; spdm-reference §2.2). Both
 * share one layout whose size follows the header version:
 *
 * | Off | Size | Field                | Request         | Response  |
 * |-----|------|----------------------|-----------------|-----------|
 * | 0   | 4    | header               | all             | all       |
 * | 4   | 1    | Reserved             | 1.1+            | all       |
 * | 5   | 1    | CTExponent           | 1.1+            | all       |
 * | 6   | 2    | Reserved             | 1.1+            | all       |
 * | 8   | 4    | Flags                | 1.1+            | all       |
 * | 12  | 4    | DataTransferSize     | 1.2+            | 1.2+      |
 * | 16  | 4    | MaxSPDMmsgSize       | 1.2+            | 1.2+      |
 *
 * so a request is 4 / 12 / 20 bytes (1.0 / 1.1 / 1.2+) and a response 12 / 20. In 1.3, request
 * Param1 bit0 asks for the Supported Algorithms block, which a response with Param1 bit0 appends
 * (the NEGOTIATE_ALGORITHMS layout minus its first two bytes; decoded as an AlgorithmOffer).
 * The flag table, names and consistency checks live in capability-flags.ts and are re-exported.
 */
import type { ByteWriter } from '../codec/writer.js';
import { type AlgorithmOffer, decodeOfferBody, encodeOfferBody } from './alg-struct.js';
import { REQUEST_CODE, RESPONSE_CODE, SPDM_VERSION } from './codes.js';
import { checkInt, checkReserved, expectSize, invalidField, type MsgSource, readerOf } from './fields.js';
import { decodeHeader, encodeHeader, expectCode } from './header.js';
import { expectKnownVersion } from './version.js';

export * from './capability-flags.js';

/** 1.3 GET_CAPABILITIES Param1 bit0 / CAPABILITIES Param1 bit0. */
export const SUPPORTED_ALGORITHMS_PARAM1 = 0x01;
/** Smallest DataTransferSize allowed from 1.2 on (DSP0274 1.2 GET_CAPABILITIES; libspdm SPDM_MIN_DATA_TRANSFER_SIZE_VERSION_12). */
export const MIN_DATA_TRANSFER_SIZE = 42;
/** Largest CTExponent libspdm accepts (LIBSPDM_MAX_CT_EXPONENT). */
export const MAX_CT_EXPONENT = 31;

export interface GetCapabilities {
  readonly code: typeof REQUEST_CODE.GET_CAPABILITIES;
  /** Header SPDMVersion: the version the requester picked from VERSION. */
  readonly version: number;
  /** 1.3: bit0 asks for the Supported Algorithms block (needs CHUNK_CAP); 0 before 1.3. */
  readonly param1: number;
  /** 1.1+ (0 for 1.0). */
  readonly ctExponent: number;
  /** 1.1+ (0 for 1.0). */
  readonly flags: number;
  /** 1.2+ (0 before). */
  readonly dataTransferSize: number;
  /** 1.2+ (0 before). */
  readonly maxSpdmMsgSize: number;
}

/** The 1.3 Supported Algorithms block: Param1 = algStructs.length, Param2 = 0, Length, offer. */
export type SupportedAlgorithms = AlgorithmOffer;

export interface Capabilities {
  readonly code: typeof RESPONSE_CODE.CAPABILITIES;
  readonly version: number;
  readonly ctExponent: number;
  readonly flags: number;
  /** 1.2+ (0 before). */
  readonly dataTransferSize: number;
  /** 1.2+ (0 before). */
  readonly maxSpdmMsgSize: number;
  /** 1.3 only, present iff Param1 bit0 is set. */
  readonly supportedAlgorithms?: SupportedAlgorithms;
}

/** GET_CAPABILITIES size at `version`: 4, 12 or 20 bytes. */
export function getCapabilitiesSize(version: number): number {
  if (version >= SPDM_VERSION.V12) return 20;
  return version >= SPDM_VERSION.V11 ? 12 : 4;
}

/** CAPABILITIES size at `version` without the Supported Algorithms block: 12 or 20 bytes. */
export function capabilitiesSize(version: number): number {
  return version >= SPDM_VERSION.V12 ? 20 : 12;
}

/** Encodes GET_CAPABILITIES. @throws TypeError / RangeError when a field does not exist at m.version. */
export function encodeGetCapabilities(w: ByteWriter, m: GetCapabilities): void {
  const v = m.version;
  if (v < SPDM_VERSION.V13 && m.param1 !== 0)
    throw new TypeError('GET_CAPABILITIES Param1 is reserved before 1.3');
  if (v < SPDM_VERSION.V11 && (m.ctExponent !== 0 || m.flags !== 0)) {
    throw new TypeError('GET_CAPABILITIES 1.0 has no CTExponent or Flags');
  }
  if (v < SPDM_VERSION.V12 && (m.dataTransferSize !== 0 || m.maxSpdmMsgSize !== 0)) {
    throw new TypeError('GET_CAPABILITIES DataTransferSize / MaxSPDMmsgSize exist from 1.2 on');
  }
  checkInt(m.param1, 0, SUPPORTED_ALGORITHMS_PARAM1, 'GET_CAPABILITIES Param1');
  encodeHeader(w, { version: v, code: REQUEST_CODE.GET_CAPABILITIES, param1: m.param1, param2: 0 });
  if (v < SPDM_VERSION.V11) return;
  checkInt(m.ctExponent, 0, 0xff, 'CTExponent');
  w.u8(0)
    .u8(m.ctExponent)
    .u16le(0)
    .u32le(m.flags >>> 0);
  if (v >= SPDM_VERSION.V12) w.u32le(m.dataTransferSize).u32le(m.maxSpdmMsgSize);
}

/**
 * Decodes GET_CAPABILITIES with the layout of its header version (1.0..1.3). Consistency of the
 * flags is the responder's business (checkRequesterCaps), not the decoder's.
 * @throws SpdmError InvalidMsgSize, InvalidMsgField (code, reserved), VersionMismatch (version
 *   byte outside 1.0..1.3, or other than `p.version` when given).
 */
export function decodeGetCapabilities(
  src: MsgSource,
  p: { readonly version?: number } = {},
): GetCapabilities {
  const r = readerOf(src);
  const start = r.offset;
  const h = decodeHeader(r);
  expectCode(h, REQUEST_CODE.GET_CAPABILITIES, 'GET_CAPABILITIES');
  expectKnownVersion(h, 'GET_CAPABILITIES', p.version);
  const v = h.version;
  expectSize(r, start, getCapabilitiesSize(v), 'GET_CAPABILITIES');
  checkReserved(h.param1, v >= SPDM_VERSION.V13 ? SUPPORTED_ALGORITHMS_PARAM1 : 0, 'GET_CAPABILITIES Param1');
  checkReserved(h.param2, 0, 'GET_CAPABILITIES Param2');
  let ctExponent = 0;
  let flags = 0;
  let dataTransferSize = 0;
  let maxSpdmMsgSize = 0;
  if (v >= SPDM_VERSION.V11) {
    r.reserved(1, 'GET_CAPABILITIES Reserved');
    ctExponent = r.u8('CTExponent');
    r.reserved(2, 'GET_CAPABILITIES Reserved');
    flags = r.u32le('Flags');
  }
  if (v >= SPDM_VERSION.V12) {
    dataTransferSize = r.u32le('DataTransferSize');
    maxSpdmMsgSize = r.u32le('MaxSPDMmsgSize');
  }
  r.done('GET_CAPABILITIES');
  const code = REQUEST_CODE.GET_CAPABILITIES;
  return { code, version: v, param1: h.param1, ctExponent, flags, dataTransferSize, maxSpdmMsgSize };
}

/** Encodes CAPABILITIES. @throws TypeError / RangeError when a field does not exist at m.version. */
export function encodeCapabilities(w: ByteWriter, m: Capabilities): void {
  const v = m.version;
  if (v < SPDM_VERSION.V12 && (m.dataTransferSize !== 0 || m.maxSpdmMsgSize !== 0)) {
    throw new TypeError('CAPABILITIES DataTransferSize / MaxSPDMmsgSize exist from 1.2 on');
  }
  if (v < SPDM_VERSION.V13 && m.supportedAlgorithms)
    throw new TypeError('Supported Algorithms block is 1.3 only');
  checkInt(m.ctExponent, 0, 0xff, 'CTExponent');
  const block = m.supportedAlgorithms;
  encodeHeader(w, {
    version: v,
    code: RESPONSE_CODE.CAPABILITIES,
    param1: block ? SUPPORTED_ALGORITHMS_PARAM1 : 0,
    param2: 0,
  });
  w.u8(0)
    .u8(m.ctExponent)
    .u16le(0)
    .u32le(m.flags >>> 0);
  if (v >= SPDM_VERSION.V12) w.u32le(m.dataTransferSize).u32le(m.maxSpdmMsgSize);
  if (block) {
    checkInt(block.algStructs.length, 0, 0xff, 'Supported Algorithms Param1');
    w.u8(block.algStructs.length).u8(0);
    encodeOfferBody(w, block, v, 2);
  }
}

/**
 * Decodes CAPABILITIES with the layout of its header version, including the 1.3 Supported
 * Algorithms block when Param1 bit0 says it is there.
 * @throws SpdmError InvalidMsgSize, InvalidMsgField, VersionMismatch (as decodeGetCapabilities).
 */
export function decodeCapabilities(src: MsgSource, p: { readonly version?: number } = {}): Capabilities {
  const r = readerOf(src);
  const start = r.offset;
  const h = decodeHeader(r);
  expectCode(h, RESPONSE_CODE.CAPABILITIES, 'CAPABILITIES');
  expectKnownVersion(h, 'CAPABILITIES', p.version);
  const v = h.version;
  checkReserved(h.param1, v >= SPDM_VERSION.V13 ? SUPPORTED_ALGORITHMS_PARAM1 : 0, 'CAPABILITIES Param1');
  checkReserved(h.param2, 0, 'CAPABILITIES Param2');
  const withBlock = (h.param1 & SUPPORTED_ALGORITHMS_PARAM1) !== 0;
  if (!withBlock) expectSize(r, start, capabilitiesSize(v), 'CAPABILITIES');
  r.reserved(1, 'CAPABILITIES Reserved');
  const ctExponent = r.u8('CTExponent');
  r.reserved(2, 'CAPABILITIES Reserved');
  const flags = r.u32le('Flags');
  let dataTransferSize = 0;
  let maxSpdmMsgSize = 0;
  if (v >= SPDM_VERSION.V12) {
    dataTransferSize = r.u32le('DataTransferSize');
    maxSpdmMsgSize = r.u32le('MaxSPDMmsgSize');
  }
  let supportedAlgorithms: SupportedAlgorithms | undefined;
  if (withBlock) {
    const blockStart = r.offset;
    const count = r.u8('Supported Algorithms Param1');
    if (r.u8('Supported Algorithms Param2') !== 0) invalidField('Supported Algorithms Param2 is reserved');
    supportedAlgorithms = decodeOfferBody(r, v, count, blockStart, 'Supported Algorithms').offer;
  }
  r.done('CAPABILITIES');
  const base = {
    code: RESPONSE_CODE.CAPABILITIES,
    version: v,
    ctExponent,
    flags,
    dataTransferSize,
    maxSpdmMsgSize,
  };
  return supportedAlgorithms ? { ...base, supportedAlgorithms } : base;
}
