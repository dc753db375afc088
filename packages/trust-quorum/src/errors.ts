/**
 * The one error class of the trust-quorum package (conventions #8). `code` is a string literal
 * callers switch on; `sender` names the peer, sled or file a bad share came from; `files` names
 * the ledger files a ledger error is about. Messages never contain share or secret bytes:
 * callers pass x-coordinates, file names and fingerprints, never scalars.
 * Misuse of the API (a threshold out of range, a malformed argument) is a TypeError or RangeError.
 */

export type TrustQuorumErrorCode =
  /** This sled has no ledger yet: nothing to serve, nothing to unlock (share protocol). */
  | 'NotInitialized'
  /** The peer or the file belongs to another rack (share protocol, recovery). */
  | 'RackMismatch'
  /** The peer or the file is at another configuration epoch. */
  | 'EpochMismatch'
  /** The requester's device-identity certificate is not a member of the configuration. */
  | 'NotAMember'
  /** The server is at its limit (sessions or rate); retry later. */
  | 'Busy'
  /** A share failed verification against the Feldman commitments, or is malformed. */
  | 'InvalidShare'
  /** Two shares carry the same x-coordinate. */
  | 'DuplicateShare'
  /** Fewer shares than the threshold. */
  | 'NotEnoughShares'
  /** The combined secret does not match commitment 0 (g·secret != C0). */
  | 'CommitmentMismatch'
  /** The commitments are malformed (not points, wrong count for the threshold). */
  | 'InvalidCommitments'
  /** A ledger file is unreadable, not valid, fails its checksum, or copies disagree. */
  | 'LedgerCorrupt'
  /** A ledger file belongs to another rack than the others or than expected. */
  | 'LedgerForeign'
  /** Writing a ledger copy failed. */
  | 'LedgerWrite'
  /** The configuration (PKI directory, member list, options) is not usable. */
  | 'InvalidConfig'
  /** A peer could not be reached. */
  | 'Unreachable'
  /** A deadline fired. */
  | 'Timeout'
  /** The operation was aborted by its AbortSignal. */
  | 'Aborted'
  /** The peer answered with an error of the share protocol. */
  | 'Peer'
  /** A share-protocol message is malformed. */
  | 'InvalidMessage'
  /** The unlock hook failed for a disk (could not start, exited non-zero, timed out). */
  | 'UnlockFailed'
  /** An external command (e.g. cryptsetup) is missing or failed. */
  | 'CommandFailed'
  /** Anything else that is our own fault. */
  | 'Internal';

export interface TrustQuorumErrorOptions {
  /** Who sent the share or message at fault (sled id, address or file name). */
  sender?: string;
  /** Ledger files this error is about. */
  files?: readonly string[];
  cause?: unknown;
}

export class TrustQuorumError extends Error {
  override readonly name = 'TrustQuorumError';
  readonly code: TrustQuorumErrorCode;
  readonly sender: string | undefined;
  readonly files: readonly string[];

  constructor(code: TrustQuorumErrorCode, message: string, options: TrustQuorumErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.sender = options.sender;
    this.files = options.files ?? [];
  }
}

/** True when `e` is a TrustQuorumError, optionally with the given code. */
export function isTrustQuorumError(e: unknown, code?: TrustQuorumErrorCode): e is TrustQuorumError {
  return e instanceof TrustQuorumError && (code === undefined || e.code === code);
}
