/**
 * @trust-quorum/trust-quorum: the rack trust quorum on SPDM sessions: rack secret with
 * verifiable shares, durable ledger, share protocol, share server and collector, rack
 * initialization, storage keys, the bootstrap agent and its pieces, and the development PKI.
 * Each area is a namespace here and a subpath (`@trust-quorum/trust-quorum/agent/index`).
 */
export * as agent from './agent/index.js';
export * as collector from './collector/index.js';
export * as discovery from './discovery/index.js';
export { isTrustQuorumError, TrustQuorumError } from './errors.js';
export * as http from './http/index.js';
export * as keys from './keys/index.js';
export * as ledger from './ledger/index.js';
export * as luks from './luks/index.js';
export * as pki from './pki/index.js';
export * as protocol from './protocol/index.js';
export * as rackInit from './rack-init/index.js';
export * as rackSecret from './rack-secret/index.js';
export * as server from './server/index.js';
export * as services from './services/index.js';
export * as unlock from './unlock/index.js';
