/**
 * Feeds the share server's counters (server/stats.ts) into the agent's Prometheus metrics as
 * they grow: shares served, refusals and failed sessions become `tq_sessions_served_total`
 * with outcome `share`, `refused` and `error` (operator sessions are counted as `rack-init`
 * when they are dispatched).
 */
import type { AgentMetrics, ServedOutcome } from '../http/metrics.js';
import type { ShareServer } from '../server/share-server.js';
import type { ShareServerStats } from '../server/stats.js';

/** Applies what changed since the last call. */
export type ServerStatsSync = () => void;

function refusals(s: ShareServerStats): number {
  return Object.values(s.refusals).reduce((a, b) => a + b, 0);
}

/** A ServerStatsSync for `server` into `metrics`, starting from its current counters. */
export function syncServerStats(server: ShareServer, metrics: AgentMetrics): ServerStatsSync {
  let last = server.stats();
  return () => {
    const now = server.stats();
    const add = (outcome: ServedOutcome, n: number) => {
      for (let i = 0; i < n; i++) metrics.sessionServed(outcome);
    };
    add('share', now.sharesServed - last.sharesServed);
    add('refused', refusals(now) - refusals(last));
    add('error', now.sessionErrors - last.sessionErrors);
    last = now;
  };
}
