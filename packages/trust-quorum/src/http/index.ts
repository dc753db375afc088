/** The agent's status endpoint: JSON status, Prometheus metrics, health, a dashboard page. */
export { DASHBOARD_CSP, DASHBOARD_HTML } from './dashboard.js';
export { AgentMetrics, type AgentMetricsInit, type ServedOutcome } from './metrics.js';
export { MAX_HEADER_BYTES, MAX_URL_CHARS, StatusServer, type StatusServerInit } from './server.js';
export {
  AGENT_STATES,
  type AgentState,
  type AgentStatus,
  type DiskStatus,
  type PeerStatus,
} from './status.js';
