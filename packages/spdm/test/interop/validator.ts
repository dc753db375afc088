/**
 * Section 3 of the interop run: DMTF's SPDM-Responder-Validator (spdm_device_validator_sample,
 * its default configuration: VERSION .. END_SESSION_ACK test groups for SPDM 1.0-1.2) against our
 * responder, over MCTP and over NONE (the transports the validator speaks besides PCI_DOE).
 *
 * Our responder serves libspdm's ecp384 sample chain in slot 0:
 *   MCTP  session layer on, HANDSHAKE_IN_THE_CLEAR on, heartbeat period 240 s, no MUT_AUTH_CAP
 *         (the validator wants ENCAP_CAP next to MUT_AUTH_CAP, 2.5.10, and we have no
 *         encapsulated flow; it does not test mutual authentication anyway);
 *   NONE  CERT, CHAL and signed MEASUREMENTS only: spdm-emu's NONE transport carries no secured
 *         messages, so no KEY_EX_CAP and no session layer.
 *
 * The validator writes `test.log` into its working directory (a temporary one here); the cell
 * passes when it ran to "test result done" with no FAIL assertion. NOT_TESTED assertions (a
 * case whose precondition our responder does not meet, e.g. SPDM 1.0 or a capability it lacks)
 * and cases the configuration skips are reported as not applicable, with their names.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAP } from '../../src/msgs/capabilities.js';
import { ResponderCore } from '../../src/responder/core.js';
import { DEFAULT_RESPONDER_CAPS, type ResponderInit } from '../../src/responder/init.js';
import { run } from '../../src/responder/run.js';
import { serveSpdm } from '../../src/responder/serve.js';
import { answerPldmGetTid } from '../../src/session/pldm.js';
import { listenEmu } from '../../src/transport/emu-socket.js';
import { type CellResult, fixedMeasurements, sampleIdentity, type ValidatorCounts } from './cells.js';
import { start, tail } from './emu-process.js';

export type ValidatorTransport = 'mctp' | 'none';

function responderInit(bin: string, transport: ValidatorTransport): ResponderInit {
  const id = sampleIdentity(bin, 'ecp384', 'responder');
  const capabilities =
    transport === 'none'
      ? CAP.CERT | CAP.CHAL | CAP.MEAS_SIG
      : (DEFAULT_RESPONDER_CAPS & ~CAP.MUT_AUTH) | CAP.HANDSHAKE_IN_THE_CLEAR;
  return {
    capabilities,
    slots: [{ slotId: 0, certificates: id.certificates, privateKey: id.privateKey }],
    measurements: fixedMeasurements(),
  };
}

/** The counts of a validator `test.log`. @throws Error when the run did not finish. */
export function parseValidatorLog(log: string): ValidatorCounts {
  const total = /test suite \([^)]*\) - pass: (\d+), fail: (\d+)/.exec(log);
  if (!total || !log.includes('test result done')) throw new Error('the validator did not finish its run');
  const caseNames = new Map<string, string>();
  for (const m of log.matchAll(/test case (\d+\.\d+) \(([^)]+)\)/g)) caseNames.set(m[1]!, m[2]!);
  const notTested = [...log.matchAll(/test assertion (\d+\.\d+)\.\d+ - NOT_TESTED (.*)/g)];
  const skipped = [...log.matchAll(/test case (\d+\.\d+) \(([^)]+)\) - skipped/g)];
  const na = [
    ...notTested.map((m) => `${m[1]} ${caseNames.get(m[1]!) ?? ''}: NOT_TESTED (${m[2]!.trim()})`),
    ...skipped.map((m) => `${m[1]} ${m[2]}: skipped by the validator's configuration`),
  ];
  return {
    pass: Number(total[1]),
    fail: Number(total[2]),
    notTested: notTested.length,
    skipped: skipped.length,
    notApplicable: [...new Set(na)],
  };
}

/** The FAIL assertion lines of a log. */
function failures(log: string): string[] {
  return [...log.matchAll(/test assertion (\S+) - FAIL (.*)/g)].map((m) => `${m[1]} ${m[2]}`);
}

/** Runs the validator against our responder on `transport`. */
export async function validatorCell(bin: string, transport: ValidatorTransport): Promise<CellResult> {
  const t0 = Date.now();
  const name = `validator ${transport.toUpperCase()}`;
  const init = responderInit(bin, transport);
  const errors: string[] = [];
  const server = await listenEmu({ transport, host: '127.0.0.1', port: 0 }, async (conn) => {
    const out =
      transport === 'none'
        ? await serveSpdm(conn, new ResponderCore(init))
        : await run(conn, { ...init, heartbeatPeriod: 240, onForeignApp: answerPldmGetTid });
    if (out.reason !== 'peer-closed') errors.push(`${out.reason}: ${(out.error as Error)?.message}`);
  });
  const dir = mkdtempSync(join(tmpdir(), 'spdm-validator-'));
  const args = [
    '--ip',
    '127.0.0.1',
    '--port',
    String(server.address().port),
    '--trans',
    transport.toUpperCase(),
  ];
  const v = start(bin, 'spdm_device_validator_sample', args, dir);
  try {
    const code = await v.waitExit(600_000);
    let log = '';
    try {
      log = readFileSync(join(dir, 'test.log'), 'latin1');
    } catch {
      // reported below
    }
    let counts: ValidatorCounts | undefined;
    let detail: string | undefined;
    try {
      counts = parseValidatorLog(log);
    } catch (e) {
      detail = `${(e as Error).message}; exit ${code}: ${tail(v.output())}`;
    }
    if (!detail && code !== 0) detail = `exit ${code}: ${tail(v.output())}`;
    if (!detail && counts && counts.fail > 0) detail = failures(log).join(' | ');
    if (!detail && errors.length > 0) detail = `our responder: ${errors.join(' | ')}`;
    return {
      section: 3,
      name,
      status: detail ? 'fail' : 'pass',
      steps: [],
      ...(detail ? { detail } : {}),
      commands: [`(cd $(mktemp -d) && $SPDM_EMU_BIN/${v.command})`],
      ms: Date.now() - t0,
      ...(counts ? { counts } : {}),
    };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
