/**
 * ResponderCore: the synchronous, I/O-free SPDM responder (conventions #2, #6). `handle` turns
 * one complete request message into one response message and never throws on peer input: every
 * failure becomes an SPDM ERROR (DSP0274 1.3 "ERROR response") and the state stays as it was.
 *
 * Dispatch, in libspdm's order (`libspdm_rsp_receive_send.c` and the per-request files):
 * 1. shorter than the header -> InvalidRequest; longer than our MaxSPDMmsgSize -> RequestTooLarge
 *    (1.2+) / InvalidRequest;
 * 2. no handler for the code -> UnsupportedRequest, Param2 = the code;
 * 3. inside a session for an outside-only handler -> UnexpectedRequest;
 * 4. state not in the handler's `allowedIn` -> UnexpectedRequest;
 * 5. header version differs from the negotiated one -> VersionMismatch;
 * 6. outside any session for an inside-only handler -> SessionRequired (1.2+) / Unspecified;
 * 7. the handler; its SpdmError -> ERROR(wireCode); anything else -> ERROR(Unspecified);
 * 8. a response longer than the requester's DataTransferSize (1.2+) -> ResponseTooLarge.
 *
 * ERROR messages carry the connection version once GET_CAPABILITIES set one, 1.0 before
 * (libspdm `libspdm_generate_error_response`); a GET_CAPABILITIES that fails after its version
 * was accepted is answered in that version.
 *
 * Extension points: handler.ts (the RequestHandler contract), handlers.ts (the default table),
 * state.ts (state variants), init.ts (options), `registerHandler` (run time).
 */
import { SpdmError } from '../errors.js';
import { ERROR_CODE, isRequestCode, REQUEST_CODE, SPDM_VERSION } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import { encodeErrorResponse, errorResponse } from '../msgs/error.js';
import { HEADER_SIZE, type Header, peekHeader } from '../msgs/header.js';
import type { Negotiated } from '../negotiated.js';
import type { HandlerContext, RequestHandler, RequestMeta } from './handler.js';
import { DEFAULT_HANDLERS } from './handlers.js';
import { type ResponderConfig, type ResponderInit, resolveResponderInit } from './init.js';
import { sessionRequiredCode } from './session-rules.js';
import { connectionVersion, type ResponderState, requesterDataTransferSize } from './state.js';

/** The wire error for an SpdmError without wireCode, by its string code. */
function wireCodeOf(e: SpdmError): number {
  if (e.wireCode !== undefined) return e.wireCode;
  switch (e.code) {
    case 'InvalidMsgSize':
    case 'InvalidMsgField':
    case 'NegotiationFailed':
      return ERROR_CODE.InvalidRequest;
    case 'UnexpectedRequest':
      return ERROR_CODE.UnexpectedRequest;
    case 'UnsupportedRequest':
      return ERROR_CODE.UnsupportedRequest;
    case 'VersionMismatch':
      return ERROR_CODE.VersionMismatch;
    case 'Busy':
      return ERROR_CODE.Busy;
    default:
      return ERROR_CODE.Unspecified;
  }
}

export class ResponderCore {
  readonly config: ResponderConfig;
  readonly #handlers: Map<number, RequestHandler>;
  readonly #onError: ((err: unknown, requestCode: number) => void) | undefined;
  #state: ResponderState = { kind: 'NotStarted' };

  /** @throws TypeError / RangeError when `init` is inconsistent (see resolveResponderInit). */
  constructor(init: ResponderInit = {}) {
    this.config = resolveResponderInit(init);
    this.#handlers = new Map(DEFAULT_HANDLERS);
    for (const [code, h] of init.handlers ?? []) this.registerHandler(code, h);
    this.#onError = init.onError;
  }

  get state(): ResponderState {
    return this.#state;
  }

  /** The VCA result once ALGORITHMS was sent (in this or any later state carrying it), else null. */
  get negotiated(): Negotiated | null {
    const s = this.#state;
    return 'negotiated' in s ? s.negotiated : null;
  }

  /**
   * Adds or replaces the handler of a request code.
   * @throws RangeError when `code` is not a request code (bit 7 clear).
   */
  registerHandler(code: number, handler: RequestHandler): this {
    if (!Number.isInteger(code) || code < 0 || code > 0xff || !isRequestCode(code)) {
      throw new RangeError(`registerHandler: 0x${Number(code).toString(16)} is not a request code`);
    }
    this.#handlers.set(code, handler);
    return this;
  }

  /** Forgets the connection (as after power-on). */
  reset(): void {
    this.#state = { kind: 'NotStarted' };
  }

  /**
   * Answers one request. Never throws; `request` is not kept (handlers copy what they store).
   * @param meta facts from the transport / session layer (session ID of a secured request).
   */
  handle(request: Uint8Array, meta: RequestMeta = {}): Uint8Array {
    if (!(request instanceof Uint8Array) || request.length < HEADER_SIZE) {
      return this.#error(undefined, ERROR_CODE.InvalidRequest);
    }
    const h = peekHeader(request);
    try {
      return this.#dispatch(request, h, meta);
    } catch (e) {
      this.#report(e, h.code);
      if (e instanceof SpdmError) return this.#error(h, wireCodeOf(e), e.wireData ?? 0);
      return this.#error(h, ERROR_CODE.Unspecified);
    }
  }

  #dispatch(request: Uint8Array, h: Header, meta: RequestMeta): Uint8Array {
    const version = connectionVersion(this.#state);
    if (request.length > this.config.maxSpdmMsgSize) {
      const big = (version ?? 0) >= SPDM_VERSION.V12 ? ERROR_CODE.RequestTooLarge : ERROR_CODE.InvalidRequest;
      return this.#error(h, big);
    }
    const handler = this.#handlers.get(h.code);
    if (!handler) return this.#error(h, ERROR_CODE.UnsupportedRequest, h.code);
    const placement = handler.session ?? 'outside';
    const inSession = meta.sessionId !== undefined;
    if (placement === 'outside' && inSession) return this.#error(h, ERROR_CODE.UnexpectedRequest);
    if (handler.allowedIn !== 'any' && !handler.allowedIn.includes(this.#state.kind)) {
      return this.#error(h, ERROR_CODE.UnexpectedRequest);
    }
    if (handler.checkVersion !== false && version !== null && h.version !== version) {
      return this.#error(h, ERROR_CODE.VersionMismatch);
    }
    if (placement === 'inside' && !inSession) return this.#error(h, sessionRequiredCode(version));
    const ctx: HandlerContext = { config: this.config, state: this.#state, header: h, version, meta };
    const result = handler.handle(request, ctx);
    const next = result.state ?? this.#state;
    const limit = requesterDataTransferSize(next);
    if (limit > 0 && result.response.length > limit) return this.#error(h, ERROR_CODE.ResponseTooLarge);
    this.#state = next;
    return result.response;
  }

  /** ERROR in the connection version (1.0 before one is set; see the module comment). */
  #error(h: Header | undefined, errorCode: number, errorData = 0): Uint8Array {
    let version: number = connectionVersion(this.#state) ?? SPDM_VERSION.V10;
    if (
      version === SPDM_VERSION.V10 &&
      h?.code === REQUEST_CODE.GET_CAPABILITIES &&
      this.#state.kind === 'AfterVersion' &&
      this.config.versions.includes(h.version as never)
    ) {
      version = h.version;
    }
    // A handler's SpdmError may carry anything; only bytes go on the wire.
    const isByte = (x: number) => Number.isInteger(x) && x >= 0 && x <= 0xff;
    const code = isByte(errorCode) ? errorCode : ERROR_CODE.Unspecified;
    return encodeToBytes(
      encodeErrorResponse,
      errorResponse(version, code, isByte(errorData) ? errorData : 0),
    );
  }

  #report(err: unknown, code: number): void {
    try {
      this.#onError?.(err, code);
    } catch {
      // A logging hook must not break the protocol.
    }
  }
}
