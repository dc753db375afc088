import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../src/codec/bytes.js';
import { SpdmError } from '../../src/errors.js';
import {
  checkMaxPayloadSize,
  decodeEmuPacket,
  decodeEmuPayload,
  EMU_CLIENT_HELLO,
  EMU_COMMAND,
  EMU_HEADER_SIZE,
  EMU_SERVER_HELLO,
  EMU_TRANSPORT_TYPE,
  EmuDeframer,
  type EmuPacket,
  type EmuTransport,
  emuCommandName,
  emuDefaultPort,
  encodeEmuPacket,
  encodeEmuPayload,
} from '../../src/transport/emu-framing.js';
import type { Frame } from '../../src/transport/frame.js';
import { loadAllVectors, VECTORS_ABSENT_MESSAGE, VECTORS_PRESENT } from '../crypto/libspdm-vectors.js';

function codeOf(f: () => unknown): string {
  try {
    f();
    return 'none';
  } catch (e) {
    return e instanceof SpdmError ? e.code : `not an SpdmError: ${String(e)}`;
  }
}

/** Only SpdmError may escape `f`. */
function onlySpdmError(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof SpdmError)) throw e;
  }
}

const packetArb = fc.record({
  command: fc.oneof(fc.constantFrom(...Object.values(EMU_COMMAND)), fc.integer({ min: 0, max: 0xffffffff })),
  transportType: fc.constant(EMU_TRANSPORT_TYPE.MCTP as number),
  payload: fc.uint8Array({ maxLength: 300 }),
});

function norm(p: EmuPacket): { command: number; transportType: number; payload: string } {
  return { command: p.command, transportType: p.transportType, payload: toHex(p.payload) };
}

describe('spdm-emu packets', () => {
  it('encodes the TEST hello as spdm_requester_emu does (big-endian header, 14-byte payload with NUL)', () => {
    expect(EMU_CLIENT_HELLO.length).toBe(14);
    expect(EMU_SERVER_HELLO.length).toBe(14);
    const bytes = encodeEmuPacket({
      command: EMU_COMMAND.TEST,
      transportType: EMU_TRANSPORT_TYPE.MCTP,
      payload: EMU_CLIENT_HELLO,
    });
    expect(toHex(bytes)).toBe(`0000dead000000010000000e${Buffer.from('Client Hello!\0').toString('hex')}`);
    expect(
      toHex(encodeEmuPacket({ command: EMU_COMMAND.SHUTDOWN, transportType: 3, payload: new Uint8Array() })),
    ).toBe('0000fffe0000000300000000');
  });

  it('names commands and knows the default ports', () => {
    expect(emuCommandName(0xdead)).toBe('TEST');
    expect(emuCommandName(0x1234)).toBe('0x1234');
    expect(emuDefaultPort('mctp')).toBe(2323);
    expect(emuDefaultPort('none')).toBe(2323);
    expect(emuDefaultPort('tcp')).toBe(4194);
  });

  it('round-trips arbitrary packets, whole and split at every offset', () => {
    fc.assert(
      fc.property(fc.array(packetArb, { minLength: 1, maxLength: 4 }), (packets) => {
        const stream = concatBytes(...packets.map(encodeEmuPacket));
        const expected = packets.map(norm);
        if (packets.length === 1) expect(norm(decodeEmuPacket(stream))).toEqual(expected[0]);
        for (let cut = 0; cut <= stream.length; cut++) {
          const d = new EmuDeframer({ transportType: EMU_TRANSPORT_TYPE.MCTP });
          const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
          expect(got.map(norm)).toEqual(expected);
          expect(d.partial()).toBeUndefined();
        }
      }),
      { numRuns: 40 },
    );
  });

  it('delivers byte-by-byte input and reports the partial packet', () => {
    const bytes = encodeEmuPacket({ command: 1, transportType: 1, payload: fromHex('0510840000') });
    const d = new EmuDeframer();
    for (let i = 0; i < bytes.length - 1; i++) expect(d.push(bytes.subarray(i, i + 1))).toEqual([]);
    expect(d.partial()).toEqual({ received: bytes.length - 1, expected: bytes.length });
    expect(d.push(bytes.subarray(bytes.length - 1)).map(norm)).toEqual([
      { command: 1, transportType: 1, payload: '0510840000' },
    ]);
  });

  it('rejects an oversize PayloadSize from the header alone, before any payload byte', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 15, max: 4096 }),
        fc.integer({ min: 1, max: 0xffffffff }),
        (max, extra) => {
          const size = Math.min(0xffffffff, max + extra);
          const header = encodeEmuPacket({ command: 1, transportType: 1, payload: new Uint8Array() });
          new DataView(header.buffer).setUint32(8, size, false);
          const d = new EmuDeframer({ maxPayloadSize: max });
          expect(codeOf(() => d.push(header))).toBe('TooLarge');
          // Dead from now on.
          expect(codeOf(() => d.push(new Uint8Array(1)))).toBe('TooLarge');
        },
      ),
    );
    const header = encodeEmuPacket({ command: 1, transportType: 1, payload: new Uint8Array(100) }).subarray(
      0,
      12,
    );
    expect(codeOf(() => new EmuDeframer({ maxPayloadSize: 100 }).push(header))).toBe('none');
    expect(codeOf(() => new EmuDeframer({ maxPayloadSize: 99 }).push(header))).toBe('TooLarge');
  });

  it('rejects a TransportType other than its own as soon as the header is in', () => {
    const bytes = encodeEmuPacket({
      command: 0xdead,
      transportType: EMU_TRANSPORT_TYPE.TCP,
      payload: EMU_CLIENT_HELLO,
    });
    const d = new EmuDeframer({ transportType: EMU_TRANSPORT_TYPE.MCTP });
    let err: unknown;
    try {
      d.push(bytes.subarray(0, EMU_HEADER_SIZE));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpdmError);
    expect((err as SpdmError).code).toBe('Transport');
    expect((err as SpdmError).message).toMatch(/TransportType 3 \(TCP\).*1 \(MCTP\)/);
  });

  it('returns the packets completed before an error and fails the next push', () => {
    const good = encodeEmuPacket({ command: 1, transportType: 1, payload: fromHex('0510840000') });
    const bad = encodeEmuPacket({ command: 1, transportType: 2, payload: new Uint8Array() });
    const d = new EmuDeframer({ transportType: 1 });
    expect(d.push(concatBytes(good, bad))).toHaveLength(1);
    expect(d.failure?.code).toBe('Transport');
    expect(codeOf(() => d.push(good))).toBe('Transport');
  });

  it('pushSome stops after maxPackets packets (empty ones included) and says how many bytes it took', () => {
    const a = encodeEmuPacket({ command: 1, transportType: 1, payload: fromHex('0510840000') });
    const b = encodeEmuPacket({ command: EMU_COMMAND.TEST, transportType: 1, payload: new Uint8Array() });
    const wire = concatBytes(a, b, a.subarray(0, 3));
    const d = new EmuDeframer({ transportType: 1 });
    const first = d.pushSome(wire, 1);
    expect(first.packets.map((p) => toHex(p.payload))).toEqual(['0510840000']);
    expect(first.used).toBe(a.length);
    const rest = d.pushSome(wire.subarray(first.used), 1);
    expect(rest.packets.map((p) => p.command)).toEqual([EMU_COMMAND.TEST]);
    expect(rest.used).toBe(EMU_HEADER_SIZE);
    const tail = d.pushSome(wire.subarray(first.used + rest.used), 1);
    expect(tail).toEqual({ packets: [], used: 3 });
    expect(d.partial()).toEqual({ received: 3, expected: undefined });
  });

  it('decodeEmuPacket insists on exactly one whole packet', () => {
    const p = encodeEmuPacket({ command: 1, transportType: 1, payload: fromHex('0510840000') });
    expect(codeOf(() => decodeEmuPacket(p.subarray(0, p.length - 1)))).toBe('InvalidMsgSize');
    expect(codeOf(() => decodeEmuPacket(concatBytes(p, Uint8Array.of(0))))).toBe('InvalidMsgSize');
    expect(codeOf(() => decodeEmuPacket(concatBytes(p, p)))).toBe('InvalidMsgSize');
  });

  it('never throws anything but SpdmError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 14, max: 64 }), (bytes, max) => {
        onlySpdmError(() => decodeEmuPacket(bytes, { maxPayloadSize: max, transportType: 1 }));
        const d = new EmuDeframer({ maxPayloadSize: max });
        for (let i = 0; i < bytes.length; i += 5) onlySpdmError(() => d.push(bytes.subarray(i, i + 5)));
        expect(d.partial()?.received ?? 0).toBeLessThanOrEqual(EMU_HEADER_SIZE + max);
      }),
      { numRuns: 500 },
    );
  });

  it('validates its options', () => {
    expect(checkMaxPayloadSize(undefined)).toBe(64 * 1024);
    for (const bad of [13, 0, -1, 1.5, 2 ** 32, Number.NaN]) {
      expect(() => new EmuDeframer({ maxPayloadSize: bad })).toThrow(RangeError);
    }
    expect(() => new EmuDeframer({ transportType: -1 })).toThrow(RangeError);
    expect(() => encodeEmuPacket({ command: 2 ** 32, transportType: 1, payload: new Uint8Array() })).toThrow(
      RangeError,
    );
  });
});

describe('spdm-emu payload encodings', () => {
  const spdm = fromHex('10840000');

  it('NONE carries the bare SPDM message and no secured records or control frames', () => {
    expect(toHex(encodeEmuPayload('none', { type: 'spdm', payload: spdm }))).toBe('10840000');
    expect(decodeEmuPayload('none', spdm)).toEqual({ type: 'spdm', payload: spdm });
    expect(codeOf(() => encodeEmuPayload('none', { type: 'secured', payload: spdm }))).toBe('Transport');
    expect(codeOf(() => encodeEmuPayload('none', { type: 'role-inquiry', payload: new Uint8Array() }))).toBe(
      'Transport',
    );
    expect(codeOf(() => decodeEmuPayload('none', new Uint8Array()))).toBe('Transport');
  });

  it('MCTP prefixes the message-type byte (no MCTP packet header)', () => {
    expect(toHex(encodeEmuPayload('mctp', { type: 'spdm', payload: spdm }))).toBe('0510840000');
    expect(toHex(encodeEmuPayload('mctp', { type: 'secured', payload: fromHex('ffffffff') }))).toBe(
      '06ffffffff',
    );
    expect(codeOf(() => decodeEmuPayload('mctp', fromHex('0110840000')))).toBe('Transport');
    expect(codeOf(() => decodeEmuPayload('mctp', fromHex('05')))).toBe('Transport');
    expect(codeOf(() => encodeEmuPayload('mctp', { type: 'spdm', payload: new Uint8Array() }))).toBe(
      'Transport',
    );
  });

  it('TCP carries a whole DSP0287 frame, control frames included, and checks it against PayloadSize', () => {
    expect(toHex(encodeEmuPayload('tcp', { type: 'spdm', payload: spdm }))).toBe('0600010510840000');
    const ri: Frame = { type: 'role-inquiry', payload: new Uint8Array() };
    expect(toHex(encodeEmuPayload('tcp', ri))).toBe('000001bf');
    expect(decodeEmuPayload('tcp', fromHex('000001bf')).type).toBe('role-inquiry');
    expect(decodeEmuPayload('tcp', fromHex('000001c1'))).toMatchObject({ type: 'binding-error', code: 0xc1 });
    expect(codeOf(() => decodeEmuPayload('tcp', fromHex('06000105108400')))).toBe('Transport');
    expect(codeOf(() => decodeEmuPayload('tcp', fromHex('060001051084000000')))).toBe('Transport');
    expect(codeOf(() => decodeEmuPayload('tcp', fromHex('000001bf00')))).toBe('Transport');
    expect(codeOf(() => decodeEmuPayload('tcp', fromHex('060002051084')))).toBe('Transport');
  });

  it('never throws anything but SpdmError on arbitrary payloads', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<EmuTransport>('none', 'mctp', 'tcp'),
        fc.uint8Array({ maxLength: 40 }),
        (t, b) => onlySpdmError(() => decodeEmuPayload(t, b)),
      ),
      { numRuns: 1000 },
    );
  });

  it('round-trips data frames on every transport', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<EmuTransport>('none', 'mctp', 'tcp'),
        fc.constantFrom<'spdm' | 'secured'>('spdm', 'secured'),
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        (t, type, payload) => {
          if (t === 'none' && type === 'secured') return;
          const f = decodeEmuPayload(t, encodeEmuPayload(t, { type, payload }));
          expect(f.type).toBe(type);
          expect(toHex(f.payload)).toBe(toHex(payload));
        },
      ),
    );
  });
});

if (!VECTORS_PRESENT) console.warn(VECTORS_ABSENT_MESSAGE);

describe.skipIf(!VECTORS_PRESENT)('spdm-emu payloads of the libspdm recordings (MCTP and TCP)', () => {
  for (const v of loadAllVectors()) {
    it(`${v.name}: every wire message decodes to its SPDM message or record and encodes back`, () => {
      const t: EmuTransport = v.transport === 'MCTP' ? 'mctp' : 'tcp';
      expect(v.messages.length).toBeGreaterThan(40);
      for (const m of v.messages) {
        const wire = fromHex(m.wire_hex);
        const f = decodeEmuPayload(t, wire);
        const r = m.record;
        const expected = m.secured ? r!.aad_hex + r!.ciphertext_hex + r!.tag_hex : m.spdm_hex;
        expect(f.type, `message ${m.index}`).toBe(m.secured ? 'secured' : 'spdm');
        expect(toHex(f.payload), `message ${m.index}`).toBe(expected);
        expect(toHex(encodeEmuPayload(t, f)), `message ${m.index}`).toBe(m.wire_hex);
      }
    });
  }
});
