/**
 * GET_DIGESTS and GET_CERTIFICATE inside a session (captured.ts): spdm_requester_emu sends both
 * in every session at its defaults; we answered UnexpectedRequest. Now an established session
 * gets the same DIGESTS / CERTIFICATE as outside, no transcript takes them in, and an in-session
 * GET_DIGESTS still clears the connection's B (libspdm_reset_message_buffer_via_request_code);
 * during the handshake they stay UnexpectedRequest.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { ERROR_CODE, RESPONSE_CODE } from '../../src/msgs/codes.js';
import { finishPhase } from '../../src/requester/finish.js';
import { EMU_REQUESTER_CERTIFICATES_IN_SESSION_13, hx } from './captured.js';
import { errorOf, keysExist, keysTitle, libspdmResponderInit, openHandshake, sessionRig } from './harness.js';

describe.skipIf(!keysExist)(
  keysTitle('interop regressions: GET_DIGESTS / GET_CERTIFICATE in a session'),
  () => {
    it("answers spdm_requester_emu's in-session requests like the ones outside, leaving B alone except for GET_DIGESTS", async () => {
      const r = await sessionRig(libspdmResponderInit({ mutualAuth: undefined }), 0x13);
      const { getDigests, getCertificate } = EMU_REQUESTER_CERTIFICATES_IN_SESSION_13;
      const hs = await openHandshake(r);
      expect(errorOf(await hs.inSession(hx(getDigests)))).toBe(ERROR_CODE.UnexpectedRequest);
      const finish = finishPhase.request(hs.ke, undefined);
      finishPhase.response(hs.ke, undefined, finish, await hs.inSession(finish));
      hs.secured.switchToDataKeys();

      const outsideDigests = r.core.handle(hx(getDigests));
      const outsideCert = r.core.handle(hx(getCertificate));
      const auth = () => (r.core.state.kind === 'Negotiated' ? r.core.state.auth : undefined);
      const bBefore = auth()?.b.length ?? 0;
      expect(bBefore).toBe(4);

      const cert = await hs.inSession(hx(getCertificate));
      expect(cert[1]).toBe(RESPONSE_CODE.CERTIFICATE);
      expect(toHex(cert)).toBe(toHex(outsideCert));
      expect(auth()?.b.length).toBe(bBefore);

      const digests = await hs.inSession(hx(getDigests));
      expect(digests[1]).toBe(RESPONSE_CODE.DIGESTS);
      expect(toHex(digests)).toBe(toHex(outsideDigests));
      expect(auth()?.b.length).toBe(0);
    });
  },
);
