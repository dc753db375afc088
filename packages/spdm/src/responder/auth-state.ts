/**
 * The responder's transcripts of the authentication phase (spdm-reference §3.1; DSP0274 1.3
 * §10.6-§10.11), carried in the `Negotiated` state as `auth`:
 *
 * - B = GET_DIGESTS ‖ DIGESTS ‖ every GET_CERTIFICATE ‖ CERTIFICATE since (other slots too);
 *   restarted by GET_DIGESTS; signed over by CHALLENGE_AUTH (M1/M2 = VCA ‖ B ‖ C), then cleared;
 * - M = every unsigned GET_MEASUREMENTS ‖ MEASUREMENTS since the last reset; signed over by the
 *   next signed MEASUREMENTS (L1/L2), then cleared.
 *
 * Reset rules, as libspdm 1e16c60f applies them to every request
 * (`libspdm_reset_message_buffer_via_request_code`): any request other than GET_MEASUREMENTS
 * clears M; GET_DIGESTS clears B; KEY_EXCHANGE, GET_MEASUREMENTS, FINISH, PSK_EXCHANGE,
 * PSK_FINISH, KEY_UPDATE, HEARTBEAT, GET_ENCAPSULATED_REQUEST and END_SESSION clear B (and C)
 * while the connection is not yet authenticated. A handler of another request that keeps a
 * `Negotiated` state should pass its `auth` through `authAfterRequest` (a state without `auth`
 * means all transcripts are empty, which is also correct after a fresh negotiation).
 *
 * Transcripts are bounded (MAX_AUTH_TRANSCRIPT_SIZE bytes, MAX_AUTH_TRANSCRIPT_MESSAGES): a requester that keeps fetching
 * certificate portions or unsigned measurements forever gets ERROR(Unspecified) instead of
 * growing the responder's memory. States are immutable: every helper returns a new value.
 */
import { SpdmError } from '../errors.js';
import { type CapabilityName, hasCap } from '../msgs/capabilities.js';
import { ERROR_CODE, REQUEST_CODE } from '../msgs/codes.js';
import type { Negotiated } from '../negotiated.js';
import type { HandlerContext } from './handler.js';
import type { ResponderState } from './state.js';

/** Largest B or M transcript kept (bytes). A full 64 KiB chain fetched in 1 KiB portions fits. */
export const MAX_AUTH_TRANSCRIPT_SIZE = 256 * 1024;
/**
 * Most messages in B or M (2048 request/response pairs: a 64 KiB chain in 32-byte portions).
 * Also keeps the copy-on-append of the immutable message lists cheap.
 */
export const MAX_AUTH_TRANSCRIPT_MESSAGES = 4096;

export interface ResponderAuth {
  /** Message B, in wire order (each entry a complete message, our own copy). */
  readonly b: readonly Uint8Array[];
  readonly bSize: number;
  /** Message M (outside sessions), in wire order. */
  readonly m: readonly Uint8Array[];
  readonly mSize: number;
  /** Hash of the measurement record when M started (for MEASUREMENTS content-changed). */
  readonly mBaseline?: Uint8Array;
  /** CHALLENGE_AUTH was sent on this connection (libspdm AUTHENTICATED). */
  readonly authenticated: boolean;
}

export const EMPTY_RESPONDER_AUTH: ResponderAuth = { b: [], bSize: 0, m: [], mSize: 0, authenticated: false };

const CLEARS_B_BEFORE_AUTH: ReadonlySet<number> = new Set([
  REQUEST_CODE.KEY_EXCHANGE,
  REQUEST_CODE.GET_MEASUREMENTS,
  REQUEST_CODE.FINISH,
  REQUEST_CODE.PSK_EXCHANGE,
  REQUEST_CODE.PSK_FINISH,
  REQUEST_CODE.KEY_UPDATE,
  REQUEST_CODE.HEARTBEAT,
  REQUEST_CODE.GET_ENCAPSULATED_REQUEST,
  REQUEST_CODE.END_SESSION,
]);

/** `auth` after a successful request with code `requestCode`, before its own messages are added. */
export function authAfterRequest(auth: ResponderAuth | undefined, requestCode: number): ResponderAuth {
  const a = auth ?? EMPTY_RESPONDER_AUTH;
  let next: ResponderAuth = a;
  if (requestCode !== REQUEST_CODE.GET_MEASUREMENTS && (a.m.length > 0 || a.mBaseline)) {
    next = { ...next, m: [], mSize: 0, mBaseline: undefined };
  }
  const clearB =
    requestCode === REQUEST_CODE.GET_DIGESTS || (!a.authenticated && CLEARS_B_BEFORE_AUTH.has(requestCode));
  if (clearB && next.b.length > 0) next = { ...next, b: [], bSize: 0 };
  return next;
}

/** @throws SpdmError TooLarge (wire Unspecified) when a list would pass either bound. */
function checkBounds(what: string, size: number, messages: number): void {
  if (size > MAX_AUTH_TRANSCRIPT_SIZE || messages > MAX_AUTH_TRANSCRIPT_MESSAGES) {
    throw new SpdmError(
      'TooLarge',
      `${what} transcript would exceed ${MAX_AUTH_TRANSCRIPT_SIZE} bytes or ${MAX_AUTH_TRANSCRIPT_MESSAGES} messages`,
      { wireCode: ERROR_CODE.Unspecified },
    );
  }
}

/**
 * B with a request/response pair appended (copies).
 * @throws SpdmError TooLarge (wire Unspecified) past the bounds.
 */
export function appendB(a: ResponderAuth, request: Uint8Array, response: Uint8Array): ResponderAuth {
  const bSize = a.bSize + request.length + response.length;
  checkBounds('B', bSize, a.b.length + 2);
  return { ...a, b: [...a.b, request.slice(), response.slice()], bSize };
}

/**
 * M with a request/response pair appended (copies).
 * @throws SpdmError TooLarge (wire Unspecified) past the bounds.
 */
export function appendM(a: ResponderAuth, request: Uint8Array, response: Uint8Array): ResponderAuth {
  const mSize = a.mSize + request.length + response.length;
  checkBounds('M', mSize, a.m.length + 2);
  return { ...a, m: [...a.m, request.slice(), response.slice()], mSize };
}

/** The `Negotiated` state variant. */
export type NegotiatedResponderState = Extract<ResponderState, { kind: 'Negotiated' }>;

/** The state of a handler that is only allowed after VCA. @throws SpdmError Internal otherwise. */
export function negotiatedState(ctx: HandlerContext, what: string): NegotiatedResponderState {
  if (ctx.state.kind !== 'Negotiated') throw new SpdmError('Internal', `${what}: state ${ctx.state.kind}`);
  return ctx.state;
}

/**
 * Refuses a request whose responder capability we did not advertise, as libspdm does:
 * ERROR(UnsupportedRequest) with ErrorData = the request code.
 * @throws SpdmError UnsupportedRequest
 */
export function requireCap(n: Negotiated, cap: CapabilityName, requestCode: number, what: string): void {
  if (!hasCap(n.responderCaps, cap)) {
    throw new SpdmError('UnsupportedRequest', `${what}: ${cap} not advertised`, {
      wireCode: ERROR_CODE.UnsupportedRequest,
      wireData: requestCode,
    });
  }
}
