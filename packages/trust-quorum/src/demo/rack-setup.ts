/**
 * The demo rack on disk: a development PKI (`initPki`) and one agent config per sled in a
 * temporary directory, every agent on 127.0.0.1 with its own free SPDM and HTTP ports.
 *
 * Each sled gets one disk (`sled-N-data`) whose key goes to a harmless unlock hook: a node
 * one-liner that reads the 32-byte key on stdin, checks it against TQ_KEY_FINGERPRINT, zeroes
 * it and prints only the fingerprint. Its one service is a shell loop that sleeps until its
 * agent is gone (so it cannot outlive the agent even if the agent is killed). Peers are static
 * (every other sled) unless discovery is asked for: then multicast on 127.0.0.1 in a random
 * 239.255.x.y group and port, and no static peers.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { initPki, type PkiAlg } from '../pki/index.js';

export interface DemoRackInit {
  /** An empty directory of ours (the demo's temp dir). */
  readonly dir: string;
  readonly sleds: number;
  readonly alg: PkiAlg;
  /** Multicast discovery on 127.0.0.1 instead of static peers. */
  readonly discovery: boolean;
}

export interface DemoSled {
  readonly sledId: string;
  readonly spdmPort: number;
  readonly httpPort: number;
  /** Its directory (config, ledger). */
  readonly dir: string;
  readonly config: string;
  readonly diskId: string;
}

export interface DemoRack {
  readonly dir: string;
  readonly pkiDir: string;
  readonly sleds: readonly DemoSled[];
  /** The multicast group and port when discovery is on. */
  readonly discovery: { readonly group: string; readonly port: number } | null;
}

/** The unlock hook: key on stdin, only its fingerprint (the agent's formula) on stdout. */
export const DEMO_HOOK_SCRIPT = [
  "const { createHash } = require('node:crypto');",
  'const chunks = [];',
  "process.stdin.on('data', (c) => chunks.push(c)).on('end', () => {",
  '  const key = Buffer.concat(chunks);',
  "  const fp = createHash('sha256').update('tq-storage-key-fingerprint-v1').update(key).digest('hex').slice(0, 16);",
  '  const n = key.length;',
  '  key.fill(0);',
  '  for (const c of chunks) c.fill(0);',
  '  if (n !== 32 || fp !== process.env.TQ_KEY_FINGERPRINT) {',
  "    console.error('disk ' + process.argv[1] + ': the key does not match its fingerprint');",
  '    process.exit(1);',
  '  }',
  "  console.log('disk ' + process.argv[1] + ': 32-byte key received, fingerprint ' + fp);",
  '});',
].join('\n');

/**
 * The demo service: sleeps until its parent (the agent) is gone or the sled's directory ($1)
 * is removed. The second test matters when the agent is killed together with the demo: where
 * PID 1 does not reap orphans (containers), the dead agent stays a zombie that `kill -0` still
 * finds, and only the watchdog's removal of the temp dir tells the loop to end.
 */
export const DEMO_SERVICE_SCRIPT = 'while kill -0 "$PPID" 2>/dev/null && [ -d "$1" ]; do sleep 1; done';

/** Ports are picked below Linux's ephemeral range (32768-60999), which port-0 binds draw from. */
const PORT_MIN = 20_000;
const PORT_MAX = 32_767;

function tryListen(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(null));
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

/**
 * `n` distinct free ports on 127.0.0.1 (all bound at once, then released), picked at random
 * below the ephemeral range: other processes binding port 0 (or the kernel picking a source
 * port for an outgoing connection) cannot be handed them between our release and an agent's
 * bind, nor between an agent's stop and its restart.
 * @throws Error when no free ports are found after many tries.
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  const ports: number[] = [];
  try {
    for (let tries = 0; ports.length < n; tries++) {
      if (tries > 100 * n + 100) throw new Error('no free ports');
      const port = PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN + 1));
      if (ports.includes(port)) continue;
      const s = await tryListen(port);
      if (s === null) continue;
      servers.push(s);
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

function randomGroup(): { group: string; port: number } {
  const octet = () => 1 + Math.floor(Math.random() * 250);
  return { group: `239.255.${octet()}.${octet()}`, port: 40_000 + Math.floor(Math.random() * 20_000) };
}

/** The JSON config of one sled (every field is documented in the README's "Configuration"). */
export function demoAgentConfig(rack: DemoRack, s: DemoSled): object {
  const others = rack.sleds.filter((o) => o !== s).map((o) => `127.0.0.1:${o.spdmPort}`);
  return {
    sledId: s.sledId,
    identityDir: join(rack.pkiDir, s.sledId),
    trustedRoot: join(rack.pkiDir, 'root.pem'),
    ledgerDirs: [join(s.dir, 'ledger-a'), join(s.dir, 'ledger-b')],
    awaitInit: true,
    spdm: { listen: `127.0.0.1:${s.spdmPort}` },
    http: { listen: `127.0.0.1:${s.httpPort}` },
    staticPeers: rack.discovery === null ? others : [],
    discovery:
      rack.discovery === null
        ? { enabled: false }
        : { ...rack.discovery, interface: '127.0.0.1', intervalMs: 250, expiryMs: 2000 },
    unlock: {
      hook: [process.execPath, '-e', DEMO_HOOK_SCRIPT, '{disk}'],
      disks: [s.diskId],
      timeoutMs: 20_000,
    },
    services: [
      {
        name: 'demo-app',
        // $0 names the sled's directory, so a leftover process would be easy to find; $1 is
        // the directory whose removal ends the loop.
        command: ['/bin/sh', '-c', DEMO_SERVICE_SCRIPT, join(s.dir, 'demo-app'), s.dir],
        restart: 'on-failure',
        stopGraceMs: 1000,
      },
    ],
    timeouts: { connectMs: 2000, sessionMs: 5000, retryBaseMs: 100, retryMaxMs: 500 },
  };
}

/**
 * Writes the PKI and the configs of `init.sleds` sleds (sled-1..sled-N) under `init.dir`.
 * @throws whatever initPki or the file system throws (the caller removes the directory).
 */
export async function createDemoRack(init: DemoRackInit): Promise<DemoRack> {
  const pkiDir = join(init.dir, 'pki');
  await initPki({ outDir: pkiDir, sleds: init.sleds, alg: init.alg, rackName: 'demo' });
  const ports = await freePorts(2 * init.sleds);
  const sleds: DemoSled[] = [];
  for (let i = 1; i <= init.sleds; i++) {
    const sledId = `sled-${i}`;
    const dir = join(init.dir, sledId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    sleds.push({
      sledId,
      spdmPort: ports[2 * (i - 1)]!,
      httpPort: ports[2 * (i - 1) + 1]!,
      dir,
      config: join(dir, 'agent.json'),
      diskId: `${sledId}-data`,
    });
  }
  const rack: DemoRack = { dir: init.dir, pkiDir, sleds, discovery: init.discovery ? randomGroup() : null };
  for (const s of sleds) {
    await writeFile(s.config, `${JSON.stringify(demoAgentConfig(rack, s), null, 2)}\n`, { mode: 0o600 });
  }
  return rack;
}
