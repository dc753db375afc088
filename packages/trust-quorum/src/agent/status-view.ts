/**
 * The peers part of the agent's status: every candidate address (static and discovered, this
 * sled excluded) joined with where share collection stands for it. Pure: the agent passes the
 * pieces in. The key of a peer is its `host:port` (`[v6]:port`), as the collector's.
 */
import type { CollectProgress } from '../collector/state.js';
import { formatHostPort } from '../discovery/address.js';
import type { PeerCandidate } from '../discovery/peer-table.js';
import type { PeerStatus } from '../http/status.js';

/** The last failure talking to a peer: an error code, its message, an ISO time. */
export interface PeerError {
  readonly reason: string;
  readonly message: string;
  readonly at: string;
}

export interface PeerViewInput {
  /** Candidate addresses, this sled already excluded. */
  readonly candidates: readonly PeerCandidate[];
  readonly progress: CollectProgress | null;
  /** Last failure per peer key. */
  readonly errors: ReadonlyMap<string, PeerError>;
  /** True for a key that is this sled itself. */
  readonly isSelf: (key: string) => boolean;
}

/** One PeerStatus per candidate, then per peer the collector tracks that is no longer a candidate. */
export function peerStatuses(input: PeerViewInput): PeerStatus[] {
  const reports = new Map((input.progress?.peers ?? []).map((r) => [r.peer, r]));
  const out: PeerStatus[] = [];
  const seen = new Set<string>();
  for (const c of input.candidates) {
    const key = formatHostPort(c);
    seen.add(key);
    const r = reports.get(key);
    out.push({
      sledId: r?.sledId ?? c.sledId,
      address: key,
      source: c.source,
      shareReceived: r?.state === 'held',
      lastError: input.errors.get(key) ?? null,
      lastSeen: c.lastSeen === null ? null : new Date(c.lastSeen).toISOString(),
    });
  }
  for (const [key, r] of reports) {
    if (seen.has(key) || input.isSelf(key)) continue;
    out.push({
      sledId: r.sledId,
      address: key,
      source: 'multicast',
      shareReceived: r.state === 'held',
      lastError: input.errors.get(key) ?? null,
      lastSeen: null,
    });
  }
  return out;
}
