/**
 * NEGOTIATE_ALGORITHMS / ALGORITHMS (DSP0274 1.3 "NEGOTIATE_ALGORITHMS request and ALGORITHMS response"; spdm-reference §2.3).
 *
 * NEGOTIATE_ALGORITHMS (P1 = number of ReqAlgStruct, 1.1+): Length(2) MeasurementSpecification(1)
 * OtherParamsSupport(1, 1.2+) BaseAsymAlgo(4) BaseHashAlgo(4) Reserved(12) ExtAsymCount(1)
 * ExtHashCount(1) Reserved(1) MELspecification(1, 1.3+) ExtAsym[] ExtHash[] ReqAlgStruct[].
 *
 * ALGORITHMS (P1 = number of RespAlgStruct, 1.1+): Length(2) MeasurementSpecificationSel(1)
 * OtherParamsSelection(1, 1.2+) MeasurementHashAlgo(4) BaseAsymSel(4) BaseHashSel(4) Reserved(11)
 * MELspecificationSel(1, 1.3+) ExtAsymSelCount(1) ExtHashSelCount(1) Reserved(2) ExtAsymSel[]
 * ExtHashSel[] RespAlgStruct[].
 *
 * Length is the whole message; decoders check it against the parsed size. Selection rules
 * (single bits, subset of the offer) are the requester's business, not the decoder's.
 */
import type { ByteWriter } from '../codec/writer.js';
import { SpdmError } from '../errors.js';
import {
  type AlgorithmOffer,
  type AlgStruct,
  decodeAlgStructs,
  decodeExtAlgs,
  decodeOfferBody,
  type ExtAlg,
  encodeAlgStructs,
  encodeExtAlg,
  encodeOfferBody,
  externalCount,
  MAX_EXT_ALG_TOTAL_V10,
  MAX_EXT_ALG_TOTAL_V11,
  MAX_NEGOTIATE_LENGTH_V10,
  MAX_NEGOTIATE_LENGTH_V11,
} from './alg-struct.js';
import { ERROR_CODE, REQUEST_CODE, RESPONSE_CODE, SPDM_VERSION } from './codes.js';
import { checkInt, checkReserved, invalidField, type MsgSource, readerOf } from './fields.js';
import { decodeHeader, encodeHeader, expectCode } from './header.js';
import { expectKnownVersion } from './version.js';

export type { AlgorithmOffer, AlgStruct, ExtAlg } from './alg-struct.js';

export interface NegotiateAlgorithms extends AlgorithmOffer {
  readonly code: typeof REQUEST_CODE.NEGOTIATE_ALGORITHMS;
  readonly version: number;
}

export interface Algorithms {
  readonly code: typeof RESPONSE_CODE.ALGORITHMS;
  readonly version: number;
  readonly measurementSpecificationSel: number;
  /** 1.2+: bits 3:0 the selected opaque-data format, bit4 requester MULTI_KEY_CONN (1.3); 0 before. */
  readonly otherParamsSelection: number;
  readonly measurementHashAlgo: number;
  readonly baseAsymSel: number;
  readonly baseHashSel: number;
  /** 1.3+ (0 before). */
  readonly melSpecificationSel: number;
  /** At most one entry each (DSP0274 1.3 "NEGOTIATE_ALGORITHMS request and ALGORITHMS response": ExtAsymSelCount / ExtHashSelCount are 0 or 1). */
  readonly extAsymSel: readonly ExtAlg[];
  readonly extHashSel: readonly ExtAlg[];
  /** 1.1+: RespAlgStruct tables; empty for 1.0. */
  readonly algStructs: readonly AlgStruct[];
}

/** Fixed part of ALGORITHMS, up to ExtAsymSel. */
export const ALGORITHMS_FIXED_SIZE = 36;
/** Fixed part of NEGOTIATE_ALGORITHMS, up to ExtAsym. */
export const NEGOTIATE_ALGORITHMS_FIXED_SIZE = 32;

/** Encodes NEGOTIATE_ALGORITHMS (Param1 = algStructs.length from 1.1 on). @throws TypeError / RangeError */
export function encodeNegotiateAlgorithms(w: ByteWriter, m: NegotiateAlgorithms): void {
  checkInt(m.algStructs.length, 0, 0xff, 'NEGOTIATE_ALGORITHMS Param1');
  encodeHeader(w, {
    version: m.version,
    code: REQUEST_CODE.NEGOTIATE_ALGORITHMS,
    param1: m.algStructs.length,
    param2: 0,
  });
  encodeOfferBody(w, m, m.version, 4);
}

/**
 * Decodes NEGOTIATE_ALGORITHMS with the layout of its header version, enforcing the request
 * limits of DSP0274 1.3 "NEGOTIATE_ALGORITHMS request and ALGORITHMS response" as libspdm does: Length <= 128 (64 for 1.0) and at most 20 (8)
 * extended entries in total.
 * @throws SpdmError InvalidMsgSize, InvalidMsgField, VersionMismatch.
 */
export function decodeNegotiateAlgorithms(
  src: MsgSource,
  p: { readonly version?: number } = {},
): NegotiateAlgorithms {
  const r = readerOf(src);
  const start = r.offset;
  const h = decodeHeader(r);
  expectCode(h, REQUEST_CODE.NEGOTIATE_ALGORITHMS, 'NEGOTIATE_ALGORITHMS');
  expectKnownVersion(h, 'NEGOTIATE_ALGORITHMS', p.version);
  const v = h.version;
  if (v < SPDM_VERSION.V11) checkReserved(h.param1, 0, 'NEGOTIATE_ALGORITHMS Param1');
  checkReserved(h.param2, 0, 'NEGOTIATE_ALGORITHMS Param2');
  const { offer, length } = decodeOfferBody(r, v, h.param1, start, 'NEGOTIATE_ALGORITHMS');
  r.done('NEGOTIATE_ALGORITHMS');
  const v11 = v >= SPDM_VERSION.V11;
  if (length > (v11 ? MAX_NEGOTIATE_LENGTH_V11 : MAX_NEGOTIATE_LENGTH_V10)) {
    invalidField(`NEGOTIATE_ALGORITHMS: Length ${length} exceeds the maximum`);
  }
  const ext = offer.extAsym.length + offer.extHash.length + externalCount(offer.algStructs);
  if (ext > (v11 ? MAX_EXT_ALG_TOTAL_V11 : MAX_EXT_ALG_TOTAL_V10)) {
    invalidField(`NEGOTIATE_ALGORITHMS: ${ext} extended algorithm entries exceed the maximum`);
  }
  return { code: REQUEST_CODE.NEGOTIATE_ALGORITHMS, version: v, ...offer };
}

/** Size of an ALGORITHMS message. */
export function algorithmsSize(m: Algorithms): number {
  const structs = 4 * m.algStructs.length + 4 * externalCount(m.algStructs);
  return ALGORITHMS_FIXED_SIZE + 4 * (m.extAsymSel.length + m.extHashSel.length) + structs;
}

/** Encodes ALGORITHMS. @throws TypeError / RangeError when a field does not exist at m.version. */
export function encodeAlgorithms(w: ByteWriter, m: Algorithms): void {
  const v = m.version;
  if (v < SPDM_VERSION.V12 && m.otherParamsSelection !== 0)
    throw new TypeError('OtherParamsSelection is 1.2+');
  if (v < SPDM_VERSION.V13 && m.melSpecificationSel !== 0) throw new TypeError('MELspecificationSel is 1.3+');
  if (v < SPDM_VERSION.V11 && m.algStructs.length !== 0)
    throw new TypeError('RespAlgStruct exists from 1.1 on');
  checkInt(m.extAsymSel.length, 0, 1, 'ExtAsymSelCount');
  checkInt(m.extHashSel.length, 0, 1, 'ExtHashSelCount');
  checkInt(m.algStructs.length, 0, 0xff, 'ALGORITHMS Param1');
  checkInt(m.measurementSpecificationSel, 0, 0xff, 'MeasurementSpecificationSel');
  checkInt(m.otherParamsSelection, 0, 0xff, 'OtherParamsSelection');
  checkInt(m.melSpecificationSel, 0, 0xff, 'MELspecificationSel');
  encodeHeader(w, { version: v, code: RESPONSE_CODE.ALGORITHMS, param1: m.algStructs.length, param2: 0 });
  w.u16le(algorithmsSize(m));
  w.u8(m.measurementSpecificationSel).u8(m.otherParamsSelection);
  w.u32le(m.measurementHashAlgo).u32le(m.baseAsymSel).u32le(m.baseHashSel);
  w.zeros(11).u8(m.melSpecificationSel);
  w.u8(m.extAsymSel.length).u8(m.extHashSel.length).u16le(0);
  for (const e of m.extAsymSel) encodeExtAlg(w, e);
  for (const e of m.extHashSel) encodeExtAlg(w, e);
  encodeAlgStructs(w, m.algStructs);
}

/**
 * Decodes ALGORITHMS with the layout of its header version.
 * @throws SpdmError InvalidMsgSize (truncated, Length mismatch), InvalidMsgField (code,
 *   reserved fields, ext selection counts above 1, AlgStruct rules), VersionMismatch.
 */
export function decodeAlgorithms(src: MsgSource, p: { readonly version?: number } = {}): Algorithms {
  const r = readerOf(src);
  const start = r.offset;
  const h = decodeHeader(r);
  expectCode(h, RESPONSE_CODE.ALGORITHMS, 'ALGORITHMS');
  expectKnownVersion(h, 'ALGORITHMS', p.version);
  const v = h.version;
  if (v < SPDM_VERSION.V11) checkReserved(h.param1, 0, 'ALGORITHMS Param1');
  checkReserved(h.param2, 0, 'ALGORITHMS Param2');
  const length = r.u16le('ALGORITHMS Length');
  const measurementSpecificationSel = r.u8('MeasurementSpecificationSel');
  const otherParamsSelection = r.u8('OtherParamsSelection');
  if (v < SPDM_VERSION.V12 && otherParamsSelection !== 0)
    invalidField('ALGORITHMS: OtherParamsSelection is reserved');
  const measurementHashAlgo = r.u32le('MeasurementHashAlgo');
  const baseAsymSel = r.u32le('BaseAsymSel');
  const baseHashSel = r.u32le('BaseHashSel');
  r.reserved(11, 'ALGORITHMS Reserved');
  const melSpecificationSel = r.u8('MELspecificationSel');
  if (v < SPDM_VERSION.V13 && melSpecificationSel !== 0)
    invalidField('ALGORITHMS: MELspecificationSel is reserved');
  const extAsymCount = r.u8('ExtAsymSelCount');
  const extHashCount = r.u8('ExtHashSelCount');
  if (extAsymCount > 1 || extHashCount > 1)
    invalidField('ALGORITHMS: ExtAsymSelCount / ExtHashSelCount above 1');
  r.reserved(2, 'ALGORITHMS Reserved');
  const extAsymSel = decodeExtAlgs(r, extAsymCount, 'ExtAsymSel');
  const extHashSel = decodeExtAlgs(r, extHashCount, 'ExtHashSel');
  const algStructs = v >= SPDM_VERSION.V11 ? decodeAlgStructs(r, h.param1, 'ALGORITHMS') : [];
  const parsed = r.offset - start;
  if (parsed !== length) {
    throw new SpdmError(
      'InvalidMsgSize',
      `ALGORITHMS: Length ${length} differs from the parsed size ${parsed}`,
      {
        wireCode: ERROR_CODE.InvalidRequest,
      },
    );
  }
  r.done('ALGORITHMS');
  return {
    code: RESPONSE_CODE.ALGORITHMS,
    version: v,
    measurementSpecificationSel,
    otherParamsSelection,
    measurementHashAlgo,
    baseAsymSel,
    baseHashSel,
    melSpecificationSel,
    extAsymSel,
    extHashSel,
    algStructs,
  };
}

/** The AlgSupported of the AlgStruct of `algType`, or 0 when the table has none. */
export function algStructValue(structs: readonly AlgStruct[], algType: number): number {
  return structs.find((s) => s.algType === algType)?.algSupported ?? 0;
}
