/**
 * Errors of the development PKI are the package's TrustQuorumError with code 'InvalidConfig'
 * (a PKI directory that is not usable), naming the file at fault in `files`. Misuse of the
 * API (a bad option value) is a RangeError instead (conventions #8). Messages name files and
 * fields, never key material.
 */
import { TrustQuorumError } from '../errors.js';

/** A TrustQuorumError('InvalidConfig') about `file`. */
export function pkiError(file: string, message: string, cause?: unknown): TrustQuorumError {
  return new TrustQuorumError(
    'InvalidConfig',
    message,
    cause === undefined ? { files: [file] } : { files: [file], cause },
  );
}
