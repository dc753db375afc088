/**
 * `tq luks format|check IMAGE --disk ID --key-from-recover LEDGER...`: first-time setup of a
 * LUKS2 volume (an image file or a block device) with the storage key the rack derives for a
 * disk, and a check that the key opens it. The key comes from ledger files gathered by hand,
 * exactly as `tq rack recover` rebuilds the rack secret (the agent does the same from its peers
 * at boot). The key goes to cryptsetup on stdin only, and is zeroed afterwards; output names
 * the image, disk, rack and key fingerprint, never the key.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DISK_ID_PATTERN } from '../agent/config-schema.js';
import { isTrustQuorumError } from '../errors.js';
import type { KeyHash, StorageKey } from '../keys/index.js';
import {
  createImage,
  DEFAULT_LUKS_PBKDF,
  type LuksPbkdf,
  luksCheck,
  luksFormat,
  parseSize,
} from '../luks/index.js';
import { CliError } from './main.js';
import { type RecoverResult, recover } from './rack-recover.js';

interface KeyOptions {
  disk: string;
  keyFromRecover: string[];
  hash: KeyHash;
}

interface FormatOptions extends KeyOptions {
  createSize?: number;
  pbkdf: 'argon2id' | 'pbkdf2';
  pbkdfMemory?: number;
  pbkdfIterations?: number;
  force?: boolean;
}

function diskArg(v: string): string {
  if (!DISK_ID_PATTERN.test(v)) {
    throw new InvalidArgumentError(
      'want 1-128 letters, digits, ".", "_", ":" or "-", starting alphanumeric.',
    );
  }
  return v;
}

function sizeArg(v: string): number {
  try {
    return parseSize(v);
  } catch (e) {
    throw new InvalidArgumentError(`${(e as Error).message}.`);
  }
}

function intArg(v: string): number {
  if (!/^[0-9]{1,9}$/.test(v)) throw new InvalidArgumentError('want a whole number.');
  return Number(v);
}

function pbkdfOf(o: FormatOptions): LuksPbkdf {
  if (o.pbkdf === 'pbkdf2') {
    if (o.pbkdfMemory !== undefined) throw new CliError('--pbkdf-memory is for argon2id only', 2);
    return { kind: 'pbkdf2', iterations: o.pbkdfIterations ?? 1000 };
  }
  const d = DEFAULT_LUKS_PBKDF as Extract<LuksPbkdf, { kind: 'argon2id' }>;
  return {
    kind: 'argon2id',
    memoryKiB: o.pbkdfMemory ?? d.memoryKiB,
    iterations: o.pbkdfIterations ?? d.iterations,
    parallel: d.parallel,
  };
}

function describePbkdf(p: LuksPbkdf): string {
  return p.kind === 'pbkdf2'
    ? `pbkdf2, ${p.iterations} iterations`
    : `argon2id, ${p.memoryKiB} KiB, ${p.iterations} passes`;
}

/** Runs `f` with the disk's key from the ledgers, zeroing it afterwards. */
async function withKey<T>(o: KeyOptions, f: (key: StorageKey, r: RecoverResult) => Promise<T>): Promise<T> {
  const r = await recover(o.keyFromRecover, { diskIds: [o.disk], hash: o.hash });
  const key = r.keys[0]!;
  try {
    return await f(key, r);
  } catch (e) {
    if (isTrustQuorumError(e) || e instanceof RangeError) throw new CliError(e.message);
    throw e;
  } finally {
    for (const k of r.keys) k.zero();
  }
}

async function runFormat(image: string, o: FormatOptions): Promise<void> {
  const pbkdf = pbkdfOf(o);
  await withKey(o, async (key, r) => {
    if (o.createSize !== undefined) await createImage(image, o.createSize);
    await luksFormat(image, key, { pbkdf, force: o.force === true });
    process.stdout.write(
      `formatted ${image} as LUKS2 for disk ${o.disk}\n` +
        `rack ${r.rackId}, epoch ${r.epoch}, key fingerprint ${key.fingerprint()} (${o.hash})\n` +
        `key slot 0: ${describePbkdf(pbkdf)}\n`,
    );
  });
}

async function runCheck(image: string, o: KeyOptions): Promise<void> {
  await withKey(o, async (key) => {
    const what = `the key of disk ${o.disk} (fingerprint ${key.fingerprint()})`;
    if (!(await luksCheck(image, key))) throw new CliError(`${image}: ${what} does not open it`);
    process.stdout.write(`${image}: ${what} opens it\n`);
  });
}

function keyOptions(cmd: Command): Command {
  return cmd
    .argument('<image>', 'LUKS image file or block device')
    .requiredOption('--disk <id>', 'disk id the storage key is derived for (as in the agent config)', diskArg)
    .requiredOption(
      '--key-from-recover <ledgers...>',
      'ledger files (or directories holding ledger.json) of at least threshold sleds',
    )
    .addOption(
      new Option('--hash <hash>', 'HKDF hash of the key').choices(['sha256', 'sha3-256']).default('sha256'),
    );
}

const FORMAT_HELP = `
The key is 32 random-quality bytes (HKDF of the rack secret), not a password, so a light
PBKDF costs no security: the default is argon2id with 64 MiB and 4 passes (fast boot, little
memory). Reformatting an existing LUKS volume needs --force: it destroys the data it protected.

Example (first-time setup of an image file):
  tq luks format data0.img --create-size 32M --disk data0 --key-from-recover sled-1 sled-2 sled-3`;

/** Adds the `luks` command group to `program`. */
export function registerLuksCommands(program: Command): void {
  const luks = program
    .command('luks')
    .description(
      'LUKS2 setup with rack-derived storage keys (needs cryptsetup, Debian package cryptsetup-bin)',
    );
  keyOptions(luks.command('format'))
    .description('format IMAGE as LUKS2 with the storage key of --disk')
    .showHelpAfterError(false)
    .option(
      '--create-size <size>',
      'create IMAGE first, this big (e.g. 32M; LUKS2 needs more than 16M)',
      sizeArg,
    )
    .addOption(
      new Option('--pbkdf <kind>', 'key-slot PBKDF').choices(['argon2id', 'pbkdf2']).default('argon2id'),
    )
    .option('--pbkdf-memory <KiB>', 'argon2id memory cost (default 65536)', intArg)
    .option(
      '--pbkdf-iterations <n>',
      'argon2id passes (default 4) or pbkdf2 iterations (default 1000)',
      intArg,
    )
    .option('--force', 'reformat an image that is already LUKS (destroys its data)')
    .addHelpText('after', FORMAT_HELP)
    .action(runFormat);
  keyOptions(luks.command('check'))
    .description('check that the storage key of --disk opens IMAGE (cryptsetup open --test-passphrase)')
    .showHelpAfterError(false)
    .action(runCheck);
}
