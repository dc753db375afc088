/**
 * RESPOND_IF_READY handler (DSP0274 1.3 "RESPOND_IF_READY request"). This core answers every request at once and
 * never sends ERROR(ResponseNotReady), so there is never a deferred response to fetch: a
 * well-formed RESPOND_IF_READY is an UnexpectedRequest in every state (libspdm answers the same
 * when its response state is normal). A later phase that defers work (a slow signer) replaces
 * this handler with one that returns the stored response when Param1/Param2 match.
 */
import { SpdmError } from '../errors.js';
import { ERROR_CODE } from '../msgs/codes.js';
import { decodeRespondIfReady } from '../msgs/error.js';
import type { RequestHandler } from './handler.js';

export const respondIfReadyHandler: RequestHandler = {
  name: 'RESPOND_IF_READY',
  allowedIn: 'any',
  session: 'either',
  handle(request, ctx) {
    decodeRespondIfReady(request, ctx.version === null ? {} : { version: ctx.version });
    throw new SpdmError('UnexpectedRequest', 'RESPOND_IF_READY: no response is pending', {
      wireCode: ERROR_CODE.UnexpectedRequest,
    });
  },
};
