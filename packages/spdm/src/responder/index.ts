/** The responder side of SPDM: ResponderCore, its handler contract, state and options. */
export { negotiateAlgorithmsHandler, selectAlgorithms } from './algorithms.js';
export { checkGetCapabilities, getCapabilitiesHandler } from './capabilities.js';
export { ResponderCore } from './core.js';
export type {
  HandlerContext,
  HandlerResult,
  RequestHandler,
  RequestMeta,
  SessionPlacement,
} from './handler.js';
export { DEFAULT_HANDLERS } from './handlers.js';
export {
  DEFAULT_CT_EXPONENT,
  DEFAULT_DATA_TRANSFER_SIZE,
  DEFAULT_RESPONDER_CAPS,
  type ResponderConfig,
  type ResponderInit,
  resolveResponderInit,
} from './init.js';
export { respondIfReadyHandler } from './respond-if-ready.js';
export {
  ALL_RESPONDER_STATES,
  type CapabilityExchange,
  connectionVersion,
  type ResponderState,
  type ResponderStateKind,
} from './state.js';
export { getVersionHandler } from './version.js';
