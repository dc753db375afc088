/**
 * The Agent in-process, every part real (SPDM over loopback TCP, ledgers on disk, hooks and
 * services as real processes): rack init by the coordinator library brings agents from
 * awaiting-init to unlocked; an operator stopping between prepare and commit leaves nothing;
 * single-node refuses rack init; a ledger naming another sled fails the agent; this sled
 * listed among its own peers (by another name) is recognised by its certificate; the unlock
 * hook receives exactly the rack-derived key; a failing hook fails the agent; services start.
 */
import { copyFile, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { run as runRequester } from '@trust-quorum/spdm/requester/run';
import { connectTcp } from '@trust-quorum/spdm/transport/tcp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { loadAgentConfig } from '../../src/agent/config.js';
import { readPkiMembers } from '../../src/cli/rack-pki-dir.js';
import { recover } from '../../src/cli/rack-recover.js';
import type { AgentState, AgentStatus } from '../../src/http/status.js';
import { initPki, loadIdentity, loadTrustedRoot } from '../../src/pki/index.js';
import type { ShareProtocolMessage } from '../../src/protocol/message.js';
import { LedgerBytes } from '../../src/protocol/rack-init.js';
import { MessageReader, writeMessage } from '../../src/protocol/stream.js';
import { initRack, type RackInitEvent } from '../../src/rack-init/coordinator.js';
import { RACK_INIT_MAX_MESSAGE_BYTES } from '../../src/rack-init/participant.js';
import {
  addSleds,
  type ConfigExtras,
  DONE_STATES,
  makeRackDir,
  type TestRackDir,
  writeConfig,
} from './helpers.js';

let base: TestRackDir;
const running: Agent[] = [];

beforeAll(async () => {
  base = await makeRackDir(0, 3);
});

afterAll(async () => {
  await rm(base.dir, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.stop()));
});

let rackNo = 0;
async function rackOf(n: number, extras: ConfigExtras = {}): Promise<TestRackDir> {
  rackNo += 1;
  return addSleds(base.dir, base.pkiDir, n, `r${rackNo}`, extras);
}

async function startAgent(file: string): Promise<Agent> {
  const agent = new Agent({ config: await loadAgentConfig(file) });
  running.push(agent);
  await agent.start();
  return agent;
}

function until(agent: Agent, pred: (s: AgentState) => boolean, what: string, ms = 20_000): Promise<void> {
  if (pred(agent.state)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${agent.config.sledId}: no ${what} (${agent.state}: ${agent.reason})`)),
      ms,
    );
    const on = (s: AgentState) => {
      if (!pred(s)) return;
      clearTimeout(timer);
      agent.off('state', on);
      resolve();
    };
    agent.on('state', on);
  });
}

async function untilStatus(
  agent: Agent,
  pred: (s: AgentStatus) => boolean,
  what: string,
  ms = 20_000,
): Promise<AgentStatus> {
  const end = Date.now() + ms;
  for (;;) {
    const st = agent.status();
    if (pred(st)) return st;
    if (Date.now() > end) throw new Error(`${agent.config.sledId}: no ${what} (${JSON.stringify(st.peers)})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function init(rack: TestRackDir, k: number, extra: Partial<Parameters<typeof initRack>[0]> = {}) {
  const ids = new Set(rack.sleds.map((s) => s.sledId));
  const operator = loadIdentity(join(base.pkiDir, 'operator'));
  return initRack({
    members: (await readPkiMembers(base.pkiDir)).filter((m) => ids.has(m.sledId)),
    targets: rack.sleds.map((s) => ({ sledId: s.sledId, host: '127.0.0.1', port: s.spdmPort })),
    threshold: k,
    operator: { certificates: operator.chainDer, privateKey: operator.privateKey },
    trustedRoot: loadTrustedRoot(join(base.pkiDir, 'root.pem')),
    timeoutMs: 5000,
    ...extra,
  });
}

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => null)) !== null;
}

describe('Agent with rack init', () => {
  it('goes awaiting-init -> collecting -> unlocked on rack init, reports it, and stops', async () => {
    const rack = await rackOf(3);
    const agents = await Promise.all(rack.sleds.map((s) => startAgent(s.config)));
    for (const a of agents) expect(a.state).toBe('awaiting-init');
    const seen: string[] = [];
    for (const a of agents) a.on('state', (s) => seen.push(`${a.config.sledId}:${s}`));
    const events: RackInitEvent[] = [];
    const r = await init(rack, 2, { onProgress: (e) => events.push(e) });
    expect(r.committed).toEqual(['sled-1', 'sled-2', 'sled-3']);
    expect(events.filter((e) => e.kind === 'prepared')).toHaveLength(3);
    expect(events.filter((e) => e.kind === 'committed')).toHaveLength(3);
    // Commit only after every prepare.
    const lastPrepare = events.map((e) => e.kind).lastIndexOf('prepared');
    expect(events.findIndex((e) => e.kind === 'committed')).toBeGreaterThan(lastPrepare);
    await Promise.all(agents.map((a) => until(a, (s) => s === 'unlocked', 'unlocked')));
    for (const a of agents) expect(seen).toContain(`${a.config.sledId}:collecting`);

    const st = agents[0]!.status();
    expect(st).toMatchObject({
      sledId: 'sled-1',
      state: 'unlocked',
      rackId: r.rackId,
      epoch: 1,
      reason: null,
    });
    expect(st.shares).toEqual({ held: 2, needed: 2 });
    expect(st.peers.map((p) => p.address).sort()).toEqual(
      rack.sleds
        .slice(1)
        .map((s) => `127.0.0.1:${s.spdmPort}`)
        .sort(),
    );
    expect(st.versions.spdm).toEqual(['1.1', '1.2', '1.3']);
    expect(JSON.stringify(st)).not.toMatch(/"y"|BEGIN/);
    // The ledger is on disk in both directories, generation 2 (prepare sends generation 1).
    for (const s of rack.sleds) {
      for (const d of s.ledgerDirs) {
        const file = JSON.parse(await readFile(join(d, 'ledger.json'), 'utf8'));
        expect(file).toMatchObject({ rackId: r.rackId, generation: 2 });
      }
    }
    const metrics = await agents[0]!.metrics.text();
    expect(metrics).toMatch(/tq_agent_state\{state="unlocked",sled="sled-1"\} 1/);
    expect(metrics).toMatch(/tq_shares_held\{sled="sled-1"\} 2/);

    // Re-running rack init changes nothing: a new configuration is refused everywhere.
    await expect(init(rack, 2)).rejects.toThrow(/RackMismatch.*no sled was committed/);
    expect(agents.map((a) => a.state)).toEqual(['unlocked', 'unlocked', 'unlocked']);

    await agents[0]!.stop();
    expect(agents[0]!.state).toBe('stopping');
  });

  it('commits nothing when the operator stops between prepare and commit; a second run succeeds', async () => {
    const rack = await rackOf(3);
    const agents = await Promise.all(rack.sleds.map((s) => startAgent(s.config)));
    const events: string[] = [];
    await expect(
      init(rack, 2, {
        onProgress: (e) => events.push(e.kind),
        beforeCommit: () => Promise.reject(new Error('operator killed')),
      }),
    ).rejects.toMatchObject({ code: 'Aborted' });
    expect(events.filter((e) => e === 'prepared')).toHaveLength(3);
    expect(events).not.toContain('committed');
    for (const a of agents) expect(a.state).toBe('awaiting-init');
    for (const s of rack.sleds)
      for (const d of s.ledgerDirs) expect(await exists(join(d, 'ledger.json'))).toBe(false);
    const r = await init(rack, 3);
    expect(r.committed).toHaveLength(3);
    await Promise.all(agents.map((a) => until(a, (s) => s === 'unlocked', 'unlocked')));
  });

  it('refuses a sled listed at another sled address (its certificate is checked)', async () => {
    const rack = await rackOf(2);
    await Promise.all(rack.sleds.map((s) => startAgent(s.config)));
    const [a, b] = rack.sleds;
    const swapped = {
      ...rack,
      sleds: [
        { ...a!, spdmPort: b!.spdmPort },
        { ...b!, spdmPort: a!.spdmPort },
      ],
    };
    await expect(init(swapped, 2)).rejects.toThrow(/authenticated as CN=sled-/);
  });
});

describe('Agent rack-init sessions', () => {
  async function session(identityDir: string, port: number) {
    const id = loadIdentity(identityDir);
    const conn = await connectTcp('127.0.0.1', port);
    const { channel } = await runRequester(conn, {
      identity: { certificates: id.chainDer, privateKey: id.privateKey },
      trustedRoots: [loadTrustedRoot(join(base.pkiDir, 'root.pem'))],
    });
    channel.on('error', () => {});
    const reader = new MessageReader(channel, { maxMessageBytes: RACK_INIT_MAX_MESSAGE_BYTES });
    const ask = async (m: ShareProtocolMessage) => {
      await writeMessage(channel, m, { maxMessageBytes: RACK_INIT_MAX_MESSAGE_BYTES });
      return reader.next({ timeoutMs: 5000 });
    };
    return { channel, ask, close: () => channel.destroy() };
  }

  it('only the operator may prepare: a member sled gets Unsupported from the share server', async () => {
    const rack = await rackOf(2);
    const [a] = await Promise.all(rack.sleds.map((s) => startAgent(s.config)));
    const ledger = Buffer.from('{}');
    const s = await session(join(base.pkiDir, 'sled-2'), rack.sleds[0]!.spdmPort);
    try {
      expect(await s.ask({ type: 'Prepare', ledger: new LedgerBytes(ledger) })).toEqual({
        type: 'Error',
        code: 'Unsupported',
      });
    } finally {
      s.close();
    }
    expect(a!.state).toBe('awaiting-init');
  });

  it('reads a Prepare above the 1 MiB default framing bound from the operator', async () => {
    const rack = await rackOf(2);
    await Promise.all(rack.sleds.map((s) => startAgent(s.config)));
    const s = await session(join(base.pkiDir, 'operator'), rack.sleds[0]!.spdmPort);
    try {
      const big = new LedgerBytes(new Uint8Array(2 * 1024 * 1024).fill(0x20));
      // Read whole and refused as not a ledger (a framing failure would end the session) ...
      expect(await s.ask({ type: 'Prepare', ledger: big })).toEqual({ type: 'Error', code: 'BadRequest' });
      // ... and the session goes on.
      expect(
        await s.ask({ type: 'Commit', rackId: '0123abcd-0000-4000-8000-00000000000a', epoch: 1 }),
      ).toEqual({
        type: 'Error',
        code: 'NotInitialized',
      });
    } finally {
      s.close();
    }
  });
});

describe('Agent without a usable ledger', () => {
  it('single-node: says so, refuses rack init, serves nothing', async () => {
    const rack = await rackOf(2, { awaitInit: false });
    const agents = await Promise.all(rack.sleds.map((s) => startAgent(s.config)));
    expect(agents[0]!.state).toBe('single-node');
    expect(agents[0]!.reason).toMatch(/SINGLE-NODE/);
    await expect(init(rack, 2)).rejects.toThrow(/Unsupported.*no sled was committed/);
    for (const a of agents) expect(a.state).toBe('single-node');
  });

  it('fails (and stays reachable) with a ledger that names another sled', async () => {
    const rack = await rackOf(2);
    const agents = await Promise.all(rack.sleds.map((s) => startAgent(s.config)));
    await init(rack, 2);
    await Promise.all(agents.map((a) => until(a, (s) => s === 'unlocked', 'unlocked')));
    await Promise.all(agents.map((a) => a.stop()));
    const [one, two] = rack.sleds;
    for (const d of one!.ledgerDirs)
      await copyFile(join(two!.ledgerDirs[0]!, 'ledger.json'), join(d, 'ledger.json'));
    const agent = await startAgent(one!.config);
    expect(agent.state).toBe('failed');
    expect(agent.reason).toMatch(/the share \(x=2\) is not sled-1's \(x=1\)/);
    expect(agent.status().state).toBe('failed');
  });
});

describe('Agent start and stop', () => {
  it('stop() during start() waits for it and leaves nothing listening', async () => {
    const rack = await rackOf(1);
    const [s] = rack.sleds;
    const agent = new Agent({ config: await loadAgentConfig(s!.config) });
    const started = agent.start();
    const stopped = agent.stop();
    await Promise.all([started, stopped]);
    expect(agent.state).toBe('stopping');
    for (const port of [s!.spdmPort, s!.httpPort]) {
      const probe = createServer();
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.listen(port, '127.0.0.1', resolve);
      });
      await new Promise((r) => probe.close(r));
    }
  });

  it('start() fails (and cleans up) when the identity does not chain to the trusted root', async () => {
    const rack = await rackOf(1);
    const [s] = rack.sleds;
    const config = await loadAgentConfig(s!.config);
    const other = join(base.dir, 'other-pki');
    await initPki({ outDir: other, sleds: 1, rackName: 'other' });
    const agent = new Agent({ config: { ...config, trustedRoot: join(other, 'root.pem') } });
    await expect(agent.start()).rejects.toMatchObject({
      code: 'InvalidConfig',
      message: /does not start at the trusted root/,
    });
    expect(agent.spdmAddress).toBeNull();
  });
});

describe('Agent peers', () => {
  it('recognises itself among its static peers by its certificate', async () => {
    const rack = await rackOf(3);
    const [one, two, three] = rack.sleds;
    // sled-1 also lists itself as "localhost": not its listen address, but its certificate.
    const self = `localhost:${one!.spdmPort}`;
    const others = [two!, three!].map((s) => `127.0.0.1:${s.spdmPort}`);
    await writeConfig(rack, one!, { staticPeers: [self, ...others] });
    const agents = await Promise.all(rack.sleds.map((s) => startAgent(s.config)));
    await init(rack, 3);
    await Promise.all(agents.map((a) => until(a, (s) => s === 'unlocked', 'unlocked')));
    await Promise.all(agents.map((a) => a.stop()));
    // Cold boot without sled-3: sled-1 waits at 2/3 and meanwhile tries every candidate.
    const a1 = await startAgent(one!.config);
    await startAgent(two!.config);
    const st = await untilStatus(
      a1,
      (s) => s.shares.held === 2 && !s.peers.some((p) => p.address === self),
      'self dropped',
    );
    expect(st.state).toBe('collecting');
    expect(st.peers.map((p) => p.address)).toEqual(others);
    await startAgent(three!.config);
    await until(a1, (s) => s === 'unlocked', 'unlocked');
  });
});

describe('Agent unlock and services', () => {
  it('hands the unlock hook exactly the rack-derived key of each disk, then starts services', async () => {
    const out = join(base.dir, 'hook-out');
    await mkdir(out, { recursive: true });
    const hook = ['sh', '-c', `od -An -tx1 -v | tr -d ' \\n' > "${out}/$TQ_SLED_ID-$TQ_DISK_ID.hex"`];
    const rack = await rackOf(2, {
      unlock: { hook, disks: ['d0', 'd1'] },
      services: [{ name: 'idle', command: ['sleep', '30'] }],
    });
    const agents = await Promise.all(rack.sleds.map((s) => startAgent(s.config)));
    await init(rack, 2);
    await Promise.all(
      agents.map((a) => until(a, (s) => DONE_STATES.has(s) && s === 'services-started', 'services')),
    );
    const keys = await recover(
      rack.sleds.map((s) => s.ledgerDirs[0]!),
      { diskIds: ['d0', 'd1'] },
    );
    for (const s of rack.sleds) {
      for (const k of keys.keys) {
        const got = (await readFile(join(out, `${s.sledId}-${k.diskId}.hex`), 'utf8')).trim();
        expect(got).toBe(Buffer.from(k.expose()).toString('hex'));
      }
    }
    const st = agents[0]!.status();
    expect(st.disks.map((d) => [d.diskId, d.ok, d.fingerprint])).toEqual(
      keys.keys.map((k) => [k.diskId, true, k.fingerprint()]),
    );
    expect(st.services).toMatchObject([{ name: 'idle', state: 'running' }]);
    for (const k of keys.keys) k.zero();
    await agents[0]!.stop();
    expect(agents[0]!.status().services).toMatchObject([{ name: 'idle', state: 'stopped' }]);
  });

  it('fails with the hook error, never unlocked, when a hook fails', async () => {
    const hook = ['sh', '-c', 'cat >/dev/null; echo "no such volume" >&2; exit 3'];
    const rack = await rackOf(2, { unlock: { hook, disks: ['d0'] } });
    const agents = await Promise.all(rack.sleds.map((s) => startAgent(s.config)));
    const states: string[] = [];
    agents[0]!.on('state', (s) => states.push(s));
    await init(rack, 2);
    await Promise.all(agents.map((a) => until(a, (s) => s === 'failed', 'failed')));
    expect(agents[0]!.reason).toMatch(/disk d0: unlock hook exited with code 3: no such volume/);
    expect(states).not.toContain('unlocked');
    expect(agents[0]!.status().disks).toMatchObject([{ diskId: 'd0', ok: false }]);
  });
});
