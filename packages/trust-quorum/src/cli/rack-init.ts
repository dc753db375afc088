/**
 * `tq rack init --pki DIR --threshold K --sled ID=HOST:PORT ... [--operator DIR] [--rack-id UUID]
 * [--epoch N] [--timeout MS]`: initializes a rack over SPDM (rack-init/coordinator.ts) from the
 * operator's machine: the members are the `--sled` ids (sled-N directories of the `tq pki init`
 * directory DIR, in sled-number order), the operator identity is `--operator` (default
 * DIR/operator), the trusted root DIR/root.pem.
 *
 * stdout, one line per event as it happens (ADDR is HOST:PORT):
 *   rack RACKID: epoch E, threshold K of N, secret fingerprint FP
 *   SLED ADDR: session open (SUBJECT)
 *   SLED ADDR: prepared
 *   SLED ADDR: FAILED at STEP (CODE): REASON          (STEP: connect, prepare or commit)
 *   all N sleds prepared
 *   SLED ADDR: committed
 *   rack RACKID initialized: N sleds committed
 * Exit 0 when every sled committed; 1 otherwise, with one line `tq: ...` on stderr saying which
 * sleds failed and whether any was committed; 2 usage error.
 *
 * Test hook (hidden): `--pause-before-commit` prints `paused before commit` after every sled
 * prepared, then waits for a line on stdin before committing (end of input: no commit).
 */
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parseHostPort } from '../discovery/address.js';
import { isTrustQuorumError } from '../errors.js';
import { UUID_PATTERN } from '../ledger/schema.js';
import { loadIdentity, loadTrustedRoot, PKI_FILES } from '../pki/index.js';
import { initRack, type RackInitEvent, type RackInitTarget } from '../rack-init/coordinator.js';
import { CliError } from './main.js';
import { readPkiMembers } from './rack-pki-dir.js';

export interface RackInitOptions {
  pki: string;
  threshold: number;
  sled: RackInitTarget[];
  operator?: string;
  rackId?: string;
  epoch: number;
  timeout: number;
  pauseBeforeCommit?: boolean;
}

function sledArg(v: string, previous: RackInitTarget[] = []): RackInitTarget[] {
  const eq = v.indexOf('=');
  if (eq < 1) throw new InvalidArgumentError('want ID=HOST:PORT, e.g. sled-1=127.0.0.1:4194.');
  const sledId = v.slice(0, eq);
  try {
    return [...previous, { sledId, ...parseHostPort(v.slice(eq + 1)) }];
  } catch (e) {
    throw new InvalidArgumentError(`${sledId}: ${(e as Error).message}.`);
  }
}

function intArg(name: string, min: number, max: number): (v: string) => number {
  return (v) => {
    if (!/^[0-9]+$/.test(v) || Number(v) < min || Number(v) > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
    }
    return Number(v);
  };
}

function uuidArg(v: string): string {
  const lower = v.toLowerCase();
  if (!UUID_PATTERN.test(lower))
    throw new InvalidArgumentError('want a UUID like 01234567-89ab-cdef-0123-456789abcdef.');
  return lower;
}

/** One progress line per event. */
export function formatRackInitEvent(e: RackInitEvent): string {
  switch (e.kind) {
    case 'started':
      return `rack ${e.rackId}: epoch ${e.epoch}, threshold ${e.threshold} of ${e.sleds}, secret fingerprint ${e.fingerprint}`;
    case 'connected':
      return `${e.sledId} ${e.address}: session open (${e.subject})`;
    case 'prepared':
      return `${e.sledId} ${e.address}: prepared`;
    case 'all-prepared':
      return `all ${e.sleds} sleds prepared`;
    case 'committed':
      return `${e.sledId} ${e.address}: committed`;
    case 'failed':
      return `${e.sledId} ${e.address}: FAILED at ${e.step} (${e.code}): ${e.reason}`;
  }
}

/** Waits for one line on stdin; rejects at the end of input. */
function lineFromStdin(): Promise<void> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin });
    let got = false;
    rl.once('line', () => {
      got = true;
      rl.close();
      resolve();
    });
    rl.once('close', () => {
      if (!got) reject(new Error('end of input'));
    });
  });
}

async function members(o: RackInitOptions) {
  if (o.sled.length < 2) throw new CliError('want at least two --sled ID=HOST:PORT', 2);
  const all = await readPkiMembers(o.pki);
  const named = new Set(o.sled.map((s) => s.sledId));
  for (const s of o.sled) {
    if (!all.some((m) => m.sledId === s.sledId))
      throw new CliError(`--sled ${s.sledId}: no ${join(o.pki, s.sledId)} in the PKI`);
  }
  return all.filter((m) => named.has(m.sledId));
}

export async function runRackInit(
  o: RackInitOptions,
  out: (t: string) => void = (t) => process.stdout.write(t),
): Promise<void> {
  const chosen = await members(o);
  try {
    const operator = loadIdentity(o.operator ?? join(o.pki, PKI_FILES.operatorDir));
    if (operator.role !== 'operator')
      throw new CliError(`${operator.dir}: not an operator identity (role ${operator.role})`);
    const trustedRoot = loadTrustedRoot(join(o.pki, PKI_FILES.rootCert));
    const r = await initRack({
      members: chosen,
      targets: o.sled,
      threshold: o.threshold,
      ...(o.rackId === undefined ? {} : { rackId: o.rackId }),
      epoch: o.epoch,
      operator: { certificates: operator.chainDer, privateKey: operator.privateKey },
      trustedRoot,
      timeoutMs: o.timeout,
      onProgress: (e) => out(`${formatRackInitEvent(e)}\n`),
      ...(o.pauseBeforeCommit === true
        ? {
            beforeCommit: () => {
              out('paused before commit\n');
              return lineFromStdin();
            },
          }
        : {}),
    });
    out(`rack ${r.rackId} initialized: ${r.committed.length} sleds committed\n`);
  } catch (e) {
    if (isTrustQuorumError(e)) throw new CliError(`rack init failed: ${e.message}`);
    if (e instanceof RangeError) throw new CliError(`rack init: ${e.message}`, 2);
    throw e;
  }
}

/** Adds `rack init` to the `rack` command group. */
export function registerRackInitCommand(rack: Command): void {
  rack
    .command('init')
    .description('initialize a rack over SPDM: send every sled its ledger (prepare), then commit')
    .showHelpAfterError(false)
    .requiredOption('--pki <dir>', 'a `tq pki init` directory (root.pem, sled-N/, operator/)')
    .requiredOption('--threshold <k>', 'shares needed to rebuild the secret', intArg('--threshold', 2, 255))
    .requiredOption(
      '--sled <id=host:port>',
      "a member and its agent's SPDM address (repeat for each sled)",
      sledArg,
    )
    .option('--operator <dir>', 'operator identity (default: PKI/operator)')
    .option('--rack-id <uuid>', 'rack id (default: a random UUID)', uuidArg)
    .addOption(
      new Option('--epoch <n>', 'configuration epoch')
        .default(1)
        .argParser(intArg('--epoch', 1, 0xffff_ffff)),
    )
    .addOption(
      new Option('--timeout <ms>', 'deadline of each connect and answer')
        .default(10_000)
        .argParser(intArg('--timeout', 1, 600_000)),
    )
    .addOption(new Option('--pause-before-commit').hideHelp())
    .action((o: RackInitOptions) => runRackInit(o));
}
