/**
 * What the session handlers (KEY_EXCHANGE, FINISH, HEARTBEAT, KEY_UPDATE, END_SESSION, the
 * chain-presenting VENDOR_DEFINED_REQUEST) share with the per-connection session manager
 * (sessions.ts): the session records, the options, and the requester chain waiting for the next
 * KEY_EXCHANGE. Handlers stay synchronous and I/O-free (conventions #2); the manager owns
 * timers, the connection and the SecureChannels, and is bound into the handlers at creation
 * (`keyExchangeHandler(host)`), so a ResponderCore without a session layer answers these
 * requests with UnsupportedRequest as before.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';
import type { KeyExchangeTranscriptParts } from '../crypto/transcript.js';
import type { ValidatedChainCache } from '../identity/validated-cache.js';
import type { Negotiated } from '../negotiated.js';
import type { PeerIdentity } from '../session/peer.js';
import type { SecuredSession } from '../session/secured-session.js';
import type { SecuredMessageParams } from '../transport/secured-params.js';
import type { MeasurementTranscript } from './measurements.js';

/** Mutual authentication without encapsulation (MutAuthRequested = 1, requester signs FINISH). */
export interface MutualAuthInit {
  /**
   * Roots a requester chain presented with the VENDOR_DEFINED_REQUEST of
   * msgs/vendor-chain.ts must lead to (validated with role 'requester').
   */
  readonly trustedRoots?: readonly (Uint8Array | X509Certificate)[];
  /**
   * The requester's chain, provisioned in advance (DER certificates, root first): libspdm's
   * `--mut_auth WO_ENCAP` mode, where CM never travels. Used when no chain was presented.
   */
  readonly provisionedRequesterChain?: readonly Uint8Array[];
  /** ReqSlotIDParam asked of the requester (0-7). Default 0. */
  readonly requesterSlotId?: number;
  /** Validation time for presented chains (default: now). */
  readonly now?: Date;
  /**
   * Remembered validations of presented chains, shared between connections (a requester that
   * comes back with the same chain is not validated again while it stays valid). `serve()`
   * makes one per listener when absent; `run()` without it validates every presentation.
   */
  readonly validatedChains?: ValidatedChainCache;
}

/** Options of the responder's session layer. */
export interface ResponderSessionInit {
  /** Sessions open at once on one connection (libspdm LIBSPDM_MAX_SESSION_COUNT). Default 4. */
  readonly maxSessions?: number;
  /** KEY_EXCHANGE_RSP HeartbeatPeriod in seconds (0-255; used only with HBEAT_CAP on both sides). Default 0. */
  readonly heartbeatPeriod?: number;
  /**
   * A session without traffic from the requester for this long is closed, when no heartbeat
   * period applies (with one: 2 × HeartbeatPeriod, libspdm's watchdog). Default 300000 ms.
   */
  readonly idleTimeoutMs?: number;
  /** Secured-message versions we accept (16-bit, e.g. 0x1200). Default 1.0, 1.1, 1.2. */
  readonly securedVersions?: readonly number[];
  /** Largest record sequence number (tests make overflow reachable). Default 2^64-2. */
  readonly maxSequenceNumber?: bigint;
  /** Cap on application bytes per record (default: what the peer and the transport allow). */
  readonly maxRecordPayload?: number;
  /** Ask the requester to authenticate (MutAuthRequested = 1). Absent: no mutual authentication. */
  readonly mutualAuth?: MutualAuthInit;
}

/** The requester chain (CM) a session will be bound to. */
export interface RequesterCredential {
  /** SPDM chain structure for the negotiated hash (hashed into the transcripts as CM). */
  readonly certChain: Uint8Array;
  /** Leaf public key: verifies the FINISH signature. */
  readonly leafKey: KeyObject;
  readonly peer: PeerIdentity;
}

/** One session on this connection. Mutable: only handlers and the manager touch it. */
export interface ResponderSession {
  readonly sessionId: number;
  readonly reqSessionId: number;
  readonly rspSessionId: number;
  readonly secured: SecuredSession;
  readonly negotiated: Negotiated;
  /** Responder slot of KEY_EXCHANGE. */
  readonly slotId: number;
  /** HeartbeatPeriod sent (seconds; 0 = none). */
  readonly heartbeatPeriod: number;
  readonly handshakeInTheClear: boolean;
  /** Secured-message version selected in KEY_EXCHANGE_RSP. */
  readonly securedVersion: number;
  /** With MutAuthRequested = 1: the slot asked for and the chain FINISH must prove. */
  readonly mutualAuth: { readonly reqSlotId: number; readonly requester: RequesterCredential } | null;
  /** VCA ‖ Hash(Ct) ‖ KEY_EXCHANGE ‖ KEY_EXCHANGE_RSP, for the FINISH transcripts. */
  readonly transcript: KeyExchangeTranscriptParts;
  /**
   * The session's own M transcript for in-session GET_MEASUREMENTS (measurements-in-session.ts);
   * absent = empty. Every other request in the session resets it.
   */
  measurements?: MeasurementTranscript;
  /** Run by the manager right after the response to the current request is sealed and sent. */
  afterResponse: (() => void)[];
  /**
   * End the session (with this error) once the current response has been sent; the connection
   * stays (FINISH that does not verify).
   */
  failAfterResponse: Error | undefined;
}

/** The manager as the handlers see it. */
export interface SessionHost {
  readonly options: ResolvedSessionOptions;
  /** The connection's secured-message parameters (record layout, inner encoding). */
  readonly params: SecuredMessageParams;
  /** Sessions in handshake or established. */
  liveCount(): number;
  /** A free RspSessionID (0xFFFF downward, like libspdm), or null when none is left. */
  allocateRspSessionId(): number | null;
  add(session: ResponderSession): void;
  get(sessionId: number): ResponderSession | undefined;
  /** The newest session still in its handshake (for a FINISH in the clear). */
  latestHandshake(): ResponderSession | undefined;
  /** The chain a VENDOR_DEFINED_REQUEST presented on this connection, if any. */
  presentedRequester: RequesterCredential | undefined;
  /** Session established (after FINISH_RSP): data keys, channel, application callback. */
  establish(session: ResponderSession): void;
  /** Session over after END_SESSION_ACK (clean) or a failure. */
  end(session: ResponderSession, error?: Error): void;
  /** All sessions over (GET_VERSION resets the connection). */
  endAll(error?: Error): void;
}

/** ResponderSessionInit with defaults applied. */
export interface ResolvedSessionOptions {
  readonly maxSessions: number;
  readonly heartbeatPeriod: number;
  readonly idleTimeoutMs: number;
  readonly securedVersions: readonly number[];
  readonly maxSequenceNumber: bigint | undefined;
  readonly maxRecordPayload: number | undefined;
  readonly mutualAuth: MutualAuthInit | undefined;
}

/** Default secured-message versions: libspdm 1e16c60f offers exactly these and selects 1.2. */
export const DEFAULT_SECURED_VERSIONS: readonly number[] = [0x1000, 0x1100, 0x1200];
/** libspdm LIBSPDM_MAX_SESSION_COUNT. */
export const DEFAULT_MAX_SESSIONS = 4;
export const DEFAULT_SESSION_IDLE_TIMEOUT_MS = 300_000;

/**
 * Fills in defaults and checks ranges.
 * @throws RangeError / TypeError on misuse.
 */
export function resolveSessionOptions(init: ResponderSessionInit = {}): ResolvedSessionOptions {
  const maxSessions = init.maxSessions ?? DEFAULT_MAX_SESSIONS;
  if (!Number.isInteger(maxSessions) || maxSessions < 1 || maxSessions > 0xfffe) {
    throw new RangeError(`maxSessions must be 1..65534, got ${maxSessions}`);
  }
  const heartbeatPeriod = init.heartbeatPeriod ?? 0;
  if (!Number.isInteger(heartbeatPeriod) || heartbeatPeriod < 0 || heartbeatPeriod > 0xff) {
    throw new RangeError(`heartbeatPeriod must be 0..255 seconds, got ${heartbeatPeriod}`);
  }
  const idleTimeoutMs = init.idleTimeoutMs ?? DEFAULT_SESSION_IDLE_TIMEOUT_MS;
  if (typeof idleTimeoutMs !== 'number' || !(idleTimeoutMs > 0)) {
    throw new RangeError(`idleTimeoutMs must be a positive number (or Infinity), got ${idleTimeoutMs}`);
  }
  const securedVersions = [...(init.securedVersions ?? DEFAULT_SECURED_VERSIONS)];
  if (securedVersions.length === 0) throw new RangeError('securedVersions must not be empty');
  for (const v of securedVersions) {
    if (!DEFAULT_SECURED_VERSIONS.some((s) => (s & 0xff00) === (v & 0xff00))) {
      throw new RangeError(`secured-message version 0x${Number(v).toString(16)} not supported`);
    }
  }
  const max = init.maxSequenceNumber;
  if (max !== undefined && (typeof max !== 'bigint' || max < 0n)) {
    throw new RangeError('maxSequenceNumber must be a non-negative bigint');
  }
  const mrp = init.maxRecordPayload;
  if (mrp !== undefined && (!Number.isInteger(mrp) || mrp < 1)) {
    throw new RangeError(`maxRecordPayload must be a positive integer, got ${mrp}`);
  }
  const m = init.mutualAuth;
  if (m) {
    const slot = m.requesterSlotId ?? 0;
    if (!Number.isInteger(slot) || slot < 0 || slot > 7)
      throw new RangeError('mutualAuth.requesterSlotId must be 0..7');
    if (!m.trustedRoots?.length && !m.provisionedRequesterChain?.length) {
      throw new TypeError('mutualAuth needs trustedRoots (presented chains) or provisionedRequesterChain');
    }
  }
  return {
    maxSessions,
    heartbeatPeriod,
    idleTimeoutMs,
    securedVersions,
    maxSequenceNumber: max,
    maxRecordPayload: mrp,
    mutualAuth: m,
  };
}
