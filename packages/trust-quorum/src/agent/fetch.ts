/**
 * The agent's FetchShare: spdmFetchShare's exchange (collector/spdm-fetch.ts) plus the agent's
 * own bookkeeping. One SPDM session per attempt, mutually authenticated with this sled's
 * identity against the rack root. Before asking for anything it compares the responder's
 * authenticated leaf with our own: when they are equal the address is this sled itself (a
 * static peer list that names us, our own multicast announcement seen through another
 * address), the session is ended, `onSelf` is told and the attempt fails permanently without
 * naming a member. Otherwise the responder must be a member of our ledger and is asked for its
 * share.
 */
import type { X509Certificate } from 'node:crypto';
import { CertChainCache } from '@trust-quorum/spdm/requester/chain-cache';
import { type RequesterRunInit, run as runRequester } from '@trust-quorum/spdm/requester/run';
import { connectTcp } from '@trust-quorum/spdm/transport/tcp';
import { defaultPeerKey, type FetchShare, type PeerAddress } from '../collector/collector.js';
import { requestShare } from '../collector/request-share.js';
import type { FetchedShare } from '../collector/state.js';
import { TrustQuorumError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import type { SpdmIdentity } from '../server/spdm-listener.js';

export interface AgentFetchInit {
  readonly ledger: Ledger;
  /** This sled's identity; its leaf (the last certificate) identifies "ourselves". */
  readonly identity: SpdmIdentity;
  readonly trustedRoot: Uint8Array | X509Certificate;
  /** TCP connect deadline, ms; default 5000. */
  readonly connectMs?: number;
  /** Deadline of every SPDM response and of the share answer, ms; default 5000. */
  readonly timeoutMs?: number;
  /** Told of every attempt (metrics). */
  readonly onAttempt?: (peer: string) => void;
  /** Told when an address turned out to be this sled itself. */
  readonly onSelf?: (peer: string) => void;
  /**
   * Other requester options. Without a `chainCache`, the returned FetchShare keeps its own for
   * all its attempts (responder chains fetched once, their shared root and intermediate parsed
   * and checked once).
   */
  readonly requester?: Omit<RequesterRunInit, 'identity' | 'trustedRoots' | 'signal' | 'timeoutMs'>;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/**
 * @returns a FetchShare that throws: SpdmError from the connection and handshake;
 *   TrustQuorumError InvalidConfig (the address is this sled), NotAMember (the responder is
 *   not a member of our ledger), Aborted, and what requestShare throws.
 */
export function agentFetchShare(init: AgentFetchInit): FetchShare<PeerAddress> {
  const ownLeaf = init.identity.certificates[init.identity.certificates.length - 1]!;
  const timeoutMs = init.timeoutMs ?? 5000;
  const connectMs = init.connectMs ?? 5000;
  const chainCache = init.requester?.chainCache ?? new CertChainCache();
  return async (peer: PeerAddress, signal: AbortSignal): Promise<FetchedShare> => {
    const key = defaultPeerKey(peer);
    init.onAttempt?.(key);
    if (signal.aborted) throw new TrustQuorumError('Aborted', `${key}: aborted`);
    const conn = await connectTcp(peer.host, peer.port, {
      signal,
      connectTimeoutMs: connectMs,
      sendTimeoutMs: timeoutMs,
      receiveTimeoutMs: timeoutMs,
    });
    const { channel, peer: id } = await runRequester(conn, {
      chainCache,
      ...init.requester,
      identity: { certificates: init.identity.certificates, privateKey: init.identity.privateKey },
      trustedRoots: [init.trustedRoot],
      timeoutMs,
      signal,
    });
    channel.on('error', () => {}); // failures surface through requestShare
    const onAbort = () => channel.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (sameBytes(id.leafCertificate, ownLeaf)) {
        init.onSelf?.(key);
        throw new TrustQuorumError('InvalidConfig', `${key} is this sled itself`);
      }
      const member = init.ledger.memberFor(id.leafCertificate);
      if (member === undefined) {
        throw new TrustQuorumError(
          'NotAMember',
          `responder at ${key} (${id.leafSubject}) is not a member of rack ${init.ledger.rackId}`,
        );
      }
      const share = await requestShare(channel, {
        ledger: init.ledger,
        sledId: member.sledId,
        signal,
        timeoutMs,
      });
      return { share, sledId: member.sledId };
    } catch (e) {
      channel.destroy();
      throw e;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  };
}
