/**
 * Rules of the VCA negotiation that the requester and the responder share: what the capability
 * exchange settled, which ALGORITHMS selections the two capability words make mandatory (libspdm
 * 1e16c60f: `libspdm_rsp_algorithms.c` answers ERROR(InvalidRequest) and
 * `libspdm_req_negotiate_algorithms.c` returns NEGOTIATION_FAIL on the same conditions), and the
 * Negotiated value both sides end with.
 */
import { ALG_TYPE, KEY_SCHEDULE, OTHER_PARAMS } from './crypto/algorithms.js';
import { type Algorithms, algStructValue } from './msgs/algorithms.js';
import { CAP, capField } from './msgs/capabilities.js';
import { SPDM_VERSION, type SpdmVersion } from './msgs/codes.js';
import type { Negotiated } from './negotiated.js';

/** What GET_CAPABILITIES / CAPABILITIES settled (flags masked to the version, as libspdm stores them). */
export interface CapabilityExchange {
  readonly version: SpdmVersion;
  readonly requesterCaps: number;
  readonly requesterCtExponent: number;
  /** 1.2+, else 0. */
  readonly requesterDataTransferSize: number;
  readonly requesterMaxSpdmMsgSize: number;
  readonly responderCaps: number;
  readonly responderCtExponent: number;
  /** 1.2+, else 0. */
  readonly responderDataTransferSize: number;
  readonly responderMaxSpdmMsgSize: number;
}

/** DataTransferSize = MaxSPDMmsgSize default of both sides (the spdm-emu value, 0x1200). */
export const DEFAULT_DATA_TRANSFER_SIZE = 4608;

/**
 * Default CTExponent of both sides: 2^20 µs ≈ 1 s for any response that needs cryptography,
 * room for a software signer on a busy event loop.
 */
export const DEFAULT_CT_EXPONENT = 20;

/** Mask of the opaque-data format bits (3:0) of OtherParams. */
export const OPAQUE_FORMAT_MASK = 0x0f;

/** True when both capability words have the (possibly 2-bit) field of `capBits` non-zero. */
export function bothHave(
  c: Pick<CapabilityExchange, 'requesterCaps' | 'responderCaps'>,
  capBits: number,
): boolean {
  return (c.requesterCaps & capBits) !== 0 && (c.responderCaps & capBits) !== 0;
}

const PSK_FIELD = CAP.PSK | CAP.PSK_WITH_CONTEXT;
const MEAS_FIELD = CAP.MEAS_NO_SIG | CAP.MEAS_SIG;

/** The responder signs something (certificates, CHALLENGE, signed measurements) or both do KEY_EX. */
export function needsBaseAsym(c: CapabilityExchange): boolean {
  const r = c.responderCaps;
  return (r & (CAP.CERT | CAP.CHAL)) !== 0 || capField(r, 'MEAS_CAP') === 2 || bothHave(c, CAP.KEY_EX);
}

/** BaseHashAlgo is needed whenever BaseAsymAlgo is, and for PSK sessions. */
export function needsBaseHash(c: CapabilityExchange): boolean {
  return needsBaseAsym(c) || bothHave(c, PSK_FIELD);
}

/** Sessions (KEY_EX or PSK on both sides) need the key schedule and, from 1.2, OpaqueDataFmt1. */
export function needsSession(c: CapabilityExchange): boolean {
  return c.version >= SPDM_VERSION.V11 && (bothHave(c, CAP.KEY_EX) || bothHave(c, PSK_FIELD));
}

/**
 * Why `a` lacks a selection the capabilities make mandatory, or null when it is complete.
 * Opaque format: libspdm requires Fmt1 for 1.2+ sessions (our KEY_EXCHANGE builds Fmt1 only).
 */
export function missingSelection(a: Algorithms, c: CapabilityExchange): string | null {
  if (needsBaseHash(c) && a.baseHashSel === 0) return 'no common BaseHashAlgo';
  if (needsBaseAsym(c) && a.baseAsymSel === 0) return 'no common BaseAsymAlgo';
  if (c.version < SPDM_VERSION.V11) return null;
  if (bothHave(c, CAP.KEY_EX) && algStructValue(a.algStructs, ALG_TYPE.DHE) === 0)
    return 'no common DHE group';
  if (
    (bothHave(c, CAP.ENCRYPT) || bothHave(c, CAP.MAC)) &&
    algStructValue(a.algStructs, ALG_TYPE.AEAD) === 0
  ) {
    return 'no common AEAD cipher suite';
  }
  if (bothHave(c, CAP.MUT_AUTH) && algStructValue(a.algStructs, ALG_TYPE.REQ_BASE_ASYM) === 0) {
    return 'no common ReqBaseAsymAlg';
  }
  if (needsSession(c)) {
    if (algStructValue(a.algStructs, ALG_TYPE.KEY_SCHEDULE) !== KEY_SCHEDULE.SPDM)
      return 'no common KeySchedule';
    const fmt = a.otherParamsSelection & OPAQUE_FORMAT_MASK;
    if (c.version >= SPDM_VERSION.V12 && fmt !== OTHER_PARAMS.OPAQUE_DATA_FMT1)
      return 'OpaqueDataFmt1 not selected';
  }
  return null;
}

/** True when the responder has MEAS_CAP (any value). */
export function responderMeasures(c: CapabilityExchange): boolean {
  return (c.responderCaps & MEAS_FIELD) !== 0;
}

/** The Negotiated value both sides end VCA with. `vca` is kept as given (callers pass a fresh copy). */
export function negotiatedOf(c: CapabilityExchange, a: Algorithms, vca: Uint8Array): Negotiated {
  return {
    version: c.version,
    requesterCaps: c.requesterCaps,
    responderCaps: c.responderCaps,
    requesterCtExponent: c.requesterCtExponent,
    responderCtExponent: c.responderCtExponent,
    requesterDataTransferSize: c.requesterDataTransferSize,
    requesterMaxSpdmMsgSize: c.requesterMaxSpdmMsgSize,
    responderDataTransferSize: c.responderDataTransferSize,
    responderMaxSpdmMsgSize: c.responderMaxSpdmMsgSize,
    measurementSpec: a.measurementSpecificationSel,
    otherParams: a.otherParamsSelection,
    measurementHashAlgo: a.measurementHashAlgo,
    baseAsymAlgo: a.baseAsymSel,
    baseHashAlgo: a.baseHashSel,
    dheGroup: algStructValue(a.algStructs, ALG_TYPE.DHE),
    aeadSuite: algStructValue(a.algStructs, ALG_TYPE.AEAD),
    reqBaseAsymAlg: algStructValue(a.algStructs, ALG_TYPE.REQ_BASE_ASYM),
    keySchedule: algStructValue(a.algStructs, ALG_TYPE.KEY_SCHEDULE),
    melSpec: a.melSpecificationSel,
    vca,
  };
}
