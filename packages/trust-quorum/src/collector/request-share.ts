/**
 * The requester's half of the share exchange on an open, authenticated channel: send
 * `GetShare{rackId, epoch}` of our ledger, read one answer, end our side. A `Share` must echo
 * our rack and epoch; an `Error{code}` becomes the matching TrustQuorumError (codes.ts), with
 * `sender` naming the member the responder authenticated as. The share is returned as read:
 * verifying it against the commitments is the collector's job (state.ts).
 */
import type { Duplex } from 'node:stream';
import { TrustQuorumError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { errorCodeToTrustQuorum } from '../protocol/codes.js';
import { describeMessage, zeroMessage } from '../protocol/message.js';
import { MessageReader, writeMessage } from '../protocol/stream.js';
import type { Share } from '../rack-secret/rack-secret.js';

export interface RequestShareInit {
  readonly ledger: Ledger;
  /** The member the responder authenticated as (labels the share and errors). */
  readonly sledId: string;
  readonly signal?: AbortSignal;
  /** Deadline for the answer, ms; default 10000. */
  readonly timeoutMs?: number;
  /** Largest answer; default 1 MiB. */
  readonly maxMessageBytes?: number;
}

/**
 * Asks for the peer's share on `channel` and ends our side of it (the caller still owns it).
 * @throws TrustQuorumError: the peer's refusal (NotInitialized, RackMismatch, EpochMismatch,
 *   NotAMember, Busy; Peer for its Internal; InvalidMessage for BadRequest/Unsupported), and
 *   InvalidMessage (malformed answer, another rack or epoch, not a Share), Unreachable (the
 *   session ended without an answer), Timeout, Aborted; the channel's own errors (SpdmError).
 */
export async function requestShare(channel: Duplex, init: RequestShareInit): Promise<Share> {
  const { ledger, sledId: sender } = init;
  const reader = new MessageReader(channel, { sender, maxMessageBytes: init.maxMessageBytes });
  try {
    await writeMessage(channel, { type: 'GetShare', rackId: ledger.rackId, epoch: ledger.epoch });
    const m = await reader.next({ signal: init.signal, timeoutMs: init.timeoutMs ?? 10_000 });
    if (m === null)
      throw new TrustQuorumError('Unreachable', `${sender} ended the session without an answer`, { sender });
    if (m.type === 'Error') {
      throw new TrustQuorumError(errorCodeToTrustQuorum(m.code), `${sender} refused GetShare: ${m.code}`, {
        sender,
      });
    }
    if (m.type !== 'Share') {
      zeroMessage(m);
      throw new TrustQuorumError('InvalidMessage', `${sender} answered GetShare with ${m.type}`, { sender });
    }
    if (m.rackId !== ledger.rackId || m.epoch !== ledger.epoch) {
      const got = describeMessage(m);
      m.share.zero();
      throw new TrustQuorumError(
        'InvalidMessage',
        `${sender} sent a share of rack ${got.rackId} epoch ${got.epoch}, not ${ledger.rackId} epoch ${ledger.epoch}`,
        { sender },
      );
    }
    channel.end();
    return m.share;
  } finally {
    reader.close();
  }
}
