/**
 * The responder's serve loop: one ResponderCore per connection, driven by the transport's
 * `serveConnection`. Plain SPDM frames go to `core.handle` and its answer goes back; secured
 * records (DSP0287 type 0x06) go to the `onSecured` hook, and without one the connection is
 * closed unanswered (sessions are added by the session layer through that hook). A DSP0287
 * RoleInquiry is answered with the binding error "cannot operate as requester" (0xC2): we only
 * play the responder. A binding error message from the peer is logged and ignored.
 *
 * `listenSpdm` puts this loop behind `listenTcp`. Logging is optional and pino-compatible; it
 * names request and response codes, sizes and the peer address, never payload bytes.
 */
import type { SpdmError } from '../errors.js';
import { codeName, errorCodeName, RESPONSE_CODE, versionName } from '../msgs/codes.js';
import type { TransportConnection } from '../transport/connection.js';
import { TCP_MESSAGE_TYPE } from '../transport/dsp0287.js';
import { type ServeOutcome, type ServeReply, serveConnection } from '../transport/exchange.js';
import type { DataFrame, Frame } from '../transport/frame.js';
import { type ListenTcpInit, listenTcp, type TcpServerHandle } from '../transport/tcp.js';
import { ResponderCore } from './core.js';
import type { ResponderInit } from './init.js';

/** One pino-style log method: a bindings object, then a message. */
export type SpdmLogFn = (obj: Record<string, unknown>, msg?: string) => void;

/** The subset of a pino logger the serve loop uses; every method is optional. */
export interface SpdmLogger {
  debug?: SpdmLogFn;
  info?: SpdmLogFn;
  warn?: SpdmLogFn;
  error?: SpdmLogFn;
}

/** What the `onSecured` hook may use. */
export interface SecuredFrameContext {
  /** The core serving this connection (pass `{ sessionId }` as meta for in-session requests). */
  readonly core: ResponderCore;
  readonly conn: TransportConnection;
}

/**
 * Handles one secured record (the whole DSP0277 record in `frame.payload`). A Uint8Array reply
 * is sent as a secured record; null / undefined sends nothing; throwing ends the connection
 * (outcome 'handler-error').
 */
export type SecuredFrameHandler = (
  frame: DataFrame,
  ctx: SecuredFrameContext,
) => ServeReply | Promise<ServeReply>;

export interface ServeSpdmInit {
  /** How long to wait for the peer's next frame, in ms; default 30000. */
  idleTimeoutMs?: number;
  /** Stops serving (the connection is destroyed; outcome 'aborted'). */
  signal?: AbortSignal;
  /** Pino-compatible logger; nothing is logged without one. */
  logger?: SpdmLogger;
  /**
   * Hook for secured records (DSP0277), the session layer's entry point. Absent: a secured
   * record closes the connection unanswered (outcome 'secured-unsupported').
   */
  onSecured?: SecuredFrameHandler;
}

/** Why serveSpdm stopped, and what it did. */
export interface SpdmServeOutcome {
  /** ServeOutcome reasons, plus 'secured-unsupported' (a secured record and no onSecured hook). */
  readonly reason: ServeOutcome['reason'] | 'secured-unsupported';
  /** The error behind the reason (a 'Closed' SpdmError for 'peer-closed'). */
  readonly error: unknown;
  readonly remoteAddress: string;
  /** Plain SPDM requests answered. */
  readonly requests: number;
  /** The core of this connection (its `negotiated` is the VCA result, if VCA finished). */
  readonly core: ResponderCore;
}

/** Thrown inside the frame handler to end the connection on an unhandled secured record. */
class SecuredUnsupported extends Error {
  override readonly name = 'SecuredUnsupported';
}

const ROLE_INQUIRY_ANSWER: Frame = {
  type: 'binding-error',
  code: TCP_MESSAGE_TYPE.ERROR_CANNOT_OPERATE_AS_REQUESTER,
  payload: new Uint8Array(0),
};

function log(
  logger: SpdmLogger | undefined,
  level: keyof SpdmLogger,
  obj: Record<string, unknown>,
  msg: string,
) {
  try {
    logger?.[level]?.(obj, msg);
  } catch {
    // A broken logger must not break the protocol.
  }
}

/** Log fields of one request/response pair: code names, version, sizes; never bytes. */
function requestFields(request: Uint8Array, response: Uint8Array): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    request: request.length >= 2 ? codeName(request[1]!) : 'short',
    version: request.length >= 1 ? versionName(request[0]!) : undefined,
    response: response.length >= 2 ? codeName(response[1]!) : 'short',
    requestBytes: request.length,
    responseBytes: response.length,
  };
  if (response[1] === RESPONSE_CODE.ERROR && response.length >= 3) fields.error = errorCodeName(response[2]!);
  return fields;
}

function outcomeLevel(reason: SpdmServeOutcome['reason']): keyof SpdmLogger {
  return reason === 'peer-closed' || reason === 'aborted' ? 'info' : 'warn';
}

/**
 * Serves one connection with one ResponderCore until the peer leaves, goes idle, breaks the
 * framing, or `signal` fires. Never rejects; the connection is destroyed when it resolves.
 * @param core the core for this connection, or a factory called once here.
 * @throws RangeError for a bad idleTimeoutMs (before anything is read); whatever the factory throws.
 */
export async function serveSpdm(
  conn: TransportConnection,
  core: ResponderCore | (() => ResponderCore),
  opts: ServeSpdmInit = {},
): Promise<SpdmServeOutcome> {
  const c = typeof core === 'function' ? core() : core;
  const { logger, onSecured } = opts;
  const remote = conn.remoteAddress;
  let requests = 0;
  log(logger, 'debug', { remote, framing: conn.framing }, 'connection opened');
  const handler = async (frame: Frame): Promise<ServeReply> => {
    switch (frame.type) {
      case 'spdm': {
        const response = c.handle(frame.payload);
        requests++;
        const fields = requestFields(frame.payload, response);
        log(
          logger,
          response[1] === RESPONSE_CODE.ERROR ? 'warn' : 'info',
          { remote, ...fields },
          'spdm request',
        );
        return response;
      }
      case 'secured':
        if (onSecured) return onSecured(frame, { core: c, conn });
        throw new SecuredUnsupported(`secured record of ${frame.payload.length} byte(s): no session support`);
      case 'role-inquiry':
        log(logger, 'info', { remote }, 'DSP0287 RoleInquiry: answering "cannot operate as requester"');
        return ROLE_INQUIRY_ANSWER;
      case 'binding-error':
        log(logger, 'warn', { remote, bindingError: frame.code }, 'peer sent a DSP0287 error message');
        return null;
    }
  };
  const out = await serveConnection(conn, handler, {
    idleTimeoutMs: opts.idleTimeoutMs,
    signal: opts.signal,
  });
  const reason =
    out.reason === 'handler-error' && out.error instanceof SecuredUnsupported
      ? 'secured-unsupported'
      : out.reason;
  const message = (out.error as SpdmError | undefined)?.message;
  log(logger, outcomeLevel(reason), { remote, reason, requests, detail: message }, 'connection ended');
  return { reason, error: out.error, remoteAddress: remote, requests, core: c };
}

/** Options of listenSpdm: the TCP listener's, plus the serve loop's (without a signal). */
export interface ListenSpdmInit extends ListenTcpInit, Omit<ServeSpdmInit, 'signal'> {
  /** Told how each connection ended (after it was logged). Must not throw. */
  onOutcome?: (outcome: SpdmServeOutcome) => void;
}

/**
 * Listens on TCP and serves every connection with `serveSpdm` and a fresh ResponderCore (from
 * the factory, or `new ResponderCore(init)` for a ResponderInit). Resolves once bound.
 * @throws SpdmError 'Transport' when the address cannot be bound; RangeError / TypeError for
 *   bad options (a ResponderInit is validated here, once, before listening).
 */
export async function listenSpdm(
  init: ListenSpdmInit,
  core: ResponderInit | (() => ResponderCore),
): Promise<TcpServerHandle> {
  let factory: () => ResponderCore;
  if (typeof core === 'function') {
    factory = core;
  } else {
    new ResponderCore(core); // validates now rather than on the first connection
    factory = () => new ResponderCore(core);
  }
  const { idleTimeoutMs, logger, onSecured, onOutcome } = init;
  const server = await listenTcp(init, async (conn) => {
    const outcome = await serveSpdm(conn, factory, { idleTimeoutMs, logger, onSecured });
    try {
      onOutcome?.(outcome);
    } catch {
      // Observers must not break the server.
    }
  });
  const { host, port } = server.address();
  log(logger, 'info', { host, port, framing: init.framing ?? 'dsp0287' }, 'listening');
  return server;
}
