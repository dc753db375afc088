/**
 * FINISH handler (DSP0274 1.3 "FINISH request and FINISH_RSP response"; libspdm
 * `libspdm_rsp_finish.c`; spdm-reference §2.10, §3.2). FINISH arrives inside its session under
 * the request handshake key, or in the clear when HANDSHAKE_IN_THE_CLEAR is set on both sides
 * (then it belongs to the newest session still in its handshake, libspdm's
 * `latest_session_id`); on the wrong side of the record layer it is SessionRequired (1.2+).
 *
 * Checks: with MutAuthRequested = 1 a Signature must be included for the ReqSlotID we asked
 * for (InvalidRequest otherwise), and it must verify with the requester's leaf key over
 * VCA ‖ Hash(Ct) ‖ K ‖ Hash(CM) ‖ FINISH header; without mutual authentication no Signature may
 * be included. RequesterVerifyData = HMAC(req finished key, Hash(… ‖ FINISH without it)). A
 * signature or HMAC that does not verify is answered ERROR(DecryptError), as libspdm does, and
 * the session is ended after that answer: no application data ever flows in it. A malformed
 * FINISH is answered ERROR(InvalidRequest) and the session stays in its handshake.
 *
 * FINISH_RSP is 4 bytes, or carries ResponderVerifyData in the clear case. TH2 = … ‖ FINISH ‖
 * FINISH_RSP gives the data secrets; the switch to data keys happens once FINISH_RSP is sealed
 * and sent (the manager runs `afterResponse`; in the clear case there is nothing to seal, so the
 * switch is immediate).
 */
import { bytesEqual, concatBytes } from '../codec/bytes.js';
import { SIGNING_CONTEXT } from '../crypto/signing-context.js';
import { cryptoSuite } from '../crypto/suite.js';
import {
  type FinishRspTranscriptParts,
  finishMacTranscript,
  finishRspMacTranscript,
  finishSignedTranscript,
  th2Transcript,
} from '../crypto/transcript.js';
import { SpdmError } from '../errors.js';
import { CAP } from '../msgs/capabilities.js';
import { ERROR_CODE, REQUEST_CODE, RESPONSE_CODE } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import { decodeFinish, encodeFinishRsp, type Finish } from '../msgs/finish.js';
import { type Negotiated, suiteOf } from '../negotiated.js';
import { bothHave } from '../negotiation.js';
import { authAfterRequest, negotiatedState } from './auth-state.js';
import type { HandlerContext, RequestHandler } from './handler.js';
import type { ResponderSession, SessionHost } from './session-host.js';
import { invalidRequest, requireBothCaps, sessionRequired, unexpected } from './session-rules.js';

const WHAT = 'FINISH';

function decryptError(why: string): SpdmError {
  return new SpdmError('VerifyFailed', `${WHAT}: ${why}`, { wireCode: ERROR_CODE.DecryptError });
}

function isDecryptError(e: unknown): boolean {
  return e instanceof SpdmError && e.wireCode === ERROR_CODE.DecryptError;
}

/**
 * The session this FINISH belongs to, in libspdm_rsp_finish_rsp.c's order: a FINISH on the
 * wrong side of the record layer (inside a session with HANDSHAKE_IN_THE_CLEAR, outside one
 * without), or in the clear with no handshake waiting, is SessionRequired (1.2+; Unspecified in
 * 1.1); a session not in its handshake is UnexpectedRequest.
 * @throws SpdmError
 */
function sessionFor(ctx: HandlerContext, host: SessionHost, n: Negotiated): ResponderSession {
  const id = ctx.meta.sessionId;
  const hitc = bothHave(n, CAP.HANDSHAKE_IN_THE_CLEAR);
  const wrongSide = hitc ? 'must come in the clear' : 'must come inside its session';
  if (hitc !== (id === undefined)) throw sessionRequired(WHAT, n.version, wrongSide);
  const s = id === undefined ? host.latestHandshake() : host.get(id);
  if (!s) throw sessionRequired(WHAT, n.version, 'no session waiting for FINISH');
  if (s.secured.phase !== 'handshake') throw unexpected(WHAT, 'no session waiting for FINISH');
  return s;
}

function parts(s: ResponderSession, finish: Uint8Array, req: Finish, hashSize: number) {
  const cs = cryptoSuite(suiteOf(s.negotiated));
  return {
    ...s.transcript,
    ...(s.mutualAuth ? { requesterCertChainHash: cs.digest(s.mutualAuth.requester.certChain) } : {}),
    finish,
    finishSignatureSize: req.signature?.length ?? 0,
    requesterVerifyDataSize: hashSize,
  };
}

/**
 * Checks a FINISH for session `s` (signature with mutual authentication, RequesterVerifyData),
 * builds FINISH_RSP and derives the data secrets from TH2. Exported for known-answer tests.
 * @throws SpdmError InvalidMsgSize / InvalidMsgField (wire InvalidRequest), VerifyFailed (wire
 *   DecryptError).
 */
export function answerFinish(s: ResponderSession, request: Uint8Array): Uint8Array {
  const n = s.negotiated;
  const cs = cryptoSuite(suiteOf(n));
  const reqSigSize = s.mutualAuth ? (cs.reqAsym?.sigSize ?? 0) : 0;
  const req = decodeFinish(request, { version: n.version, hashSize: cs.hash.size, reqSigSize });
  const p = parts(s, request, req, cs.hash.size);
  if (s.mutualAuth) {
    if (!req.signature)
      throw invalidRequest(WHAT, 'mutual authentication requested and FINISH is not signed');
    if (req.reqSlotId !== s.mutualAuth.reqSlotId) {
      throw invalidRequest(
        WHAT,
        `signed with slot ${req.reqSlotId}, slot ${s.mutualAuth.reqSlotId} was asked for`,
      );
    }
    const t = finishSignedTranscript(p);
    const key = s.mutualAuth.requester.leafKey;
    if (!cs.verify('requester', key, SIGNING_CONTEXT.REQUESTER_FINISH, t, req.signature)) {
      throw decryptError('requester signature does not verify');
    }
  } else if (req.signature) {
    throw invalidRequest(WHAT, 'signature included without mutual authentication');
  }
  const ks = s.secured.keySchedule;
  const expected = ks.verifyData('request', finishMacTranscript(p).hash());
  if (!bytesEqual(expected, req.requesterVerifyData))
    throw decryptError('RequesterVerifyData does not verify');
  const header = encodeToBytes(encodeFinishRsp, { code: RESPONSE_CODE.FINISH_RSP, version: n.version });
  let response = header;
  const rspParts: FinishRspTranscriptParts = { ...p, finishRsp: header, finishRspVerifyDataSize: 0 };
  if (s.handshakeInTheClear) {
    response = concatBytes(header, ks.verifyData('response', finishRspMacTranscript(rspParts).hash()));
  }
  ks.deriveDataSecrets(th2Transcript({ ...rspParts, finishRsp: response }).hash());
  return response;
}

/** The FINISH handler bound to one connection's session manager. */
export function finishHandler(host: SessionHost): RequestHandler {
  return {
    name: WHAT,
    allowedIn: ['Negotiated'],
    session: 'either',
    handle(request, ctx) {
      const state = negotiatedState(ctx, WHAT);
      requireBothCaps(state.negotiated, CAP.KEY_EX, REQUEST_CODE.FINISH, WHAT);
      const s = sessionFor(ctx, host, state.negotiated);
      let response: Uint8Array;
      try {
        response = answerFinish(s, request);
      } catch (e) {
        // A FINISH that does not verify (DecryptError) ends the session with this answer. A
        // malformed one (InvalidRequest: size, Param1/Param2 against MutAuthRequested, ReqSlotID)
        // leaves the handshake as it was, as libspdm_rsp_finish_rsp.c does, so the requester may
        // send a correct FINISH (SPDM-Responder-Validator 9.6 sends fifteen bad FINISH requests
        // in one session and expects an ERROR(InvalidRequest) for each).
        if (!isDecryptError(e)) throw e;
        if (s.handshakeInTheClear) host.end(s, e as Error);
        else s.failAfterResponse = e as Error;
        throw e;
      }
      if (s.handshakeInTheClear) host.establish(s);
      else s.afterResponse.push(() => host.establish(s));
      return { response, state: { ...state, auth: authAfterRequest(state.auth, REQUEST_CODE.FINISH) } };
    },
  };
}
