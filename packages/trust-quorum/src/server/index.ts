/**
 * The share server: the sans-I/O `answer` core, per-peer rate limit, counters and the
 * session-serving `ShareServer` (its SPDM listener is spdm-listener.ts).
 */
export { type AnswerContext, answer, requesterMember, type SharePeer } from './answer.js';
export { RateLimiter, type RateLimitInit } from './rate-limit.js';
export {
  type ListenSessions,
  type SessionHandler,
  type SessionListener,
  ShareServer,
  type ShareServerInit,
} from './share-server.js';
export {
  type SpdmIdentity,
  type SpdmSessionsInit,
  sharePeerOf,
  spdmSessions,
  UNAUTHENTICATED_SUBJECT,
} from './spdm-listener.js';
export { emptyStats, type ShareServerStats } from './stats.js';
