/**
 * Test helper for the `tq` command line: real child processes of
 * `node packages/trust-quorum/bin/tq.js ...` (output collected, exit awaited, the ones still
 * running stopped after the tests), waiting for a line such as `listening on 127.0.0.1:PORT`,
 * and `main()` run in this process with stdout, stderr and the exit code captured.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

/** The `tq` entry point. */
export const TQ_BIN = fileURLToPath(new URL('../../bin/tq.js', import.meta.url));
/** The repository root, the children's working directory. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** What a finished `tq` printed, and its exit code. */
export interface TqResult {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** A running `tq` child; `out` and `err` grow as it prints. */
export interface TqProc {
  readonly child: ChildProcess;
  out: string;
  err: string;
  /** Its exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  /** Its exit code and the signal that ended it, if any. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The `tq` children of one test file, so that they can all be stopped after the tests. */
export class TqProcesses {
  private readonly procs: TqProc[] = [];

  /** Starts `tq ...args`; with `stdin`, writes it and closes the child's stdin. */
  spawn(args: readonly string[], stdin?: string): TqProc {
    const child = spawn(process.execPath, [TQ_BIN, ...args], {
      cwd: REPO_ROOT,
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const p: TqProc = { child, out: '', err: '', exit, exited: exit.then((e) => e.code) };
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      p.out += d;
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      p.err += d;
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
    this.procs.push(p);
    return p;
  }

  /** Runs `tq ...args` to completion. */
  async run(args: readonly string[], stdin?: string): Promise<TqResult> {
    const p = this.spawn(args, stdin);
    const code = await p.exited;
    return { code, out: p.out, err: p.err };
  }

  /** Sends `signal` to every child still running, waits for all of them to exit, forgets them. */
  async stopAll(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    for (const p of this.procs.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
      await p.exited;
    }
  }
}

/**
 * Waits until `re` matches what `p` printed on stdout and returns the match.
 * @throws Error when `p` exits first or nothing matches within `timeout` ms.
 */
export async function untilOutput(p: TqProc, re: RegExp, timeout = 20_000): Promise<RegExpExecArray> {
  return vi.waitFor(
    () => {
      if (p.child.exitCode !== null) throw new Error(`tq exited early: ${p.err}`);
      const m = re.exec(p.out);
      if (!m) throw new Error(`no ${re} yet in: ${p.out} ${p.err}`);
      return m;
    },
    { timeout, interval: 50 },
  );
}

/** What `main()` printed, and the exit code it set. */
export interface TqRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `tq ...args` in this process through `main()`, capturing stdout, stderr and the exit code. */
export async function tqInProcess(...args: string[]): Promise<TqRun> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err += String(s);
    return true;
  });
  process.exitCode = 0;
  try {
    await main(['node', 'tq', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, out, err };
}
