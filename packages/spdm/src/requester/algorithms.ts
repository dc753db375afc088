/**
 * Requester phase NEGOTIATE_ALGORITHMS -> ALGORITHMS (DSP0274 1.3 "NEGOTIATE_ALGORITHMS request and ALGORITHMS response"; libspdm
 * `libspdm_req_negotiate_algorithms.c`). Offers the OR of each preference list (offerOf) and
 * checks the answer, sizes first (the decoder: Length = parsed size, AlgStruct rules), then:
 *
 * - every selection is 0 or a single bit (libspdm `onehot0`) and within what we offered;
 *   no extended selections (we offer none); RespAlgStruct types are a subset of ours (the
 *   "echo" rule: the responder answers the tables we sent, one selection each);
 * - MeasurementSpecificationSel is DMTF when the responder measures and we named a spec, with a
 *   measurement hash we know; otherwise 0 (libspdm; MEL_CAP responders may also set it);
 * - MELspecificationSel (1.3) is DMTF only when the responder has MEL_CAP and we offered it;
 * - the selections the capabilities make mandatory are there (negotiation.ts missingSelection),
 *   and the requester's multi-key bit agrees with our MULTI_KEY_CAP (1.3).
 *
 * Rule violations are InvalidMsgField; a missing mandatory selection is NegotiationFailed, and
 * so is ERROR(InvalidRequest) from the responder, which is how libspdm and our ResponderCore say
 * "no acceptable algorithm set" (our own request is well-formed by construction).
 */
import { offerOf, oneHot0 } from '../algorithm-prefs.js';
import { concatBytes } from '../codec/bytes.js';
import { MEASUREMENT_SPEC_DMTF, measurementHashSize, OTHER_PARAMS } from '../crypto/algorithms.js';
import { SpdmError } from '../errors.js';
import {
  type Algorithms,
  decodeAlgorithms,
  decodeNegotiateAlgorithms,
  encodeNegotiateAlgorithms,
  type NegotiateAlgorithms,
} from '../msgs/algorithms.js';
import { CAP, capField } from '../msgs/capabilities.js';
import { ERROR_CODE, REQUEST_CODE, RESPONSE_CODE, SPDM_VERSION } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import {
  type CapabilityExchange,
  missingSelection,
  negotiatedOf,
  OPAQUE_FORMAT_MASK,
  responderMeasures,
} from '../negotiation.js';
import type { RequesterConfig } from './init.js';
import { badResponse, expectResponse, type Phase, peerError } from './phase.js';
import type { RequesterStateOf } from './state.js';

const WHAT = 'ALGORITHMS';

/** OtherParamsSupport bit4 (1.3): the responder's multi-key connection, from its MULTI_KEY_CAP. */
function responderMultiKeyBit(c: CapabilityExchange): number {
  if (c.version < SPDM_VERSION.V13) return 0;
  return capField(c.responderCaps, 'MULTI_KEY_CAP') === 1 ? OTHER_PARAMS.MULTI_KEY_CONN : 0;
}

/** The NEGOTIATE_ALGORITHMS we send at the capability exchange `c`. */
export function buildNegotiateAlgorithms(c: CapabilityExchange, cfg: RequesterConfig): NegotiateAlgorithms {
  return {
    code: REQUEST_CODE.NEGOTIATE_ALGORITHMS,
    version: c.version,
    ...offerOf(cfg.algorithms, c.version, responderMultiKeyBit(c)),
  };
}

/** A non-zero MeasurementHashAlgo we know the size of (raw bit stream included). */
function knownMeasurementHash(bit: number): boolean {
  if (bit === 0) return false;
  try {
    measurementHashSize(bit);
    return true;
  } catch {
    return false;
  }
}

function checkSelected(sel: number, offered: number, what: string): void {
  if (!oneHot0(sel)) badResponse(WHAT, `${what} 0x${sel.toString(16)} is not a single selection`);
  if ((sel & ~offered) !== 0) badResponse(WHAT, `${what} 0x${sel.toString(16)} was not offered`);
}

/** Single-bit, offered, echo rules. @throws SpdmError InvalidMsgField */
export function checkSelections(a: Algorithms, offer: NegotiateAlgorithms): void {
  checkSelected(a.baseAsymSel, offer.baseAsymAlgo, 'BaseAsymSel');
  checkSelected(a.baseHashSel, offer.baseHashAlgo, 'BaseHashSel');
  checkSelected(a.measurementSpecificationSel, offer.measurementSpecification, 'MeasurementSpecificationSel');
  checkSelected(a.melSpecificationSel, offer.melSpecification, 'MELspecificationSel');
  if (!oneHot0(a.measurementHashAlgo)) badResponse(WHAT, 'MeasurementHashAlgo is not a single selection');
  const fmt = a.otherParamsSelection & OPAQUE_FORMAT_MASK;
  checkSelected(fmt, offer.otherParamsSupport & OPAQUE_FORMAT_MASK, 'opaque data format');
  if ((a.otherParamsSelection & ~(OPAQUE_FORMAT_MASK | OTHER_PARAMS.MULTI_KEY_CONN)) !== 0) {
    badResponse(WHAT, 'OtherParamsSelection has reserved bits set');
  }
  if (a.extAsymSel.length || a.extHashSel.length)
    badResponse(WHAT, 'extended algorithm selected, none offered');
  for (const s of a.algStructs) {
    const ours = offer.algStructs.find((o) => o.algType === s.algType);
    if (!ours) badResponse(WHAT, `AlgType ${s.algType} was not in the request`);
    if (s.external.length)
      badResponse(WHAT, `AlgType ${s.algType}: extended algorithm selected, none offered`);
    checkSelected(s.algSupported, ours.algSupported, `AlgType ${s.algType} selection`);
  }
}

/** Measurement and MEL selections against the responder's capabilities. @throws SpdmError */
function checkMeasurementSelections(a: Algorithms, offer: NegotiateAlgorithms, c: CapabilityExchange): void {
  if (responderMeasures(c) && offer.measurementSpecification !== 0) {
    if (a.measurementSpecificationSel !== MEASUREMENT_SPEC_DMTF)
      badResponse(WHAT, 'DMTF measurement spec not selected');
    if (!knownMeasurementHash(a.measurementHashAlgo)) {
      throw new SpdmError('NegotiationFailed', `${WHAT}: no usable MeasurementHashAlgo`);
    }
  } else {
    const melOk = (c.responderCaps & CAP.MEL) !== 0;
    if (a.measurementSpecificationSel !== 0 && !melOk)
      badResponse(WHAT, 'measurement spec selected without MEAS_CAP');
    if (a.measurementHashAlgo !== 0) badResponse(WHAT, 'MeasurementHashAlgo selected without measurements');
  }
  const melAsked = (c.responderCaps & CAP.MEL) !== 0 && offer.melSpecification !== 0;
  if (!melAsked && a.melSpecificationSel !== 0) badResponse(WHAT, 'MELspecificationSel without MEL_CAP');
}

/** The requester's multi-key connection bit (1.3) against our MULTI_KEY_CAP. @throws SpdmError */
function checkRequesterMultiKey(a: Algorithms, c: CapabilityExchange): void {
  if (c.version < SPDM_VERSION.V13) return;
  const mine = capField(c.requesterCaps, 'MULTI_KEY_CAP');
  const on = (a.otherParamsSelection & OTHER_PARAMS.MULTI_KEY_CONN) !== 0;
  if ((!on && mine === 1) || (on && mine === 0)) {
    throw new SpdmError(
      'NegotiationFailed',
      `${WHAT}: requester multi-key connection does not match MULTI_KEY_CAP`,
    );
  }
}

export const algorithmsPhase: Phase<
  RequesterStateOf<'AfterCapabilities'>,
  RequesterStateOf<'Negotiated'>,
  RequesterConfig
> = {
  name: 'NEGOTIATE_ALGORITHMS',
  request(state, cfg) {
    return encodeToBytes(encodeNegotiateAlgorithms, buildNegotiateAlgorithms(state.caps, cfg));
  },
  response(state, _cfg, request, response) {
    const c = state.caps;
    expectResponse(request, response, RESPONSE_CODE.ALGORITHMS, WHAT, (e) => {
      if (e.errorCode !== ERROR_CODE.InvalidRequest) return peerError(e, WHAT);
      return new SpdmError(
        'NegotiationFailed',
        `${WHAT}: responder found no acceptable algorithm set (ERROR InvalidRequest)`,
        {
          wireCode: e.errorCode,
          wireData: e.errorData,
        },
      );
    });
    const offer = decodeNegotiateAlgorithms(request, { version: c.version });
    const a = decodeAlgorithms(response, { version: c.version });
    checkSelections(a, offer);
    checkMeasurementSelections(a, offer, c);
    const missing = missingSelection(a, c);
    if (missing) throw new SpdmError('NegotiationFailed', `${WHAT}: ${missing}`);
    checkRequesterMultiKey(a, c);
    const negotiated = negotiatedOf(c, a, concatBytes(state.transcript, request, response));
    return { kind: 'Negotiated', negotiated };
  },
};
