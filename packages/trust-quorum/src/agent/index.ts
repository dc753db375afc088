/** The bootstrap agent: config file, lifecycle (agent.ts), its share fetch and status view. */
export { AGENT_VERSION, Agent, type AgentEvents, type AgentInit } from './agent.js';
export {
  type AgentConfig,
  type AgentIdentityPaths,
  type AgentTimeouts,
  type DiscoveryConfig,
  formatPath,
  loadAgentConfig,
  MAX_CONFIG_BYTES,
  parseAgentConfig,
  type UnlockConfig,
} from './config.js';
export { type AgentFetchInit, agentFetchShare } from './fetch.js';
export { isSelfAddress } from './self.js';
export { type PeerError, type PeerViewInput, peerStatuses } from './status-view.js';
