/**
 * The thin async driver of the authentication phase (conventions #2): GET_DIGESTS,
 * GET_CERTIFICATE in portions, CHALLENGE and GET_MEASUREMENTS over one Exchange, after VCA.
 * Protocol decisions live in the phase files (digests.ts, certificate.ts, challenge.ts,
 * measurements.ts); this file moves bytes, keeps the current state, reassembles and validates
 * the chain, and remembers what it learned per slot.
 *
 * `Authenticator` offers the steps one by one (a KEY_EXCHANGE driver needs only digests and the
 * chain); `authenticate()` runs the usual sequence: digests -> certificate -> challenge ->
 * optional measurements, and returns who the responder proved to be.
 *
 * Chain retrieval is bounded: the first CERTIFICATE fixes the total, which must not exceed
 * `maxCertChainSize`; every portion must be no longer than asked and make progress; the buffer
 * is allocated once (CertChainAssembler). A chain whose digest the `chainCache` knows is not
 * fetched again (but validated again, through the cache's remembered validations). Validation: identity/validate.ts against `trustedRoots`;
 * a chain that does not hash to its DIGESTS entry is refused (InvalidCertificate).
 */

import type { KeyObject } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { bytesEqual } from '../codec/bytes.js';
import { SpdmError } from '../errors.js';
import { CertChainAssembler, certChainDigest } from '../identity/cert-chain.js';
import { type ValidatedChain, validateCertChain } from '../identity/validate.js';
import type { ChallengeAuth } from '../msgs/challenge.js';
import { MEAS_SUMMARY_HASH_TYPE } from '../msgs/challenge.js';
import { SPDM_VERSION } from '../msgs/codes.js';
import type { MeasurementBlock } from '../msgs/measurement-blocks.js';
import { MEASUREMENT_OPERATION } from '../msgs/measurements.js';
import { type Negotiated, suiteOf } from '../negotiated.js';
import type { NegotiatedRequesterState } from './auth-state.js';
import { certificateLength, certificatePhase } from './certificate.js';
import { challengePhase } from './challenge.js';
import { digestsPhase, requirePeerCap } from './digests.js';
import { type Exchange, withRetries } from './exchange.js';
import { type RequesterConfig, type RequesterInit, resolveRequesterInit } from './init.js';
import { measurementsPhase } from './measurements.js';
import { runPhase } from './phase.js';

export interface DigestsResult {
  readonly provisionedSlotMask: number;
  /** Slot -> digest of its chain structure. */
  readonly digests: ReadonlyMap<number, Uint8Array>;
}

export interface CertificateResult {
  readonly slotId: number;
  /** The SPDM chain structure (Length, Reserved, RootHash, DER certificates). */
  readonly chain: Uint8Array;
  /** Hash of `chain` with the negotiated hash (the DIGESTS entry, CertChainHash, Hash(Ct)). */
  readonly digest: Uint8Array;
  /** The validation result: leaf key and subject, certificates, the root used. */
  readonly validated: ValidatedChain;
  /** True when the chain came from the cache (no GET_CERTIFICATE sent). */
  readonly fromCache: boolean;
  /** GET_CERTIFICATE round trips. */
  readonly requests: number;
}

export interface ChallengeResult {
  readonly slotId: number;
  readonly leafSubject: string;
  /** Slots the responder reported in CHALLENGE_AUTH. */
  readonly slotMask: number;
  /** Present when a summary hash type other than NONE was asked. */
  readonly measurementSummaryHash?: Uint8Array;
}

/** What to ask GET_MEASUREMENTS for. */
export interface MeasurementsOptions {
  /** 'all' (default), 'count', or one index 1..254. */
  readonly operation?: 'all' | 'count' | number;
  /** Ask for a signature (default true) made with `slotId`'s key. */
  readonly signed?: boolean;
  readonly slotId?: number;
}

export interface MeasurementsResult {
  readonly signed: boolean;
  /** The blocks returned (empty for 'count'). */
  readonly blocks: readonly MeasurementBlock[];
  /** For 'count': the number of measurement indices; else the number of blocks. */
  readonly count: number;
  /** MEASUREMENTS content-changed field (1.2+ signed responses; else 0). */
  readonly contentChanged: number;
}

function operationOf(op: MeasurementsOptions['operation']): number {
  if (op === undefined || op === 'all') return MEASUREMENT_OPERATION.ALL;
  if (op === 'count') return MEASUREMENT_OPERATION.TOTAL_NUMBER;
  if (!Number.isInteger(op) || op < 1 || op > 0xfe)
    throw new RangeError(`measurement index ${op}: not 1..254`);
  return op;
}

function fresh(n: number): Uint8Array {
  return new Uint8Array(randomBytes(n));
}

export class Authenticator {
  readonly cfg: RequesterConfig;
  readonly #exchange: Exchange;
  #state: NegotiatedRequesterState;
  readonly #peers = new Map<number, CertificateResult>();

  /**
   * @param negotiated the VCA result, or a requester state that already carries auth transcripts.
   * @throws TypeError / RangeError when `init` is inconsistent.
   */
  constructor(
    exchange: Exchange,
    negotiated: Negotiated | NegotiatedRequesterState,
    init: RequesterInit = {},
  ) {
    this.cfg = resolveRequesterInit(init);
    this.#exchange = withRetries(exchange, init.retry);
    this.#state = 'kind' in negotiated ? negotiated : { kind: 'Negotiated', negotiated };
  }

  /** The current state (transcripts included). */
  get state(): NegotiatedRequesterState {
    return this.#state;
  }

  /** What getCertificate learned about `slotId`, if it ran. */
  peer(slotId: number): CertificateResult | undefined {
    return this.#peers.get(slotId);
  }

  /**
   * GET_DIGESTS.
   * @throws SpdmError UnsupportedRequest (no CERT_CAP), Peer / Busy, InvalidMsgSize /
   *   InvalidMsgField, Transport / Timeout / Aborted.
   */
  async getDigests(signal?: AbortSignal): Promise<DigestsResult> {
    this.#state = await runPhase(digestsPhase, this.#state, this.cfg, this.#exchange, signal);
    const digests = this.#state.auth?.digests ?? new Map<number, Uint8Array>();
    let mask = 0;
    for (const slot of digests.keys()) mask |= 1 << slot;
    return { provisionedSlotMask: mask, digests };
  }

  /**
   * The chain of `slotId`: from the cache when its DIGESTS digest is known there, else fetched
   * in portions; then checked against the digest and validated against the trusted roots.
   * @throws TypeError when no trusted root is configured; SpdmError TooLarge (chain over the
   *   bound), InvalidMsgField (inconsistent portions), InvalidCertificate (digest mismatch or
   *   validation), and the errors of getDigests.
   */
  async getCertificate(slotId = 0, signal?: AbortSignal): Promise<CertificateResult> {
    if (this.cfg.trustedRoots.length === 0) throw new TypeError('getCertificate: no trustedRoots configured');
    requirePeerCap(this.#state, 'CERT_CAP', 'GET_CERTIFICATE');
    const suite = suiteOf(this.#state.negotiated);
    if (!suite.asym)
      throw new SpdmError('NegotiationFailed', 'GET_CERTIFICATE: no signature algorithm negotiated');
    const known = this.#state.auth?.digests?.get(slotId);
    const cached = known ? this.cfg.chainCache?.get(suite.hash, known) : undefined;
    const { chain, requests } = cached ? { chain: cached, requests: 0 } : await this.#fetch(slotId, signal);
    const digest = certChainDigest(chain, suite.hash);
    if (known && !bytesEqual(digest, known)) {
      throw new SpdmError(
        'InvalidCertificate',
        `slot ${slotId}: certificate chain does not match its DIGESTS entry`,
      );
    }
    const opts = {
      hash: suite.hash,
      asym: suite.asym,
      trustedRoots: this.cfg.trustedRoots,
      version: this.#state.negotiated.version,
      role: 'responder',
    } as const;
    const validated = this.cfg.chainCache
      ? this.cfg.chainCache.validations.validate(chain, opts)
      : validateCertChain(chain, opts);
    this.cfg.chainCache?.set(suite.hash, digest, chain);
    const result: CertificateResult = { slotId, chain, digest, validated, fromCache: !!cached, requests };
    this.#peers.set(slotId, result);
    return result;
  }

  async #fetch(slotId: number, signal?: AbortSignal): Promise<{ chain: Uint8Array; requests: number }> {
    const asm = new CertChainAssembler({ maxSize: this.cfg.maxCertChainSize });
    const most = certificateLength(this.#state, this.cfg);
    let requests = 0;
    while (!asm.complete) {
      const phase = certificatePhase({ slotId, offset: asm.offset, length: asm.nextLength(most) });
      const step = await runPhase(phase, this.#state, this.cfg, this.#exchange, signal);
      requests++;
      asm.add(step.certificate.portion, step.certificate.remainderLength);
      this.#state = step.state;
    }
    return { chain: asm.finish(), requests };
  }

  /** The validated chain of a slot, fetched if needed. */
  async #peerOf(slotId: number, signal?: AbortSignal): Promise<CertificateResult> {
    return this.#peers.get(slotId) ?? (await this.getCertificate(slotId, signal));
  }

  /**
   * CHALLENGE for `slotId` (its chain is fetched first if getCertificate has not run).
   * @throws SpdmError VerifyFailed (CertChainHash or signature), UnsupportedRequest (no CHAL_CAP),
   *   InvalidMsgField, Peer, and the errors of getCertificate.
   */
  async challenge(
    slotId = 0,
    summaryHashType: number = MEAS_SUMMARY_HASH_TYPE.NONE,
    signal?: AbortSignal,
  ): Promise<ChallengeResult> {
    requirePeerCap(this.#state, 'CHAL_CAP', 'CHALLENGE');
    const peer = await this.#peerOf(slotId, signal);
    const phase = challengePhase({
      slotId,
      summaryHashType,
      nonce: fresh(32),
      ...this.#context(),
      certChainHash: peer.digest,
      leafKey: peer.validated.leafKey,
    });
    const step = await runPhase(phase, this.#state, this.cfg, this.#exchange, signal);
    this.#state = step.state;
    return challengeResultOf(slotId, peer.validated.leafSubject, step.challengeAuth);
  }

  /**
   * GET_MEASUREMENTS; a signed request fetches and validates the slot's chain first if needed.
   * @throws SpdmError VerifyFailed (signature), UnsupportedRequest (no MEAS_CAP / no signing),
   *   InvalidMsgField, Peer, and the errors of getCertificate; RangeError for a bad index.
   */
  async getMeasurements(opts: MeasurementsOptions = {}, signal?: AbortSignal): Promise<MeasurementsResult> {
    const signed = opts.signed ?? true;
    const slotId = opts.slotId ?? 0;
    const operation = operationOf(opts.operation);
    let leafKey: KeyObject | undefined;
    if (signed) {
      requirePeerCap(this.#state, 'MEAS_CAP', 'GET_MEASUREMENTS');
      leafKey = (await this.#peerOf(slotId, signal)).validated.leafKey;
    }
    const phase = measurementsPhase({
      operation,
      signed,
      slotId,
      ...(signed ? { nonce: fresh(32), leafKey } : {}),
      ...this.#context(),
    });
    const step = await runPhase(phase, this.#state, this.cfg, this.#exchange, signal);
    this.#state = step.state;
    const m = step.measurements;
    const count =
      operation === MEASUREMENT_OPERATION.TOTAL_NUMBER ? m.totalMeasurementIndices : m.blocks.length;
    return { signed, blocks: m.blocks, count, contentChanged: m.contentChanged };
  }

  #context(): { requesterContext?: Uint8Array } {
    return this.#state.negotiated.version >= SPDM_VERSION.V13 ? { requesterContext: fresh(8) } : {};
  }
}

function challengeResultOf(slotId: number, leafSubject: string, a: ChallengeAuth): ChallengeResult {
  return {
    slotId,
    leafSubject,
    slotMask: a.slotMask,
    ...(a.measurementSummaryHash ? { measurementSummaryHash: a.measurementSummaryHash.slice() } : {}),
  };
}

export interface AuthenticateInit extends RequesterInit {
  /** Slot to authenticate. Default 0. */
  readonly slotId?: number;
  /** Run CHALLENGE. Default true. */
  readonly challenge?: boolean;
  /** MeasurementSummaryHashType for CHALLENGE. Default NONE. */
  readonly summaryHashType?: number;
  /** Also fetch measurements (default: no). */
  readonly measurements?: MeasurementsOptions | false;
}

export interface AuthenticationResult {
  readonly digests: DigestsResult;
  readonly certificate: CertificateResult;
  readonly challenge?: ChallengeResult;
  readonly measurements?: MeasurementsResult;
  /** The responder's leaf subject and public key (validated, and proven when challenged). */
  readonly leafSubject: string;
  readonly leafKey: KeyObject;
  /** The requester state afterwards (for the phases that follow on the same connection). */
  readonly state: NegotiatedRequesterState;
}

/**
 * GET_DIGESTS, the slot's chain (fetched or cached, validated), CHALLENGE unless disabled, and
 * GET_MEASUREMENTS when asked, on a negotiated connection.
 * @throws SpdmError InvalidCertificate (chain), VerifyFailed (signatures), TooLarge,
 *   InvalidMsgSize / InvalidMsgField, UnsupportedRequest (capability missing), Peer / Busy,
 *   Transport / Timeout / Aborted; TypeError without trusted roots; RangeError for bad options.
 */
export async function authenticate(
  exchange: Exchange,
  negotiated: Negotiated,
  init: AuthenticateInit = {},
  signal?: AbortSignal,
): Promise<AuthenticationResult> {
  const slotId = init.slotId ?? 0;
  const auth = new Authenticator(exchange, negotiated, init);
  const digests = await auth.getDigests(signal);
  if (!digests.digests.has(slotId)) {
    throw new SpdmError('InvalidMsgField', `DIGESTS: slot ${slotId} holds no certificate chain`);
  }
  const certificate = await auth.getCertificate(slotId, signal);
  const challenge =
    init.challenge === false ? undefined : await auth.challenge(slotId, init.summaryHashType, signal);
  const measurements = init.measurements
    ? await auth.getMeasurements({ slotId, ...init.measurements }, signal)
    : undefined;
  return {
    digests,
    certificate,
    ...(challenge ? { challenge } : {}),
    ...(measurements ? { measurements } : {}),
    leafSubject: certificate.validated.leafSubject,
    leafKey: certificate.validated.leafKey,
    state: auth.state,
  };
}
