/**
 * Which failures of a share fetch are worth retrying. Retryable: the peer could not be
 * reached, timed out, closed the connection, is busy, or is still booting (NotInitialized), or
 * failed on its own account. Permanent for that peer: it belongs to another rack or epoch, we
 * are not in its member list, it is not a member of ours, it sent a share that fails
 * verification or a malformed message, or its SPDM identity or negotiation cannot work with
 * ours. Anything unknown is retryable (backoff bounds the cost).
 */
import { SpdmError } from '@trust-quorum/spdm/errors';
import { TrustQuorumError } from '../errors.js';

export type FailureKind = 'retryable' | 'permanent';

/** One failed attempt, as reported in progress (no secrets: codes and messages only). */
export interface PeerFailure {
  readonly kind: FailureKind;
  /** The TrustQuorumError or SpdmError code, `ECONNREFUSED`-like codes, or 'Internal'. */
  readonly code: string;
  readonly message: string;
  /** The member the failure is about, when the peer had authenticated as one. */
  readonly sledId?: string;
}

const PERMANENT_TQ = new Set<string>([
  'RackMismatch',
  'EpochMismatch',
  'NotAMember',
  'InvalidShare',
  'DuplicateShare',
  'InvalidMessage',
  'InvalidCommitments',
  'InvalidConfig',
]);

const PERMANENT_SPDM = new Set<string>([
  'InvalidCertificate',
  'VerifyFailed',
  'VersionMismatch',
  'NegotiationFailed',
  'UnsupportedRequest',
  'InvalidMsgSize',
  'InvalidMsgField',
  'TooLarge',
]);

/** Classifies what a fetch threw. */
export function classifyFailure(e: unknown): PeerFailure {
  if (e instanceof TrustQuorumError) {
    const kind: FailureKind = PERMANENT_TQ.has(e.code) ? 'permanent' : 'retryable';
    return e.sender === undefined
      ? { kind, code: e.code, message: e.message }
      : { kind, code: e.code, message: e.message, sledId: e.sender };
  }
  if (e instanceof SpdmError) {
    return { kind: PERMANENT_SPDM.has(e.code) ? 'permanent' : 'retryable', code: e.code, message: e.message };
  }
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return { kind: 'retryable', code: typeof code === 'string' ? code : 'Internal', message: e.message };
  }
  return { kind: 'retryable', code: 'Internal', message: 'non-error thrown' };
}
