/**
 * VENDOR_DEFINED_REQUEST handler for the requester chain presentation of msgs/vendor-chain.ts
 * (DSP0274 1.3 "VENDOR_DEFINED_REQUEST request and VENDOR_DEFINED_RESPONSE response"). Outside
 * sessions, after VCA. A request with another StandardID / VendorID, or arriving at a responder
 * configured without `mutualAuth.trustedRoots`, is UnsupportedRequest; without MUT_AUTH_CAP on
 * both sides it is UnexpectedRequest.
 *
 * The payload is validated as an SPDM certificate chain for the negotiated hash against our
 * trusted roots, with role 'requester' and a leaf key of the negotiated ReqBaseAsymAlg
 * (identity/validate.ts). A chain that does not validate is answered ERROR(InvalidRequest) and
 * forgets any chain presented before; a valid one becomes the CM of the next KEY_EXCHANGE on
 * this connection (kept until replaced). With `mutualAuth.validatedChains` a chain validated
 * before (on any connection) is not validated again while it stays valid. Why presenting a chain outside every transcript is
 * sound: see msgs/vendor-chain.ts (FINISH signs over Hash(CM)).
 */
import { SpdmError } from '../errors.js';
import { validateCertChain } from '../identity/validate.js';
import { CAP } from '../msgs/capabilities.js';
import { ERROR_CODE, REQUEST_CODE } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import { isChainVendorMessage, presentChainResponse } from '../msgs/vendor-chain.js';
import { decodeVendorDefinedRequest, encodeVendorDefinedResponse } from '../msgs/vendor-defined.js';
import { suiteOf } from '../negotiated.js';
import { bothHave } from '../negotiation.js';
import { peerIdentityOf } from '../session/peer.js';
import { authAfterRequest, negotiatedState } from './auth-state.js';
import type { RequestHandler } from './handler.js';
import type { SessionHost } from './session-host.js';
import { unexpected } from './session-rules.js';

const WHAT = 'VENDOR_DEFINED_REQUEST';

function unsupported(why: string): SpdmError {
  return new SpdmError('UnsupportedRequest', `${WHAT}: ${why}`, {
    wireCode: ERROR_CODE.UnsupportedRequest,
    wireData: REQUEST_CODE.VENDOR_DEFINED_REQUEST,
  });
}

/** The chain-presentation handler bound to one connection's session manager. */
export function vendorDefinedHandler(host: SessionHost): RequestHandler {
  return {
    name: WHAT,
    allowedIn: ['Negotiated'],
    session: 'outside',
    handle(request, ctx) {
      const state = negotiatedState(ctx, WHAT);
      const n = state.negotiated;
      const req = decodeVendorDefinedRequest(request, { version: n.version });
      if (!isChainVendorMessage(req)) throw unsupported('unknown StandardID / VendorID');
      const roots = host.options.mutualAuth?.trustedRoots;
      if (!roots?.length) throw unsupported('no trusted roots for requester chains');
      const suite = suiteOf(n);
      if (!bothHave(n, CAP.MUT_AUTH) || !suite.reqAsym)
        throw unexpected(WHAT, 'mutual authentication not negotiated');
      host.presentedRequester = undefined;
      let validated: ReturnType<typeof validateCertChain>;
      const m = host.options.mutualAuth;
      const opts = {
        hash: suite.hash,
        asym: suite.reqAsym,
        trustedRoots: roots,
        version: n.version,
        role: 'requester',
        ...(m?.now ? { now: m.now } : {}),
      } as const;
      try {
        validated = m?.validatedChains
          ? m.validatedChains.validate(req.payload, opts)
          : validateCertChain(req.payload, opts);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        throw new SpdmError('InvalidCertificate', `${WHAT}: requester chain refused: ${why}`, {
          wireCode: ERROR_CODE.InvalidRequest,
          cause: e,
        });
      }
      const slotId = host.options.mutualAuth?.requesterSlotId ?? 0;
      const peer = peerIdentityOf(req.payload, suite.hash.size, slotId, validated.leafSubject);
      host.presentedRequester = { certChain: peer.certChain, leafKey: validated.leafKey, peer };
      const response = encodeToBytes(encodeVendorDefinedResponse, presentChainResponse(n.version));
      return {
        response,
        state: { ...state, auth: authAfterRequest(state.auth, REQUEST_CODE.VENDOR_DEFINED_REQUEST) },
      };
    },
  };
}
