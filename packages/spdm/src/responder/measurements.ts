/**
 * GET_MEASUREMENTS handler (DSP0274 1.3 "GET_MEASUREMENTS request and MEASUREMENTS response";
 * spdm-reference §2.7, §3.1-§3.3; libspdm `libspdm_rsp_measurements.c`). Accepted after VCA,
 * outside sessions here; the session layer (sessions.ts) serves it inside established sessions
 * with the session's own M through `answerMeasurements`.
 *
 * - No MEAS_CAP: ERROR(UnsupportedRequest); no measurement specification or hash negotiated:
 *   ERROR(UnexpectedRequest); a signature asked of a MEAS_CAP=NO_SIG responder:
 *   ERROR(UnsupportedRequest) (libspdm).
 * - Operation 0: Param1 = number of blocks, no record; 0xFF: every block; an index we do not
 *   have: ERROR(InvalidRequest). SlotIDParam must name a provisioned slot (0xF: InvalidRequest).
 * - Every response has a fresh nonce, no opaque data and, in 1.3, the RequesterContext echoed.
 *   A signed response (1.1+) names the slot in Param2 bits 3:0 and, from 1.2 on, the
 *   content-changed field: NO_CHANGE unless the record differs from the one M started with.
 * - Unsigned pairs are appended to M; a signed response signs L2 = [1.2+: VCA] ‖ M ‖ request ‖
 *   response without Signature (context "responder-measurements signing") and clears M. Any
 *   GET_MEASUREMENTS clears B before the connection is authenticated (auth-state.ts).
 *
 * RawBitStreamRequested (1.2) and NewMeasurementRequested (1.3) are accepted and ignored: every
 * block is served as the source gives it (digests, or raw bit streams where the source has them).
 */
import { randomBytes } from 'node:crypto';
import { concatBytes } from '../codec/bytes.js';
import { hash } from '../crypto/hash.js';
import { SIGNING_CONTEXT } from '../crypto/signing-context.js';
import { cryptoSuite } from '../crypto/suite.js';
import { measurementsTranscript } from '../crypto/transcript.js';
import { SpdmError } from '../errors.js';
import { capField } from '../msgs/capabilities.js';
import { ERROR_CODE, REQUEST_CODE, RESPONSE_CODE, SPDM_VERSION } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import { encodeMeasurementRecord, type MeasurementBlock } from '../msgs/measurement-blocks.js';
import {
  decodeGetMeasurements,
  encodeMeasurements,
  type GetMeasurements,
  MEAS_CONTENT_CHANGED,
  MEAS_PUBLIC_KEY_SLOT,
  MEASUREMENT_OPERATION,
  type Measurements,
} from '../msgs/measurements.js';
import { type Negotiated, suiteOf } from '../negotiated.js';
import {
  appendM,
  authAfterRequest,
  EMPTY_RESPONDER_AUTH,
  negotiatedState,
  type ResponderAuth,
  requireCap,
} from './auth-state.js';
import type { RequestHandler } from './handler.js';
import type { ResponderConfig } from './init.js';
import { signingSlot } from './local-identity.js';
import type { MeasurementSource } from './measurement-source.js';

const WHAT = 'GET_MEASUREMENTS';

function fail(
  code: 'InvalidMsgField' | 'UnexpectedRequest' | 'UnsupportedRequest',
  wire: number,
  msg: string,
): never {
  throw new SpdmError(code, `${WHAT}: ${msg}`, {
    wireCode: wire,
    ...(wire === ERROR_CODE.UnsupportedRequest ? { wireData: REQUEST_CODE.GET_MEASUREMENTS } : {}),
  });
}

/** The blocks the operation selects. @throws SpdmError InvalidRequest for an unknown index */
function selectBlocks(all: readonly MeasurementBlock[], operation: number): readonly MeasurementBlock[] {
  if (operation === MEASUREMENT_OPERATION.TOTAL_NUMBER) return [];
  if (operation === MEASUREMENT_OPERATION.ALL) return all;
  const one = all.find((b) => b.index === operation);
  if (!one) fail('InvalidMsgField', ERROR_CODE.InvalidRequest, `no measurement with index ${operation}`);
  return [one];
}

/** Content-changed for a signed 1.2+ response, and M's baseline (hash of the full record). */
function contentChange(m: MeasurementTranscript, all: readonly MeasurementBlock[], n: Negotiated) {
  const now = hash(suiteOf(n).hash, encodeMeasurementRecord(all));
  const base = m.mBaseline ?? now;
  const same = Buffer.from(base).equals(now);
  return { baseline: base, changed: same ? MEAS_CONTENT_CHANGED.NO_CHANGE : MEAS_CONTENT_CHANGED.CHANGED };
}

function checkRequest(
  req: GetMeasurements,
  n: Negotiated,
  source: MeasurementSource | null,
): MeasurementSource {
  if (!source || n.measurementSpec === 0 || n.measurementHashAlgo === 0) {
    fail(
      'UnexpectedRequest',
      ERROR_CODE.UnexpectedRequest,
      'no measurement specification or hash negotiated',
    );
  }
  if (req.signatureRequested && capField(n.responderCaps, 'MEAS_CAP') !== 2) {
    fail('UnsupportedRequest', ERROR_CODE.UnsupportedRequest, 'signed measurements not advertised');
  }
  if (req.slotId === MEAS_PUBLIC_KEY_SLOT) {
    fail('InvalidMsgField', ERROR_CODE.InvalidRequest, 'no pre-provisioned public key (SlotID 0xF)');
  }
  return source;
}

/**
 * The M transcript of one scope: the connection (outside sessions) or one session. libspdm keeps
 * one per scope (`transcript.message_m` and `session_transcript.message_m`) and signs
 * L1/L2 = [1.2+: VCA] ‖ that scope's M (`libspdm_calculate_l1l2`).
 */
export type MeasurementTranscript = Pick<ResponderAuth, 'm' | 'mSize' | 'mBaseline'>;

/** An empty M. */
export const EMPTY_MEASUREMENT_TRANSCRIPT: MeasurementTranscript = { m: [], mSize: 0 };

/**
 * Answers one GET_MEASUREMENTS against M transcript `m` (see the module comment); returns the
 * response and the M that follows it. Shared by the connection-level handler and the session
 * layer's in-session one (sessions.ts).
 * @throws SpdmError as the handler answers it (UnsupportedRequest, UnexpectedRequest,
 *   InvalidRequest, TooLarge).
 */
export function answerMeasurements(
  request: Uint8Array,
  n: Negotiated,
  config: ResponderConfig,
  m: MeasurementTranscript,
): { response: Uint8Array; m: MeasurementTranscript } {
  requireCap(n, 'MEAS_CAP', REQUEST_CODE.GET_MEASUREMENTS, WHAT);
  const req = decodeGetMeasurements(request, { version: n.version });
  const source = checkRequest(req, n, config.measurements);
  const signed = req.signatureRequested;
  const slotId = req.slotId ?? 0;
  const slot = signed ? signingSlot(config.slots, n, slotId) : undefined;
  const all = source.blocks(n.measurementHashAlgo);
  const blocks = selectBlocks(all, req.operation);
  const change = contentChange(m, all, n);
  const body: Measurements = {
    code: RESPONSE_CODE.MEASUREMENTS,
    version: n.version,
    totalMeasurementIndices: req.operation === MEASUREMENT_OPERATION.TOTAL_NUMBER ? all.length : 0,
    slotId: signed && n.version >= SPDM_VERSION.V11 ? slotId : 0,
    contentChanged: signed && n.version >= SPDM_VERSION.V12 ? change.changed : 0,
    blocks,
    nonce: new Uint8Array(randomBytes(32)),
    opaqueData: new Uint8Array(0),
    ...(req.requesterContext ? { requesterContext: req.requesterContext } : {}),
  };
  const unsigned = encodeToBytes(encodeMeasurements, body);
  if (!slot) {
    const next = appendM({ ...EMPTY_RESPONDER_AUTH, ...m, mBaseline: change.baseline }, request, unsigned);
    return { response: unsigned, m: { m: next.m, mSize: next.mSize, mBaseline: next.mBaseline } };
  }
  const suite = cryptoSuite(suiteOf(n));
  const l2 = measurementsTranscript(suite.hash, n.version, n.vca, [...m.m, request, unsigned], 0);
  const signature = suite.sign('responder', slot.privateKey, SIGNING_CONTEXT.RESPONDER_MEASUREMENTS, l2);
  return { response: concatBytes(unsigned, signature), m: EMPTY_MEASUREMENT_TRANSCRIPT };
}

export const getMeasurementsHandler: RequestHandler = {
  name: WHAT,
  allowedIn: ['Negotiated'],
  handle(request, ctx) {
    const state = negotiatedState(ctx, WHAT);
    const auth = authAfterRequest(state.auth, REQUEST_CODE.GET_MEASUREMENTS);
    const out = answerMeasurements(request, state.negotiated, ctx.config, auth);
    return {
      response: out.response,
      state: { ...state, auth: { ...auth, m: out.m.m, mSize: out.m.mSize, mBaseline: out.m.mBaseline } },
    };
  },
};
