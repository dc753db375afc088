import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { loadAgentConfig } from '../../src/agent/config.js';
import { readPkiMembers } from '../../src/cli/rack-pki-dir.js';
import { loopbackMulticastProblem } from '../../src/discovery/loopback-probe.js';
import { loadIdentity, loadTrustedRoot } from '../../src/pki/index.js';
import { initRack } from '../../src/rack-init/coordinator.js';
import { makeRackDir, type TestRackDir } from './helpers.js';

const r = () => 1 + Math.floor(Math.random() * 250);
const GROUP = `239.255.${r()}.${r()}`;
const PORT = 40000 + Math.floor(Math.random() * 20000);

const problem = await loopbackMulticastProblem();
const skipReason =
  problem === null ? '' : ` (skipped: IPv4 multicast on 127.0.0.1 does not work here: ${problem})`;

let rack: TestRackDir | undefined;
const running: Agent[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.stop()));
});

afterAll(async () => {
  if (rack) await rm(rack.dir, { recursive: true, force: true });
});

async function startAll(r: TestRackDir): Promise<Agent[]> {
  const agents = await Promise.all(
    r.sleds.map(async (s) => new Agent({ config: await loadAgentConfig(s.config) })),
  );
  running.push(...agents);
  await Promise.all(agents.map((a) => a.start()));
  return agents;
}

function unlocked(a: Agent, ms = 20_000): Promise<void> {
  if (a.state === 'unlocked') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${a.config.sledId}: ${a.state} ${JSON.stringify(a.status().peers)}`)),
      ms,
    );
    a.on('state', (s) => {
      if (s !== 'unlocked') return;
      clearTimeout(timer);
      resolve();
    });
  });
}

describe.skipIf(problem !== null)(`agents discover each other by multicast${skipReason}`, () => {
  it('with no static peers: rack init, then a cold boot, unlock every agent', async () => {
    rack = await makeRackDir(3, 3, {
      staticPeers: [],
      discovery: { group: GROUP, port: PORT, interface: '127.0.0.1', intervalMs: 200, expiryMs: 2000 },
    });
    const ids = rack.sleds.map((s) => s.sledId);
    let agents = await startAll(rack);
    const operator = loadIdentity(join(rack.pkiDir, 'operator'));
    const rackInit = await initRack({
      members: await readPkiMembers(rack.pkiDir),
      targets: rack.sleds.map((s) => ({ sledId: s.sledId, host: '127.0.0.1', port: s.spdmPort })),
      threshold: 3,
      operator: { certificates: operator.chainDer, privateKey: operator.privateKey },
      trustedRoot: loadTrustedRoot(join(rack.pkiDir, 'root.pem')),
    });
    await Promise.all(agents.map((a) => unlocked(a)));
    for (const a of agents) {
      const peers = a.status().peers;
      expect(peers.every((p) => p.source === 'multicast')).toBe(true);
      expect(peers.map((p) => p.sledId).sort()).toEqual(ids.filter((id) => id !== a.config.sledId));
    }
    await Promise.all(running.splice(0).map((a) => a.stop()));

    agents = await startAll(rack);
    await Promise.all(agents.map((a) => unlocked(a)));
    for (const a of agents) expect(a.status().rackId).toBe(rackInit.rackId);
  });
});
