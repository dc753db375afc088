/**
 * GET_DIGESTS and GET_CERTIFICATE inside a session (DSP0274 1.2: both may be sent in a secure
 * session; libspdm `libspdm_rsp_digests.c` / `libspdm_rsp_certificate.c` with `session_info`).
 * The session layer registers these in place of the connection-level handlers: outside a
 * session they answer exactly as those do; inside, only an established session may ask
 * (UnexpectedRequest during the handshake, as libspdm), the answer is the same, and it is not
 * part of any transcript: libspdm appends to B only outside sessions. As libspdm does for any
 * GET_DIGESTS (`libspdm_reset_message_buffer_via_request_code`), an in-session one still clears
 * the connection's B.
 *
 * Before these handlers the session layer answered them with UnexpectedRequest, which
 * spdm_requester_emu reports at its defaults (`--exe_session` includes DIGEST and CERT):
 * "get_digest_cert_in_session - 8001000a".
 */
import { REQUEST_CODE } from '../msgs/codes.js';
import { negotiatedState } from './auth-state.js';
import { getCertificateHandler } from './certificate.js';
import { getDigestsHandler } from './digests.js';
import type { RequestHandler } from './handler.js';
import type { SessionHost } from './session-host.js';
import { establishedSession } from './session-rules.js';

function eitherSide(host: SessionHost, outside: RequestHandler, code: number): RequestHandler {
  return {
    name: outside.name,
    allowedIn: outside.allowedIn,
    session: 'either',
    handle(request, ctx) {
      if (ctx.meta.sessionId === undefined) return outside.handle(request, ctx);
      const state = negotiatedState(ctx, outside.name);
      establishedSession(ctx, host, outside.name);
      const { response } = outside.handle(request, ctx);
      // Keep the connection's transcripts as they were, except what libspdm clears (B on GET_DIGESTS).
      const auth = state.auth;
      const next = code === REQUEST_CODE.GET_DIGESTS && auth ? { ...auth, b: [], bSize: 0 } : auth;
      return { response, state: next ? { ...state, auth: next } : state };
    },
  };
}

/** GET_DIGESTS on either side of the record layer, bound to one connection's session manager. */
export function digestsInSessionHandler(host: SessionHost): RequestHandler {
  return eitherSide(host, getDigestsHandler, REQUEST_CODE.GET_DIGESTS);
}

/** GET_CERTIFICATE on either side of the record layer, bound to one connection's session manager. */
export function certificateInSessionHandler(host: SessionHost): RequestHandler {
  return eitherSide(host, getCertificateHandler, REQUEST_CODE.GET_CERTIFICATE);
}
