/**
 * FINISH / FINISH_RSP (DSP0274 1.3 "FINISH request and FINISH_RSP response"; spdm-reference
 * §2.10): the requester proves it holds the handshake secret (and, with mutual authentication,
 * its key); the session is then established. SPDM 1.1-1.3 layouts (the 1.4 OpaqueData field is
 * not supported). Without HANDSHAKE_IN_THE_CLEAR both travel inside the session under the
 * handshake keys; this codec sees the decrypted message either way.
 *
 * Transcript helpers (spdm-reference §3.2):
 * - the FINISH signature covers VCA ‖ Hash(Ct) ‖ KE ‖ KR ‖ Hash(CM) ‖ FINISH header
 *   (`finishSignedPart`, `encodeFinishSignedPart`);
 * - RequesterVerifyData = HMAC(finished key, Hash(... ‖ FINISH without its last H bytes))
 *   (`finishHmacPart`);
 * - with HANDSHAKE_IN_THE_CLEAR, ResponderVerifyData in FINISH_RSP is the HMAC over
 *   Hash(... ‖ FINISH ‖ FINISH_RSP header) (`finishRspHmacPart`).
 */
import type { ByteReader } from '../codec/reader.js';
import { ByteWriter } from '../codec/writer.js';
import { PUBLIC_KEY_SLOT } from './challenge.js';
import { REQUEST_CODE, RESPONSE_CODE } from './codes.js';
import { SLOT_COUNT } from './digests.js';
import {
  checkInt,
  checkReserved,
  expectSize,
  invalidField,
  type MsgSource,
  readerOf,
  readHeader,
} from './fields.js';
import { encodeHeader, HEADER_SIZE } from './header.js';
import {
  checkSizeParam,
  checkVersionParam,
  needAtLeast,
  needExactly,
  type SessionMsgParams,
} from './session-params.js';

/** FINISH Param1 bit 0: a requester Signature is included. */
export const FINISH_SIGNATURE_INCLUDED = 0x01;

export interface Finish {
  readonly code: typeof REQUEST_CODE.FINISH;
  readonly version: number;
  /** Param2: requester slot 0-7 or PUBLIC_KEY_SLOT (0xFF) when signed; 0 when unsigned. */
  readonly reqSlotId: number;
  /** Requester's signature (ReqBaseAsymAlg size); present iff Param1 bit 0 is set. */
  readonly signature?: Uint8Array;
  /** H bytes. */
  readonly requesterVerifyData: Uint8Array;
}

/** What the FINISH header says; known before the signature exists. */
export interface FinishHeaderFields {
  readonly version: number;
  readonly signatureIncluded: boolean;
  readonly reqSlotId: number;
}

export type FinishParams = Pick<SessionMsgParams, 'version' | 'hashSize' | 'reqSigSize'>;

export interface FinishRsp {
  readonly code: typeof RESPONSE_CODE.FINISH_RSP;
  readonly version: number;
  /** H bytes; present iff HANDSHAKE_IN_THE_CLEAR was negotiated. */
  readonly responderVerifyData?: Uint8Array;
}

export type FinishRspParams = Pick<SessionMsgParams, 'version' | 'hashSize' | 'handshakeInTheClear'>;

const isReqSlot = (v: number): boolean => (v >= 0 && v < SLOT_COUNT) || v === PUBLIC_KEY_SLOT;

/**
 * Writes the FINISH header: the part of FINISH the requester's signature covers. Continue with
 * `w.bytes(signature)` (if included), then `w.bytes(requesterVerifyData)`.
 * @throws RangeError on a bad slot, or a non-zero slot without signature.
 */
export function encodeFinishSignedPart(w: ByteWriter, h: FinishHeaderFields): void {
  checkVersionParam(h.version, 0x11, 'FINISH');
  checkInt(h.reqSlotId, 0, 0xff, 'FINISH ReqSlotID');
  if (h.signatureIncluded ? !isReqSlot(h.reqSlotId) : h.reqSlotId !== 0) {
    throw new RangeError(`FINISH: ReqSlotID ${h.reqSlotId} with signatureIncluded=${h.signatureIncluded}`);
  }
  const param1 = h.signatureIncluded ? FINISH_SIGNATURE_INCLUDED : 0;
  encodeHeader(w, { version: h.version, code: REQUEST_CODE.FINISH, param1, param2: h.reqSlotId });
}

/** The 4 header bytes of a FINISH with these fields (the tail of the FINISH signing transcript). */
export function finishHeaderBytes(h: FinishHeaderFields): Uint8Array {
  const w = new ByteWriter(HEADER_SIZE);
  encodeFinishSignedPart(w, h);
  return w.finish();
}

/**
 * Writes the whole FINISH.
 * @throws RangeError as encodeFinishSignedPart.
 */
export function encodeFinish(w: ByteWriter, m: Finish): void {
  const signatureIncluded = m.signature !== undefined;
  encodeFinishSignedPart(w, { version: m.version, signatureIncluded, reqSlotId: m.reqSlotId });
  if (m.signature) w.bytes(m.signature);
  w.bytes(m.requesterVerifyData);
}

function readFinish(r: ByteReader, p: FinishParams): Finish {
  checkVersionParam(p.version, 0x11, 'FINISH');
  checkSizeParam(p.hashSize, 'FINISH hashSize');
  checkSizeParam(p.reqSigSize, 'FINISH reqSigSize', 0);
  needAtLeast(r, HEADER_SIZE + p.hashSize, 'FINISH');
  const h = readHeader(r, REQUEST_CODE.FINISH, p.version, 'FINISH');
  checkReserved(h.param1, FINISH_SIGNATURE_INCLUDED, 'FINISH Param1');
  const signed = (h.param1 & FINISH_SIGNATURE_INCLUDED) !== 0;
  if (signed && p.reqSigSize === 0)
    invalidField('FINISH: signature included but no ReqBaseAsymAlg negotiated');
  if (signed ? !isReqSlot(h.param2) : h.param2 !== 0) invalidField(`FINISH: ReqSlotID ${h.param2}`);
  needExactly(r, (signed ? p.reqSigSize : 0) + p.hashSize, 'FINISH after header');
  const signature = signed ? r.bytes(p.reqSigSize, 'Signature') : undefined;
  const requesterVerifyData = r.bytes(p.hashSize, 'RequesterVerifyData');
  r.done('FINISH');
  return {
    code: REQUEST_CODE.FINISH,
    version: h.version,
    reqSlotId: h.param2,
    ...(signature ? { signature } : {}),
    requesterVerifyData,
  };
}

/**
 * Reads FINISH; consumes exactly the message. Whether a signature is present comes from
 * Param1 bit 0; the caller checks that against the MutAuthRequested it sent or received.
 * @throws SpdmError InvalidMsgSize (truncated or trailing bytes), InvalidMsgField (wrong code or
 *   version, reserved Param1 bits, bad ReqSlotID, a signature without ReqBaseAsymAlg).
 * @throws RangeError if `p` itself is unusable.
 */
export function decodeFinish(src: MsgSource, p: FinishParams): Finish {
  return readFinish(readerOf(src), p);
}

/**
 * The bytes of a received FINISH its Signature covers: the 4-byte header (validated together
 * with the rest of the message), as a view.
 * @throws as decodeFinish.
 */
export function finishSignedPart(msg: Uint8Array, p: FinishParams): Uint8Array {
  readFinish(readerOf(msg), p);
  return msg.subarray(0, HEADER_SIZE);
}

/**
 * The bytes of a received FINISH that RequesterVerifyData's transcript ends with: everything
 * but the last H bytes (header and signature), as a view.
 * @throws as decodeFinish.
 */
export function finishHmacPart(msg: Uint8Array, p: FinishParams): Uint8Array {
  readFinish(readerOf(msg), p);
  return msg.subarray(0, msg.length - p.hashSize);
}

/**
 * Writes FINISH_RSP (header, then ResponderVerifyData when given).
 * @throws RangeError on a version before 1.1.
 */
export function encodeFinishRsp(w: ByteWriter, m: FinishRsp): void {
  checkVersionParam(m.version, 0x11, 'FINISH_RSP');
  encodeHeader(w, { version: m.version, code: RESPONSE_CODE.FINISH_RSP, param1: 0, param2: 0 });
  if (m.responderVerifyData) w.bytes(m.responderVerifyData);
}

/**
 * Reads FINISH_RSP: 4 bytes, plus H bytes of ResponderVerifyData with HANDSHAKE_IN_THE_CLEAR.
 * @throws SpdmError InvalidMsgSize, InvalidMsgField (wrong code or version, reserved params).
 * @throws RangeError if `p` itself is unusable.
 */
export function decodeFinishRsp(src: MsgSource, p: FinishRspParams): FinishRsp {
  checkVersionParam(p.version, 0x11, 'FINISH_RSP');
  checkSizeParam(p.hashSize, 'FINISH_RSP hashSize');
  const r = readerOf(src);
  expectSize(r, r.offset, HEADER_SIZE + (p.handshakeInTheClear ? p.hashSize : 0), 'FINISH_RSP');
  const h = readHeader(r, RESPONSE_CODE.FINISH_RSP, p.version, 'FINISH_RSP');
  checkReserved(h.param1, 0, 'FINISH_RSP Param1');
  checkReserved(h.param2, 0, 'FINISH_RSP Param2');
  const responderVerifyData = p.handshakeInTheClear ? r.bytes(p.hashSize, 'ResponderVerifyData') : undefined;
  r.done('FINISH_RSP');
  return {
    code: RESPONSE_CODE.FINISH_RSP,
    version: h.version,
    ...(responderVerifyData ? { responderVerifyData } : {}),
  };
}

/**
 * The bytes of a received FINISH_RSP that ResponderVerifyData's transcript ends with (the
 * header), as a view. Only meaningful with HANDSHAKE_IN_THE_CLEAR; otherwise FINISH_RSP carries
 * no MAC and the whole 4-byte message goes into TH2.
 * @throws as decodeFinishRsp.
 */
export function finishRspHmacPart(msg: Uint8Array, p: FinishRspParams): Uint8Array {
  decodeFinishRsp(msg, p);
  return msg.subarray(0, HEADER_SIZE);
}
