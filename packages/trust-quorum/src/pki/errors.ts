/**
 * The error class of the development PKI. `code` is a string literal callers switch on.
 * Misuse of the API (a bad option value) is a TypeError / RangeError instead (conventions #8).
 * Messages name files and fields, never key material.
 */

export type PkiErrorCode =
  /** The output directory is not empty and `force` was not given. */
  | 'OutputNotEmpty'
  /** A file is missing, unreadable, too large or not of the expected kind. */
  | 'InvalidFile'
  /** A certificate does not parse, or the chain does not link up. */
  | 'InvalidCertificate'
  /** A private key does not parse or does not match its certificate. */
  | 'InvalidKey';

export class PkiError extends Error {
  override readonly name = 'PkiError';
  readonly code: PkiErrorCode;

  constructor(code: PkiErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** True when `e` is a PkiError, optionally with the given code. */
export function isPkiError(e: unknown, code?: PkiErrorCode): e is PkiError {
  return e instanceof PkiError && (code === undefined || e.code === code);
}
