/**
 * Our requester advertised CHAL_CAP (captured.ts EMU_RESPONDER_BASIC_MUT_AUTH): spdm_responder_emu
 * then set BasicMutAuthReq in CHALLENGE_AUTH (Param1 0x80; libspdm_rsp_challenge_auth.c does so
 * for any 1.1+ requester with MUT_AUTH_CAP, CHAL_CAP and CERT_CAP, spdm-emu's default
 * `--basic_mut_auth BASIC`), asking for an encapsulated CHALLENGE we cannot answer, and our
 * CHALLENGE failed. A requester's CHAL_CAP means it answers CHALLENGE itself, which this stack does
 * not, so the default capabilities no longer claim it.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { CAP, decodeGetCapabilities } from '../../src/msgs/capabilities.js';
import { REQUEST_CODE } from '../../src/msgs/codes.js';
import { DEFAULT_REQUESTER_CAPS } from '../../src/requester/init.js';
import { negotiate } from '../../src/requester/negotiate.js';
import { fitRequesterInit } from '../../src/requester/run.js';
import { ResponderCore } from '../../src/responder/core.js';
import { EMU_RESPONDER_BASIC_MUT_AUTH, hx } from './captured.js';
import { keysExist, keysTitle, libspdmIdentity } from './harness.js';

/** libspdm's condition for BasicMutAuthReq, on the requester's flags. */
function libspdmAsksBasicMutAuth(requesterFlags: number): boolean {
  return (
    (requesterFlags & CAP.MUT_AUTH) !== 0 &&
    (requesterFlags & CAP.CHAL) !== 0 &&
    (requesterFlags & CAP.CERT) !== 0
  );
}

describe.skipIf(!keysExist)(keysTitle('interop regressions: requester capabilities'), () => {
  it('the old GET_CAPABILITIES made libspdm ask for basic mutual auth; the default one does not', async () => {
    const old = decodeGetCapabilities(hx(EMU_RESPONDER_BASIC_MUT_AUTH.oldGetCapabilities), { version: 0x12 });
    expect(libspdmAsksBasicMutAuth(old.flags)).toBe(true);
    // What spdm_responder_emu answered: CHALLENGE_AUTH with BasicMutAuthReq (Param1 bit 7).
    expect(hx(EMU_RESPONDER_BASIC_MUT_AUTH.challengeAuthHeader)[2]! & 0x80).toBe(0x80);

    const id = libspdmIdentity('ecp256', 'requester');
    const fitted = fitRequesterInit({
      trustedRoots: [id.root],
      identity: { certificates: id.certificates, privateKey: id.privateKey },
      versions: [0x12],
    });
    const rsp = libspdmIdentity('ecp256', 'responder');
    const core = new ResponderCore({
      slots: [{ slotId: 0, certificates: rsp.certificates, privateKey: rsp.privateKey }],
      capabilities: CAP.CERT | CAP.CHAL | CAP.ENCRYPT | CAP.MAC | CAP.MUT_AUTH | CAP.KEY_EX,
    });
    const sent: Uint8Array[] = [];
    await negotiate(async (req) => {
      sent.push(req);
      return core.handle(req);
    }, fitted);
    const getCaps = sent.find((m) => m[1] === REQUEST_CODE.GET_CAPABILITIES)!;
    const ours = decodeGetCapabilities(getCaps, { version: 0x12 });
    expect(ours.flags).toBe(DEFAULT_REQUESTER_CAPS);
    expect(ours.flags & CAP.CHAL).toBe(0);
    expect(libspdmAsksBasicMutAuth(ours.flags)).toBe(false);
    // The same message as before, CHAL_CAP (bit 2) cleared: flags 0x63c6 -> 0x63c2.
    expect(toHex(getCaps)).toBe('12e1000000140000c26300000012000000120000');
  });
});
