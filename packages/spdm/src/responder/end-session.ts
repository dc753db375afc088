/**
 * END_SESSION handler (DSP0274 1.3 "END_SESSION request and END_SESSION_ACK response"; libspdm
 * `libspdm_rsp_end_session.c`; spdm-reference §2.12): inside an established session.
 * END_SESSION_ACK is the last message under the session's keys: the session manager ends the
 * session (zeroing its secrets, closing its SecureChannel cleanly) right after sending it.
 * NegotiatedStateClearing needs no action: this responder caches no negotiated state across
 * connections.
 */
import { REQUEST_CODE, RESPONSE_CODE } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import { decodeEndSession, encodeEndSessionAck } from '../msgs/end-session.js';
import { authAfterRequest, negotiatedState } from './auth-state.js';
import type { RequestHandler } from './handler.js';
import type { SessionHost } from './session-host.js';
import { establishedSession } from './session-rules.js';

const WHAT = 'END_SESSION';

/** The END_SESSION handler bound to one connection's session manager. */
export function endSessionHandler(host: SessionHost): RequestHandler {
  return {
    name: WHAT,
    allowedIn: ['Negotiated'],
    session: 'inside',
    handle(request, ctx) {
      const state = negotiatedState(ctx, WHAT);
      const n = state.negotiated;
      const s = establishedSession(ctx, host, WHAT);
      decodeEndSession(request, { version: n.version });
      const response = encodeToBytes(encodeEndSessionAck, {
        code: RESPONSE_CODE.END_SESSION_ACK,
        version: n.version,
      });
      s.afterResponse.push(() => host.end(s));
      return { response, state: { ...state, auth: authAfterRequest(state.auth, REQUEST_CODE.END_SESSION) } };
    },
  };
}
