/**
 * The agent's Prometheus metrics (prom-client) in a Registry of its own: several agents may
 * run in one process (tests, the demo), so nothing goes to prom-client's global registry.
 * Every series carries `sled="<id>"`. Label values are sled ids, addresses, disk ids, service
 * names and error codes: bounded sets, never free text and never secrets.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { AGENT_STATES, type AgentState } from './status.js';

export interface AgentMetricsInit {
  /** Added as label `sled` to every series. */
  readonly sledId: string;
  /** Also export process metrics (CPU, memory, event loop) with prefix `tq_`; default false. */
  readonly processMetrics?: boolean;
}

/** Outcome of one SPDM session served by our responder. */
export type ServedOutcome = 'share' | 'refused' | 'rack-init' | 'error';

export class AgentMetrics {
  readonly registry: Registry;
  readonly #state: Gauge;
  readonly #held: Gauge;
  readonly #needed: Gauge;
  readonly #peers: Gauge;
  readonly #attempts: Counter;
  readonly #errors: Counter;
  readonly #served: Counter;
  readonly #unlock: Histogram;
  readonly #hook: Histogram;
  readonly #restarts: Counter;

  constructor(init: AgentMetricsInit) {
    this.registry = new Registry();
    const registers = [this.registry];
    this.registry.setDefaultLabels({ sled: init.sledId });
    if (init.processMetrics === true) collectDefaultMetrics({ register: this.registry, prefix: 'tq_' });
    this.#state = new Gauge({
      name: 'tq_agent_state',
      help: 'Agent lifecycle state: 1 for the current state, 0 for the others.',
      labelNames: ['state'],
      registers,
    });
    this.#held = new Gauge({
      name: 'tq_shares_held',
      help: 'Verified shares held, ours included.',
      registers,
    });
    this.#needed = new Gauge({
      name: 'tq_shares_needed',
      help: 'Threshold: shares needed to rebuild the rack secret (0 without a ledger).',
      registers,
    });
    this.#peers = new Gauge({
      name: 'tq_peers_known',
      help: 'Peer addresses known (static and discovered).',
      registers,
    });
    this.#attempts = new Counter({
      name: 'tq_collection_attempts_total',
      help: 'Share requests started, by peer.',
      labelNames: ['peer'],
      registers,
    });
    this.#errors = new Counter({
      name: 'tq_collection_errors_total',
      help: 'Share requests that failed, by peer and reason (error code).',
      labelNames: ['peer', 'reason'],
      registers,
    });
    this.#served = new Counter({
      name: 'tq_sessions_served_total',
      help: 'SPDM sessions served by our responder, by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    this.#unlock = new Histogram({
      name: 'tq_unlock_duration_seconds',
      help: 'From the start of share collection to unlocked.',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    this.#hook = new Histogram({
      name: 'tq_unlock_hook_duration_seconds',
      help: 'One run of the unlock hook, by disk and result.',
      labelNames: ['disk', 'result'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.#restarts = new Counter({
      name: 'tq_service_restarts_total',
      help: 'Restarts of supervised services, by service.',
      labelNames: ['service'],
      registers,
    });
    this.setState('starting');
    this.#needed.set(0);
    this.#held.set(0);
  }

  setState(state: AgentState): void {
    for (const s of AGENT_STATES) this.#state.set({ state: s }, s === state ? 1 : 0);
  }

  /** @param needed null (no ledger) exports 0. */
  setShares(held: number, needed: number | null): void {
    this.#held.set(held);
    this.#needed.set(needed ?? 0);
  }

  setPeersKnown(n: number): void {
    this.#peers.set(n);
  }

  collectionAttempt(peer: string): void {
    this.#attempts.inc({ peer });
  }

  /** @param reason an error code (TrustQuorumErrorCode or SpdmError code), not a message. */
  collectionError(peer: string, reason: string): void {
    this.#errors.inc({ peer, reason });
  }

  sessionServed(outcome: ServedOutcome): void {
    this.#served.inc({ outcome });
  }

  observeUnlock(seconds: number): void {
    this.#unlock.observe(seconds);
  }

  observeHook(disk: string, seconds: number, ok: boolean): void {
    this.#hook.observe({ disk, result: ok ? 'ok' : 'failed' }, seconds);
  }

  serviceRestart(service: string): void {
    this.#restarts.inc({ service });
  }

  /** The Prometheus text exposition of this registry. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
