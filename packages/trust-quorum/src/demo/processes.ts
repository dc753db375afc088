/**
 * The demo's child processes: `tq agent` and `tq rack init`, each `node bin/tq.js ...` in its
 * own process group (so a Ctrl-C in the terminal reaches only the demo, which then stops them
 * in order). Every child is registered in a {@link ProcessGroup}, which can stop them all
 * (SIGTERM, then SIGKILL to the whole group after a grace period) and, as a last resort from a
 * process 'exit' handler, SIGKILL them synchronously.
 *
 * An agent's stderr is pino JSON; each `agent STATE` line becomes a `state` event (so no state
 * is missed between two status polls) and the last lines are kept for error messages.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** packages/trust-quorum/bin/tq.js */
export const TQ_BIN = fileURLToPath(new URL('../../bin/tq.js', import.meta.url));

const KEEP_LINES = 20;

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One `node bin/tq.js ARGS` child. Events: `line` (stream, text), `exit` (ExitInfo). */
export class TqProcess extends EventEmitter {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly startedAt = Date.now();
  readonly exited: Promise<ExitInfo>;
  #exit: ExitInfo | null = null;
  #stopping = false;
  readonly #last: string[] = [];

  constructor(
    readonly label: string,
    args: readonly string[],
  ) {
    super();
    this.child = spawn(process.execPath, [TQ_BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child.on('error', (e) => this.#last.push(`${label}: ${e.message}`));
    if (this.child.pid === undefined) throw new Error(`${label}: could not start ${process.execPath}`);
    this.pid = this.child.pid;
    // Exited once its stdio is closed too (so its last lines were read), or shortly after the
    // process exit if something else holds the pipes.
    this.exited = new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.#exit !== null) return;
        clearTimeout(timer);
        this.#exit = { code, signal };
        resolve(this.#exit);
        this.emit('exit', this.#exit);
      };
      this.child.once('exit', (code, signal) => {
        timer = setTimeout(() => finish(code, signal), 500);
      });
      this.child.once('close', finish);
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      const rl = createInterface({ input: this.child[stream]!, crlfDelay: Number.POSITIVE_INFINITY });
      rl.on('line', (line) => {
        if (stream === 'stderr') {
          this.#last.push(line);
          if (this.#last.length > KEEP_LINES) this.#last.shift();
        }
        this.emit('line', stream, line);
      });
    }
  }

  get alive(): boolean {
    return this.#exit === null;
  }

  get exit(): ExitInfo | null {
    return this.#exit;
  }

  /** We asked it to stop (an exit is expected). */
  get stopping(): boolean {
    return this.#stopping;
  }

  /**
   * The last stderr line worth showing: the newest line that is not JSON (e.g. `tq: ...`) or
   * warning/error `msg` of a pino line, else the last line's `msg`.
   */
  lastError(): string {
    for (let i = this.#last.length - 1; i >= 0; i--) {
      const line = this.#last[i]!.trim();
      if (line === '') continue;
      const j = parseJsonLine(line);
      if (j === null) return line;
      if (typeof j.level === 'number' && j.level >= 40 && typeof j.msg === 'string') return j.msg;
    }
    const tail = this.#last.at(-1);
    if (tail === undefined) return '';
    return parseJsonLine(tail)?.msg?.toString() ?? tail;
  }

  /** Sends `signal` to its process group (the process itself when the group is gone). */
  signal(signal: NodeJS.Signals): void {
    if (!this.alive) return;
    if (signal === 'SIGTERM' || signal === 'SIGINT') this.#stopping = true;
    try {
      process.kill(-this.pid, signal);
    } catch {
      try {
        this.child.kill(signal);
      } catch {
        // already gone
      }
    }
  }

  /**
   * SIGTERM, then SIGKILL to the group after `graceMs`. Resolves with how it ended and whether
   * it had to be killed.
   */
  async stop(graceMs: number): Promise<ExitInfo & { killed: boolean }> {
    this.#stopping = true;
    if (!this.alive) return { ...this.#exit!, killed: false };
    this.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => {
      timer = setTimeout(() => r('late'), graceMs);
    });
    const r = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (r !== 'late') return { ...r, killed: false };
    this.signal('SIGKILL');
    return { ...(await this.exited), killed: true };
  }
}

/** A pino JSON line, or null. */
export function parseJsonLine(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    const v = JSON.parse(line) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Every child the demo started, so that none outlives it. */
export class ProcessGroup {
  readonly #all = new Set<TqProcess>();
  /** Called with the live children's pids (= their process groups) after each spawn and exit. */
  onChange: ((pids: number[]) => void) | null = null;

  spawn(label: string, args: readonly string[]): TqProcess {
    const p = new TqProcess(label, args);
    this.#all.add(p);
    this.onChange?.(this.alive.map((x) => x.pid));
    void p.exited.then(() => {
      this.#all.delete(p);
      this.onChange?.(this.alive.map((x) => x.pid));
    });
    return p;
  }

  get alive(): TqProcess[] {
    return [...this.#all].filter((p) => p.alive);
  }

  /** Stops every child (SIGTERM, SIGKILL after `graceMs`); resolves when all have exited. */
  async stopAll(graceMs: number): Promise<void> {
    await Promise.all(this.alive.map((p) => p.stop(graceMs)));
  }

  /** SIGKILL to every child's group, synchronously (for a process 'exit' handler). */
  killAllNow(): void {
    for (const p of this.alive) p.signal('SIGKILL');
  }
}
