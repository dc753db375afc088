/**
 * The service supervisor with real processes: restart on failure with doubling backoff,
 * restart policies (never / on-failure / always), a program that does not exist, output
 * logged by line, and shutdown: SIGTERM to a service that exits on it, SIGKILL after the
 * grace period to one that ignores it, and no restart after stop().
 */
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Log } from '../../src/log.js';
import {
  backoffDelay,
  type ServiceExitEvent,
  type ServiceSpec,
  ServiceSupervisor,
} from '../../src/services/index.js';

let dir: string;
const running: ServiceSupervisor[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tq-services-'));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function spec(name: string, script: string, over: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name,
    command: ['/bin/sh', '-c', script],
    env: { OUT: dir },
    cwd: dir,
    restart: 'on-failure',
    backoff: { initialMs: 20, maxMs: 80 },
    stopGraceMs: 2000,
    ...over,
  };
}

function supervise(specs: ServiceSpec[], log?: Log): ServiceSupervisor {
  const s = new ServiceSupervisor(specs, { log });
  running.push(s);
  return s;
}

/** Collects `exit` events until `n` have come. */
async function exits(s: ServiceSupervisor, n: number): Promise<ServiceExitEvent[]> {
  const got: ServiceExitEvent[] = [];
  while (got.length < n) {
    const [e] = (await once(s, 'exit')) as [ServiceExitEvent];
    got.push(e);
  }
  return got;
}

describe('ServiceSupervisor', () => {
  it('restarts a failing service with doubling backoff, capped at maxMs', async () => {
    const s = supervise([spec('flaky', 'echo run >> "$OUT/flaky.runs"; exit 3')]);
    const events = exits(s, 4);
    s.start();
    const got = await events;
    expect(got.map((e) => [e.name, e.exit.code, e.exit.signal, e.restartInMs])).toEqual([
      ['flaky', 3, null, 20],
      ['flaky', 3, null, 40],
      ['flaky', 3, null, 80],
      ['flaky', 3, null, 80],
    ]);
    const runs = (await readFile(join(dir, 'flaky.runs'), 'utf8')).trim().split('\n').length;
    expect(runs).toBeGreaterThanOrEqual(4);
    const [st] = await s.stop();
    expect(st!.restarts).toBeGreaterThanOrEqual(3);
    expect(['stopped', 'exited']).toContain(st!.state);
    const after = (await readFile(join(dir, 'flaky.runs'), 'utf8')).trim().split('\n').length;
    await new Promise((r) => setTimeout(r, 200));
    expect((await readFile(join(dir, 'flaky.runs'), 'utf8')).trim().split('\n').length).toBe(after);
  });

  it.each([
    ['never', 3, null],
    ['on-failure', 0, null],
    ['on-failure', 1, 20],
    ['always', 0, 20],
  ] as const)('policy %s, exit %i: restart in %s', async (restart, code, delay) => {
    const s = supervise([spec('svc', `exit ${code}`, { restart })]);
    const e = once(s, 'exit');
    s.start();
    const [ev] = (await e) as [ServiceExitEvent];
    expect(ev.exit.code).toBe(code);
    expect(ev.restartInMs).toBe(delay);
    expect(s.status()[0]!.state).toBe(delay === null ? 'exited' : 'backoff');
    expect(s.status()[0]!.lastExit?.code).toBe(code);
  });

  it('stops with SIGTERM, and SIGKILL after the grace period for one that ignores it', async () => {
    const polite = spec(
      'polite',
      'trap "echo bye > \\"$OUT/polite.bye\\"; exit 0" TERM; echo up; while :; do sleep 0.05; done',
    );
    const stubborn = spec('stubborn', 'trap "" TERM; echo up; while :; do sleep 0.05; done', {
      stopGraceMs: 300,
    });
    const lines: string[] = [];
    const log: Log = {
      debug: () => {},
      info: (f, m) => lines.push(`${String(f.service)}|${m}`),
      warn: () => {},
      error: () => {},
    };
    const s = supervise([polite, stubborn], log);
    s.start();
    while (lines.filter((l) => l.endsWith(': up')).length < 2) await new Promise((r) => setTimeout(r, 20));
    expect(s.status().map((x) => [x.name, x.state, typeof x.pid])).toEqual([
      ['polite', 'running', 'number'],
      ['stubborn', 'running', 'number'],
    ]);
    const t0 = Date.now();
    const final = await s.stop();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(final.map((x) => [x.name, x.state, x.pid, x.lastExit?.code, x.lastExit?.signal])).toEqual([
      ['polite', 'stopped', null, 0, null],
      ['stubborn', 'stopped', null, null, 'SIGKILL'],
    ]);
    expect(await readFile(join(dir, 'polite.bye'), 'utf8')).toBe('bye\n');
    expect(lines).toContain('polite|polite: up');
    expect(() => s.start()).toThrow(TypeError);
    expect(await s.stop()).toEqual(final);
  });

  it('reports a program that does not exist and retries it per policy', async () => {
    const s = supervise([{ ...spec('ghost', ''), command: [join(dir, 'no-such-program')] }]);
    const e = exits(s, 2);
    s.start();
    const got = await e;
    expect(got.map((x) => [x.exit.spawnError, x.exit.code, x.restartInMs])).toEqual([
      ['ENOENT', null, 20],
      ['ENOENT', null, 40],
    ]);
  });

  it('refuses duplicate names and empty commands', () => {
    expect(() => new ServiceSupervisor([spec('a', 'true'), spec('a', 'true')])).toThrow(/used twice: a/);
    expect(() => new ServiceSupervisor([{ ...spec('a', ''), command: [] }])).toThrow(/a: empty command/);
  });
});

describe('backoffDelay', () => {
  it('doubles from initialMs and stops at maxMs', () => {
    const b = { initialMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 100].map((n) => backoffDelay(b, n))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});
