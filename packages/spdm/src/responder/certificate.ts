/**
 * GET_CERTIFICATE handler (DSP0274 1.3 "GET_CERTIFICATE request and CERTIFICATE response";
 * spdm-reference §2.5; libspdm `libspdm_rsp_certificate.c`). Accepted after VCA, outside
 * sessions, with CERT_CAP (else ERROR(UnsupportedRequest)). Answers with at most Length bytes of
 * the slot's chain structure from Offset, clamped so that the whole CERTIFICATE fits in our
 * DataTransferSize and, from 1.2 on, in the requester's; RemainderLength says what is left.
 * An empty slot or an Offset at or past the end is ERROR(InvalidRequest) (identity/slots.ts).
 * Each answered pair is appended to B; M is cleared.
 *
 * 1.3 SlotSizeRequested: PortionLength 0 and RemainderLength = the size of the slot's chain (our
 * slots hold exactly one chain, so that is its capacity). CertificateInfo (Param2) is 0: it is
 * only filled on multi-key connections, which we do not run.
 */

import { SpdmError } from '../errors.js';
import {
  CERTIFICATE_FIXED_SIZE,
  type Certificate,
  decodeGetCertificate,
  encodeCertificate,
} from '../msgs/certificate.js';
import { ERROR_CODE, REQUEST_CODE, RESPONSE_CODE } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import { suiteOf } from '../negotiated.js';
import { appendB, authAfterRequest, negotiatedState, requireCap } from './auth-state.js';
import type { RequestHandler } from './handler.js';

const WHAT = 'GET_CERTIFICATE';

export const getCertificateHandler: RequestHandler = {
  name: WHAT,
  allowedIn: ['Negotiated'],
  handle(request, ctx) {
    const state = negotiatedState(ctx, WHAT);
    const n = state.negotiated;
    requireCap(n, 'CERT_CAP', REQUEST_CODE.GET_CERTIFICATE, WHAT);
    const req = decodeGetCertificate(request, { version: n.version });
    const slots = ctx.config.slots?.forHash(suiteOf(n).hash);
    if (!slots) {
      throw new SpdmError('Internal', `${WHAT}: no certificate chain provisioned`, {
        wireCode: ERROR_CODE.Unspecified,
      });
    }
    let portion: Uint8Array;
    let remainderLength: number;
    if (req.slotSizeRequested) {
      const chain = slots.portion(req.slotId, 0, 0).remainderLength;
      portion = new Uint8Array(0);
      remainderLength = chain;
    } else {
      const limit = Math.min(ctx.config.dataTransferSize, n.requesterDataTransferSize || Infinity);
      const p = slots.portion(
        req.slotId,
        req.offset,
        req.length,
        Math.max(0, limit - CERTIFICATE_FIXED_SIZE),
      );
      portion = p.portion;
      remainderLength = p.remainderLength;
    }
    const m: Certificate = {
      code: RESPONSE_CODE.CERTIFICATE,
      version: n.version,
      slotId: req.slotId,
      certificateInfo: 0,
      portion,
      remainderLength,
    };
    const response = encodeToBytes(encodeCertificate, m);
    const auth = appendB(authAfterRequest(state.auth, REQUEST_CODE.GET_CERTIFICATE), request, response);
    return { response, state: { ...state, auth } };
  },
};
