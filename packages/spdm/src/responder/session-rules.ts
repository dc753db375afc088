/**
 * Checks the in-session handlers (FINISH, HEARTBEAT, KEY_UPDATE, END_SESSION) share, with the
 * ERROR codes libspdm 1e16c60f answers (`libspdm_rsp_{finish,heartbeat,key_update,end_session}.c`):
 * a capability missing on either side -> UnsupportedRequest (ErrorData = the request code); a
 * request for a session that does not exist or is in the wrong phase -> UnexpectedRequest.
 */
import { SpdmError } from '../errors.js';
import { ERROR_CODE, SPDM_VERSION } from '../msgs/codes.js';
import type { Negotiated } from '../negotiated.js';
import { bothHave } from '../negotiation.js';
import type { HandlerContext } from './handler.js';
import type { ResponderSession, SessionHost } from './session-host.js';

/** ERROR(UnsupportedRequest) unless both capability words carry `capBits`. @throws SpdmError */
export function requireBothCaps(n: Negotiated, capBits: number, requestCode: number, what: string): void {
  if (!bothHave(n, capBits)) {
    throw new SpdmError('UnsupportedRequest', `${what}: capability not negotiated by both sides`, {
      wireCode: ERROR_CODE.UnsupportedRequest,
      wireData: requestCode,
    });
  }
}

/**
 * The ERROR for an in-session request that came outside any session: SessionRequired from 1.2
 * on, Unspecified before (libspdm `libspdm_rsp_{heartbeat,key_update_ack,end_session_ack,
 * finish_rsp}.c`; SPDM-Responder-Validator 9.11, 12.4, 13.5 and 16.4 expect SessionRequired).
 */
export function sessionRequiredCode(version: number | null): number {
  return (version ?? 0) >= SPDM_VERSION.V12 ? ERROR_CODE.SessionRequired : ERROR_CODE.Unspecified;
}

/** ERROR(UnexpectedRequest). */
export function unexpected(what: string, why: string): SpdmError {
  return new SpdmError('UnexpectedRequest', `${what}: ${why}`, { wireCode: ERROR_CODE.UnexpectedRequest });
}

/**
 * ERROR(SessionRequired) from 1.2 on, ERROR(Unspecified) before (libspdm's answer to a session
 * request outside its session, or FINISH on the wrong side of HANDSHAKE_IN_THE_CLEAR).
 */
export function sessionRequired(what: string, version: number, why: string): SpdmError {
  return new SpdmError('UnexpectedRequest', `${what}: ${why}`, { wireCode: sessionRequiredCode(version) });
}

/** ERROR(InvalidRequest). */
export function invalidRequest(what: string, why: string): SpdmError {
  return new SpdmError('InvalidMsgField', `${what}: ${why}`, { wireCode: ERROR_CODE.InvalidRequest });
}

/**
 * The established session an in-session request arrived in.
 * @throws SpdmError UnexpectedRequest when there is none or it is still in its handshake.
 */
export function establishedSession(ctx: HandlerContext, host: SessionHost, what: string): ResponderSession {
  const id = ctx.meta.sessionId;
  const s = id === undefined ? undefined : host.get(id);
  if (s?.secured.phase !== 'established') throw unexpected(what, 'no established session');
  return s;
}
