/**
 * What the agent does with the rack secret: derive the storage key of every configured disk
 * (keys/, HKDF with the rack id as salt), run the unlock hook once per key (unlock/), and zero
 * every key whatever happens. The secret itself stays the caller's to zero.
 */
import type { DiskStatus } from '../http/status.js';
import { deriveStorageKey, type StorageKey } from '../keys/index.js';
import type { Log } from '../log.js';
import type { RackSecret } from '../rack-secret/rack-secret.js';
import { type DiskUnlockResult, unlockDisks } from '../unlock/index.js';
import type { UnlockConfig } from './config.js';

export interface UnlockStepInit {
  readonly sledId: string;
  readonly rackId: string;
  readonly unlock: UnlockConfig;
  /** Working directory of the hook (the config file's directory). */
  readonly cwd: string;
  readonly log: Log;
  readonly signal: AbortSignal;
  /** Told of each disk's result as it comes. */
  readonly onDisk: (disk: DiskStatus, result: DiskUnlockResult) => void;
}

/**
 * Derives the keys and runs the hook for each (nothing when no disk is configured).
 * @throws TrustQuorumError UnlockFailed naming every disk whose hook failed, Aborted.
 */
export async function unlockWithSecret(secret: RackSecret, init: UnlockStepInit): Promise<void> {
  const { unlock } = init;
  if (unlock.hook === null || unlock.disks.length === 0) return;
  const keys: StorageKey[] = [];
  try {
    for (const d of unlock.disks) keys.push(deriveStorageKey(secret, init.rackId, d, { hash: unlock.hash }));
    await unlockDisks(
      {
        command: unlock.hook,
        sledId: init.sledId,
        timeoutMs: unlock.timeoutMs,
        cwd: init.cwd,
        log: init.log,
      },
      keys,
      init.signal,
      (r) => init.onDisk({ diskId: r.diskId, fingerprint: r.fingerprint, ok: r.ok, error: r.error }, r),
    );
  } finally {
    for (const k of keys) k.zero();
  }
}
