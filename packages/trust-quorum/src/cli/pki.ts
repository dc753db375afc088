/**
 * `tq pki init`: create the development PKI of a rack (root CA, optional intermediate, one
 * device identity per sled, an operator identity) in a directory. Prints paths, subjects and
 * the algorithm; never key material. Usage errors are one line and exit 2.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { isTrustQuorumError } from '../errors.js';
import {
  DEFAULT_DAYS,
  DEFAULT_SLEDS,
  initPki,
  MAX_DAYS,
  MAX_SLEDS,
  PKI_ALGS,
  type PkiAlg,
  type PkiInitResult,
  RACK_NAME_RE,
} from '../pki/index.js';
import { CliError } from './main.js';

interface InitOptions {
  out: string;
  sleds: number;
  alg: PkiAlg;
  intermediate?: boolean;
  rackName?: string;
  days: number;
  force?: boolean;
}

function intArg(name: string, max: number): (v: string) => number {
  return (v) => {
    if (!/^[0-9]+$/.test(v) || Number(v) < 1 || Number(v) > max) {
      throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}.`);
    }
    return Number(v);
  };
}

function rackNameArg(v: string): string {
  if (!RACK_NAME_RE.test(v)) {
    throw new InvalidArgumentError('use 1-40 letters, digits, ".", "_" or "-", starting alphanumeric.');
  }
  return v;
}

const LAYOUT_HELP = `
Writes (directories 0700, private keys 0600, PKCS#8 PEM):
  DIR/root.pem, DIR/root.key.pem                 rack root CA
  DIR/intermediate.pem, DIR/intermediate.key.pem with --intermediate
  DIR/sled-N/cert.pem, chain.pem, key.pem        device identity of sled N (chain: root first)
  DIR/sled-N/identity.json                       {role, sledId, alg, subject}
  DIR/operator/...                               operator identity, same files
  DIR/pki.json                                   rack name, algorithm, sled ids, validity`;

function report(r: PkiInitResult): string {
  const m = r.manifest;
  const lines = [
    `pki: rack "${m.rackName}", ${r.algLabel}, ${m.sledIds.length} sled${m.sledIds.length === 1 ? '' : 's'}` +
      `${m.intermediate ? ', with intermediate CA' : ''}, valid ${m.notBefore} to ${m.notAfter}`,
  ];
  for (const w of r.written) {
    lines.push(`  ${w.name.padEnd(13)} ${w.subject}`);
    for (const f of w.files)
      lines.push(`  ${''.padEnd(13)} ${f}${/key\.pem$/.test(f) ? '  (private key, 0600)' : ''}`);
  }
  lines.push(`  ${'manifest'.padEnd(13)} ${r.manifestFile}`);
  return `${lines.join('\n')}\n`;
}

/** Add the `pki` command group to `program`. */
export function registerPkiCommands(program: Command): void {
  const pki = program.command('pki').description('development PKI: rack root CA and device identities');
  pki
    .command('init')
    .description('create a rack root CA and a device-identity key and certificate chain per sled')
    .showHelpAfterError(false)
    .requiredOption('--out <dir>', 'output directory (created if missing; must be empty unless --force)')
    .option(
      '--sleds <n>',
      `number of sleds, ids 1..n (1-${MAX_SLEDS})`,
      intArg('--sleds', MAX_SLEDS),
      DEFAULT_SLEDS,
    )
    .addOption(
      new Option(
        '--alg <alg>',
        'key and signature algorithm: p256 = ECDSA P-256 with SHA-256, p384 = ECDSA P-384 with SHA-384, ed25519',
      )
        .choices(PKI_ALGS)
        .default('p256'),
    )
    .option('--intermediate', 'put an intermediate CA between the root and the device certificates')
    .option(
      '--rack-name <name>',
      'rack name in every subject (O=trust-quorum rack NAME); default random',
      rackNameArg,
    )
    .option(
      '--days <n>',
      `validity in days from now (1-${MAX_DAYS})`,
      intArg('--days', MAX_DAYS),
      DEFAULT_DAYS,
    )
    .option('--force', 'write into a non-empty directory, replacing files of the same names')
    .addHelpText('after', LAYOUT_HELP)
    .action(async (opts: InitOptions, cmd: Command) => {
      let result: PkiInitResult;
      try {
        result = await initPki({
          outDir: opts.out,
          sleds: opts.sleds,
          alg: opts.alg,
          intermediate: opts.intermediate ?? false,
          rackName: opts.rackName,
          days: opts.days,
          force: opts.force ?? false,
        });
      } catch (e) {
        if (e instanceof RangeError) throw new CliError(e.message, 2);
        if (isTrustQuorumError(e)) throw new CliError(e.message, 1);
        throw e;
      }
      const out = cmd.configureOutput().writeOut ?? ((s: string) => process.stdout.write(s));
      out(report(result));
    });
}
