/**
 * `tq demo` (what `npm start` runs) as a child process, stdout a pipe (so: timestamped lines,
 * no control sequences):
 *   - with the defaults it runs every phase and exits 0: 5 agents awaiting init, rack init,
 *     all 5 unlocked after the cold boot with the disk keys of the first boot, sled-3 unlocked
 *     with sled-4 and sled-5 down, sled-3 waiting at 2/3 with sled-2 down too; afterwards no
 *     process it started is alive (PIDs it printed, SPDM ports it used, no process naming its
 *     temp dir) and the temp dir is gone;
 *   - SIGINT in the middle (after the cold boot, agents and services running): exit 1 with
 *     one line, nothing left behind;
 *   - SIGINT during --keep (3 sleds, k = 2): exit 0, nothing left behind;
 *   - SIGKILL of the demo itself (no cleanup of its own possible): its watchdog kills the
 *     agents (their services follow) and removes the temp dir;
 *   - --threshold above --sleds: exit 2, one line.
 * The four long runs go concurrently (they mostly wait on agent processes).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/tq.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

interface Run {
  readonly child: ChildProcess;
  out: string;
  err: string;
  readonly exited: Promise<number | null>;
}

const runs: Run[] = [];

afterAll(async () => {
  // A demo still running (a failed test) cleans up after SIGTERM.
  for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
  await Promise.all(runs.map((r) => r.exited));
});

function demo(...args: string[]): Run {
  const child = spawn(process.execPath, [BIN, 'demo', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const r: Run = {
    child,
    out: '',
    err: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    r.out += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    r.err += d;
  });
  runs.push(r);
  return r;
}

/** Resolves once `re` matches the output; rejects if the demo exits first. */
async function untilOutput(r: Run, re: RegExp): Promise<void> {
  let exited = false;
  void r.exited.then(() => {
    exited = true;
  });
  while (!re.test(r.out)) {
    if (exited) throw new Error(`demo exited before ${re}:\n${r.out}\n${r.err}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

function tempDirOf(out: string): string {
  const m = /^temp dir (\/\S+) /m.exec(out);
  expect(m, out).not.toBeNull();
  return m![1]!;
}

/** A live process (a zombie, dead but not yet reaped by whoever inherited it, is not). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return !existsSync('/proc/self/stat'); // gone meanwhile (Linux); no /proc: alive by kill(0)
  }
}

/** PIDs of live processes whose command line mentions `text` (Linux /proc; [] elsewhere). */
function processesMentioning(text: string): number[] {
  if (!existsSync('/proc/self/cmdline')) return [];
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(text)) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Nothing the demo started is left: its PIDs, its SPDM ports, anything naming its temp dir. */
async function expectNothingLeft(out: string): Promise<void> {
  const dir = tempDirOf(out);
  expect(existsSync(dir)).toBe(false);
  const pids = [...out.matchAll(/\(agent pid (\d+)\)/g)].map((m) => Number(m[1]));
  expect(pids.length).toBeGreaterThan(0);
  expect(pids.filter(pidAlive)).toEqual([]);
  expect(processesMentioning(dir)).toEqual([]);
  const ports = [...new Set([...out.matchAll(/ 127\.0\.0\.1:(\d+): /g)].map((m) => Number(m[1])))];
  expect(ports.length).toBeGreaterThan(0);
  for (const p of ports) expect(await portOpen(p)).toBe(false);
}

/** The output from the line containing `from` up to (not including) the one containing `to`. */
function section(out: string, from: string, to?: string): string {
  const start = out.indexOf(from);
  expect(start, `no "${from}" in:\n${out}`).toBeGreaterThanOrEqual(0);
  const end = to === undefined ? out.length : out.indexOf(to, start);
  expect(end, `no "${to}" after "${from}"`).toBeGreaterThan(start);
  return out.slice(start, end);
}

/** Disk key fingerprint per sled from `sled-N: unlocked ... (disk key FP)` lines. */
function keys(text: string): Map<string, string> {
  return new Map(
    [...text.matchAll(/ (sled-\d+): unlocked \d+\/\d+, .*\(disk key ([0-9a-f]{16})\)$/gm)].map((m) => [
      m[1]!,
      m[2]!,
    ]),
  );
}

const ALL = ['sled-1', 'sled-2', 'sled-3', 'sled-4', 'sled-5'];

describe('tq demo', () => {
  it('rejects --threshold above --sleds with exit 2 and one line', async () => {
    const r = demo('--threshold', '6', '--sleds', '5');
    expect(await r.exited).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe('tq: --threshold must be from 2 to --sleds (5), got 6\n');
  });

  it.concurrent('with the defaults: rack init, a cold boot, 2 sleds down, then one below the threshold; exit 0, nothing left', async () => {
    const r = demo();
    const code = await r.exited;
    expect(r.err).toBe('');
    expect(code).toBe(0);
    const out = r.out;
    expect(out).not.toContain('\x1b');
    expect(out).toMatch(/^trust-quorum demo: a rack of 5 sleds on 127\.0\.0\.1, threshold 3:$/m);
    for (const line of out.trim().split('\n').slice(3)) expect(line).toMatch(/^\[ *\d+\.\ds\] /);

    const agents = section(out, 'agents: starting 5 agents', 'rack init: ');
    for (const id of ALL) expect(agents).toMatch(new RegExp(`^\\[.*\\]   ${id}: awaiting-init$`, 'm'));

    const init = section(out, 'rack init: ', 'cold boot: ');
    expect(init).toMatch(/rack init \| rack [0-9a-f-]{36} initialized: 5 sleds committed$/m);
    expect(init).toMatch(/=> rack initialized in \d+\.\d\d s; all 5 sleds unlocked within/);
    const initKeys = keys(init);
    expect([...initKeys.keys()].sort()).toEqual(ALL);

    // Cold boot: every sled restarted, collecting, unlocked with 3/3, services, same key.
    const cold = section(out, 'cold boot: restarting all 5 sleds', '2 sleds down: ');
    for (const id of ALL) {
      const mine = cold
        .split('\n')
        .filter((l) => l.includes(` ${id}: `))
        .map((l) => l.replace(/^\[.*?\] +/, '').split(/[ (,]/)[1]);
      expect(mine, id).toEqual(expect.arrayContaining(['stopped', 'starting', 'collecting', 'unlocked']));
      expect(mine.indexOf('collecting'), id).toBeLessThan(mine.indexOf('unlocked'));
      expect(mine.indexOf('unlocked'), id).toBeLessThan(mine.indexOf('services-started'));
    }
    expect(keys(cold)).toEqual(initKeys);
    expect(cold).toMatch(/=> cold boot: all 5 sleds unlocked within \d+\.\d\d s of their start/);

    // sled-4 and sled-5 down; sled-3 restarted unlocks with sled-1 and sled-2.
    const degraded = section(
      out,
      '2 sleds down: stopping sled-4, sled-5, then restarting sled-3',
      'below the threshold: ',
    );
    expect(degraded).toMatch(/ sled-4: stopped /);
    expect(degraded).toMatch(/ sled-5: stopped /);
    expect(degraded).toMatch(/ sled-3: unlocked 3\/3, /);
    expect(degraded).not.toMatch(/ sled-[125]: starting/);
    expect(keys(degraded).get('sled-3')).toBe(initKeys.get('sled-3'));

    // sled-2 down too; sled-3 restarted again waits at 2/3 and never unlocks.
    const below = section(
      out,
      'below the threshold: stopping sled-2, then restarting sled-3 again',
      'cleanup: ',
    );
    expect(below).toMatch(/ sled-3: collecting 2\/3/);
    expect(below).not.toMatch(/ sled-3: (unlocked|collecting 3\/3)/);
    expect(below).toMatch(/=> sled-3 at 2\/3 \d+\.\d\d s after its start and still locked 3\.00 s later/);

    expect(out).toMatch(/=> done in \d+\.\d\d s: no agent left running, temp dir removed\n$/);
    await expectNothingLeft(out);
  }, 120_000);

  it.concurrent('SIGINT with agents and services running: exit 1 with one line, nothing left', async () => {
    const r = demo();
    // From here on sled-1 and sled-2 keep running, with their services, until the end.
    await untilOutput(r, /=> cold boot: all 5 sleds unlocked/);
    r.child.kill('SIGINT');
    expect(await r.exited).toBe(1);
    expect(r.err).toBe('tq: demo interrupted by SIGINT: every agent stopped, temp dir removed\n');
    expect(r.out).toMatch(/cleanup: stopping \d+ process(es)?, removing the temp dir\n$/);
    await expectNothingLeft(r.out);
  }, 120_000);

  it.concurrent('SIGKILL of the demo itself: its watchdog kills the agents and removes the temp dir', async () => {
    const r = demo();
    await untilOutput(r, /=> rack initialized in /);
    const dir = tempDirOf(r.out);
    expect(processesMentioning(dir).length).toBeGreaterThan(0);
    r.child.kill('SIGKILL');
    await r.exited;
    const end = Date.now() + 15_000;
    while (existsSync(dir) || processesMentioning(dir).length > 0) {
      if (Date.now() > end)
        throw new Error(`left behind: ${processesMentioning(dir).join(' ')} ${existsSync(dir)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    const pids = [...r.out.matchAll(/\(agent pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(pids.filter(pidAlive)).toEqual([]);
  }, 120_000);

  it.concurrent('--keep: brings the stopped sleds back, prints the status URLs, and exits 0 on SIGINT', async () => {
    const r = demo('--keep', '--sleds', '3', '--threshold', '2');
    await untilOutput(r, /press Ctrl-C/);
    const urls = [...r.out.matchAll(/status page http:\/\/127\.0\.0\.1:(\d+)\//g)].map((m) => Number(m[1]));
    expect(urls).toHaveLength(3);
    for (const port of urls) {
      const res = await fetch(`http://127.0.0.1:${port}/status`);
      expect(((await res.json()) as { state: string }).state).toBe('services-started');
    }
    expect(r.out).toMatch(/below the threshold: stopping sled-1, then restarting sled-2 again: 0 peers up/);
    expect(r.out).toMatch(/=> sled-2 at 1\/2 /);
    expect(r.out).toMatch(/=> all 3 sleds unlocked; running until Ctrl-C/);
    r.child.kill('SIGINT');
    expect(await r.exited).toBe(0);
    expect(r.err).toBe('');
    for (const port of urls) expect(await portOpen(port)).toBe(false);
    await expectNothingLeft(r.out);
  }, 120_000);
});
