/**
 * Requester phase GET_DIGESTS -> DIGESTS (DSP0274 1.3 "GET_DIGESTS request and DIGESTS
 * response"; spdm-reference §2.4; libspdm `libspdm_req_get_digests.c`). The responder must
 * advertise CERT_CAP. The answer is checked by the decoder (sizes before fields, a non-empty
 * ProvisionedSlotMask, 1.3 masks); the slot digests are kept in `auth.digests`, and B restarts
 * with GET_DIGESTS ‖ DIGESTS.
 *
 * Multi-key connections (1.3 DIGESTS tail) are not run: we never ask for one, so the decoder
 * reads DIGESTS without the tail.
 */
import { SpdmError } from '../errors.js';
import { hasCap } from '../msgs/capabilities.js';
import { REQUEST_CODE, RESPONSE_CODE } from '../msgs/codes.js';
import { decodeDigests, encodeGetDigests, slotIdsOfMask } from '../msgs/digests.js';
import { encodeToBytes } from '../msgs/encode.js';
import { suiteOf } from '../negotiated.js';
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
    const d = decodeDigests(response, { version: n.version, hashSize: suiteOf(n).hash.size });
    const slots = slotIdsOfMask(d.provisionedSlotMask);
    const digests = new Map(slots.map((slot, i) => [slot, d.digests[i]!.slice()]));
    const auth = appendB(authAfterRequest(state.auth, REQUEST_CODE.GET_DIGESTS), request, response);
    return { ...state, auth: { ...auth, digests } };
  },
};
