/**
 * Requester phase GET_CERTIFICATE -> CERTIFICATE, one portion (DSP0274 1.3 "GET_CERTIFICATE
 * request and CERTIFICATE response"; spdm-reference §2.5; libspdm
 * `libspdm_req_get_certificate.c`). `certificatePhase({ slotId, offset, length })` asks for
 * `length` bytes from `offset`; the answer must name the same slot and carry at most `length`
 * bytes (refused before the portion is read). The caller feeds each portion to a
 * CertChainAssembler (identity/cert-chain.ts), which fixes the total on the first answer, bounds
 * it, and refuses a total that changes or a portion that makes no progress. Each pair is
 * appended to B; M is cleared.
 *
 * `certificateLength` computes the Length to ask for: what fits in one CERTIFICATE under our
 * DataTransferSize and (1.2+) the responder's, capped by `certPortionLength`.
 */
import {
  CERTIFICATE_FIXED_SIZE,
  type Certificate,
  decodeCertificate,
  encodeGetCertificate,
} from '../msgs/certificate.js';
import { REQUEST_CODE, RESPONSE_CODE } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import { appendB, authAfterRequest, type NegotiatedRequesterState } from './auth-state.js';
import { requirePeerCap } from './digests.js';
import type { RequesterConfig } from './init.js';
import { badResponse, expectResponse, type Phase } from './phase.js';

const WHAT = 'CERTIFICATE';

export interface CertificateRequest {
  readonly slotId: number;
  readonly offset: number;
  readonly length: number;
}

export interface CertificateStep {
  readonly state: NegotiatedRequesterState;
  /** The decoded CERTIFICATE; `portion` is a view of the response. */
  readonly certificate: Certificate;
}

/** The largest Length one GET_CERTIFICATE should ask for on this connection. */
export function certificateLength(state: NegotiatedRequesterState, cfg: RequesterConfig): number {
  const n = state.negotiated;
  let max = Math.min(cfg.dataTransferSize, n.responderDataTransferSize || Infinity) - CERTIFICATE_FIXED_SIZE;
  if (cfg.certPortionLength > 0) max = Math.min(max, cfg.certPortionLength);
  return Math.max(1, Math.min(max, 0xffff));
}

/** One GET_CERTIFICATE round trip. @throws RangeError for fields out of range (misuse). */
export function certificatePhase(
  req: CertificateRequest,
): Phase<NegotiatedRequesterState, CertificateStep, RequesterConfig> {
  return {
    name: 'GET_CERTIFICATE',
    request(state) {
      requirePeerCap(state, 'CERT_CAP', 'GET_CERTIFICATE');
      return encodeToBytes(encodeGetCertificate, {
        code: REQUEST_CODE.GET_CERTIFICATE,
        version: state.negotiated.version,
        slotId: req.slotId,
        slotSizeRequested: false,
        offset: req.offset,
        length: req.length,
      });
    },
    response(state, _cfg, request, response) {
      expectResponse(request, response, RESPONSE_CODE.CERTIFICATE, WHAT);
      const certificate = decodeCertificate(response, {
        version: state.negotiated.version,
        maxPortionLength: req.length,
      });
      if (certificate.slotId !== req.slotId) {
        badResponse(WHAT, `slot ${certificate.slotId} answered for slot ${req.slotId}`);
      }
      const auth = appendB(authAfterRequest(state.auth, REQUEST_CODE.GET_CERTIFICATE), request, response);
      return { state: { ...state, auth }, certificate };
    },
  };
}
