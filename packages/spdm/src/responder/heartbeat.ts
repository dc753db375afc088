/**
 * HEARTBEAT handler (DSP0274 1.3 "HEARTBEAT request and HEARTBEAT_ACK response"; libspdm
 * `libspdm_rsp_heartbeat.c`; spdm-reference §2.12): inside an established session, with
 * HBEAT_CAP on both sides (UnsupportedRequest otherwise). The answer is HEARTBEAT_ACK; the
 * session manager restarts the session's idle watchdog on every record it opens, so any
 * traffic, a heartbeat included, keeps the session alive.
 */
import { CAP } from '../msgs/capabilities.js';
import { REQUEST_CODE, RESPONSE_CODE } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import { decodeHeartbeat, encodeHeartbeatAck } from '../msgs/heartbeat.js';
import { authAfterRequest, negotiatedState } from './auth-state.js';
import type { RequestHandler } from './handler.js';
import type { SessionHost } from './session-host.js';
import { establishedSession, requireBothCaps } from './session-rules.js';

const WHAT = 'HEARTBEAT';

/** The HEARTBEAT handler bound to one connection's session manager. */
export function heartbeatHandler(host: SessionHost): RequestHandler {
  return {
    name: WHAT,
    allowedIn: ['Negotiated'],
    session: 'inside',
    handle(request, ctx) {
      const state = negotiatedState(ctx, WHAT);
      const n = state.negotiated;
      requireBothCaps(n, CAP.HBEAT, REQUEST_CODE.HEARTBEAT, WHAT);
      establishedSession(ctx, host, WHAT);
      decodeHeartbeat(request, { version: n.version });
      const response = encodeToBytes(encodeHeartbeatAck, {
        code: RESPONSE_CODE.HEARTBEAT_ACK,
        version: n.version,
      });
      return { response, state: { ...state, auth: authAfterRequest(state.auth, REQUEST_CODE.HEARTBEAT) } };
    },
  };
}
