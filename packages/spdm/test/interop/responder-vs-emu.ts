/**
 * Section 2 of the interop run: spdm_requester_emu against our responder. Our responder runs in
 * this process (listenEmu + responder.run) with libspdm's sample chain and key of the cell's curve
 * in slot 0, a heartbeat period (libspdm's requester refuses HEARTBEAT without one), PLDM GetTID
 * answered through onForeignApp on MCTP, and, for the mutual cells, libspdm's requester chain as
 * provisioned chain (mutualAuth.provisionedRequesterChain, MutAuthRequested = 1 without
 * encapsulation) with ReqBaseAsymAlg narrowed to that chain's key. The emulator runs
 *
 *   --exe_conn DIGEST,CERT,CHAL,MEAS --exe_session KEY_EX,HEARTBEAT,KEY_UPDATE,MEAS,DIGEST,CERT[,APP]
 *
 * (APP on MCTP only; the "emulator defaults" cells pass no such flags: every default flow runs,
 * the ones our capabilities rule out are skipped by the emulator itself) and must exit 0 without
 * printing an error; on our side every request must have been answered
 * without ERROR, one session must have been established (with the requester's identity exactly
 * when mutual) and must have ended by END_SESSION, and the PLDM request must have arrived (MCTP).
 */
import { SpdmError } from '../../src/errors.js';
import { CAP } from '../../src/msgs/capabilities.js';
import { codeName, REQUEST_CODE, RESPONSE_CODE } from '../../src/msgs/codes.js';
import { ResponderCore } from '../../src/responder/core.js';
import { DEFAULT_RESPONDER_CAPS } from '../../src/responder/init.js';
import { type ResponderRunInit, run } from '../../src/responder/run.js';
import { answerPldmGetTid } from '../../src/session/pldm.js';
import { listenEmu } from '../../src/transport/emu-socket.js';
import {
  asymBitsOfChain,
  asymFlag,
  type CellResult,
  cellName,
  curveDir,
  fixedMeasurements,
  type MatrixCell,
  notApplicable,
  Steps,
  sampleIdentity,
  VERSION_NAME,
} from './cells.js';
import { emuErrors, start, tail } from './emu-process.js';

/** One request our core answered: codes and whether it was inside a session. */
export interface Seen {
  readonly request: number;
  readonly response: number;
  readonly inSession: boolean;
}

let observer: ((s: Seen) => void) | undefined;
let instrumented = false;

/**
 * Test instrumentation: every ResponderCore.handle of this process reports its request and
 * response codes to the current observer (cells run one at a time).
 */
export function observeCores(fn: ((s: Seen) => void) | undefined): void {
  observer = fn;
  if (instrumented) return;
  instrumented = true;
  const handle = ResponderCore.prototype.handle;
  ResponderCore.prototype.handle = function (this: ResponderCore, request, meta = {}) {
    const response = handle.call(this, request, meta);
    observer?.({
      request: request[1] ?? 0,
      response: response[1] ?? 0,
      inSession: meta.sessionId !== undefined,
    });
    return response;
  };
}

export function requesterEmuArgs(c: MatrixCell, port: number): string[] {
  const session = ['KEY_EX', 'HEARTBEAT', 'KEY_UPDATE', 'MEAS', 'DIGEST', 'CERT'];
  if (c.transport === 'mctp') session.push('APP');
  const args = ['--ip', '127.0.0.1', '--port', String(port), '--trans', c.transport.toUpperCase()];
  if (c.emuDefaults) return args;
  args.push('--ver', VERSION_NAME[c.version]!, '--asym', asymFlag(c));
  if (!c.rsaRequester) args.push('--req_asym', asymFlag(c));
  args.push('--exe_conn', 'DIGEST,CERT,CHAL,MEAS', '--exe_session', session.join(','));
  return args;
}

function responderInit(bin: string, c: MatrixCell, record: Observed): ResponderRunInit {
  const id = sampleIdentity(bin, curveDir(c), 'responder');
  const reqChain = c.mutual
    ? sampleIdentity(bin, c.rsaRequester ? 'rsa3072' : curveDir(c), 'requester').certificates
    : undefined;
  return {
    capabilities: DEFAULT_RESPONDER_CAPS | (c.handshakeInTheClear ? CAP.HANDSHAKE_IN_THE_CLEAR : 0),
    slots: [{ slotId: 0, certificates: id.certificates, privateKey: id.privateKey }],
    measurements: fixedMeasurements(),
    heartbeatPeriod: 240,
    ...(reqChain
      ? {
          mutualAuth: { provisionedRequesterChain: reqChain },
          algorithms: { reqBaseAsym: asymBitsOfChain(reqChain) },
        }
      : {}),
    ...(c.transport === 'mctp'
      ? {
          onForeignApp: (m: Uint8Array) => {
            record.app++;
            return answerPldmGetTid(m);
          },
        }
      : {}),
    onSession: (channel, peer) => {
      record.sessions.push({ peer: peer?.leafSubject ?? null });
      channel.on('error', (e) => record.errors.push(`channel: ${e.message}`));
      channel.on('close', () => record.closed++);
      channel.resume();
    },
    onSessionError: (e) => record.errors.push(`session: ${e.message}`),
  };
}

interface Observed {
  app: number;
  closed: number;
  readonly sessions: { peer: string | null }[];
  readonly errors: string[];
  readonly seen: Seen[];
}

const PLAIN_STEPS: [string, number][] = [
  ['VCA', REQUEST_CODE.NEGOTIATE_ALGORITHMS],
  ['DIGESTS', REQUEST_CODE.GET_DIGESTS],
  ['CERTIFICATE', REQUEST_CODE.GET_CERTIFICATE],
  ['CHALLENGE', REQUEST_CODE.CHALLENGE],
  ['MEASUREMENTS', REQUEST_CODE.GET_MEASUREMENTS],
  ['KEY_EXCHANGE', REQUEST_CODE.KEY_EXCHANGE],
];
const SESSION_STEPS: [string, number][] = [
  ['HEARTBEAT', REQUEST_CODE.HEARTBEAT],
  ['KEY_UPDATE', REQUEST_CODE.KEY_UPDATE],
  ['MEASUREMENTS in session', REQUEST_CODE.GET_MEASUREMENTS],
  ['DIGESTS in session', REQUEST_CODE.GET_DIGESTS],
  ['CERTIFICATE in session', REQUEST_CODE.GET_CERTIFICATE],
  ['END_SESSION', REQUEST_CODE.END_SESSION],
];

/** Turns what our side saw into steps. */
function judge(c: MatrixCell, r: Observed, steps: Steps): void {
  const bad = r.seen.filter((s) => s.response === RESPONSE_CODE.ERROR);
  const answered = (code: number, inSession: boolean) =>
    r.seen.some((s) => s.request === code && s.inSession === inSession && s.response !== RESPONSE_CODE.ERROR);
  for (const [name, code] of PLAIN_STEPS) {
    if (answered(code, false)) steps.mark(name, 'pass');
    else steps.fail(name, `no successful ${codeName(code)}`);
  }
  if (answered(REQUEST_CODE.FINISH, !c.handshakeInTheClear)) steps.mark('FINISH', 'pass');
  else
    steps.fail('FINISH', `no successful FINISH ${c.handshakeInTheClear ? 'in the clear' : 'in the session'}`);
  const s = r.sessions;
  if (s.length !== 1) steps.fail('session', `${s.length} sessions established`);
  else if ((s[0]!.peer !== null) !== c.mutual)
    steps.fail('mutual authentication', `requester: ${s[0]!.peer}`);
  else steps.mark(c.mutual ? `mutual (${s[0]!.peer})` : 'responder-only', 'pass');
  if (c.transport === 'mctp') {
    if (r.app > 0) steps.mark('APP (PLDM GetTID)', 'pass');
    else steps.fail('APP', 'no PLDM GetTID arrived');
  } else {
    steps.mark('APP', 'n/a', 'spdm_requester_emu sends application data only on MCTP and PCI_DOE');
  }
  for (const [name, code] of SESSION_STEPS) {
    if (answered(code, true)) steps.mark(name, 'pass');
    else steps.fail(name, `no successful in-session ${codeName(code)}`);
  }
  if (bad.length > 0)
    steps.fail('errors', `we answered ERROR to ${bad.map((b) => codeName(b.request)).join(', ')}`);
  if (r.errors.length > 0) steps.fail('session errors', r.errors.join(' | '));
  if (r.closed < 1) steps.fail('END_SESSION', 'the session channel did not close');
}

/** Runs one cell of section 2. */
export async function responderCell(bin: string, c: MatrixCell): Promise<CellResult> {
  const name = cellName(c);
  const t0 = Date.now();
  const na = notApplicable(c);
  if (na) return { section: 2, name, status: 'n/a', steps: [], detail: na, commands: [], ms: 0 };
  const record: Observed = { app: 0, closed: 0, sessions: [], errors: [], seen: [] };
  observeCores((s) => record.seen.push(s));
  const init = responderInit(bin, c, record);
  const server = await listenEmu({ transport: c.transport, host: '127.0.0.1', port: 0 }, async (conn) => {
    const out = await run(conn, init);
    if (out.reason !== 'peer-closed')
      record.errors.push(`connection: ${out.reason} ${(out.error as Error)?.message}`);
  });
  const emu = start(bin, 'spdm_requester_emu', requesterEmuArgs(c, server.address().port));
  const steps = new Steps();
  try {
    const code = await emu.waitExit(120_000);
    await Promise.race([server.shutdownRequested, new Promise((r) => setTimeout(r, 2000))]);
    judge(c, record, steps);
    const errors = emuErrors(emu.output());
    if (code !== 0) steps.fail('emulator exit', `exit ${code}: ${tail(emu.output())}`);
    if (errors.length > 0) steps.fail('emulator output', errors.join(' | '));
  } catch (e) {
    steps.fail('run', e instanceof SpdmError ? e.message : String(e));
  } finally {
    observeCores(undefined);
    await server.close();
  }
  return {
    section: 2,
    name,
    status: steps.failed ? 'fail' : 'pass',
    steps: steps.list,
    ...(steps.failed ? { detail: steps.failed } : {}),
    commands: [emu.command],
    ms: Date.now() - t0,
  };
}
