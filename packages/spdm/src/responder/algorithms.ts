/**
 * NEGOTIATE_ALGORITHMS handler (DSP0274 1.3 "NEGOTIATE_ALGORITHMS request and ALGORITHMS response"; libspdm `libspdm_rsp_algorithms.c`).
 * Accepted only right after CAPABILITIES, in the connection version. The responder picks, per
 * field, the first entry of its own preference list that the requester offered, and answers
 * with exactly the AlgStruct types of the request, one selected bit (or 0) each, like libspdm:
 *
 * - MeasurementSpecificationSel: DMTF if we have MEAS_CAP (or MEL_CAP) and it was offered, else 0;
 * - MeasurementHashAlgo: our first measurement hash if we have MEAS_CAP and the request named a
 *   measurement specification, else 0 (the requester does not offer measurement hashes);
 * - OtherParamsSelection (1.2+): first common opaque format; bit4 (1.3) = the requester's
 *   multi-key connection, from its MULTI_KEY_CAP (01 on; 00 and 10 off: we do not run multi-key);
 * - MELspecificationSel (1.3): only with MEL_CAP.
 *
 * A selection the two capability words make mandatory and that has no common value
 * (negotiation.ts `missingSelection`) is answered with ERROR(InvalidRequest), as libspdm does;
 * the requester reports it as NegotiationFailed. A request AlgStruct with AlgSupported = 0, or a
 * measurement specification other than DMTF while we measure, is ERROR(InvalidRequest) too.
 */
import { type AlgorithmPrefs, pickFirst } from '../algorithm-prefs.js';
import { concatBytes } from '../codec/bytes.js';
import { ALG_TYPE, MEASUREMENT_SPEC_DMTF, OTHER_PARAMS } from '../crypto/algorithms.js';
import { SpdmError } from '../errors.js';
import {
  type Algorithms,
  type AlgStruct,
  decodeNegotiateAlgorithms,
  encodeAlgorithms,
  type NegotiateAlgorithms,
} from '../msgs/algorithms.js';
import { CAP, capField } from '../msgs/capabilities.js';
import { ERROR_CODE, RESPONSE_CODE, SPDM_VERSION } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import {
  type CapabilityExchange,
  missingSelection,
  negotiatedOf,
  OPAQUE_FORMAT_MASK,
  responderMeasures,
} from '../negotiation.js';
import type { RequestHandler } from './handler.js';

function invalid(code: 'InvalidMsgField' | 'NegotiationFailed', msg: string): never {
  throw new SpdmError(code, `NEGOTIATE_ALGORITHMS: ${msg}`, { wireCode: ERROR_CODE.InvalidRequest });
}

function prefsFor(p: AlgorithmPrefs, algType: number): readonly number[] {
  switch (algType) {
    case ALG_TYPE.DHE:
      return p.dhe;
    case ALG_TYPE.AEAD:
      return p.aead;
    case ALG_TYPE.REQ_BASE_ASYM:
      return p.reqBaseAsym;
    case ALG_TYPE.KEY_SCHEDULE:
      return p.keySchedule;
    default:
      return [];
  }
}

/**
 * Whether our capabilities use AlgType `algType`. A responder without the capability an
 * AlgStruct serves answers it with AlgSupported = 0 (DSP0274 1.2 "NEGOTIATE_ALGORITHMS request
 * and ALGORITHMS response"): DHE needs KEY_EX_CAP, AEAD and KeySchedule need KEY_EX_CAP or
 * PSK_CAP. SPDM-Responder-Validator checks this (cases 3.5 / 3.6, assertions 13, 14 and 16);
 * before this rule a responder without KEY_EX_CAP (ours on spdm-emu's NONE transport) still
 * selected a DHE group, AEAD and key schedule.
 *
 * ReqBaseAsymAlg keeps libspdm 1e16c60f's behaviour: selected from our preferences whatever
 * MUT_AUTH_CAP says (the recorded spdm-emu responders without MUT_AUTH_CAP select one, and our VCA
 * is byte-exact with them). The validator expects 0 there without MUT_AUTH_CAP (3.5.15), so a
 * responder meant to pass it keeps MUT_AUTH_CAP, as DEFAULT_RESPONDER_CAPS does.
 */
function usesAlgType(algType: number, responderCaps: number): boolean {
  const keyEx = (responderCaps & CAP.KEY_EX) !== 0;
  const psk = (responderCaps & (CAP.PSK | CAP.PSK_WITH_CONTEXT)) !== 0;
  switch (algType) {
    case ALG_TYPE.DHE:
      return keyEx;
    case ALG_TYPE.AEAD:
    case ALG_TYPE.KEY_SCHEDULE:
      return keyEx || psk;
    default:
      return true;
  }
}

function selectStructs(req: NegotiateAlgorithms, c: CapabilityExchange, p: AlgorithmPrefs): AlgStruct[] {
  return req.algStructs.map((s) => {
    if (s.algSupported === 0) invalid('InvalidMsgField', `AlgType ${s.algType} offers nothing`);
    const used = usesAlgType(s.algType, c.responderCaps);
    return {
      algType: s.algType,
      algSupported: used ? pickFirst(prefsFor(p, s.algType), s.algSupported) : 0,
      external: [],
    };
  });
}

/** OtherParamsSelection: opaque format (1.2+) and the requester's MULTI_KEY_CONN bit (1.3). */
function selectOtherParams(req: NegotiateAlgorithms, c: CapabilityExchange, p: AlgorithmPrefs): number {
  if (c.version < SPDM_VERSION.V12) return 0;
  let sel = pickFirst(p.opaqueDataFormats, req.otherParamsSupport & OPAQUE_FORMAT_MASK);
  if (c.version >= SPDM_VERSION.V13 && capField(c.requesterCaps, 'MULTI_KEY_CAP') === 1) {
    sel |= OTHER_PARAMS.MULTI_KEY_CONN;
  }
  return sel;
}

/** The 1.3 checks on OtherParamsSupport bit4 (the responder's multi-key connection). */
function checkResponderMultiKey(req: NegotiateAlgorithms, c: CapabilityExchange): void {
  if (c.version < SPDM_VERSION.V13) return;
  const mine = capField(c.responderCaps, 'MULTI_KEY_CAP');
  const asked = (req.otherParamsSupport & OTHER_PARAMS.MULTI_KEY_CONN) !== 0;
  if (!asked && mine === 1) invalid('NegotiationFailed', 'we only run multi-key connections');
  if (asked && mine === 0)
    invalid('NegotiationFailed', 'multi-key connection asked of a responder without MULTI_KEY_CAP');
}

/**
 * Picks ALGORITHMS for `req` from our preferences `p`.
 * @throws SpdmError InvalidMsgField / NegotiationFailed, both with wireCode InvalidRequest.
 */
export function selectAlgorithms(
  req: NegotiateAlgorithms,
  c: CapabilityExchange,
  p: AlgorithmPrefs,
): Algorithms {
  const measures = responderMeasures(c);
  const measSpecSel =
    measures || (c.responderCaps & CAP.MEL) !== 0 ? p.measurementSpec & req.measurementSpecification : 0;
  const measHash = measures && req.measurementSpecification !== 0 ? (p.measurementHash[0] ?? 0) : 0;
  if (measures && req.measurementSpecification !== 0 && measSpecSel !== MEASUREMENT_SPEC_DMTF) {
    invalid('InvalidMsgField', 'no common measurement specification');
  }
  const v13 = c.version >= SPDM_VERSION.V13;
  const sel: Algorithms = {
    code: RESPONSE_CODE.ALGORITHMS,
    version: c.version,
    measurementSpecificationSel: measSpecSel,
    otherParamsSelection: selectOtherParams(req, c, p),
    measurementHashAlgo: measHash,
    baseAsymSel: pickFirst(p.baseAsym, req.baseAsymAlgo),
    baseHashSel: pickFirst(p.baseHash, req.baseHashAlgo),
    melSpecificationSel: v13 && (c.responderCaps & CAP.MEL) !== 0 ? p.melSpec & req.melSpecification : 0,
    extAsymSel: [],
    extHashSel: [],
    algStructs: selectStructs(req, c, p),
  };
  const missing = missingSelection(sel, c);
  if (missing) invalid('NegotiationFailed', missing);
  checkResponderMultiKey(req, c);
  return sel;
}

export const negotiateAlgorithmsHandler: RequestHandler = {
  name: 'NEGOTIATE_ALGORITHMS',
  allowedIn: ['AfterCapabilities'],
  handle(request, ctx) {
    if (ctx.state.kind !== 'AfterCapabilities')
      throw new SpdmError('Internal', 'NEGOTIATE_ALGORITHMS: state');
    const { caps, transcript } = ctx.state;
    const req = decodeNegotiateAlgorithms(request, { version: caps.version });
    const sel = selectAlgorithms(req, caps, ctx.config.algorithms);
    const response = encodeToBytes(encodeAlgorithms, sel);
    const negotiated = negotiatedOf(caps, sel, concatBytes(transcript, request, response));
    return { response, state: { kind: 'Negotiated', negotiated } };
  },
};
