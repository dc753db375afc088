/**
 * In-session requests sent outside any session (SPDM-Responder-Validator 12.4, 13.5, 16.4 and,
 * for FINISH, 9.11; captured.ts): libspdm answers ERROR(SessionRequired) from 1.2 on and
 * ERROR(Unspecified) in 1.1 (libspdm_rsp_{heartbeat,key_update_ack,end_session_ack}.c); we
 * answered UnexpectedRequest.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { ERROR_CODE } from '../../src/msgs/codes.js';
import { hx, VALIDATOR_OUTSIDE_SESSION_12 } from './captured.js';
import { errorOf, keysExist, keysTitle, libspdmResponderInit, sessionRig } from './harness.js';

describe.skipIf(!keysExist)(keysTitle('interop regressions: SessionRequired'), () => {
  it('HEARTBEAT, KEY_UPDATE and END_SESSION outside a session are SessionRequired in 1.2', async () => {
    const r = await sessionRig(libspdmResponderInit({ mutualAuth: undefined }), 0x12);
    const { heartbeat, keyUpdate, endSession, sessionRequired } = VALIDATOR_OUTSIDE_SESSION_12;
    for (const req of [heartbeat, keyUpdate, endSession]) {
      expect(toHex(r.core.handle(hx(req)))).toBe(sessionRequired);
    }
  });

  it('and Unspecified in 1.1', async () => {
    const r = await sessionRig(libspdmResponderInit({ mutualAuth: undefined }), 0x11);
    for (const req of ['11e80000', '11e90100', '11ec0000']) {
      expect(errorOf(r.core.handle(hx(req)))).toBe(ERROR_CODE.Unspecified);
    }
  });

  it('a version mismatch is still reported first (libspdm checks the version before the session)', async () => {
    const r = await sessionRig(libspdmResponderInit({ mutualAuth: undefined }), 0x12);
    expect(errorOf(r.core.handle(hx('13e80000')))).toBe(ERROR_CODE.VersionMismatch);
  });
});
