/**
 * Thin drivers over a TransportConnection: `exchange` (one plain SPDM request, one plain
 * response; what the requester's `negotiate(exchange, ...)` is driven with) and
 * `serveConnection` (the responder side: read a frame, ask the handler, write the reply,
 * until the peer leaves, goes idle or breaks the framing).
 */
import { SpdmError } from '../errors.js';
import type { ReceiveOptions, TransportConnection } from './connection.js';
import { checkTimeout } from './deadline.js';
import { bindingErrorToSpdmError, describeFrame, type Frame } from './frame.js';

/** Options of one exchange. */
export interface ExchangeOptions {
  /** Deadline for send + receive together, in ms; default: the connection's own deadlines. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Sends `request` as a plain SPDM message and returns the next frame's payload, which must be
 * a plain SPDM message too.
 * @throws SpdmError from the connection ('Timeout', 'Closed', 'Aborted', ...); 'Peer' when the
 *   peer answers with a DSP0287 error message; 'Transport' when it answers with a secured
 *   record or a RoleInquiry (the connection is left open in those two cases).
 */
export async function exchange(
  conn: TransportConnection,
  request: Uint8Array,
  opts: ExchangeOptions = {},
): Promise<Uint8Array> {
  const deadline = opts.timeoutMs === undefined ? undefined : Date.now() + opts.timeoutMs;
  await conn.send(request, { timeoutMs: opts.timeoutMs, signal: opts.signal });
  const rx: ReceiveOptions = { signal: opts.signal };
  if (deadline !== undefined) rx.timeoutMs = Math.max(1, deadline - Date.now());
  const frame = await conn.receive(rx);
  if (frame.type === 'spdm') return frame.payload;
  if (frame.type === 'binding-error') throw bindingErrorToSpdmError(frame);
  throw new SpdmError('Transport', `expected a plain SPDM response, got a ${describeFrame(frame)}`);
}

/** The `exchange` function shape the requester driver takes. */
export type ExchangeFn = (request: Uint8Array, signal?: AbortSignal) => Promise<Uint8Array>;

/** Binds `exchange` to a connection: `negotiate(exchangeOver(conn), ...)`. */
export function exchangeOver(
  conn: TransportConnection,
  opts: Omit<ExchangeOptions, 'signal'> = {},
): ExchangeFn {
  return (request, signal) => exchange(conn, request, { ...opts, signal });
}

/** A handler's answer: a frame, a payload (same type as the request), or nothing to send. */
export type ServeReply = Frame | Uint8Array | null | undefined;

export type FrameHandler = (frame: Frame, conn: TransportConnection) => ServeReply | Promise<ServeReply>;

export interface ServeInit {
  /** How long to wait for the peer's next frame, in ms; default 30000. */
  idleTimeoutMs?: number;
  /** Stops serving (the connection is destroyed). */
  signal?: AbortSignal;
}

/** Why serveConnection stopped. */
export interface ServeOutcome {
  readonly reason: 'peer-closed' | 'idle' | 'aborted' | 'error' | 'handler-error';
  /** The error behind the reason (a 'Closed' SpdmError for 'peer-closed'). */
  readonly error: unknown;
}

/** Default idle timeout of serveConnection. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

function outcomeOf(e: unknown): ServeOutcome {
  if (e instanceof SpdmError) {
    if (e.code === 'Closed') return { reason: 'peer-closed', error: e };
    if (e.code === 'Timeout') return { reason: 'idle', error: e };
    if (e.code === 'Aborted') return { reason: 'aborted', error: e };
  }
  return { reason: 'error', error: e };
}

function replyFrame(reply: Frame | Uint8Array, request: Frame): Frame {
  if (!(reply instanceof Uint8Array)) return reply;
  return { type: request.type === 'secured' ? 'secured' : 'spdm', payload: reply };
}

/**
 * Serves one connection until it ends: each received frame goes to `handler`; a reply
 * (Uint8Array = same type as the request, plain SPDM for a control frame) is written back.
 * Never rejects: framing errors, oversize frames, idle peers and handler failures end the
 * loop, destroy the connection and are reported in the outcome.
 * @throws RangeError for a bad idleTimeoutMs (before anything is read).
 */
export async function serveConnection(
  conn: TransportConnection,
  handler: FrameHandler,
  init: ServeInit = {},
): Promise<ServeOutcome> {
  const idle = checkTimeout(init.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS, 'idleTimeoutMs');
  try {
    for (;;) {
      let frame: Frame;
      try {
        frame = await conn.receive({ timeoutMs: idle, signal: init.signal });
      } catch (e) {
        return outcomeOf(e);
      }
      let reply: ServeReply;
      try {
        reply = await handler(frame, conn);
      } catch (e) {
        return { reason: 'handler-error', error: e };
      }
      if (reply === null || reply === undefined) continue;
      try {
        await conn.sendFrame(replyFrame(reply, frame), { signal: init.signal });
      } catch (e) {
        return outcomeOf(e);
      }
    }
  } finally {
    conn.destroy();
  }
}
