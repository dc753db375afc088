/**
 * Starts the configured services once the sled is unlocked and keeps them running:
 * each is spawned (argv, no shell) in its own process group; when it exits, its restart policy
 * decides (always / on-failure / never) and a restart waits a backoff that doubles after each
 * quick failure (a run of 10 s or more, and no shorter than the maximum delay, resets it). `stop()` cancels pending
 * restarts, sends SIGTERM to every group, SIGKILL after the service's grace period, and
 * resolves with each service's final status. Output goes to the log, line by line, bounded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { type Log, silentLog } from '../log.js';

export type RestartPolicy = 'always' | 'on-failure' | 'never';

export interface ServiceSpec {
  readonly name: string;
  /** argv: program then arguments; no shell. */
  readonly command: readonly string[];
  /** Added to the agent's environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly restart: RestartPolicy;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  /** Between SIGTERM and SIGKILL on stop, in ms. */
  readonly stopGraceMs: number;
}

export type ServiceState = 'starting' | 'running' | 'backoff' | 'exited' | 'stopping' | 'stopped';

export interface ServiceExit {
  /** Exit code, or null when killed by a signal or it never started. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Why it never started (ENOENT, EACCES, ...). */
  readonly spawnError: string | null;
  /** ISO time. */
  readonly at: string;
  readonly runMs: number;
}

export interface ServiceStatus {
  readonly name: string;
  readonly state: ServiceState;
  readonly pid: number | null;
  /** Restarts so far. */
  readonly restarts: number;
  readonly lastExit: ServiceExit | null;
  /** ISO time of the next start while in backoff. */
  readonly nextStartAt: string | null;
}

export interface ServiceExitEvent {
  readonly name: string;
  readonly exit: ServiceExit;
  /** Delay before the restart, or null when it is not restarted. */
  readonly restartInMs: number | null;
}

export interface SupervisorInit {
  readonly log?: Log;
  /** Longest output line logged (longer ones are cut), in bytes; default 4096. */
  readonly maxLineBytes?: number;
}

interface Entry {
  readonly spec: ServiceSpec;
  state: ServiceState;
  child: ChildProcess | null;
  startedAt: number;
  restarts: number;
  failuresInARow: number;
  lastExit: ServiceExit | null;
  timer: NodeJS.Timeout | null;
  nextStartAt: number | null;
  exited: Promise<void> | null;
}

/** A run at least this long (and at least the maximum delay) resets the backoff. */
export const HEALTHY_RUN_MS = 10_000;

/** The backoff delay after `failures` quick failures in a row (1, 2, ...). */
export function backoffDelay(backoff: ServiceSpec['backoff'], failures: number): number {
  const exp = Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** exp);
}

function shouldRestart(policy: RestartPolicy, exit: ServiceExit): boolean {
  if (policy === 'always') return true;
  if (policy === 'never') return false;
  return exit.code !== 0;
}

/** Logs a stream line by line, cutting long lines. */
function logLines(stream: Readable, max: number, emit: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      emit(pending.slice(0, Math.min(nl, max)));
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
    }
    if (pending.length > max) {
      emit(pending.slice(0, max));
      pending = '';
    }
  });
  stream.on('end', () => {
    if (pending !== '') emit(pending);
  });
}

/**
 * Supervises a set of services. Events: `spawn` (name, pid), `exit` ({@link ServiceExitEvent}).
 */
export class ServiceSupervisor extends EventEmitter {
  readonly #entries: Entry[];
  readonly #log: Log;
  readonly #maxLine: number;
  #stopping = false;

  /** @throws RangeError when two services share a name or a command is empty. */
  constructor(specs: readonly ServiceSpec[], init: SupervisorInit = {}) {
    super();
    const names = new Set<string>();
    for (const s of specs) {
      if (names.has(s.name)) throw new RangeError(`service name used twice: ${s.name}`);
      if (s.command.length === 0 || s.command[0] === '')
        throw new RangeError(`service ${s.name}: empty command`);
      names.add(s.name);
    }
    this.#entries = specs.map((spec) => ({
      spec,
      state: 'stopped',
      child: null,
      startedAt: 0,
      restarts: 0,
      failuresInARow: 0,
      lastExit: null,
      timer: null,
      nextStartAt: null,
      exited: null,
    }));
    this.#log = init.log ?? silentLog;
    this.#maxLine = init.maxLineBytes ?? 4096;
  }

  /** Starts every service, in order. @throws TypeError after stop(). */
  start(): void {
    if (this.#stopping) throw new TypeError('ServiceSupervisor: start() after stop()');
    for (const e of this.#entries) if (e.state === 'stopped' && e.child === null) this.#spawn(e);
  }

  /** Current state of every service, in config order. */
  status(): ServiceStatus[] {
    return this.#entries.map((e) => ({
      name: e.spec.name,
      state: e.state,
      pid: e.child?.pid ?? null,
      restarts: e.restarts,
      lastExit: e.lastExit,
      nextStartAt: e.nextStartAt === null ? null : new Date(e.nextStartAt).toISOString(),
    }));
  }

  #spawn(e: Entry): void {
    const { spec } = e;
    e.state = 'starting';
    e.timer = null;
    e.nextStartAt = null;
    e.startedAt = Date.now();
    const [file, ...args] = spec.command;
    const child = spawn(file!, args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    e.child = child;
    let spawnError: string | null = null;
    e.exited = new Promise((resolveExit) => {
      const settle = (code: number | null, signal: NodeJS.Signals | null) => {
        if (e.child !== child) return;
        e.child = null;
        this.#onExit(e, {
          code,
          signal,
          spawnError,
          at: new Date().toISOString(),
          runMs: Date.now() - e.startedAt,
        });
        resolveExit();
      };
      child.on('error', (err: NodeJS.ErrnoException) => {
        spawnError = err.code ?? err.message;
        if (child.pid === undefined) settle(null, null);
      });
      child.on('exit', settle);
    });
    child.on('spawn', () => {
      if (e.child !== child) return;
      if (e.state === 'starting') e.state = 'running';
      this.#log.info({ service: spec.name, pid: child.pid }, `service ${spec.name} started`);
      this.emit('spawn', spec.name, child.pid);
    });
    const emit = (stream: string) => (line: string) =>
      this.#log.info({ service: spec.name, stream }, `${spec.name}: ${line}`);
    logLines(child.stdout!, this.#maxLine, emit('stdout'));
    logLines(child.stderr!, this.#maxLine, emit('stderr'));
  }

  #onExit(e: Entry, exit: ServiceExit): void {
    e.lastExit = exit;
    const { spec } = e;
    const restart = !this.#stopping && shouldRestart(spec.restart, exit);
    if (exit.runMs >= Math.max(spec.backoff.maxMs, HEALTHY_RUN_MS)) e.failuresInARow = 0;
    let delay: number | null = null;
    if (restart) {
      e.failuresInARow += 1;
      delay = backoffDelay(spec.backoff, e.failuresInARow);
      e.state = 'backoff';
      e.nextStartAt = Date.now() + delay;
      e.timer = setTimeout(() => {
        e.restarts += 1;
        this.#spawn(e);
      }, delay);
    } else {
      e.state = this.#stopping ? 'stopped' : 'exited';
    }
    const fields = { service: spec.name, ...exit, restartInMs: delay };
    const how = exit.spawnError ?? (exit.signal !== null ? `signal ${exit.signal}` : `code ${exit.code}`);
    const msg = `service ${spec.name} exited (${how})${delay === null ? '' : `, restart in ${delay} ms`}`;
    if (exit.code === 0 || this.#stopping) this.#log.info(fields, msg);
    else this.#log.warn(fields, msg);
    this.emit('exit', { name: spec.name, exit, restartInMs: delay } satisfies ServiceExitEvent);
  }

  /**
   * Stops everything: no more restarts; SIGTERM to each running service's process group,
   * SIGKILL after its grace period. Safe to call twice.
   * @returns the final status of every service.
   */
  async stop(): Promise<ServiceStatus[]> {
    this.#stopping = true;
    const waits: Promise<void>[] = [];
    for (const e of this.#entries) {
      if (e.timer !== null) clearTimeout(e.timer);
      e.timer = null;
      e.nextStartAt = null;
      const child = e.child;
      if (child === null || child.pid === undefined) {
        if (e.state !== 'exited') e.state = 'stopped';
        continue;
      }
      e.state = 'stopping';
      signalGroup(child.pid, 'SIGTERM');
      const kill = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), e.spec.stopGraceMs);
      waits.push(e.exited!.finally(() => clearTimeout(kill)));
    }
    await Promise.all(waits);
    return this.status();
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}
