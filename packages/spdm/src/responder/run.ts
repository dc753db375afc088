/**
 * The responder's way to secure sessions: `run(conn, init)` serves one connection with a
 * ResponderCore and its session layer (sessions.ts) through the serve loop (serve.ts), handing
 * each established session to `onSession(channel, peer, info)`; `serve(init)` does that for
 * every connection of a TCP listener. This is what an application like the share server is
 * built on: it gets each authenticated session with the requester's identity.
 *
 * The connection's idle deadline (no frame at all) is twice the session deadline (the idle
 * timeout, or 2 × HeartbeatPeriod when that is longer); each session also has its own watchdog
 * (sessions.ts), which ends the session and, with it the last one, the connection.
 */
import { SpdmError } from '../errors.js';
import { ValidatedChainCache } from '../identity/validated-cache.js';
import type { TransportConnection } from '../transport/connection.js';
import { type ListenTcpInit, listenTcp, type TcpServerHandle } from '../transport/tcp.js';
import { ResponderCore } from './core.js';
import type { ResponderInit } from './init.js';
import { ResponderSlots } from './local-identity.js';
import { type SpdmLogger, type SpdmServeOutcome, serveSpdm } from './serve.js';
import { resolveSessionOptions } from './session-host.js';
import { ResponderSessions, type ResponderSessionsInit } from './sessions.js';

export type { OnSession, ResponderSessionInfo } from './sessions.js';

export interface ResponderRunInit extends ResponderInit, ResponderSessionsInit {
  /** Pino-compatible logger for the serve loop (codes and sizes, never bytes). */
  readonly logger?: SpdmLogger;
  /** Stops serving this connection (every session ends, the connection is destroyed). */
  readonly signal?: AbortSignal;
}

/**
 * The connection-level idle deadline (no frame at all): twice the session deadline, so that a
 * session's own watchdog always fires first and reports Timeout; it bounds connections that
 * never open a session.
 */
function connectionIdleMs(init: ResponderRunInit): number {
  const o = resolveSessionOptions(init);
  return 2 * Math.max(o.idleTimeoutMs, 2000 * o.heartbeatPeriod);
}

/**
 * Serves one connection until it ends; resolves with how it ended. Sessions still open then end
 * with SpdmError Closed.
 * @throws TypeError / RangeError for bad options (before anything is read); TypeError for a
 *   transport without secured messages.
 */
export async function run(conn: TransportConnection, init: ResponderRunInit = {}): Promise<SpdmServeOutcome> {
  const core = new ResponderCore(init);
  const sessions = new ResponderSessions(core, conn, init);
  try {
    return await serveSpdm(conn, core, {
      idleTimeoutMs: connectionIdleMs(init),
      ...(init.signal ? { signal: init.signal } : {}),
      ...(init.logger ? { logger: init.logger } : {}),
      onSecured: (frame) => sessions.onSecured(frame.payload),
    });
  } finally {
    sessions.endAll(new SpdmError('Closed', `connection to ${conn.remoteAddress} ended`));
  }
}

export interface ServeInit extends Omit<ResponderRunInit, 'signal'> {
  /** Told how each connection ended. Must not throw. */
  readonly onOutcome?: (outcome: SpdmServeOutcome) => void;
}

/** `init` with what every connection can share made once: the slots and a validation cache. */
function sharedInit(init: ServeInit): ServeInit {
  const slots =
    init.slots === undefined || init.slots instanceof ResponderSlots
      ? init.slots
      : new ResponderSlots(init.slots);
  const m = init.mutualAuth;
  const mutualAuth =
    m?.trustedRoots?.length && !m.validatedChains ? { ...m, validatedChains: new ValidatedChainCache() } : m;
  return { ...init, ...(slots ? { slots } : {}), ...(mutualAuth ? { mutualAuth } : {}) };
}

/**
 * Listens on TCP (`listen`: address, framing, limits) and runs `run` with `init` for every
 * connection. Resolves once bound. The certificate slots are resolved once (leaf parsed, key
 * checked against it) and shared by every connection, and so are the validations of presented
 * requester chains (MutualAuthInit.validatedChains, made here when absent).
 * @throws SpdmError Transport when the address cannot be bound; TypeError / RangeError for bad
 *   options (checked once, before listening).
 */
export async function serve(listen: ListenTcpInit, init: ServeInit = {}): Promise<TcpServerHandle> {
  const shared = sharedInit(init);
  new ResponderCore(shared);
  resolveSessionOptions(shared);
  return listenTcp(listen, async (conn) => {
    const outcome = await run(conn, shared);
    try {
      init.onOutcome?.(outcome);
    } catch {
      // Observers must not break the server.
    }
  });
}
