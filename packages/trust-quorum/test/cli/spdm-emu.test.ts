/**
 * `tq spdm ... --emu` without DMTF's emulator: our own requester and responder, both real child
 * processes, over spdm-emu's socket protocol on loopback, with libspdm's sample identities (read
 * in place from shared/vectors/libspdm/keys): `responder --emu mctp --mut-auth-libspdm` serves a
 * mutually authenticated session to `connect --emu mctp --identity-libspdm --exe-conn
 * --exe-session` (PLDM GetTID answered like spdm_responder_emu, heartbeat, key updates,
 * END_SESSION) and exits 0 after the client's SHUTDOWN, as spdm_responder_emu does; `probe --emu
 * none` against `responder --emu none` (no session capabilities on NONE). The interop against the
 * real emulator is `npm run test:interop`. Option parsing of --caps runs in-process.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CAP } from '@trust-quorum/spdm/msgs/capabilities';
import { DEFAULT_RESPONDER_CAPS } from '@trust-quorum/spdm/responder/init';
import { afterEach, describe, expect, it } from 'vitest';
import { applyCaps, capsArg } from '../../src/cli/spdm-emu.js';
import { type TqProc, TqProcesses, untilOutput } from '../helpers/cli.js';

const KEYS = fileURLToPath(new URL('../../../../../shared/vectors/libspdm/keys/', import.meta.url));
const keysExist = existsSync(KEYS);

const procs = new TqProcesses();

afterEach(() => procs.stopAll());

const tq = (...args: string[]): TqProc => procs.spawn(args);

/** Waits for the responder's `listening on HOST:PORT` line and returns the port. */
async function listeningPort(p: TqProc): Promise<number> {
  return Number((await untilOutput(p, /listening on 127\.0\.0\.1:(\d+)/, 15_000))[1]);
}

describe('--caps', () => {
  it('takes a full list (spdm-emu names too) or +/- changes to the defaults', () => {
    expect(applyCaps(DEFAULT_RESPONDER_CAPS, capsArg('CERT,CHAL,MEAS_SIG'))).toBe(
      CAP.CERT | CAP.CHAL | CAP.MEAS_SIG,
    );
    expect(applyCaps(DEFAULT_RESPONDER_CAPS, capsArg('-MUT_AUTH,+HANDSHAKE_IN_CLEAR'))).toBe(
      ((DEFAULT_RESPONDER_CAPS & ~CAP.MUT_AUTH) | CAP.HANDSHAKE_IN_THE_CLEAR) >>> 0,
    );
    expect(applyCaps(0, capsArg('key_ex_cap,encrypt,mac'))).toBe(CAP.KEY_EX | CAP.ENCRYPT | CAP.MAC);
    expect(() => capsArg('CERT,+CHAL')).toThrow(/not both/);
    expect(() => capsArg('TELEPORT')).toThrow(/unknown capability/);
  });
});

describe.skipIf(!keysExist)(
  keysExist ? 'tq spdm --emu (our requester and responder)' : `tq spdm --emu (SKIPPED: no ${KEYS})`,
  () => {
    it('connect --emu mctp: mutual auth with libspdm identities, PLDM GetTID, heartbeat, key update, END_SESSION; the responder stops after SHUTDOWN', async () => {
      const dir = `${KEYS}ecp384`;
      const rsp = tq(
        'spdm',
        'responder',
        '--emu',
        'mctp',
        '--listen',
        '127.0.0.1:0',
        '--identity-libspdm',
        dir,
        '--mut-auth-libspdm',
        dir,
        '--caps',
        '+HANDSHAKE_IN_CLEAR',
        '--log-level',
        'info',
      );
      const port = await listeningPort(rsp);
      expect(rsp.out).toContain('(spdm-emu MCTP)');
      expect(rsp.out).toContain('identity: CN=DMTF libspdm ECP384 responder cert (slot 0)');
      const c = tq(
        'spdm',
        'connect',
        '--emu',
        'mctp',
        `127.0.0.1:${port}`,
        '--identity-libspdm',
        dir,
        '--exe-conn',
        'CHAL,MEAS',
        '--exe-session',
        'APP,HEARTBEAT,KEY_UPDATE',
      );
      expect(await c.exited).toBe(0);
      expect(c.err.split('\n').filter((l) => l.length > 0)).toEqual([
        'challenge: ok CN=DMTF libspdm ECP384 responder cert',
        expect.stringMatching(/^measurements: \d+ block\(s\), signature verified$/),
        `session established with 127.0.0.1:${port}: CN=DMTF libspdm ECP384 responder cert (mutually authenticated)`,
        'app: PLDM GetTID -> TID 1',
        'heartbeat: ok',
        'key update: UpdateKey and UpdateAllKeys ok',
        'end session: ok',
      ]);
      expect(await rsp.exited).toBe(0);
      expect(rsp.err).toContain('"peer":"CN=DMTF libspdm ECP384 requseter cert"');
      expect(rsp.err).toContain('"signal":"SHUTDOWN"');
    });

    it('probe --emu none: certificates, CHALLENGE and measurements; no session capabilities on NONE', async () => {
      const dir = `${KEYS}ecp256`;
      const rsp = tq(
        'spdm',
        'responder',
        '--emu',
        'none',
        '--listen',
        '127.0.0.1:0',
        '--identity-libspdm',
        dir,
      );
      const port = await listeningPort(rsp);
      const p = tq(
        'spdm',
        'probe',
        '--emu',
        'none',
        `127.0.0.1:${port}`,
        '--identity-libspdm',
        dir,
        '--challenge',
        '--json',
      );
      expect(await p.exited).toBe(0);
      const j = JSON.parse(p.out) as Record<string, unknown> & { responderCaps: string[] };
      expect(j.responderCaps).toContain('CERT_CAP');
      expect(j.responderCaps).not.toContain('KEY_EX_CAP');
      expect(j.challenge).toEqual({ ok: true, slot: 0, subject: 'CN=DMTF libspdm ECP256 responder cert' });
      expect(await rsp.exited).toBe(0);
    });

    it('responder --identity-libspdm without --emu is a usage error', async () => {
      const p = tq('spdm', 'responder', '--listen', '127.0.0.1:0', '--identity-libspdm', `${KEYS}ecp256`);
      expect(await p.exited).toBe(2);
      expect(p.err).toContain('need --emu');
    });
  },
);
