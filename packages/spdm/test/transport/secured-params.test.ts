import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/codec/bytes.js';
import { AeadKeys } from '../../src/crypto/aead.js';
import { SpdmError } from '../../src/errors.js';
import {
  MCTP_RECORD_PARAMS,
  openRecord,
  type RecordParams,
  sealRecord,
  TCP_RECORD_PARAMS,
} from '../../src/session/record.js';
import type { TransportConnection } from '../../src/transport/connection.js';
import { EmuConnection } from '../../src/transport/emu-connection.js';
import { decodeEmuPayload, type EmuTransport, encodeEmuPayload } from '../../src/transport/emu-framing.js';
import type { Framing } from '../../src/transport/frame.js';
import { memoryConnectionPair, memoryDuplexPair } from '../../src/transport/memory.js';
import {
  MCTP_SECURED_PARAMS,
  type SecuredMessageParams,
  securedMessageParams,
  securedParamsOf,
  TCP_SECURED_PARAMS,
} from '../../src/transport/secured-params.js';
import {
  aeadBit,
  field,
  hx,
  loadAllVectors,
  VECTORS_ABSENT_MESSAGE,
  VECTORS_PRESENT,
  type VectorFile,
  type VectorMessage,
  type VectorSession,
  vectorSessions,
} from '../crypto/libspdm-vectors.js';

function codeOf(f: () => unknown): string {
  try {
    f();
    return 'none';
  } catch (e) {
    return e instanceof SpdmError ? e.code : `not an SpdmError: ${String(e)}`;
  }
}

/** A TransportConnection written before `securedMessages` existed. */
function legacyConnection(framing: Framing): TransportConnection {
  const unused = (): Promise<never> => Promise.reject(new Error('not used'));
  return {
    framing,
    remoteAddress: 'legacy',
    failure: undefined,
    send: unused,
    sendFrame: unused,
    receive: unused,
    close: async () => {},
    destroy: () => {},
  };
}

const closers: Array<{ destroy(): void }> = [];
afterEach(() => {
  for (const c of closers.splice(0)) c.destroy();
});

describe('secured-message parameters per transport', () => {
  it('MCTP: 2-byte sequence number, 1-32 padding bytes, as the session layer constants', () => {
    const p: RecordParams = MCTP_SECURED_PARAMS;
    expect(p).toMatchObject(MCTP_RECORD_PARAMS);
    expect(MCTP_SECURED_PARAMS).toMatchObject({
      sequenceNumberSize: 2,
      maxRandomPadding: 32,
      transport: 'mctp',
    });
  });

  it('TCP: no sequence number, no padding', () => {
    const p: RecordParams = TCP_SECURED_PARAMS;
    expect(p).toMatchObject(TCP_RECORD_PARAMS);
    expect(TCP_SECURED_PARAMS).toMatchObject({
      sequenceNumberSize: 0,
      maxRandomPadding: 0,
      transport: 'tcp',
    });
  });

  it('NONE and length16 carry no secured messages', () => {
    expect(securedMessageParams('none')).toBeNull();
    expect(securedMessageParams('length16')).toBeNull();
    expect(securedMessageParams('mctp')).toBe(MCTP_SECURED_PARAMS);
    expect(securedMessageParams('tcp')).toBe(TCP_SECURED_PARAMS);
    expect(() => securedMessageParams('pci-doe' as never)).toThrow(TypeError);
  });

  it('every connection says which parameters it uses', () => {
    const [a, b] = memoryConnectionPair();
    const [c, d] = memoryConnectionPair({ framing: 'length16' });
    closers.push(a, b, c, d);
    expect(securedParamsOf(a)).toBe(TCP_SECURED_PARAMS);
    expect(securedParamsOf(c)).toBeNull();
    for (const [t, expected] of [
      ['mctp', MCTP_SECURED_PARAMS],
      ['tcp', TCP_SECURED_PARAMS],
      ['none', null],
    ] as const) {
      const [s] = memoryDuplexPair();
      const conn = new EmuConnection(s, 'client', { transport: t });
      closers.push(conn);
      expect(securedParamsOf(conn)).toBe(expected);
    }
    // An implementation without the field: derived from its framing.
    expect(securedParamsOf(legacyConnection('dsp0287'))).toBe(TCP_SECURED_PARAMS);
    expect(securedParamsOf(legacyConnection('length16'))).toBeNull();
  });

  it('MCTP inner messages: 05 = SPDM, anything else is application data (libspdm quirks kept)', () => {
    const p = MCTP_SECURED_PARAMS;
    expect(toHex(p.encodeInner(fromHex('13e50000')))).toBe('0513e50000');
    expect(p.decodeInner(fromHex('0513e50000'))).toEqual({ kind: 'spdm', message: fromHex('13e50000') });
    expect(p.decodeInner(fromHex('01808001'))).toEqual({ kind: 'app', message: fromHex('01808001') });
    // libspdm_mctp_decode_message fails on a lone type byte, so libspdm calls it app data.
    expect(p.decodeInner(fromHex('05')).kind).toBe('app');
    expect(p.decodeInner(new Uint8Array()).kind).toBe('app');
    expect(codeOf(() => p.decodeInner(fromHex('06ffffffff00')))).toBe('InvalidMsgField');
    expect(p.decodeInner(fromHex('06ffffffff')).kind).toBe('app');
    expect(toHex(p.encodeApp(fromHex('01808001')))).toBe('01808001');
    expect(codeOf(() => p.encodeApp(fromHex('0510')))).toBe('Transport');
    expect(codeOf(() => p.encodeApp(fromHex('06ffffffff00')))).toBe('Transport');
    expect(codeOf(() => p.encodeInner(new Uint8Array()))).toBe('Transport');
  });

  it('TCP inner messages: a type-0x05 binding frame is SPDM, bytes that do not decode are app data', () => {
    const p = TCP_SECURED_PARAMS;
    expect(toHex(p.encodeInner(fromHex('12e50000')))).toBe('0600010512e50000');
    expect(p.decodeInner(fromHex('0600010512e50000'))).toEqual({
      kind: 'spdm',
      message: fromHex('12e50000'),
    });
    expect(p.decodeInner(fromHex('0300010512')).kind).toBe('spdm');
    expect(p.decodeInner(fromHex('06000105')).kind).toBe('app');
    expect(p.decodeInner(fromHex('0102030401')).kind).toBe('app');
    expect(p.decodeInner(fromHex('0a000106ffffffff')).kind).toBe('app');
    expect(codeOf(() => p.decodeInner(fromHex('0b000106ffffffff00')))).toBe('InvalidMsgField');
    expect(codeOf(() => p.decodeInner(fromHex('0600020512e50000')))).toBe('InvalidMsgField');
    expect(codeOf(() => p.decodeInner(fromHex('0700010512e50000')))).toBe('InvalidMsgField');
    expect(toHex(p.encodeApp(fromHex('0102030401')))).toBe('0102030401');
    expect(codeOf(() => p.encodeApp(fromHex('0102030501')))).toBe('Transport');
    expect(codeOf(() => p.encodeInner(new Uint8Array()))).toBe('Transport');
  });

  it('decodeInner is total: SpdmError or a view of the input', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(MCTP_SECURED_PARAMS, TCP_SECURED_PARAMS),
        fc.uint8Array({ maxLength: 24 }),
        (p, b) => {
          try {
            const inner = p.decodeInner(b);
            expect(inner.message.buffer).toBe(b.buffer);
            if (inner.kind === 'spdm')
              expect(toHex(p.decodeInner(p.encodeInner(inner.message)).message)).toBe(toHex(inner.message));
            else expect(p.encodeApp(b)).toBe(b);
          } catch (e) {
            if (!(e instanceof SpdmError)) throw e;
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('encodeInner then decodeInner gives the SPDM message back', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(MCTP_SECURED_PARAMS, TCP_SECURED_PARAMS),
        fc.uint8Array({ minLength: 1, maxLength: 100 }),
        (p, m) => {
          expect(p.decodeInner(p.encodeInner(m))).toEqual({ kind: 'spdm', message: m });
        },
      ),
    );
  });
});

if (!VECTORS_PRESENT) console.warn(VECTORS_ABSENT_MESSAGE);

interface SecuredRecordVector {
  aad_hex: string;
  ciphertext_hex: string;
  tag_hex: string;
  plaintext_hex: string;
  application_data_length: number;
  inner_message_hex: string;
  inner_transport_header_hex: string;
  random_padding_hex: string;
}

function keysFor(v: VectorFile, s: VectorSession, keyUsed: string): AeadKeys {
  const m = /^(request|response)_(handshake|data)(_update1)?$/.exec(keyUsed);
  if (!m) throw new Error(`unknown key_used ${keyUsed}`);
  const [, dir, kind, update] = m;
  if (update) {
    const u = s.key_updates.find((x) => x.direction === dir);
    if (!u) throw new Error(`no ${dir} key update`);
    return new AeadKeys(aeadBit(v), hx(u.new_key), hx(u.new_iv));
  }
  return new AeadKeys(aeadBit(v), field(s, `${dir}_${kind}_key`), field(s, `${dir}_${kind}_iv`));
}

function checkLayout(p: SecuredMessageParams, m: VectorMessage, r: SecuredRecordVector): void {
  const what = `message ${m.index} (${m.name})`;
  // plaintext = ApplicationDataLength ‖ inner message ‖ random padding.
  const len = r.application_data_length;
  expect(r.plaintext_hex, what).toBe(
    toHex(Uint8Array.of(len & 0xff, len >> 8)) + r.inner_message_hex + r.random_padding_hex,
  );
  expect(r.inner_message_hex.length / 2, what).toBe(len);
  const padding = r.random_padding_hex.length / 2;
  expect(padding, what).toBeGreaterThanOrEqual(p.minPadding);
  expect(padding, what).toBeLessThanOrEqual(p.maxPadding);
  // AAD = SessionID ‖ low sequenceNumberSize bytes of the counter (LE) ‖ Length.
  const seq = BigInt(m.sequence_number!);
  const seqHex = toHex(
    Uint8Array.from({ length: p.sequenceNumberSize }, (_, i) => Number((seq >> BigInt(8 * i)) & 0xffn)),
  );
  expect(r.aad_hex.slice(0, 8 + seqHex.length), what).toBe(m.session_id_hex! + seqHex);
  expect(r.aad_hex.length / 2, what).toBe(4 + p.sequenceNumberSize + 2);
  // Inner message = inner transport header ‖ SPDM message, or application data as is.
  const inner = fromHex(r.inner_message_hex);
  const decoded = p.decodeInner(inner);
  if (m.spdm_hex !== null) {
    expect(r.inner_message_hex, what).toBe(r.inner_transport_header_hex + m.spdm_hex);
    expect(toHex(p.encodeInner(fromHex(m.spdm_hex))), what).toBe(r.inner_message_hex);
    expect(decoded.kind, what).toBe('spdm');
    expect(toHex(decoded.message), what).toBe(m.spdm_hex);
  } else {
    expect(decoded, what).toEqual({ kind: 'app', message: inner });
    expect(p.encodeApp(inner), what).toBe(inner);
  }
}

describe.skipIf(!VECTORS_PRESENT)('inner messages of every secured record in the libspdm recordings', () => {
  for (const v of loadAllVectors()) {
    const transport: EmuTransport = v.transport === 'MCTP' ? 'mctp' : 'tcp';
    const p = securedMessageParams(transport)!;
    const secured = v.messages.filter((m) => m.secured);

    it(`${v.name} (${v.transport}): layout, inner header, padding and sequence number bytes`, () => {
      expect(secured.length).toBeGreaterThanOrEqual(20);
      if (transport === 'mctp') expect(secured.some((m) => m.spdm_hex === null)).toBe(true);
      for (const m of secured) checkLayout(p, m, m.record as unknown as SecuredRecordVector);
    });

    it(`${v.name} (${v.transport}): inner message + these params + sealRecord reproduce the wire bytes`, () => {
      const sessions = vectorSessions(v);
      for (const m of secured) {
        const r = m.record as unknown as SecuredRecordVector;
        const s = sessions.find((x) => x.session_index === m.session_index)!;
        const keys = keysFor(v, s, m.key_used!);
        const seq = BigInt(m.sequence_number!);
        const appData =
          m.spdm_hex === null
            ? p.encodeApp(fromHex(r.inner_message_hex))
            : p.encodeInner(fromHex(m.spdm_hex));
        const record = sealRecord(p, keys, seq, 0xffffffff, appData, fromHex(r.random_padding_hex));
        expect(
          toHex(encodeEmuPayload(transport, { type: 'secured', payload: record })),
          `message ${m.index}`,
        ).toBe(m.wire_hex);
        // And back: wire -> record -> application data -> SPDM message.
        const frame = decodeEmuPayload(transport, fromHex(m.wire_hex));
        const opened = openRecord(p, keys, seq, 0xffffffff, frame.payload);
        const inner = p.decodeInner(opened);
        expect(inner.kind).toBe(m.spdm_hex === null ? 'app' : 'spdm');
        expect(toHex(inner.message)).toBe(m.spdm_hex ?? r.inner_message_hex);
        keys.destroy();
      }
    });
  }
});
