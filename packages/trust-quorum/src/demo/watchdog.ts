/**
 * The demo's last line of defence against orphans: if the demo process dies without cleaning
 * up (SIGKILL, a crash that skips 'exit' handlers), a small detached shell loop notices within
 * a second, SIGKILLs the process groups of the agents still listed in DIR/.pgids and removes
 * the temp dir. The demo keeps that file current (live agents only, so no stale group id is
 * ever signalled) and, when it ends normally, removes the temp dir first (the watchdog then
 * does nothing) and kills the watchdog's own group.
 */
import { spawn } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * $1: the demo's pid, $2: the temp dir. POSIX sh: `kill -KILL "-$g"` signals process group g;
 * dash (Debian's /bin/sh) refuses `kill -KILL -- -g`, so no `--` here.
 */
export const WATCHDOG_SCRIPT = [
  'while kill -0 "$1" 2>/dev/null; do sleep 1; done',
  '[ -d "$2" ] || exit 0',
  'if [ -f "$2/.pgids" ]; then',
  '  while read -r g; do [ -n "$g" ] && kill -KILL "-$g" 2>/dev/null; done < "$2/.pgids"',
  'fi',
  'rm -rf -- "$2"',
].join('\n');

export class Watchdog {
  readonly #file: string;
  #pid: number | undefined;

  /** Starts watching this process for `dir`. */
  constructor(readonly dir: string) {
    this.#file = join(dir, '.pgids');
    writeFileSync(this.#file, '', { mode: 0o600 });
    const child = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'tq-demo-watchdog', String(process.pid), dir], {
      stdio: 'ignore',
      detached: true,
    });
    child.on('error', () => {}); // no /bin/sh: the demo's own cleanup still runs
    child.unref();
    this.#pid = child.pid;
  }

  /** The process groups to kill if the demo dies (written atomically). */
  update(pgids: readonly number[]): void {
    const tmp = `${this.#file}.tmp`;
    try {
      writeFileSync(tmp, pgids.map((g) => `${g}\n`).join(''), { mode: 0o600 });
      renameSync(tmp, this.#file);
    } catch {
      // the temp dir is being removed
    }
  }

  /** Ends the watchdog (its shell and its `sleep`). */
  stop(): void {
    if (this.#pid === undefined) return;
    try {
      process.kill(-this.#pid, 'SIGKILL');
    } catch {
      // already gone
    }
    this.#pid = undefined;
  }
}
