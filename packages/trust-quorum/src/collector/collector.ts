/**
 * The share collector's driver: fetches shares from candidate peers in parallel (at most
 * `concurrency` at once, each attempt with a deadline), feeds the outcomes to CollectionState
 * (state.ts: verification on arrival, duplicates, exclusions, backoff), and resolves with the
 * rack secret as soon as k good shares (its own included) are in hand, cancelling the attempts
 * still running. Peers come from an iterable re-read every `rescanMs` (an array or Set that
 * discovery grows), an async iterable consumed as it yields, or `addPeer()`.
 *
 * Ends: the RackSecret (combined from verified shares and checked against commitment 0);
 * TrustQuorumError Aborted when `signal` fires (progress() tells how far it got);
 * NotEnoughShares when failures naming members leave fewer than k members possible.
 * Logs and events carry addresses, sled ids, x-coordinates, codes and the secret's
 * fingerprint, never share or secret bytes.
 */
import { EventEmitter } from 'node:events';
import { TrustQuorumError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { errorFields, logTo, type ShareLogger } from '../protocol/log.js';
import { combine } from '../rack-secret/feldman.js';
import type { RackSecret } from '../rack-secret/rack-secret.js';
import { type BackoffInit, resolveBackoff } from './backoff.js';
import type { PeerFailure } from './classify.js';
import { CollectionState, type CollectProgress, type FetchedShare, type ShareOutcome } from './state.js';

/** A candidate peer: where its share server listens. Extra fields are passed through. */
export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Fetches one share from `peer`. Must honour `signal`. Throw TrustQuorumError / SpdmError
 * (see classify.ts); a TrustQuorumError's `sender` must name a member only when the peer
 * authenticated as that member.
 */
export type FetchShare<P> = (peer: P, signal: AbortSignal) => Promise<FetchedShare>;

export interface ShareCollectorInit<P extends PeerAddress> {
  /** This sled's ledger: own share, threshold, members, commitments. */
  readonly ledger: Ledger;
  readonly fetchShare: FetchShare<P>;
  /** Candidate peers; more may be added with addPeer(). */
  readonly peers?: Iterable<P> | AsyncIterable<P>;
  /** This sled's id, to label its own share; default 'self'. */
  readonly selfId?: string;
  /** Attempts at once; default 4. */
  readonly concurrency?: number;
  /** Deadline of one attempt, ms; default 15000. */
  readonly attemptTimeoutMs?: number;
  readonly backoff?: BackoffInit;
  /** How often a (sync) peer iterable is re-read while waiting, ms; default 500. */
  readonly rescanMs?: number;
  /** Peers tracked at most; more are ignored. Default 256. */
  readonly maxPeers?: number;
  /** Stops the collection (run() rejects with Aborted). */
  readonly signal?: AbortSignal;
  readonly logger?: ShareLogger;
  /** Called with a snapshot after every change (also emitted as 'progress'). */
  readonly onProgress?: (progress: CollectProgress) => void;
  /** Key of a peer; default `host:port` (`[v6]:port`). */
  readonly peerKey?: (peer: P) => string;
  /** [0, 1) source for jitter; default Math.random. */
  readonly random?: () => number;
}

/** `host:port`, with brackets around an IPv6 literal. */
export function defaultPeerKey(p: PeerAddress): string {
  return p.host.includes(':') ? `[${p.host}]:${p.port}` : `${p.host}:${p.port}`;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer`);
  return v;
}

function isAsyncIterable<T>(x: Iterable<T> | AsyncIterable<T>): x is AsyncIterable<T> {
  return typeof (x as AsyncIterable<T>)[Symbol.asyncIterator] === 'function';
}

/** Settles `p` or rejects with the signal's reason, whichever comes first. */
function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export class ShareCollector<P extends PeerAddress = PeerAddress> extends EventEmitter {
  readonly concurrency: number;
  readonly attemptTimeoutMs: number;
  readonly rescanMs: number;
  readonly maxPeers: number;
  readonly #init: ShareCollectorInit<P>;
  readonly #state: CollectionState;
  readonly #peerKey: (p: P) => string;
  readonly #peers = new Map<string, P>();
  readonly #inflight = new Map<string, AbortController>();
  readonly #stop = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #settled = false;
  #started = false;
  #tickQueued = false;
  #full = false;
  #resolve: (s: RackSecret) => void = () => {};
  #reject: (e: unknown) => void = () => {};

  /** @throws RangeError for bad limits or backoff settings. */
  constructor(init: ShareCollectorInit<P>) {
    super();
    this.#init = init;
    this.concurrency = positiveInt('concurrency', init.concurrency ?? 4);
    this.attemptTimeoutMs = positiveInt('attemptTimeoutMs', init.attemptTimeoutMs ?? 15_000);
    this.rescanMs = positiveInt('rescanMs', init.rescanMs ?? 500);
    this.maxPeers = positiveInt('maxPeers', init.maxPeers ?? 256);
    this.#peerKey = init.peerKey ?? defaultPeerKey;
    this.#state = new CollectionState({
      ledger: init.ledger,
      backoff: resolveBackoff(init.backoff),
      selfLabel: init.selfId,
      random: init.random,
    });
  }

  /** A snapshot of where the collection stands. */
  progress(): CollectProgress {
    return this.#state.progress();
  }

  /** Adds a candidate peer (ignored when known, when the table is full, or once settled). */
  addPeer(peer: P): void {
    if (this.#settled || !this.#add(peer)) return;
    this.#emitProgress();
    this.#queueTick();
  }

  /**
   * Collects until the threshold is reached. Call once.
   * @throws TrustQuorumError Aborted (signal), NotEnoughShares (threshold out of reach),
   *   CommitmentMismatch (cannot happen with verified shares; reported if it does).
   * @throws TypeError when called twice.
   */
  run(): Promise<RackSecret> {
    if (this.#started) throw new TypeError('ShareCollector.run: called twice');
    this.#started = true;
    const done = new Promise<RackSecret>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const { signal, peers } = this.#init;
    if (signal?.aborted) {
      this.#abort();
      return done;
    }
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    logTo(this.#init.logger, 'info', { needed: this.#state.needed }, 'share collection started');
    if (peers !== undefined && isAsyncIterable(peers)) void this.#pump(peers);
    this.#tick();
    return done;
  }

  readonly #onAbort = (): void => this.#abort();

  #add(peer: P): boolean {
    const key = this.#peerKey(peer);
    if (this.#peers.has(key)) return false;
    if (this.#peers.size >= this.maxPeers) {
      if (!this.#full) logTo(this.#init.logger, 'warn', { maxPeers: this.maxPeers }, 'peer table full');
      this.#full = true;
      return false;
    }
    this.#peers.set(key, peer);
    this.#state.addPeer(key, Date.now());
    logTo(this.#init.logger, 'debug', { peer: key }, 'share peer added');
    return true;
  }

  #scan(): void {
    const { peers } = this.#init;
    if (peers === undefined || isAsyncIterable(peers)) return;
    let added = false;
    for (const p of peers) added = this.#add(p) || added;
    if (added) this.#emitProgress();
  }

  async #pump(peers: AsyncIterable<P>): Promise<void> {
    const it = peers[Symbol.asyncIterator]();
    const stop = () => void it.return?.()?.catch(() => {});
    this.#stop.signal.addEventListener('abort', stop, { once: true });
    try {
      while (!this.#settled) {
        const r = await it.next();
        if (r.done) break;
        this.addPeer(r.value);
      }
    } catch (e) {
      if (!this.#settled) logTo(this.#init.logger, 'warn', errorFields(e), 'peer source failed');
    }
  }

  #queueTick(): void {
    if (this.#tickQueued || !this.#started) return;
    this.#tickQueued = true;
    queueMicrotask(() => {
      this.#tickQueued = false;
      this.#tick();
    });
  }

  #tick(): void {
    if (this.#settled) return;
    clearTimeout(this.#timer);
    this.#scan();
    if (this.#state.complete) {
      this.#complete();
      return;
    }
    if (this.#state.unreachable) {
      this.#giveUp();
      return;
    }
    const now = Date.now();
    for (const key of this.#state.due(now)) {
      if (this.#inflight.size >= this.concurrency) break;
      this.#launch(key);
    }
    this.#schedule();
  }

  #schedule(): void {
    const { peers } = this.#init;
    const rescan = peers !== undefined && !isAsyncIterable(peers);
    const at = this.#state.nextDueAt();
    let delay: number | null = at === null ? null : Math.max(0, at - Date.now());
    if (delay !== null && this.#inflight.size >= this.concurrency) delay = null; // an attempt's end ticks
    if (rescan) delay = delay === null ? this.rescanMs : Math.min(delay, this.rescanMs);
    if (delay !== null) this.#timer = setTimeout(() => this.#tick(), delay);
  }

  #launch(key: string): void {
    const peer = this.#peers.get(key) as P;
    this.#state.startAttempt(key);
    const ac = new AbortController();
    this.#inflight.set(key, ac);
    const timer = setTimeout(() => {
      ac.abort(new TrustQuorumError('Timeout', `${key}: no share within ${this.attemptTimeoutMs} ms`));
    }, this.attemptTimeoutMs);
    const signal = AbortSignal.any([ac.signal, this.#stop.signal]);
    logTo(this.#init.logger, 'debug', { peer: key }, 'share attempt');
    let fetched: Promise<FetchedShare>;
    try {
      fetched = Promise.resolve(this.#init.fetchShare(peer, signal));
    } catch (e) {
      fetched = Promise.reject(e);
    }
    // A share that arrives after the race was lost is zeroed, never kept.
    fetched.then(
      (f) => signal.aborted && f.share.zero(),
      () => {},
    );
    raceSignal(fetched, signal)
      .then(
        (f) => this.#onShare(key, f),
        (e: unknown) => this.#onError(key, e),
      )
      .finally(() => {
        clearTimeout(timer);
        this.#inflight.delete(key);
        this.#tick();
      });
  }

  #onShare(key: string, fetched: FetchedShare): void {
    if (this.#settled) {
      fetched.share.zero();
      return;
    }
    const { sledId } = fetched;
    const x = fetched.share.x;
    const outcome: ShareOutcome = this.#state.onShare(key, fetched, Date.now());
    const fields = { peer: key, sledId, x, held: this.#state.heldCount, needed: this.#state.needed };
    if (outcome === 'accepted') logTo(this.#init.logger, 'info', fields, 'share accepted');
    else if (outcome === 'duplicate') logTo(this.#init.logger, 'debug', fields, 'duplicate share dropped');
    else
      logTo(
        this.#init.logger,
        'error',
        { ...fields, ...this.#lastError(key) },
        'share rejected; peer excluded',
      );
    this.emit('share', { peer: key, sledId, x, outcome });
    this.#emitProgress();
  }

  #lastError(key: string): Record<string, unknown> {
    const e = this.#state.progress().peers.find((p) => p.peer === key)?.lastError;
    return e ? { code: e.code, reason: e.message } : {};
  }

  #onError(key: string, e: unknown): void {
    if (this.#settled) return;
    if (this.#stop.signal.aborted) {
      this.#state.onCancelled(key, Date.now());
      return;
    }
    const failure: PeerFailure = this.#state.onFailure(key, e, Date.now());
    const level = failure.kind === 'permanent' ? 'warn' : 'debug';
    logTo(
      this.#init.logger,
      level,
      { peer: key, sledId: failure.sledId, code: failure.code, kind: failure.kind, reason: failure.message },
      'share attempt failed',
    );
    this.emit('failure', { peer: key, failure });
    this.#emitProgress();
  }

  #emitProgress(): void {
    const p = this.#state.progress();
    try {
      this.#init.onProgress?.(p);
    } catch {
      // Observers must not break the collection.
    }
    this.emit('progress', p);
  }

  /** Stops timers, the peer source and every attempt in flight. */
  #settle(): void {
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#init.signal?.removeEventListener('abort', this.#onAbort);
    this.#stop.abort(new TrustQuorumError('Aborted', 'share collection over'));
    for (const key of this.#inflight.keys()) this.#state.onCancelled(key, Date.now());
  }

  #complete(): void {
    this.#settle();
    let secret: RackSecret;
    try {
      const { ledger } = this.#state;
      secret = combine(this.#state.shares(), ledger.commitments, ledger.threshold, { sharesVerified: true });
    } catch (e) {
      this.#reject(e);
      return;
    } finally {
      this.#state.zeroReceived();
    }
    const from = this.#state.progress().heldFrom;
    logTo(
      this.#init.logger,
      'info',
      { fingerprint: secret.fingerprint(), from },
      'rack secret reconstructed',
    );
    this.#emitProgress();
    this.#resolve(secret);
  }

  #summary(): string {
    const p = this.#state.progress();
    const peers = p.peers
      .filter((r) => r.state !== 'held' && r.state !== 'duplicate')
      .map((r) => `${r.sledId ?? r.peer}: ${r.lastError?.code ?? r.state}`);
    return `${p.held}/${p.needed} shares (from ${p.heldFrom.join(', ')})${peers.length > 0 ? `; ${peers.join(', ')}` : ''}`;
  }

  #abort(): void {
    if (this.#settled) return;
    this.#settle();
    this.#state.zeroReceived();
    const summary = this.#summary();
    logTo(this.#init.logger, 'warn', { progress: summary }, 'share collection aborted');
    this.#emitProgress();
    this.#reject(new TrustQuorumError('Aborted', `share collection aborted with ${summary}`));
  }

  #giveUp(): void {
    this.#settle();
    this.#state.zeroReceived();
    const excluded = this.#state.progress().excluded.map((x) => `${x.sledId} (${x.reason})`);
    const message = `threshold ${this.#state.needed} out of reach: ${this.#summary()}; excluded ${excluded.join(', ')}`;
    logTo(this.#init.logger, 'error', { reason: message }, 'share collection failed');
    this.#emitProgress();
    this.#reject(new TrustQuorumError('NotEnoughShares', message));
  }
}

/** Runs a ShareCollector to the end. @throws as ShareCollector.run. */
export function collectShares<P extends PeerAddress>(init: ShareCollectorInit<P>): Promise<RackSecret> {
  return new ShareCollector(init).run();
}
