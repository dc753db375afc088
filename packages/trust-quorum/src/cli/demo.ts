/**
 * `tq demo` (what `npm start` runs): a rack unlocking itself, on this machine. It makes a
 * temporary PKI and one agent config per sled, starts every agent as its own process on
 * 127.0.0.1, runs `tq rack init`, then restarts all sleds (a cold boot) and shows each go
 * collecting -> unlocked -> services-started; then stops sleds until one restarted sled is
 * short of the threshold and shows it waiting. Everything is removed at the end.
 *
 * Options: --sleds N (2-32, default 5), --threshold K (2..N, default 3), --keep, --alg
 * p256|p384, --discovery, --no-color. Exit codes: 0 at the end (and on Ctrl-C during --keep),
 * 1 when a step failed or the demo was interrupted (one line `tq: ...` on stderr, after every
 * child was stopped and the temp dir removed), 2 usage error.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DemoInterrupted, type DemoOptions, runRackDemo } from '../demo/run.js';
import { DemoError } from '../demo/sleds.js';
import { CliError } from './main.js';

export const MAX_DEMO_SLEDS = 32;

const HELP = `
What it does:
  1. makes a temporary PKI (rack root CA, one identity per sled, an operator) and one agent
     config per sled (127.0.0.1, free ports, ledger dirs in the temp dir, an unlock hook that
     prints only its key's fingerprint, one service that sleeps);
  2. starts one \`tq agent\` process per sled and runs \`tq rack init --threshold K\`;
  3. cold boot: restarts every sled; each collects shares from its peers over SPDM and unlocks;
  4. stops N-K sleds and restarts one more: it still unlocks (K-1 peers + itself);
  5. stops one more and restarts that sled again: it waits at K-1/K shares, locked;
  6. stops everything and removes the temp dir (it holds private keys).
With --keep it then starts the stopped sleds again and runs until Ctrl-C, printing each
sled's status URL. On a terminal a table of the sleds is redrawn in place; otherwise (pipes,
CI) it prints one timestamped line per change.`;

export interface DemoCommandOptions {
  sleds: number;
  threshold: number;
  keep?: boolean;
  alg: 'p256' | 'p384';
  discovery?: boolean;
  color: boolean;
}

function intArg(name: string, min: number, max: number): (v: string) => number {
  return (v) => {
    if (!/^[0-9]+$/.test(v) || Number(v) < min || Number(v) > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
    }
    return Number(v);
  };
}

/** Checks what commander cannot; @throws CliError (exit 2). */
export function demoOptions(o: DemoCommandOptions, env: NodeJS.ProcessEnv = process.env): DemoOptions {
  if (o.threshold > o.sleds) {
    throw new CliError(`--threshold must be from 2 to --sleds (${o.sleds}), got ${o.threshold}`, 2);
  }
  return {
    sleds: o.sleds,
    threshold: o.threshold,
    keep: o.keep === true,
    alg: o.alg,
    discovery: o.discovery === true,
    color: o.color && (env.NO_COLOR ?? '') === '',
  };
}

/** Runs the demo on this process's stdout. @throws CliError (exit 1, or 2 for bad options). */
export async function runDemoCommand(o: DemoCommandOptions): Promise<void> {
  const options = demoOptions(o);
  const tty = process.stdout.isTTY === true;
  // stdout closed (e.g. `| head`): stop writing, and stop the demo the orderly way.
  const closed = new AbortController();
  const onError = (e: NodeJS.ErrnoException) =>
    closed.abort(new DemoError(`stdout closed (${e.code ?? e.message})`));
  process.stdout.on('error', onError);
  try {
    await runRackDemo(
      { ...options, color: options.color && tty },
      {
        write: (t) => {
          if (!closed.signal.aborted) process.stdout.write(t);
        },
        signal: closed.signal,
        tty,
        columns: () => process.stdout.columns ?? 80,
        rows: () => process.stdout.rows ?? 24,
      },
    );
  } catch (e) {
    if (e instanceof DemoInterrupted) {
      throw new CliError(`demo ${e.message}: every agent stopped, temp dir removed`, 1);
    }
    if (e instanceof DemoError) throw new CliError(`demo failed: ${e.message}`, 1);
    throw e;
  } finally {
    process.stdout.off('error', onError);
  }
}

/** Adds `tq demo` to `program`. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'what `npm start` runs: a rack of agents on 127.0.0.1 initialized, cold-booted and unlocking itself',
    )
    .showHelpAfterError(false)
    .addOption(
      new Option('--sleds <n>', 'number of sleds').default(5).argParser(intArg('--sleds', 2, MAX_DEMO_SLEDS)),
    )
    .addOption(
      new Option('--threshold <k>', 'shares needed to unlock (2..sleds)')
        .default(3)
        .argParser(intArg('--threshold', 2, MAX_DEMO_SLEDS)),
    )
    .option('--keep', 'at the end, restart the stopped sleds and keep running until Ctrl-C')
    .addOption(
      new Option('--alg <alg>', 'key algorithm of the PKI').choices(['p256', 'p384']).default('p256'),
    )
    .option('--discovery', 'find peers by UDP multicast on 127.0.0.1 instead of static peer lists')
    .option('--no-color', 'no colours (also: NO_COLOR set, or stdout not a terminal)')
    .addHelpText('after', HELP)
    .action(async (o: DemoCommandOptions) => {
      await runDemoCommand(o);
      // Everything is closed; an unref'd timer makes sure nothing left over keeps us alive.
      setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
    });
}
