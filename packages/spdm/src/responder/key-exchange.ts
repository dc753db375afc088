/**
 * KEY_EXCHANGE handler (DSP0274 1.3 "KEY_EXCHANGE request and KEY_EXCHANGE_RSP response";
 * libspdm `libspdm_rsp_key_exchange.c`; spdm-reference §2.8, §2.9, §3.2, §4). Outside sessions,
 * after VCA. In libspdm's order:
 *
 * - KEY_EX_CAP and ENCRYPT_CAP on both sides (MAC-only sessions are not implemented), else
 *   UnsupportedRequest; the message decodes for the negotiated
 *   DHE size; SlotID 0xFF (raw public key) is refused, an empty slot is InvalidRequest;
 *   a measurement summary hash only from a responder that measures (InvalidRequest otherwise);
 *   SessionPolicy EventAllPolicy only with EVENT_CAP (we have none: InvalidRequest);
 * - at most `maxSessions` live sessions, else SessionLimitExceeded;
 * - the opaque data must offer a secured-message version we run: the highest common one is
 *   selected (libspdm offers 1.0, 1.1, 1.2 and we then select 1.2), none -> InvalidRequest;
 * - with mutual authentication configured, MUT_AUTH_CAP on both sides and a known requester chain
 *   (presented on this connection, else provisioned) are required, else UnexpectedRequest;
 *   MutAuthRequested = 1 (no encapsulated flow) with ReqSlotIDParam = the configured slot;
 * - RspSessionID from 0xFFFF downward (the first not in use, like libspdm), ECDHE with the
 *   requester's ExchangeData (an invalid point is InvalidRequest), the signature over
 *   VCA ‖ Hash(Ct) ‖ KEY_EXCHANGE ‖ KEY_EXCHANGE_RSP-up-to-Signature with the slot's key, TH1 =
 *   that ‖ Signature, handshake secrets from Hash(TH1), and ResponderVerifyData =
 *   HMAC(rsp finished key, Hash(TH1)) unless HANDSHAKE_IN_THE_CLEAR is set on both sides.
 *
 * The session starts in its handshake phase (records under the handshake keys); the B transcript
 * is cleared as for any KEY_EXCHANGE before authentication (auth-state.ts).
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import { concatBytes } from '../codec/bytes.js';
import { MEASUREMENT_SPEC_DMTF } from '../crypto/algorithms.js';
import { keyMatchesAsym } from '../crypto/sign.js';
import { SIGNING_CONTEXT } from '../crypto/signing-context.js';
import { type CryptoSuite, cryptoSuite } from '../crypto/suite.js';
import { sessionTranscriptStart } from '../crypto/transcript.js';
import { SpdmError } from '../errors.js';
import { buildCertChain } from '../identity/cert-chain.js';
import { CAP } from '../msgs/capabilities.js';
import { MEAS_SUMMARY_HASH_TYPE, PUBLIC_KEY_SLOT } from '../msgs/challenge.js';
import { ERROR_CODE, REQUEST_CODE, RESPONSE_CODE } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import {
  decodeKeyExchange,
  encodeKeyExchangeRspSignedPart,
  type KeyExchange,
  type KeyExchangeRspSignedFields,
  MUT_AUTH_REQUESTED,
  SESSION_POLICY,
  sessionIdOf,
} from '../msgs/key-exchange.js';
import { buildVersionSelection, parseSupportedVersions, selectSecuredVersion } from '../msgs/opaque-data.js';
import { type Negotiated, suiteOf } from '../negotiated.js';
import { bothHave, responderMeasures } from '../negotiation.js';
import { peerIdentityOf } from '../session/peer.js';
import { SecuredSession } from '../session/secured-session.js';
import { authAfterRequest, negotiatedState } from './auth-state.js';
import type { RequestHandler } from './handler.js';
import type { ResponderConfig } from './init.js';
import { signingSlot } from './local-identity.js';
import { measurementSummaryHash } from './measurement-source.js';
import { EMPTY_MEASUREMENT_TRANSCRIPT } from './measurements.js';
import type { RequesterCredential, ResponderSession, SessionHost } from './session-host.js';
import { invalidRequest, requireBothCaps, unexpected } from './session-rules.js';

const WHAT = 'KEY_EXCHANGE';

/** The summary hash the request asks for, or undefined for NONE. @throws SpdmError InvalidRequest */
function summaryFor(type: number, n: Negotiated, cfg: ResponderConfig): Uint8Array | undefined {
  if (type === MEAS_SUMMARY_HASH_TYPE.NONE) return undefined;
  if (!responderMeasures(n) || !cfg.measurements || n.measurementSpec !== MEASUREMENT_SPEC_DMTF) {
    throw invalidRequest(WHAT, 'measurement summary hash asked of a responder without measurements');
  }
  return measurementSummaryHash(cfg.measurements, n.version, suiteOf(n).hash, n.measurementHashAlgo, type);
}

/** The requester credential for a provisioned chain (libspdm WO_ENCAP). @throws SpdmError */
function provisioned(certs: readonly Uint8Array[], cs: CryptoSuite, reqSlotId: number): RequesterCredential {
  const certChain = buildCertChain(certs, cs.hash);
  const peer = peerIdentityOf(certChain, cs.hash.size, reqSlotId);
  const leafKey = new X509Certificate(peer.leafCertificate).publicKey;
  return { certChain, leafKey, peer };
}

/** MutAuthRequested / ReqSlotIDParam and the chain FINISH must prove, or null. @throws SpdmError */
function mutualAuthFor(host: SessionHost, n: Negotiated, cs: CryptoSuite): ResponderSession['mutualAuth'] {
  const m = host.options.mutualAuth;
  if (!m) return null;
  if (!bothHave(n, CAP.MUT_AUTH) || !cs.reqAsym) {
    throw unexpected(WHAT, 'mutual authentication is required and the requester cannot do it');
  }
  const reqSlotId = m.requesterSlotId ?? 0;
  let requester = host.presentedRequester;
  if (!requester && m.provisionedRequesterChain?.length) {
    requester = provisioned(m.provisionedRequesterChain, cs, reqSlotId);
  }
  if (!requester) throw unexpected(WHAT, 'mutual authentication is required and no requester chain is known');
  if (!keyMatchesAsym(cs.reqAsym, requester.leafKey)) {
    throw unexpected(WHAT, `the requester's key does not fit ${cs.reqAsym.name}`);
  }
  return { reqSlotId, requester };
}

function checkRequest(req: KeyExchange, n: Negotiated): void {
  if (req.slotId === PUBLIC_KEY_SLOT)
    throw invalidRequest(WHAT, 'no pre-provisioned public key (SlotID 0xFF)');
  if ((req.sessionPolicy & SESSION_POLICY.EVENT_ALL_POLICY) !== 0 && !bothHave(n, CAP.EVENT)) {
    throw invalidRequest(WHAT, 'EventAllPolicy without EVENT_CAP');
  }
}

function selectVersion(req: KeyExchange, n: Negotiated, host: SessionHost): number {
  const offered = parseSupportedVersions(req.opaqueData, n.version);
  const selected = selectSecuredVersion(offered, host.options.securedVersions);
  if (selected === undefined) throw invalidRequest(WHAT, 'no common secured-message version');
  return selected;
}

/** The KEY_EXCHANGE handler bound to one connection's session manager. */
export function keyExchangeHandler(host: SessionHost): RequestHandler {
  return {
    name: WHAT,
    allowedIn: ['Negotiated'],
    session: 'outside',
    handle(request, ctx) {
      const state = negotiatedState(ctx, WHAT);
      const n = state.negotiated;
      requireBothCaps(n, CAP.KEY_EX, REQUEST_CODE.KEY_EXCHANGE, WHAT);
      // DSP0277 MAC-only sessions (MAC_CAP without ENCRYPT_CAP) are not implemented.
      requireBothCaps(n, CAP.ENCRYPT, REQUEST_CODE.KEY_EXCHANGE, WHAT);
      const cs = cryptoSuite(suiteOf(n));
      if (!cs.dhe || !cs.aead) throw invalidRequest(WHAT, 'no DHE group or AEAD negotiated');
      const req = decodeKeyExchange(request, { version: n.version, dheSize: cs.dhe.exchangeSize });
      checkRequest(req, n);
      const slot = signingSlot(ctx.config.slots, n, req.slotId);
      const summary = summaryFor(req.measurementSummaryHashType, n, ctx.config);
      if (host.liveCount() >= host.options.maxSessions) {
        throw new SpdmError('Busy', `${WHAT}: ${host.options.maxSessions} sessions already open`, {
          wireCode: ERROR_CODE.SessionLimitExceeded,
        });
      }
      const securedVersion = selectVersion(req, n, host);
      const mutualAuth = mutualAuthFor(host, n, cs);
      const rspSessionId = host.allocateRspSessionId();
      if (rspSessionId === null) {
        throw new SpdmError('Busy', `${WHAT}: no free session id`, {
          wireCode: ERROR_CODE.SessionLimitExceeded,
        });
      }
      const p = { req, request, n, cs, slot, summary, securedVersion, mutualAuth, rspSessionId };
      const response = respond(host, p);
      return { response, state: { ...state, auth: authAfterRequest(state.auth, REQUEST_CODE.KEY_EXCHANGE) } };
    },
  };
}

interface Prepared {
  readonly req: KeyExchange;
  readonly request: Uint8Array;
  readonly n: Negotiated;
  readonly cs: CryptoSuite;
  readonly slot: ReturnType<typeof signingSlot>;
  readonly summary: Uint8Array | undefined;
  readonly securedVersion: number;
  readonly mutualAuth: ResponderSession['mutualAuth'];
  readonly rspSessionId: number;
}

/** ECDHE, signature, key schedule, verify data; registers the session. @throws SpdmError */
function respond(host: SessionHost, p: Prepared): Uint8Array {
  const { n, cs, req } = p;
  const hitc = bothHave(n, CAP.HANDSHAKE_IN_THE_CLEAR);
  const dhe = cs.generateDhe();
  let secret: Uint8Array;
  try {
    secret = dhe.computeSecret(req.exchangeData);
  } catch (e) {
    dhe.destroy();
    throw e;
  }
  const ks = cs.keySchedule(secret);
  secret.fill(0);
  try {
    const fields: KeyExchangeRspSignedFields = {
      code: RESPONSE_CODE.KEY_EXCHANGE_RSP,
      version: n.version,
      heartbeatPeriod: bothHave(n, CAP.HBEAT) ? host.options.heartbeatPeriod : 0,
      rspSessionId: p.rspSessionId,
      mutAuthRequested: p.mutualAuth ? MUT_AUTH_REQUESTED.MUT_AUTH : 0,
      reqSlotIdParam: p.mutualAuth ? p.mutualAuth.reqSlotId : 0,
      randomData: new Uint8Array(randomBytes(32)),
      exchangeData: dhe.exchangeData,
      ...(p.summary ? { measurementSummaryHash: p.summary } : {}),
      opaqueData: buildVersionSelection(n.version, p.securedVersion),
    };
    const signedPart = encodeToBytes(encodeKeyExchangeRspSignedPart, fields);
    const t = sessionTranscriptStart({ hash: cs.hash, vca: n.vca, certChainHash: p.slot.digest });
    t.append(p.request, signedPart);
    const signature = cs.sign('responder', p.slot.privateKey, SIGNING_CONTEXT.RESPONDER_KEY_EXCHANGE_RSP, t);
    const th1Hash = t.append(signature).hash();
    ks.deriveHandshakeSecrets(th1Hash);
    const verifyData = hitc ? new Uint8Array(0) : ks.verifyData('response', th1Hash);
    const response = concatBytes(signedPart, signature, verifyData);
    // The core would refuse it after the handler; refuse before a session exists.
    const limit = n.requesterDataTransferSize;
    if (limit > 0 && response.length > limit) {
      throw new SpdmError('TooLarge', `${WHAT}: KEY_EXCHANGE_RSP exceeds DataTransferSize ${limit}`, {
        wireCode: ERROR_CODE.ResponseTooLarge,
      });
    }
    const sessionId = sessionIdOf(req.reqSessionId, p.rspSessionId);
    const secured = new SecuredSession({
      role: 'responder',
      sessionId,
      params: host.params,
      keySchedule: ks,
      maxSequenceNumber: host.options.maxSequenceNumber,
    });
    host.add({
      sessionId,
      reqSessionId: req.reqSessionId,
      rspSessionId: p.rspSessionId,
      secured,
      negotiated: n,
      slotId: req.slotId,
      heartbeatPeriod: fields.heartbeatPeriod,
      handshakeInTheClear: hitc,
      securedVersion: p.securedVersion,
      mutualAuth: p.mutualAuth,
      transcript: {
        hash: cs.hash,
        vca: n.vca,
        certChainHash: p.slot.digest,
        keyExchange: p.request.slice(),
        keyExchangeRsp: response,
        signatureSize: signature.length,
        responderVerifyDataSize: verifyData.length,
      },
      measurements: EMPTY_MEASUREMENT_TRANSCRIPT,
      afterResponse: [],
      failAfterResponse: undefined,
    });
    return response;
  } catch (e) {
    ks.destroy();
    throw e;
  } finally {
    dhe.destroy();
  }
}
