/**
 * Requester phase VENDOR_DEFINED_REQUEST -> VENDOR_DEFINED_RESPONSE presenting our certificate
 * chain before KEY_EXCHANGE (msgs/vendor-chain.ts explains the message and why it is sound).
 * The responder's answers map to typed errors:
 * - ERROR(InvalidRequest): it refused the chain -> SpdmError InvalidCertificate;
 * - ERROR(UnsupportedRequest): it takes no presented chains -> SpdmError UnsupportedRequest;
 * - any other ERROR -> Peer / Busy; a response with another StandardID / VendorID or a payload
 *   -> InvalidMsgField.
 */
import { SpdmError } from '../errors.js';
import { ERROR_CODE, RESPONSE_CODE } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import { describeError } from '../msgs/error.js';
import { isChainVendorMessage, presentChainRequest } from '../msgs/vendor-chain.js';
import { decodeVendorDefinedResponse, encodeVendorDefinedRequest } from '../msgs/vendor-defined.js';
import type { Negotiated } from '../negotiated.js';
import { badResponse, expectResponse, type Phase, peerError } from './phase.js';

const WHAT = 'VENDOR_DEFINED_RESPONSE';

export interface PresentChainState {
  readonly negotiated: Negotiated;
  /** Our SPDM chain structure for the negotiated hash. */
  readonly certChain: Uint8Array;
}

export const presentChainPhase: Phase<PresentChainState, PresentChainState, unknown> = {
  name: 'VENDOR_DEFINED_REQUEST',
  request(state) {
    return encodeToBytes(
      encodeVendorDefinedRequest,
      presentChainRequest(state.negotiated.version, state.certChain),
    );
  },
  response(state, _cfg, request, response) {
    expectResponse(request, response, RESPONSE_CODE.VENDOR_DEFINED_RESPONSE, WHAT, (e) => {
      const opts = { wireCode: e.errorCode, wireData: e.errorData };
      if (e.errorCode === ERROR_CODE.InvalidRequest) {
        return new SpdmError(
          'InvalidCertificate',
          `responder refused our certificate chain (${describeError(e)})`,
          opts,
        );
      }
      if (e.errorCode === ERROR_CODE.UnsupportedRequest) {
        return new SpdmError(
          'UnsupportedRequest',
          'responder does not accept presented certificate chains',
          opts,
        );
      }
      return peerError(e, WHAT);
    });
    const m = decodeVendorDefinedResponse(response, { version: state.negotiated.version });
    if (!isChainVendorMessage(m)) badResponse(WHAT, 'another StandardID / VendorID');
    if (m.payload.length !== 0) badResponse(WHAT, 'unexpected payload');
    return state;
  },
};
