/**
 * Runs a command with a secret key on its stdin: the unlock hook and `cryptsetup` both go
 * through here. The command is an argv (spawned directly, no shell) or, only when configured
 * so, a shell string (`/bin/sh -c`). The key is written from a private copy, stdin is closed,
 * and the copy is zeroed once written. The command runs in its own process group so a timeout
 * or an abort reaches its children too: SIGTERM, then SIGKILL after a grace period.
 * stdout and stderr are captured up to a bound, and any copy of the key in them (raw bytes,
 * hex, base64) is redacted before they are returned: they are meant for logs.
 */
import { spawn } from 'node:child_process';

/** A command: argv (no shell) or a shell string run by `/bin/sh -c`. */
export type HookCommand = { readonly argv: readonly string[] } | { readonly shell: string };

export interface KeyCommandInit {
  readonly command: HookCommand;
  /** Added to the agent's environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Deadline for the whole run, in ms; default 60000. */
  readonly timeoutMs?: number;
  /** Between SIGTERM and SIGKILL, in ms; default 2000. */
  readonly killGraceMs?: number;
  /** Bytes kept of stdout and of stderr each; default 64 KiB. */
  readonly maxOutputBytes?: number;
  readonly signal?: AbortSignal;
}

export interface KeyCommandResult {
  /** Exit code, or null when killed by a signal or never started. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Why it never ran (`ENOENT`, `EACCES`, ...), when it did not start. */
  readonly spawnError: string | null;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly durationMs: number;
  /** Captured output, bounded and with the key redacted. */
  readonly stdout: string;
  readonly stderr: string;
  /** True when some output was dropped. */
  readonly truncated: boolean;
}

export const REDACTED = '[key redacted]';
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_KILL_GRACE_MS = 2000;
const DEFAULT_MAX_OUTPUT = 64 * 1024;
/** After exit, how long to wait for the pipes to close (a grandchild may hold them). */
const PIPE_LINGER_MS = 1000;

/** Collects a stream up to `max` bytes. */
class Capture {
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  truncated = false;
  constructor(readonly max: number) {}
  add(chunk: Buffer): void {
    const room = this.max - this.#kept;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const part = chunk.subarray(0, room);
    this.#chunks.push(Buffer.from(part));
    this.#kept += part.length;
  }
  take(): Buffer {
    const b = Buffer.concat(this.#chunks);
    for (const c of this.#chunks) c.fill(0);
    this.#chunks.length = 0;
    return b;
  }
}

function replaceAll(hay: Buffer, needle: Uint8Array, by: Buffer): Buffer {
  if (needle.length === 0) return hay;
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = hay.indexOf(needle, from); at >= 0; at = hay.indexOf(needle, from)) {
    parts.push(hay.subarray(from, at), by);
    from = at + needle.length;
  }
  if (from === 0) return hay;
  parts.push(hay.subarray(from));
  return Buffer.concat(parts);
}

/** Escapes the characters of hex and base64 text that mean something in a RegExp. */
function escapeRegExp(f: string): string {
  return f.replace(/[+/]/g, (c) => `\\${c}`);
}

/** Length of the longest prefix of `needle` (at least `min` long) that `hay` ends with. */
function trailingPrefix(hay: string, needle: string, min: number): number {
  for (let k = Math.min(needle.length - 1, hay.length); k >= min; k--) {
    if (hay.endsWith(needle.slice(0, k))) return k;
  }
  return 0;
}

/**
 * Removes every copy of `key` from captured output: raw bytes, hex (either case), base64 and
 * base64url; a truncated copy at the very end (output cut at the bound) is removed too.
 */
export function redactKey(output: Buffer, key: Uint8Array): string {
  if (key.length === 0) return output.toString('utf8');
  const k = Buffer.from(key);
  const mark = Buffer.from(REDACTED);
  let raw = replaceAll(output, k, mark);
  const rawCut = trailingPrefix(raw.toString('latin1'), k.toString('latin1'), 4);
  if (rawCut > 0) raw = Buffer.concat([raw.subarray(0, raw.length - rawCut), mark]);
  let text = raw.toString('utf8');
  const b64 = k.toString('base64');
  const forms = [k.toString('hex'), b64, b64.replace(/=+$/, ''), k.toString('base64url')];
  k.fill(0);
  for (const f of forms) {
    text = text.replace(new RegExp(escapeRegExp(f), 'gi'), REDACTED);
    const cut = trailingPrefix(text.toLowerCase(), f.toLowerCase(), 8);
    if (cut > 0) text = `${text.slice(0, text.length - cut)}${REDACTED}`;
  }
  return text;
}

function argvOf(command: HookCommand): { file: string; args: string[] } {
  if ('shell' in command) return { file: '/bin/sh', args: ['-c', command.shell] };
  const [file, ...args] = command.argv;
  if (file === undefined || file === '') throw new TypeError('empty command');
  return { file, args };
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Runs `init.command` with `key` on stdin. Resolves when the command has exited (whatever its
 * exit status: the caller judges it); never rejects for the command's own failures.
 * @throws TypeError when the command is empty.
 */
export function runWithKeyOnStdin(key: Uint8Array, init: KeyCommandInit): Promise<KeyCommandResult> {
  const { file, args } = argvOf(init.command);
  const timeoutMs = init.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const graceMs = init.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const out = new Capture(init.maxOutputBytes ?? DEFAULT_MAX_OUTPUT);
  const err = new Capture(init.maxOutputBytes ?? DEFAULT_MAX_OUTPUT);
  const copy = Buffer.from(key);
  const started = performance.now();
  return new Promise((resolvePromise) => {
    let timedOut = false;
    let aborted = false;
    let spawnError: string | null = null;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    const timers: NodeJS.Timeout[] = [];
    const child = spawn(file, args, {
      cwd: init.cwd,
      env: { ...process.env, ...init.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const stop = () => {
      killGroup(child.pid, 'SIGTERM');
      timers.push(setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs).unref());
    };
    const onAbort = () => {
      aborted = true;
      stop();
    };
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      init.signal?.removeEventListener('abort', onAbort);
      copy.fill(0);
      const o = out.take();
      const e = err.take();
      resolvePromise({
        code: exit?.code ?? null,
        signal: exit?.signal ?? null,
        spawnError,
        timedOut,
        aborted,
        durationMs: Math.round(performance.now() - started),
        stdout: redactKey(o, key),
        stderr: redactKey(e, key),
        truncated: out.truncated || err.truncated,
      });
      o.fill(0);
      e.fill(0);
    };
    child.stdout.on('data', (c: Buffer) => out.add(c));
    child.stderr.on('data', (c: Buffer) => err.add(c));
    child.stdin.on('error', () => {
      // EPIPE: the command exited without reading its key; its exit status says the rest.
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e.code ?? e.message;
      finish();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      timers.push(
        setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          finish();
        }, PIPE_LINGER_MS).unref(),
      );
    });
    child.on('close', finish);
    timers.push(
      setTimeout(() => {
        timedOut = true;
        stop();
      }, timeoutMs).unref(),
    );
    if (init.signal?.aborted) onAbort();
    else init.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdin.end(copy, () => copy.fill(0));
  });
}

/** One line saying how a run ended: "exited with code 2", "timed out after 5000 ms", ... */
export function describeExit(r: KeyCommandResult, timeoutMs: number): string {
  if (r.spawnError !== null) return `could not start (${r.spawnError})`;
  if (r.timedOut) return `timed out after ${timeoutMs} ms`;
  if (r.aborted) return 'aborted';
  if (r.signal !== null) return `killed by ${r.signal}`;
  return `exited with code ${r.code}`;
}

/** Last non-empty line of captured output, at most 200 characters (for error messages). */
export function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim());
  const last = lines.filter((l) => l.length > 0).pop() ?? '';
  return last.length > 200 ? `${last.slice(0, 200)}...` : last;
}
