/**
 * CHALLENGE handler (DSP0274 1.3 "CHALLENGE request and CHALLENGE_AUTH response";
 * spdm-reference §2.6, §3.1-§3.3; libspdm `libspdm_rsp_challenge_auth.c`). Accepted after VCA
 * (before ALGORITHMS the dispatcher answers UnexpectedRequest), outside sessions, with CHAL_CAP
 * (else UnsupportedRequest).
 *
 * ERROR(InvalidRequest) for: a slot that holds no chain; SlotID 0xFF (we have no pre-provisioned
 * public key); a MeasurementSummaryHashType other than NONE when we do not measure or no
 * measurement hash was negotiated (libspdm). The answer carries the slot's CertChainHash, a
 * fresh nonce, the summary hash when asked (measurement-source.ts), no opaque data, the 1.3
 * RequesterContext echoed, and the signature over M2 = VCA ‖ B ‖ CHALLENGE ‖ CHALLENGE_AUTH
 * without Signature (1.2+: signing context "responder-challenge_auth signing" ‖ Hash(M2)).
 * Afterwards B and M are empty and the connection is authenticated (libspdm resets B and C).
 * BasicMutAuthReq is never set (we run no encapsulated mutual authentication).
 */
import { randomBytes } from 'node:crypto';
import { concatBytes } from '../codec/bytes.js';
import { SIGNING_CONTEXT } from '../crypto/signing-context.js';
import { cryptoSuite } from '../crypto/suite.js';
import { challengeAuthTranscript } from '../crypto/transcript.js';
import { SpdmError } from '../errors.js';
import {
  type ChallengeAuth,
  decodeChallenge,
  encodeChallengeAuth,
  MEAS_SUMMARY_HASH_TYPE,
  PUBLIC_KEY_SLOT,
} from '../msgs/challenge.js';
import { ERROR_CODE, REQUEST_CODE, RESPONSE_CODE } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import { type Negotiated, suiteOf } from '../negotiated.js';
import { responderMeasures } from '../negotiation.js';
import { authAfterRequest, EMPTY_RESPONDER_AUTH, negotiatedState, requireCap } from './auth-state.js';
import type { RequestHandler } from './handler.js';
import type { ResponderConfig } from './init.js';
import { signingSlot } from './local-identity.js';
import { measurementSummaryHash } from './measurement-source.js';

const WHAT = 'CHALLENGE';

function invalid(msg: string): never {
  throw new SpdmError('InvalidMsgField', `${WHAT}: ${msg}`, { wireCode: ERROR_CODE.InvalidRequest });
}

/** The summary hash the request asks for, or undefined for NONE. @throws SpdmError InvalidRequest */
function summaryFor(type: number, n: Negotiated, cfg: ResponderConfig): Uint8Array | undefined {
  if (type === MEAS_SUMMARY_HASH_TYPE.NONE) return undefined;
  if (!responderMeasures(n) || !cfg.measurements || n.measurementSpec === 0 || n.measurementHashAlgo === 0) {
    invalid('measurement summary hash asked of a responder without measurements');
  }
  return measurementSummaryHash(cfg.measurements, n.version, suiteOf(n).hash, n.measurementHashAlgo, type);
}

export const challengeHandler: RequestHandler = {
  name: WHAT,
  allowedIn: ['Negotiated'],
  handle(request, ctx) {
    const state = negotiatedState(ctx, WHAT);
    const n = state.negotiated;
    requireCap(n, 'CHAL_CAP', REQUEST_CODE.CHALLENGE, WHAT);
    const req = decodeChallenge(request, { version: n.version });
    if (req.slotId === PUBLIC_KEY_SLOT) invalid('no pre-provisioned public key (SlotID 0xFF)');
    const slot = signingSlot(ctx.config.slots, n, req.slotId);
    const summary = summaryFor(req.measurementSummaryHashType, n, ctx.config);
    const auth = authAfterRequest(state.auth, REQUEST_CODE.CHALLENGE);
    const suite = cryptoSuite(suiteOf(n));
    const body: ChallengeAuth = {
      code: RESPONSE_CODE.CHALLENGE_AUTH,
      version: n.version,
      slotId: req.slotId,
      basicMutAuthReq: false,
      slotMask: ctx.config.slots!.forHash(suite.hash).provisionedSlotMask,
      certChainHash: slot.digest,
      nonce: new Uint8Array(randomBytes(32)),
      ...(summary ? { measurementSummaryHash: summary } : {}),
      opaqueData: new Uint8Array(0),
      ...(req.requesterContext ? { requesterContext: req.requesterContext } : {}),
      signature: new Uint8Array(0),
    };
    const unsigned = encodeToBytes(encodeChallengeAuth, body);
    const m2 = challengeAuthTranscript(suite.hash, n.vca, auth.b, request, unsigned, 0);
    const signature = suite.sign('responder', slot.privateKey, SIGNING_CONTEXT.RESPONDER_CHALLENGE_AUTH, m2);
    const response = concatBytes(unsigned, signature);
    return { response, state: { ...state, auth: { ...EMPTY_RESPONDER_AUTH, authenticated: true } } };
  },
};
