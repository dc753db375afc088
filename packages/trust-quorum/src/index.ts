/** @trust-quorum/trust-quorum: rack secret, ledger, share protocol, agent and the `tq` CLI. */
export {};
