/**
 * `tq agent --config FILE [--log-level LEVEL]`: runs the bootstrap agent until SIGINT/SIGTERM.
 *
 * stdout: exactly one line once every listener is up,
 *   `agent SLED started: spdm HOST:PORT http HOST:PORT state STATE`  (`http off` when disabled)
 * (the real ports, also when the config asks for port 0). stderr: pino JSON lines (name
 * `tq-agent`, field `sled`). Exit codes: 0 after a SIGINT/SIGTERM shutdown; 1 when the config
 * is invalid or the agent cannot start (one line `tq: ...` on stderr); 2 usage error.
 */
import { type Command, Option } from 'commander';
import { type LevelWithSilent, pino } from 'pino';
import { Agent } from '../agent/agent.js';
import { loadAgentConfig } from '../agent/config.js';
import { formatHostPort } from '../discovery/address.js';
import { isTrustQuorumError } from '../errors.js';
import type { Log } from '../log.js';
import { CliError } from './main.js';

const LOG_LEVELS: LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Longest a shutdown may take before we exit anyway (services have their own grace). */
const STOP_DEADLINE_MS = 60_000;

export interface AgentCommandOptions {
  config: string;
  logLevel: LevelWithSilent;
}

export interface AgentCommandControl {
  /** Stops the agent like SIGTERM does. */
  readonly signal?: AbortSignal;
  /** Replaces the pino logger. */
  readonly log?: Log;
  /** Where the `started` line goes; default stdout. */
  readonly out?: (text: string) => void;
  /** Called with the agent once started (tests). */
  readonly onStarted?: (agent: Agent) => void;
}

/**
 * Resolves with the name of whatever stopped us first: SIGINT, SIGTERM or the signal.
 * `cancel()` removes the listeners (a start that failed).
 */
function untilStopped(signal?: AbortSignal): { stopped: Promise<string>; cancel: () => void } {
  let cancel: () => void = () => {};
  const stopped = new Promise<string>((resolve) => {
    const detach = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      signal?.removeEventListener('abort', onAbort);
    };
    const stop = (why: string) => () => {
      detach();
      resolve(why);
    };
    const onInt = stop('SIGINT');
    const onTerm = stop('SIGTERM');
    const onAbort = stop('abort');
    cancel = detach;
    if (signal?.aborted) return onAbort();
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  return { stopped, cancel };
}

/** Runs the agent until stopped. @throws CliError (exit 1) for a bad config or a failed start. */
export async function runAgent(o: AgentCommandOptions, ctl: AgentCommandControl = {}): Promise<void> {
  let config: Awaited<ReturnType<typeof loadAgentConfig>>;
  try {
    config = await loadAgentConfig(o.config);
  } catch (e) {
    if (isTrustQuorumError(e)) throw new CliError(e.message);
    throw e;
  }
  const log: Log =
    ctl.log ??
    pino(
      { level: o.logLevel, name: 'tq-agent', base: { pid: process.pid, sled: config.sledId } },
      pino.destination({ dest: 2, sync: true }),
    );
  const agent = new Agent({ config, log });
  // Listen for the signals before starting, so a SIGTERM during start is a clean stop.
  const { stopped, cancel } = untilStopped(ctl.signal);
  try {
    await agent.start();
  } catch (e) {
    cancel();
    throw new CliError(`agent ${config.sledId}: cannot start: ${e instanceof Error ? e.message : String(e)}`);
  }
  const http = agent.httpAddress === null ? 'off' : formatHostPort(agent.httpAddress);
  (ctl.out ?? ((t) => process.stdout.write(t)))(
    `agent ${config.sledId} started: spdm ${formatHostPort(agent.spdmAddress!)} http ${http} state ${agent.state}\n`,
  );
  ctl.onStarted?.(agent);
  const why = await stopped;
  log.info({ signal: why }, 'shutting down');
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), STOP_DEADLINE_MS);
    timer.unref();
  });
  const r = await Promise.race([agent.stop().then(() => 'done' as const), deadline]);
  clearTimeout(timer);
  if (r === 'late')
    throw new CliError(`agent ${config.sledId}: shutdown took longer than ${STOP_DEADLINE_MS} ms`);
}

/** Adds `tq agent` to `program`. */
export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description('run the bootstrap agent: serve our share, collect shares, unlock, start services')
    .showHelpAfterError(false)
    .requiredOption('--config <file>', 'agent config (TOML or JSON; see examples/agent.toml)')
    .addOption(
      new Option('--log-level <level>', 'pino log level (JSON on stderr)')
        .choices(LOG_LEVELS)
        .default('info'),
    )
    .action(async (o: AgentCommandOptions) => {
      await runAgent(o);
      // Everything is closed; an unref'd timer makes sure nothing left over keeps us alive.
      setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
    });
}
