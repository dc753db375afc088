/**
 * The requester's transcripts of the authentication phase, carried in its `Negotiated` state as
 * `auth` (spdm-reference §3.1; the same rules as the responder's, responder/auth-state.ts, so
 * that signatures made by libspdm verify):
 *
 * - B = GET_DIGESTS ‖ DIGESTS ‖ every GET_CERTIFICATE ‖ CERTIFICATE since, any slot; restarted
 *   by GET_DIGESTS, consumed (and cleared) by CHALLENGE_AUTH;
 * - M = every unsigned GET_MEASUREMENTS ‖ MEASUREMENTS since the last reset; consumed (and
 *   cleared) by the next signed MEASUREMENTS.
 *
 * Any request other than GET_MEASUREMENTS clears M; KEY_EXCHANGE, GET_MEASUREMENTS, FINISH,
 * PSK_EXCHANGE, PSK_FINISH, KEY_UPDATE, HEARTBEAT, GET_ENCAPSULATED_REQUEST and END_SESSION clear
 * B before the connection is authenticated (libspdm 1e16c60f
 * `libspdm_reset_message_buffer_via_request_code`, which its requester applies too). A phase of
 * another request that keeps the `Negotiated` state passes `auth` through `authAfterRequest`.
 *
 * Also kept: the slot digests of the last DIGESTS, and message D (see RequesterAuth). The transcripts are bounded
 * (MAX_AUTH_TRANSCRIPT_SIZE bytes, MAX_AUTH_TRANSCRIPT_MESSAGES); past them a phase fails with
 * TooLarge.
 */
import { SpdmError } from '../errors.js';
import { REQUEST_CODE } from '../msgs/codes.js';
import { MAX_AUTH_TRANSCRIPT_MESSAGES, MAX_AUTH_TRANSCRIPT_SIZE } from '../responder/auth-state.js';
import type { RequesterStateOf } from './state.js';

export { MAX_AUTH_TRANSCRIPT_MESSAGES, MAX_AUTH_TRANSCRIPT_SIZE };

export interface RequesterAuth {
  /** Message B, in wire order (our own copies). */
  readonly b: readonly Uint8Array[];
  readonly bSize: number;
  /** Message M (outside sessions), in wire order. */
  readonly m: readonly Uint8Array[];
  readonly mSize: number;
  /** CHALLENGE_AUTH verified on this connection. */
  readonly authenticated: boolean;
  /** Slot -> digest from the last DIGESTS (copies); undefined before any GET_DIGESTS. */
  readonly digests?: ReadonlyMap<number, Uint8Array>;
  /**
   * 1.3, responder multi-key connection on: the first DIGESTS response after VCA (libspdm
   * "message D", `libspdm_append_message_d` keeps only the first), which every KEY_EXCHANGE
   * session transcript takes between VCA and Hash(Ct). Never cleared on this connection.
   */
  readonly messageD?: Uint8Array;
}

export const EMPTY_REQUESTER_AUTH: RequesterAuth = { b: [], bSize: 0, m: [], mSize: 0, authenticated: false };

/** The requester's `Negotiated` state. */
export type NegotiatedRequesterState = RequesterStateOf<'Negotiated'>;

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
export function authAfterRequest(auth: RequesterAuth | undefined, requestCode: number): RequesterAuth {
  const a = auth ?? EMPTY_REQUESTER_AUTH;
  let next = a;
  if (requestCode !== REQUEST_CODE.GET_MEASUREMENTS && next.m.length > 0) next = { ...next, m: [], mSize: 0 };
  const clearB =
    requestCode === REQUEST_CODE.GET_DIGESTS || (!a.authenticated && CLEARS_B_BEFORE_AUTH.has(requestCode));
  if (clearB && next.b.length > 0) next = { ...next, b: [], bSize: 0 };
  return next;
}

function grow(size: number, add: number, messages: number, what: string): number {
  const n = size + add;
  if (n > MAX_AUTH_TRANSCRIPT_SIZE || messages > MAX_AUTH_TRANSCRIPT_MESSAGES) {
    throw new SpdmError(
      'TooLarge',
      `${what} transcript would exceed ${MAX_AUTH_TRANSCRIPT_SIZE} bytes or ${MAX_AUTH_TRANSCRIPT_MESSAGES} messages`,
    );
  }
  return n;
}

/** B with a request/response pair appended (copies). @throws SpdmError TooLarge past the bound */
export function appendB(a: RequesterAuth, request: Uint8Array, response: Uint8Array): RequesterAuth {
  const bSize = grow(a.bSize, request.length + response.length, a.b.length + 2, 'B');
  return { ...a, b: [...a.b, request.slice(), response.slice()], bSize };
}

/** M with a request/response pair appended (copies). @throws SpdmError TooLarge past the bound */
export function appendM(a: RequesterAuth, request: Uint8Array, response: Uint8Array): RequesterAuth {
  const mSize = grow(a.mSize, request.length + response.length, a.m.length + 2, 'M');
  return { ...a, m: [...a.m, request.slice(), response.slice()], mSize };
}
