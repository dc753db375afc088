/**
 * ALGORITHMS selections that DMTF's tools exposed (captured.ts has the bytes and their source):
 *
 * - a responder without KEY_EX_CAP (ours on spdm-emu's NONE transport) selected a DHE group, an
 *   AEAD and the key schedule; the responder validator wants 0 there (3.6.13, .14, .16);
 * - a responder without MUT_AUTH_CAP selected a ReqBaseAsymAlg from its default preferences; the
 *   validator wants 0 (3.5.15);
 * - a responder with MUT_AUTH_CAP refused spdm_requester_emu's default NEGOTIATE_ALGORITHMS,
 *   which offers only RSA requester signatures ("no common ReqBaseAsymAlg").
 *
 * Each test replays the tool's VCA requests into a ResponderCore configured as in the capture and
 * expects the recorded (fixed) responses byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { CAP } from '../../src/msgs/capabilities.js';
import { ResponderCore } from '../../src/responder/core.js';
import { DEFAULT_RESPONDER_CAPS } from '../../src/responder/init.js';
import { EMU_REQUESTER_DEFAULT_VCA_13, hx, VALIDATOR_MCTP_11, VALIDATOR_NONE_12 } from './captured.js';
import { fixedMeasurements, keysExist, keysTitle, libspdmIdentity } from './harness.js';

interface Vca {
  readonly getVersion: string;
  readonly version: string;
  readonly getCapabilities: string;
  readonly capabilities: string;
  readonly negotiateAlgorithms: string;
  readonly algorithms: string;
}

function replay(core: ResponderCore, v: Vca): void {
  expect(toHex(core.handle(hx(v.getVersion)))).toBe(v.version);
  expect(toHex(core.handle(hx(v.getCapabilities)))).toBe(v.capabilities);
  expect(toHex(core.handle(hx(v.negotiateAlgorithms)))).toBe(v.algorithms);
}

function responder(capabilities: number): ResponderCore {
  const id = libspdmIdentity('ecp384', 'responder');
  return new ResponderCore({
    capabilities,
    slots: [{ slotId: 0, certificates: id.certificates, privateKey: id.privateKey }],
    measurements: fixedMeasurements(),
  });
}

describe.skipIf(!keysExist)(keysTitle('interop regressions: ALGORITHMS selections'), () => {
  it('validator on NONE: without KEY_EX_CAP, DHE / AEAD / KeySchedule (and ReqBaseAsymAlg) are 0', () => {
    replay(responder(CAP.CERT | CAP.CHAL | CAP.MEAS_SIG), VALIDATOR_NONE_12);
  });

  it('validator on MCTP at 1.1: without MUT_AUTH_CAP and default preferences, ReqBaseAsymAlg is 0', () => {
    const caps = (DEFAULT_RESPONDER_CAPS & ~CAP.MUT_AUTH) | CAP.HANDSHAKE_IN_THE_CLEAR;
    replay(responder(caps), VALIDATOR_MCTP_11);
  });

  it('an explicit reqBaseAsym list is still selected without MUT_AUTH_CAP (libspdm behaviour)', () => {
    const id = libspdmIdentity('ecp384', 'responder');
    const core = new ResponderCore({
      capabilities: (DEFAULT_RESPONDER_CAPS & ~CAP.MUT_AUTH) | CAP.HANDSHAKE_IN_THE_CLEAR,
      slots: [{ slotId: 0, certificates: id.certificates, privateKey: id.privateKey }],
      measurements: fixedMeasurements(),
      algorithms: { reqBaseAsym: [0x0080] },
    });
    core.handle(hx(VALIDATOR_MCTP_11.getVersion));
    core.handle(hx(VALIDATOR_MCTP_11.getCapabilities));
    const rsp = toHex(core.handle(hx(VALIDATOR_MCTP_11.negotiateAlgorithms)));
    // AlgType 4 (ReqBaseAsymAlg), AlgCount 0x20, ECDSA P-384.
    expect(rsp).toContain('04208000');
  });

  it("spdm_requester_emu's default offer (RSA requester signatures only) is accepted: RSAPSS_3072", () => {
    replay(responder(DEFAULT_RESPONDER_CAPS), EMU_REQUESTER_DEFAULT_VCA_13);
  });
});
