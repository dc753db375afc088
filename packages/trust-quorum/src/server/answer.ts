/**
 * The share server's core, sans I/O (conventions #2): a request and what the server knows
 * (its ledger, the authenticated requester) in, the response out.
 *
 * GetShare is answered with this sled's share only when all hold, checked in this order:
 * 1. the sled has a ledger (else NotInitialized);
 * 2. the requester's device-identity certificate, as authenticated by the SPDM session, is
 *    byte-for-byte the certificate of a member of the ledger's configuration (else NotAMember;
 *    checked before the rack and epoch so a non-member learns nothing about them);
 * 3. the request names the ledger's rack (else RackMismatch) and epoch (else EpochMismatch).
 * A response (Share, Error, acks) sent as a request is BadRequest; Prepare and Commit are
 * Unsupported here (rack init handles them).
 */
import type { Ledger, Member } from '../ledger/ledger.js';
import type { ShareProtocolMessage } from '../protocol/message.js';

/** The authenticated requester of a session. */
export interface SharePeer {
  /** DER of the requester's leaf (device-identity) certificate, proven by its FINISH signature. */
  readonly leafCertificateDer: Uint8Array;
  /** The leaf's subject on one line, for logs. */
  readonly subject: string;
}

export interface AnswerContext {
  /** This sled's ledger, or null before it has one. */
  readonly ledger: Ledger | null;
  readonly peer: SharePeer;
}

/** The member the requester is, if any (null without a ledger). */
export function requesterMember(ctx: AnswerContext): Member | null {
  return ctx.ledger?.memberFor(ctx.peer.leafCertificateDer) ?? null;
}

/**
 * The response to one request. A Share response holds the ledger's own share: send it, do not
 * zero it.
 */
export function answer(request: ShareProtocolMessage, ctx: AnswerContext): ShareProtocolMessage {
  switch (request.type) {
    case 'GetShare': {
      const { ledger } = ctx;
      if (ledger === null) return { type: 'Error', code: 'NotInitialized' };
      if (requesterMember(ctx) === null) return { type: 'Error', code: 'NotAMember' };
      if (request.rackId !== ledger.rackId) return { type: 'Error', code: 'RackMismatch' };
      if (request.epoch !== ledger.epoch) return { type: 'Error', code: 'EpochMismatch' };
      return { type: 'Share', rackId: ledger.rackId, epoch: ledger.epoch, share: ledger.share };
    }
    case 'Prepare':
    case 'Commit':
      return { type: 'Error', code: 'Unsupported' };
    default:
      return { type: 'Error', code: 'BadRequest' };
  }
}
