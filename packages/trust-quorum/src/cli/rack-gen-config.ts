/**
 * `tq rack gen-config`: the offline generator of the original design. Makes a rack secret,
 * splits it with threshold k among the sleds of a `tq pki init` directory, and writes one
 * ledger per sled to `OUT/sled-N/ledger.json`. Prints the rack id and the secret's fingerprint;
 * the secret itself is never written, and every copy in memory is zeroed before returning.
 */
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LEDGER_FILE_NAME, Ledger, writeLedger } from '../ledger/index.js';
import { split } from '../rack-secret/index.js';
import { CliError } from './main.js';
import { readPkiMembers } from './rack-pki-dir.js';

export interface GenConfigInit {
  readonly pki: string;
  readonly threshold: number;
  readonly out: string;
  /** Default: a fresh random UUID. */
  readonly rackId?: string;
  /** Default 1. */
  readonly epoch?: number;
  /** Overwrite existing ledgers in OUT. */
  readonly force?: boolean;
}

export interface GenConfigResult {
  readonly rackId: string;
  readonly fingerprint: string;
  readonly threshold: number;
  /** Ledger files written, in sled order. */
  readonly files: readonly { sledId: string; file: string; x: number }[];
}

async function refuseOverwrite(files: readonly string[]): Promise<void> {
  const present: string[] = [];
  for (const f of files) if ((await stat(f).catch(() => null)) !== null) present.push(f);
  if (present.length > 0) {
    throw new CliError(`refusing to overwrite existing ledgers (use --force): ${present.join(', ')}`);
  }
}

/**
 * Generates and writes the ledgers.
 * @throws CliError on a bad PKI directory, a threshold above the number of sleds, existing
 *   ledgers without `force`; TrustQuorumError LedgerWrite when a file cannot be written.
 */
export async function genConfig(init: GenConfigInit): Promise<GenConfigResult> {
  const members = await readPkiMembers(init.pki);
  const n = members.length;
  const k = init.threshold;
  if (n < 2 || n > 255) throw new CliError(`${init.pki}: ${n} sleds; want 2 to 255`);
  if (k < 2 || k > n) throw new CliError(`threshold ${k} impossible with ${n} sleds (want 2..${n})`);
  const rackId = (init.rackId ?? randomUUID()).toLowerCase();
  const targets = members.map((m) => ({ sledId: m.sledId, dir: join(init.out, m.sledId) }));
  if (init.force !== true) await refuseOverwrite(targets.map((t) => join(t.dir, LEDGER_FILE_NAME)));

  const { secret, commitments, shares } = split(undefined, n, k);
  const fingerprint = secret.fingerprint();
  secret.zero();
  const files: { sledId: string; file: string; x: number }[] = [];
  try {
    for (const [i, t] of targets.entries()) {
      const share = shares[i]!;
      const ledger = new Ledger({
        rackId,
        epoch: init.epoch ?? 1,
        threshold: k,
        members,
        commitments,
        share,
      });
      const written = await writeLedger([t.dir], ledger);
      written.zero();
      files.push({ sledId: t.sledId, file: join(t.dir, LEDGER_FILE_NAME), x: share.x });
    }
  } finally {
    for (const s of shares) s.zero();
  }
  return { rackId, fingerprint, threshold: k, files };
}
