/**
 * GET_MEASUREMENTS inside a session (DSP0274 1.2 "GET_MEASUREMENTS request and MEASUREMENTS
 * response": the request may be sent in a secure session; libspdm `libspdm_rsp_measurements.c`
 * with `session_info`). The session layer registers this handler in place of the
 * connection-level one: outside a session it answers exactly as that one does; inside, only an
 * established session may ask (UnexpectedRequest during the handshake, as libspdm and
 * SPDM-Responder-Validator 7.8 expect), and the session's own M transcript is used and kept
 * (L1/L2 = [1.2+: VCA] ‖ the session's M, libspdm `libspdm_calculate_l1l2`). As for any
 * GET_MEASUREMENTS, B is cleared on a connection not yet authenticated.
 *
 * Before this handler the session layer answered in-session GET_MEASUREMENTS with
 * UnexpectedRequest, which failed validator cases 7.7 and 7.10 and spdm_requester_emu's
 * `--exe_session MEAS`.
 */
import { REQUEST_CODE } from '../msgs/codes.js';
import { authAfterRequest, negotiatedState } from './auth-state.js';
import type { RequestHandler } from './handler.js';
import { answerMeasurements, EMPTY_MEASUREMENT_TRANSCRIPT, getMeasurementsHandler } from './measurements.js';
import type { SessionHost } from './session-host.js';
import { establishedSession } from './session-rules.js';

const WHAT = 'GET_MEASUREMENTS';

/** The GET_MEASUREMENTS handler bound to one connection's session manager. */
export function measurementsInSessionHandler(host: SessionHost): RequestHandler {
  return {
    name: WHAT,
    allowedIn: ['Negotiated'],
    session: 'either',
    handle(request, ctx) {
      if (ctx.meta.sessionId === undefined) return getMeasurementsHandler.handle(request, ctx);
      const state = negotiatedState(ctx, WHAT);
      const s = establishedSession(ctx, host, WHAT);
      const out = answerMeasurements(
        request,
        state.negotiated,
        ctx.config,
        s.measurements ?? EMPTY_MEASUREMENT_TRANSCRIPT,
      );
      s.measurements = out.m;
      return {
        response: out.response,
        state: { ...state, auth: authAfterRequest(state.auth, REQUEST_CODE.GET_MEASUREMENTS) },
      };
    },
  };
}
