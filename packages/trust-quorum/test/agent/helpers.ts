/**
 * Helpers of the agent tests: a dev PKI (`initPki`, P-256) in a temp directory, one agent
 * config per sled (JSON, discovery off, static peers = the other sleds' SPDM addresses, small
 * retry delays), free loopback ports, and polling of `GET /status` (no fixed sleeps).
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../src/demo/rack-setup.js';
import type { AgentStatus } from '../../src/http/status.js';
import { initPki } from '../../src/pki/index.js';

export { freePorts };

export interface TestSledSpec {
  readonly sledId: string;
  readonly spdmPort: number;
  readonly httpPort: number;
  /** The config file. */
  readonly config: string;
  /** The two ledger directories. */
  readonly ledgerDirs: readonly string[];
}

export interface TestRackDir {
  readonly dir: string;
  readonly pkiDir: string;
  readonly sleds: readonly TestSledSpec[];
}

export interface ConfigExtras {
  readonly awaitInit?: boolean;
  readonly unlock?: Record<string, unknown>;
  readonly services?: readonly Record<string, unknown>[];
  readonly staticPeers?: readonly string[];
  /** Replaces `{ enabled: false }`. */
  readonly discovery?: Record<string, unknown>;
}

/** The JSON agent config of one sled of `rack` (static peers: every other sled). */
export function agentConfig(rack: TestRackDir, s: TestSledSpec, extras: ConfigExtras = {}): object {
  const others = rack.sleds.filter((o) => o.sledId !== s.sledId).map((o) => `127.0.0.1:${o.spdmPort}`);
  return {
    sledId: s.sledId,
    identityDir: join(rack.pkiDir, s.sledId),
    trustedRoot: join(rack.pkiDir, 'root.pem'),
    ledgerDirs: s.ledgerDirs,
    awaitInit: extras.awaitInit ?? true,
    staticPeers: extras.staticPeers ?? others,
    spdm: { listen: `127.0.0.1:${s.spdmPort}` },
    http: { listen: `127.0.0.1:${s.httpPort}` },
    discovery: extras.discovery ?? { enabled: false },
    // Generous deadlines (a busy 2-core machine), short retry delays (no long waits).
    timeouts: { connectMs: 5000, sessionMs: 10_000, retryBaseMs: 100, retryMaxMs: 800 },
    ...(extras.unlock ? { unlock: extras.unlock } : {}),
    ...(extras.services ? { services: extras.services } : {}),
  };
}

export async function writeConfig(
  rack: TestRackDir,
  s: TestSledSpec,
  extras: ConfigExtras = {},
): Promise<void> {
  await writeFile(s.config, `${JSON.stringify(agentConfig(rack, s, extras), null, 2)}\n`);
}

/**
 * A PKI of `pkiSleds` sleds in a fresh temp directory and `n` sled specs (sled-1..sled-n) with
 * free ports and configs written (awaiting init).
 */
export async function makeRackDir(n: number, pkiSleds = n, extras: ConfigExtras = {}): Promise<TestRackDir> {
  const dir = await mkdtemp(join(tmpdir(), 'tq-agent-'));
  const pkiDir = join(dir, 'pki');
  await initPki({ outDir: pkiDir, sleds: pkiSleds, alg: 'p256', rackName: 'agent-test' });
  return addSleds(dir, pkiDir, n, 'rack', extras);
}

/** Another set of sled specs over the same PKI (fresh ledger directories and ports). */
export async function addSleds(
  dir: string,
  pkiDir: string,
  n: number,
  name: string,
  extras: ConfigExtras = {},
): Promise<TestRackDir> {
  const ports = await freePorts(2 * n);
  const sleds: TestSledSpec[] = [];
  for (let i = 1; i <= n; i++) {
    const sledId = `sled-${i}`;
    const base = join(dir, name, sledId);
    await mkdir(base, { recursive: true });
    sleds.push({
      sledId,
      spdmPort: ports[2 * (i - 1)]!,
      httpPort: ports[2 * (i - 1) + 1]!,
      config: join(base, 'agent.json'),
      ledgerDirs: [join(base, 'ledger-a'), join(base, 'ledger-b')],
    });
  }
  const rack = { dir, pkiDir, sleds };
  for (const s of sleds) await writeConfig(rack, s, extras);
  return rack;
}

/** GET /status, or null when the agent does not answer. */
export async function getStatus(httpPort: number): Promise<AgentStatus | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${httpPort}/status`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? ((await res.json()) as AgentStatus) : null;
  } catch {
    return null;
  }
}

/**
 * Polls `GET /status` until `pred` holds; resolves with that status.
 * @throws when the deadline passes (with the last status seen) or `alive()` turns false.
 */
export async function waitForStatus(
  httpPort: number,
  pred: (s: AgentStatus) => boolean,
  what: string,
  timeoutMs = 20_000,
  alive: () => boolean = () => true,
): Promise<AgentStatus> {
  const until = Date.now() + timeoutMs;
  let last: AgentStatus | null = null;
  for (;;) {
    last = await getStatus(httpPort);
    if (last !== null && pred(last)) return last;
    if (!alive()) throw new Error(`agent on :${httpPort} exited while waiting for ${what}`);
    if (Date.now() > until) {
      const seen =
        last === null
          ? 'no answer'
          : `${last.state} ${last.shares.held}/${last.shares.needed} ${last.reason ?? ''}`;
      throw new Error(`agent on :${httpPort}: no ${what} within ${timeoutMs} ms (last: ${seen})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const DONE_STATES = new Set(['unlocked', 'services-started']);
