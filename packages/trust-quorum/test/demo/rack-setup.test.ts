/**
 * The demo rack on disk: every config it writes passes the agent's own config loader (static
 * peers = the other sleds; with discovery: no static peers, multicast pinned to 127.0.0.1),
 * and its unlock hook, run by the agent's real hook runner, gets the key, prints only its
 * fingerprint (never the key) and refuses a key that does not match TQ_KEY_FINGERPRINT.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../src/agent/config.js';
import { createDemoRack, DEMO_HOOK_SCRIPT } from '../../src/demo/rack-setup.js';
import { StorageKey } from '../../src/keys/index.js';
import { runUnlockHook } from '../../src/unlock/hook.js';

const dirs: string[] = [];

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tq-demo-setup-'));
  dirs.push(d);
  return d;
}

describe('createDemoRack', () => {
  it('writes a PKI and one valid agent config per sled, static peers by default', async () => {
    const dir = await tempDir();
    const rack = await createDemoRack({ dir, sleds: 3, alg: 'p256', discovery: false });
    expect(rack.discovery).toBeNull();
    expect(existsSync(join(rack.pkiDir, 'root.pem'))).toBe(true);
    const ports = rack.sleds.flatMap((s) => [s.spdmPort, s.httpPort]);
    expect(new Set(ports).size).toBe(6);
    for (const s of rack.sleds) {
      const c = await loadAgentConfig(s.config);
      expect(c.sledId).toBe(s.sledId);
      expect(c.awaitInit).toBe(true);
      expect(c.spdm.listen).toMatchObject({ host: '127.0.0.1', port: s.spdmPort });
      expect(c.http?.listen).toMatchObject({ host: '127.0.0.1', port: s.httpPort });
      expect(c.staticPeers.map((p) => p.port).sort()).toEqual(
        rack.sleds
          .filter((o) => o !== s)
          .map((o) => o.spdmPort)
          .sort(),
      );
      expect(c.discovery.enabled).toBe(false);
      expect(c.ledgerDirs.every((d) => d.startsWith(dir))).toBe(true);
      expect(c.unlock.disks).toEqual([s.diskId]);
      expect(c.services.map((x) => x.name)).toEqual(['demo-app']);
      expect(((await stat(s.config)).mode & 0o777).toString(8)).toBe('600');
    }
  });

  it('with discovery: no static peers, multicast on 127.0.0.1 in a 239.255.x.y group', async () => {
    const dir = await tempDir();
    const rack = await createDemoRack({ dir, sleds: 2, alg: 'p384', discovery: true });
    expect(rack.discovery?.group).toMatch(/^239\.255\.\d+\.\d+$/);
    const c = await loadAgentConfig(rack.sleds[0]!.config);
    expect(c.staticPeers).toEqual([]);
    expect(c.discovery).toMatchObject({ enabled: true, interface: '127.0.0.1', port: rack.discovery!.port });
  });
});

describe('the demo unlock hook', () => {
  it('receives the key, prints only its fingerprint, and refuses a key that does not match', async () => {
    const bytes = randomBytes(32);
    const key = new StorageKey('sled-1-data', bytes);
    const r = await runUnlockHook(
      { command: { argv: [process.execPath, '-e', DEMO_HOOK_SCRIPT, '{disk}'] }, sledId: 'sled-1' },
      key,
    );
    expect(r.error).toBeNull();
    expect(r.ok).toBe(true);
    expect(r.run.stdout.trim()).toBe(
      `disk sled-1-data: 32-byte key received, fingerprint ${key.fingerprint()}`,
    );
    expect(r.run.stdout + r.run.stderr).not.toContain(bytes.toString('hex'));

    const wrong = spawnSync(process.execPath, ['-e', DEMO_HOOK_SCRIPT, 'sled-1-data'], {
      input: randomBytes(32),
      env: { ...process.env, TQ_KEY_FINGERPRINT: key.fingerprint() },
      encoding: 'utf8',
    });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr.trim()).toBe('disk sled-1-data: the key does not match its fingerprint');
    expect(wrong.stdout).toBe('');
    key.zero();
  });
});
