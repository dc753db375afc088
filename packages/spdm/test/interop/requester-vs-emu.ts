/**
 * Section 1 of the interop run: our requester against spdm_responder_emu. For each matrix cell
 * the emulator is started with that version, curve and transport (`--mut_auth WO_ENCAP` for the
 * mutual cells: it then uses the libspdm requester chain it was provisioned with, and our
 * requester signs FINISH with libspdm's end_requester.key), and `requester.run` drives one
 * connection through
 *
 *   VCA, GET_DIGESTS, GET_CERTIFICATE (chain validated against libspdm's sample CA), CHALLENGE,
 *   GET_MEASUREMENTS (all, signed), KEY_EXCHANGE, FINISH, application data (PLDM GetTID on MCTP,
 *   the only application message spdm_responder_emu answers), HEARTBEAT, KEY_UPDATE (UpdateKey
 *   and UpdateAllKeys, each with VerifyNewKey), END_SESSION,
 *
 * then SHUTDOWN; the emulator must exit 0 and print no error.
 */

import { BASE_ASYM_ALGO } from '../../src/crypto/algorithms.js';
import { SpdmError } from '../../src/errors.js';
import { CAP } from '../../src/msgs/capabilities.js';
import { bothHave } from '../../src/negotiation.js';
import { DEFAULT_REQUESTER_CAPS } from '../../src/requester/init.js';
import type { RequesterRunResult } from '../../src/requester/run.js';
import { run } from '../../src/requester/run.js';
import { decodePldmGetTidResponse, encodePldmGetTid } from '../../src/session/pldm.js';
import type { EmuConnection } from '../../src/transport/emu-connection.js';
import { connectEmu } from '../../src/transport/emu-socket.js';
import {
  asymFlag,
  type CellResult,
  cellName,
  curveDir,
  describe,
  type MatrixCell,
  notApplicable,
  Steps,
  sampleIdentity,
  VERSION_NAME,
} from './cells.js';
import { emuErrors, freePort, start, tail } from './emu-process.js';

const TCP_APP_NA =
  'spdm_responder_emu has no application-data handler on TCP (spdm_get_response_vendor_defined_request serves MCTP and PCI_DOE only) and answers with stale buffer bytes';

/** The emulator's arguments for a cell. */
export function responderEmuArgs(c: MatrixCell, port: number): string[] {
  const args = ['--ip', '127.0.0.1', '--port', String(port), '--trans', c.transport.toUpperCase()];
  if (c.emuDefaults) return args;
  args.push('--ver', VERSION_NAME[c.version]!, '--asym', asymFlag(c));
  if (c.mutual) {
    args.push('--mut_auth', 'WO_ENCAP');
    // The requester chain the emulator provisions follows the negotiated ReqBaseAsymAlg.
    if (!c.rsaRequester) args.push('--req_asym', asymFlag(c));
  }
  return args;
}

/** connectEmu, retried while the emulator is still starting (refused). */
async function connectRetrying(port: number, c: MatrixCell, ms = 10_000): Promise<EmuConnection> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await connectEmu('127.0.0.1', port, { transport: c.transport, receiveTimeoutMs: 15_000 });
    } catch (e) {
      const refused = e instanceof SpdmError && (e.cause as { code?: unknown })?.code === 'ECONNREFUSED';
      if (!refused || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function drive(bin: string, c: MatrixCell, conn: EmuConnection, steps: Steps): Promise<void> {
  const rsp = sampleIdentity(bin, curveDir(c), 'responder');
  // At its defaults the emulator picks the signature algorithm: trust both ECDSA sample CAs.
  const roots = c.emuDefaults ? [rsp.root, sampleIdentity(bin, 'ecp256', 'responder').root] : [rsp.root];
  const req = c.mutual
    ? sampleIdentity(bin, c.rsaRequester ? 'rsa3072' : curveDir(c), 'requester')
    : undefined;
  let caps = req ? DEFAULT_REQUESTER_CAPS : DEFAULT_REQUESTER_CAPS & ~(CAP.CERT | CAP.MUT_AUTH);
  if (c.handshakeInTheClear) caps |= CAP.HANDSHAKE_IN_THE_CLEAR;
  let reachedHook = false;
  let result: RequesterRunResult;
  try {
    result = await run(conn, {
      ...(c.emuDefaults ? {} : { versions: [c.version] }),
      capabilities: caps,
      trustedRoots: roots,
      ...(req ? { identity: { certificates: req.certificates, privateKey: req.privateKey } } : {}),
      presentChain: false,
      timeoutMs: 15_000,
      beforeKeyExchange: async (auth) => {
        reachedHook = true;
        for (const s of ['VCA', 'DIGESTS', 'CERTIFICATE']) steps.mark(s, 'pass');
        await steps.run('CHALLENGE', () => auth.challenge(0));
        await steps.run('MEASUREMENTS', async () => {
          const m = await auth.getMeasurements({ operation: 'all', signed: true });
          if (m.blocks.length === 0) throw new Error('no measurement blocks');
        });
        if (steps.failed) throw new Error(steps.failed);
      },
    });
  } catch (e) {
    if (!reachedHook) steps.fail('VCA/DIGESTS/CERTIFICATE', describe(e));
    else steps.fail('KEY_EXCHANGE+FINISH', describe(e));
    return;
  }
  await checkSession(c, result, steps);
}

async function checkSession(c: MatrixCell, r: RequesterRunResult, steps: Steps): Promise<void> {
  r.channel.on('error', () => {});
  await steps.run('KEY_EXCHANGE+FINISH', () => {
    if (r.session.mutuallyAuthenticated !== c.mutual) {
      throw new Error(`mutual authentication ${r.session.mutuallyAuthenticated}, expected ${c.mutual}`);
    }
    const hitc = bothHave(r.negotiated, CAP.HANDSHAKE_IN_THE_CLEAR);
    if (hitc !== c.handshakeInTheClear) throw new Error(`HANDSHAKE_IN_THE_CLEAR ${hitc}`);
    if (r.negotiated.version !== c.version) throw new Error(`SPDM 0x${r.negotiated.version.toString(16)}`);
    const asym = c.curve === 'P-256' ? BASE_ASYM_ALGO.ECDSA_P256 : BASE_ASYM_ALGO.ECDSA_P384;
    if (r.negotiated.baseAsymAlgo !== asym)
      throw new Error(`BaseAsymAlgo 0x${r.negotiated.baseAsymAlgo.toString(16)}`);
  });
  if (c.transport === 'mctp') {
    await steps.run('APP (PLDM GetTID)', async () => {
      const a = await r.session.appRequest(encodePldmGetTid(0));
      if (a.kind !== 'app')
        throw new Error(`answered with an SPDM message 0x${(a.message[1] ?? 0).toString(16)}`);
      decodePldmGetTidResponse(a.message);
    });
  } else {
    steps.mark('APP', 'n/a', TCP_APP_NA);
  }
  await steps.run('HEARTBEAT', () => r.session.heartbeat());
  await steps.run('KEY_UPDATE', async () => {
    await r.session.keyUpdate('UpdateKey');
    await r.session.keyUpdate('UpdateAllKeys');
  });
  await steps.run('END_SESSION', () => r.session.end());
}

/** Runs one cell of section 1. */
export async function requesterCell(bin: string, c: MatrixCell): Promise<CellResult> {
  const name = cellName(c);
  const t0 = Date.now();
  const na = notApplicable(c);
  if (na) return { section: 1, name, status: 'n/a', steps: [], detail: na, commands: [], ms: 0 };
  const port = await freePort();
  const emu = start(bin, 'spdm_responder_emu', responderEmuArgs(c, port));
  const steps = new Steps();
  let conn: EmuConnection | undefined;
  try {
    conn = await connectRetrying(port, c);
    await drive(bin, c, conn, steps);
  } catch (e) {
    steps.fail('connect', e instanceof Error ? e.message : String(e));
  } finally {
    if (steps.failed) conn?.destroy();
  }
  // END_SESSION closed the connection with SHUTDOWN; spdm_responder_emu then exits.
  const code = await emu.waitExit(steps.failed ? 1000 : 10_000);
  const errors = emuErrors(emu.output());
  if (!steps.failed && code !== 0) steps.fail('emulator exit', `exit ${code}: ${tail(emu.output())}`);
  if (!steps.failed && errors.length > 0) steps.fail('emulator output', errors.join(' | '));
  const status = steps.failed ? 'fail' : 'pass';
  const detail = steps.failed ? `${steps.failed} [emulator: ${tail(emu.output(), 4)}]` : undefined;
  return {
    section: 1,
    name,
    status,
    steps: steps.list,
    ...(detail ? { detail } : {}),
    commands: [emu.command],
    ms: Date.now() - t0,
  };
}
