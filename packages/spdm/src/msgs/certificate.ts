/**
 * GET_CERTIFICATE / CERTIFICATE (DSP0274 1.3 "GET_CERTIFICATE request and CERTIFICATE
 * response"; spdm-reference §2.5): the requester reads a slot's SPDM certificate chain in
 * portions (Offset/Length), the responder answers with PortionLength bytes and how many remain.
 * Reassembling the portions is `CertChainAssembler` (identity/cert-chain.ts).
 */
import type { ByteWriter } from '../codec/writer.js';
import { SpdmError } from '../errors.js';
import { ERROR_CODE, REQUEST_CODE, RESPONSE_CODE, SPDM_VERSION } from './codes.js';
import { CERT_MODEL, SLOT_COUNT } from './digests.js';
import {
  checkInt,
  checkReserved,
  expectSize,
  invalidField,
  type MsgSource,
  readerOf,
  readHeader,
} from './fields.js';
import { encodeHeader } from './header.js';

/** GET_CERTIFICATE is always 8 bytes; CERTIFICATE has an 8-byte fixed part before the portion. */
export const GET_CERTIFICATE_SIZE = 8;
export const CERTIFICATE_FIXED_SIZE = 8;

/** GET_CERTIFICATE Param2 request attributes (1.3). */
export const CERT_REQUEST_ATTR = {
  SLOT_SIZE_REQUESTED: 1 << 0,
} as const;

export interface GetCertificate {
  readonly code: typeof REQUEST_CODE.GET_CERTIFICATE;
  readonly version: number;
  /** Param1 bits 3:0, 0..7. */
  readonly slotId: number;
  /** 1.3 Param2 bit0: ask for the slot's capacity instead of data (false before 1.3). */
  readonly slotSizeRequested: boolean;
  /** Offset into the chain structure, and how many bytes the requester wants from there. */
  readonly offset: number;
  readonly length: number;
}

export interface Certificate {
  readonly code: typeof RESPONSE_CODE.CERTIFICATE;
  readonly version: number;
  readonly slotId: number;
  /** 1.3 Param2 CertificateInfo (bits 2:0 = CERT_MODEL); 0 before 1.3. */
  readonly certificateInfo: number;
  /** The chain bytes of this response (a view; PortionLength = its length). */
  readonly portion: Uint8Array;
  /** Bytes of the chain left after this portion. */
  readonly remainderLength: number;
}

export interface CertificateParams {
  readonly version: number;
  /**
   * Largest PortionLength the caller accepts, normally the Length it asked for. A larger one is
   * refused before any byte of the portion is touched.
   */
  readonly maxPortionLength: number;
}

/** Encodes GET_CERTIFICATE. @throws RangeError / TypeError on out-of-range fields. */
export function encodeGetCertificate(w: ByteWriter, m: GetCertificate): void {
  checkInt(m.slotId, 0, SLOT_COUNT - 1, 'GET_CERTIFICATE SlotID');
  checkInt(m.offset, 0, 0xffff, 'GET_CERTIFICATE Offset');
  checkInt(m.length, 0, 0xffff, 'GET_CERTIFICATE Length');
  if (m.slotSizeRequested && m.version < SPDM_VERSION.V13) {
    throw new TypeError('GET_CERTIFICATE: SlotSizeRequested exists from SPDM 1.3 on');
  }
  const param2 = m.slotSizeRequested ? CERT_REQUEST_ATTR.SLOT_SIZE_REQUESTED : 0;
  encodeHeader(w, { version: m.version, code: REQUEST_CODE.GET_CERTIFICATE, param1: m.slotId, param2 });
  w.u16le(m.offset).u16le(m.length);
}

/**
 * Decodes GET_CERTIFICATE (8 bytes).
 * @throws SpdmError InvalidMsgSize, InvalidMsgField (code, version, reserved bits, SlotID > 7).
 */
export function decodeGetCertificate(src: MsgSource, p: { readonly version: number }): GetCertificate {
  const r = readerOf(src);
  const start = r.offset;
  const h = readHeader(r, REQUEST_CODE.GET_CERTIFICATE, p.version, 'GET_CERTIFICATE');
  expectSize(r, start, GET_CERTIFICATE_SIZE, 'GET_CERTIFICATE');
  // Param1 bit7 is LargeCertChain in 1.4, outside what we negotiate: reserved here.
  checkReserved(h.param1, 0x0f, 'GET_CERTIFICATE Param1');
  const slotId = checkSlot(h.param1, 'GET_CERTIFICATE');
  const v13 = h.version >= SPDM_VERSION.V13;
  checkReserved(h.param2, v13 ? CERT_REQUEST_ATTR.SLOT_SIZE_REQUESTED : 0, 'GET_CERTIFICATE Param2');
  const offset = r.u16le('Offset');
  const length = r.u16le('Length');
  r.done('GET_CERTIFICATE');
  return {
    code: REQUEST_CODE.GET_CERTIFICATE,
    version: h.version,
    slotId,
    slotSizeRequested: (h.param2 & CERT_REQUEST_ATTR.SLOT_SIZE_REQUESTED) !== 0,
    offset,
    length,
  };
}

/** Encodes CERTIFICATE. @throws RangeError / TypeError on out-of-range fields. */
export function encodeCertificate(w: ByteWriter, m: Certificate): void {
  checkInt(m.slotId, 0, SLOT_COUNT - 1, 'CERTIFICATE SlotID');
  checkInt(m.portion.length, 0, 0xffff, 'CERTIFICATE PortionLength');
  checkInt(m.remainderLength, 0, 0xffff, 'CERTIFICATE RemainderLength');
  checkInt(m.certificateInfo, 0, CERT_MODEL.GENERIC_CERT, 'CERTIFICATE CertificateInfo');
  if (m.certificateInfo !== 0 && m.version < SPDM_VERSION.V13) {
    throw new TypeError('CERTIFICATE: CertificateInfo exists from SPDM 1.3 on');
  }
  encodeHeader(w, {
    version: m.version,
    code: RESPONSE_CODE.CERTIFICATE,
    param1: m.slotId,
    param2: m.certificateInfo,
  });
  w.u16le(m.portion.length).u16le(m.remainderLength).bytes(m.portion);
}

/**
 * Decodes CERTIFICATE. PortionLength is checked against the bytes actually present and against
 * `p.maxPortionLength` before the portion is read; the portion is returned as a view.
 * @throws SpdmError InvalidMsgSize (PortionLength disagrees with the message), InvalidMsgField
 *   (code, version, reserved bits, SlotID > 7, PortionLength above the caller's maximum).
 */
export function decodeCertificate(src: MsgSource, p: CertificateParams): Certificate {
  const r = readerOf(src);
  const h = readHeader(r, RESPONSE_CODE.CERTIFICATE, p.version, 'CERTIFICATE');
  checkReserved(h.param1, 0x0f, 'CERTIFICATE Param1');
  const slotId = checkSlot(h.param1, 'CERTIFICATE');
  const v13 = h.version >= SPDM_VERSION.V13;
  checkReserved(h.param2, v13 ? 0x07 : 0, 'CERTIFICATE Param2');
  if (h.param2 > CERT_MODEL.GENERIC_CERT)
    invalidField(`CERTIFICATE: certificate model ${h.param2} is reserved`);
  const portionLength = r.u16le('PortionLength');
  const remainderLength = r.u16le('RemainderLength');
  if (portionLength !== r.remaining) {
    throw new SpdmError(
      'InvalidMsgSize',
      `CERTIFICATE: PortionLength ${portionLength} but ${r.remaining} byte(s) follow the header`,
      { wireCode: ERROR_CODE.InvalidRequest },
    );
  }
  if (portionLength > p.maxPortionLength) {
    invalidField(`CERTIFICATE: PortionLength ${portionLength} exceeds the maximum ${p.maxPortionLength}`);
  }
  const portion = r.bytes(portionLength, 'CERTIFICATE portion');
  r.done('CERTIFICATE');
  return {
    code: RESPONSE_CODE.CERTIFICATE,
    version: h.version,
    slotId,
    certificateInfo: v13 ? h.param2 : 0,
    portion,
    remainderLength,
  };
}

function checkSlot(param1: number, what: string): number {
  const slot = param1 & 0x0f;
  if (slot >= SLOT_COUNT) invalidField(`${what}: SlotID ${slot} out of range`);
  return slot;
}
