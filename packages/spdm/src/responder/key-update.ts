/**
 * KEY_UPDATE handler (DSP0274 1.3 "KEY_UPDATE request and KEY_UPDATE_ACK response"; libspdm
 * `libspdm_rsp_key_update.c`; spdm-reference §2.12): inside an established session, with
 * KEY_UPD_CAP on both sides (UnsupportedRequest otherwise). The ACK echoes KeyOperation and Tag.
 *
 * Key switch points, as libspdm times them (the request itself always came under the current
 * request key):
 * - UpdateKey: the request key will change; the requester's next records may come under the new
 *   one (SecuredSession.expectPeerKeyUpdate). The ACK goes under the unchanged response key.
 * - UpdateAllKeys: the same for the request key, and our response key changes now, before the
 *   ACK is sealed, so the ACK already travels under the new response key.
 * - VerifyNewKey: accepted only once a record has opened under the new request key since an
 *   UpdateKey / UpdateAllKeys (this request normally is that record); otherwise InvalidRequest.
 */
import { CAP } from '../msgs/capabilities.js';
import { REQUEST_CODE } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import {
  decodeKeyUpdate,
  encodeKeyUpdateAck,
  KEY_UPDATE_OPERATION,
  keyUpdateAckFor,
} from '../msgs/key-update.js';
import { authAfterRequest, negotiatedState } from './auth-state.js';
import type { RequestHandler } from './handler.js';
import type { SessionHost } from './session-host.js';
import { establishedSession, invalidRequest, requireBothCaps } from './session-rules.js';

const WHAT = 'KEY_UPDATE';

/** The KEY_UPDATE handler bound to one connection's session manager. */
export function keyUpdateHandler(host: SessionHost): RequestHandler {
  return {
    name: WHAT,
    allowedIn: ['Negotiated'],
    session: 'inside',
    handle(request, ctx) {
      const state = negotiatedState(ctx, WHAT);
      const n = state.negotiated;
      requireBothCaps(n, CAP.KEY_UPD, REQUEST_CODE.KEY_UPDATE, WHAT);
      const s = establishedSession(ctx, host, WHAT);
      const req = decodeKeyUpdate(request, { version: n.version });
      switch (req.operation) {
        case KEY_UPDATE_OPERATION.UpdateKey:
          s.secured.expectPeerKeyUpdate();
          break;
        case KEY_UPDATE_OPERATION.UpdateAllKeys:
          s.secured.expectPeerKeyUpdate();
          s.secured.updateSendKey();
          break;
        case KEY_UPDATE_OPERATION.VerifyNewKey:
          if (!s.secured.peerKeyUpdated)
            throw invalidRequest(WHAT, 'VerifyNewKey without a new request key in use');
          s.secured.confirmPeerKeyUpdate();
          break;
      }
      const response = encodeToBytes(encodeKeyUpdateAck, keyUpdateAckFor(req));
      return { response, state: { ...state, auth: authAfterRequest(state.auth, REQUEST_CODE.KEY_UPDATE) } };
    },
  };
}
