/**
 * SPDM request/response codes, error codes and version numbers (DSP0274 1.3 §10, Table 4/5;
 * spdm-reference §1.3 and §2.13). `as const` objects named as in the spec (conventions #4).
 */

/** SPDMVersion header byte values. */
export const SPDM_VERSION = {
  V10: 0x10,
  V11: 0x11,
  V12: 0x12,
  V13: 0x13,
} as const;
export type SpdmVersion = (typeof SPDM_VERSION)[keyof typeof SPDM_VERSION];

/** Versions this stack negotiates (1.0 is decoded but not negotiated). */
export const SUPPORTED_VERSIONS: readonly SpdmVersion[] = [0x11, 0x12, 0x13];

export function versionName(v: number): string {
  return `${v >> 4}.${v & 0xf}`;
}

export const REQUEST_CODE = {
  GET_DIGESTS: 0x81,
  GET_CERTIFICATE: 0x82,
  CHALLENGE: 0x83,
  GET_VERSION: 0x84,
  CHUNK_SEND: 0x85,
  CHUNK_GET: 0x86,
  GET_ENDPOINT_INFO: 0x87,
  GET_MEASUREMENTS: 0xe0,
  GET_CAPABILITIES: 0xe1,
  GET_SUPPORTED_EVENT_TYPES: 0xe2,
  NEGOTIATE_ALGORITHMS: 0xe3,
  KEY_EXCHANGE: 0xe4,
  FINISH: 0xe5,
  PSK_EXCHANGE: 0xe6,
  PSK_FINISH: 0xe7,
  HEARTBEAT: 0xe8,
  KEY_UPDATE: 0xe9,
  GET_ENCAPSULATED_REQUEST: 0xea,
  DELIVER_ENCAPSULATED_RESPONSE: 0xeb,
  END_SESSION: 0xec,
  GET_CSR: 0xed,
  SET_CERTIFICATE: 0xee,
  GET_MEASUREMENT_EXTENSION_LOG: 0xef,
  SUBSCRIBE_EVENT_TYPES: 0xf0,
  SEND_EVENT: 0xf1,
  GET_KEY_PAIR_INFO: 0xfc,
  SET_KEY_PAIR_INFO: 0xfd,
  VENDOR_DEFINED_REQUEST: 0xfe,
  RESPOND_IF_READY: 0xff,
} as const;

export const RESPONSE_CODE = {
  DIGESTS: 0x01,
  CERTIFICATE: 0x02,
  CHALLENGE_AUTH: 0x03,
  VERSION: 0x04,
  CHUNK_SEND_ACK: 0x05,
  CHUNK_RESPONSE: 0x06,
  ENDPOINT_INFO: 0x07,
  MEASUREMENTS: 0x60,
  CAPABILITIES: 0x61,
  SUPPORTED_EVENT_TYPES: 0x62,
  ALGORITHMS: 0x63,
  KEY_EXCHANGE_RSP: 0x64,
  FINISH_RSP: 0x65,
  PSK_EXCHANGE_RSP: 0x66,
  PSK_FINISH_RSP: 0x67,
  HEARTBEAT_ACK: 0x68,
  KEY_UPDATE_ACK: 0x69,
  ENCAPSULATED_REQUEST: 0x6a,
  ENCAPSULATED_RESPONSE_ACK: 0x6b,
  END_SESSION_ACK: 0x6c,
  CSR: 0x6d,
  SET_CERTIFICATE_RSP: 0x6e,
  MEASUREMENT_EXTENSION_LOG: 0x6f,
  SUBSCRIBE_EVENT_TYPES_ACK: 0x70,
  EVENT_ACK: 0x71,
  KEY_PAIR_INFO: 0x7c,
  SET_KEY_PAIR_INFO_ACK: 0x7d,
  VENDOR_DEFINED_RESPONSE: 0x7e,
  ERROR: 0x7f,
} as const;

/** ERROR Param1 values (DSP0274 1.3 Table 58; spdm-reference §2.13). */
export const ERROR_CODE = {
  InvalidRequest: 0x01,
  Busy: 0x03,
  UnexpectedRequest: 0x04,
  Unspecified: 0x05,
  DecryptError: 0x06,
  UnsupportedRequest: 0x07,
  RequestInFlight: 0x08,
  InvalidResponseCode: 0x09,
  SessionLimitExceeded: 0x0a,
  SessionRequired: 0x0b,
  ResetRequired: 0x0c,
  ResponseTooLarge: 0x0d,
  RequestTooLarge: 0x0e,
  LargeResponse: 0x0f,
  MessageLost: 0x10,
  InvalidPolicy: 0x11,
  DataTooLarge: 0x12,
  VersionMismatch: 0x41,
  ResponseNotReady: 0x42,
  RequestResynch: 0x43,
  OperationFailed: 0x44,
  NoPendingRequests: 0x45,
  VendorDefined: 0xff,
} as const;
export type ErrorCodeName = keyof typeof ERROR_CODE;

const byValue = <T extends Record<string, number>>(o: T): Map<number, keyof T & string> =>
  new Map(Object.entries(o).map(([k, v]) => [v, k as keyof T & string]));

const requestNames = byValue(REQUEST_CODE);
const responseNames = byValue(RESPONSE_CODE);
const errorNames = byValue(ERROR_CODE);

/** Spec name of a request or response code, or `0xNN` when unknown. */
export function codeName(code: number): string {
  return requestNames.get(code) ?? responseNames.get(code) ?? `0x${code.toString(16).padStart(2, '0')}`;
}

export function errorCodeName(code: number): string {
  return errorNames.get(code) ?? `0x${code.toString(16).padStart(2, '0')}`;
}

export function isRequestCode(code: number): boolean {
  return (code & 0x80) !== 0;
}
