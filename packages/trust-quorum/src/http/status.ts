/**
 * What `GET /status` returns: the agent's state and everything an operator needs to see why
 * it is (not) unlocked. The agent builds it; the HTTP server only serializes it. It carries
 * no secret: shares are counted, keys are named by disk and fingerprint.
 */
import type { ServiceStatus } from '../services/supervisor.js';

/**
 * The agent's lifecycle. `single-node`: no ledger, nothing to unlock; `awaiting-init`: no
 * ledger yet, rack init expected; `collecting`: gathering shares; `unlocked`: keys derived and
 * handed to the unlock hook; `services-started`; `failed`: permanent error (see `reason`).
 */
export const AGENT_STATES = [
  'starting',
  'single-node',
  'awaiting-init',
  'collecting',
  'unlocked',
  'services-started',
  'failed',
  'stopping',
] as const;
export type AgentState = (typeof AGENT_STATES)[number];

export interface PeerStatus {
  /** Announced or authenticated sled id; null for a static address not yet reached. */
  readonly sledId: string | null;
  /** `host:port` of its SPDM responder. */
  readonly address: string;
  readonly source: 'static' | 'multicast' | 'both';
  /** Its share is among those we hold. */
  readonly shareReceived: boolean;
  /** Last failure talking to it: reason is an error code (e.g. `Unreachable`, `NotAMember`). */
  readonly lastError: { readonly reason: string; readonly message: string; readonly at: string } | null;
  /** ISO time of its last announcement, if discovered. */
  readonly lastSeen: string | null;
}

export interface DiskStatus {
  readonly diskId: string;
  /** Storage-key fingerprint (safe to show). */
  readonly fingerprint: string;
  readonly ok: boolean;
  readonly error: string | null;
}

export interface AgentStatus {
  readonly sledId: string;
  readonly state: AgentState;
  /** ISO time the state was entered. */
  readonly since: string;
  /** Why `failed`, or a note for other states (e.g. single-node); null otherwise. */
  readonly reason: string | null;
  readonly rackId: string | null;
  readonly epoch: number | null;
  /** Shares held (ours included) and the threshold; needed is null without a ledger. */
  readonly shares: { readonly held: number; readonly needed: number | null };
  readonly peers: readonly PeerStatus[];
  readonly disks: readonly DiskStatus[];
  readonly services: readonly ServiceStatus[];
  readonly versions: {
    readonly agent: string;
    readonly node: string;
    /** SPDM versions we speak, e.g. ["1.1", "1.2", "1.3"]. */
    readonly spdm: readonly string[];
    readonly ledgerFormat: number;
  };
  readonly uptimeSeconds: number;
}
