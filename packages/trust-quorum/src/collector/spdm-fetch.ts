/**
 * The collector's real FetchShare: one SPDM session per attempt. Connect over TCP, run the
 * requester with this sled's identity (mutual authentication: our chain is presented and FINISH
 * signed) against the rack root, check that the responder's authenticated leaf certificate is a
 * member of our ledger (and which one: the share is then named after it), ask GetShare, read
 * Share or Error, end the session. The AbortSignal tears the connection down at any point.
 */
import type { X509Certificate } from 'node:crypto';
import { CertChainCache } from '@trust-quorum/spdm/requester/chain-cache';
import { type RequesterRunInit, run as runRequester } from '@trust-quorum/spdm/requester/run';
import type { SecureChannel } from '@trust-quorum/spdm/session/secure-channel';
import { connectTcp } from '@trust-quorum/spdm/transport/tcp';
import { TrustQuorumError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import type { SpdmIdentity } from '../server/spdm-listener.js';
import { defaultPeerKey, type FetchShare, type PeerAddress } from './collector.js';
import { requestShare } from './request-share.js';
import type { FetchedShare } from './state.js';

export interface SpdmFetchInit {
  /** This sled's ledger: the members the responder must be one of, rack id and epoch. */
  readonly ledger: Ledger;
  /** This sled's identity (presented to the responder, signs FINISH). */
  readonly identity: SpdmIdentity;
  /** The rack root the responder's chain must lead to. */
  readonly trustedRoot: Uint8Array | X509Certificate;
  /** Deadline of the TCP connect and of every SPDM response and of the share answer, ms; default 5000. */
  readonly timeoutMs?: number;
  /**
   * Other requester options (algorithms, chain cache, ...); ours win on conflicts. Without a
   * `chainCache`, the returned FetchShare keeps its own for all its attempts (responder chains
   * fetched once, their shared root and intermediate parsed and checked once).
   */
  readonly requester?: Omit<RequesterRunInit, 'identity' | 'trustedRoots' | 'signal' | 'timeoutMs'>;
}

async function openSession(
  peer: PeerAddress,
  init: SpdmFetchInit,
  chainCache: CertChainCache,
  signal: AbortSignal,
): Promise<{ channel: SecureChannel; leaf: Uint8Array; subject: string }> {
  const t = init.timeoutMs ?? 5000;
  const conn = await connectTcp(peer.host, peer.port, {
    signal,
    connectTimeoutMs: t,
    sendTimeoutMs: t,
    receiveTimeoutMs: t,
  });
  const { channel, peer: id } = await runRequester(conn, {
    chainCache,
    ...init.requester,
    identity: { certificates: init.identity.certificates, privateKey: init.identity.privateKey },
    trustedRoots: [init.trustedRoot],
    timeoutMs: t,
    signal,
  });
  return { channel, leaf: id.leafCertificate, subject: id.leafSubject };
}

/**
 * A FetchShare over SPDM for ShareCollector.
 * @returns a function that throws: SpdmError from the connection and handshake (Transport,
 *   Timeout, InvalidCertificate, ...); TrustQuorumError NotAMember (the responder is not a
 *   member of our ledger; no sender named), Aborted, and what requestShare throws (sender = the
 *   responder's member id).
 */
export function spdmFetchShare(init: SpdmFetchInit): FetchShare<PeerAddress> {
  const chainCache = init.requester?.chainCache ?? new CertChainCache();
  return async (peer: PeerAddress, signal: AbortSignal): Promise<FetchedShare> => {
    if (signal.aborted) throw new TrustQuorumError('Aborted', `${defaultPeerKey(peer)}: aborted`);
    const { channel, leaf, subject } = await openSession(peer, init, chainCache, signal);
    channel.on('error', () => {}); // failures surface through requestShare
    const onAbort = () => channel.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const member = init.ledger.memberFor(leaf);
      if (member === undefined) {
        throw new TrustQuorumError(
          'NotAMember',
          `responder at ${defaultPeerKey(peer)} (${subject}) is not a member of rack ${init.ledger.rackId}`,
        );
      }
      const share = await requestShare(channel, {
        ledger: init.ledger,
        sledId: member.sledId,
        signal,
        timeoutMs: init.timeoutMs ?? 5000,
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
