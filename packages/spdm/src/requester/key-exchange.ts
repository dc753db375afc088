/**
 * Requester phase KEY_EXCHANGE -> KEY_EXCHANGE_RSP (DSP0274 1.3 "KEY_EXCHANGE request and
 * KEY_EXCHANGE_RSP response"; libspdm `libspdm_req_key_exchange.c`; spdm-reference §2.8, §2.9,
 * §3.2, §4). Sans-I/O: `prepareKeyExchange` draws the randomness (ephemeral ECDHE key, RandomData)
 * into the start state, `keyExchangePhase.request` builds the message from it and `.response`
 * checks the answer, sizes before fields:
 *
 * - the decoder (negotiated D, S, H; ResponderVerifyData absent iff HANDSHAKE_IN_THE_CLEAR on both
 *   sides; a MeasurementSummaryHash iff we asked for one: Param1 != 0, returned unverified);
 * - MutAuthRequested: 0, or 1 (the requester signs FINISH) only when both sides have MUT_AUTH_CAP,
 *   we hold an identity and ReqSlotIDParam names its slot; the encapsulated flows (2, 4) are not
 *   implemented (NegotiationFailed);
 * - the opaque data selects a secured-message version we offered;
 * - the Signature verifies with the responder's validated leaf key over VCA ‖ [message D] ‖
 *   Hash(Ct) ‖ KEY_EXCHANGE ‖ KEY_EXCHANGE_RSP-up-to-Signature (VerifyFailed otherwise); message
 *   D, the first DIGESTS response, only with the responder's 1.3 multi-key connection (libspdm
 *   `libspdm_calculate_th_for_exchange`; without it spdm_responder_emu --cap ...MULTI_KEY_ONLY
 *   failed here);
 * - the ECDHE secret, the handshake secrets from Hash(TH1), and ResponderVerifyData =
 *   HMAC(rsp finished key, Hash(TH1)) (VerifyFailed otherwise).
 */
import { type KeyObject, randomBytes } from 'node:crypto';
import { bytesEqual } from '../codec/bytes.js';
import type { DheKeyPair } from '../crypto/dhe.js';
import type { KeySchedule } from '../crypto/key-schedule.js';
import { SIGNING_CONTEXT } from '../crypto/signing-context.js';
import { cryptoSuite } from '../crypto/suite.js';
import {
  type KeyExchangeTranscriptParts,
  keyExchangeRspSignedTranscript,
  th1Transcript,
} from '../crypto/transcript.js';
import { SpdmError } from '../errors.js';
import { certChainDigest } from '../identity/cert-chain.js';
import { CAP } from '../msgs/capabilities.js';
import { REQUEST_CODE, RESPONSE_CODE } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import {
  decodeKeyExchangeRsp,
  encodeKeyExchange,
  type KeyExchange,
  type KeyExchangeRsp,
  MUT_AUTH_REQUESTED,
  RANDOM_DATA_SIZE,
  sessionIdOf,
} from '../msgs/key-exchange.js';
import { buildSupportedVersions, parseVersionSelection } from '../msgs/opaque-data.js';
import { type Negotiated, suiteOf } from '../negotiated.js';
import { bothHave } from '../negotiation.js';
import { responderMultiKeyConn } from './digests.js';
import { badResponse, expectResponse, type Phase } from './phase.js';

const WHAT = 'KEY_EXCHANGE_RSP';

/** Our identity for mutual authentication (FINISH signature). */
export interface RequesterCredentials {
  /** Our SPDM chain structure for the negotiated hash (CM). */
  readonly certChain: Uint8Array;
  readonly privateKey: KeyObject;
  /** The slot we hold the chain in (0-7). */
  readonly slotId: number;
}

/** Everything KEY_EXCHANGE needs; built by prepareKeyExchange. Holds a private DHE key. */
export interface KeyExchangeStart {
  readonly negotiated: Negotiated;
  /** Responder slot (0-7). */
  readonly slotId: number;
  /** The responder's chain structure of that slot (Ct), already validated. */
  readonly responderCertChain: Uint8Array;
  /** Its leaf key: verifies the KEY_EXCHANGE_RSP signature. */
  readonly responderKey: KeyObject;
  readonly reqSessionId: number;
  readonly sessionPolicy: number;
  /** KEY_EXCHANGE Param1 (MEAS_SUMMARY_HASH_TYPE); 0 = no summary hash. */
  readonly measurementSummaryHashType: number;
  /** Secured-message versions offered (16-bit, e.g. 0x1200). */
  readonly securedVersions: readonly number[];
  readonly randomData: Uint8Array;
  readonly dhe: DheKeyPair;
  /** Present when we can authenticate ourselves. */
  readonly credentials?: RequesterCredentials;
  /** 1.3 responder multi-key connection: the first DIGESTS response (libspdm message D). */
  readonly messageD?: Uint8Array;
}

/** What KEY_EXCHANGE settled; the key schedule holds the handshake secrets. */
export interface KeyExchanged {
  readonly negotiated: Negotiated;
  readonly slotId: number;
  readonly responderCertChain: Uint8Array;
  readonly sessionId: number;
  readonly reqSessionId: number;
  readonly rspSessionId: number;
  /** Seconds, 0 = none (only meaningful with HBEAT_CAP on both sides). */
  readonly heartbeatPeriod: number;
  /** 0 or MUT_AUTH_REQUESTED.MUT_AUTH. */
  readonly mutAuthRequested: number;
  readonly securedVersion: number;
  readonly handshakeInTheClear: boolean;
  /** The caller owns it (SecuredSession takes it over). */
  readonly keySchedule: KeySchedule;
  /** The responder's MeasurementSummaryHash, when one was asked for. */
  readonly measurementSummaryHash?: Uint8Array;
  /** VCA ‖ Hash(Ct) ‖ KEY_EXCHANGE ‖ KEY_EXCHANGE_RSP for the FINISH transcripts. */
  readonly transcript: KeyExchangeTranscriptParts;
  /** The credentials FINISH must sign with (mutual authentication requested), else undefined. */
  readonly credentials?: RequesterCredentials;
}

export interface PrepareKeyExchangeInit {
  readonly slotId: number;
  readonly responderCertChain: Uint8Array;
  readonly responderKey: KeyObject;
  /** Default 0xFFFF (libspdm's first requester session id). */
  readonly reqSessionId?: number;
  /** SESSION_POLICY bits; default 0. */
  readonly sessionPolicy?: number;
  /** MEAS_SUMMARY_HASH_TYPE to ask for (NONE, TCB, ALL); default NONE. */
  readonly measurementSummaryHashType?: number;
  /** Default 1.0, 1.1, 1.2 (what libspdm offers, byte for byte). */
  readonly securedVersions?: readonly number[];
  readonly credentials?: RequesterCredentials;
  /**
   * The first DIGESTS response after VCA when the responder's multi-key connection is on (1.3;
   * `NegotiatedRequesterState.auth.messageD`); required then, as libspdm's TH includes it.
   */
  readonly messageD?: Uint8Array;
}

/**
 * Draws the ephemeral key and RandomData for one KEY_EXCHANGE.
 * @throws SpdmError NegotiationFailed when KEY_EX was not negotiated on both sides or no DHE /
 *   AEAD was selected; RangeError for bad options.
 */
export function prepareKeyExchange(negotiated: Negotiated, init: PrepareKeyExchangeInit): KeyExchangeStart {
  if (!bothHave(negotiated, CAP.KEY_EX)) {
    throw new SpdmError('NegotiationFailed', 'KEY_EXCHANGE: KEY_EX_CAP not negotiated by both sides');
  }
  const cs = cryptoSuite(suiteOf(negotiated));
  if (!cs.dhe || !cs.aead)
    throw new SpdmError('NegotiationFailed', 'KEY_EXCHANGE: no DHE group or AEAD negotiated');
  if (responderMultiKeyConn(negotiated) && !init.messageD) {
    throw new TypeError(
      'KEY_EXCHANGE: the responder multi-key connection needs message D (GET_DIGESTS first)',
    );
  }
  const reqSessionId = init.reqSessionId ?? 0xffff;
  if (!Number.isInteger(reqSessionId) || reqSessionId < 1 || reqSessionId > 0xffff) {
    throw new RangeError('reqSessionId must be 1..0xFFFF');
  }
  return {
    negotiated,
    slotId: init.slotId,
    responderCertChain: init.responderCertChain,
    responderKey: init.responderKey,
    reqSessionId,
    sessionPolicy: init.sessionPolicy ?? 0,
    measurementSummaryHashType: init.measurementSummaryHashType ?? 0,
    securedVersions: init.securedVersions ?? [0x1000, 0x1100, 0x1200],
    randomData: new Uint8Array(randomBytes(RANDOM_DATA_SIZE)),
    dhe: cs.generateDhe(),
    ...(init.credentials ? { credentials: init.credentials } : {}),
    ...(init.messageD ? { messageD: init.messageD } : {}),
  };
}

function checkMutAuth(state: KeyExchangeStart, rsp: KeyExchangeRsp): RequesterCredentials | undefined {
  const n = state.negotiated;
  if (rsp.mutAuthRequested === 0) return undefined;
  if (!bothHave(n, CAP.MUT_AUTH)) badResponse(WHAT, 'MutAuthRequested without MUT_AUTH_CAP on both sides');
  if (rsp.mutAuthRequested !== MUT_AUTH_REQUESTED.MUT_AUTH) {
    throw new SpdmError('NegotiationFailed', `${WHAT}: encapsulated mutual authentication is not supported`);
  }
  const c = state.credentials;
  if (!c) {
    throw new SpdmError(
      'NegotiationFailed',
      `${WHAT}: the responder requires mutual authentication; we have no identity`,
    );
  }
  if (rsp.reqSlotIdParam !== c.slotId) {
    throw new SpdmError(
      'NegotiationFailed',
      `${WHAT}: responder asks for requester slot ${rsp.reqSlotIdParam}; ours is ${c.slotId}`,
    );
  }
  return c;
}

export const keyExchangePhase: Phase<KeyExchangeStart, KeyExchanged, unknown> = {
  name: 'KEY_EXCHANGE',
  request(state) {
    const n = state.negotiated;
    return encodeToBytes(encodeKeyExchange, {
      code: REQUEST_CODE.KEY_EXCHANGE,
      version: n.version,
      measurementSummaryHashType:
        state.measurementSummaryHashType as KeyExchange['measurementSummaryHashType'],
      slotId: state.slotId,
      reqSessionId: state.reqSessionId,
      sessionPolicy: state.sessionPolicy,
      randomData: state.randomData,
      exchangeData: state.dhe.exchangeData,
      opaqueData: buildSupportedVersions(n.version, state.securedVersions),
    });
  },
  response(state, _cfg, request, response) {
    try {
      return keyExchanged(state, request, response);
    } finally {
      state.dhe.destroy();
    }
  },
};

function keyExchanged(state: KeyExchangeStart, request: Uint8Array, response: Uint8Array): KeyExchanged {
  const n = state.negotiated;
  const cs = cryptoSuite(suiteOf(n));
  if (!cs.dhe || !cs.asym) throw new SpdmError('NegotiationFailed', `${WHAT}: no DHE group or BaseAsymAlgo`);
  const hitc = bothHave(n, CAP.HANDSHAKE_IN_THE_CLEAR);
  expectResponse(request, response, RESPONSE_CODE.KEY_EXCHANGE_RSP, WHAT);
  const rsp = decodeKeyExchangeRsp(response, {
    version: n.version,
    hashSize: cs.hash.size,
    sigSize: cs.asym.sigSize,
    dheSize: cs.dhe.exchangeSize,
    summaryHashPresent: state.measurementSummaryHashType !== 0,
    handshakeInTheClear: hitc,
  });
  const credentials = checkMutAuth(state, rsp);
  const securedVersion = parseVersionSelection(rsp.opaqueData, n.version, state.securedVersions);
  const transcript: KeyExchangeTranscriptParts = {
    hash: cs.hash,
    vca: n.vca,
    ...(state.messageD ? { messageD: state.messageD } : {}),
    certChainHash: certChainDigest(state.responderCertChain, cs.hash),
    keyExchange: request.slice(),
    keyExchangeRsp: response.slice(),
    signatureSize: cs.asym.sigSize,
    responderVerifyDataSize: hitc ? 0 : cs.hash.size,
  };
  const signed = keyExchangeRspSignedTranscript(transcript);
  if (
    !cs.verify(
      'responder',
      state.responderKey,
      SIGNING_CONTEXT.RESPONDER_KEY_EXCHANGE_RSP,
      signed,
      rsp.signature,
    )
  ) {
    throw new SpdmError('VerifyFailed', `${WHAT}: responder signature does not verify`);
  }
  const secret = state.dhe.computeSecret(rsp.exchangeData);
  const ks = cs.keySchedule(secret);
  secret.fill(0);
  try {
    const th1Hash = th1Transcript(transcript).hash();
    ks.deriveHandshakeSecrets(th1Hash);
    if (
      !hitc &&
      !bytesEqual(ks.verifyData('response', th1Hash), rsp.responderVerifyData ?? new Uint8Array(0))
    ) {
      throw new SpdmError('VerifyFailed', `${WHAT}: ResponderVerifyData does not verify`);
    }
  } catch (e) {
    ks.destroy();
    throw e;
  }
  return {
    negotiated: n,
    slotId: state.slotId,
    responderCertChain: state.responderCertChain,
    sessionId: sessionIdOf(state.reqSessionId, rsp.rspSessionId),
    reqSessionId: state.reqSessionId,
    rspSessionId: rsp.rspSessionId,
    heartbeatPeriod: rsp.heartbeatPeriod,
    mutAuthRequested: rsp.mutAuthRequested,
    securedVersion,
    handshakeInTheClear: hitc,
    keySchedule: ks,
    ...(rsp.measurementSummaryHash ? { measurementSummaryHash: rsp.measurementSummaryHash.slice() } : {}),
    transcript,
    ...(credentials ? { credentials } : {}),
  };
}
