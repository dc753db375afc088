/**
 * GET_VERSION handler (DSP0274 1.3 "GET_VERSION request and VERSION response"; libspdm `libspdm_rsp_version.c`). Accepted in every
 * state outside a session; a well-formed GET_VERSION resets the connection and starts a new VCA
 * transcript with GET_VERSION ‖ VERSION. A malformed one (wrong version byte: VersionMismatch,
 * wrong size or reserved bits: InvalidRequest) leaves the state alone, as libspdm does.
 */
import { concatBytes } from '../codec/bytes.js';
import { RESPONSE_CODE } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import { decodeGetVersion, encodeVersion, versionEntry } from '../msgs/version.js';
import type { RequestHandler } from './handler.js';

export const getVersionHandler: RequestHandler = {
  name: 'GET_VERSION',
  allowedIn: 'any',
  checkVersion: false,
  handle(request, ctx) {
    decodeGetVersion(request);
    const entries = ctx.config.versions.map(versionEntry);
    const response = encodeToBytes(encodeVersion, { code: RESPONSE_CODE.VERSION, entries });
    return { response, state: { kind: 'AfterVersion', transcript: concatBytes(request, response) } };
  },
};
