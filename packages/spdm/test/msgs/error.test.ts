import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/codec/bytes.js';
import { ERROR_CODE, REQUEST_CODE, RESPONSE_CODE } from '../../src/msgs/codes.js';
import { encodeToBytes } from '../../src/msgs/encode.js';
import {
  decodeErrorResponse,
  decodeRespondIfReady,
  describeError,
  encodeErrorResponse,
  encodeRespondIfReady,
  errorResponse,
  responseNotReady,
} from '../../src/msgs/error.js';
import { errorResponse as anyError, mutated, onlySpdmError, respondIfReady } from './vca-arbitraries.js';

describe('ERROR', () => {
  it.each(Object.entries(ERROR_CODE).filter(([, c]) => c !== ERROR_CODE.ResponseNotReady))(
    'encodes and decodes %s (0x%s) without extended data',
    (_name, code) => {
      const m = errorResponse(0x12, code, 0);
      const b = encodeToBytes(encodeErrorResponse, m);
      expect(toHex(b)).toBe(`127f${code.toString(16).padStart(2, '0')}00`);
      expect(decodeErrorResponse(b)).toEqual(m);
    },
  );

  it('UnsupportedRequest carries the request code in Param2', () => {
    const m = decodeErrorResponse(fromHex('107f0781'));
    expect(m.errorData).toBe(REQUEST_CODE.GET_DIGESTS);
    expect(describeError(m)).toBe('ERROR UnsupportedRequest (request 0x81)');
  });

  it('decodes ResponseNotReady extended data into fields', () => {
    const m = decodeErrorResponse(fromHex('127f4200' + '0ae1' + '05' + '02'));
    expect(m.notReady).toEqual({ rdExponent: 10, requestCode: 0xe1, token: 5, rdtm: 2 });
    expect(toHex(encodeToBytes(encodeErrorResponse, responseNotReady(0x12, m.notReady!)))).toBe(
      '127f42000ae10502',
    );
  });

  it('refuses ResponseNotReady without exactly 4 bytes of data, and more than 32 bytes of extended data', () => {
    expect(() => decodeErrorResponse(fromHex('127f42000ae105'))).toThrow(
      expect.objectContaining({ code: 'InvalidMsgSize' }),
    );
    expect(() => decodeErrorResponse(fromHex('127f42000ae1050200'))).toThrow(
      expect.objectContaining({ code: 'InvalidMsgSize' }),
    );
    const ok = Uint8Array.of(0x12, 0x7f, 0xff, 0, ...new Uint8Array(32));
    expect(decodeErrorResponse(ok).extendedData).toHaveLength(32);
    expect(() => decodeErrorResponse(Uint8Array.of(...ok, 0))).toThrow(
      expect.objectContaining({ code: 'InvalidMsgSize' }),
    );
    expect(() =>
      encodeToBytes(encodeErrorResponse, errorResponse(0x12, 0xff, 0, new Uint8Array(33))),
    ).toThrow(RangeError);
    expect(() =>
      encodeToBytes(encodeErrorResponse, {
        ...errorResponse(0x12, ERROR_CODE.ResponseNotReady),
        notReady: undefined,
      }),
    ).toThrow(TypeError);
  });

  it('refuses other codes and unknown versions', () => {
    expect(() => decodeErrorResponse(fromHex('127e0100'))).toThrow(
      expect.objectContaining({ code: 'InvalidMsgField' }),
    );
    expect(() => decodeErrorResponse(fromHex('207f0100'))).toThrow(
      expect.objectContaining({ code: 'VersionMismatch' }),
    );
    expect(() => decodeErrorResponse(fromHex('127f01'))).toThrow(
      expect.objectContaining({ code: 'InvalidMsgSize' }),
    );
  });

  it('round-trips', () => {
    fc.assert(
      fc.property(anyError, (m) => {
        expect(decodeErrorResponse(encodeToBytes(encodeErrorResponse, m))).toEqual(m);
      }),
    );
  });
});

describe('RESPOND_IF_READY', () => {
  it('is a bare header with the original request code and the token', () => {
    const m = { code: REQUEST_CODE.RESPOND_IF_READY, version: 0x13, requestCode: 0xe4, token: 9 } as const;
    expect(toHex(encodeToBytes(encodeRespondIfReady, m))).toBe('13ffe409');
    expect(decodeRespondIfReady(fromHex('13ffe409'))).toEqual(m);
    expect(() => decodeRespondIfReady(fromHex('13ffe40900'))).toThrow(
      expect.objectContaining({ code: 'InvalidMsgSize' }),
    );
    expect(() => decodeRespondIfReady(fromHex('13ffe409'), { version: 0x12 })).toThrow(
      expect.objectContaining({ code: 'VersionMismatch' }),
    );
  });

  it('round-trips', () => {
    fc.assert(
      fc.property(respondIfReady, (m) => {
        expect(decodeRespondIfReady(encodeToBytes(encodeRespondIfReady, m))).toEqual(m);
      }),
    );
  });
});

describe('ERROR / RESPOND_IF_READY decoders are total', () => {
  it('throw only SpdmError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), (b) => {
        onlySpdmError(() => decodeErrorResponse(b));
        onlySpdmError(() => decodeRespondIfReady(b));
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(
        anyError.chain((m) => mutated(encodeToBytes(encodeErrorResponse, m))),
        (b) => onlySpdmError(() => decodeErrorResponse(b)),
      ),
    );
    expect(RESPONSE_CODE.ERROR).toBe(0x7f);
  });
});
