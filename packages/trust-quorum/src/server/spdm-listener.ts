/**
 * The share server's transport: an SPDM responder (`serve` of @trust-quorum/spdm) on TCP with
 * this sled's device identity in slot 0 and mutual authentication required: the requester
 * presents its chain, which must validate against the rack root, and signs FINISH. Each
 * established session goes to the ShareServer with the requester's leaf certificate as proven
 * by that signature. A session without a requester identity (the requester would not
 * authenticate) is handed over with an empty certificate, which no ledger member matches, so
 * every GetShare on it is answered NotAMember.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';
import type { ServeInit } from '@trust-quorum/spdm/responder/run';
import { serve } from '@trust-quorum/spdm/responder/run';
import type { SpdmLogger } from '@trust-quorum/spdm/responder/serve';
import type { PeerIdentity } from '@trust-quorum/spdm/session/peer';
import type { SharePeer } from './answer.js';
import type { ListenSessions } from './share-server.js';

/** A device identity for SPDM: DER chain (root or its child first, leaf last) and leaf key. */
export interface SpdmIdentity {
  readonly certificates: readonly Uint8Array[];
  readonly privateKey: KeyObject;
}

export interface SpdmSessionsInit {
  /** Default '127.0.0.1'. */
  readonly host?: string;
  /** Default 0 (ephemeral). */
  readonly port?: number;
  /** This sled's identity (slot 0). A pki DeviceIdentity fits as `{ certificates: id.chainDer, privateKey: id.privateKey }`. */
  readonly identity: SpdmIdentity;
  /** The rack root requester chains must lead to. */
  readonly trustedRoot: Uint8Array | X509Certificate;
  /** TCP connections at once (more are closed on arrival); default 64. */
  readonly maxConnections?: number;
  /** Other responder options (algorithms, session limits, timeouts); ours win on conflicts. */
  readonly responder?: Omit<ServeInit, 'slots' | 'mutualAuth' | 'onSession'>;
  /** For the SPDM serve loop (codes and sizes only). */
  readonly logger?: SpdmLogger;
}

/** Subject shown for a session whose requester did not authenticate. */
export const UNAUTHENTICATED_SUBJECT = '(unauthenticated requester)';

/** The ShareServer's view of an SPDM peer. */
export function sharePeerOf(peer: PeerIdentity | null): SharePeer {
  if (peer === null) return { leafCertificateDer: new Uint8Array(0), subject: UNAUTHENTICATED_SUBJECT };
  return { leafCertificateDer: peer.leafCertificate, subject: peer.leafSubject };
}

/**
 * The ListenSessions of an SPDM responder with mutual authentication, for ShareServer.listen.
 * @throws (when called) SpdmError Transport when the address cannot be bound; TypeError /
 *   RangeError for bad options.
 */
export function spdmSessions(init: SpdmSessionsInit): ListenSessions {
  return async (onSession) => {
    const server = await serve(
      { host: init.host ?? '127.0.0.1', port: init.port ?? 0, maxConnections: init.maxConnections ?? 64 },
      {
        ...init.responder,
        ...(init.logger ? { logger: init.logger } : {}),
        slots: [
          { slotId: 0, certificates: init.identity.certificates, privateKey: init.identity.privateKey },
        ],
        mutualAuth: { trustedRoots: [init.trustedRoot] },
        onSession: (channel, peer) => {
          void onSession(channel, sharePeerOf(peer));
        },
      },
    );
    return { address: () => server.address(), close: () => server.close() };
  };
}
