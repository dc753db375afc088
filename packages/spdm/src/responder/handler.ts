/**
 * The request-handler contract of the responder (conventions #6, libspdm
 * `libspdm_rsp_receive_send.c`): ResponderCore looks a request code up in a code -> handler
 * table, applies the generic checks a handler declares, then calls it.
 *
 * Extension point: a later phase (GET_DIGESTS, GET_CERTIFICATE, CHALLENGE, GET_MEASUREMENTS,
 * KEY_EXCHANGE, FINISH, HEARTBEAT, KEY_UPDATE, END_SESSION, ...) lives in
 * `responder/<exchange>.ts` and exports one `RequestHandler`:
 *
 * ```ts
 * export const getDigestsHandler: RequestHandler = {
 *   name: 'GET_DIGESTS',
 *   allowedIn: ['Negotiated'],            // UnexpectedRequest elsewhere
 *   handle(request, ctx) {                // ctx.state is one of allowedIn
 *     const m = decodeGetDigests(request, { version: ctx.version! });
 *     ...                                 // throw SpdmError({ wireCode }) for an ERROR
 *     return { response, state: nextState }; // omit state to keep the current one
 *   },
 * };
 * ```
 *
 * and is registered either in DEFAULT_HANDLERS (responder/handlers.ts), through
 * `ResponderInit.handlers`, or with `ResponderCore.registerHandler(code, handler)`. Before
 * `handle` runs, the dispatcher has already answered: UnsupportedRequest (no handler; P2 = code),
 * UnexpectedRequest (state not in `allowedIn`, or session placement wrong), VersionMismatch
 * (header version differs from the negotiated one, unless `checkVersion: false`). A handler never
 * sees a request shorter than the 4-byte header. Any exception from `handle` becomes an ERROR:
 * SpdmError -> its wireCode/wireData (or a code derived from its `code`); anything else ->
 * Unspecified. The state is left unchanged on error.
 */
import type { Header } from '../msgs/header.js';
import type { ResponderConfig } from './init.js';
import type { ResponderState, ResponderStateKind } from './state.js';

/** Per-request facts the caller (transport or session layer) supplies. */
export interface RequestMeta {
  /** Set when the request arrived inside a secured session (DSP0277); undefined outside. */
  readonly sessionId?: number;
}

export interface HandlerContext {
  readonly config: ResponderConfig;
  readonly state: ResponderState;
  readonly header: Header;
  /** The negotiated version (from the state), or null before GET_CAPABILITIES succeeded. */
  readonly version: number | null;
  readonly meta: RequestMeta;
}

export interface HandlerResult {
  readonly response: Uint8Array;
  /** The next state; omitted = unchanged. */
  readonly state?: ResponderState;
}

/** Where a request may arrive relative to a secured session. */
export type SessionPlacement = 'outside' | 'inside' | 'either';

export interface RequestHandler {
  /** Spec name, for logs. */
  readonly name: string;
  /** States in which the request is accepted ('any' = all). */
  readonly allowedIn: readonly ResponderStateKind[] | 'any';
  /** Check the header version against the negotiated one (default true). */
  readonly checkVersion?: boolean;
  /** Default 'outside' (VCA must not run inside a session; libspdm answers UnexpectedRequest). */
  readonly session?: SessionPlacement;
  /**
   * Turns the request into a response and maybe a new state. Synchronous, no I/O.
   * @throws SpdmError to answer with an ERROR.
   */
  handle(request: Uint8Array, ctx: HandlerContext): HandlerResult;
}
