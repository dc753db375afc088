/**
 * GET_MEASUREMENTS inside a session (captured.ts): SPDM-Responder-Validator 7.7 / 7.10 and
 * spdm_requester_emu `--exe_session MEAS` ask for measurements in an established session; we
 * answered ERROR(UnexpectedRequest). Now the session has its own M and a signed MEASUREMENTS
 * signs L2 = [1.2+: VCA] ‖ that M (libspdm_calculate_l1l2 with session_info), independent of the
 * connection's M; during the handshake it is still UnexpectedRequest (validator 7.8).
 */
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { measurementHashSize } from '../../src/crypto/algorithms.js';
import { SIGNING_CONTEXT } from '../../src/crypto/signing-context.js';
import { cryptoSuite } from '../../src/crypto/suite.js';
import { measurementsTranscript } from '../../src/crypto/transcript.js';
import { ERROR_CODE, RESPONSE_CODE } from '../../src/msgs/codes.js';
import { decodeMeasurements } from '../../src/msgs/measurements.js';
import { suiteOf } from '../../src/negotiated.js';
import { finishPhase } from '../../src/requester/finish.js';
import {
  EMU_REQUESTER_MEASUREMENTS_IN_SESSION_13,
  hx,
  VALIDATOR_MEASUREMENTS_IN_SESSION_11,
} from './captured.js';
import {
  errorOf,
  keysExist,
  keysTitle,
  libspdmIdentity,
  libspdmResponderInit,
  openHandshake,
  type SessionRig,
  sessionRig,
} from './harness.js';

async function established(r: SessionRig) {
  const h = await openHandshake(r);
  const finish = finishPhase.request(h.ke, undefined);
  finishPhase.response(h.ke, undefined, finish, await h.inSession(finish));
  h.secured.switchToDataKeys();
  expect(r.sessions.get(h.ke.sessionId)?.secured.phase).toBe('established');
  return h;
}

/** Whether `signed` verifies over [VCA] ‖ `m` ‖ `signed` minus its signature (`m` ends with its request). */
function verifyL2(r: SessionRig, m: readonly Uint8Array[], signed: Uint8Array): boolean {
  const cs = cryptoSuite(suiteOf(r.n));
  const leaf = libspdmIdentity('ecp384', 'responder').certificates.at(-1)!;
  const key = new X509Certificate(leaf).publicKey;
  const sig = signed.subarray(signed.length - cs.asym!.sigSize);
  const t = measurementsTranscript(cs.hash, r.n.version, r.n.vca, [...m, signed], cs.asym!.sigSize);
  return cs.verify('responder', key, SIGNING_CONTEXT.RESPONDER_MEASUREMENTS, t, sig);
}

describe.skipIf(!keysExist)(keysTitle('interop regressions: GET_MEASUREMENTS in a session'), () => {
  it("spdm_requester_emu's in-session count then signed index 1 (1.3): L2 = VCA ‖ the session's M", async () => {
    const r = await sessionRig(libspdmResponderInit({ mutualAuth: undefined }), 0x13);
    // Something in the connection's own M must not leak into the session's L2.
    expect(r.core.handle(hx('13e00000aabbccddeeff0009'))[1]).toBe(RESPONSE_CODE.MEASUREMENTS);
    const h = await established(r);
    const [count, signedReq] = EMU_REQUESTER_MEASUREMENTS_IN_SESSION_13.map(hx) as [Uint8Array, Uint8Array];
    const countRsp = await h.inSession(count);
    expect(countRsp[1]).toBe(RESPONSE_CODE.MEASUREMENTS);
    expect(countRsp[2]).toBe(3);
    const signed = await h.inSession(signedReq);
    expect(signed[1]).toBe(RESPONSE_CODE.MEASUREMENTS);
    const cs = cryptoSuite(suiteOf(r.n));
    const m = decodeMeasurements(signed, {
      version: r.n.version,
      operation: 1,
      measurementHashSize: measurementHashSize(r.n.measurementHashAlgo),
      signaturePresent: true,
      sigSize: cs.asym!.sigSize,
    });
    expect(m.blocks.map((b) => b.index)).toEqual([1]);
    expect(verifyL2(r, [count, countRsp, signedReq], signed)).toBe(true);
  });

  it("the validator's signed requests in a 1.1 session (count, all, index 1) each verify over their own M", async () => {
    const r = await sessionRig(libspdmResponderInit({ mutualAuth: undefined }), 0x11);
    const h = await established(r);
    for (const hex of VALIDATOR_MEASUREMENTS_IN_SESSION_11) {
      const req = hx(hex);
      const rsp = await h.inSession(req);
      expect(rsp[1]).toBe(RESPONSE_CODE.MEASUREMENTS);
      expect(verifyL2(r, [req], rsp)).toBe(true);
    }
  });

  it('another request in the session resets its M; during the handshake it is UnexpectedRequest', async () => {
    const r = await sessionRig(libspdmResponderInit({ mutualAuth: undefined }), 0x13);
    const hs = await openHandshake(r);
    expect(errorOf(await hs.inSession(hx('13e00000aabbccddeeff0000')))).toBe(ERROR_CODE.UnexpectedRequest);
    const h = await established(r);
    const [count, signedReq] = EMU_REQUESTER_MEASUREMENTS_IN_SESSION_13.map(hx) as [Uint8Array, Uint8Array];
    const countRsp = await h.inSession(count);
    expect((await h.inSession(hx('13e80000')))[1]).toBe(RESPONSE_CODE.HEARTBEAT_ACK);
    const signed = await h.inSession(signedReq);
    expect(verifyL2(r, [signedReq], signed)).toBe(true);
    expect(verifyL2(r, [count, countRsp, signedReq], signed)).toBe(false);
  });
});
