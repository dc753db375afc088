/**
 * `tq spdm ...`: SPDM tools over TCP.
 *   responder  a standalone SPDM responder; logs each request (pino JSON lines on stderr),
 *              prints `listening on HOST:PORT` on stdout once bound, serves until SIGINT/SIGTERM
 *   probe      connects as a requester, negotiates (VCA) and prints what was settled
 *
 * Authentication (spdm-auth.ts): the responder serves a `tq pki init` identity with
 * `--identity`; the probe validates the chain (`--trust`), runs CHALLENGE and prints the
 * measurement blocks.
 *
 * Secure sessions (spdm-session.ts): `connect` opens a session and pipes stdin/stdout through
 * it; the responder's `--trust` (mutual authentication) and `--echo` run its session layer.
 *
 * DMTF spdm-emu (spdm-emu.ts): `--emu none|mctp|tcp` on all three commands speaks spdm-emu's
 * socket protocol (spdm_responder_emu, spdm_requester_emu, the responder validator), with
 * libspdm's sample identities through `--identity-libspdm DIR`.
 *
 * Layout for later options: each command has a typed options object (ResponderOptions,
 * ProbeOptions) filled by commander, one `run*` function that does the work, and one `add*`
 * function that declares its options; shared options are declared by helpers below. Failures
 * are one line on stderr and exit code 1 (CliError); usage errors exit 2.
 */

import { connectAndNegotiate } from '@trust-quorum/spdm/client';
import { isSpdmError } from '@trust-quorum/spdm/errors';
import { codeName, type SpdmVersion } from '@trust-quorum/spdm/msgs/codes';
import type { Negotiated } from '@trust-quorum/spdm/negotiated';
import { DEFAULT_RESPONDER_CAPS, type ResponderInit } from '@trust-quorum/spdm/responder/init';
import { listenSpdm, type SpdmLogger } from '@trust-quorum/spdm/responder/serve';
import { formatAddress, type TransportConnection } from '@trust-quorum/spdm/transport/connection';
import type { EmuTransport } from '@trust-quorum/spdm/transport/emu-framing';
import { exchangeOver } from '@trust-quorum/spdm/transport/exchange';
import type { Framing } from '@trust-quorum/spdm/transport/frame';
import { type Command, Option } from 'commander';
import { type LevelWithSilent, pino } from 'pino';
import { CliError } from './main.js';
import {
  type AuthProbeOptions,
  type AuthProbeResult,
  type AuthResponderOptions,
  addAuthProbeOptions,
  addAuthResponderOptions,
  authJson,
  checkAuthProbeOptions,
  formatAuth,
  probeAuth,
  responderIdentity,
  wantsAuth,
} from './spdm-auth.js';
import {
  addEmuOptions,
  addEmuResponderOptions,
  applyCaps,
  type EmuOptions,
  type EmuResponderOptions,
  emuConnectAndNegotiate,
  emuRequesterCaps,
  loadLibspdmIdentity,
  startEmuResponder,
} from './spdm-emu.js';
import { formatSummary, summarize } from './spdm-format.js';
import {
  ALGORITHMS_HELP,
  type AlgorithmSpec,
  algorithmsArg,
  type HostPort,
  hostPortArg,
  msArg,
  versionsArg,
} from './spdm-options.js';
import {
  addConnectCommand,
  addSessionResponderOptions,
  type SessionResponderOptions,
  serveSessions,
  wantsSessions,
} from './spdm-session.js';

/** Options both commands share. */
interface CommonOptions {
  framing: Framing;
  /** Versions offered (probe) or listed in VERSION (responder); default 1.1, 1.2, 1.3. */
  versions?: SpdmVersion[];
  /** Algorithm preferences; fields not given keep the library defaults. */
  algorithms?: AlgorithmSpec;
}

export interface ResponderOptions
  extends CommonOptions,
    AuthResponderOptions,
    SessionResponderOptions,
    EmuResponderOptions {
  listen: HostPort;
  logLevel: LevelWithSilent;
  idleTimeout: number;
}

export interface ProbeOptions extends CommonOptions, AuthProbeOptions, EmuOptions {
  timeout: number;
  json?: boolean;
}

/** Hooks for running a command in-process (tests, demo); the defaults are the real process. */
export interface RunControl {
  /** Stops the responder like SIGINT does. */
  signal?: AbortSignal;
  /** Replaces the pino logger of the responder. */
  logger?: SpdmLogger;
  /** Where result lines go; default process.stdout. */
  stdout?: (text: string) => void;
}

const LOG_LEVELS: LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function writeOut(ctl: RunControl, text: string): void {
  if (ctl.stdout) ctl.stdout(text);
  else process.stdout.write(text);
}

/** A pino logger writing JSON lines to stderr, synchronously (nothing lost at exit). */
function stderrLogger(level: LevelWithSilent): SpdmLogger & { info: NonNullable<SpdmLogger['info']> } {
  return pino({ level, name: 'tq-spdm-responder' }, pino.destination({ dest: 2, sync: true }));
}

/** Resolves with the name of whatever stopped us first: SIGINT, SIGTERM or the signal. */
function untilStopped(signal?: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const stop = (why: string) => () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      signal?.removeEventListener('abort', onAbort);
      resolve(why);
    };
    const onInt = stop('SIGINT');
    const onTerm = stop('SIGTERM');
    const onAbort = stop('abort');
    if (signal?.aborted) return onAbort();
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Misuse errors (bad option combinations found by the library) become usage errors. */
function usage(e: unknown): never {
  if (e instanceof RangeError || e instanceof TypeError) throw new CliError(e.message, 2);
  throw e;
}

export async function runResponder(o: ResponderOptions, ctl: RunControl = {}): Promise<void> {
  const logger = ctl.logger ?? stderrLogger(o.logLevel);
  const id = o.identity
    ? responderIdentity(o.identity, { versions: o.versions, algorithms: o.algorithms, framing: o.framing })
    : undefined;
  for (const w of id?.warnings ?? []) logger.warn?.({ identity: o.identity }, w);
  const init: ResponderInit = {
    ...id?.init,
    versions: o.versions,
    algorithms: o.algorithms,
    ...(o.caps ? { capabilities: applyCaps(DEFAULT_RESPONDER_CAPS, o.caps) } : {}),
    onError: (err, code) =>
      logger.debug?.({ request: codeName(code), detail: (err as Error)?.message }, 'request refused'),
  };
  if (o.emu) return runEmuResponder({ ...o, emu: o.emu }, init, logger, ctl);
  if (o.identityLibspdm || o.mutAuthLibspdm)
    throw new CliError('--identity-libspdm and --mut-auth-libspdm need --emu', 2);
  const listen = { host: o.listen.host, port: o.listen.port, framing: o.framing };
  const server = await (wantsSessions(o)
    ? serveSessions(o, listen, init, logger)
    : listenSpdm({ ...listen, idleTimeoutMs: o.idleTimeout, logger }, init)
  ).catch(usage);
  const bound = server.address();
  writeOut(ctl, `listening on ${formatAddress(bound.host, bound.port)}\n`);
  if (id) writeOut(ctl, `identity: ${id.subject} (slot 0)\n`);
  const why = await untilStopped(ctl.signal);
  logger.info?.({ signal: why, open: server.connections }, 'stopping');
  await server.close();
}

/** `responder --emu`: like spdm_responder_emu it stops after a client's SHUTDOWN (or a signal). */
async function runEmuResponder(
  o: ResponderOptions & { emu: EmuTransport },
  init: ResponderInit,
  logger: SpdmLogger,
  ctl: RunControl,
): Promise<void> {
  const { server, subject } = await startEmuResponder(o, init, logger).catch(usage);
  const bound = server.address();
  writeOut(ctl, `listening on ${formatAddress(bound.host, bound.port)} (spdm-emu ${o.emu.toUpperCase()})\n`);
  if (subject) writeOut(ctl, `identity: ${subject} (slot 0)\n`);
  const shutdown = new AbortController();
  void server.shutdownRequested.then(() => shutdown.abort());
  const why = await untilStopped(
    ctl.signal ? AbortSignal.any([ctl.signal, shutdown.signal]) : shutdown.signal,
  );
  logger.info?.({ signal: shutdown.signal.aborted ? 'SHUTDOWN' : why, open: server.connections }, 'stopping');
  await server.close();
}

/** One line saying why a probe failed. */
export function describeProbeFailure(e: unknown, where: string): string {
  if (!isSpdmError(e)) return e instanceof Error ? e.message : String(e);
  const cause = (e.cause as { code?: unknown } | undefined)?.code;
  switch (e.code) {
    case 'Transport':
      if (cause === 'ECONNREFUSED') return `connection refused by ${where}`;
      return `transport error: ${e.message}`;
    case 'Timeout':
      return `timeout: ${e.message}`;
    case 'Closed':
      return `connection closed: ${e.message}`;
    case 'Aborted':
      return 'interrupted';
    case 'TooLarge':
      return `transport error: ${e.message}`;
    default:
      return `negotiation failed: ${e.message}`;
  }
}

export async function runProbe(target: HostPort, o: ProbeOptions, ctl: RunControl = {}): Promise<void> {
  const where = formatAddress(target.host, target.port);
  if (o.identityLibspdm && !o.trust) {
    o = { ...o, trustedRoots: [loadLibspdmIdentity(o.identityLibspdm, 'requester').root] };
  }
  checkAuthProbeOptions(o);
  let result: { conn: TransportConnection; negotiated: Negotiated };
  const requester = { versions: o.versions, algorithms: o.algorithms };
  try {
    result = o.emu
      ? await emuConnectAndNegotiate(target, { ...o, emu: o.emu }, requester, o.timeout, ctl.signal)
      : await connectAndNegotiate(target.host, target.port, {
          framing: o.framing,
          timeoutMs: o.timeout,
          requester: { ...requester, ...(o.caps ? { capabilities: emuRequesterCaps(o, false) } : {}) },
          signal: ctl.signal,
        });
  } catch (e) {
    if (e instanceof RangeError || e instanceof TypeError) usage(e);
    throw new CliError(describeProbeFailure(e, where).replace(/\s+/g, ' '));
  }
  let auth: AuthProbeResult = {};
  try {
    if (wantsAuth(o)) auth = await probeAuth(exchangeOver(result.conn), result.negotiated, o, ctl.signal);
  } finally {
    await result.conn.close();
  }
  const s = summarize(result.negotiated);
  if (o.json) writeOut(ctl, `${JSON.stringify({ ...s, ...authJson(auth) })}\n`);
  else
    writeOut(
      ctl,
      formatSummary(
        s,
        `SPDM ${s.version} negotiated with ${where} (${o.emu ? `spdm-emu ${o.emu.toUpperCase()}` : `${o.framing} framing`})`,
      ) + formatAuth(auth),
    );
}

/** --framing, --versions and --algorithms. */
function addCommonOptions(cmd: Command, versionsWhat: string): Command {
  return cmd
    .addOption(
      new Option('--framing <framing>', 'TCP framing: DSP0287 binding header or 2-byte big-endian length')
        .choices(['dsp0287', 'length16'])
        .default('dsp0287'),
    )
    .option('--versions <list>', `${versionsWhat} (comma-separated; default 1.1,1.2,1.3)`, versionsArg)
    .option(
      '--algorithms <spec>',
      'algorithm preferences FIELD=NAME[,NAME...] (repeatable; see below)',
      algorithmsArg,
    )
    .addHelpText('after', `\n${ALGORITHMS_HELP}`);
}

function addResponderCommand(spdm: Command): void {
  const cmd = spdm
    .command('responder')
    .description('run an SPDM responder on TCP until SIGINT/SIGTERM; logs each request to stderr (pino JSON)')
    .showHelpAfterError(false)
    .addOption(
      new Option('--listen <host:port>', 'address to listen on; port 0 picks a free port')
        .default({ host: '127.0.0.1', port: 4194 }, '127.0.0.1:4194')
        .argParser(hostPortArg(true)),
    );
  addCommonOptions(cmd, 'versions listed in VERSION, in that order')
    .addOption(new Option('--log-level <level>', 'pino log level').choices(LOG_LEVELS).default('info'))
    .addOption(
      new Option('--idle-timeout <ms>', 'close a connection silent for this long')
        .default(30_000)
        .argParser(msArg),
    )
    .action((o: ResponderOptions) => runResponder(o));
  addAuthResponderOptions(cmd);
  addSessionResponderOptions(cmd);
  addEmuResponderOptions(addEmuOptions(cmd));
}

function addProbeCommand(spdm: Command): void {
  const cmd = spdm
    .command('probe')
    .description('connect as an SPDM requester, negotiate, print version, capabilities and algorithms')
    .showHelpAfterError(false)
    .argument('<host:port>', 'responder address', hostPortArg(false));
  addCommonOptions(cmd, 'versions offered; the highest common one wins')
    .addOption(
      new Option('--timeout <ms>', 'deadline for the connect and for each send and receive')
        .default(5000)
        .argParser(msArg),
    )
    .option(
      '--json',
      'print one JSON object {version, requesterCaps, responderCaps, algorithms[, certificate, challenge, measurements]}',
    )
    .action((target: HostPort, o: ProbeOptions) => runProbe(target, o));
  addAuthProbeOptions(cmd);
  addEmuOptions(cmd);
}

/** Adds the `spdm` command group to `program`. */
export function registerSpdmCommands(program: Command): void {
  const spdm = program
    .command('spdm')
    .description('SPDM over TCP: a standalone responder, a probe, and secure-session connect');
  addResponderCommand(spdm);
  addProbeCommand(spdm);
  addConnectCommand(spdm);
}
