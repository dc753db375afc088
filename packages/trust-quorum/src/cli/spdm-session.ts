/**
 * The secure-session half of `tq spdm ...` (spdm.ts declares the commands and calls in here):
 *
 * - `tq spdm connect HOST:PORT --trust ROOT.pem [--identity DIR/sled-N]`: opens an SPDM session
 *   (KEY_EXCHANGE + FINISH; mutually authenticated when an identity is given and the responder
 *   asks) and pipes stdin into the SecureChannel and the channel to stdout, like `openssl
 *   s_client`. At stdin EOF our side of the channel ends; once the responder's data has
 *   arrived and its side ended too, END_SESSION closes the session and the command exits 0.
 *   Status lines ("session established ...") go to stderr, so stdout carries only the data.
 * - `tq spdm responder --identity DIR [--trust ROOT.pem] [--echo]`: with either option the
 *   responder runs the session layer (requester.run / responder.run of the spdm package):
 *   `--trust` requires mutual authentication against that root (requester chains are presented
 *   with the chain VENDOR_DEFINED_REQUEST), `--echo` sends each session's application data
 *   back (a tool for testing peers, like `openssl s_server -rev`); without `--echo` it is read
 *   and dropped.
 *
 * With `--emu none|mctp|tcp` connect talks to DMTF's spdm_responder_emu over spdm-emu's socket
 * protocol (spdm-emu.ts), `--identity-libspdm DIR` replaces --trust / --identity with libspdm's
 * sample requester identity and CA, and `--exe-conn` / `--exe-session` run spdm_requester_emu's
 * steps instead of piping stdin/stdout.
 *
 * Failures are one line, exit 1 (a refused certificate says so); option misuse exits 2.
 */
import { isSpdmError } from '@trust-quorum/spdm/errors';
import { run as runRequester } from '@trust-quorum/spdm/requester/run';
import type { ResponderInit } from '@trust-quorum/spdm/responder/init';
import { type OnSession, serve } from '@trust-quorum/spdm/responder/run';
import type { SpdmLogger } from '@trust-quorum/spdm/responder/serve';
import { formatAddress } from '@trust-quorum/spdm/transport/connection';
import type { Framing } from '@trust-quorum/spdm/transport/frame';
import { connectTcp, type TcpServerHandle } from '@trust-quorum/spdm/transport/tcp';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { isTrustQuorumError } from '../errors.js';
import { loadIdentity, loadTrustedRoot } from '../pki/index.js';
import { CliError } from './main.js';
import {
  addEmuConnectOptions,
  addEmuOptions,
  type EmuConnectOptions,
  emuConnect,
  emuRequesterCaps,
  exeConnHook,
  loadLibspdmIdentity,
  runExeSession,
} from './spdm-emu.js';
import {
  ALGORITHMS_HELP,
  type AlgorithmSpec,
  algorithmsArg,
  type HostPort,
  hostPortArg,
  msArg,
  versionsArg,
} from './spdm-options.js';

/** `tq spdm responder` options added here. */
export interface SessionResponderOptions {
  /** PEM root that requester chains must lead to: mutual authentication required. */
  trust?: string;
  /** Echo application data back. */
  echo?: boolean;
  /** Heartbeat period in seconds announced in KEY_EXCHANGE_RSP (0 = none). */
  heartbeatPeriod?: number;
}

export interface ConnectOptions extends EmuConnectOptions {
  /** Required unless --identity-libspdm names the root. */
  trust?: string;
  identity?: string;
  versions?: import('@trust-quorum/spdm/msgs/codes').SpdmVersion[];
  algorithms?: AlgorithmSpec;
  slot: number;
  timeout: number;
}

/** Streams and signal for running `connect` in-process (tests); defaults: the process's. */
export interface ConnectControl {
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  /** Status lines; default process.stderr. */
  stderr?: (text: string) => void;
  signal?: AbortSignal;
}

function cliLoad<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isTrustQuorumError(e)) throw new CliError(e.message);
    throw e;
  }
}

/** Whether the responder should run the session layer. */
export function wantsSessions(o: SessionResponderOptions): boolean {
  return !!(o.trust || o.echo);
}

function echoSessions(logger: SpdmLogger, echo: boolean): OnSession {
  return (channel, peer, info) => {
    const fields = {
      remote: info.remoteAddress,
      session: `0x${info.sessionId.toString(16)}`,
      peer: peer?.leafSubject ?? null,
    };
    logger.info?.(fields, 'session established');
    channel.on('error', (e) => logger.warn?.({ ...fields, detail: e.message }, 'session failed'));
    channel.on('close', () => logger.info?.(fields, 'session ended'));
    if (echo) channel.pipe(channel);
    else channel.resume();
  };
}

/**
 * Listens with the session layer (see the module comment).
 * @throws CliError when --identity is missing or a file does not load; SpdmError Transport when
 *   the address cannot be bound; RangeError / TypeError for bad options.
 */
export async function serveSessions(
  o: SessionResponderOptions & { identity?: string; idleTimeout: number },
  listen: { host: string; port: number; framing: Framing },
  init: ResponderInit,
  logger: SpdmLogger,
): Promise<TcpServerHandle> {
  if (!o.identity)
    throw new CliError('--trust and --echo need --identity (the responder signs KEY_EXCHANGE_RSP)', 2);
  const root = o.trust ? cliLoad(() => loadTrustedRoot(o.trust!)) : undefined;
  const server = await serve(listen, {
    ...init,
    logger,
    idleTimeoutMs: o.idleTimeout,
    ...(o.heartbeatPeriod ? { heartbeatPeriod: o.heartbeatPeriod } : {}),
    ...(root ? { mutualAuth: { trustedRoots: [root] } } : {}),
    onSession: echoSessions(logger, !!o.echo),
    onSessionError: (e, id) =>
      logger.debug?.({ session: `0x${id.toString(16)}`, detail: e.message }, 'session error'),
  });
  const { host, port } = server.address();
  logger.info?.({ host, port, framing: listen.framing, mutualAuth: !!root, echo: !!o.echo }, 'listening');
  return server;
}

/** Declares --trust, --echo and --heartbeat-period on `tq spdm responder`. */
export function addSessionResponderOptions(cmd: Command): Command {
  return cmd
    .option('--trust <root.pem>', 'require mutual authentication: requester chains must lead to this root')
    .option('--echo', 'echo the application data of each secure session back to the requester')
    .addOption(
      new Option(
        '--heartbeat-period <s>',
        'HeartbeatPeriod announced to requesters, seconds (0-255)',
      ).argParser((v) => {
        if (!/^[0-9]{1,3}$/.test(v) || Number(v) > 255) throw new InvalidArgumentError('want 0-255 seconds.');
        return Number(v);
      }),
    );
}

/** One line saying why `connect` failed. */
export function describeConnectFailure(e: unknown, where: string): string {
  if (!isSpdmError(e)) return e instanceof Error ? e.message : String(e);
  const cause = (e.cause as { code?: unknown } | undefined)?.code;
  const msg = e.message.replace(/\s+/g, ' ');
  switch (e.code) {
    case 'Transport':
      return cause === 'ECONNREFUSED' ? `connection refused by ${where}` : `transport error: ${msg}`;
    case 'InvalidCertificate':
      return `certificate rejected: ${msg}`;
    case 'VerifyFailed':
      return `verification failed: ${msg}`;
    case 'Timeout':
      return `timeout: ${msg}`;
    case 'Closed':
      return `connection closed: ${msg}`;
    default:
      return `session failed: ${msg}`;
  }
}

/**
 * `tq spdm connect`: see the module comment.
 * @throws CliError exit 1 with one line when the session cannot be opened or fails; exit 2 for
 *   bad options.
 */
export async function runConnect(
  target: HostPort,
  o: ConnectOptions,
  ctl: ConnectControl = {},
): Promise<void> {
  const where = formatAddress(target.host, target.port);
  const say = ctl.stderr ?? ((t: string) => process.stderr.write(t));
  const lib = o.identityLibspdm ? loadLibspdmIdentity(o.identityLibspdm, 'requester') : undefined;
  if (!o.trust && !lib) throw new CliError('connect needs --trust ROOT.pem (or --identity-libspdm DIR)', 2);
  const root = o.trust ? cliLoad(() => loadTrustedRoot(o.trust!)) : lib!.root;
  const id = o.identity ? cliLoad(() => loadIdentity(o.identity!)) : undefined;
  for (const w of id?.warnings ?? []) say(`warning: ${w}\n`);
  const identity = lib
    ? { certificates: lib.certificates, privateKey: lib.privateKey }
    : id && { certificates: id.chainDer, privateKey: id.privateKey };
  const caps = emuRequesterCaps(o, identity !== undefined);
  const hook = exeConnHook(o.exeConn, say);
  let result: Awaited<ReturnType<typeof runRequester>>;
  try {
    const conn = o.emu
      ? await emuConnect(target, o.emu, o.timeout, ctl.signal)
      : await connectTcp(target.host, target.port, { connectTimeoutMs: o.timeout, signal: ctl.signal });
    result = await runRequester(conn, {
      trustedRoots: [root],
      ...(identity ? { identity } : {}),
      // libspdm peers are provisioned with libspdm's requester chain (WO_ENCAP): present nothing.
      ...(lib ? { presentChain: false } : {}),
      ...(caps !== undefined ? { capabilities: caps } : {}),
      ...(o.versions ? { versions: o.versions } : {}),
      ...(o.algorithms ? { algorithms: o.algorithms } : {}),
      ...(hook ? { beforeKeyExchange: hook } : {}),
      slotId: o.slot,
      timeoutMs: o.timeout,
      ...(ctl.signal ? { signal: ctl.signal } : {}),
    });
  } catch (e) {
    if (e instanceof RangeError || e instanceof TypeError) throw new CliError(e.message, 2);
    throw new CliError(describeConnectFailure(e, where));
  }
  const { channel, peer, session } = result;
  const mutual = session.mutuallyAuthenticated ? 'mutually authenticated' : 'responder authenticated';
  say(`session established with ${where}: ${peer.leafSubject} (${mutual})\n`);
  if (o.exeSession?.length) {
    channel.on('error', () => {});
    await runExeSession(session, o.exeSession, o.emu, say);
    return;
  }
  await pipeThrough(channel, ctl.stdin ?? process.stdin, ctl.stdout ?? process.stdout, where);
}

/** stdin -> channel -> stdout until the session is over. @throws CliError on a session failure */
async function pipeThrough(
  channel: import('@trust-quorum/spdm/session/secure-channel').SecureChannel,
  stdin: NodeJS.ReadableStream,
  stdout: NodeJS.WritableStream,
  where: string,
): Promise<void> {
  const done = new Promise<void>((resolve, reject) => {
    channel.once('error', (e) => reject(new CliError(describeConnectFailure(e, where))));
    channel.once('close', () => resolve());
  });
  channel.pipe(stdout, { end: false });
  stdin.pipe(channel);
  try {
    await done;
  } finally {
    stdin.unpipe(channel);
    // Our own stdin would keep the process alive after the responder ended the session.
    if (stdin === process.stdin) process.stdin.destroy();
  }
}

/** Adds `tq spdm connect` to the `spdm` command group. */
export function addConnectCommand(spdm: Command): void {
  const cmd = spdm
    .command('connect')
    .description(
      'open an SPDM secure session (mutually authenticated with --identity) and pipe stdin/stdout through it',
    )
    .showHelpAfterError(false)
    .argument('<host:port>', 'responder address', hostPortArg(false))
    .option(
      '--trust <root.pem>',
      'the responder certificate chain must lead to this root (required unless --identity-libspdm)',
    )
    .option('--identity <dir>', 'our device identity (a `tq pki init` DIR/sled-N) for mutual authentication')
    .option('--versions <list>', 'versions offered (comma-separated; default 1.1,1.2,1.3)', versionsArg)
    .option(
      '--algorithms <spec>',
      'algorithm preferences FIELD=NAME[,NAME...] (repeatable; see below)',
      algorithmsArg,
    )
    .addOption(
      new Option('--slot <n>', 'responder certificate slot to open the session with')
        .default(0)
        .argParser((v) => {
          if (!/^[0-7]$/.test(v)) throw new InvalidArgumentError('want a slot number 0-7.');
          return Number(v);
        }),
    )
    .addOption(
      new Option('--timeout <ms>', 'deadline for the connect and for each response')
        .default(10_000)
        .argParser(msArg),
    )
    .addHelpText('after', `\n${ALGORITHMS_HELP}`)
    .action((target: HostPort, o: ConnectOptions) => runConnect(target, o));
  addEmuConnectOptions(addEmuOptions(cmd));
}
