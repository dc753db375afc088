/** The requester side of SPDM: VCA phases, the negotiate() driver, and the phase contract. */
export { algorithmsPhase, buildNegotiateAlgorithms, checkSelections } from './algorithms.js';
export { capabilitiesPhase } from './capabilities.js';
export { type Exchange, type RetryOptions, withRetries } from './exchange.js';
export { type Finished, finishPhase } from './finish.js';
export {
  DEFAULT_REQUESTER_CAPS,
  type RequesterConfig,
  type RequesterInit,
  resolveRequesterInit,
} from './init.js';
export {
  type KeyExchanged,
  type KeyExchangeStart,
  keyExchangePhase,
  type PrepareKeyExchangeInit,
  prepareKeyExchange,
  type RequesterCredentials,
} from './key-exchange.js';
export { type LinkSession, RequesterLink, type RequesterLinkInit } from './link.js';
export { negotiate } from './negotiate.js';
export { expectResponse, type Phase, peerError, runPhase } from './phase.js';
export {
  fitRequesterInit,
  type RequesterIdentity,
  type RequesterRunInit,
  type RequesterRunResult,
  run,
} from './run.js';
export { type KeyUpdateKind, RequesterSession, type RequesterSessionInit } from './session.js';
export { type RequesterState, type RequesterStateKind, type RequesterStateOf, START } from './state.js';
export { type PresentChainState, presentChainPhase } from './vendor-defined.js';
export { highestCommonVersion, versionPhase } from './version.js';
