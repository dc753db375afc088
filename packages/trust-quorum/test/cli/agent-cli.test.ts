/**
 * `tq agent`, `tq status` and `tq rack init` in-process (through `main()` or their run
 * functions): the `started` line and a clean stop, one-line failures with exit 1 (bad config,
 * address in use, unreachable agents, a sled missing from the PKI, nobody listening), usage
 * errors with exit 2, and the status table's layout.
 */

import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgent } from '../../src/cli/agent.js';
import { formatStatusTable, type StatusRow } from '../../src/cli/status.js';
import type { AgentStatus } from '../../src/http/status.js';
import { freePorts, makeRackDir, type TestRackDir } from '../agent/helpers.js';
import { tqInProcess as tq } from '../helpers/cli.js';

let rack: TestRackDir;

beforeAll(async () => {
  rack = await makeRackDir(2);
});

afterAll(async () => {
  await rm(rack.dir, { recursive: true, force: true });
});

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

describe('tq agent', () => {
  it('prints one started line with the bound addresses and stops cleanly on its signal', async () => {
    const stop = new AbortController();
    let line = '';
    const [s] = rack.sleds;
    const run = runAgent(
      { config: s!.config, logLevel: 'silent' },
      {
        signal: stop.signal,
        log: silent,
        out: (t) => {
          line += t;
        },
        onStarted: (agent) => {
          expect(agent.state).toBe('awaiting-init');
          stop.abort();
        },
      },
    );
    await run;
    expect(line).toBe(
      `agent sled-1 started: spdm 127.0.0.1:${s!.spdmPort} http 127.0.0.1:${s!.httpPort} state awaiting-init\n`,
    );
  });

  it('fails with one line and exit 1 for a missing config, and for an address in use', async () => {
    const missing = await tq('agent', '--config', join(rack.dir, 'nope.toml'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^tq: .*nope\.toml: cannot read \(ENOENT\)\n$/);
    expect(missing.out).toBe('');

    const [s] = rack.sleds;
    const squatter: Server = createServer();
    await new Promise<void>((r) => squatter.listen(s!.spdmPort, '127.0.0.1', r));
    try {
      const busy = await tq('agent', '--config', s!.config, '--log-level', 'silent');
      expect(busy.code).toBe(1);
      expect(busy.err).toMatch(/^tq: agent sled-1: cannot start: .*EADDRINUSE.*\n$/);
      expect(busy.err.split('\n')).toHaveLength(2);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });

  it('is a usage error without --config', async () => {
    expect((await tq('agent')).code).toBe(2);
  });
});

describe('tq status', () => {
  it('reports an agent that does not answer, in the table and in JSON, with exit 1', async () => {
    const [port] = await freePorts(1);
    const table = await tq('status', '--sled', `127.0.0.1:${port}`);
    expect(table.code).toBe(1);
    expect(table.out).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}\\s+-\\s+unreachable\\s+.*ECONNREFUSED`));
    const json = await tq('status', '--json', '--sled', `127.0.0.1:${port}`);
    expect(JSON.parse(json.out)).toEqual([{ address: `127.0.0.1:${port}`, error: 'ECONNREFUSED' }]);
    expect((await tq('status', '--sled', 'nonsense')).code).toBe(2);
  });

  it('formats one row per agent and one line per reason', () => {
    const status = {
      sledId: 'sled-9',
      state: 'failed',
      since: '2026-01-01T00:00:00.000Z',
      reason: 'unlock failed for disk d0: unlock hook exited with code 2',
      rackId: '0123abcd-0000-4000-8000-00000000000a',
      epoch: 3,
      shares: { held: 3, needed: 3 },
      peers: [
        {
          sledId: 'sled-1',
          address: '10.0.0.1:4194',
          source: 'static',
          shareReceived: true,
          lastError: null,
          lastSeen: null,
        },
        {
          sledId: null,
          address: '10.0.0.2:4194',
          source: 'static',
          shareReceived: false,
          lastError: { reason: 'Transport', message: 'refused', at: '2026-01-01T00:00:00.000Z' },
          lastSeen: null,
        },
      ],
      disks: [],
      services: [],
      versions: { agent: '0.1.0', node: '20', spdm: ['1.3'], ledgerFormat: 1 },
      uptimeSeconds: 1,
    } satisfies AgentStatus;
    const rows: StatusRow[] = [
      { address: '127.0.0.1:4195', status },
      { address: '127.0.0.1:4196', error: 'ECONNREFUSED' },
    ];
    expect(formatStatusTable(rows)).toBe(
      [
        'ADDRESS         SLED    STATE        SHARES  EPOCH  RACK      AGENT  PEERS',
        '127.0.0.1:4195  sled-9  failed       3/3     3      0123abcd  0.1.0  sled-1 share, 10.0.0.2:4194 Transport',
        '127.0.0.1:4196  -       unreachable  -       -      -         -      ECONNREFUSED',
        'sled-9: failed: unlock failed for disk d0: unlock hook exited with code 2',
        '',
      ].join('\n'),
    );
  });
});

describe('tq rack init', () => {
  const sled = (id: string, port: number) => ['--sled', `${id}=127.0.0.1:${port}`];

  it('usage errors exit 2', async () => {
    const base = ['rack', 'init', '--pki', rack.pkiDir, '--threshold', '2'];
    expect((await tq(...base, '--sled', 'sled-1')).code).toBe(2);
    expect((await tq(...base, '--sled', 'sled-1=127.0.0.1:x')).code).toBe(2);
    expect((await tq(...base, ...sled('sled-1', 1))).code).toBe(2);
    const k3 = await tq(
      'rack',
      'init',
      '--pki',
      rack.pkiDir,
      '--threshold',
      '3',
      ...sled('sled-1', 1),
      ...sled('sled-2', 2),
    );
    expect(k3.code).toBe(2);
    expect(k3.err).toMatch(/threshold 3 impossible with 2 sleds/);
  });

  it('fails with one line for a sled outside the PKI, and when no agent listens', async () => {
    const base = ['rack', 'init', '--pki', rack.pkiDir, '--threshold', '2', '--timeout', '2000'];
    const outside = await tq(...base, ...sled('sled-1', 1), ...sled('sled-7', 2));
    expect(outside.code).toBe(1);
    expect(outside.err).toMatch(/^tq: --sled sled-7: no .*sled-7 in the PKI\n$/);
    const ports = await freePorts(2);
    const nobody = await tq(...base, ...sled('sled-1', ports[0]!), ...sled('sled-2', ports[1]!));
    expect(nobody.code).toBe(1);
    expect(nobody.out).toMatch(
      /^rack [0-9a-f-]{36}: epoch 1, threshold 2 of 2, secret fingerprint [0-9a-f]{16}\n/,
    );
    expect(nobody.out).toMatch(
      new RegExp(`sled-1 127\\.0\\.0\\.1:${ports[0]}: FAILED at connect \\(Unreachable\\): .*ECONNREFUSED`),
    );
    expect(nobody.err).toMatch(
      /^tq: rack init failed: prepare failed on 2 sled\(s\): .*; no sled was committed\n$/,
    );
  });
});
