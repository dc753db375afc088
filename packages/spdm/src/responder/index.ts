/** The responder side of SPDM: ResponderCore, its handler contract, state and options. */
export { negotiateAlgorithmsHandler, selectAlgorithms } from './algorithms.js';
export { checkGetCapabilities, getCapabilitiesHandler } from './capabilities.js';
export { ResponderCore } from './core.js';
export { endSessionHandler } from './end-session.js';
export { answerFinish, finishHandler } from './finish.js';
export type {
  HandlerContext,
  HandlerResult,
  RequestHandler,
  RequestMeta,
  SessionPlacement,
} from './handler.js';
export { DEFAULT_HANDLERS } from './handlers.js';
export { heartbeatHandler } from './heartbeat.js';
export {
  DEFAULT_CT_EXPONENT,
  DEFAULT_DATA_TRANSFER_SIZE,
  DEFAULT_RESPONDER_CAPS,
  type ResponderConfig,
  type ResponderInit,
  resolveResponderInit,
} from './init.js';
export { keyExchangeHandler } from './key-exchange.js';
export { keyUpdateHandler } from './key-update.js';
export { respondIfReadyHandler } from './respond-if-ready.js';
export { type ResponderRunInit, run, type ServeInit, serve } from './run.js';
export {
  DEFAULT_MAX_SESSIONS,
  DEFAULT_SECURED_VERSIONS,
  DEFAULT_SESSION_IDLE_TIMEOUT_MS,
  type MutualAuthInit,
  type RequesterCredential,
  type ResolvedSessionOptions,
  type ResponderSession,
  type ResponderSessionInit,
  resolveSessionOptions,
  type SessionHost,
} from './session-host.js';
export {
  type OnSession,
  type ResponderSessionInfo,
  ResponderSessions,
  type ResponderSessionsInit,
} from './sessions.js';
export {
  ALL_RESPONDER_STATES,
  type CapabilityExchange,
  connectionVersion,
  type ResponderState,
  type ResponderStateKind,
} from './state.js';
export { vendorDefinedHandler } from './vendor-defined.js';
export { getVersionHandler } from './version.js';
