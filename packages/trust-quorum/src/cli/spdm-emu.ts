/**
 * The DMTF spdm-emu half of `tq spdm ...` (spdm.ts and spdm-session.ts declare the commands and
 * call in here): talking to `spdm_responder_emu`, and being driven by `spdm_requester_emu` and
 * the SPDM-Responder-Validator (`spdm_device_validator_sample`), over spdm-emu's socket protocol.
 *
 *   --emu none|mctp|tcp          use spdm-emu's socket protocol with that transport instead of
 *                                the DSP0287 / length16 framing (probe, connect, responder)
 *   --identity-libspdm DIR       libspdm's sample certificates (spdm-emu build/bin/ecp256, ...):
 *                                responder: slot 0 = DIR/bundle_responder.certchain.der signed
 *                                with DIR/end_responder.key; requester: DIR/bundle_requester.
 *                                certchain.der and DIR/end_requester.key for mutual auth; both
 *                                trust DIR/ca.cert.der for the peer's chain unless --trust is given
 *   --mut-auth-libspdm DIR       responder: require mutual authentication with the requester
 *                                chain DIR/bundle_requester.certchain.der provisioned, as
 *                                spdm_responder_emu --mut_auth WO_ENCAP does
 *   --caps LIST                  capability flags by name (CERT,CHAL,MEAS_SIG,...; spdm-emu's
 *                                HANDSHAKE_IN_CLEAR spelling too); +NAME / -NAME change the defaults
 *   --exe-conn CHAL,MEAS         connect: CHALLENGE / signed GET_MEASUREMENTS before KEY_EXCHANGE
 *   --exe-session LIST           connect: HEARTBEAT, KEY_UPDATE, APP (PLDM GetTID on MCTP) in the
 *                                session, then END_SESSION, instead of piping stdin/stdout
 *
 * In emu mode the responder behaves like spdm_responder_emu: it serves one client after the
 * other, answers PLDM GetTID in MCTP sessions (spdm_requester_emu `--exe_session APP`), announces
 * a heartbeat period of 240 s unless `--heartbeat-period` says otherwise (libspdm's requester
 * refuses HEARTBEAT without one), and stops after a client's SHUTDOWN. On NONE, which carries no
 * secured messages, it serves VCA, certificates, CHALLENGE and measurements only.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASYMS } from '@trust-quorum/spdm/crypto/algorithms';
import { keyMatchesAsym } from '@trust-quorum/spdm/crypto/sign';
import { splitDerCertificates } from '@trust-quorum/spdm/identity/der';
import { CAP } from '@trust-quorum/spdm/msgs/capabilities';
import type { Negotiated } from '@trust-quorum/spdm/negotiated';
import type { Authenticator } from '@trust-quorum/spdm/requester/authenticate';
import { DEFAULT_REQUESTER_CAPS, type RequesterInit } from '@trust-quorum/spdm/requester/init';
import { negotiate } from '@trust-quorum/spdm/requester/negotiate';
import type { RequesterSession } from '@trust-quorum/spdm/requester/session';
import { ResponderCore } from '@trust-quorum/spdm/responder/core';
import { DEFAULT_RESPONDER_CAPS, type ResponderInit } from '@trust-quorum/spdm/responder/init';
import { type OnSession, run as runResponderConnection } from '@trust-quorum/spdm/responder/run';
import { type SpdmLogger, serveSpdm } from '@trust-quorum/spdm/responder/serve';
import {
  answerPldmGetTid,
  decodePldmGetTidResponse,
  encodePldmGetTid,
} from '@trust-quorum/spdm/session/pldm';
import type { EmuConnection } from '@trust-quorum/spdm/transport/emu-connection';
import type { EmuTransport } from '@trust-quorum/spdm/transport/emu-framing';
import { connectEmu, type EmuServerHandle, listenEmu } from '@trust-quorum/spdm/transport/emu-socket';
import { exchangeOver } from '@trust-quorum/spdm/transport/exchange';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { isTrustQuorumError } from '../errors.js';
import { loadTrustedRoot } from '../pki/index.js';
import { CliError } from './main.js';
import type { HostPort } from './spdm-options.js';

/** Options every emu-capable command shares. */
export interface EmuOptions {
  emu?: EmuTransport;
  identityLibspdm?: string;
  caps?: CapsSpec;
}

/** `tq spdm responder` options added here. */
export interface EmuResponderOptions extends EmuOptions {
  mutAuthLibspdm?: string;
}

/** `tq spdm connect` options added here. */
export interface EmuConnectOptions extends EmuOptions {
  exeConn?: string[];
  exeSession?: string[];
}

/** --caps: a full list, or changes to the defaults. */
export interface CapsSpec {
  readonly replace?: number;
  readonly add: number;
  readonly remove: number;
}

const CAP_ALIASES: Readonly<Record<string, keyof typeof CAP>> = {
  HANDSHAKE_IN_CLEAR: 'HANDSHAKE_IN_THE_CLEAR',
  MEAS: 'MEAS_SIG',
};

function capBit(name: string): number {
  const key = name.trim().toUpperCase().replace(/-/g, '_').replace(/_CAP$/, '');
  const k = (CAP_ALIASES[key] ?? key) as keyof typeof CAP;
  const bit = CAP[k];
  if (bit === undefined) {
    throw new InvalidArgumentError(`unknown capability "${name}" (known: ${Object.keys(CAP).join(', ')}).`);
  }
  return bit;
}

/** Parses --caps: "CERT,CHAL,..." replaces the defaults; "+NAME,-NAME" changes them. */
export function capsArg(v: string): CapsSpec {
  const parts = v.split(',').filter((p) => p.trim().length > 0);
  if (parts.length === 0) throw new InvalidArgumentError('want capability names.');
  const relative = parts.every((p) => /^[+-]/.test(p.trim()));
  if (!relative && parts.some((p) => /^[+-]/.test(p.trim()))) {
    throw new InvalidArgumentError('either a full list or +NAME/-NAME changes, not both.');
  }
  let add = 0;
  let remove = 0;
  let replace = 0;
  for (const p of parts) {
    const t = p.trim();
    if (!relative) replace |= capBit(t);
    else if (t.startsWith('+')) add |= capBit(t.slice(1));
    else remove |= capBit(t.slice(1));
  }
  return relative ? { add: add >>> 0, remove: remove >>> 0 } : { replace: replace >>> 0, add: 0, remove: 0 };
}

/** The capability flags `spec` makes of `defaults`. */
export function applyCaps(defaults: number, spec: CapsSpec | undefined): number {
  if (!spec) return defaults >>> 0;
  const base = spec.replace ?? defaults;
  return ((base | spec.add) & ~spec.remove) >>> 0;
}

const EXE_CONN = ['CHAL', 'MEAS'] as const;
const EXE_SESSION = ['HEARTBEAT', 'KEY_UPDATE', 'APP'] as const;

function listArg(known: readonly string[]) {
  return (v: string): string[] => {
    const out = v.split(',').map((s) => s.trim().toUpperCase());
    for (const s of out) {
      if (!known.includes(s)) throw new InvalidArgumentError(`"${s}" is not one of ${known.join(', ')}.`);
    }
    return out;
  };
}

/** Declares --emu, --identity-libspdm and --caps. */
export function addEmuOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--emu <transport>', "speak DMTF spdm-emu's socket protocol with this transport").choices([
        'none',
        'mctp',
        'tcp',
      ]),
    )
    .option(
      '--identity-libspdm <dir>',
      "libspdm's sample certificates and keys (spdm-emu build/bin/ecp256, ...); trusts DIR/ca.cert.der",
    )
    .option(
      '--caps <list>',
      'capability flags: CERT,CHAL,... replaces the defaults, +NAME/-NAME changes them',
      capsArg,
    );
}

/** Declares the responder's --mut-auth-libspdm. */
export function addEmuResponderOptions(cmd: Command): Command {
  return cmd.option(
    '--mut-auth-libspdm <dir>',
    'require mutual authentication with the provisioned requester chain DIR/bundle_requester.certchain.der (libspdm WO_ENCAP)',
  );
}

/** Declares the connect command's --exe-conn and --exe-session. */
export function addEmuConnectOptions(cmd: Command): Command {
  return cmd
    .option('--exe-conn <list>', `before KEY_EXCHANGE: ${EXE_CONN.join(',')}`, listArg(EXE_CONN))
    .option(
      '--exe-session <list>',
      `in the session, then END_SESSION and exit (no stdin/stdout): ${EXE_SESSION.join(',')}`,
      listArg(EXE_SESSION),
    );
}

/** libspdm's sample identity of one role. */
export interface LibspdmIdentity {
  readonly certificates: Uint8Array[];
  readonly privateKey: KeyObject;
  readonly root: X509Certificate;
  readonly subject: string;
}

/** --trust ROOT.pem as the other `tq spdm` commands load it. @throws CliError */
export function loadTrustRoot(file: string): X509Certificate {
  try {
    return loadTrustedRoot(file);
  } catch (e) {
    if (isTrustQuorumError(e)) throw new CliError(e.message);
    throw e;
  }
}

function readIn(dir: string, file: string): Buffer {
  try {
    return readFileSync(join(dir, file));
  } catch (e) {
    throw new CliError(`${join(dir, file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * DIR/bundle_<role>.certchain.der, DIR/end_<role>.key and DIR/ca.cert.der.
 * @throws CliError when a file is missing or does not parse.
 */
export function loadLibspdmIdentity(dir: string, role: 'responder' | 'requester'): LibspdmIdentity {
  try {
    const certificates = splitDerCertificates(
      new Uint8Array(readIn(dir, `bundle_${role}.certchain.der`)),
      16,
    );
    const privateKey = createPrivateKey(readIn(dir, `end_${role}.key`));
    const root = new X509Certificate(readIn(dir, 'ca.cert.der'));
    const leaf = new X509Certificate(certificates[certificates.length - 1]!);
    return { certificates, privateKey, root, subject: leaf.subject.split('\n').join(', ') };
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`${dir}: not a libspdm sample ${role} identity: ${(e as Error).message}`);
  }
}

/** The requester signature algorithms a chain's leaf key can make. */
function reqAsymOf(certificates: readonly Uint8Array[]): number[] {
  const key = new X509Certificate(certificates[certificates.length - 1]!).publicKey;
  return ASYMS.filter((a) => a.bit <= 0xffff && keyMatchesAsym(a, key)).map((a) => a.bit);
}

/** What the emu responder serves with. */
export interface EmuResponderSetup {
  readonly init: ResponderInit;
  /** Mutual authentication (provisioned chain and/or presented chains under `trustRoot`). */
  readonly mutualAuth?: { provisionedRequesterChain?: Uint8Array[]; trustedRoots?: X509Certificate[] };
  readonly subject?: string;
}

/**
 * The responder configuration of emu mode: --identity-libspdm (or the `identity` init from a
 * `tq pki` directory), capabilities (NONE: no session capabilities), --mut-auth-libspdm.
 * @throws CliError for unreadable files.
 */
export function emuResponderSetup(
  o: EmuResponderOptions & { emu: EmuTransport },
  base: ResponderInit,
  trustRoot: X509Certificate | undefined,
): EmuResponderSetup {
  const id = o.identityLibspdm ? loadLibspdmIdentity(o.identityLibspdm, 'responder') : undefined;
  const provisioned = o.mutAuthLibspdm
    ? loadLibspdmIdentity(o.mutAuthLibspdm, 'requester').certificates
    : undefined;
  const sessions = CAP.ENCRYPT | CAP.MAC | CAP.MUT_AUTH | CAP.KEY_EX | CAP.HBEAT | CAP.KEY_UPD;
  const defaults = o.emu === 'none' ? DEFAULT_RESPONDER_CAPS & ~sessions : DEFAULT_RESPONDER_CAPS;
  const init: ResponderInit = {
    ...base,
    ...(id ? { slots: [{ slotId: 0, certificates: id.certificates, privateKey: id.privateKey }] } : {}),
    capabilities: applyCaps(defaults, o.caps),
    ...(provisioned && !base.algorithms?.reqBaseAsym
      ? { algorithms: { ...base.algorithms, reqBaseAsym: reqAsymOf(provisioned) } }
      : {}),
  };
  const mutual =
    provisioned || trustRoot
      ? {
          ...(provisioned ? { provisionedRequesterChain: provisioned } : {}),
          ...(trustRoot ? { trustedRoots: [trustRoot] } : {}),
        }
      : undefined;
  return { init, ...(mutual ? { mutualAuth: mutual } : {}), ...(id ? { subject: id.subject } : {}) };
}

export interface EmuServeInit {
  readonly listen: HostPort;
  readonly logger: SpdmLogger;
  readonly idleTimeoutMs: number;
  readonly heartbeatPeriod?: number;
  readonly onSession: OnSession;
}

/**
 * Listens for spdm-emu clients (see the module comment). Resolves once bound; `stopped`
 * resolves after the first SHUTDOWN.
 * @throws SpdmError Transport when the address cannot be bound; RangeError / TypeError for bad
 *   options.
 */
export async function serveEmu(
  transport: EmuTransport,
  setup: EmuResponderSetup,
  s: EmuServeInit,
): Promise<EmuServerHandle> {
  new ResponderCore(setup.init); // validates the configuration before listening
  const { logger } = s;
  return listenEmu(
    { transport, host: s.listen.host, port: s.listen.port, receiveTimeoutMs: s.idleTimeoutMs },
    async (conn: EmuConnection) => {
      const out =
        transport === 'none'
          ? await serveSpdm(conn, new ResponderCore(setup.init), { logger, idleTimeoutMs: s.idleTimeoutMs })
          : await runResponderConnection(conn, {
              ...setup.init,
              logger,
              idleTimeoutMs: s.idleTimeoutMs,
              heartbeatPeriod: s.heartbeatPeriod ?? 240,
              ...(setup.mutualAuth ? { mutualAuth: setup.mutualAuth } : {}),
              ...(transport === 'mctp' ? { onForeignApp: (m: Uint8Array) => answerPldmGetTid(m) } : {}),
              onSession: s.onSession,
              onSessionError: (e, id) =>
                logger.debug?.({ session: `0x${id.toString(16)}`, detail: e.message }, 'session error'),
            });
      logger.info?.(
        { remote: conn.remoteAddress, endedBy: conn.endedBy ?? out.reason },
        'spdm-emu client done',
      );
    },
  );
}

/** What `tq spdm responder --emu` needs from spdm.ts. */
export interface EmuResponderCli extends EmuResponderOptions {
  emu: EmuTransport;
  listen: HostPort;
  idleTimeout: number;
  trust?: string;
  echo?: boolean;
  heartbeatPeriod?: number;
}

/**
 * `tq spdm responder --emu`: sets up and starts the listener (see the module comment).
 * @throws CliError for unreadable identity files; SpdmError Transport when the address cannot be
 *   bound; RangeError / TypeError for bad options.
 */
export async function startEmuResponder(
  o: EmuResponderCli,
  base: ResponderInit,
  logger: SpdmLogger,
): Promise<{ server: EmuServerHandle; subject: string | undefined }> {
  const trustRoot = o.trust ? loadTrustRoot(o.trust) : undefined;
  const setup = emuResponderSetup(o, base, trustRoot);
  const onSession: OnSession = (channel, peer, info) => {
    const fields = {
      remote: info.remoteAddress,
      session: `0x${info.sessionId.toString(16)}`,
      peer: peer?.leafSubject ?? null,
    };
    logger.info?.(fields, 'session established');
    channel.on('error', (e) => logger.warn?.({ ...fields, detail: e.message }, 'session failed'));
    channel.on('close', () => logger.info?.(fields, 'session ended'));
    if (o.echo) channel.pipe(channel);
    else channel.resume();
  };
  const server = await serveEmu(o.emu, setup, {
    listen: o.listen,
    logger,
    idleTimeoutMs: o.idleTimeout,
    ...(o.heartbeatPeriod !== undefined ? { heartbeatPeriod: o.heartbeatPeriod } : {}),
    onSession,
  });
  return { server, subject: setup.subject };
}

/**
 * Connects to an spdm-emu responder (TEST hello included).
 * @throws SpdmError from the transport.
 */
export function emuConnect(
  target: HostPort,
  transport: EmuTransport,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<EmuConnection> {
  return connectEmu(target.host, target.port, {
    transport,
    connectTimeoutMs: timeoutMs,
    sendTimeoutMs: timeoutMs,
    receiveTimeoutMs: timeoutMs,
    ...(signal ? { signal } : {}),
  });
}

/** The requester's capabilities: --caps over the defaults (without identity: no CERT/MUT_AUTH). */
export function emuRequesterCaps(o: EmuOptions, hasIdentity: boolean): number | undefined {
  if (!o.caps) return undefined;
  const defaults = hasIdentity ? DEFAULT_REQUESTER_CAPS : DEFAULT_REQUESTER_CAPS & ~(CAP.CERT | CAP.MUT_AUTH);
  return applyCaps(defaults, o.caps);
}

/**
 * `probe --emu`: connect and run VCA on an spdm-emu connection.
 * @throws SpdmError from the transport or the negotiation (the connection is destroyed).
 */
export async function emuConnectAndNegotiate(
  target: HostPort,
  o: EmuOptions & { emu: EmuTransport },
  requester: RequesterInit,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ conn: EmuConnection; negotiated: Negotiated }> {
  const conn = await emuConnect(target, o.emu, timeoutMs, signal);
  try {
    const caps = emuRequesterCaps(o, false);
    const negotiated = await negotiate(
      exchangeOver(conn),
      { ...requester, ...(caps !== undefined ? { capabilities: caps } : {}) },
      signal,
    );
    return { conn, negotiated };
  } catch (e) {
    conn.destroy();
    throw e;
  }
}

/** `connect --exe-conn`: CHALLENGE and signed GET_MEASUREMENTS before KEY_EXCHANGE. */
export function exeConnHook(list: readonly string[] | undefined, say: (line: string) => void) {
  if (!list?.length) return undefined;
  return async (auth: Authenticator, _n: Negotiated, signal: AbortSignal | undefined): Promise<void> => {
    if (list.includes('CHAL')) {
      const c = await auth.challenge(0, undefined, signal);
      say(`challenge: ok ${c.leafSubject}\n`);
    }
    if (list.includes('MEAS')) {
      const m = await auth.getMeasurements({ operation: 'all', signed: true }, signal);
      say(`measurements: ${m.blocks.length} block(s), signature verified\n`);
    }
  };
}

/**
 * `connect --exe-session`: the listed in-session requests, one status line each, then
 * END_SESSION (which closes the connection with SHUTDOWN).
 * @throws CliError with the failing step.
 */
export async function runExeSession(
  session: RequesterSession,
  list: readonly string[],
  transport: EmuTransport | undefined,
  say: (line: string) => void,
): Promise<void> {
  const step = async (name: string, f: () => Promise<string>) => {
    try {
      say(`${name}: ${await f()}\n`);
    } catch (e) {
      await session.end().catch(() => {});
      throw new CliError(`${name} failed: ${(e as Error).message}`);
    }
  };
  if (list.includes('APP')) {
    if (transport !== 'mctp') {
      say('app: skipped (PLDM GetTID is application data of MCTP sessions only)\n');
    } else {
      await step('app', async () => {
        const a = await session.appRequest(encodePldmGetTid(0));
        if (a.kind !== 'app') throw new Error('answered with an SPDM message');
        return `PLDM GetTID -> TID ${decodePldmGetTidResponse(a.message)}`;
      });
    }
  }
  if (list.includes('HEARTBEAT')) {
    await step('heartbeat', async () => {
      await session.heartbeat();
      return 'ok';
    });
  }
  if (list.includes('KEY_UPDATE')) {
    await step('key update', async () => {
      await session.keyUpdate('UpdateKey');
      await session.keyUpdate('UpdateAllKeys');
      return 'UpdateKey and UpdateAllKeys ok';
    });
  }
  await step('end session', async () => {
    await session.end();
    return 'ok';
  });
}
