/**
 * Field helpers shared by the message codecs of the authentication phase (DIGESTS,
 * CERTIFICATE, CHALLENGE_AUTH, MEASUREMENTS) and usable by later ones: where a decoder's input
 * comes from, header checks against the negotiated version, reserved-bit checks, and the
 * nonce / opaque-data / RequesterContext fields that several messages share (DSP0274 1.3 §10).
 */
import { ByteReader } from '../codec/reader.js';
import { SpdmError } from '../errors.js';
import { ERROR_CODE, SPDM_VERSION, versionName } from './codes.js';
import { decodeHeader, expectCode, type Header } from './header.js';

/** A complete message, or a reader positioned at its first byte and ending at its last. */
export type MsgSource = Uint8Array | ByteReader;

/** Every decoder needs at least the negotiated SPDMVersion byte (0x10..0x13). */
export interface VersionParams {
  readonly version: number;
}

/** Nonce size in CHALLENGE, CHALLENGE_AUTH, GET_MEASUREMENTS, MEASUREMENTS (DSP0274 1.3 §10). */
export const NONCE_SIZE = 32;
/** RequesterContext size (DSP0274 1.3 §10.8, §10.11), present from SPDM 1.3 on. */
export const REQUESTER_CONTEXT_SIZE = 8;
/** Upper bound of OpaqueDataLength (DSP0274 1.3 §10.8 Table 34, §10.11). */
export const MAX_OPAQUE_DATA_SIZE = 1024;

export function readerOf(src: MsgSource): ByteReader {
  return src instanceof ByteReader ? src : new ByteReader(src);
}

/** True when the negotiated version carries RequesterContext (1.3+). */
export function hasRequesterContext(version: number): boolean {
  return version >= SPDM_VERSION.V13;
}

/**
 * Reads the header and checks its code and its version against the negotiated one.
 * @throws SpdmError InvalidMsgSize (shorter than 4 bytes) or InvalidMsgField (wrong code or
 *   version; the version case carries wireCode VersionMismatch).
 */
export function readHeader(r: ByteReader, code: number, version: number, what: string): Header {
  const h = decodeHeader(r);
  expectCode(h, code, what);
  if (h.version !== version) {
    throw new SpdmError(
      'InvalidMsgField',
      `${what}: version ${versionName(h.version)} differs from the negotiated ${versionName(version)}`,
      { wireCode: ERROR_CODE.VersionMismatch },
    );
  }
  return h;
}

/** @throws SpdmError InvalidMsgField when any bit of `value` outside `allowed` is set. */
export function checkReserved(value: number, allowed: number, what: string): void {
  if ((value & ~allowed) !== 0) {
    throw new SpdmError('InvalidMsgField', `${what}: reserved bits set (0x${value.toString(16)})`, {
      wireCode: ERROR_CODE.InvalidRequest,
    });
  }
}

/**
 * Checks the size of a fixed-size message whose first byte is at offset `start` of the reader.
 * @throws SpdmError InvalidMsgSize unless the message is exactly `expected` bytes.
 */
export function expectSize(r: ByteReader, start: number, expected: number, what: string): void {
  const size = r.offset - start + r.remaining;
  if (size !== expected) {
    throw new SpdmError('InvalidMsgSize', `${what}: ${size} byte(s), expected ${expected}`, {
      wireCode: ERROR_CODE.InvalidRequest,
    });
  }
}

/** Throws the InvalidMsgField error every decoder uses for a forbidden value. @throws SpdmError */
export function invalidField(msg: string): never {
  throw new SpdmError('InvalidMsgField', msg, { wireCode: ERROR_CODE.InvalidRequest });
}

/** Reads OpaqueDataLength (u16) and OpaqueData, refusing more than 1024 bytes. */
export function readOpaqueData(r: ByteReader, what: string): Uint8Array {
  const len = r.u16le(`${what} OpaqueDataLength`);
  if (len > MAX_OPAQUE_DATA_SIZE) {
    throw new SpdmError(
      'InvalidMsgField',
      `${what}: OpaqueDataLength ${len} exceeds ${MAX_OPAQUE_DATA_SIZE}`,
      {
        wireCode: ERROR_CODE.InvalidRequest,
      },
    );
  }
  return r.bytes(len, `${what} OpaqueData`);
}

/** Checks that a byte field of a message to encode has its fixed size. @throws TypeError */
export function checkLength(b: Uint8Array | undefined, size: number, what: string): Uint8Array {
  if (!(b instanceof Uint8Array) || b.length !== size) {
    throw new TypeError(`${what} must be ${size} byte(s), got ${b === undefined ? 'none' : b.length}`);
  }
  return b;
}

/** Checks that an optional field is present exactly when the layout says so. @throws TypeError */
export function checkPresence(b: Uint8Array | undefined, present: boolean, size: number, what: string): void {
  if (present) checkLength(b, size, what);
  else if (b !== undefined) throw new TypeError(`${what} must be absent here`);
}

/** Checks an integer field of a message to encode. @throws RangeError */
export function checkInt(v: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${what} out of range: ${v}`);
}

/** Opaque data to encode: at most 1024 bytes. @throws RangeError */
export function checkOpaque(b: Uint8Array, what: string): void {
  if (!(b instanceof Uint8Array) || b.length > MAX_OPAQUE_DATA_SIZE) {
    throw new RangeError(
      `${what}: opaque data must be a Uint8Array of at most ${MAX_OPAQUE_DATA_SIZE} bytes`,
    );
  }
}

/**
 * The part of a signed response that the transcript records (DSP0274 1.3 §10.8, §10.11;
 * spdm-reference §3.1: "the last response without Signature"): `msg` minus its last `sigSize`.
 * @throws SpdmError InvalidMsgSize when the message is shorter than the signature.
 */
export function withoutSignature(msg: Uint8Array, sigSize: number): Uint8Array {
  if (!Number.isInteger(sigSize) || sigSize < 0 || msg.length < sigSize) {
    throw new SpdmError(
      'InvalidMsgSize',
      `message of ${msg.length} byte(s) cannot hold a ${sigSize}-byte signature`,
    );
  }
  return msg.subarray(0, msg.length - sigSize);
}
