/**
 * The unlock hook: once the rack secret is rebuilt, each configured disk's storage key goes to
 * a command, once per disk, on stdin (e.g. `cryptsetup open --key-file=- /dev/sdb data0`).
 * The hook learns which disk from `{disk}` in its argv and `TQ_DISK_ID` in its environment
 * (with `TQ_SLED_ID` and `TQ_KEY_FINGERPRINT`, a fingerprint safe to log). Any exit status
 * other than 0, a timeout or a failure to start is a failure that names the disk. Output is
 * logged bounded and with the key redacted. The StorageKeys stay the caller's to zero.
 */
import { TrustQuorumError } from '../errors.js';
import type { StorageKey } from '../keys/index.js';
import { type Log, silentLog } from '../log.js';
import {
  describeExit,
  type HookCommand,
  type KeyCommandResult,
  lastLine,
  runWithKeyOnStdin,
} from './key-command.js';

/** Replaced by the disk id in every argv entry of the hook. */
export const DISK_PLACEHOLDER = '{disk}';

export interface UnlockHookInit {
  readonly command: HookCommand;
  /** Passed as TQ_SLED_ID. */
  readonly sledId: string;
  /** Per disk, in ms; default 60000. */
  readonly timeoutMs?: number;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Bytes of stdout and of stderr kept per run; default 64 KiB. */
  readonly maxOutputBytes?: number;
  readonly log?: Log;
}

export interface DiskUnlockResult {
  readonly diskId: string;
  /** StorageKey fingerprint (safe to print). */
  readonly fingerprint: string;
  readonly ok: boolean;
  /** One line, when not ok: how it ended and the hook's last line of stderr. */
  readonly error: string | null;
  readonly durationMs: number;
  readonly run: KeyCommandResult;
}

const DEFAULT_TIMEOUT_MS = 60_000;

function commandFor(command: HookCommand, diskId: string): HookCommand {
  if ('shell' in command) return command; // the disk id reaches a shell only through $TQ_DISK_ID
  return { argv: command.argv.map((a) => a.replaceAll(DISK_PLACEHOLDER, diskId)) };
}

function failureOf(r: KeyCommandResult, timeoutMs: number): string | null {
  if (r.code === 0 && r.spawnError === null && !r.timedOut && !r.aborted) return null;
  const tail = lastLine(r.stderr) || lastLine(r.stdout);
  return `unlock hook ${describeExit(r, timeoutMs)}${tail === '' ? '' : `: ${tail}`}`;
}

/**
 * Runs the hook for one disk. Never throws for the hook's failure: see `ok` and `error`.
 * @throws TypeError when the command is empty.
 */
export async function runUnlockHook(
  init: UnlockHookInit,
  key: StorageKey,
  signal?: AbortSignal,
): Promise<DiskUnlockResult> {
  const log = init.log ?? silentLog;
  const timeoutMs = init.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const fingerprint = key.fingerprint();
  const run = await runWithKeyOnStdin(key.expose(), {
    command: commandFor(init.command, key.diskId),
    env: {
      ...init.env,
      TQ_DISK_ID: key.diskId,
      TQ_SLED_ID: init.sledId,
      TQ_KEY_FINGERPRINT: fingerprint,
    },
    cwd: init.cwd,
    timeoutMs,
    maxOutputBytes: init.maxOutputBytes,
    signal,
  });
  const error = failureOf(run, timeoutMs);
  const fields = {
    disk: key.diskId,
    fingerprint,
    code: run.code,
    signal: run.signal,
    durationMs: run.durationMs,
    stdout: run.stdout,
    stderr: run.stderr,
    truncated: run.truncated,
  };
  if (error === null) log.info(fields, `unlock hook succeeded for disk ${key.diskId}`);
  else log.error(fields, `disk ${key.diskId}: ${error}`);
  return { diskId: key.diskId, fingerprint, ok: error === null, error, durationMs: run.durationMs, run };
}

/**
 * Runs the hook for every key, one after the other (all of them, even after a failure, so the
 * status shows every disk). `onResult` sees each result as it comes.
 * @throws TrustQuorumError UnlockFailed naming every disk whose hook failed, with the reason.
 */
export async function unlockDisks(
  init: UnlockHookInit,
  keys: readonly StorageKey[],
  signal?: AbortSignal,
  onResult?: (r: DiskUnlockResult) => void,
): Promise<DiskUnlockResult[]> {
  const results: DiskUnlockResult[] = [];
  for (const key of keys) {
    if (signal?.aborted) throw new TrustQuorumError('Aborted', 'unlock aborted');
    const r = await runUnlockHook(init, key, signal);
    results.push(r);
    onResult?.(r);
  }
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    const what = failed.map((r) => `disk ${r.diskId}: ${r.error}`).join('; ');
    throw new TrustQuorumError('UnlockFailed', `unlock failed for ${what}`);
  }
  return results;
}
