/**
 * The bootstrap agent every sled runs. `start()` brings it up in this order:
 *
 * 1. load the device identity and the rack root (a failure is a startup error: `start()`
 *    throws), then the ledger from every ledger directory (warnings logged; an unusable ledger,
 *    or one that does not name this sled, makes the agent `failed` but keeps it reachable);
 * 2. start the share server FIRST, on SPDM with mutual authentication: peers may need our share
 *    while we are still locked. Sessions of the operator (rack-init/operator.ts) go to the
 *    rack-init participant instead, every other session to the share server;
 * 3. start discovery (static peers merged; a multicast socket that cannot start yet, e.g. an
 *    interface not up, is retried in the background with backoff);
 * 4. start the HTTP status server;
 * 5. then, by what was loaded: a ledger -> `collecting` (the ShareCollector asks every
 *    candidate but this sled itself); no ledger -> `awaiting-init` (when `awaitInit`) or
 *    `single-node` (nothing to unlock, logged loudly); a bad ledger -> `failed`.
 *
 * With the rack secret: derive the configured storage keys, run the unlock hook per key, zero
 * the keys and the secret; a hook failure is `failed` with the hook's error (never
 * `unlocked`); otherwise `unlocked`, then the configured services start -> `services-started`
 * (with no service configured the agent stays `unlocked`). Retryable collection failures back
 * off inside the collector; a threshold out of reach is `failed`. A rack init committed while
 * `awaiting-init` writes the ledger and goes to `collecting`, like a boot.
 *
 * `stop()`: `stopping`, then collection and hooks aborted, operator and share sessions closed,
 * listener, discovery, services and HTTP stopped, the ledger's share zeroed.
 * Every transition is logged and exported as a metric; nothing logged carries a secret.
 */
import type { X509Certificate } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import { SUPPORTED_VERSIONS, versionName } from '@trust-quorum/spdm/msgs/codes';
import { CertChainCache } from '@trust-quorum/spdm/requester/chain-cache';
import { type PeerAddress, ShareCollector } from '../collector/collector.js';
import type { CollectProgress } from '../collector/state.js';
import { formatHostPort, type HostPort } from '../discovery/address.js';
import { Discovery } from '../discovery/discovery.js';
import { mergeCandidates, type PeerCandidate } from '../discovery/peer-table.js';
import { TrustQuorumError } from '../errors.js';
import { AgentMetrics } from '../http/metrics.js';
import { StatusServer } from '../http/server.js';
import type { AgentState, AgentStatus, DiskStatus } from '../http/status.js';
import { LEDGER_FORMAT_VERSION, type Ledger, loadLedger, writeLedger } from '../ledger/index.js';
import { type Log, silentLog } from '../log.js';
import { type DeviceIdentity, loadIdentity, loadTrustedRoot } from '../pki/index.js';
import { ledgerSelfProblem } from '../rack-init/ledger-rules.js';
import { isOperatorCertificate } from '../rack-init/operator.js';
import { RackInitParticipant } from '../rack-init/participant.js';
import type { RackSecret } from '../rack-secret/rack-secret.js';
import type { SharePeer } from '../server/answer.js';
import { type SessionHandler, ShareServer } from '../server/share-server.js';
import { type SpdmIdentity, spdmSessions } from '../server/spdm-listener.js';
import { type ServiceExitEvent, ServiceSupervisor } from '../services/supervisor.js';
import { type ServerStatsSync, syncServerStats } from './agent-metrics.js';
import type { AgentConfig } from './config.js';
import { agentFetchShare } from './fetch.js';
import { isSelfAddress } from './self.js';
import { type PeerError, peerStatuses } from './status-view.js';
import { unlockWithSecret } from './unlock-step.js';

/** The agent's version in status and logs. */
export const AGENT_VERSION = '0.1.0';

/** Discovery start retries: first delay and longest delay, ms. */
const DISCOVERY_RETRY_MS = [1000, 30_000] as const;

export interface AgentInit {
  readonly config: AgentConfig;
  /** Pino-compatible logger; nothing is logged without one. */
  readonly log?: Log;
  /** Default: a fresh AgentMetrics for this sled. */
  readonly metrics?: AgentMetrics;
}

export interface AgentEvents {
  state: [state: AgentState, reason: string | null];
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class Agent extends EventEmitter<AgentEvents> {
  readonly config: AgentConfig;
  readonly metrics: AgentMetrics;
  readonly #log: Log;
  readonly #work = new AbortController();
  readonly #startedAt = Date.now();
  readonly #selfKeys = new Set<string>();
  readonly #peerErrors = new Map<string, PeerError>();
  readonly #chainCache = new CertChainCache();
  #state: AgentState = 'starting';
  #since = new Date();
  #reason: string | null = null;
  #started = false;
  #stopping: Promise<void> | null = null;
  #identity: DeviceIdentity | null = null;
  #root: X509Certificate | null = null;
  #ledger: Ledger | null = null;
  #ledgerProblem: string | null = null;
  #server: ShareServer | null = null;
  #participant: RackInitParticipant | null = null;
  #spdmAddress: HostPort | null = null;
  #discovery: Discovery | null = null;
  #discoveryTimer: NodeJS.Timeout | null = null;
  #http: StatusServer | null = null;
  #progress: CollectProgress | null = null;
  #disks: DiskStatus[] = [];
  #supervisor: ServiceSupervisor | null = null;
  #running: Promise<void> | null = null;
  #starting: Promise<void> | null = null;
  #statsTimer: NodeJS.Timeout | null = null;
  #statsSync: ServerStatsSync | null = null;

  constructor(init: AgentInit) {
    super();
    this.config = init.config;
    this.#log = init.log ?? silentLog;
    this.metrics = init.metrics ?? new AgentMetrics({ sledId: init.config.sledId });
  }

  get state(): AgentState {
    return this.#state;
  }

  /** Why `failed` (or a note for single-node), else null. */
  get reason(): string | null {
    return this.#reason;
  }

  /** The bound SPDM address (the real port when 0 was configured), once started. */
  get spdmAddress(): HostPort | null {
    return this.#spdmAddress;
  }

  /** The bound HTTP status address, or null when disabled or not started. */
  get httpAddress(): HostPort | null {
    return this.#http?.address ?? null;
  }

  /**
   * Starts every part (see the module comment) and the lifecycle; resolves once the listeners
   * are up, with the agent in `single-node`, `awaiting-init`, `collecting` or `failed`.
   * @throws TrustQuorumError InvalidConfig (identity, root or framing unusable); the listen
   *   error of the SPDM or HTTP address (EADDRINUSE, ...). Whatever had started is stopped.
   * @throws TypeError when called twice.
   */
  async start(): Promise<void> {
    if (this.#started) throw new TypeError('Agent.start: called twice');
    this.#started = true;
    this.#setState('starting', null);
    this.#starting = this.#startParts();
    try {
      await this.#starting;
    } catch (e) {
      await this.stop();
      throw e;
    }
    if (this.#stopping !== null) return; // stop() was called meanwhile
    this.#statsSync = syncServerStats(this.#server!, this.metrics);
    this.#statsTimer = setInterval(() => this.#syncMetrics(), 1000);
    this.#statsTimer.unref();
    this.#decide();
  }

  async #startParts(): Promise<void> {
    this.#loadIdentity();
    await this.#loadLedger();
    await this.#startServer();
    await this.#startDiscovery();
    await this.#startHttp();
  }

  #loadIdentity(): void {
    const { config } = this;
    if (config.spdm.framing !== 'dsp0287') {
      throw new TrustQuorumError(
        'InvalidConfig',
        `${config.file}: spdm.framing: "${config.spdm.framing}" carries no secure sessions; the agent needs "dsp0287"`,
        { files: [config.file] },
      );
    }
    const identity = loadIdentity(config.identity.dir);
    const root = loadTrustedRoot(config.trustedRoot);
    if (!Buffer.from(identity.chainDer[0]!).equals(root.raw)) {
      throw new TrustQuorumError(
        'InvalidConfig',
        `${config.identity.chain}: does not start at the trusted root ${config.trustedRoot}`,
        { files: [config.identity.chain, config.trustedRoot] },
      );
    }
    for (const w of identity.warnings) this.#log.warn({ warning: w }, 'identity: warning');
    this.#identity = identity;
    this.#root = root;
  }

  async #loadLedger(): Promise<void> {
    const { config } = this;
    try {
      const loaded = await loadLedger(config.ledgerDirs);
      if (loaded === null) return;
      for (const w of loaded.warnings) this.#log.warn({ ...w }, `ledger copy ${w.problem}: ${w.file}`);
      const problem = ledgerSelfProblem(loaded.ledger, config.sledId, this.#identity!.leafDer);
      if (problem !== null) {
        loaded.ledger.zero();
        this.#ledgerProblem = `ledger ${loaded.source}: ${problem}`;
        return;
      }
      this.#ledger = loaded.ledger;
      this.#log.info({ ledger: loaded.ledger.toJSON(), source: loaded.source }, 'ledger loaded');
    } catch (e) {
      this.#ledgerProblem = `ledger: ${message(e)}`;
    }
  }

  #spdmIdentity(): SpdmIdentity {
    const id = this.#identity!;
    return { certificates: id.chainDer, privateKey: id.privateKey };
  }

  async #startServer(): Promise<void> {
    const { config } = this;
    const server = new ShareServer({ ledger: this.#ledger, logger: this.#log });
    this.#server = server;
    this.#participant = new RackInitParticipant({
      logger: this.#log,
      host: {
        sledId: config.sledId,
        leafDer: this.#identity!.leafDer,
        acceptsInit: () => this.#state === 'awaiting-init',
        ledger: () => this.#ledger,
        commit: (prepared) => this.#commit(prepared),
      },
    });
    const sessions = spdmSessions({
      host: config.spdm.listen.host,
      port: config.spdm.listen.port,
      identity: this.#spdmIdentity(),
      trustedRoot: this.#root!,
      logger: {
        // Every SPDM request is logged at info by the serve loop: debug here.
        info: (o, m) => this.#log.debug(o, m ?? 'spdm'),
        warn: (o, m) => this.#log.warn(o, m ?? 'spdm'),
        error: (o, m) => this.#log.error(o, m ?? 'spdm'),
      },
    });
    this.#spdmAddress = await server.listen((toShareServer) =>
      sessions((channel, peer) => this.#dispatch(channel, peer, toShareServer)),
    );
  }

  /** Operator sessions to rack init, every other one to the share server. */
  #dispatch(channel: Duplex, peer: SharePeer, toShareServer: SessionHandler): Promise<void> {
    const der = peer.leafCertificateDer;
    if (isOperatorCertificate(der) && this.#ledger?.memberFor(der) === undefined) {
      this.metrics.sessionServed('rack-init');
      return this.#participant!.handleSession(channel, peer);
    }
    return toShareServer(channel, peer);
  }

  async #startDiscovery(attempt = 1): Promise<void> {
    const { config } = this;
    const d = config.discovery;
    try {
      const discovery = await Discovery.start({
        sledId: config.sledId,
        spdmPort: this.#spdmAddress!.port,
        rackId: this.#ledger?.rackId ?? null,
        enabled: d.enabled,
        group: d.group,
        port: d.port,
        intervalMs: d.intervalMs,
        expiryMs: d.expiryMs,
        ttl: d.ttl,
        loopback: d.loopback,
        ...(d.interface === undefined ? {} : { interface: d.interface }),
        staticPeers: config.staticPeers,
        log: this.#log,
      });
      // A retry may finish after stop() began: nobody else would close it then.
      if (this.#stopping !== null && attempt > 1) await discovery.close();
      else this.#discovery = discovery;
    } catch (e) {
      const delay = Math.min(DISCOVERY_RETRY_MS[1], DISCOVERY_RETRY_MS[0] * 2 ** Math.min(attempt - 1, 10));
      this.#log.warn(
        { err: message(e), retryInMs: delay, attempt },
        'discovery: cannot start yet; static peers only until it does',
      );
      this.#discoveryTimer = setTimeout(() => {
        this.#discoveryTimer = null;
        if (this.#stopping === null) void this.#startDiscovery(attempt + 1);
      }, delay);
      this.#discoveryTimer.unref();
    }
  }

  async #startHttp(): Promise<void> {
    const http = this.config.http;
    if (http === null) return;
    this.#http = await StatusServer.start({
      listen: http.listen,
      status: () => this.status(),
      metrics: this.metrics,
      log: this.#log,
    });
  }

  #decide(): void {
    const { config } = this;
    if (this.#ledgerProblem !== null) this.#fail(this.#ledgerProblem);
    else if (this.#ledger !== null) this.#running = this.#collectAndUnlock(this.#ledger);
    else if (config.awaitInit)
      this.#setState('awaiting-init', `no ledger in ${config.ledgerDirs.join(', ')}`);
    else {
      const why = `no ledger in ${config.ledgerDirs.join(', ')}: SINGLE-NODE MODE, nothing will be unlocked`;
      this.#setState('single-node', why);
      this.#log.warn(
        { ledgerDirs: config.ledgerDirs },
        `!!! ${why} (set awaitInit = true to wait for \`tq rack init\`) !!!`,
      );
    }
  }

  /** Rack init's Commit: write the prepared ledger, adopt it, collect as at boot. */
  async #commit(prepared: Ledger): Promise<Ledger> {
    if (this.#state !== 'awaiting-init') throw new TypeError('not awaiting rack init');
    const written = await writeLedger(this.config.ledgerDirs, prepared);
    this.#ledger = written;
    this.#server?.setLedger(written);
    this.#discovery?.setRackId(written.rackId);
    this.#log.info(
      { ledger: written.toJSON(), ledgerDirs: this.config.ledgerDirs },
      'rack init committed: ledger written',
    );
    this.#running = this.#collectAndUnlock(written);
    return written;
  }

  #candidates(): PeerCandidate[] {
    const list = this.#discovery?.peers() ?? mergeCandidates(this.config.staticPeers, []);
    return list.filter((c) => !this.#isSelf(formatHostPort(c), c));
  }

  #isSelf(key: string, address?: HostPort): boolean {
    if (this.#selfKeys.has(key)) return true;
    return address !== undefined && this.#spdmAddress !== null && isSelfAddress(address, this.#spdmAddress);
  }

  async #collectAndUnlock(ledger: Ledger): Promise<void> {
    this.#setState('collecting', null);
    const started = Date.now();
    this.#progress = null;
    this.metrics.setShares(1, ledger.threshold);
    let secret: RackSecret;
    try {
      secret = await this.#collector(ledger).run();
    } catch (e) {
      if (!this.#work.signal.aborted) this.#fail(`share collection: ${message(e)}`);
      return;
    }
    try {
      await unlockWithSecret(secret, {
        sledId: this.config.sledId,
        rackId: ledger.rackId,
        unlock: this.config.unlock,
        cwd: dirname(this.config.file),
        log: this.#log,
        signal: this.#work.signal,
        onDisk: (disk, r) => {
          this.#disks = [...this.#disks.filter((d) => d.diskId !== disk.diskId), disk];
          this.metrics.observeHook(disk.diskId, r.durationMs / 1000, disk.ok);
        },
      });
    } catch (e) {
      if (!this.#work.signal.aborted) this.#fail(message(e));
      return;
    } finally {
      secret.zero();
    }
    this.metrics.observeUnlock((Date.now() - started) / 1000);
    this.#setState('unlocked', null);
    this.#startServices();
  }

  #collector(ledger: Ledger): ShareCollector {
    const { config } = this;
    const candidates = { [Symbol.iterator]: () => this.#candidates()[Symbol.iterator]() };
    const collector = new ShareCollector<PeerAddress>({
      ledger,
      selfId: config.sledId,
      peers: candidates,
      attemptTimeoutMs: config.timeouts.sessionMs,
      backoff: { baseMs: config.timeouts.retryBaseMs, maxMs: config.timeouts.retryMaxMs },
      signal: this.#work.signal,
      logger: this.#log,
      onProgress: (p) => {
        this.#progress = p;
        this.metrics.setShares(p.held, p.needed);
      },
      fetchShare: agentFetchShare({
        ledger,
        identity: this.#spdmIdentity(),
        trustedRoot: this.#root!,
        connectMs: config.timeouts.connectMs,
        timeoutMs: config.timeouts.connectMs,
        // Peers' chains fetched and validated once, not at every retry.
        requester: { chainCache: this.#chainCache },
        onAttempt: (peer) => this.metrics.collectionAttempt(peer),
        onSelf: (peer) => {
          if (!this.#selfKeys.has(peer))
            this.#log.info({ peer }, 'peer address is this sled itself: ignored');
          this.#selfKeys.add(peer);
        },
      }),
    });
    collector.on('failure', ({ peer, failure }) => {
      if (this.#selfKeys.has(peer)) return;
      this.#peerErrors.set(peer, {
        reason: failure.code,
        message: failure.message,
        at: new Date().toISOString(),
      });
      this.metrics.collectionError(peer, failure.code);
    });
    collector.on('share', ({ peer, outcome }) => {
      if (outcome === 'accepted') this.#peerErrors.delete(peer);
    });
    return collector;
  }

  #startServices(): void {
    const services = this.config.services;
    if (services.length === 0 || this.#stopping !== null) return;
    try {
      const supervisor = new ServiceSupervisor(services, { log: this.#log });
      supervisor.on('exit', (e: ServiceExitEvent) => {
        if (e.restartInMs !== null) this.metrics.serviceRestart(e.name);
      });
      this.#supervisor = supervisor;
      supervisor.start();
      this.#setState('services-started', null);
    } catch (e) {
      this.#fail(`services: ${message(e)}`);
    }
  }

  #fail(reason: string): void {
    this.#setState('failed', reason);
  }

  #setState(state: AgentState, reason: string | null): void {
    const from = this.#state;
    this.#state = state;
    this.#reason = reason;
    this.#since = new Date();
    this.metrics.setState(state);
    const fields = { state, from, ...(reason === null ? {} : { reason }) };
    if (state === 'failed') this.#log.error(fields, `agent ${state}: ${reason}`);
    else this.#log.info(fields, `agent ${state}`);
    this.emit('state', state, reason);
  }

  #syncMetrics(): void {
    this.#statsSync?.();
    this.metrics.setPeersKnown(this.#candidates().length);
  }

  /** A snapshot for `GET /status` (no secret: shares are counted, keys named by fingerprint). */
  status(): AgentStatus {
    const ledger = this.#ledger;
    const p = this.#progress;
    return {
      sledId: this.config.sledId,
      state: this.#state,
      since: this.#since.toISOString(),
      reason: this.#reason,
      rackId: ledger?.rackId ?? null,
      epoch: ledger?.epoch ?? null,
      shares: { held: p?.held ?? (ledger === null ? 0 : 1), needed: ledger?.threshold ?? null },
      peers: peerStatuses({
        candidates: this.#candidates(),
        progress: p,
        errors: this.#peerErrors,
        isSelf: (key) => this.#isSelf(key),
      }),
      disks: this.#disks,
      services: this.#supervisor?.status() ?? [],
      versions: {
        agent: AGENT_VERSION,
        node: process.versions.node,
        spdm: SUPPORTED_VERSIONS.map(versionName),
        ledgerFormat: LEDGER_FORMAT_VERSION,
      },
      uptimeSeconds: Math.round((Date.now() - this.#startedAt) / 1000),
    };
  }

  /**
   * Stops everything (see the module comment); resolves when all is down. Safe to call twice
   * and before start().
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    await this.#starting?.catch(() => {});
    if (this.#started) this.#setState('stopping', null);
    this.#work.abort(new TrustQuorumError('Aborted', 'agent stopping'));
    if (this.#statsTimer !== null) clearInterval(this.#statsTimer);
    if (this.#discoveryTimer !== null) clearTimeout(this.#discoveryTimer);
    await this.#participant?.close();
    await this.#server?.close();
    await this.#running?.catch(() => {});
    await this.#discovery?.close();
    await this.#supervisor?.stop();
    await this.#http?.close();
    this.#ledger?.zero();
    this.#log.info({}, 'agent stopped');
  }
}
