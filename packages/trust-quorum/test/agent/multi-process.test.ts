/**
 * Acceptance of the agent and rack init as real processes over loopback: every agent is
 * `node bin/tq.js agent --config FILE` with its own config (discovery off, static peers = the
 * other agents' SPDM addresses), `tq rack init` and `tq status` are processes too, and every
 * wait polls `GET /status` (or the process's output) up to a deadline, never a fixed sleep.
 *
 * The tests of the 5-sled rack run in order on one rack (each agent start costs a process):
 * (a) 5 agents awaiting init, `tq rack init --threshold 3` unlocks them all; SIGTERM/SIGINT
 *     exit 0; all 5 restarted at once (a cold boot) unlock again;
 * (b) a sled restarted while only one peer is up waits in `collecting` at 2/3 and unlocks as
 *     soon as another peer returns;
 * (d) real LUKS2 (skipped without /usr/sbin/cryptsetup): one image per sled formatted with
 *     the key the rack derives for its disk, the rack restarted with examples/unlock-luks.sh as
 *     the hook (TQ_LUKS_TEST_ONLY=1: `cryptsetup open --test-passphrase`), every sled unlocks,
 *     except the one whose image was formatted with another key: it reports `failed` with the
 *     hook's error and never `unlocked`.
 * (c) on 3 fresh agents: `tq rack init` killed between prepare and commit leaves every sled
 *     awaiting init with no ledger file; a second run succeeds.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recover } from '../../src/cli/rack-recover.js';
import type { AgentStatus } from '../../src/http/status.js';
import { createImage, luksFormat } from '../../src/luks/index.js';
import {
  addSleds,
  DONE_STATES,
  makeRackDir,
  type TestRackDir,
  type TestSledSpec,
  waitForStatus,
  writeConfig,
} from './helpers.js';

const BIN = fileURLToPath(new URL('../../bin/tq.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const HOOK = fileURLToPath(new URL('../../examples/unlock-luks.sh', import.meta.url));
const CRYPTSETUP = '/usr/sbin/cryptsetup';
const HAVE_CRYPTSETUP = existsSync(CRYPTSETUP);

const ENV = {
  ...process.env,
  PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin`,
  TQ_LUKS_TEST_ONLY: '1',
};

interface Proc {
  readonly child: ChildProcess;
  out: string;
  err: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
}

const procs: Proc[] = [];

function tqChild(args: string[], stdin: 'ignore' | 'pipe' = 'ignore'): Proc {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: ENV,
    stdio: [stdin, 'pipe', 'pipe'],
  });
  let done = false;
  const p: Proc = {
    child,
    out: '',
    err: '',
    exited: new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        done = true;
        resolve({ code, signal });
      }),
    ),
    alive: () => !done,
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    p.out += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    p.err += d;
  });
  procs.push(p);
  return p;
}

async function tq(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const p = tqChild(args);
  const { code } = await p.exited;
  return { code, out: p.out, err: p.err };
}

/** Polls `f` until it returns true. */
async function until(f: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`no ${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Running agents by sled id, per rack. */
class Agents {
  readonly running = new Map<string, Proc>();
  constructor(readonly rack: TestRackDir) {}

  sled(id: string): TestSledSpec {
    return this.rack.sleds.find((s) => s.sledId === id)!;
  }

  start(ids: readonly string[] = this.rack.sleds.map((s) => s.sledId)): Proc[] {
    return ids.map((id) => {
      const p = tqChild([
        'agent',
        '--config',
        this.sled(id).config,
        '--log-level',
        process.env.TQ_TEST_LOG ?? 'info',
      ]);
      this.running.set(id, p);
      return p;
    });
  }

  /** Waits until `pred` holds for each of `ids`. */
  wait(
    ids: readonly string[],
    pred: (s: AgentStatus) => boolean,
    what: string,
    ms = 30_000,
  ): Promise<AgentStatus[]> {
    return Promise.all(
      ids.map((id) => {
        const p = this.running.get(id)!;
        return waitForStatus(this.sled(id).httpPort, pred, `${id} ${what}`, ms, p.alive).catch(async (e) => {
          const exit = p.alive() ? 'running' : `exited ${JSON.stringify(await p.exited)}`;
          const tail = p.err
            .split('\n')
            .filter((l) => !l.includes('"spdm request"'))
            .slice(-15)
            .join('\n');
          throw new Error(`${(e as Error).message}; ${exit}; stderr ends:\n${tail}`);
        });
      }),
    );
  }

  /** Stops `ids` by signal; resolves with their exit codes. */
  async stop(ids: readonly string[] = [...this.running.keys()], signal: NodeJS.Signals = 'SIGTERM') {
    const ps = ids.map((id) => [id, this.running.get(id)!] as const);
    for (const [, p] of ps) p.child.kill(signal);
    const codes = await Promise.all(ps.map(([, p]) => p.exited.then((e) => e.code)));
    for (const [id] of ps) this.running.delete(id);
    return codes;
  }
}

const ALL = ['sled-1', 'sled-2', 'sled-3', 'sled-4', 'sled-5'];
const done = (s: AgentStatus) => DONE_STATES.has(s.state);

let rack: TestRackDir;
let agents: Agents;

beforeAll(async () => {
  rack = await makeRackDir(5);
  agents = new Agents(rack);
});

afterAll(async () => {
  for (const p of procs) if (p.alive()) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  await rm(rack.dir, { recursive: true, force: true });
});

function rackInitArgs(r: TestRackDir, k: number): string[] {
  return [
    'rack',
    'init',
    '--pki',
    r.pkiDir,
    '--threshold',
    String(k),
    '--timeout',
    '5000',
    ...r.sleds.flatMap((s) => ['--sled', `${s.sledId}=127.0.0.1:${s.spdmPort}`]),
  ];
}

describe('a 5-sled rack of agent processes', () => {
  it('(a) rack init unlocks 5 agents; SIGTERM/SIGINT exit 0; a simultaneous restart unlocks all 5', async () => {
    agents.start();
    await agents.wait(ALL, (s) => s.state === 'awaiting-init', 'awaiting-init');
    for (const id of ALL) {
      expect(agents.running.get(id)!.out).toMatch(
        new RegExp(
          `^agent ${id} started: spdm 127\\.0\\.0\\.1:\\d+ http 127\\.0\\.0\\.1:\\d+ state awaiting-init\\n$`,
        ),
      );
    }

    const init = await tq(...rackInitArgs(rack, 3));
    expect(init.err).toBe('');
    expect(init.code).toBe(0);
    const lines = init.out.trim().split('\n');
    expect(lines[0]).toMatch(
      /^rack [0-9a-f-]{36}: epoch 1, threshold 3 of 5, secret fingerprint [0-9a-f]{16}$/,
    );
    for (const id of ALL) {
      const at = (step: string) => lines.findIndex((l) => l.startsWith(`${id} `) && l.endsWith(step));
      expect(at('prepared')).toBeGreaterThan(0);
      expect(at('committed')).toBeGreaterThan(lines.indexOf('all 5 sleds prepared'));
    }
    expect(lines.at(-1)).toMatch(/^rack [0-9a-f-]{36} initialized: 5 sleds committed$/);
    const rackId = lines[0]!.split(' ')[1]!.replace(':', '');

    const unlocked = await agents.wait(ALL, done, 'unlocked');
    for (const s of unlocked) expect(s).toMatchObject({ rackId, epoch: 1, shares: { held: 3, needed: 3 } });

    // tq status: the JSON array in argument order, and the table.
    const addrs = rack.sleds.flatMap((s) => ['--sled', `127.0.0.1:${s.httpPort}`]);
    const json = await tq('status', '--json', ...addrs);
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.out) as { address: string; status: AgentStatus }[];
    expect(rows.map((r) => [r.address, r.status.sledId, r.status.state])).toEqual(
      rack.sleds.map((s) => [`127.0.0.1:${s.httpPort}`, s.sledId, 'unlocked']),
    );
    const table = await tq('status', ...addrs.slice(0, 2));
    expect(table.out).toMatch(/^ADDRESS\s+SLED\s+STATE\s+SHARES\s+EPOCH\s+RACK\s+AGENT\s+PEERS\n/);
    expect(table.out).toMatch(new RegExp(`sled-1\\s+unlocked\\s+3/3\\s+1\\s+${rackId.slice(0, 8)}`));

    // SIGTERM (and SIGINT for one) exit 0.
    expect(await agents.stop(['sled-1'], 'SIGINT')).toEqual([0]);
    expect(await agents.stop()).toEqual([0, 0, 0, 0]);
    // No share reached a log or an output.
    const ys = await Promise.all(
      rack.sleds.map(
        async (s) =>
          JSON.parse(await readFile(join(s.ledgerDirs[0]!, 'ledger.json'), 'utf8')).share.y as string,
      ),
    );
    const everything = procs.map((p) => p.out + p.err).join('\n');
    for (const y of ys) expect(everything).not.toContain(y);

    // Cold boot: all five at once.
    agents.start();
    const again = await agents.wait(ALL, done, 'unlocked after a cold boot');
    for (const s of again)
      expect(s).toMatchObject({ rackId, state: 'unlocked', shares: { held: 3, needed: 3 } });
  }, 120_000);

  it('(b) a sled restarted with one peer up waits at 2/3, and unlocks when another peer returns', async () => {
    expect(await agents.stop(['sled-2', 'sled-3', 'sled-4', 'sled-5'])).toEqual([0, 0, 0, 0]);
    agents.start(['sled-2']);
    const down = ['sled-3', 'sled-4', 'sled-5'].map((id) => `127.0.0.1:${agents.sled(id).spdmPort}`);
    // Waiting: 2 of 3 shares (its own and sled-1's), every absent peer tried and failing.
    const [waiting] = await agents.wait(
      ['sled-2'],
      (s) =>
        s.shares.held === 2 &&
        down.every((a) => s.peers.some((p) => p.address === a && p.lastError !== null)),
      'collecting at 2/3',
    );
    expect(waiting).toMatchObject({ state: 'collecting', shares: { held: 2, needed: 3 } });
    expect(waiting!.peers.find((p) => p.sledId === 'sled-1')?.shareReceived).toBe(true);
    agents.start(['sled-3']);
    await agents.wait(['sled-2', 'sled-3'], done, 'unlocked');
    expect(await agents.stop()).toEqual([0, 0, 0]);
  }, 120_000);

  it.skipIf(!HAVE_CRYPTSETUP)(
    '(d) LUKS2 images open with the rack-derived keys at boot; a wrong key fails the sled, never unlocked',
    async () => {
      const images = join(rack.dir, 'images');
      await mkdir(images, { recursive: true });
      const diskOf = (id: string) => `${id}-data`;
      const r = await recover(
        rack.sleds.slice(0, 3).map((s) => s.ledgerDirs[0]!),
        { diskIds: [...ALL.map(diskOf), 'wrong'] },
      );
      const keyOf = (disk: string) => r.keys.find((k) => k.diskId === disk)!;
      const keysHex = r.keys.map((k) => Buffer.from(k.expose()).toString('hex'));
      const light = { pbkdf: { kind: 'pbkdf2' as const, iterations: 1000 }, cryptsetup: CRYPTSETUP };
      try {
        for (const id of ALL) {
          const image = join(images, `${diskOf(id)}.img`);
          await createImage(image, 32 * 1024 * 1024);
          // sled-5's image gets another disk's key: its hook must fail.
          await luksFormat(image, keyOf(id === 'sled-5' ? 'wrong' : diskOf(id)), light);
        }
      } finally {
        for (const k of r.keys) k.zero();
      }
      for (const s of rack.sleds) {
        await writeConfig(rack, s, {
          unlock: {
            hook: [HOOK, join(images, '{disk}.img'), 'tq-{disk}'],
            disks: [diskOf(s.sledId)],
            timeoutMs: 20_000,
          },
        });
      }
      agents.start();
      const good = ALL.slice(0, 4);
      const ok = await agents.wait(good, done, 'unlocked with LUKS');
      for (const [i, s] of ok.entries()) {
        expect(s.disks).toMatchObject([{ diskId: diskOf(good[i]!), ok: true, error: null }]);
      }
      const [bad] = await agents.wait(['sled-5'], (s) => s.state === 'failed', 'failed');
      expect(bad!.reason).toMatch(/unlock failed for disk sled-5-data: unlock hook exited with code \d+/);
      expect(bad!.disks).toMatchObject([{ diskId: 'sled-5-data', ok: false }]);
      expect(bad!.disks[0]!.error).toMatch(/No key available|passphrase/i);
      const sled5 = agents.running.get('sled-5')!;
      expect(sled5.err).toMatch(/"state":"failed"/);
      expect(sled5.err).not.toMatch(/"state":"unlocked"/);
      expect(await agents.stop()).toEqual([0, 0, 0, 0, 0]);
      const everything = procs.map((p) => p.out + p.err).join('\n');
      for (const hex of keysHex) expect(everything).not.toContain(hex);
    },
    120_000,
  );
});

describe('rack init killed between prepare and commit', () => {
  it('(c) leaves every sled awaiting init with no ledger; a second run succeeds', async () => {
    const small = await addSleds(rack.dir, rack.pkiDir, 3, 'killed');
    const three = new Agents(small);
    const ids = small.sleds.map((s) => s.sledId);
    three.start();
    await three.wait(ids, (s) => s.state === 'awaiting-init', 'awaiting-init');

    const init = tqChild([...rackInitArgs(small, 2), '--pause-before-commit'], 'pipe');
    await until(() => init.out.includes('paused before commit\n') || !init.alive(), 'pause');
    expect(init.out).toMatch(/all 3 sleds prepared\npaused before commit\n$/);
    init.child.kill('SIGKILL');
    await init.exited;
    // Every agent sees its operator session end and drops what it prepared.
    for (const id of ids) {
      await until(() => three.running.get(id)!.err.includes('prepared configuration dropped'), `${id} drop`);
    }
    const after = await three.wait(ids, (s) => s.state === 'awaiting-init', 'awaiting-init');
    for (const s of after) expect(s).toMatchObject({ rackId: null, epoch: null });
    for (const s of small.sleds) {
      for (const d of s.ledgerDirs) expect(await stat(join(d, 'ledger.json')).catch(() => null)).toBeNull();
    }

    const second = await tq(...rackInitArgs(small, 2));
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/initialized: 3 sleds committed\n$/);
    await three.wait(ids, done, 'unlocked');
    expect(await three.stop()).toEqual([0, 0, 0]);
  }, 120_000);
});
