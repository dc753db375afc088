/**
 * Counters of the share server, for metrics (the http module exports them to Prometheus):
 * sessions, requests, shares served and refusals by reason. Plain numbers, no secrets.
 */
import { ERROR_CODE, type ErrorCodeName } from '../protocol/codes.js';

export interface ShareServerStats {
  /** Sessions handed to the server since it started. */
  sessionsOpened: number;
  /** Sessions open now. */
  sessionsActive: number;
  /** Sessions refused at the session limit (each answered Busy). */
  sessionsRefused: number;
  /** Sessions that ended on an error (malformed input, timeout, transport). */
  sessionErrors: number;
  /** Requests read. */
  requests: number;
  /** Share responses sent. */
  sharesServed: number;
  /** Error responses sent, by code. */
  refusals: Record<ErrorCodeName, number>;
}

export function emptyStats(): ShareServerStats {
  const refusals = Object.fromEntries(Object.keys(ERROR_CODE).map((k) => [k, 0])) as Record<
    ErrorCodeName,
    number
  >;
  return {
    sessionsOpened: 0,
    sessionsActive: 0,
    sessionsRefused: 0,
    sessionErrors: 0,
    requests: 0,
    sharesServed: 0,
    refusals,
  };
}

export function copyStats(s: ShareServerStats): ShareServerStats {
  return { ...s, refusals: { ...s.refusals } };
}
