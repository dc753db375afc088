/**
 * VENDOR_DEFINED_REQUEST / VENDOR_DEFINED_RESPONSE (DSP0274 1.3 "VENDOR_DEFINED_REQUEST request and
 * VENDOR_DEFINED_RESPONSE response"; spdm-reference §2.13): header (Param1/Param2 reserved), StandardID u16, Len u8, VendorID[Len],
 * ReqLength/RespLength u16, payload. SPDM 1.0+, in or out of a session; never in a transcript.
 * The 1.4 large-VDM form is not supported. StandardID values are REGISTRY_ID (opaque-data.ts);
 * the VendorID length each registry implies is not enforced.
 */
import type { ByteWriter } from '../codec/writer.js';
import { SpdmError } from '../errors.js';
import { ERROR_CODE, REQUEST_CODE, RESPONSE_CODE } from './codes.js';
import {
  checkInt,
  checkReserved,
  type MsgSource,
  readerOf,
  readHeader,
  type VersionParams,
} from './fields.js';
import { encodeHeader, HEADER_SIZE } from './header.js';
import { checkVersionParam, needAtLeast, needExactly } from './session-params.js';

interface VendorDefinedBody {
  readonly version: number;
  /** REGISTRY_ID value. */
  readonly standardId: number;
  /** 0-255 bytes. */
  readonly vendorId: Uint8Array;
  /** 0-65535 bytes (and at most the caller's maxPayloadSize when decoding). */
  readonly payload: Uint8Array;
}

export interface VendorDefinedRequest extends VendorDefinedBody {
  readonly code: typeof REQUEST_CODE.VENDOR_DEFINED_REQUEST;
}

export interface VendorDefinedResponse extends VendorDefinedBody {
  readonly code: typeof RESPONSE_CODE.VENDOR_DEFINED_RESPONSE;
}

export interface VendorDefinedParams extends VersionParams {
  /** Largest payload accepted; a larger ReqLength/RespLength is TooLarge. Default 65535. */
  readonly maxPayloadSize?: number;
}

function encodeBody(w: ByteWriter, code: number, m: VendorDefinedBody, what: string): void {
  checkVersionParam(m.version, 0x10, what);
  checkInt(m.standardId, 0, 0xffff, `${what} StandardID`);
  checkInt(m.vendorId.length, 0, 0xff, `${what} VendorID length`);
  checkInt(m.payload.length, 0, 0xffff, `${what} payload length`);
  encodeHeader(w, { version: m.version, code, param1: 0, param2: 0 });
  w.u16le(m.standardId).u8(m.vendorId.length).bytes(m.vendorId);
  w.u16le(m.payload.length).bytes(m.payload);
}

function decodeBody(src: MsgSource, code: number, p: VendorDefinedParams, what: string): VendorDefinedBody {
  checkVersionParam(p.version, 0x10, what);
  const max = p.maxPayloadSize ?? 0xffff;
  checkInt(max, 0, 0xffff, `${what} maxPayloadSize`);
  const r = readerOf(src);
  needAtLeast(r, HEADER_SIZE + 5, what);
  const h = readHeader(r, code, p.version, what);
  checkReserved(h.param1, 0, `${what} Param1`);
  checkReserved(h.param2, 0, `${what} Param2`);
  const standardId = r.u16le('StandardID');
  const vendorId = r.bytes(r.u8('Len'), 'VendorID');
  const len = r.u16le('payload length');
  if (len > max) {
    // RequestTooLarge (1.2+) is what a responder answers; a requester has nothing to send back.
    const wireCode = code === REQUEST_CODE.VENDOR_DEFINED_REQUEST ? ERROR_CODE.RequestTooLarge : undefined;
    throw new SpdmError('TooLarge', `${what}: payload of ${len} bytes exceeds ${max}`, { wireCode });
  }
  needExactly(r, len, `${what} payload`);
  const payload = r.bytes(len, 'payload');
  r.done(what);
  return { version: h.version, standardId, vendorId, payload };
}

/**
 * Writes VENDOR_DEFINED_REQUEST.
 * @throws RangeError on out-of-range StandardID or lengths.
 */
export function encodeVendorDefinedRequest(w: ByteWriter, m: VendorDefinedRequest): void {
  encodeBody(w, REQUEST_CODE.VENDOR_DEFINED_REQUEST, m, 'VENDOR_DEFINED_REQUEST');
}

/**
 * Reads VENDOR_DEFINED_REQUEST; VendorID and payload are views into the input.
 * @throws SpdmError InvalidMsgSize (truncated, lengths past the end, trailing bytes),
 *   InvalidMsgField (wrong code or version, reserved params), TooLarge (payload over
 *   maxPayloadSize, wire RequestTooLarge).
 */
export function decodeVendorDefinedRequest(src: MsgSource, p: VendorDefinedParams): VendorDefinedRequest {
  const b = decodeBody(src, REQUEST_CODE.VENDOR_DEFINED_REQUEST, p, 'VENDOR_DEFINED_REQUEST');
  return { code: REQUEST_CODE.VENDOR_DEFINED_REQUEST, ...b };
}

/**
 * Writes VENDOR_DEFINED_RESPONSE.
 * @throws RangeError on out-of-range StandardID or lengths.
 */
export function encodeVendorDefinedResponse(w: ByteWriter, m: VendorDefinedResponse): void {
  encodeBody(w, RESPONSE_CODE.VENDOR_DEFINED_RESPONSE, m, 'VENDOR_DEFINED_RESPONSE');
}

/**
 * Reads VENDOR_DEFINED_RESPONSE; VendorID and payload are views into the input.
 * @throws as decodeVendorDefinedRequest.
 */
export function decodeVendorDefinedResponse(src: MsgSource, p: VendorDefinedParams): VendorDefinedResponse {
  const b = decodeBody(src, RESPONSE_CODE.VENDOR_DEFINED_RESPONSE, p, 'VENDOR_DEFINED_RESPONSE');
  return { code: RESPONSE_CODE.VENDOR_DEFINED_RESPONSE, ...b };
}
