/**
 * GET_DIGESTS handler (DSP0274 1.3 "GET_DIGESTS request and DIGESTS response"; spdm-reference
 * §2.4; libspdm `libspdm_rsp_digests.c`). Accepted after VCA, outside sessions, when we
 * advertise CERT_CAP (else ERROR(UnsupportedRequest)). Answers with the digest of every
 * provisioned slot for the negotiated hash; 1.3 adds SupportedSlotMask in Param1. Restarts the B
 * transcript with GET_DIGESTS ‖ DIGESTS and clears M (auth-state.ts).
 *
 * Not supported: the 1.3 multi-key tail (KeyPairID / CertificateInfo / KeyUsageMask), which
 * only exists when the responder's multi-key connection is on; a responder configured with
 * MULTI_KEY_CAP answers ERROR(Unspecified) rather than a DIGESTS without the tail.
 */
import { SpdmError } from '../errors.js';
import { capField } from '../msgs/capabilities.js';
import { ERROR_CODE, REQUEST_CODE, RESPONSE_CODE, SPDM_VERSION } from '../msgs/codes.js';
import { type Digests, decodeGetDigests, encodeDigests } from '../msgs/digests.js';
import { encodeToBytes } from '../msgs/encode.js';
import { suiteOf } from '../negotiated.js';
import { appendB, authAfterRequest, negotiatedState, requireCap } from './auth-state.js';
import type { RequestHandler } from './handler.js';

const WHAT = 'GET_DIGESTS';

export const getDigestsHandler: RequestHandler = {
  name: WHAT,
  allowedIn: ['Negotiated'],
  handle(request, ctx) {
    const state = negotiatedState(ctx, WHAT);
    const n = state.negotiated;
    requireCap(n, 'CERT_CAP', REQUEST_CODE.GET_DIGESTS, WHAT);
    decodeGetDigests(request, { version: n.version });
    if (n.version >= SPDM_VERSION.V13 && capField(n.responderCaps, 'MULTI_KEY_CAP') !== 0) {
      throw new SpdmError('Internal', `${WHAT}: multi-key connections are not implemented`, {
        wireCode: ERROR_CODE.Unspecified,
      });
    }
    const slots = ctx.config.slots?.forHash(suiteOf(n).hash);
    if (!slots || slots.provisionedSlotMask === 0) {
      throw new SpdmError('Internal', `${WHAT}: no certificate chain provisioned`, {
        wireCode: ERROR_CODE.Unspecified,
      });
    }
    const v13 = n.version >= SPDM_VERSION.V13;
    const digests: Digests = {
      code: RESPONSE_CODE.DIGESTS,
      version: n.version,
      supportedSlotMask: v13 ? slots.supportedSlotMask : 0,
      provisionedSlotMask: slots.provisionedSlotMask,
      digests: slots.digests(),
    };
    const response = encodeToBytes(encodeDigests, digests);
    const auth = appendB(authAfterRequest(state.auth, REQUEST_CODE.GET_DIGESTS), request, response);
    return { response, state: { ...state, auth } };
  },
};
