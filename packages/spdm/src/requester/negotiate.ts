/**
 * The thin async driver of VCA (conventions #2): GET_VERSION, GET_CAPABILITIES,
 * NEGOTIATE_ALGORITHMS through a plain request/response function, with Busy and
 * ResponseNotReady handled by `withRetries`. All protocol decisions live in the phase files.
 *
 * Any transport works: `exchange` may wrap a framed TCP connection, an in-process
 * `ResponderCore` (`(req) => Promise.resolve(core.handle(req))`), or recorded vectors.
 */
import type { Negotiated } from '../negotiated.js';
import { algorithmsPhase } from './algorithms.js';
import { capabilitiesPhase } from './capabilities.js';
import { type Exchange, withRetries } from './exchange.js';
import { type RequesterInit, resolveRequesterInit } from './init.js';
import { runPhase } from './phase.js';
import { START } from './state.js';
import { versionPhase } from './version.js';

/**
 * Runs VCA and resolves with what it settled, including the VCA transcript.
 * @throws SpdmError VersionMismatch (no common version, or the peer said so), NegotiationFailed
 *   (no acceptable algorithm set), Peer / Busy (peer ERROR), InvalidMsgSize / InvalidMsgField
 *   (malformed or inconsistent responses), Transport / Timeout / Aborted (from the exchange);
 *   TypeError / RangeError when `init` is inconsistent.
 */
export async function negotiate(
  exchange: Exchange,
  init: RequesterInit = {},
  signal?: AbortSignal,
): Promise<Negotiated> {
  const cfg = resolveRequesterInit(init);
  const ex = withRetries(exchange, init.retry);
  const afterVersion = await runPhase(versionPhase, START, cfg, ex, signal);
  const afterCaps = await runPhase(capabilitiesPhase, afterVersion, cfg, ex, signal);
  const done = await runPhase(algorithmsPhase, afterCaps, cfg, ex, signal);
  return done.negotiated;
}
