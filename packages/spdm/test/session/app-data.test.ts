import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { SpdmError } from '../../src/errors.js';
import {
  appHeaderSize,
  decodeAppMessage,
  encodeAppMessage,
  maxAppPayload,
  recordOverhead,
} from '../../src/session/app-data.js';
import { MCTP_SECURED_PARAMS, TCP_SECURED_PARAMS } from '../../src/transport/secured-params.js';

const BOTH = [
  ['TCP', TCP_SECURED_PARAMS],
  ['MCTP', MCTP_SECURED_PARAMS],
] as const;

describe('application messages', () => {
  it('have the documented vendor header on each transport', () => {
    expect(toHex(encodeAppMessage(TCP_SECURED_PARAMS, 'data', Uint8Array.of(0xaa)))).toBe('00007ed900aa');
    expect(toHex(encodeAppMessage(MCTP_SECURED_PARAMS, 'data', Uint8Array.of(0xaa)))).toBe('7f00007ed900aa');
    expect(toHex(encodeAppMessage(TCP_SECURED_PARAMS, 'end'))).toBe('00007ed901');
    expect(appHeaderSize(TCP_SECURED_PARAMS)).toBe(5);
    expect(appHeaderSize(MCTP_SECURED_PARAMS)).toBe(6);
  });

  it.each(BOTH)('%s: any payload round-trips and is never taken for an inner SPDM message', (_n, params) => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (payload) => {
        const app = encodeAppMessage(params, 'data', payload);
        expect(params.decodeInner(app).kind).toBe('app');
        const m = decodeAppMessage(params, app);
        expect(m.kind).toBe('data');
        expect(toHex(m.payload)).toBe(toHex(payload));
      }),
    );
  });

  it.each(BOTH)('%s: the decoder is total (only SpdmError escapes)', (_n, params) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeAppMessage(params, bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(SpdmError);
        }
      }),
    );
  });

  it('refuses foreign vendors, unknown kinds and size-rule breaks', () => {
    const p = TCP_SECURED_PARAMS;
    for (const hex of ['00007ed9', '00007ed8 00aa', '00007ed9 02', '00007ed9 00', '00007ed9 01ff']) {
      const bytes = Uint8Array.from(Buffer.from(hex.replace(/ /g, ''), 'hex'));
      expect(() => decodeAppMessage(p, bytes)).toThrow(expect.objectContaining({ code: 'InvalidMsgField' }));
    }
    expect(() => encodeAppMessage(p, 'data', new Uint8Array(0))).toThrow(RangeError);
    expect(() => encodeAppMessage(p, 'end', Uint8Array.of(1))).toThrow(RangeError);
  });

  it('maxAppPayload follows the peer message size, the record Length field and the frame limit', () => {
    expect(maxAppPayload(TCP_SECURED_PARAMS, 4608)).toBe(4603);
    expect(maxAppPayload(TCP_SECURED_PARAMS, 0)).toBe(4603);
    expect(maxAppPayload(TCP_SECURED_PARAMS, 1 << 20)).toBe(0xffff - 18 - 5);
    expect(maxAppPayload(MCTP_SECURED_PARAMS, 1 << 20, 2000)).toBe(
      2000 - 16 - recordOverhead(MCTP_SECURED_PARAMS) - 6,
    );
    expect(maxAppPayload(TCP_SECURED_PARAMS, 4608, undefined, 100)).toBe(100);
    expect(() => maxAppPayload(TCP_SECURED_PARAMS, 4608, 20)).toThrow(RangeError);
  });
});
