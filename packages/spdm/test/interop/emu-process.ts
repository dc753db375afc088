/**
 * The interop runner's handling of DMTF's programs (spdm_responder_emu, spdm_requester_emu,
 * spdm_device_validator_sample): where they are, free loopback ports, starting one with its
 * output captured, waiting for it to listen or to exit, and stopping it by its own pid only.
 *
 * The emulators read their sample certificates relative to their working directory, so they run
 * with cwd = SPDM_EMU_BIN; the validator writes `test.log` into its working directory, so it runs
 * in a fresh temporary directory. Every run passes `--ip 127.0.0.1` and an explicit `--port`.
 * spdm_responder_emu prints nothing when it starts listening (without -v) and stops serving for
 * good when a client leaves without SHUTDOWN, so nobody probes it: our requester retries its
 * connect while the port refuses.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const EMU_PROGRAMS = [
  'spdm_responder_emu',
  'spdm_requester_emu',
  'spdm_device_validator_sample',
] as const;
export type EmuProgram = (typeof EMU_PROGRAMS)[number];

/** The programs missing from `bin`, if any. */
export function missingPrograms(bin: string): string[] {
  return EMU_PROGRAMS.filter((p) => !existsSync(join(bin, p)));
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface Running {
  readonly child: ChildProcess;
  readonly command: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (null after a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  /** Resolves with the exit code, or kills the process after `ms` and resolves with 'timeout'. */
  waitExit(ms: number): Promise<number | null | 'timeout'>;
  /** SIGTERM (then SIGKILL) to this process only; resolves once it has exited. */
  stop(): Promise<void>;
}

/** Starts `program` from `bin` with `args`, in `cwd` (default `bin`). */
export function start(bin: string, program: EmuProgram, args: readonly string[], cwd = bin): Running {
  const child = spawn(join(bin, program), [...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const add = (b: Buffer) => {
    if (out.length < 4 * 1024 * 1024) out += b.toString('latin1');
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (e) => {
      out += `\n[spawn error: ${e.message}]\n`;
      resolve(-1);
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(t);
  };
  return {
    child,
    command: `${program} ${args.join(' ')}`,
    output: () => out,
    exited,
    async waitExit(ms: number) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), ms);
      });
      const r = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (r === 'timeout') await stop();
      return r;
    },
    stop,
  };
}

/** The last lines of a program's output, for a failure message. */
export function tail(text: string, lines = 6): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .slice(-lines)
    .join(' | ');
}

/** Lines a libspdm emulator printed as errors ("ERROR: ..." in spdm-emu's EMU_ERR). */
export function emuErrors(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^ERROR\b/.test(l));
}
