/**
 * The table of peers heard by discovery, keyed by sled id, with expiry; and the merge of it
 * with the static peer list into SPDM connect candidates. Pure: the clock is an argument,
 * so expiry is tested without waiting. The address of a peer is the announcement's source
 * address with the announced SPDM port.
 */
import { formatHostPort, type HostPort } from './address.js';
import type { Announcement } from './announcement.js';

/** Most peers kept: a rack is small; a flood of forged sled ids cannot grow the table past it. */
export const MAX_PEERS = 1024;

export interface DiscoveredPeer {
  readonly sledId: string;
  /** Source address of the announcement (IPv6 link-local with its `%zone`). */
  readonly host: string;
  /** Announced SPDM TCP port. */
  readonly port: number;
  readonly rackId: string | null;
  /** ms since the epoch. */
  readonly firstSeen: number;
  readonly lastSeen: number;
}

export type ObserveResult =
  | { readonly kind: 'add'; readonly peer: DiscoveredPeer }
  | { readonly kind: 'update'; readonly peer: DiscoveredPeer; readonly previous: DiscoveredPeer }
  | { readonly kind: 'refresh'; readonly peer: DiscoveredPeer }
  | { readonly kind: 'full' };

/** An address to try SPDM with: from the static list, from discovery, or both. */
export interface PeerCandidate extends HostPort {
  /** Announced sled id (a hint), or null for a static peer not (yet) heard from. */
  readonly sledId: string | null;
  readonly source: 'static' | 'multicast' | 'both';
  readonly rackId: string | null;
  /** ms since the epoch of the last announcement, or null for a static peer. */
  readonly lastSeen: number | null;
}

export class PeerTable {
  readonly #peers = new Map<string, DiscoveredPeer>();

  /** @param expiryMs a peer not heard from for this long is removed by expire(). */
  constructor(readonly expiryMs: number) {
    if (!(expiryMs > 0)) throw new RangeError('expiryMs must be positive');
  }

  /** Records an announcement from `host`. */
  observe(a: Announcement, host: string, now: number): ObserveResult {
    const old = this.#peers.get(a.sledId);
    if (old === undefined && this.#peers.size >= MAX_PEERS) return { kind: 'full' };
    const peer: DiscoveredPeer = {
      sledId: a.sledId,
      host,
      port: a.spdmPort,
      rackId: a.rackId,
      firstSeen: old?.firstSeen ?? now,
      lastSeen: now,
    };
    this.#peers.set(a.sledId, peer);
    if (old === undefined) return { kind: 'add', peer };
    if (old.host !== host || old.port !== a.spdmPort || old.rackId !== a.rackId) {
      return { kind: 'update', peer, previous: old };
    }
    return { kind: 'refresh', peer };
  }

  /** Removes and returns the peers last seen more than expiryMs before `now`. */
  expire(now: number): DiscoveredPeer[] {
    const gone: DiscoveredPeer[] = [];
    for (const [id, p] of this.#peers) {
      if (now - p.lastSeen > this.expiryMs) {
        this.#peers.delete(id);
        gone.push(p);
      }
    }
    return gone;
  }

  /** Current peers, by sled id. */
  list(): DiscoveredPeer[] {
    return [...this.#peers.values()].sort((a, b) => (a.sledId < b.sledId ? -1 : a.sledId > b.sledId ? 1 : 0));
  }

  get size(): number {
    return this.#peers.size;
  }

  clear(): void {
    this.#peers.clear();
  }
}

/**
 * Static peers and discovered peers as one list of distinct addresses: static peers first (in
 * config order), a discovered peer at a static address marks it `both` and names its sled.
 */
export function mergeCandidates(
  staticPeers: readonly HostPort[],
  discovered: readonly DiscoveredPeer[],
): PeerCandidate[] {
  const out = new Map<string, PeerCandidate>();
  for (const s of staticPeers) {
    const key = formatHostPort(s);
    if (!out.has(key)) {
      out.set(key, {
        host: s.host,
        port: s.port,
        sledId: null,
        source: 'static',
        rackId: null,
        lastSeen: null,
      });
    }
  }
  for (const d of discovered) {
    const key = formatHostPort(d);
    const s = out.get(key);
    out.set(key, {
      host: d.host,
      port: d.port,
      sledId: d.sledId,
      source: s === undefined ? 'multicast' : 'both',
      rackId: d.rackId,
      lastSeen: d.lastSeen,
    });
  }
  return [...out.values()];
}
