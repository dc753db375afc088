/**
 * `run(conn, init)`: the requester's whole way to a secure channel on one connection
 * (conventions #2, a thin driver over the phases):
 *
 *   VCA (negotiate) -> [present our chain: VENDOR_DEFINED_REQUEST, when we have an identity and
 *   both sides have MUT_AUTH_CAP] -> GET_DIGESTS -> GET_CERTIFICATE (validated against
 *   `trustedRoots`) -> [`beforeKeyExchange`: CHALLENGE, GET_MEASUREMENTS, ...] -> KEY_EXCHANGE ->
 *   FINISH (signed with our identity when the responder asks)
 *
 * and returns the established session with its SecureChannel and the responder's identity. The
 * session owns the connection: ending the channel (or `session.end()`) sends END_SESSION and
 * closes it; a failure destroys it. On any error before that the connection is destroyed and the
 * error thrown.
 *
 * Algorithm offers follow the identity: unless `algorithms.reqBaseAsym` is given, we offer only
 * the signature algorithm our key fits; without an identity we advertise no CERT_CAP, CHAL_CAP
 * or MUT_AUTH_CAP (unless `capabilities` is given), so a responder cannot ask us to sign.
 */
import type { KeyObject } from 'node:crypto';
import { ASYMS } from '../crypto/algorithms.js';
import { keyMatchesAsym } from '../crypto/sign.js';
import { isSpdmError, SpdmError } from '../errors.js';
import { buildCertChain } from '../identity/cert-chain.js';
import { CAP } from '../msgs/capabilities.js';
import { type Negotiated, suiteOf } from '../negotiated.js';
import { bothHave } from '../negotiation.js';
import type { PeerIdentity } from '../session/peer.js';
import type { SecureChannel } from '../session/secure-channel.js';
import type { TransportConnection } from '../transport/connection.js';
import { Authenticator } from './authenticate.js';
import { type Exchange, withRetries } from './exchange.js';
import { DEFAULT_REQUESTER_CAPS, type RequesterInit } from './init.js';
import { keyExchangePhase, prepareKeyExchange, type RequesterCredentials } from './key-exchange.js';
import { RequesterLink, toSpdmError } from './link.js';
import { negotiate } from './negotiate.js';
import { runPhase } from './phase.js';
import { RequesterSession, type RequesterSessionInit } from './session.js';
import { presentChainPhase } from './vendor-defined.js';

/** Our device identity for mutual authentication. */
export interface RequesterIdentity {
  /** DER certificates, the root (or the one it issued) first, our leaf last. */
  readonly certificates: readonly Uint8Array[];
  /** DER of the root when `certificates[0]` is not the root itself (for RootHash). */
  readonly root?: Uint8Array;
  /** Our leaf's private key (FINISH signature). */
  readonly privateKey: KeyObject;
  /** The slot we say we hold it in (the responder's ReqSlotIDParam must name it). Default 0. */
  readonly slotId?: number;
}

export interface RequesterRunInit extends RequesterInit {
  /** Our identity; without it we cannot do mutual authentication. */
  readonly identity?: RequesterIdentity;
  /** The responder slot to authenticate and open the session with. Default 0. */
  readonly slotId?: number;
  /**
   * Present our chain with the VENDOR_DEFINED_REQUEST before KEY_EXCHANGE (msgs/vendor-chain.ts).
   * Default true when we have an identity and both sides have MUT_AUTH_CAP; false suits a
   * responder provisioned with our chain (libspdm WO_ENCAP).
   */
  readonly presentChain?: boolean;
  /** SESSION_POLICY bits of KEY_EXCHANGE. Default 0. */
  readonly sessionPolicy?: number;
  /** Secured-message versions offered. Default 1.0, 1.1, 1.2. */
  readonly securedVersions?: readonly number[];
  /** Heartbeat, sequence limit and record size of the session. */
  readonly session?: Omit<RequesterSessionInit, 'ownsConnection'>;
  /** Deadline per response, ms. Default 10000. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /**
   * Runs once the responder's chain is fetched and validated, before KEY_EXCHANGE, with this
   * connection's Authenticator: CHALLENGE, GET_MEASUREMENTS, ... on the same connection, the
   * order libspdm's requester uses (spdm_requester_emu `--exe_conn` before `--exe_session`). A
   * rejection fails run() like any other error.
   */
  readonly beforeKeyExchange?: (
    auth: Authenticator,
    negotiated: Negotiated,
    signal: AbortSignal | undefined,
  ) => Promise<void>;
}

export interface RequesterRunResult {
  /** Application data over the session; `end()` it to finish (END_SESSION, connection closed). */
  readonly channel: SecureChannel;
  /** The responder's identity, validated against `trustedRoots`. */
  readonly peer: PeerIdentity;
  readonly negotiated: Negotiated;
  /** Heartbeat, key update and END_SESSION. */
  readonly session: RequesterSession;
}

/** The signature algorithm bits (ReqBaseAsymAlg) a key can sign with. */
function asymBitsFor(key: KeyObject): number[] {
  return ASYMS.filter((a) => a.bit <= 0xffff && keyMatchesAsym(a, key)).map((a) => a.bit);
}

/** RequesterInit with the offers narrowed to what our identity can do. @throws TypeError */
export function fitRequesterInit(init: RequesterRunInit): RequesterInit {
  let algorithms = init.algorithms;
  let capabilities = init.capabilities;
  if (init.identity) {
    const bits = asymBitsFor(init.identity.privateKey);
    if (bits.length === 0) throw new TypeError('identity.privateKey fits no SPDM signature algorithm');
    if (!algorithms?.reqBaseAsym) algorithms = { ...algorithms, reqBaseAsym: bits };
  } else if (capabilities === undefined) {
    capabilities = DEFAULT_REQUESTER_CAPS & ~(CAP.CERT | CAP.CHAL | CAP.MUT_AUTH);
  }
  return {
    ...init,
    ...(algorithms ? { algorithms } : {}),
    ...(capabilities !== undefined ? { capabilities } : {}),
  };
}

function credentialsFor(id: RequesterIdentity | undefined, n: Negotiated): RequesterCredentials | undefined {
  if (!id || !bothHave(n, CAP.MUT_AUTH)) return undefined;
  const suite = suiteOf(n);
  const slotId = id.slotId ?? 0;
  if (!Number.isInteger(slotId) || slotId < 0 || slotId > 7)
    throw new RangeError('identity.slotId must be 0..7');
  if (!suite.reqAsym || !keyMatchesAsym(suite.reqAsym, id.privateKey)) {
    throw new SpdmError('NegotiationFailed', 'the negotiated ReqBaseAsymAlg does not fit our identity key');
  }
  return {
    certChain: buildCertChain(id.certificates, suite.hash, id.root),
    privateKey: id.privateKey,
    slotId,
  };
}

/**
 * Opens a mutually authenticated (when both sides can) secure session over `conn`.
 * @throws SpdmError: from negotiation (VersionMismatch, NegotiationFailed, ...); InvalidCertificate
 *   (the responder's chain does not validate, or the responder refused ours); VerifyFailed (a
 *   signature or verify data); UnsupportedRequest; Peer / Busy (ERROR answers); Transport /
 *   Timeout / Closed / Aborted. TypeError / RangeError for bad options (before any I/O).
 */
export async function run(conn: TransportConnection, init: RequesterRunInit): Promise<RequesterRunResult> {
  if (!init.trustedRoots?.length) throw new TypeError('run: trustedRoots must name at least one root');
  const fitted = fitRequesterInit(init);
  const link = new RequesterLink(conn, init.timeoutMs === undefined ? {} : { timeoutMs: init.timeoutMs });
  if (!link.params) {
    link.destroy(new SpdmError('Closed', 'no secured messages on this transport'));
    throw new TypeError(`a ${conn.framing} connection carries no secured messages`);
  }
  try {
    return await establish(link, fitted, init);
  } catch (e) {
    link.destroy(toSpdmError(e));
    throw e;
  }
}

/**
 * Presents our chain; a responder that takes no presented chains (UnsupportedRequest) may still
 * know ours (provisioned) or not ask for it at all, so that is not an error here.
 */
async function presentChain(
  ex: Exchange,
  negotiated: Negotiated,
  credentials: RequesterCredentials,
  signal: AbortSignal | undefined,
): Promise<void> {
  try {
    await runPhase(
      presentChainPhase,
      { negotiated, certChain: credentials.certChain },
      undefined,
      ex,
      signal,
    );
  } catch (e) {
    if (!isSpdmError(e, 'UnsupportedRequest')) throw e;
  }
}

async function establish(
  link: RequesterLink,
  fitted: RequesterInit,
  init: RequesterRunInit,
): Promise<RequesterRunResult> {
  const signal = init.signal;
  const negotiated = await negotiate(link.exchange, fitted, signal);
  if (!bothHave(negotiated, CAP.KEY_EX))
    throw new SpdmError('NegotiationFailed', 'the responder does not do KEY_EXCHANGE');
  const credentials = credentialsFor(init.identity, negotiated);
  const ex = withRetries(link.exchange, init.retry);
  if (credentials && init.presentChain !== false) await presentChain(ex, negotiated, credentials, signal);
  const slotId = init.slotId ?? 0;
  const auth = new Authenticator(link.exchange, negotiated, fitted);
  const digests = await auth.getDigests(signal);
  if (!digests.digests.has(slotId))
    throw new SpdmError('InvalidMsgField', `DIGESTS: slot ${slotId} holds no chain`);
  const cert = await auth.getCertificate(slotId, signal);
  await init.beforeKeyExchange?.(auth, negotiated, signal);
  const start = prepareKeyExchange(negotiated, {
    slotId,
    responderCertChain: cert.chain,
    responderKey: cert.validated.leafKey,
    ...(init.sessionPolicy !== undefined ? { sessionPolicy: init.sessionPolicy } : {}),
    ...(init.securedVersions ? { securedVersions: init.securedVersions } : {}),
    ...(credentials ? { credentials } : {}),
    ...(auth.state.auth?.messageD ? { messageD: auth.state.auth.messageD } : {}),
  });
  // A responder that does not ask for our signature gives a one-way authenticated session
  // (session.mutuallyAuthenticated is then false).
  const ke = await runPhase(keyExchangePhase, start, undefined, ex, signal);
  const session = await RequesterSession.establish(
    link,
    ke,
    { ...init.session, ownsConnection: true },
    signal,
  );
  return { channel: session.channel, peer: session.peer, negotiated, session };
}
