/**
 * Test helper: fast-check arbitraries of valid VCA messages (GET_VERSION .. ALGORITHMS, ERROR,
 * RESPOND_IF_READY) for each SPDM version, and a mutator that derives near-valid byte strings
 * from valid ones (the inputs most likely to reach deep decoder paths).
 */
import fc from 'fast-check';
import { SpdmError } from '../../src/errors.js';
import type { AlgorithmOffer, AlgStruct, ExtAlg } from '../../src/msgs/alg-struct.js';
import type { Algorithms, NegotiateAlgorithms } from '../../src/msgs/algorithms.js';
import type { Capabilities, GetCapabilities } from '../../src/msgs/capabilities.js';
import { ERROR_CODE, REQUEST_CODE, RESPONSE_CODE } from '../../src/msgs/codes.js';
import type { ErrorResponse, RespondIfReady } from '../../src/msgs/error.js';
import type { Version } from '../../src/msgs/version.js';

export const anyVersion = fc.constantFrom(0x10, 0x11, 0x12, 0x13);
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const when = <T>(cond: boolean, arb: fc.Arbitrary<T>, otherwise: T): fc.Arbitrary<T> =>
  cond ? arb : fc.constant(otherwise);

export const extAlg: fc.Arbitrary<ExtAlg> = fc.record({ registryId: u8, algorithmId: u16 });

/** Strictly increasing AlgTypes from 2..5, each with up to `maxExt` external entries. */
export function algStructs(maxExt: number): fc.Arbitrary<AlgStruct[]> {
  return fc.subarray([2, 3, 4, 5]).chain((types) =>
    fc.tuple(
      ...types.map((algType) =>
        fc.record({
          algType: fc.constant(algType),
          algSupported: u16,
          external: fc.array(extAlg, { maxLength: maxExt }),
        }),
      ),
    ),
  );
}

export const version: fc.Arbitrary<Version> = fc.record({
  code: fc.constant(RESPONSE_CODE.VERSION),
  entries: fc.array(u16, { maxLength: 20 }),
});

export function getCapabilities(v: number): fc.Arbitrary<GetCapabilities> {
  return fc.record({
    code: fc.constant(REQUEST_CODE.GET_CAPABILITIES),
    version: fc.constant(v),
    param1: when(v >= 0x13, fc.constantFrom(0, 1), 0),
    ctExponent: when(v >= 0x11, u8, 0),
    flags: when(v >= 0x11, u32, 0),
    dataTransferSize: when(v >= 0x12, u32, 0),
    maxSpdmMsgSize: when(v >= 0x12, u32, 0),
  });
}

/** An offer small enough for NEGOTIATE_ALGORITHMS limits (Length <= 64 / 128, ext <= 8 / 20). */
export function offer(v: number): fc.Arbitrary<AlgorithmOffer> {
  return fc.record({
    measurementSpecification: u8,
    otherParamsSupport: when(v >= 0x12, u8, 0),
    baseAsymAlgo: u32,
    baseHashAlgo: u32,
    melSpecification: when(v >= 0x13, u8, 0),
    extAsym: fc.array(extAlg, { maxLength: 2 }),
    extHash: fc.array(extAlg, { maxLength: 2 }),
    algStructs: when(v >= 0x11, algStructs(1), []),
  });
}

export function capabilities(v: number): fc.Arbitrary<Capabilities> {
  return fc
    .record({
      ctExponent: u8,
      flags: u32,
      dataTransferSize: when(v >= 0x12, u32, 0),
      maxSpdmMsgSize: when(v >= 0x12, u32, 0),
      block: when(v >= 0x13, fc.option(offer(v), { nil: undefined }), undefined),
    })
    .map(({ block, ...rest }) => ({
      code: RESPONSE_CODE.CAPABILITIES,
      version: v,
      ...rest,
      ...(block ? { supportedAlgorithms: block } : {}),
    }));
}

export function negotiateAlgorithms(v: number): fc.Arbitrary<NegotiateAlgorithms> {
  return offer(v).map((o) => ({ code: REQUEST_CODE.NEGOTIATE_ALGORITHMS, version: v, ...o }));
}

export function algorithms(v: number): fc.Arbitrary<Algorithms> {
  return fc.record({
    code: fc.constant(RESPONSE_CODE.ALGORITHMS),
    version: fc.constant(v),
    measurementSpecificationSel: u8,
    otherParamsSelection: when(v >= 0x12, u8, 0),
    measurementHashAlgo: u32,
    baseAsymSel: u32,
    baseHashSel: u32,
    melSpecificationSel: when(v >= 0x13, u8, 0),
    extAsymSel: fc.array(extAlg, { maxLength: 1 }),
    extHashSel: fc.array(extAlg, { maxLength: 1 }),
    algStructs: when(v >= 0x11, algStructs(2), []),
  });
}

export const errorResponse: fc.Arbitrary<ErrorResponse> = fc.oneof(
  fc.record({
    code: fc.constant(RESPONSE_CODE.ERROR),
    version: anyVersion,
    errorCode: u8.filter((c) => c !== ERROR_CODE.ResponseNotReady),
    errorData: u8,
    extendedData: fc.uint8Array({ maxLength: 32 }),
  }),
  fc
    .record({ version: anyVersion, rdExponent: u8, requestCode: u8, token: u8, rdtm: u8 })
    .map(({ version, ...notReady }) => ({
      code: RESPONSE_CODE.ERROR,
      version,
      errorCode: ERROR_CODE.ResponseNotReady,
      errorData: 0,
      extendedData: Uint8Array.of(notReady.rdExponent, notReady.requestCode, notReady.token, notReady.rdtm),
      notReady,
    })),
);

export const respondIfReady: fc.Arbitrary<RespondIfReady> = fc.record({
  code: fc.constant(REQUEST_CODE.RESPOND_IF_READY),
  version: anyVersion,
  requestCode: u8,
  token: u8,
});

/** Flips, truncates, extends or overwrites bytes of `valid`. */
export function mutated(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.integer({ min: 0, max: valid.length }).map((n) => valid.slice(0, n)),
    fc.uint8Array({ minLength: 1, maxLength: 8 }).map((tail) => Uint8Array.of(...valid, ...tail)),
    fc
      .array(fc.tuple(fc.nat({ max: Math.max(0, valid.length - 1) }), u8), { minLength: 1, maxLength: 4 })
      .map((edits) => {
        const b = valid.slice();
        for (const [i, x] of edits) if (i < b.length) b[i] = x;
        return b;
      }),
  );
}

/** Runs `f`, letting only SpdmError escape silently (any other exception fails the property). */
export function onlySpdmError(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof SpdmError)) throw e;
  }
}
