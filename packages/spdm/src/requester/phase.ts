/**
 * The shape of a requester phase (conventions #2, #7) and the checks every phase applies to a
 * response before reading its fields.
 *
 * A phase is a pair of pure functions: `request(state, cfg)` builds the request bytes from the
 * current state; `response(state, cfg, request, response)` validates the response (sizes before
 * fields), appends to the transcript and returns the next state, or throws SpdmError. The async
 * driver only moves bytes: `runPhase` sends `request(...)` through an Exchange and feeds the
 * answer to `response(...)`.
 *
 * Extension point: a later phase lives in `requester/<exchange>.ts` and exports a
 * `Phase<FromState, ToState, Cfg>` built the same way (start its `response` with
 * `expectResponse`); a driver for that part of the protocol chains `runPhase` calls, as
 * negotiate.ts does for VCA. Phases that repeat (GET_CERTIFICATE in portions) are called in a loop.
 */
import { SpdmError } from '../errors.js';
import { ERROR_CODE, RESPONSE_CODE, versionName } from '../msgs/codes.js';
import { decodeErrorResponse, describeError, type ErrorResponse } from '../msgs/error.js';
import { HEADER_SIZE, type Header, peekHeader } from '../msgs/header.js';
import { type Exchange, guardedExchange } from './exchange.js';
import type { RequesterConfig } from './init.js';

export interface Phase<From, To, Cfg = RequesterConfig> {
  /** Spec name of the request, for messages. */
  readonly name: string;
  /** Builds the request for `state`. Pure. @throws SpdmError / TypeError on misuse */
  request(state: From, cfg: Cfg): Uint8Array;
  /**
   * Validates `response` (the answer to `request`) and returns the next state.
   * @throws SpdmError Peer / Busy / VersionMismatch (peer ERROR), InvalidMsgSize,
   *   InvalidMsgField, NegotiationFailed, ...
   */
  response(state: From, cfg: Cfg, request: Uint8Array, response: Uint8Array): To;
}

/**
 * Sends one phase's request and returns the next state.
 * @throws SpdmError from the exchange (Transport, Timeout, Aborted, ...) or from the phase.
 */
export async function runPhase<From, To, Cfg>(
  phase: Phase<From, To, Cfg>,
  state: From,
  cfg: Cfg,
  exchange: Exchange,
  signal?: AbortSignal,
): Promise<To> {
  const request = phase.request(state, cfg);
  const response = await guardedExchange(exchange, request, signal);
  return phase.response(state, cfg, request, response);
}

/**
 * The SpdmError for a peer ERROR: Busy -> 'Busy', VersionMismatch -> 'VersionMismatch',
 * anything else -> 'Peer'; wireCode / wireData carry ErrorCode / ErrorData.
 */
export function peerError(e: ErrorResponse, what: string): SpdmError {
  const code =
    e.errorCode === ERROR_CODE.Busy
      ? 'Busy'
      : e.errorCode === ERROR_CODE.VersionMismatch
        ? 'VersionMismatch'
        : 'Peer';
  return new SpdmError(code, `${what}: responder answered ${describeError(e)}`, {
    wireCode: e.errorCode,
    wireData: e.errorData,
  });
}

/**
 * First checks on any response: at least a header; an ERROR becomes the matching SpdmError
 * (`onError` may map it differently for this phase); the code must be `expected` and the
 * version that of the request (libspdm: INVALID_MSG_FIELD otherwise).
 * @throws SpdmError
 */
export function expectResponse(
  request: Uint8Array,
  response: Uint8Array,
  expected: number,
  what: string,
  onError: (e: ErrorResponse) => SpdmError = (e) => peerError(e, what),
): Header {
  if (response.length < HEADER_SIZE) {
    throw new SpdmError('InvalidMsgSize', `${what}: response of ${response.length} byte(s) has no header`);
  }
  const h = peekHeader(response);
  if (h.code === RESPONSE_CODE.ERROR) throw onError(decodeErrorResponse(response));
  if (h.code !== expected) {
    throw new SpdmError('InvalidMsgField', `${what}: unexpected response code 0x${h.code.toString(16)}`);
  }
  const sent = request[0] ?? 0;
  if (h.version !== sent) {
    throw new SpdmError(
      'InvalidMsgField',
      `${what}: response version ${versionName(h.version)}, request ${versionName(sent)}`,
    );
  }
  return h;
}

/** InvalidMsgField for a response that breaks a rule. @throws SpdmError */
export function badResponse(what: string, msg: string): never {
  throw new SpdmError('InvalidMsgField', `${what}: ${msg}`);
}
