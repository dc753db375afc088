/**
 * Secure sessions (DSP0277): the record layer (record.ts), one session's keys and their switch
 * points (SecuredSession), the application-data encoding (app-data.ts), the SecureChannel duplex
 * and the peer identity it exposes. Import from `@trust-quorum/spdm/session/index`.
 */
export {
  APP_KIND,
  APP_VENDOR_PEN,
  type AppMessage,
  appHeaderSize,
  decodeAppMessage,
  encodeAppMessage,
  MCTP_VENDOR_DEFINED_IANA,
  maxAppPayload,
  recordOverhead,
} from './app-data.js';
export { oneLineSubject, type PeerIdentity, peerIdentityOf } from './peer.js';
export {
  MAX_SEQUENCE_NUMBER,
  MCTP_RECORD_PARAMS,
  openRecord,
  RecordDirection,
  type RecordDirectionInit,
  type RecordParams,
  recordNonce,
  recordSessionId,
  sealRecord,
  TCP_RECORD_PARAMS,
} from './record.js';
export {
  type ChannelControl,
  type ChannelPort,
  SecureChannel,
  type SecureChannelInit,
} from './secure-channel.js';
export {
  type OpenedRecord,
  SecuredSession,
  type SecuredSessionInit,
  type SessionPhase,
  type SessionRole,
} from './secured-session.js';
