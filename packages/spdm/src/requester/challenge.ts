/**
 * Requester phase CHALLENGE -> CHALLENGE_AUTH (DSP0274 1.3 "CHALLENGE request and
 * CHALLENGE_AUTH response"; spdm-reference §2.6, §3.1-§3.3; libspdm `libspdm_req_challenge.c`).
 * The caller supplies the nonce (and the 1.3 RequesterContext), so the phase stays pure, and
 * what the answer is checked against: the digest of the chain it validated for the slot and the
 * leaf's public key. The responder must advertise CHAL_CAP.
 *
 * Checks, in order: the decoder (sizes before fields); SlotID is the one asked (0xF for 0xFF) and
 * its bit is in the slot mask; no BasicMutAuthReq (we run no encapsulated mutual
 * authentication); OpaqueDataLength 0 when no opaque-data format was negotiated (1.2+); the 1.3
 * RequesterContext echoed; CertChainHash = the expected digest (VerifyFailed); the signature over
 * M1 = VCA ‖ B ‖ CHALLENGE ‖ CHALLENGE_AUTH without Signature (1.2+: context
 * "responder-challenge_auth signing") with the leaf key (VerifyFailed). Then B is cleared and the
 * connection counts as authenticated.
 */
import type { KeyObject } from 'node:crypto';
import { bytesEqual } from '../codec/bytes.js';
import { SIGNING_CONTEXT } from '../crypto/signing-context.js';
import { cryptoSuite } from '../crypto/suite.js';
import { challengeAuthTranscript } from '../crypto/transcript.js';
import { SpdmError } from '../errors.js';
import {
  type ChallengeAuth,
  decodeChallengeAuth,
  encodeChallenge,
  MEAS_SUMMARY_HASH_TYPE,
  PUBLIC_KEY_SLOT,
  PUBLIC_KEY_SLOT_AUTH,
} from '../msgs/challenge.js';
import { REQUEST_CODE, RESPONSE_CODE, SPDM_VERSION } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import { type Negotiated, suiteOf } from '../negotiated.js';
import { OPAQUE_FORMAT_MASK } from '../negotiation.js';
import { authAfterRequest, type NegotiatedRequesterState } from './auth-state.js';
import { requirePeerCap } from './digests.js';
import type { RequesterConfig } from './init.js';
import { badResponse, expectResponse, type Phase } from './phase.js';

const WHAT = 'CHALLENGE_AUTH';

export interface ChallengeRequest {
  /** 0..7 (0xFF, the pre-provisioned key, is not supported by the checks here). */
  readonly slotId: number;
  /** A MEAS_SUMMARY_HASH_TYPE value. Default NONE. */
  readonly summaryHashType?: number;
  /** 32 fresh random bytes. */
  readonly nonce: Uint8Array;
  /** 8 bytes, SPDM 1.3 only. */
  readonly requesterContext?: Uint8Array;
  /** Digest of the slot's chain structure, as validated. */
  readonly certChainHash: Uint8Array;
  /** The validated leaf's public key. */
  readonly leafKey: KeyObject;
}

export interface ChallengeStep {
  readonly state: NegotiatedRequesterState;
  /** The verified response (fields are views of it). */
  readonly challengeAuth: ChallengeAuth;
}

/** OpaqueDataLength must be 0 in 1.2+ when no opaque-data format was selected. */
export function checkOpaqueAllowed(n: Negotiated, opaque: Uint8Array, what: string): void {
  if (n.version >= SPDM_VERSION.V12 && (n.otherParams & OPAQUE_FORMAT_MASK) === 0 && opaque.length > 0) {
    badResponse(what, 'opaque data without a negotiated opaque-data format');
  }
}

/** The 1.3 RequesterContext must come back unchanged. */
export function checkContextEcho(
  sent: Uint8Array | undefined,
  got: Uint8Array | undefined,
  what: string,
): void {
  if (sent && (!got || !bytesEqual(sent, got))) badResponse(what, 'RequesterContext not echoed');
}

function checkHeaderFields(a: ChallengeAuth, req: ChallengeRequest): void {
  const slot = req.slotId === PUBLIC_KEY_SLOT ? PUBLIC_KEY_SLOT_AUTH : req.slotId;
  if (a.slotId !== slot) badResponse(WHAT, `SlotID ${a.slotId}, asked for ${req.slotId}`);
  if (req.slotId !== PUBLIC_KEY_SLOT && !(a.slotMask & (1 << req.slotId))) {
    badResponse(WHAT, `slot mask 0x${a.slotMask.toString(16)} lacks slot ${req.slotId}`);
  }
  if (a.basicMutAuthReq) badResponse(WHAT, 'basic mutual authentication requested; not supported');
}

/** One CHALLENGE round trip, verified. @throws RangeError / TypeError for misuse (sizes). */
export function challengePhase(
  req: ChallengeRequest,
): Phase<NegotiatedRequesterState, ChallengeStep, RequesterConfig> {
  const summaryHashType = req.summaryHashType ?? MEAS_SUMMARY_HASH_TYPE.NONE;
  return {
    name: 'CHALLENGE',
    request(state) {
      requirePeerCap(state, 'CHAL_CAP', 'CHALLENGE');
      const version = state.negotiated.version;
      return encodeToBytes(encodeChallenge, {
        code: REQUEST_CODE.CHALLENGE,
        version,
        slotId: req.slotId,
        measurementSummaryHashType: summaryHashType,
        nonce: req.nonce,
        ...(version >= SPDM_VERSION.V13 ? { requesterContext: req.requesterContext } : {}),
      });
    },
    response(state, _cfg, request, response) {
      const n = state.negotiated;
      const suite = cryptoSuite(suiteOf(n));
      if (!suite.asym) throw new SpdmError('NegotiationFailed', `${WHAT}: no signature algorithm negotiated`);
      expectResponse(request, response, RESPONSE_CODE.CHALLENGE_AUTH, WHAT);
      const a = decodeChallengeAuth(response, {
        version: n.version,
        hashSize: suite.hash.size,
        sigSize: suite.asym.sigSize,
        summaryHashPresent: summaryHashType !== MEAS_SUMMARY_HASH_TYPE.NONE,
      });
      checkHeaderFields(a, req);
      checkOpaqueAllowed(n, a.opaqueData, WHAT);
      checkContextEcho(
        n.version >= SPDM_VERSION.V13 ? req.requesterContext : undefined,
        a.requesterContext,
        WHAT,
      );
      if (!bytesEqual(a.certChainHash, req.certChainHash)) {
        throw new SpdmError(
          'VerifyFailed',
          `${WHAT}: CertChainHash differs from the digest of slot ${req.slotId}'s chain`,
        );
      }
      const auth = authAfterRequest(state.auth, REQUEST_CODE.CHALLENGE);
      const m1 = challengeAuthTranscript(suite.hash, n.vca, auth.b, request, response, suite.asym.sigSize);
      if (
        !suite.verify('responder', req.leafKey, SIGNING_CONTEXT.RESPONDER_CHALLENGE_AUTH, m1, a.signature)
      ) {
        throw new SpdmError(
          'VerifyFailed',
          `${WHAT}: signature does not verify with the slot ${req.slotId} leaf key`,
        );
      }
      return {
        state: { ...state, auth: { ...auth, b: [], bSize: 0, authenticated: true } },
        challengeAuth: a,
      };
    },
  };
}
