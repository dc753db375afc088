/**
 * Codes of the share protocol (ours, not a DMTF one): the version byte, the message types and
 * the error codes carried by `Error{code}`. Every message starts with the version byte, then
 * the type byte (see message.ts). Codes are `as const` objects (conventions #4).
 */
import type { TrustQuorumErrorCode } from '../errors.js';

/** Version 1 of the share protocol: the first byte of every message. */
export const PROTOCOL_VERSION = 0x01;

export const MESSAGE_TYPE = {
  GET_SHARE: 0x01,
  SHARE: 0x02,
  ERROR: 0x03,
  PREPARE: 0x10,
  PREPARE_ACK: 0x11,
  COMMIT: 0x12,
  COMMIT_ACK: 0x13,
} as const;

export type MessageTypeCode = (typeof MESSAGE_TYPE)[keyof typeof MESSAGE_TYPE];

/** Codes of `Error{code}`: why a server did not answer with what was asked. */
export const ERROR_CODE = {
  /** The server has no ledger yet (still booting, or never configured). */
  NotInitialized: 0x01,
  /** The request names another rack than the server's ledger. */
  RackMismatch: 0x02,
  /** The request names another epoch than the server's ledger. */
  EpochMismatch: 0x03,
  /** The requester's device-identity certificate is not a member of the configuration. */
  NotAMember: 0x04,
  /** Too many sessions, or the requester's rate limit is exhausted: retry later. */
  Busy: 0x05,
  /** The server failed on its own account. */
  Internal: 0x06,
  /** The request was malformed or not a request (a Share, an Error, ...). */
  BadRequest: 0x07,
  /** A well-formed request this server does not handle (e.g. Prepare before rack init). */
  Unsupported: 0x08,
} as const;

export type ErrorCodeName = keyof typeof ERROR_CODE;
export type ErrorCodeValue = (typeof ERROR_CODE)[ErrorCodeName];

const ERROR_NAMES = new Map<number, ErrorCodeName>(
  Object.entries(ERROR_CODE).map(([name, code]) => [code, name as ErrorCodeName]),
);

/** The name of a wire error code, or undefined for a code we do not know. */
export function errorCodeName(code: number): ErrorCodeName | undefined {
  return ERROR_NAMES.get(code);
}

/**
 * The TrustQuorumError code a requester raises for a peer's `Error{code}`: the five refusals
 * of the issue map to themselves; BadRequest and Unsupported (the peer does not understand
 * what we sent) to 'InvalidMessage'; Internal (the peer's own failure) to 'Peer'.
 */
export function errorCodeToTrustQuorum(name: ErrorCodeName): TrustQuorumErrorCode {
  switch (name) {
    case 'NotInitialized':
    case 'RackMismatch':
    case 'EpochMismatch':
    case 'NotAMember':
    case 'Busy':
      return name;
    case 'BadRequest':
    case 'Unsupported':
      return 'InvalidMessage';
    case 'Internal':
      return 'Peer';
  }
}

const TYPE_NAMES = new Map<number, string>(Object.entries(MESSAGE_TYPE).map(([name, code]) => [code, name]));

/** The spec-style name of a message type (`GET_SHARE`), or `0x..` for an unknown one. */
export function messageTypeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `0x${type.toString(16).padStart(2, '0')}`;
}
