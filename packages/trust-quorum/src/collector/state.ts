/**
 * The share collector's bookkeeping, sans I/O (conventions #2): which shares are held (by x,
 * own share included), which peers exist and where each stands, which members are excluded,
 * and when each peer may be tried again. The driver (collector.ts) owns timers and fetches; it
 * tells this state what happened, with the time as an argument, and asks what to do next.
 *
 * Rules: a share is checked against the ledger's commitments on arrival; one that fails names
 * its sender, fails its peer for good and excludes its member; a share whose x is already held
 * is dropped (the peer is done); a retryable failure schedules the peer after a backoff, a
 * permanent one fails the peer, and excludes the member when the failure names one.
 */
import { TrustQuorumError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { verifyShare } from '../rack-secret/feldman.js';
import type { Share } from '../rack-secret/rack-secret.js';
import { type Backoff, backoffDelay } from './backoff.js';
import { classifyFailure, type PeerFailure } from './classify.js';

export type PeerStateKind = 'waiting' | 'fetching' | 'held' | 'duplicate' | 'failed';

/** Where one peer (address) stands. */
export interface PeerReport {
  /** The peer's key (`host:port`). */
  readonly peer: string;
  /** The member it authenticated as, once known. */
  readonly sledId: string | null;
  readonly state: PeerStateKind;
  readonly attempts: number;
  /** The last failure, kept after a later success for the record. */
  readonly lastError: PeerFailure | null;
  /** When a waiting peer is due (ms clock), null otherwise. */
  readonly nextAttemptAt: number | null;
}

/** A snapshot of the collection. */
export interface CollectProgress {
  /** Good shares in hand, own share included. */
  readonly held: number;
  /** The threshold k. */
  readonly needed: number;
  /** Who the held shares came from (own first), as `sledId` or the self label. */
  readonly heldFrom: readonly string[];
  readonly peers: readonly PeerReport[];
  /** Members that will not be asked again, and why. */
  readonly excluded: readonly { readonly sledId: string; readonly reason: string }[];
}

/** What a fetch brought back: the share and the member the responder authenticated as. */
export interface FetchedShare {
  readonly share: Share;
  readonly sledId: string;
}

export type ShareOutcome = 'accepted' | 'duplicate' | 'rejected';

interface PeerRecord {
  peer: string;
  sledId: string | null;
  state: PeerStateKind;
  attempts: number;
  failures: number;
  lastError: PeerFailure | null;
  nextAttemptAt: number;
}

export interface CollectionStateInit {
  readonly ledger: Ledger;
  readonly backoff: Backoff;
  /** This sled's id (labels the own share in `heldFrom`); default 'self'. */
  readonly selfLabel?: string;
  /** [0, 1) source for jitter; default Math.random. */
  readonly random?: () => number;
}

export class CollectionState {
  readonly ledger: Ledger;
  readonly #backoff: Backoff;
  readonly #random: () => number;
  /** x -> share (own share included; the peers' are copies this state owns). */
  readonly #held = new Map<number, { share: Share; from: string; own: boolean }>();
  readonly #peers = new Map<string, PeerRecord>();
  readonly #excluded = new Map<string, string>();
  readonly #selfIsMember: boolean;

  constructor(init: CollectionStateInit) {
    this.ledger = init.ledger;
    this.#backoff = init.backoff;
    this.#random = init.random ?? Math.random;
    const self = init.selfLabel ?? 'self';
    this.#selfIsMember = init.ledger.members.some((m) => m.sledId === self);
    this.#held.set(init.ledger.share.x, { share: init.ledger.share, from: self, own: true });
  }

  get needed(): number {
    return this.ledger.threshold;
  }

  get heldCount(): number {
    return this.#held.size;
  }

  get complete(): boolean {
    return this.#held.size >= this.needed;
  }

  get peerCount(): number {
    return this.#peers.size;
  }

  /** Adds a peer, due at once. @returns false when it was known. */
  addPeer(key: string, now: number): boolean {
    if (this.#peers.has(key)) return false;
    this.#peers.set(key, {
      peer: key,
      sledId: null,
      state: 'waiting',
      attempts: 0,
      failures: 0,
      lastError: null,
      nextAttemptAt: now,
    });
    return true;
  }

  /** Waiting peers due at `now`, the longest-waiting first. */
  due(now: number): string[] {
    return [...this.#peers.values()]
      .filter((p) => p.state === 'waiting' && p.nextAttemptAt <= now)
      .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt)
      .map((p) => p.peer);
  }

  /** When the next waiting peer is due, or null when none waits. */
  nextDueAt(): number | null {
    let at: number | null = null;
    for (const p of this.#peers.values()) {
      if (p.state === 'waiting' && (at === null || p.nextAttemptAt < at)) at = p.nextAttemptAt;
    }
    return at;
  }

  #record(key: string): PeerRecord {
    const p = this.#peers.get(key);
    if (p === undefined) throw new RangeError(`unknown peer ${key}`);
    return p;
  }

  /** Marks a waiting peer as being fetched. @throws RangeError for an unknown or busy peer. */
  startAttempt(key: string): void {
    const p = this.#record(key);
    if (p.state !== 'waiting') throw new RangeError(`peer ${key} is ${p.state}`);
    p.state = 'fetching';
    p.attempts++;
  }

  /**
   * A fetch brought a share. Takes ownership of `fetched.share` (kept, or zeroed when not).
   * @returns 'accepted' (held now), 'duplicate' (x already held: dropped), 'rejected' (fails
   *   verification, or from an excluded member: dropped, peer failed).
   */
  onShare(key: string, fetched: FetchedShare, now: number): ShareOutcome {
    const p = this.#record(key);
    const { share, sledId } = fetched;
    p.sledId = sledId;
    const excludedFor = this.#excluded.get(sledId);
    if (excludedFor !== undefined) {
      share.zero();
      this.#fail(p, {
        kind: 'permanent',
        code: 'Excluded',
        message: `${sledId} is excluded: ${excludedFor}`,
        sledId,
      });
      return 'rejected';
    }
    if (!verifyShare(share, this.ledger.commitments)) {
      const error = new TrustQuorumError(
        'InvalidShare',
        `share x=${share.x} from ${sledId} (${key}) fails the commitment check`,
        { sender: sledId },
      );
      share.zero();
      this.onFailure(key, error, now);
      return 'rejected';
    }
    if (this.#held.has(share.x)) {
      share.zero();
      p.state = 'duplicate';
      return 'duplicate';
    }
    this.#held.set(share.x, { share, from: sledId, own: false });
    p.state = 'held';
    p.failures = 0;
    return 'accepted';
  }

  /** A fetch failed (`error` as thrown). @returns how it was classified. */
  onFailure(key: string, error: unknown, now: number): PeerFailure {
    const p = this.#record(key);
    const failure = classifyFailure(error);
    if (failure.sledId !== undefined) p.sledId = failure.sledId;
    if (failure.kind === 'permanent') {
      this.#fail(p, failure);
    } else {
      p.failures++;
      p.lastError = failure;
      p.state = 'waiting';
      p.nextAttemptAt = now + backoffDelay(this.#backoff, p.failures, this.#random);
    }
    return failure;
  }

  /** A fetch was cancelled by the driver: back to waiting, due at once, no failure counted. */
  onCancelled(key: string, now: number): void {
    const p = this.#record(key);
    if (p.state === 'fetching') {
      p.state = 'waiting';
      p.nextAttemptAt = now;
    }
  }

  #fail(p: PeerRecord, failure: PeerFailure): void {
    p.state = 'failed';
    p.lastError = failure;
    const sledId = failure.sledId ?? p.sledId;
    const isMember = sledId !== null && this.ledger.members.some((m) => m.sledId === sledId);
    if (isMember && !this.#excluded.has(sledId))
      this.#excluded.set(sledId, `${failure.code}: ${failure.message}`);
  }

  /**
   * True when the threshold cannot be reached any more from the members: those held plus
   * those neither held nor excluded are fewer than k. (Only a failure naming a member excludes
   * it; unreachable peers never do.)
   */
  get unreachable(): boolean {
    const from = new Set([...this.#held.values()].map((h) => h.from));
    let possible = this.#held.size;
    for (const m of this.ledger.members) {
      if (!from.has(m.sledId) && !this.#excluded.has(m.sledId)) possible++;
    }
    // When the own share is held under a label that is not a member id, the own member was
    // counted once more above.
    if (!this.#selfIsMember) possible--;
    return possible < this.needed;
  }

  /** The held shares, own first (views: the caller must not zero the own share). */
  shares(): Share[] {
    const all = [...this.#held.values()];
    return [...all.filter((h) => h.own), ...all.filter((h) => !h.own)].map((h) => h.share);
  }

  /** Zeroes the shares received from peers (the own share is the ledger's and stays). */
  zeroReceived(): void {
    for (const h of this.#held.values()) if (!h.own) h.share.zero();
  }

  progress(): CollectProgress {
    const held = [...this.#held.values()];
    return {
      held: held.length,
      needed: this.needed,
      heldFrom: [...held.filter((h) => h.own), ...held.filter((h) => !h.own)].map((h) => h.from),
      peers: [...this.#peers.values()].map((p) => ({
        peer: p.peer,
        sledId: p.sledId,
        state: p.state,
        attempts: p.attempts,
        lastError: p.lastError,
        nextAttemptAt: p.state === 'waiting' ? p.nextAttemptAt : null,
      })),
      excluded: [...this.#excluded].map(([sledId, reason]) => ({ sledId, reason })),
    };
  }
}
