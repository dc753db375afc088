/**
 * Pieces shared by NEGOTIATE_ALGORITHMS, ALGORITHMS and the 1.3 Supported Algorithms block of
 * CAPABILITIES (DSP0274 1.3 "NEGOTIATE_ALGORITHMS request and ALGORITHMS response"; spdm-reference §2.2, §2.3): extended algorithm
 * entries, AlgStruct tables, and the "offer" body that NEGOTIATE_ALGORITHMS and the Supported
 * Algorithms block have in common (the block is NEGOTIATE_ALGORITHMS minus its first two bytes).
 */
import type { ByteReader } from '../codec/reader.js';
import type { ByteWriter } from '../codec/writer.js';
import { SpdmError } from '../errors.js';
import { ERROR_CODE, SPDM_VERSION } from './codes.js';
import { checkInt, invalidField } from './fields.js';

/** Extended algorithm entry: RegistryID(1), Reserved(1), AlgorithmID(2) (DSP0274 1.3 "NEGOTIATE_ALGORITHMS request and ALGORITHMS response"). */
export interface ExtAlg {
  readonly registryId: number;
  readonly algorithmId: number;
}

/**
 * AlgStruct: AlgType(1), AlgCount(1), AlgSupported(2), AlgExternal[n]. AlgCount bits 7:4 are
 * the fixed-field size (always 2), bits 3:0 the number of external entries.
 */
export interface AlgStruct {
  /** ALG_TYPE: 2 DHE, 3 AEAD, 4 ReqBaseAsymAlg, 5 KeySchedule. */
  readonly algType: number;
  /** Bit mask (request: supported; response: the one selected bit, or 0). */
  readonly algSupported: number;
  readonly external: readonly ExtAlg[];
}

/** AlgType range of SPDM 1.1-1.3 (6 and 7 are 1.4 only). */
export const ALG_TYPE_MIN = 2;
export const ALG_TYPE_MAX = 5;
/** Max ExtAsym/ExtHash/AlgExternal entries in one NEGOTIATE_ALGORITHMS (DSP0274 1.3 "NEGOTIATE_ALGORITHMS request and ALGORITHMS response"). */
export const MAX_EXT_ALG_TOTAL_V10 = 8;
export const MAX_EXT_ALG_TOTAL_V11 = 20;
/** Max NEGOTIATE_ALGORITHMS Length. */
export const MAX_NEGOTIATE_LENGTH_V10 = 64;
export const MAX_NEGOTIATE_LENGTH_V11 = 128;

/** Encodes one extended algorithm entry. @throws RangeError when a field is out of range. */
export function encodeExtAlg(w: ByteWriter, e: ExtAlg): void {
  checkInt(e.registryId, 0, 0xff, 'RegistryID');
  checkInt(e.algorithmId, 0, 0xffff, 'AlgorithmID');
  w.u8(e.registryId).u8(0).u16le(e.algorithmId);
}

/** Reads `n` extended entries after checking that they fit. @throws SpdmError */
export function decodeExtAlgs(r: ByteReader, n: number, what: string): ExtAlg[] {
  if (r.remaining < 4 * n) {
    throw new SpdmError('InvalidMsgSize', `${what}: ${n} entries do not fit in ${r.remaining} byte(s)`, {
      wireCode: ERROR_CODE.InvalidRequest,
    });
  }
  const out: ExtAlg[] = [];
  for (let i = 0; i < n; i++) {
    const registryId = r.u8(`${what} RegistryID`);
    r.reserved(1, `${what} Reserved`);
    out.push({ registryId, algorithmId: r.u16le(`${what} AlgorithmID`) });
  }
  return out;
}

/** Encodes AlgStruct tables. @throws RangeError on misuse (ext count > 15, values out of range). */
export function encodeAlgStructs(w: ByteWriter, structs: readonly AlgStruct[]): void {
  for (const s of structs) {
    checkInt(s.algType, 0, 0xff, 'AlgType');
    checkInt(s.external.length, 0, 15, 'AlgExternal count');
    checkInt(s.algSupported, 0, 0xffff, 'AlgSupported');
    w.u8(s.algType)
      .u8(0x20 | s.external.length)
      .u16le(s.algSupported);
    for (const e of s.external) encodeExtAlg(w, e);
  }
}

/**
 * Reads `count` AlgStruct tables, enforcing what libspdm enforces on both sides: fixed-field
 * size 2, AlgType within 2..5, strictly increasing AlgType (DSP0274 1.3 "NEGOTIATE_ALGORITHMS request and ALGORITHMS response").
 * @throws SpdmError InvalidMsgSize (truncated), InvalidMsgField (the rules above).
 */
export function decodeAlgStructs(r: ByteReader, count: number, what: string): AlgStruct[] {
  if (r.remaining < 4 * count) {
    throw new SpdmError(
      'InvalidMsgSize',
      `${what}: ${count} AlgStruct(s) do not fit in ${r.remaining} byte(s)`,
      {
        wireCode: ERROR_CODE.InvalidRequest,
      },
    );
  }
  const out: AlgStruct[] = [];
  let prev = -1;
  for (let i = 0; i < count; i++) {
    const algType = r.u8(`${what} AlgType`);
    const algCount = r.u8(`${what} AlgCount`);
    const algSupported = r.u16le(`${what} AlgSupported`);
    if (algType < ALG_TYPE_MIN || algType > ALG_TYPE_MAX)
      invalidField(`${what}: AlgType ${algType} is not 2..5`);
    if (algType <= prev) invalidField(`${what}: AlgType ${algType} after ${prev} is not strictly increasing`);
    if (algCount >> 4 !== 2) invalidField(`${what}: AlgCount fixed size ${algCount >> 4} is not 2`);
    prev = algType;
    out.push({ algType, algSupported, external: decodeExtAlgs(r, algCount & 0xf, `${what} AlgExternal`) });
  }
  return out;
}

/** Number of external entries in a set of AlgStructs. */
export function externalCount(structs: readonly AlgStruct[]): number {
  let n = 0;
  for (const s of structs) n += s.external.length;
  return n;
}

/**
 * The algorithm offer of NEGOTIATE_ALGORITHMS, also the body of the 1.3 Supported Algorithms
 * block of CAPABILITIES.
 */
export interface AlgorithmOffer {
  /** MeasurementSpecification bit mask (bit0 = DMTF). */
  readonly measurementSpecification: number;
  /** 1.2+: OtherParamsSupport (bits 3:0 opaque formats, bit4 responder MULTI_KEY_CONN); 0 before. */
  readonly otherParamsSupport: number;
  readonly baseAsymAlgo: number;
  readonly baseHashAlgo: number;
  /** 1.3+: MELspecification (bit0 = DMTF); 0 before. */
  readonly melSpecification: number;
  readonly extAsym: readonly ExtAlg[];
  readonly extHash: readonly ExtAlg[];
  /** 1.1+: ReqAlgStruct tables in increasing AlgType order; empty for 1.0. */
  readonly algStructs: readonly AlgStruct[];
}

/** Size of the offer body from its Length field on (the fixed part is 28 bytes). */
export function offerSize(o: AlgorithmOffer): number {
  return (
    28 + 4 * (o.extAsym.length + o.extHash.length) + 4 * o.algStructs.length + 4 * externalCount(o.algStructs)
  );
}

/**
 * Writes Length .. AlgStructs; `lengthBias` is added to the Length field for the bytes before it
 * that Length also counts (4 for NEGOTIATE_ALGORITHMS, whose Length covers the whole message; 2
 * for the Supported Algorithms block, whose Length starts at its Param1).
 * @throws RangeError / TypeError on misuse.
 */
export function encodeOfferBody(w: ByteWriter, o: AlgorithmOffer, version: number, lengthBias: number): void {
  if (version < SPDM_VERSION.V12 && o.otherParamsSupport !== 0) {
    throw new TypeError('OtherParamsSupport exists from SPDM 1.2 on');
  }
  if (version < SPDM_VERSION.V13 && o.melSpecification !== 0)
    throw new TypeError('MELspecification exists from 1.3 on');
  if (version < SPDM_VERSION.V11 && o.algStructs.length !== 0)
    throw new TypeError('AlgStructs exist from 1.1 on');
  checkInt(o.extAsym.length, 0, 0xff, 'ExtAsymCount');
  checkInt(o.extHash.length, 0, 0xff, 'ExtHashCount');
  checkInt(o.measurementSpecification, 0, 0xff, 'MeasurementSpecification');
  checkInt(o.otherParamsSupport, 0, 0xff, 'OtherParamsSupport');
  checkInt(o.melSpecification, 0, 0xff, 'MELspecification');
  w.u16le(offerSize(o) + lengthBias);
  w.u8(o.measurementSpecification).u8(o.otherParamsSupport);
  w.u32le(o.baseAsymAlgo).u32le(o.baseHashAlgo).zeros(12);
  w.u8(o.extAsym.length).u8(o.extHash.length).u8(0).u8(o.melSpecification);
  for (const e of o.extAsym) encodeExtAlg(w, e);
  for (const e of o.extHash) encodeExtAlg(w, e);
  encodeAlgStructs(w, o.algStructs);
}

/**
 * Reads Length .. AlgStructs (`structCount` from Param1) and checks that Length equals the
 * parsed size (the bytes from `start`, the offset Length counts from).
 * @throws SpdmError InvalidMsgSize (truncated, Length mismatch), InvalidMsgField (reserved
 *   fields, AlgStruct rules).
 */
export function decodeOfferBody(
  r: ByteReader,
  version: number,
  structCount: number,
  start: number,
  what: string,
): { offer: AlgorithmOffer; length: number } {
  const length = r.u16le(`${what} Length`);
  const measurementSpecification = r.u8(`${what} MeasurementSpecification`);
  const otherParamsSupport = r.u8(`${what} OtherParamsSupport`);
  if (version < SPDM_VERSION.V12 && otherParamsSupport !== 0)
    invalidField(`${what}: OtherParamsSupport is reserved`);
  const baseAsymAlgo = r.u32le(`${what} BaseAsymAlgo`);
  const baseHashAlgo = r.u32le(`${what} BaseHashAlgo`);
  r.reserved(12, `${what} Reserved`);
  const extAsymCount = r.u8(`${what} ExtAsymCount`);
  const extHashCount = r.u8(`${what} ExtHashCount`);
  r.reserved(1, `${what} Reserved`);
  const melSpecification = r.u8(`${what} MELspecification`);
  if (version < SPDM_VERSION.V13 && melSpecification !== 0)
    invalidField(`${what}: MELspecification is reserved`);
  const extAsym = decodeExtAlgs(r, extAsymCount, `${what} ExtAsym`);
  const extHash = decodeExtAlgs(r, extHashCount, `${what} ExtHash`);
  const algStructs = version >= SPDM_VERSION.V11 ? decodeAlgStructs(r, structCount, what) : [];
  const parsed = r.offset - start;
  if (parsed !== length) {
    throw new SpdmError(
      'InvalidMsgSize',
      `${what}: Length ${length} differs from the parsed size ${parsed}`,
      {
        wireCode: ERROR_CODE.InvalidRequest,
      },
    );
  }
  const offer = {
    measurementSpecification,
    otherParamsSupport,
    baseAsymAlgo,
    baseHashAlgo,
    melSpecification,
    extAsym,
    extHash,
    algStructs,
  };
  return { offer, length };
}
