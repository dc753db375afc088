/**
 * Requester phase GET_MEASUREMENTS -> MEASUREMENTS (DSP0274 1.3 "GET_MEASUREMENTS request and
 * MEASUREMENTS response"; spdm-reference §2.7, §3.1-§3.3; libspdm
 * `libspdm_req_get_measurements.c`). The caller names the operation (count, one index, all),
 * whether to ask for a signature and, for a signed request, the slot, the nonce and the leaf key
 * of that slot's validated chain; in 1.3 also the RequesterContext.
 *
 * Checks: the responder advertises MEAS_CAP (SIG for a signed request) and a measurement hash was
 * negotiated (else a local UnsupportedRequest, nothing sent); the decoder (sizes before fields,
 * the blocks the operation implies, digest sizes); a signed 1.1+ answer names the slot asked;
 * opaque data only with a negotiated format (1.2+); the 1.3 RequesterContext echoed. An unsigned
 * pair is appended to M. A signed answer's signature must verify over L1 = [1.2+: VCA] ‖ M ‖
 * GET_MEASUREMENTS ‖ MEASUREMENTS without Signature (context "responder-measurements signing"),
 * else VerifyFailed; after a verified answer M is empty. Any GET_MEASUREMENTS clears B before
 * the connection is authenticated.
 */
import type { KeyObject } from 'node:crypto';
import { measurementHashSize } from '../crypto/algorithms.js';
import { SIGNING_CONTEXT } from '../crypto/signing-context.js';
import { cryptoSuite } from '../crypto/suite.js';
import { measurementsTranscript } from '../crypto/transcript.js';
import { SpdmError } from '../errors.js';
import { capField } from '../msgs/capabilities.js';
import { REQUEST_CODE, RESPONSE_CODE, SPDM_VERSION } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import { decodeMeasurements, encodeGetMeasurements, type Measurements } from '../msgs/measurements.js';
import { suiteOf } from '../negotiated.js';
import { appendM, authAfterRequest, type NegotiatedRequesterState } from './auth-state.js';
import { checkContextEcho, checkOpaqueAllowed } from './challenge.js';
import { requirePeerCap } from './digests.js';
import type { RequesterConfig } from './init.js';
import { badResponse, expectResponse, type Phase } from './phase.js';

const WHAT = 'MEASUREMENTS';

export interface MeasurementsRequest {
  /** MEASUREMENT_OPERATION.TOTAL_NUMBER, .ALL, or one index 0x01..0xFE. */
  readonly operation: number;
  /** Ask for a signature (needs nonce and leafKey). */
  readonly signed: boolean;
  /** Slot whose key signs (1.1+ signed requests). Default 0. */
  readonly slotId?: number;
  /** 32 fresh random bytes, signed requests only. */
  readonly nonce?: Uint8Array;
  /** 8 bytes, SPDM 1.3 only. */
  readonly requesterContext?: Uint8Array;
  /** The validated leaf key of `slotId`, signed requests only. */
  readonly leafKey?: KeyObject;
  /** 1.2+: ask for raw bit streams instead of digests. Default false. */
  readonly rawBitStream?: boolean;
}

export interface MeasurementsStep {
  readonly state: NegotiatedRequesterState;
  /** The decoded (and, when signed, verified) response; fields are views of it. */
  readonly measurements: Measurements;
}

function checkAsk(state: NegotiatedRequesterState, req: MeasurementsRequest): void {
  requirePeerCap(state, 'MEAS_CAP', 'GET_MEASUREMENTS');
  const n = state.negotiated;
  if (req.signed && capField(n.responderCaps, 'MEAS_CAP') !== 2) {
    throw new SpdmError('UnsupportedRequest', 'GET_MEASUREMENTS: the responder does not sign measurements');
  }
  if (n.measurementHashAlgo === 0) {
    throw new SpdmError('UnsupportedRequest', 'GET_MEASUREMENTS: no measurement hash was negotiated');
  }
  if (req.signed && (!req.nonce || !req.leafKey))
    throw new TypeError('a signed GET_MEASUREMENTS needs nonce and leafKey');
}

/** One GET_MEASUREMENTS round trip. @throws TypeError / RangeError for misuse. */
export function measurementsPhase(
  req: MeasurementsRequest,
): Phase<NegotiatedRequesterState, MeasurementsStep, RequesterConfig> {
  const slotId = req.slotId ?? 0;
  return {
    name: 'GET_MEASUREMENTS',
    request(state) {
      checkAsk(state, req);
      const version = state.negotiated.version;
      return encodeToBytes(encodeGetMeasurements, {
        code: REQUEST_CODE.GET_MEASUREMENTS,
        version,
        signatureRequested: req.signed,
        rawBitStreamRequested: req.rawBitStream ?? false,
        newMeasurementRequested: false,
        operation: req.operation,
        ...(req.signed ? { nonce: req.nonce } : {}),
        ...(req.signed && version >= SPDM_VERSION.V11 ? { slotId } : {}),
        ...(version >= SPDM_VERSION.V13 ? { requesterContext: req.requesterContext } : {}),
      });
    },
    response(state, _cfg, request, response) {
      const n = state.negotiated;
      const suite = cryptoSuite(suiteOf(n));
      const sigSize = suite.asym?.sigSize ?? 0;
      expectResponse(request, response, RESPONSE_CODE.MEASUREMENTS, WHAT);
      const m = decodeMeasurements(response, {
        version: n.version,
        operation: req.operation,
        measurementHashSize: measurementHashSize(n.measurementHashAlgo),
        signaturePresent: req.signed,
        sigSize,
      });
      if (req.signed && n.version >= SPDM_VERSION.V11 && m.slotId !== slotId) {
        badResponse(WHAT, `signed by slot ${m.slotId}, asked for slot ${slotId}`);
      }
      checkOpaqueAllowed(n, m.opaqueData, WHAT);
      checkContextEcho(
        n.version >= SPDM_VERSION.V13 ? req.requesterContext : undefined,
        m.requesterContext,
        WHAT,
      );
      const auth = authAfterRequest(state.auth, REQUEST_CODE.GET_MEASUREMENTS);
      if (!req.signed)
        return { state: { ...state, auth: appendM(auth, request, response) }, measurements: m };
      const l1 = measurementsTranscript(
        suite.hash,
        n.version,
        n.vca,
        [...auth.m, request, response],
        sigSize,
      );
      const key = req.leafKey!;
      if (!suite.verify('responder', key, SIGNING_CONTEXT.RESPONDER_MEASUREMENTS, l1, m.signature!)) {
        throw new SpdmError(
          'VerifyFailed',
          `${WHAT}: signature does not verify with the slot ${slotId} leaf key`,
        );
      }
      return { state: { ...state, auth: { ...auth, m: [], mSize: 0 } }, measurements: m };
    },
  };
}
