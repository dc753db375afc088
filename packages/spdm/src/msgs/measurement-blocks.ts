/**
 * The measurement record of MEASUREMENTS: a list of measurement blocks, each Index(1),
 * MeasurementSpecification(1), MeasurementSize(u16) and a DMTF measurement
 * (DMTFSpecMeasurementValueType(1), DMTFSpecMeasurementValueSize(u16), value) (DSP0274 1.3
 * "Measurement block" and "DMTF specification for the Measurement field"; spdm-reference §2.7).
 * Only the DMTF measurement specification exists (bit 0), so every block is parsed with it.
 */
import { ByteReader } from '../codec/reader.js';
import { ByteWriter } from '../codec/writer.js';
import { MEASUREMENT_SPEC_DMTF } from '../crypto/algorithms.js';
import { invalidField } from './fields.js';

/** DMTFSpecMeasurementValueType bits 6:0. */
export const DMTF_MEASUREMENT_TYPE = {
  IMMUTABLE_ROM: 0x00,
  MUTABLE_FIRMWARE: 0x01,
  HARDWARE_CONFIGURATION: 0x02,
  FIRMWARE_CONFIGURATION: 0x03,
  MEASUREMENT_MANIFEST: 0x04,
  DEVICE_MODE: 0x05,
  VERSION: 0x06,
  SECURE_VERSION_NUMBER: 0x07,
  HASH_EXTEND_MEASUREMENT: 0x08,
  INFORMATIONAL: 0x09,
  STRUCTURED_MEASUREMENT_MANIFEST: 0x0a,
} as const;

/** DMTFSpecMeasurementValueType bit 7: the value is a raw bit stream, not a digest. */
export const DMTF_RAW_BIT_STREAM = 0x80;

/** Measurement indices with a fixed meaning (DSP0274 1.3). */
export const MEASUREMENT_INDEX = {
  /** Measurement manifest. */
  MANIFEST: 0xfd,
  /** Device mode (four u32, see decodeDeviceMode). */
  DEVICE_MODE: 0xfe,
} as const;

/** Size of Index, MeasurementSpecification, MeasurementSize; and of the DMTF value header. */
const BLOCK_HEADER_SIZE = 4;
const DMTF_HEADER_SIZE = 3;

export interface MeasurementBlock {
  /** 0x01..0xFE. */
  readonly index: number;
  /** MeasurementSpecification: always MEASUREMENT_SPEC_DMTF. */
  readonly spec: number;
  /** DMTFSpecMeasurementValueType bits 6:0 (a DMTF_MEASUREMENT_TYPE value). */
  readonly type: number;
  /** Bit 7: `value` is a raw bit stream (else a digest of the measurement hash size). */
  readonly raw: boolean;
  /** DMTFSpecMeasurementValue (a view when decoded). */
  readonly value: Uint8Array;
}

export interface MeasurementRecordParams {
  /** Size of digest values; 0 when MeasurementHashAlgo is raw bit stream only. */
  readonly measurementHashSize: number;
}

/** Encodes one block. @throws RangeError when a field is out of range or the value too long. */
export function encodeMeasurementBlock(w: ByteWriter, b: MeasurementBlock): void {
  if (!Number.isInteger(b.index) || b.index < 1 || b.index > 0xfe)
    throw new RangeError(`block index ${b.index}`);
  if (b.spec !== MEASUREMENT_SPEC_DMTF)
    throw new RangeError('only the DMTF measurement specification exists');
  if (!Number.isInteger(b.type) || b.type < 0 || b.type > 0x7f)
    throw new RangeError(`measurement type ${b.type}`);
  if (b.value.length > 0xffff - DMTF_HEADER_SIZE) throw new RangeError('measurement value too long');
  w.u8(b.index)
    .u8(b.spec)
    .u16le(DMTF_HEADER_SIZE + b.value.length);
  w.u8(b.type | (b.raw ? DMTF_RAW_BIT_STREAM : 0))
    .u16le(b.value.length)
    .bytes(b.value);
}

/** The measurement record (blocks concatenated) for a block list. @throws RangeError */
export function encodeMeasurementRecord(blocks: readonly MeasurementBlock[]): Uint8Array {
  const w = new ByteWriter(
    blocks.reduce((n, b) => n + BLOCK_HEADER_SIZE + DMTF_HEADER_SIZE + b.value.length, 0),
  );
  for (const b of blocks) encodeMeasurementBlock(w, b);
  return w.finish();
}

/**
 * Parses a measurement record of `count` blocks that must fill `record` exactly. Values are
 * views of `record`.
 * @throws SpdmError InvalidMsgSize (a size runs past the record, or bytes are left over),
 *   InvalidMsgField (index 0 or 0xFF, a specification other than DMTF, MeasurementSize not
 *   3 + value size, a digest whose size is not the measurement hash size).
 */
export function decodeMeasurementRecord(
  record: Uint8Array,
  count: number,
  p: MeasurementRecordParams,
): MeasurementBlock[] {
  const r = new ByteReader(record);
  const blocks: MeasurementBlock[] = [];
  for (let i = 0; i < count; i++) {
    const index = r.u8('measurement block Index');
    if (index === 0 || index === 0xff) invalidField(`measurement block ${i}: reserved index ${index}`);
    const spec = r.u8('MeasurementSpecification');
    if (spec !== MEASUREMENT_SPEC_DMTF)
      invalidField(`measurement block ${index}: specification 0x${spec.toString(16)}`);
    const size = r.u16le('MeasurementSize');
    const m = new ByteReader(r.bytes(size, 'Measurement'));
    const typeByte = m.u8('DMTFSpecMeasurementValueType');
    const valueSize = m.u16le('DMTFSpecMeasurementValueSize');
    if (valueSize + DMTF_HEADER_SIZE !== size) {
      invalidField(`measurement block ${index}: MeasurementSize ${size} but value size ${valueSize}`);
    }
    const value = m.bytes(valueSize, 'DMTFSpecMeasurementValue');
    const raw = (typeByte & DMTF_RAW_BIT_STREAM) !== 0;
    if (!raw && (p.measurementHashSize === 0 || valueSize !== p.measurementHashSize)) {
      invalidField(
        `measurement block ${index}: digest of ${valueSize} byte(s), expected ${p.measurementHashSize}`,
      );
    }
    blocks.push({ index, spec, type: typeByte & 0x7f, raw, value });
  }
  r.done('measurement record');
  return blocks;
}

/** The device-mode measurement (index 0xFE, type DEVICE_MODE): four u32 little-endian. */
export interface DeviceMode {
  readonly operationalModeCapabilities: number;
  readonly operationalModeState: number;
  readonly deviceModeCapabilities: number;
  readonly deviceModeState: number;
}

/** @throws SpdmError InvalidMsgSize unless `value` is exactly 16 bytes. */
export function decodeDeviceMode(value: Uint8Array): DeviceMode {
  const r = new ByteReader(value);
  const d = {
    operationalModeCapabilities: r.u32le('OperationalModeCapabilities'),
    operationalModeState: r.u32le('OperationalModeState'),
    deviceModeCapabilities: r.u32le('DeviceModeCapabilities'),
    deviceModeState: r.u32le('DeviceModeState'),
  };
  r.done('device mode');
  return d;
}
