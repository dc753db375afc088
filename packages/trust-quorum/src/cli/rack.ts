/**
 * `tq rack ...`: tools for the rack secret.
 *   init        initialize a rack over SPDM from the operator's machine (rack-init.ts)
 *   gen-config  make a rack secret and write one ledger per sled of a `tq pki init` directory
 *   recover     rebuild the rack secret from ledger files gathered by hand
 * Output names files, the rack id and fingerprints; storage keys only with --print-keys, after
 * a warning on stderr. Usage errors exit 2, failures exit 1 with one line naming the file.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { isTrustQuorumError } from '../errors.js';
import type { KeyHash } from '../keys/index.js';
import { UUID_PATTERN } from '../ledger/schema.js';
import { CliError } from './main.js';
import { genConfig } from './rack-gen-config.js';
import { registerRackInitCommand } from './rack-init.js';
import { recover } from './rack-recover.js';

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

interface GenConfigOptions {
  pki: string;
  threshold: number;
  out: string;
  rackId?: string;
  epoch: number;
  force?: boolean;
}

interface RecoverOptions {
  printKeys?: string[];
  hash: KeyHash;
}

/** TrustQuorumErrors (ledger writes) become one-line CLI failures. */
async function asCli<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (isTrustQuorumError(e)) throw new CliError(e.message);
    throw e;
  }
}

async function runGenConfig(o: GenConfigOptions): Promise<void> {
  const r = await asCli(() => genConfig(o));
  const lines = [
    `rack id: ${r.rackId}`,
    `threshold: ${r.threshold} of ${r.files.length}`,
    `rack secret fingerprint: ${r.fingerprint}`,
    ...r.files.map((f) => `wrote ${f.file} (${f.sledId}, share x=${f.x}, mode 0600)`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function runRecover(files: string[], o: RecoverOptions): Promise<void> {
  const diskIds = o.printKeys ?? [];
  const r = await recover(files, { diskIds, hash: o.hash });
  const lines = [
    `rack id: ${r.rackId}`,
    `epoch: ${r.epoch}`,
    `shares: ${r.shares} (threshold ${r.threshold}), all verified`,
    `rack secret fingerprint: ${r.fingerprint}`,
  ];
  if (r.keys.length > 0) {
    process.stderr.write(
      'tq: WARNING: printing storage keys; anyone who sees them can decrypt those disks. ' +
        'Clear your terminal and its scrollback afterwards.\n',
    );
    for (const key of r.keys) {
      lines.push(`key ${key.diskId} (${o.hash}): ${Buffer.from(key.expose()).toString('hex')}`);
      key.zero();
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Adds the `rack` command group to `program`. */
export function registerRackCommands(program: Command): void {
  const rack = program
    .command('rack')
    .description('rack-secret tools: initialize a rack over SPDM, generate ledgers offline, recover');
  registerRackInitCommand(rack);
  rack
    .command('gen-config')
    .description('make a rack secret and write one ledger per sled of a `tq pki init` directory')
    .showHelpAfterError(false)
    .requiredOption('--pki <dir>', 'a `tq pki init` directory (root.pem, sled-N/cert.pem, sled-N/chain.pem)')
    .requiredOption('--threshold <k>', 'shares needed to rebuild the secret', intArg('--threshold', 2, 255))
    .requiredOption('--out <dir>', 'writes OUT/sled-N/ledger.json for every sled')
    .option('--rack-id <uuid>', 'rack id (default: a random UUID)', uuidArg)
    .addOption(
      new Option('--epoch <n>', 'configuration epoch')
        .default(1)
        .argParser(intArg('--epoch', 1, 0xffff_ffff)),
    )
    .option('--force', 'overwrite existing ledgers')
    .action(runGenConfig);
  rack
    .command('recover')
    .description('rebuild the rack secret from ledger files (or directories holding ledger.json)')
    .showHelpAfterError(false)
    .argument('<files...>', 'ledger files of at least threshold sleds')
    .option('--print-keys <diskIds...>', 'also print the storage keys of these disks (secret!)')
    .addOption(
      new Option('--hash <hash>', 'HKDF hash for --print-keys')
        .choices(['sha256', 'sha3-256'])
        .default('sha256'),
    )
    .action(runRecover);
}
