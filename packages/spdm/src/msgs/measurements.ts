/**
 * GET_MEASUREMENTS / MEASUREMENTS (DSP0274 1.3 "GET_MEASUREMENTS request and MEASUREMENTS
 * response", measurement block and DMTF measurement specification format; spdm-reference
 * §2.7): the requester asks for the count, one index or all measurement blocks, optionally
 * signed (L1/L2 = VCA ‖ M in 1.2+, spdm-reference §3.2). The transcript records the signed
 * response without its last S bytes: see `withoutSignature`.
 */
import type { ByteWriter } from '../codec/writer.js';
import { REQUEST_CODE, RESPONSE_CODE, SPDM_VERSION } from './codes.js';
import { SLOT_COUNT } from './digests.js';
import {
  checkInt,
  checkOpaque,
  checkPresence,
  checkReserved,
  expectSize,
  hasRequesterContext,
  invalidField,
  type MsgSource,
  NONCE_SIZE,
  REQUESTER_CONTEXT_SIZE,
  readerOf,
  readHeader,
  readOpaqueData,
} from './fields.js';
import { encodeHeader } from './header.js';
import {
  decodeMeasurementRecord,
  encodeMeasurementRecord,
  type MeasurementBlock,
} from './measurement-blocks.js';

export {
  type DeviceMode,
  DMTF_MEASUREMENT_TYPE,
  DMTF_RAW_BIT_STREAM,
  decodeDeviceMode,
  decodeMeasurementRecord,
  encodeMeasurementBlock,
  encodeMeasurementRecord,
  MEASUREMENT_INDEX,
  type MeasurementBlock,
  type MeasurementRecordParams,
} from './measurement-blocks.js';

/** GET_MEASUREMENTS Param1 attribute bits. */
export const MEASUREMENT_ATTR = {
  SIGNATURE_REQUESTED: 1 << 0,
  /** 1.2+ */
  RAW_BIT_STREAM_REQUESTED: 1 << 1,
  /** 1.3+ */
  NEW_MEASUREMENT_REQUESTED: 1 << 2,
} as const;

/** GET_MEASUREMENTS Param2 values other than a single index 0x01..0xFE. */
export const MEASUREMENT_OPERATION = {
  TOTAL_NUMBER: 0x00,
  ALL: 0xff,
} as const;

/** MEASUREMENTS Param2 bits 5:4 (1.2+). */
export const MEAS_CONTENT_CHANGED = {
  NOT_SUPPORTED: 0,
  CHANGED: 1,
  NO_CHANGE: 2,
} as const;

/** SlotIDParam value naming the pre-provisioned public key. */
export const MEAS_PUBLIC_KEY_SLOT = 0x0f;

export interface GetMeasurements {
  readonly code: typeof REQUEST_CODE.GET_MEASUREMENTS;
  readonly version: number;
  readonly signatureRequested: boolean;
  /** 1.2+ only. */
  readonly rawBitStreamRequested: boolean;
  /** 1.3+ only. */
  readonly newMeasurementRequested: boolean;
  /** Param2: MEASUREMENT_OPERATION.TOTAL_NUMBER, ALL, or one index 0x01..0xFE. */
  readonly operation: number;
  /** Present iff signatureRequested. */
  readonly nonce?: Uint8Array;
  /** SlotIDParam: present iff signatureRequested and version 1.1+; 0..7 or 0xF. */
  readonly slotId?: number;
  /** 1.3 only (always, signed or not). */
  readonly requesterContext?: Uint8Array;
}

export interface Measurements {
  readonly code: typeof RESPONSE_CODE.MEASUREMENTS;
  readonly version: number;
  /** Param1: number of measurement indices, only for operation TOTAL_NUMBER (else 0). */
  readonly totalMeasurementIndices: number;
  /** Param2 bits 3:0 (1.1+); libspdm fills it only in signed responses. */
  readonly slotId: number;
  /** Param2 bits 5:4 (1.2+): a MEAS_CONTENT_CHANGED value; 0 in unsigned responses. */
  readonly contentChanged: number;
  /** The measurement record, parsed (empty for TOTAL_NUMBER). */
  readonly blocks: readonly MeasurementBlock[];
  readonly nonce: Uint8Array;
  readonly opaqueData: Uint8Array;
  /** 1.3 only. */
  readonly requesterContext?: Uint8Array;
  /** S bytes, present iff the request asked for a signature. */
  readonly signature?: Uint8Array;
}

export interface MeasurementsParams {
  readonly version: number;
  /** The request's Param2 (MEASUREMENT_OPERATION or an index). */
  readonly operation: number;
  /** Size of digest values (measurementHashSize of MeasurementHashAlgo; 0 = raw bit streams only). */
  readonly measurementHashSize: number;
  /** The request asked for a signature. */
  readonly signaturePresent: boolean;
  /** S of the negotiated BaseAsymAlgo (read only when signaturePresent). */
  readonly sigSize: number;
}

/** Size of GET_MEASUREMENTS: 4 / 12 (1.3) unsigned, 36 (1.0) / 37 (1.1, 1.2) / 45 (1.3) signed. */
export function getMeasurementsSize(version: number, signatureRequested: boolean): number {
  let n = 4;
  if (signatureRequested) n += NONCE_SIZE + (version >= SPDM_VERSION.V11 ? 1 : 0);
  if (hasRequesterContext(version)) n += REQUESTER_CONTEXT_SIZE;
  return n;
}

function attributesAllowed(version: number): number {
  let a: number = MEASUREMENT_ATTR.SIGNATURE_REQUESTED;
  if (version >= SPDM_VERSION.V12) a |= MEASUREMENT_ATTR.RAW_BIT_STREAM_REQUESTED;
  if (version >= SPDM_VERSION.V13) a |= MEASUREMENT_ATTR.NEW_MEASUREMENT_REQUESTED;
  return a;
}

/** Encodes GET_MEASUREMENTS. @throws RangeError / TypeError when fields do not fit the version. */
export function encodeGetMeasurements(w: ByteWriter, m: GetMeasurements): void {
  const attrs =
    (m.signatureRequested ? MEASUREMENT_ATTR.SIGNATURE_REQUESTED : 0) |
    (m.rawBitStreamRequested ? MEASUREMENT_ATTR.RAW_BIT_STREAM_REQUESTED : 0) |
    (m.newMeasurementRequested ? MEASUREMENT_ATTR.NEW_MEASUREMENT_REQUESTED : 0);
  if (attrs & ~attributesAllowed(m.version))
    throw new TypeError('GET_MEASUREMENTS: attribute not in this version');
  checkInt(m.operation, 0, 0xff, 'GET_MEASUREMENTS operation');
  checkPresence(m.nonce, m.signatureRequested, NONCE_SIZE, 'GET_MEASUREMENTS Nonce');
  const hasSlot = m.signatureRequested && m.version >= SPDM_VERSION.V11;
  if (hasSlot !== (m.slotId !== undefined)) throw new TypeError('GET_MEASUREMENTS: SlotIDParam presence');
  if (m.slotId !== undefined && m.slotId !== MEAS_PUBLIC_KEY_SLOT)
    checkInt(m.slotId, 0, SLOT_COUNT - 1, 'SlotIDParam');
  checkPresence(
    m.requesterContext,
    hasRequesterContext(m.version),
    REQUESTER_CONTEXT_SIZE,
    'RequesterContext',
  );
  encodeHeader(w, {
    version: m.version,
    code: REQUEST_CODE.GET_MEASUREMENTS,
    param1: attrs,
    param2: m.operation,
  });
  if (m.nonce) w.bytes(m.nonce);
  if (m.slotId !== undefined) w.u8(m.slotId);
  if (m.requesterContext) w.bytes(m.requesterContext);
}

/**
 * Decodes GET_MEASUREMENTS (4/12/36/37/45 bytes by version and SignatureRequested).
 * @throws SpdmError InvalidMsgSize, InvalidMsgField (code, version, reserved attribute bits,
 *   SlotIDParam).
 */
export function decodeGetMeasurements(src: MsgSource, p: { readonly version: number }): GetMeasurements {
  const r = readerOf(src);
  const start = r.offset;
  const h = readHeader(r, REQUEST_CODE.GET_MEASUREMENTS, p.version, 'GET_MEASUREMENTS');
  checkReserved(h.param1, attributesAllowed(h.version), 'GET_MEASUREMENTS Param1');
  const signed = (h.param1 & MEASUREMENT_ATTR.SIGNATURE_REQUESTED) !== 0;
  expectSize(r, start, getMeasurementsSize(h.version, signed), 'GET_MEASUREMENTS');
  const nonce = signed ? r.bytes(NONCE_SIZE, 'Nonce') : undefined;
  let slotId: number | undefined;
  if (signed && h.version >= SPDM_VERSION.V11) {
    slotId = r.u8('SlotIDParam');
    checkReserved(slotId, 0x0f, 'SlotIDParam');
    if (slotId !== MEAS_PUBLIC_KEY_SLOT && slotId >= SLOT_COUNT)
      invalidField(`GET_MEASUREMENTS: SlotID ${slotId}`);
  }
  const requesterContext = hasRequesterContext(h.version) ? r.bytes(REQUESTER_CONTEXT_SIZE) : undefined;
  r.done('GET_MEASUREMENTS');
  return {
    code: REQUEST_CODE.GET_MEASUREMENTS,
    version: h.version,
    signatureRequested: signed,
    rawBitStreamRequested: (h.param1 & MEASUREMENT_ATTR.RAW_BIT_STREAM_REQUESTED) !== 0,
    newMeasurementRequested: (h.param1 & MEASUREMENT_ATTR.NEW_MEASUREMENT_REQUESTED) !== 0,
    operation: h.param2,
    ...(nonce ? { nonce } : {}),
    ...(slotId !== undefined ? { slotId } : {}),
    ...(requesterContext ? { requesterContext } : {}),
  };
}

function param2Allowed(version: number): number {
  if (version >= SPDM_VERSION.V12) return 0x3f;
  return version >= SPDM_VERSION.V11 ? 0x0f : 0;
}

/** Encodes MEASUREMENTS. @throws RangeError / TypeError when fields do not fit the version. */
export function encodeMeasurements(w: ByteWriter, m: Measurements): void {
  checkInt(m.totalMeasurementIndices, 0, 0xff, 'MEASUREMENTS Param1');
  checkInt(m.slotId, 0, 0x0f, 'MEASUREMENTS SlotID');
  checkInt(m.contentChanged, 0, MEAS_CONTENT_CHANGED.NO_CHANGE, 'MEASUREMENTS content changed');
  const param2 = m.slotId | (m.contentChanged << 4);
  if (param2 & ~param2Allowed(m.version))
    throw new TypeError('MEASUREMENTS: Param2 field not in this version');
  checkInt(m.blocks.length, 0, 0xff, 'NumberOfBlocks');
  checkPresence(m.nonce, true, NONCE_SIZE, 'MEASUREMENTS Nonce');
  checkOpaque(m.opaqueData, 'MEASUREMENTS');
  checkPresence(
    m.requesterContext,
    hasRequesterContext(m.version),
    REQUESTER_CONTEXT_SIZE,
    'RequesterContext',
  );
  const record = encodeMeasurementRecord(m.blocks);
  checkInt(record.length, 0, 0xffffff, 'MeasurementRecordLength');
  encodeHeader(w, {
    version: m.version,
    code: RESPONSE_CODE.MEASUREMENTS,
    param1: m.totalMeasurementIndices,
    param2,
  });
  w.u8(m.blocks.length).u24le(record.length).bytes(record).bytes(m.nonce);
  w.u16le(m.opaqueData.length).bytes(m.opaqueData);
  if (m.requesterContext) w.bytes(m.requesterContext);
  if (m.signature) w.bytes(m.signature);
}

/**
 * Decodes MEASUREMENTS and its measurement record. Checks what the request implies: for
 * TOTAL_NUMBER no blocks, for one index exactly that block, for ALL at least one block (as the
 * libspdm requester does); Param1 reserved unless TOTAL_NUMBER; SlotID and content-changed
 * zero in an unsigned response (libspdm requester). Byte fields and block values are views.
 * @throws SpdmError InvalidMsgSize (lengths disagree with the message), InvalidMsgField (code,
 *   version, reserved bits, block count/indices, block layout, OpaqueDataLength > 1024).
 */
export function decodeMeasurements(src: MsgSource, p: MeasurementsParams): Measurements {
  const r = readerOf(src);
  const h = readHeader(r, RESPONSE_CODE.MEASUREMENTS, p.version, 'MEASUREMENTS');
  const countOnly = p.operation === MEASUREMENT_OPERATION.TOTAL_NUMBER;
  if (!countOnly) checkReserved(h.param1, 0, 'MEASUREMENTS Param1');
  checkReserved(h.param2, p.signaturePresent ? param2Allowed(h.version) : 0, 'MEASUREMENTS Param2');
  const slotId = h.param2 & 0x0f;
  if (slotId !== MEAS_PUBLIC_KEY_SLOT && slotId >= SLOT_COUNT) invalidField(`MEASUREMENTS: SlotID ${slotId}`);
  const contentChanged = (h.param2 >> 4) & 0x03;
  if (contentChanged > MEAS_CONTENT_CHANGED.NO_CHANGE) invalidField('MEASUREMENTS: content-changed value 3');
  const numberOfBlocks = r.u8('NumberOfBlocks');
  const recordLength = r.u24le('MeasurementRecordLength');
  checkBlockCount(p.operation, numberOfBlocks, recordLength);
  const record = r.bytes(recordLength, 'MeasurementRecord');
  const blocks = decodeMeasurementRecord(record, numberOfBlocks, p);
  if (!countOnly && p.operation !== MEASUREMENT_OPERATION.ALL && blocks[0]?.index !== p.operation) {
    invalidField(`MEASUREMENTS: asked for index ${p.operation}, got ${blocks[0]?.index}`);
  }
  const nonce = r.bytes(NONCE_SIZE, 'Nonce');
  const opaqueData = readOpaqueData(r, 'MEASUREMENTS');
  const requesterContext = hasRequesterContext(h.version) ? r.bytes(REQUESTER_CONTEXT_SIZE) : undefined;
  const signature = p.signaturePresent ? r.bytes(p.sigSize, 'Signature') : undefined;
  r.done('MEASUREMENTS');
  return {
    code: RESPONSE_CODE.MEASUREMENTS,
    version: h.version,
    totalMeasurementIndices: countOnly ? h.param1 : 0,
    slotId,
    contentChanged,
    blocks,
    nonce,
    opaqueData,
    ...(requesterContext ? { requesterContext } : {}),
    ...(signature ? { signature } : {}),
  };
}

function checkBlockCount(operation: number, n: number, recordLength: number): void {
  if (operation === MEASUREMENT_OPERATION.TOTAL_NUMBER) {
    if (n !== 0 || recordLength !== 0) invalidField('MEASUREMENTS: blocks in a count-only response');
  } else if (operation === MEASUREMENT_OPERATION.ALL) {
    if (n === 0) invalidField('MEASUREMENTS: no block for operation ALL');
  } else if (n !== 1) {
    invalidField(`MEASUREMENTS: ${n} block(s) for a single index`);
  }
}
