/**
 * The share protocol: versioned binary messages (GetShare, Share, Error, and the rack-init
 * Prepare/PrepareAck/Commit/CommitAck), their u32-length framing inside an SPDM
 * SecureChannel's byte stream, and stream helpers.
 */
export {
  ERROR_CODE,
  type ErrorCodeName,
  type ErrorCodeValue,
  errorCodeName,
  errorCodeToTrustQuorum,
  MESSAGE_TYPE,
  type MessageTypeCode,
  messageTypeName,
  PROTOCOL_VERSION,
} from './codes.js';
export type { ErrorResponse } from './error.js';
export { RACK_ID_BYTES, type RackEpoch } from './fields.js';
export {
  checkMaxMessageBytes,
  DEFAULT_MAX_MESSAGE_BYTES,
  FRAME_HEADER_BYTES,
  frameBytes,
  MAX_MESSAGE_BYTES_LIMIT,
  MessageDeframer,
  type MessageDeframerInit,
} from './framing.js';
export type { GetShare, ShareResponse } from './get-share.js';
export {
  type DecodeMessageInit,
  decodeMessage,
  describeMessage,
  encodeMessage,
  holdsSecret,
  MESSAGE_HEADER_BYTES,
  type MessageKind,
  type ShareProtocolMessage,
  zeroMessage,
} from './message.js';
export { type Commit, type CommitAck, LedgerBytes, type Prepare, type PrepareAck } from './rack-init.js';
export {
  MessageReader,
  type MessageReaderInit,
  type NextMessageOptions,
  type WriteMessageInit,
  writeMessage,
} from './stream.js';
