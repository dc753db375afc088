/**
 * The share collector: parallel, verified, deduplicated share collection with per-peer backoff
 * (collector.ts, state.ts), failure classification, and the requester's share exchange on an
 * authenticated channel (request-share.ts; the SPDM fetch is spdm-fetch.ts).
 */
export { type Backoff, type BackoffInit, backoffDelay, resolveBackoff } from './backoff.js';
export { classifyFailure, type FailureKind, type PeerFailure } from './classify.js';
export {
  collectShares,
  defaultPeerKey,
  type FetchShare,
  type PeerAddress,
  ShareCollector,
  type ShareCollectorInit,
} from './collector.js';
export { type RequestShareInit, requestShare } from './request-share.js';
export { type SpdmFetchInit, spdmFetchShare } from './spdm-fetch.js';
export {
  CollectionState,
  type CollectionStateInit,
  type CollectProgress,
  type FetchedShare,
  type PeerReport,
  type PeerStateKind,
  type ShareOutcome,
} from './state.js';
