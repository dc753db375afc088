/**
 * Application data in MCTP sessions with libspdm's emulators (captured.ts): spdm_requester_emu
 * `--exe_session APP` sends PLDM GetTID, which our responder could not read (it ended the
 * session: "application data ... has no vendor header"); spdm_responder_emu answers only PLDM
 * GetTID, which our requester could not send (only our own framed application messages). Now the
 * responder takes foreign application data through `onForeignApp` and the requester has
 * `RequesterSession.appRequest`; both run here over the spdm-emu socket protocol with MCTP.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { SpdmError } from '../../src/errors.js';
import { ERROR_CODE, RESPONSE_CODE } from '../../src/msgs/codes.js';
import { run as requesterRun } from '../../src/requester/run.js';
import { type ResponderRunInit, run as responderRun } from '../../src/responder/run.js';
import { answerPldmGetTid, decodePldmGetTidResponse, encodePldmGetTid } from '../../src/session/pldm.js';
import { EmuConnection } from '../../src/transport/emu-connection.js';
import { memoryDuplexPair } from '../../src/transport/memory.js';
import { hx, PLDM_GET_TID } from './captured.js';
import { keysExist, keysTitle, libspdmIdentity, libspdmResponderInit } from './harness.js';

describe('PLDM GetTID helpers (spdm-emu mctp_{requester,responder}_lib)', () => {
  it('build the request spdm_requester_emu sends and the answer spdm_responder_emu gives', () => {
    expect(toHex(encodePldmGetTid(0))).toBe(PLDM_GET_TID.request);
    expect(toHex(answerPldmGetTid(hx(PLDM_GET_TID.request))!)).toBe(PLDM_GET_TID.response);
    expect(decodePldmGetTidResponse(hx(PLDM_GET_TID.response))).toBe(1);
    expect(toHex(answerPldmGetTid(encodePldmGetTid(5), 9)!)).toBe('010500020009');
  });

  it('answer nothing else, and the decoder only throws SpdmError', () => {
    for (const other of ['01000002', '01800003', '01804002', '7f800002', '0180000200']) {
      expect(answerPldmGetTid(hx(other))).toBeNull();
    }
    expect(() => decodePldmGetTidResponse(hx('010000020101'))).toThrow(SpdmError);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 10 }), (b) => {
        answerPldmGetTid(b);
        try {
          decodePldmGetTidResponse(b);
        } catch (e) {
          if (!(e instanceof SpdmError)) throw e;
        }
      }),
    );
  });
});

/** Our requester and responder over the spdm-emu socket protocol with MCTP, in memory. */
async function mctpSession(init: ResponderRunInit) {
  const [a, b] = memoryDuplexPair();
  const server = new EmuConnection(a, 'server', { transport: 'mctp' });
  const client = new EmuConnection(b, 'client', { transport: 'mctp' });
  const served = responderRun(server, init);
  const id = libspdmIdentity('ecp384', 'responder');
  const before: string[] = [];
  const r = await requesterRun(client, {
    trustedRoots: [id.root],
    timeoutMs: 5000,
    // spdm_requester_emu's order: CHALLENGE and measurements on the connection, then the session.
    beforeKeyExchange: async (auth) => {
      before.push((await auth.challenge(0)).leafSubject);
      before.push(`${(await auth.getMeasurements({ signed: true })).blocks.length} blocks`);
    },
  });
  expect(before).toEqual(['CN=DMTF libspdm ECP384 responder cert', '3 blocks']);
  r.channel.on('error', () => {}); // the second test ends the session with an error
  return { r, served };
}

describe.skipIf(!keysExist)(keysTitle('interop regressions: PLDM GetTID in an MCTP session'), () => {
  it('the responder answers it through onForeignApp; the requester sends it with appRequest', async () => {
    const seen: string[] = [];
    const { r, served } = await mctpSession(
      libspdmResponderInit({
        onForeignApp: (m) => {
          seen.push(toHex(m));
          return answerPldmGetTid(m);
        },
      }),
    );
    const answer = await r.session.appRequest(encodePldmGetTid(0));
    expect(answer.kind).toBe('app');
    expect(toHex(answer.message)).toBe(PLDM_GET_TID.response);
    expect(seen).toEqual([PLDM_GET_TID.request]);
    // The session goes on as usual afterwards.
    await r.session.heartbeat();
    await r.session.end();
    expect((await served).reason).toBe('peer-closed');
  });

  it('without onForeignApp foreign application data still ends the session (ERROR DecryptError)', async () => {
    const { r } = await mctpSession(libspdmResponderInit());
    const answer = await r.session.appRequest(encodePldmGetTid(0));
    expect(answer.kind).toBe('spdm');
    expect(answer.message[1]).toBe(RESPONSE_CODE.ERROR);
    expect(answer.message[2]).toBe(ERROR_CODE.DecryptError);
  });
});
