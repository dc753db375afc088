import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { withoutSignature } from '../../src/msgs/fields.js';
import {
  decodeDeviceMode,
  decodeGetMeasurements,
  decodeMeasurementRecord,
  decodeMeasurements,
  encodeGetMeasurements,
  encodeMeasurementRecord,
  encodeMeasurements,
  type GetMeasurements,
  getMeasurementsSize,
  MEAS_CONTENT_CHANGED,
  MEASUREMENT_INDEX,
  MEASUREMENT_OPERATION,
  type MeasurementBlock,
  type Measurements,
  DMTF_MEASUREMENT_TYPE as T,
} from '../../src/msgs/measurements.js';
import {
  encodeWith,
  loadVector,
  onlySpdmErrors,
  paramsOf,
  spdmErrorOf,
  spdmOf,
  VECTOR_FILES,
  vectorsExist,
  vectorsTitle,
} from '../auth-vectors.js';

describe.skipIf(!vectorsExist)(
  vectorsTitle('GET_MEASUREMENTS / MEASUREMENTS against libspdm vectors'),
  () => {
    for (const file of VECTOR_FILES) {
      it(`${file}: both decode and re-encode byte-exact; the 8 recorded blocks parse`, () => {
        const v = loadVector(file);
        const p = paramsOf(v);
        expect([v.messages[20]!.name, v.messages[21]!.name]).toEqual(['GET_MEASUREMENTS', 'MEASUREMENTS']);
        const reqBytes = spdmOf(v, 20);
        const req = decodeGetMeasurements(reqBytes, p);
        expect(req).toMatchObject({
          signatureRequested: true,
          operation: MEASUREMENT_OPERATION.ALL,
          slotId: 0,
        });
        expect(reqBytes.length).toBe(p.version >= 0x13 ? 45 : 37);
        expect(toHex(encodeWith(encodeGetMeasurements, req))).toBe(v.messages[20]!.spdm_hex);

        const rspBytes = spdmOf(v, 21);
        const rsp = decodeMeasurements(rspBytes, {
          ...p,
          operation: req.operation,
          signaturePresent: req.signatureRequested,
        });
        expect(rsp).toMatchObject({
          totalMeasurementIndices: 0,
          slotId: 0,
          contentChanged: MEAS_CONTENT_CHANGED.NO_CHANGE,
        });
        expect(rsp.signature?.length).toBe(p.sigSize);
        expect(toHex(encodeWith(encodeMeasurements, rsp))).toBe(v.messages[21]!.spdm_hex);
        if (p.version >= 0x13) expect(rsp.requesterContext).toEqual(req.requesterContext);
        expect(withoutSignature(rspBytes, p.sigSize).length).toBe(rspBytes.length - p.sigSize);

        // spdm-reference §2.7: indices 1-4 digests of types 0-3, 16 raw SVN, 17 hash-extend
        // digest, 0xFD raw manifest (128 bytes), 0xFE raw device mode (16 bytes).
        const H = p.measurementHashSize;
        const shape = rsp.blocks.map((b) => [b.index, b.spec, b.type, b.raw, b.value.length]);
        expect(shape).toEqual([
          [1, 1, T.IMMUTABLE_ROM, false, H],
          [2, 1, T.MUTABLE_FIRMWARE, false, H],
          [3, 1, T.HARDWARE_CONFIGURATION, false, H],
          [4, 1, T.FIRMWARE_CONFIGURATION, false, H],
          [16, 1, T.SECURE_VERSION_NUMBER, true, 8],
          [17, 1, T.HASH_EXTEND_MEASUREMENT, false, H],
          [MEASUREMENT_INDEX.MANIFEST, 1, T.MEASUREMENT_MANIFEST, true, 128],
          [MEASUREMENT_INDEX.DEVICE_MODE, 1, T.DEVICE_MODE, true, 16],
        ]);
        // MeasurementRecordLength 448 (SHA-384) / 368 (SHA-256), 3-byte LE at offset 5.
        const recordLength = rspBytes[5]! | (rspBytes[6]! << 8) | (rspBytes[7]! << 16);
        expect(recordLength).toBe(H === 48 ? 448 : 368);
        expect(encodeMeasurementRecord(rsp.blocks)).toEqual(rspBytes.subarray(8, 8 + recordLength));
        const mode = decodeDeviceMode(rsp.blocks[7]!.value);
        expect(mode).toEqual({
          operationalModeCapabilities: 0x3f,
          operationalModeState: 0x04,
          deviceModeCapabilities: 0x1f,
          deviceModeState: 0x11,
        });
      });
    }
  },
);

const nonce = new Uint8Array(32).fill(0x4e);
const ctx = new Uint8Array(8).fill(0xcc);
const digestBlock = (index: number, h = 32): MeasurementBlock => ({
  index,
  spec: 1,
  type: T.MUTABLE_FIRMWARE,
  raw: false,
  value: new Uint8Array(h).fill(index),
});

describe('GET_MEASUREMENTS sizes', () => {
  const cases: [number, boolean, number][] = [
    [0x10, false, 4],
    [0x12, false, 4],
    [0x13, false, 12],
    [0x10, true, 36],
    [0x11, true, 37],
    [0x12, true, 37],
    [0x13, true, 45],
  ];
  for (const [version, signed, size] of cases) {
    it(`version 0x${version.toString(16)} ${signed ? 'signed' : 'unsigned'}: ${size} bytes`, () => {
      const m: GetMeasurements = {
        code: 0xe0,
        version,
        signatureRequested: signed,
        rawBitStreamRequested: version >= 0x12,
        newMeasurementRequested: version >= 0x13,
        operation: 5,
        ...(signed ? { nonce } : {}),
        ...(signed && version >= 0x11 ? { slotId: 0x0f } : {}),
        ...(version >= 0x13 ? { requesterContext: ctx } : {}),
      };
      const b = encodeWith(encodeGetMeasurements, m);
      expect(b.length).toBe(size);
      expect(getMeasurementsSize(version, signed)).toBe(size);
      expect(decodeGetMeasurements(b, { version })).toEqual(m);
      expect(spdmErrorOf(() => decodeGetMeasurements(b.subarray(0, -1), { version })).code).toBe(
        'InvalidMsgSize',
      );
    });
  }

  it('refuses attributes the version does not have and a reserved SlotIDParam', () => {
    expect(() => decodeGetMeasurements(Uint8Array.of(0x12, 0xe0, 0x04, 0xff), { version: 0x12 })).toThrow(
      /reserved/,
    );
    expect(() => decodeGetMeasurements(Uint8Array.of(0x11, 0xe0, 0x02, 0xff), { version: 0x11 })).toThrow(
      /reserved/,
    );
    const b = new Uint8Array(37);
    b.set([0x12, 0xe0, 0x01, 0xff]);
    b[36] = 0x10;
    expect(() => decodeGetMeasurements(b, { version: 0x12 })).toThrow(/reserved/);
    b[36] = 0x08;
    expect(() => decodeGetMeasurements(b, { version: 0x12 })).toThrow(/SlotID 8/);
  });
});

describe('MEASUREMENTS rules', () => {
  const base = (over: Partial<Measurements> = {}): Measurements => ({
    code: 0x60,
    version: 0x13,
    totalMeasurementIndices: 0,
    slotId: 0,
    contentChanged: 0,
    blocks: [digestBlock(1), digestBlock(2)],
    nonce,
    opaqueData: new Uint8Array(0),
    requesterContext: ctx,
    ...over,
  });
  const params = {
    version: 0x13,
    operation: 0xff,
    measurementHashSize: 32,
    signaturePresent: false,
    sigSize: 64,
  };

  it('count-only response: Param1 = total, no blocks', () => {
    const b = encodeWith(encodeMeasurements, base({ totalMeasurementIndices: 8, blocks: [] }));
    expect(b.length).toBe(4 + 4 + 32 + 2 + 8);
    expect(decodeMeasurements(b, { ...params, operation: 0 }).totalMeasurementIndices).toBe(8);
    expect(() => decodeMeasurements(b, params)).toThrow(/reserved|no block/);
    const withBlocks = encodeWith(encodeMeasurements, base());
    expect(() => decodeMeasurements(withBlocks, { ...params, operation: 0 })).toThrow(/count-only/);
  });

  it('single index: exactly that block', () => {
    const b = encodeWith(encodeMeasurements, base({ blocks: [digestBlock(5)] }));
    expect(decodeMeasurements(b, { ...params, operation: 5 }).blocks[0]!.index).toBe(5);
    expect(() => decodeMeasurements(b, { ...params, operation: 6 })).toThrow(/asked for index 6/);
    const two = encodeWith(encodeMeasurements, base());
    expect(() => decodeMeasurements(two, { ...params, operation: 1 })).toThrow(/2 block/);
  });

  it('signature, slot and content-changed only in a signed response', () => {
    const signed = base({ slotId: 3, contentChanged: 2, signature: new Uint8Array(64).fill(7) });
    const b = encodeWith(encodeMeasurements, signed);
    expect(decodeMeasurements(b, { ...params, signaturePresent: true })).toEqual(signed);
    const unsigned = encodeWith(encodeMeasurements, base({ contentChanged: 1 }));
    expect(() => decodeMeasurements(unsigned, params)).toThrow(/reserved/);
    expect(() => decodeMeasurements(b, params)).toThrow(/reserved/);
  });

  it('block layout errors', () => {
    const good = encodeWith(encodeMeasurements, base({ blocks: [digestBlock(1)] }));
    const mutate = (at: number, v: number) => {
      const b = good.slice();
      b[at] = v;
      return spdmErrorOf(() => decodeMeasurements(b, params));
    };
    expect(mutate(8, 0).message).toMatch(/reserved index 0/); // Index
    expect(mutate(9, 2).message).toMatch(/specification 0x2/); // MeasurementSpecification
    expect(mutate(10, 34).message).toMatch(/value size|truncated|byte/); // MeasurementSize
    expect(mutate(13, 31).message).toMatch(/MeasurementSize 35 but value size 31/); // value size
    expect(mutate(4, 2).code).toMatch(/InvalidMsg/); // NumberOfBlocks
    expect(mutate(5, 0xff).code).toBe('InvalidMsgSize'); // MeasurementRecordLength
    expect(
      spdmErrorOf(() => decodeMeasurements(good, { ...params, measurementHashSize: 48 })).message,
    ).toMatch(/digest of 32 byte\(s\), expected 48/);
    expect(() =>
      decodeMeasurementRecord(Uint8Array.of(1, 1, 3, 0, 0x80, 0, 0, 9), 1, { measurementHashSize: 0 }),
    ).toThrow(/trailing/);
  });
});

describe('MEASUREMENTS fuzz', () => {
  const pArb = fc.record({
    version: fc.constantFrom(0x10, 0x11, 0x12, 0x13),
    operation: fc.constantFrom(0, 1, 0xfe, 0xff),
    measurementHashSize: fc.constantFrom(0, 32, 48),
    signaturePresent: fc.boolean(),
    sigSize: fc.constantFrom(64, 96),
  });

  it('arbitrary bytes give only SpdmError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), pArb, (b, p) => {
        onlySpdmErrors(() => decodeGetMeasurements(b, p));
        onlySpdmErrors(() => decodeMeasurements(b, p));
        onlySpdmErrors(() => decodeGetMeasurements(Uint8Array.of(p.version, 0xe0, ...b), p));
        onlySpdmErrors(() => decodeMeasurements(Uint8Array.of(p.version, 0x60, 0, 0, ...b), p));
        onlySpdmErrors(() => decodeMeasurementRecord(b, b[0] ?? 0, p));
      }),
      { numRuns: 500 },
    );
  });

  const blockArb = (h: number) =>
    fc.record({
      index: fc.integer({ min: 1, max: 0xfe }),
      spec: fc.constant(1),
      type: fc.integer({ min: 0, max: 0x7f }),
      raw: h === 0 ? fc.constant(true) : fc.boolean(),
      seed: fc.uint8Array({ maxLength: 80 }),
    });

  it('arbitrary valid GET_MEASUREMENTS round-trip', () => {
    const arb = fc.record({
      version: fc.constantFrom(0x10, 0x11, 0x12, 0x13),
      signed: fc.boolean(),
      raw: fc.boolean(),
      fresh: fc.boolean(),
      operation: fc.integer({ min: 0, max: 0xff }),
      slot: fc.constantFrom(0, 1, 7, 0x0f),
      bytes: fc.uint8Array({ minLength: 40, maxLength: 40 }),
    });
    fc.assert(
      fc.property(arb, ({ version, signed, raw, fresh, operation, slot, bytes }) => {
        const m: GetMeasurements = {
          code: 0xe0,
          version,
          signatureRequested: signed,
          rawBitStreamRequested: raw && version >= 0x12,
          newMeasurementRequested: fresh && version >= 0x13,
          operation,
          ...(signed ? { nonce: bytes.subarray(0, 32) } : {}),
          ...(signed && version >= 0x11 ? { slotId: slot } : {}),
          ...(version >= 0x13 ? { requesterContext: bytes.subarray(32) } : {}),
        };
        const b = encodeWith(encodeGetMeasurements, m);
        expect(b.length).toBe(getMeasurementsSize(version, signed));
        expect(decodeGetMeasurements(b, m)).toEqual(m);
      }),
    );
  });

  it('arbitrary valid MEASUREMENTS round-trip', () => {
    const arb = fc
      .record({
        p: pArb,
        blocks: fc.array(blockArb(32), { minLength: 1, maxLength: 6 }),
        total: fc.integer({ min: 0, max: 255 }),
        opaque: fc.uint8Array({ maxLength: 40 }),
        slot: fc.integer({ min: 0, max: 7 }),
        changed: fc.integer({ min: 0, max: 2 }),
      })
      .map(({ p, blocks, total, opaque, slot, changed }) => {
        const h = p.measurementHashSize;
        let bs: MeasurementBlock[] = blocks.map(({ seed, ...b }) => {
          const raw = b.raw || h === 0;
          return { ...b, raw, value: raw ? seed : new Uint8Array(h).fill(seed[0] ?? 0) };
        });
        if (p.operation === 0) bs = [];
        else if (p.operation !== 0xff) bs = [{ ...bs[0]!, index: p.operation }];
        const signed = p.signaturePresent;
        const m: Measurements = {
          code: 0x60,
          version: p.version,
          totalMeasurementIndices: p.operation === 0 ? total : 0,
          slotId: signed && p.version >= 0x11 ? slot : 0,
          contentChanged: signed && p.version >= 0x12 ? changed : 0,
          blocks: bs,
          nonce,
          opaqueData: opaque,
          ...(p.version >= 0x13 ? { requesterContext: ctx } : {}),
          ...(signed ? { signature: new Uint8Array(p.sigSize).fill(5) } : {}),
        };
        return { m, p };
      });
    fc.assert(
      fc.property(arb, ({ m, p }) => {
        const b = encodeWith(encodeMeasurements, m);
        const back = decodeMeasurements(b, p);
        expect(back).toEqual(m);
        expect(encodeWith(encodeMeasurements, back)).toEqual(b);
      }),
    );
  });
});
