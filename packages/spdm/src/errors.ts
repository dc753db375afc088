/**
 * The one error class of the SPDM package (conventions #8). `code` is a string literal that
 * callers switch on; `wireCode` is the SPDM ERROR code (DSP0274 1.3 §10.14) when one applies.
 * Messages never contain secret material: callers pass lengths and codes, not key bytes.
 */

export type SpdmErrorCode =
  /** A message is shorter or longer than its layout allows. */
  | 'InvalidMsgSize'
  /** A field holds a value the specification or our policy forbids. */
  | 'InvalidMsgField'
  /** A request arrived in a state that does not allow it. */
  | 'UnexpectedRequest'
  /** A request or response code we do not implement. */
  | 'UnsupportedRequest'
  /** No SPDM version in common. */
  | 'VersionMismatch'
  /** No algorithm in common, or an algorithm we cannot run. */
  | 'NegotiationFailed'
  /** The peer answered with an SPDM ERROR. */
  | 'Peer'
  /** The peer is busy (ERROR Busy, or a server-side limit). */
  | 'Busy'
  /** A deadline fired. */
  | 'Timeout'
  /** The connection closed, maybe in the middle of a message. */
  | 'Closed'
  /** A frame or message exceeds the configured maximum. */
  | 'TooLarge'
  /** Transport-level problem (refused, reset, bad framing). */
  | 'Transport'
  /** A signature, HMAC or AEAD tag did not verify. */
  | 'VerifyFailed'
  /** A certificate chain did not validate. */
  | 'InvalidCertificate'
  /** A secured-message record failed (decrypt, replay, sequence). */
  | 'SessionError'
  /** A sequence number would overflow. */
  | 'SequenceOverflow'
  /** The operation was aborted by its AbortSignal. */
  | 'Aborted'
  /** Anything else that is our own fault. */
  | 'Internal';

export interface SpdmErrorOptions {
  /** SPDM ERROR code that describes this failure on the wire. */
  wireCode?: number;
  /** ErrorData (Param2) to send with wireCode. */
  wireData?: number;
  cause?: unknown;
}

export class SpdmError extends Error {
  override readonly name = 'SpdmError';
  readonly code: SpdmErrorCode;
  readonly wireCode: number | undefined;
  readonly wireData: number | undefined;

  constructor(code: SpdmErrorCode, message: string, options: SpdmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.wireCode = options.wireCode;
    this.wireData = options.wireData;
  }
}

/** True when `e` is an SpdmError, optionally with the given code. */
export function isSpdmError(e: unknown, code?: SpdmErrorCode): e is SpdmError {
  return e instanceof SpdmError && (code === undefined || e.code === code);
}
