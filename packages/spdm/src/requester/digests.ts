/**
 * Requester phase GET_DIGESTS -> DIGESTS (DSP0274 1.3 "GET_DIGESTS request and DIGESTS
 * response"; spdm-reference §2.4; libspdm `libspdm_req_get_digests.c`). The responder must
 * advertise CERT_CAP. The answer is checked by the decoder (sizes before fields, a non-empty
 * ProvisionedSlotMask, 1.3 masks); the slot digests are kept in `auth.digests`, and B restarts
 * with GET_DIGESTS ‖ DIGESTS.
 *
 * 1.3 multi-key: our NEGOTIATE_ALGORITHMS turns the responder's multi-key connection on exactly
 * when it advertises MULTI_KEY_CAP = 01b (requester/algorithms.ts); DIGESTS then carries the
 * KeyPairID / CertificateInfo / KeyUsageMask tail, which the decoder reads and checks, and the
 * first such DIGESTS is kept as libspdm's message D for the session transcripts.
 */
import { SpdmError } from '../errors.js';
import { capField, hasCap } from '../msgs/capabilities.js';
import { REQUEST_CODE, RESPONSE_CODE, SPDM_VERSION } from '../msgs/codes.js';
import { decodeDigests, encodeGetDigests, slotIdsOfMask } from '../msgs/digests.js';
import { encodeToBytes } from '../msgs/encode.js';
import { type Negotiated, suiteOf } from '../negotiated.js';
import { appendB, authAfterRequest, type NegotiatedRequesterState } from './auth-state.js';
import type { RequesterConfig } from './init.js';
import { expectResponse, type Phase } from './phase.js';

const WHAT = 'DIGESTS';

/** @throws SpdmError UnsupportedRequest when the responder lacks `cap` (a local refusal, nothing sent). */
export function requirePeerCap(
  state: NegotiatedRequesterState,
  cap: 'CERT_CAP' | 'CHAL_CAP' | 'MEAS_CAP',
  what: string,
): void {
  if (!hasCap(state.negotiated.responderCaps, cap)) {
    throw new SpdmError('UnsupportedRequest', `${what}: the responder does not advertise ${cap}`);
  }
}

/** True when the responder's multi-key connection is on (1.3, its MULTI_KEY_CAP = 01b). */
export function responderMultiKeyConn(n: Negotiated): boolean {
  return n.version >= SPDM_VERSION.V13 && capField(n.responderCaps, 'MULTI_KEY_CAP') === 1;
}

export const digestsPhase: Phase<NegotiatedRequesterState, NegotiatedRequesterState, RequesterConfig> = {
  name: 'GET_DIGESTS',
  request(state) {
    requirePeerCap(state, 'CERT_CAP', 'GET_DIGESTS');
    return encodeToBytes(encodeGetDigests, {
      code: REQUEST_CODE.GET_DIGESTS,
      version: state.negotiated.version,
    });
  },
  response(state, _cfg, request, response) {
    const n = state.negotiated;
    expectResponse(request, response, RESPONSE_CODE.DIGESTS, WHAT);
    const d = decodeDigests(response, {
      version: n.version,
      hashSize: suiteOf(n).hash.size,
      multiKeyConn: responderMultiKeyConn(n),
    });
    const slots = slotIdsOfMask(d.provisionedSlotMask);
    const digests = new Map(slots.map((slot, i) => [slot, d.digests[i]!.slice()]));
    const auth = appendB(authAfterRequest(state.auth, REQUEST_CODE.GET_DIGESTS), request, response);
    // libspdm_req_get_digests.c: with the responder's multi-key connection the first DIGESTS
    // response is message D, part of every KEY_EXCHANGE transcript (requester/key-exchange.ts).
    const messageD = auth.messageD ?? (responderMultiKeyConn(n) ? response.slice() : undefined);
    return { ...state, auth: { ...auth, digests, ...(messageD ? { messageD } : {}) } };
  },
};
