/** The requester side of SPDM: VCA phases, the negotiate() driver, and the phase contract. */
export { algorithmsPhase, buildNegotiateAlgorithms, checkSelections } from './algorithms.js';
export { capabilitiesPhase } from './capabilities.js';
export { type Exchange, type RetryOptions, withRetries } from './exchange.js';
export {
  DEFAULT_REQUESTER_CAPS,
  type RequesterConfig,
  type RequesterInit,
  resolveRequesterInit,
} from './init.js';
export { negotiate } from './negotiate.js';
export { expectResponse, type Phase, peerError, runPhase } from './phase.js';
export { type RequesterState, type RequesterStateKind, type RequesterStateOf, START } from './state.js';
export { highestCommonVersion, versionPhase } from './version.js';
