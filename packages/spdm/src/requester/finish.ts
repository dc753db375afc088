/**
 * Requester phase FINISH -> FINISH_RSP (DSP0274 1.3 "FINISH request and FINISH_RSP response";
 * libspdm `libspdm_req_finish.c`; spdm-reference §2.10, §3.2). Sans-I/O like every phase: the
 * caller carries the bytes, sealed under the handshake keys unless HANDSHAKE_IN_THE_CLEAR.
 *
 * `request`: with MutAuthRequested = 1 the FINISH header says SignatureIncluded with our slot,
 * and the Signature (ReqBaseAsymAlg, context "requester-finish signing") covers VCA ‖ Hash(Ct) ‖
 * K ‖ Hash(CM) ‖ FINISH header; RequesterVerifyData = HMAC(req finished key, Hash(VCA ‖ Hash(Ct)
 * ‖ K ‖ [Hash(CM)] ‖ FINISH header ‖ [Signature])).
 * `response`: FINISH_RSP is 4 bytes, or carries ResponderVerifyData (checked: VerifyFailed) in the
 * clear case; TH2 = … ‖ FINISH ‖ FINISH_RSP gives the data secrets. The caller then switches to
 * the data keys (SecuredSession.switchToDataKeys).
 */
import { bytesEqual, concatBytes } from '../codec/bytes.js';
import { SIGNING_CONTEXT } from '../crypto/signing-context.js';
import { cryptoSuite } from '../crypto/suite.js';
import {
  type FinishTranscriptParts,
  finishMacTranscript,
  finishRspMacTranscript,
  finishSignedTranscript,
  th2Transcript,
} from '../crypto/transcript.js';
import { SpdmError } from '../errors.js';
import { RESPONSE_CODE } from '../msgs/codes.js';
import { decodeFinishRsp, finishHeaderBytes } from '../msgs/finish.js';
import { HEADER_SIZE } from '../msgs/header.js';
import { suiteOf } from '../negotiated.js';
import type { KeyExchanged } from './key-exchange.js';
import { expectResponse, type Phase } from './phase.js';

const WHAT = 'FINISH_RSP';

/** The session after FINISH_RSP: the key schedule now also holds the data secrets. */
export type Finished = KeyExchanged;

function parts(state: KeyExchanged, finish: Uint8Array, sigSize: number): FinishTranscriptParts {
  const cs = cryptoSuite(suiteOf(state.negotiated));
  return {
    ...state.transcript,
    ...(state.credentials ? { requesterCertChainHash: cs.digest(state.credentials.certChain) } : {}),
    finish,
    finishSignatureSize: sigSize,
    requesterVerifyDataSize: cs.hash.size,
  };
}

export const finishPhase: Phase<KeyExchanged, Finished, unknown> = {
  name: 'FINISH',
  request(state) {
    const n = state.negotiated;
    const cs = cryptoSuite(suiteOf(n));
    const c = state.credentials;
    const H = cs.hash.size;
    const header = finishHeaderBytes({
      version: n.version,
      signatureIncluded: c !== undefined,
      reqSlotId: c ? c.slotId : 0,
    });
    let signature: Uint8Array = new Uint8Array(0);
    if (c) {
      if (!cs.reqAsym) throw new SpdmError('NegotiationFailed', 'FINISH: no ReqBaseAsymAlg negotiated');
      const S = cs.reqAsym.sigSize;
      const t = finishSignedTranscript(parts(state, concatBytes(header, new Uint8Array(S + H)), S));
      signature = cs.sign('requester', c.privateKey, SIGNING_CONTEXT.REQUESTER_FINISH, t);
    }
    const unmacked = concatBytes(header, signature, new Uint8Array(H));
    const mac = finishMacTranscript(parts(state, unmacked, signature.length)).hash();
    return concatBytes(header, signature, state.keySchedule.verifyData('request', mac));
  },
  response(state, _cfg, request, response) {
    const n = state.negotiated;
    const cs = cryptoSuite(suiteOf(n));
    expectResponse(request, response, RESPONSE_CODE.FINISH_RSP, WHAT);
    const rsp = decodeFinishRsp(response, {
      version: n.version,
      hashSize: cs.hash.size,
      handshakeInTheClear: state.handshakeInTheClear,
    });
    const sigSize = request.length - HEADER_SIZE - cs.hash.size;
    const p = { ...parts(state, request, sigSize), finishRsp: response };
    if (state.handshakeInTheClear) {
      const t = finishRspMacTranscript({ ...p, finishRspVerifyDataSize: cs.hash.size });
      const expected = state.keySchedule.verifyData('response', t.hash());
      if (!bytesEqual(expected, rsp.responderVerifyData ?? new Uint8Array(0))) {
        throw new SpdmError('VerifyFailed', `${WHAT}: ResponderVerifyData does not verify`);
      }
    }
    state.keySchedule.deriveDataSecrets(th2Transcript({ ...p, finishRspVerifyDataSize: 0 }).hash());
    return state;
  },
};
