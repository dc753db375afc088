/**
 * The agent config file: defaults and path resolution for a minimal file, a full file in TOML
 * and the same in JSON, the shipped example, and a table of invalid files with the exact
 * message each must give (`FILE: field.path: reason`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentConfig, parseAgentConfig } from '../../src/agent/config.js';
import { isTrustQuorumError } from '../../src/errors.js';

const MIN = `
sledId = "sled-1"
identityDir = "pki/sled-1"
trustedRoot = "pki/root.pem"
ledgerDirs = ["state/a", "/var/lib/tq/b"]
`;

const FULL = `
sledId = "sled-3"
identityDir = "/etc/tq/identity"
trustedRoot = "../root.pem"
ledgerDirs = ["/var/lib/tq"]
awaitInit = true
staticPeers = ["127.0.0.1:4201", "[::1]:4202", "sled-4.rack.example:4194"]

[spdm]
listen = "0.0.0.0:0"
framing = "length16"

[discovery]
enabled = true
group = "ff02::4194"
port = 14194
intervalMs = 500
expiryMs = 2500
ttl = 2
loopback = false
interface = "eth0"

[http]
listen = "[::1]:0"

[unlock]
hook = ["./unlock-luks.sh", "/dev/sdb", "{disk}"]
disks = ["data0", "data1"]
hash = "sha3-256"
timeoutMs = 5000

[[services]]
name = "app"
command = ["bin/app", "--port", "8080"]
env = { APP_MODE = "prod" }
restart = "always"
backoff = { initialMs = 100, maxMs = 1000 }
stopGraceMs = 250

[[services]]
name = "sidecar"
command = ["sleep", "1000"]
cwd = "/tmp"

[timeouts]
connectMs = 1000
sessionMs = 2000
retryBaseMs = 100
retryMaxMs = 1000
`;

/** The error message of parsing `text` as `file`. */
function problem(text: string, file = 'config.toml'): string {
  try {
    parseAgentConfig(text, file);
  } catch (e) {
    if (!isTrustQuorumError(e, 'InvalidConfig')) throw e;
    return e.message;
  }
  throw new Error('parsed without error');
}

describe('agent config: valid files', () => {
  it('fills defaults and resolves relative paths against the file directory', () => {
    const c = parseAgentConfig(MIN, '/etc/tq/agent.toml');
    expect(c).toEqual({
      file: '/etc/tq/agent.toml',
      sledId: 'sled-1',
      identity: {
        dir: '/etc/tq/pki/sled-1',
        chain: '/etc/tq/pki/sled-1/chain.pem',
        key: '/etc/tq/pki/sled-1/key.pem',
        cert: '/etc/tq/pki/sled-1/cert.pem',
      },
      trustedRoot: '/etc/tq/pki/root.pem',
      ledgerDirs: ['/etc/tq/state/a', '/var/lib/tq/b'],
      awaitInit: false,
      spdm: { listen: { host: '127.0.0.1', port: 4194 }, framing: 'dsp0287' },
      staticPeers: [],
      discovery: {
        enabled: true,
        group: { address: '239.255.41.94', family: 4, linkLocal: false },
        port: 4194,
        intervalMs: 2000,
        expiryMs: 10_000,
        ttl: 1,
        loopback: true,
        interface: undefined,
      },
      http: { listen: { host: '127.0.0.1', port: 4195 } },
      unlock: { hook: null, disks: [], hash: 'sha256', timeoutMs: 60_000 },
      services: [],
      timeouts: { connectMs: 5000, sessionMs: 15_000, retryBaseMs: 500, retryMaxMs: 30_000 },
    });
  });

  it('reads every field of a full TOML file', () => {
    const c = parseAgentConfig(FULL, '/srv/rack/conf/agent.toml');
    expect(c.trustedRoot).toBe('/srv/rack/root.pem');
    expect(c.awaitInit).toBe(true);
    expect(c.spdm).toEqual({ listen: { host: '0.0.0.0', port: 0 }, framing: 'length16' });
    expect(c.staticPeers).toEqual([
      { host: '127.0.0.1', port: 4201 },
      { host: '::1', port: 4202 },
      { host: 'sled-4.rack.example', port: 4194 },
    ]);
    expect(c.discovery).toEqual({
      enabled: true,
      group: { address: 'ff02::4194', family: 6, linkLocal: true },
      port: 14194,
      intervalMs: 500,
      expiryMs: 2500,
      ttl: 2,
      loopback: false,
      interface: 'eth0',
    });
    expect(c.http).toEqual({ listen: { host: '::1', port: 0 } });
    expect(c.unlock).toEqual({
      hook: { argv: ['/srv/rack/conf/unlock-luks.sh', '/dev/sdb', '{disk}'] },
      disks: ['data0', 'data1'],
      hash: 'sha3-256',
      timeoutMs: 5000,
    });
    expect(c.services).toEqual([
      {
        name: 'app',
        command: ['/srv/rack/conf/bin/app', '--port', '8080'],
        env: { APP_MODE: 'prod' },
        cwd: '/srv/rack/conf',
        restart: 'always',
        backoff: { initialMs: 100, maxMs: 1000 },
        stopGraceMs: 250,
      },
      {
        name: 'sidecar',
        command: ['sleep', '1000'],
        env: {},
        cwd: '/tmp',
        restart: 'on-failure',
        backoff: { initialMs: 1000, maxMs: 30_000 },
        stopGraceMs: 5000,
      },
    ]);
    expect(c.timeouts).toEqual({ connectMs: 1000, sessionMs: 2000, retryBaseMs: 100, retryMaxMs: 1000 });
  });

  it('reads the same file as JSON, and a shell-string hook', () => {
    const json = JSON.stringify({
      sledId: 'sled-1',
      identityDir: 'id',
      trustedRoot: 'root.pem',
      ledgerDirs: ['l'],
      http: { enabled: false },
      unlock: { hook: 'cryptsetup open --key-file=- /dev/sdb "$TQ_DISK_ID"', disks: ['d'] },
    });
    const c = parseAgentConfig(json, '/x/agent.json');
    expect(c.http).toBeNull();
    expect(c.unlock.hook).toEqual({ shell: 'cryptsetup open --key-file=- /dev/sdb "$TQ_DISK_ID"' });
    expect(c.identity.dir).toBe('/x/id');
  });

  it('accepts the shipped example config', async () => {
    const url = new URL('../../examples/agent.toml', import.meta.url);
    const c = await loadAgentConfig(url.pathname);
    expect(c.sledId).toBe('sled-1');
    expect(c.unlock.disks.length).toBeGreaterThan(0);
  });
});

const BASE = MIN;

describe('agent config: invalid files', () => {
  it.each<[string, string, string]>([
    [
      'missing field',
      'sledId = "sled-1"\nidentityDir = "i"\nledgerDirs = ["l"]\n',
      'config.toml: trustedRoot: required',
    ],
    [
      'bad sled id',
      BASE.replace('sled-1', 'sled 1'),
      'config.toml: sledId: want 1-64 letters, digits, ".", "_" or "-"',
    ],
    ['unknown top-level field', `${BASE}colour = "blue"\n`, 'config.toml: colour: unknown field'],
    ['unknown nested field', `${BASE}[unlock]\ndisk = ["a"]\n`, 'config.toml: unlock.disk: unknown field'],
    [
      'wrong type',
      BASE.replace('["state/a", "/var/lib/tq/b"]', '"state"'),
      'config.toml: ledgerDirs: want a list',
    ],
    [
      'empty list',
      BASE.replace('["state/a", "/var/lib/tq/b"]', '[]'),
      'config.toml: ledgerDirs: want at least 1 entry',
    ],
    [
      'duplicate ledger dir',
      BASE.replace('"/var/lib/tq/b"', '"./state/a"'),
      'config.toml: ledgerDirs[1]: same directory listed twice',
    ],
    ['empty path', BASE.replace('"pki/root.pem"', '""'), 'config.toml: trustedRoot: must not be empty'],
    [
      'bad disk id',
      `${BASE}[unlock]\nhook = ["h"]\ndisks = ["a/b"]\n`,
      'config.toml: unlock.disks[0]: want 1-128 letters, digits, ".", "_", ":" or "-"',
    ],
    [
      'duplicate disk',
      `${BASE}[unlock]\nhook = ["h"]\ndisks = ["a", "a"]\n`,
      'config.toml: unlock.disks[1]: listed twice',
    ],
    [
      'disks without hook',
      `${BASE}[unlock]\ndisks = ["a"]\n`,
      'config.toml: unlock.hook: required when disks are listed',
    ],
    [
      'hook of the wrong type',
      `${BASE}[unlock]\nhook = 5\n`,
      'config.toml: unlock.hook: want a list of strings (argv, no shell) or one string (run by /bin/sh -c)',
    ],
    [
      'bad hash',
      `${BASE}[unlock]\nhash = "md5"\n`,
      'config.toml: unlock.hash: want one of "sha256", "sha3-256"',
    ],
    [
      'listen without port',
      `${BASE}[spdm]\nlisten = "127.0.0.1"\n`,
      'config.toml: spdm.listen: want HOST:PORT (IPv6 in brackets: [::1]:4194)',
    ],
    [
      'bare IPv6 address',
      `staticPeers = ["::1:4194"]\n${BASE}`,
      'config.toml: staticPeers[0]: put an IPv6 address in brackets: [::1]:4194',
    ],
    [
      'static peer port 0',
      `staticPeers = ["10.0.0.1:0"]\n${BASE}`,
      'config.toml: staticPeers[0]: port must be 1 to 65535',
    ],
    [
      'bad framing',
      `${BASE}[spdm]\nframing = "mctp"\n`,
      'config.toml: spdm.framing: want one of "dsp0287", "length16"',
    ],
    [
      'unicast group',
      `${BASE}[discovery]\ngroup = "10.0.0.1"\n`,
      'config.toml: discovery.group: not an IPv4 multicast address (224.0.0.0/4, e.g. 239.255.41.94)',
    ],
    [
      'link-local IPv6 group without interface',
      `${BASE}[discovery]\ngroup = "ff02::4194"\n`,
      'config.toml: discovery.interface: required for a link-local IPv6 group (ff02::/16), e.g. "eth0"',
    ],
    [
      'expiry not above interval',
      `${BASE}[discovery]\nintervalMs = 1000\nexpiryMs = 1000\n`,
      'config.toml: discovery.expiryMs: must be more than intervalMs',
    ],
    [
      'interval too small',
      `${BASE}[discovery]\nintervalMs = 10\n`,
      'config.toml: discovery.intervalMs: must be at least 100',
    ],
    [
      'fractional ms',
      `${BASE}[timeouts]\nconnectMs = 1.5\n`,
      'config.toml: timeouts.connectMs: want an integer',
    ],
    [
      'retry base above max',
      `${BASE}[timeouts]\nretryBaseMs = 5000\nretryMaxMs = 100\n`,
      'config.toml: timeouts.retryBaseMs: must not exceed retryMaxMs',
    ],
    [
      'service with empty command',
      `${BASE}[[services]]\nname = "a"\ncommand = []\n`,
      'config.toml: services[0].command: want at least 1 entry',
    ],
    [
      'service restart policy',
      `${BASE}[[services]]\nname = "a"\ncommand = ["x"]\nrestart = "sometimes"\n`,
      'config.toml: services[0].restart: want one of "always", "on-failure", "never"',
    ],
    [
      'duplicate service name',
      `${BASE}[[services]]\nname = "a"\ncommand = ["x"]\n[[services]]\nname = "a"\ncommand = ["y"]\n`,
      'config.toml: services[1].name: name used twice',
    ],
    [
      'service env name',
      `${BASE}[[services]]\nname = "a"\ncommand = ["x"]\nenv = { "1X" = "v" }\n`,
      'config.toml: services[0].env.1X: not an environment variable name',
    ],
    [
      'backoff initial above max',
      `${BASE}[[services]]\nname = "a"\ncommand = ["x"]\nbackoff = { initialMs = 500, maxMs = 100 }\n`,
      'config.toml: services[0].backoff.initialMs: must not exceed maxMs',
    ],
    [
      'not TOML',
      'sledId = \n',
      'config.toml: line 1, column 10: not valid TOML (Invalid TOML document: invalid value)',
    ],
  ])('%s', (_what, text, message) => {
    expect(problem(text)).toBe(message);
  });

  it('wants a table at the root of a JSON file', () => {
    expect(problem('[]', 'config.json')).toBe('config.json: (root): want a table');
  });

  it('lists several problems, one line each, and caps the list', () => {
    const text = `sledId = 1\nidentityDir = 2\ntrustedRoot = 3\nledgerDirs = 4\nawaitInit = 5\n`;
    expect(problem(text).split('\n')).toEqual([
      'config.toml: sledId: want a string',
      'config.toml: identityDir: want a string',
      'config.toml: trustedRoot: want a string',
      'config.toml: ledgerDirs: want a list',
      'config.toml: awaitInit: want true or false',
    ]);
    const many = Array.from({ length: 15 }, (_, i) => `x${i} = 1`).join('\n');
    const lines = problem(`${BASE}${many}\n`).split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[10]).toBe('config.toml: (5 more problems)');
  });

  it('never quotes a value in its messages', () => {
    const secretish = 'Z9-very-distinctive-value';
    const msg = problem(
      BASE.replace('"pki/root.pem"', `["${secretish}"]`).replace('sled-1', `${secretish} x`),
    );
    expect(msg).not.toContain(secretish);
  });

  it('names the format problem for JSON and for unknown extensions', () => {
    expect(problem('{"sledId": ', 'a.json')).toMatch(/^a\.json: not valid JSON \(/);
    expect(problem(MIN, 'agent.yaml')).toBe(
      'agent.yaml: unknown config format ".yaml" (want .toml or .json)',
    );
  });
});

describe('loadAgentConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tq-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file and resolves paths against its directory', async () => {
    const file = join(dir, 'agent.toml');
    await writeFile(file, MIN);
    const c = await loadAgentConfig(file);
    expect(c.file).toBe(file);
    expect(c.ledgerDirs[0]).toBe(join(dir, 'state/a'));
  });

  it('names the file when it cannot be read or is too large', async () => {
    const missing = join(dir, 'nope.toml');
    await expect(loadAgentConfig(missing)).rejects.toThrow(`${missing}: cannot read (ENOENT)`);
    const big = join(dir, 'big.toml');
    await writeFile(big, `# ${'x'.repeat(1024 * 1024)}\n`);
    await expect(loadAgentConfig(big)).rejects.toThrow(`${big}: larger than 1048576 bytes`);
    await expect(loadAgentConfig(dir)).rejects.toThrow(`${dir}: not a regular file`);
  });

  it('prefixes validation errors with the path as given', async () => {
    const file = join(dir, 'bad.toml');
    await writeFile(file, `${MIN}[unlock]\nhook = ["h"]\ndisks = ["a b"]\n`);
    await expect(loadAgentConfig(file)).rejects.toThrow(`${file}: unlock.disks[0]: want 1-128 letters`);
  });
});
