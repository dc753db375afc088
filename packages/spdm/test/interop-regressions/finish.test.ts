/**
 * FINISH as SPDM-Responder-Validator exercises it (captured.ts):
 *
 * - 9.6: fifteen FINISH requests in one session with SignatureIncluded and ReqSlotID 1..15
 *   (no mutual authentication was asked), then one without its RequesterVerifyData: each must be
 *   ERROR(InvalidRequest) and the session must stay in its handshake (libspdm_rsp_finish_rsp.c
 *   frees nothing for these). We ended the session and closed the connection at the first one.
 * - 9.7: a FINISH whose RequesterVerifyData does not verify is ERROR(DecryptError); the session
 *   ends but the connection stays (we closed it, and the validator died on the next case).
 * - 9.11: FINISH outside its session (no HANDSHAKE_IN_THE_CLEAR) is SessionRequired in 1.2.
 */
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../../src/codec/bytes.js';
import { ERROR_CODE, REQUEST_CODE, RESPONSE_CODE } from '../../src/msgs/codes.js';
import { finishPhase } from '../../src/requester/finish.js';
import { hx, VALIDATOR_FINISH_INVALID, VALIDATOR_OUTSIDE_SESSION_12 } from './captured.js';
import { errorOf, keysExist, keysTitle, libspdmResponderInit, openHandshake, sessionRig } from './harness.js';

describe.skipIf(!keysExist)(
  keysTitle('interop regressions: FINISH (responder validator 9.6, 9.7, 9.11)'),
  () => {
    it('malformed FINISH requests are InvalidRequest and leave the handshake usable', async () => {
      const r = await sessionRig(libspdmResponderInit({ mutualAuth: undefined }));
      const h = await openHandshake(r);
      for (let slot = 1; slot <= 15; slot++) {
        const bad = concatBytes(
          hx(VALIDATOR_FINISH_INVALID.headerPrefix),
          Uint8Array.of(slot),
          hx(VALIDATOR_FINISH_INVALID.verifyData),
        );
        expect(toHex(await h.inSession(bad))).toBe(VALIDATOR_FINISH_INVALID.invalidRequest);
      }
      expect(toHex(await h.inSession(hx(VALIDATOR_FINISH_INVALID.invalidSize)))).toBe(
        VALIDATOR_FINISH_INVALID.invalidRequest,
      );
      expect(r.sessions.liveCount()).toBe(1);
      // The session still finishes with a correct FINISH.
      const finish = finishPhase.request(h.ke, undefined);
      const rsp = await h.inSession(finish);
      expect(rsp[1]).toBe(RESPONSE_CODE.FINISH_RSP);
      finishPhase.response(h.ke, undefined, finish, rsp);
    });

    it('a FINISH that does not verify ends the session, not the connection', async () => {
      const r = await sessionRig(libspdmResponderInit({ mutualAuth: undefined }));
      const h = await openHandshake(r);
      const finish = finishPhase.request(h.ke, undefined);
      finish[finish.length - 1]! ^= 1;
      expect(errorOf(await h.inSession(finish))).toBe(ERROR_CODE.DecryptError);
      expect(r.sessions.liveCount()).toBe(0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(r.conn.failure).toBeUndefined();
      // The validator goes on with a new session on the same connection.
      const again = await openHandshake(r);
      const ok = finishPhase.request(again.ke, undefined);
      expect((await again.inSession(ok))[1]).toBe(RESPONSE_CODE.FINISH_RSP);
    });

    it('FINISH in the clear without HANDSHAKE_IN_THE_CLEAR is SessionRequired (1.2)', async () => {
      const r = await sessionRig(libspdmResponderInit({ mutualAuth: undefined }), 0x12);
      await openHandshake(r);
      expect(toHex(r.core.handle(hx(VALIDATOR_OUTSIDE_SESSION_12.finish)))).toBe(
        VALIDATOR_OUTSIDE_SESSION_12.sessionRequired,
      );
      expect(r.sessions.liveCount()).toBe(1);
      expect(REQUEST_CODE.FINISH).toBe(hx(VALIDATOR_OUTSIDE_SESSION_12.finish)[1]);
    });
  },
);
