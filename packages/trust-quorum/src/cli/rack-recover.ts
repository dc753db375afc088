/**
 * `tq rack recover`: disaster recovery from ledger files gathered by hand. Each file is read and
 * validated (its share against its own commitments), the files must agree on rack, epoch,
 * threshold and commitments, and at least `threshold` distinct shares are combined and checked
 * against commitment 0. Every failure names the file at fault. The result is the rack secret
 * (for its fingerprint) and, on request, storage keys.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isTrustQuorumError } from '../errors.js';
import { deriveStorageKey, type KeyHash, type StorageKey } from '../keys/index.js';
import { LEDGER_FILE_NAME, type Ledger, readLedgerFile } from '../ledger/index.js';
import { combine, type RackSecret } from '../rack-secret/index.js';
import { CliError } from './main.js';

export interface RecoverInit {
  /** Disks whose storage keys to derive. */
  readonly diskIds?: readonly string[];
  readonly hash?: KeyHash;
}

export interface RecoverResult {
  readonly rackId: string;
  readonly epoch: number;
  readonly threshold: number;
  readonly shares: number;
  readonly fingerprint: string;
  /** In the order of `diskIds`; the caller zeroes them. */
  readonly keys: readonly StorageKey[];
}

/** A directory stands for its ledger.json. */
async function ledgerPath(arg: string): Promise<string> {
  const p = resolve(arg);
  const st = await stat(p).catch(() => null);
  return st?.isDirectory() ? join(p, LEDGER_FILE_NAME) : p;
}

function agree(first: Ledger, firstFile: string, other: Ledger, file: string): void {
  const differs = (what: string) => new CliError(`${file}: ${what} differs from ${firstFile}`);
  if (other.rackId !== first.rackId) throw differs(`rack ${other.rackId}`);
  if (other.epoch !== first.epoch) throw differs(`epoch ${other.epoch}`);
  if (other.threshold !== first.threshold) throw differs(`threshold ${other.threshold}`);
  if (other.commitmentsHex().join() !== first.commitmentsHex().join()) throw differs('commitments');
  for (const [i, m] of other.members.entries()) {
    const f = first.members[i];
    if (f?.sledId !== m.sledId || f.certificate !== m.certificate) throw differs('member list');
  }
  if (other.members.length !== first.members.length) throw differs('member list');
}

async function readAll(files: readonly string[]): Promise<{ file: string; ledger: Ledger }[]> {
  const out: { file: string; ledger: Ledger }[] = [];
  try {
    for (const arg of files) {
      const file = await ledgerPath(arg);
      const seen = out.find((o) => o.file === file);
      if (seen !== undefined) throw new CliError(`${file}: given twice`);
      const ledger = await readLedgerFile(file);
      out.push({ file, ledger });
      const [first] = out;
      agree(first!.ledger, first!.file, ledger, file);
      const dup = out.find((o) => o.ledger !== ledger && o.ledger.share.x === ledger.share.x);
      if (dup !== undefined) throw new CliError(`${file}: share x=${ledger.share.x} duplicates ${dup.file}`);
    }
    return out;
  } catch (e) {
    for (const o of out) o.ledger.zero();
    if (isTrustQuorumError(e)) throw new CliError(e.message);
    throw e;
  }
}

function combineAll(loaded: readonly { file: string; ledger: Ledger }[]): RackSecret {
  const first = loaded[0]!.ledger;
  const k = first.threshold;
  if (loaded.length < k) {
    const files = loaded.map((l) => l.file).join(', ');
    throw new CliError(`need ${k} shares, have ${loaded.length}: ${files}`);
  }
  try {
    return combine(
      loaded.map((l) => l.ledger.share),
      first.commitments,
      k,
    );
  } catch (e) {
    if (isTrustQuorumError(e)) throw new CliError(e.message);
    throw e;
  }
}

/**
 * Recovers the rack secret from ledger files (or directories holding `ledger.json`).
 * @throws CliError, one line naming the file at fault: unreadable or invalid file, files that
 *   disagree, duplicate shares, fewer than threshold files, a share failing verification.
 */
export async function recover(files: readonly string[], init: RecoverInit = {}): Promise<RecoverResult> {
  if (files.length === 0) throw new CliError('no ledger files given');
  const loaded = await readAll(files);
  const first = loaded[0]!.ledger;
  try {
    const secret = combineAll(loaded);
    try {
      const keys = (init.diskIds ?? []).map((d) =>
        deriveStorageKey(secret, first.rackId, d, { hash: init.hash }),
      );
      return {
        rackId: first.rackId,
        epoch: first.epoch,
        threshold: first.threshold,
        shares: loaded.length,
        fingerprint: secret.fingerprint(),
        keys,
      };
    } finally {
      secret.zero();
    }
  } finally {
    for (const l of loaded) l.ledger.zero();
  }
}
