/**
 * What the demo knows about each sled: its agent process (or none), its state, shares held and
 * needed, how long it took to unlock, its disk key's fingerprint and which peers it is waiting
 * for. States come from the agent's log lines (every transition, in order); shares and peers
 * from polling its `GET /status`. Every change emits `change`; {@link DemoSleds.waitFor} waits
 * on those with a deadline and fails, naming the sled and its last status, when the deadline
 * passes, the sled fails, an agent exits on its own, or the demo is interrupted.
 */
import { EventEmitter } from 'node:events';
import { request } from 'node:http';
import type { AgentState, AgentStatus } from '../http/status.js';
import { type ExitInfo, type ProcessGroup, parseJsonLine, type TqProcess } from './processes.js';
import type { DemoRack, DemoSled } from './rack-setup.js';

export type ProcState = 'stopped' | 'starting' | 'running' | 'stopping';

export interface SledView {
  readonly sledId: string;
  readonly proc: ProcState;
  readonly pid: number | null;
  /** Agent state (null before its first log line). */
  readonly state: AgentState | null;
  readonly reason: string | null;
  readonly held: number;
  readonly needed: number | null;
  /** Date.now() when its process was spawned. */
  readonly startedAt: number | null;
  /** What its unlock time counts from: its process start, or the rack init commit. */
  readonly clockFrom: number | null;
  readonly clockFromCommit: boolean;
  /** Date.now() when it began collecting shares. */
  readonly collectingAt: number | null;
  /** From `clockFrom` to `unlocked`, in ms (this run). */
  readonly unlockedAfterMs: number | null;
  /** From `collecting` to `unlocked` (share collection, rebuilding, the unlock hook), in ms. */
  readonly collectMs: number | null;
  /** Fingerprint of its disk key (this run), as the unlock hook got it. */
  readonly keyFingerprint: string | null;
  /** Peers (sled ids, or addresses) it holds no share of and last failed to reach. */
  readonly waitingFor: readonly string[];
  /** How its last process ended. */
  readonly lastExit: ExitInfo | null;
}

/** The demo failed: one line, naming the sled. */
export class DemoError extends Error {
  override readonly name = 'DemoError';
}

const POLL_MS = 200;
const HTTP_TIMEOUT_MS = 1500;
const MAX_STATUS_BYTES = 1 << 20;

/** GET /status on 127.0.0.1:port, no keep-alive; null when it does not answer. */
export function getStatus(port: number): Promise<AgentStatus | null> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/status', agent: false, timeout: HTTP_TIMEOUT_MS },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
          if (body.length > MAX_STATUS_BYTES) req.destroy();
        });
        res.on('end', () => {
          try {
            resolve(res.statusCode === 200 ? (JSON.parse(body) as AgentStatus) : null);
          } catch {
            resolve(null);
          }
        });
        res.on('error', () => resolve(null));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

interface Entry {
  readonly spec: DemoSled;
  view: SledView;
  proc: TqProcess | null;
  polling: boolean;
}

function initialView(sledId: string): SledView {
  return {
    sledId,
    proc: 'stopped',
    pid: null,
    state: null,
    reason: null,
    held: 0,
    needed: null,
    startedAt: null,
    clockFrom: null,
    clockFromCommit: false,
    collectingAt: null,
    unlockedAfterMs: null,
    collectMs: null,
    keyFingerprint: null,
    waitingFor: [],
    lastExit: null,
  };
}

/** One line about where a sled stands, for error messages. */
export function describeSled(v: SledView): string {
  if (v.proc === 'stopped') {
    const e = v.lastExit;
    return e === null ? 'not running' : `not running (exited ${e.signal ?? `with code ${e.code}`})`;
  }
  const shares = v.needed === null ? '' : ` ${v.held}/${v.needed}`;
  const waiting = v.waitingFor.length > 0 ? `, waiting for ${v.waitingFor.join(', ')}` : '';
  const reason = v.reason !== null && v.state === 'failed' ? `: ${v.reason}` : '';
  return `${v.state ?? v.proc}${shares}${reason}${waiting} (pid ${v.pid})`;
}

export const DONE: ReadonlySet<AgentState | null> = new Set(['unlocked', 'services-started']);

/** The sleds of the demo rack and their agent processes. Events: `change` (SledView). */
export class DemoSleds extends EventEmitter {
  readonly #entries = new Map<string, Entry>();
  readonly #byPort = new Map<number, string>();
  #failure: DemoError | null = null;
  readonly #timer: NodeJS.Timeout;

  constructor(
    readonly rack: DemoRack,
    readonly group: ProcessGroup,
  ) {
    super();
    for (const s of rack.sleds) {
      this.#entries.set(s.sledId, { spec: s, view: initialView(s.sledId), proc: null, polling: false });
      this.#byPort.set(s.spdmPort, s.sledId);
    }
    this.#timer = setInterval(() => this.#pollAll(), POLL_MS);
  }

  get ids(): string[] {
    return [...this.#entries.keys()];
  }

  views(): SledView[] {
    return [...this.#entries.values()].map((e) => e.view);
  }

  view(id: string): SledView {
    return this.#entry(id).view;
  }

  spec(id: string): DemoSled {
    return this.#entry(id).spec;
  }

  /** Ids of sleds with a live agent process. */
  running(): string[] {
    return this.views()
      .filter((v) => v.proc !== 'stopped')
      .map((v) => v.sledId);
  }

  /** Stops polling (the processes are the ProcessGroup's). */
  close(): void {
    clearInterval(this.#timer);
  }

  /** An agent exited on its own, or some other unrecoverable problem; null while all is well. */
  get failure(): DemoError | null {
    return this.#failure;
  }

  #entry(id: string): Entry {
    const e = this.#entries.get(id);
    if (e === undefined) throw new TypeError(`no sled ${id}`);
    return e;
  }

  #update(e: Entry, patch: Partial<SledView>): void {
    e.view = { ...e.view, ...patch };
    this.emit('change', e.view);
  }

  /** Starts the agents of `ids` (each `tq agent --config FILE`). */
  start(ids: readonly string[]): void {
    for (const id of ids) {
      const e = this.#entry(id);
      if (e.proc?.alive) throw new TypeError(`${id} is already running`);
      const p = this.group.spawn(id, ['agent', '--config', e.spec.config]);
      e.proc = p;
      this.#update(e, {
        ...initialView(id),
        proc: 'starting',
        pid: p.pid,
        startedAt: p.startedAt,
        clockFrom: p.startedAt,
        lastExit: null,
      });
      p.on('line', (stream: string, line: string) => this.#onLine(e, p, stream, line));
      p.on('exit', (x: ExitInfo) => this.#onExit(e, p, x));
    }
  }

  #onLine(e: Entry, p: TqProcess, stream: string, line: string): void {
    if (e.proc !== p) return;
    if (stream === 'stdout') {
      if (line.startsWith(`agent ${e.spec.sledId} started:`)) this.#update(e, { proc: 'running' });
      return;
    }
    const j = parseJsonLine(line);
    if (j === null) return;
    const msg = typeof j.msg === 'string' ? j.msg : '';
    if (typeof j.state === 'string' && msg.startsWith('agent ')) {
      const state = j.state as AgentState;
      const reason = typeof j.reason === 'string' ? j.reason : null;
      const patch: { -readonly [K in keyof SledView]?: SledView[K] } = { state, reason };
      const now = Date.now();
      if (state === 'unlocked') {
        patch.unlockedAfterMs = now - (e.view.clockFrom ?? p.startedAt);
        patch.collectMs = e.view.collectingAt === null ? null : now - e.view.collectingAt;
        if (e.view.needed !== null) patch.held = e.view.needed;
      }
      if (state === 'collecting') {
        patch.held = Math.max(e.view.held, 1);
        patch.collectingAt = now;
        if (e.view.state === 'awaiting-init') {
          patch.clockFrom = now;
          patch.clockFromCommit = true;
        }
      }
      this.#update(e, patch);
      if (state === 'collecting' || state === 'unlocked') void this.#poll(e);
    } else if (msg.startsWith('unlock hook succeeded') && typeof j.fingerprint === 'string') {
      this.#update(e, { keyFingerprint: j.fingerprint });
    }
  }

  #onExit(e: Entry, p: TqProcess, x: ExitInfo): void {
    if (e.proc !== p) return;
    e.proc = null;
    this.#update(e, { proc: 'stopped', lastExit: x, waitingFor: [] });
    if (!p.stopping && this.#failure === null) {
      const how = x.signal ?? `with code ${x.code}`;
      const why = p.lastError();
      this.#failure = new DemoError(
        `${e.spec.sledId} exited on its own (${how})${why ? `; last logged: ${why}` : ''}`,
      );
      this.emit('change', e.view);
    }
  }

  #pollAll(): void {
    for (const e of this.#entries.values()) {
      if (e.proc === null || e.polling) continue;
      void this.#poll(e);
    }
  }

  async #poll(e: Entry): Promise<void> {
    const p = e.proc;
    if (p === null || e.polling) return;
    e.polling = true;
    try {
      const s = await getStatus(e.spec.httpPort);
      if (s === null || e.proc !== p || s.sledId !== e.spec.sledId) return;
      const waitingFor = s.peers
        .filter((peer) => !peer.shareReceived && peer.lastError !== null)
        .map((peer) => peer.sledId ?? this.#byPort.get(Number(peer.address.split(':').pop())) ?? peer.address)
        .sort();
      const patch: { -readonly [K in keyof SledView]?: SledView[K] } = {
        held: s.shares.held,
        needed: s.shares.needed,
        waitingFor,
      };
      if (DONE.has(e.view.state) && s.shares.needed !== null)
        patch.held = Math.max(s.shares.held, s.shares.needed);
      const fp = s.disks[0]?.fingerprint;
      if (fp !== undefined && e.view.keyFingerprint === null) patch.keyFingerprint = fp;
      const v = e.view;
      const same =
        v.held === patch.held &&
        v.needed === patch.needed &&
        v.waitingFor.join() === waitingFor.join() &&
        (patch.keyFingerprint === undefined || patch.keyFingerprint === v.keyFingerprint);
      if (!same) this.#update(e, patch);
    } finally {
      e.polling = false;
    }
  }

  /**
   * Stops the agents of `ids` (SIGTERM; SIGKILL after `graceMs`).
   * @throws DemoError naming a sled that needed SIGKILL or did not exit with code 0.
   */
  async stop(ids: readonly string[], graceMs: number): Promise<void> {
    const procs = ids.map((id) => [id, this.#entry(id)] as const).filter(([, e]) => e.proc !== null);
    for (const [, e] of procs) this.#update(e, { proc: 'stopping' });
    const results = await Promise.all(
      procs.map(async ([id, e]) => [id, await e.proc!.stop(graceMs)] as const),
    );
    for (const [id, r] of results) {
      if (r.killed) throw new DemoError(`${id} did not stop within ${graceMs} ms of SIGTERM (killed)`);
      if (r.code !== 0) throw new DemoError(`${id} exited ${r.signal ?? `with code ${r.code}`} on SIGTERM`);
    }
  }

  /**
   * Resolves after `ms` during which `pred` held for every sled of `ids` throughout.
   * @throws DemoError as soon as it does not (naming the sled and what it became), when an
   *   agent exits on its own, or when `signal` aborts.
   */
  holds(
    ids: readonly string[],
    pred: (v: SledView) => boolean,
    what: string,
    ms: number,
    signal?: AbortSignal,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.#failure !== null) return done(this.#failure);
        if (signal?.aborted) return done(signal.reason as Error);
        const broke = ids.map((id) => this.view(id)).find((v) => !pred(v));
        if (broke !== undefined)
          done(new DemoError(`${broke.sledId}: ${what}, but now ${describeSled(broke)}`));
      };
      const timer = setTimeout(() => done(null), ms);
      const onAbort = () => check();
      const done = (err: Error | null) => {
        clearTimeout(timer);
        this.off('change', check);
        signal?.removeEventListener('abort', onAbort);
        if (err === null) resolve();
        else reject(err);
      };
      this.on('change', check);
      signal?.addEventListener('abort', onAbort, { once: true });
      check();
    });
  }

  /**
   * Resolves once `pred` holds for every sled of `ids`.
   * @throws DemoError at the deadline (naming the first sled not there and its last status), when
   *   one of them fails or an agent exits on its own, or when `signal` aborts.
   */
  waitFor(
    ids: readonly string[],
    pred: (v: SledView) => boolean,
    what: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.#failure !== null) return done(this.#failure);
        if (signal?.aborted) return done(signal.reason as Error);
        const views = ids.map((id) => this.view(id));
        if (views.every(pred)) return done(null);
        const failed = views.find((v) => v.state === 'failed');
        if (failed !== undefined)
          return done(new DemoError(`${failed.sledId} failed: ${failed.reason ?? '?'}`));
      };
      const onTimeout = () => {
        const late = ids.map((id) => this.view(id)).find((v) => !pred(v));
        const who = late === undefined ? ids.join(', ') : `${late.sledId} (last: ${describeSled(late)})`;
        done(new DemoError(`not ${what} within ${timeoutMs / 1000} s: ${who}`));
      };
      const timer = setTimeout(onTimeout, timeoutMs);
      const onAbort = () => check();
      const done = (err: Error | null) => {
        clearTimeout(timer);
        this.off('change', check);
        signal?.removeEventListener('abort', onAbort);
        if (err === null) resolve();
        else reject(err);
      };
      this.on('change', check);
      signal?.addEventListener('abort', onAbort, { once: true });
      check();
    });
  }
}
