/**
 * Rack initialization over SPDM: the operator's two-phase commit (coordinator.ts), the sled's
 * side (participant.ts), how a sled recognises the operator (operator.ts) and the rules a sled
 * applies to a ledger about itself (ledger-rules.ts).
 */
export {
  type InitRackInit,
  type InitRackResult,
  initRack,
  type RackInitEvent,
  type RackInitStep,
  type RackInitTarget,
} from './coordinator.js';
export { ledgerSelfProblem, sameConfiguration } from './ledger-rules.js';
export { isOperatorCertificate, OPERATOR_CN, operatorCertificateProblem } from './operator.js';
export {
  RACK_INIT_MAX_MESSAGE_BYTES,
  type RackInitHost,
  type RackInitOutcome,
  RackInitParticipant,
  type RackInitParticipantInit,
  type RackInitSession,
} from './participant.js';
