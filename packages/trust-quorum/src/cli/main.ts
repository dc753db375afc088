/**
 * The `tq` command: one commander program, each command group registered from its own file.
 * Exit codes: 0 success, 1 operation failed (one-line reason on stderr), 2 usage error.
 */
import { Command, CommanderError } from 'commander';
import { registerAgentCommand } from './agent.js';
import { registerDemoCommand } from './demo.js';
import { registerLuksCommands } from './luks.js';
import { registerPkiCommands } from './pki.js';
import { registerRackCommands } from './rack.js';
import { registerSpdmCommands } from './spdm.js';
import { registerStatusCommand } from './status.js';

export function buildProgram(): Command {
  const program = new Command('tq')
    .description('trust-quorum: SPDM tools and the rack trust-quorum agent')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerPkiCommands(program);
  registerRackCommands(program);
  registerLuksCommands(program);
  registerSpdmCommands(program);
  registerAgentCommand(program);
  registerStatusCommand(program);
  registerDemoCommand(program);
  return program;
}

/** A failure the CLI reports as one line and exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`tq: ${msg}\n`);
    process.exitCode = e instanceof CliError ? e.exitCode : 1;
  }
}
