/**
 * DemoSleds with stand-in agent processes (they emit the lines a real agent writes: the
 * `started` line on stdout, pino JSON on stderr): states follow the `agent STATE` log lines in
 * order, the unlock hook's fingerprint is picked up, and every wait fails with one line naming
 * the sled and its last status: at the deadline, when the sled fails, when an agent exits on
 * its own, when the demo is interrupted. The real agents are exercised by test/cli/demo.test.ts.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExitInfo, ProcessGroup } from '../../src/demo/processes.js';
import { type DemoRack, freePorts } from '../../src/demo/rack-setup.js';
import { DemoError, DemoSleds, describeSled } from '../../src/demo/sleds.js';

class FakeProc extends EventEmitter {
  static next = 5000;
  readonly pid = FakeProc.next++;
  readonly startedAt = Date.now();
  stopping = false;
  alive = true;
  constructor(readonly label: string) {
    super();
  }
  lastError(): string {
    return 'agent sled-1: cannot start: EADDRINUSE';
  }
  log(fields: Record<string, unknown>): void {
    this.emit('line', 'stderr', JSON.stringify({ level: 30, time: Date.now(), ...fields }));
  }
  state(state: string, reason?: string): void {
    this.log({ state, ...(reason === undefined ? {} : { reason }), msg: `agent ${state}` });
  }
  exit(x: ExitInfo): void {
    this.alive = false;
    this.emit('exit', x);
  }
  async stop(): Promise<ExitInfo & { killed: boolean }> {
    this.stopping = true;
    this.exit({ code: 0, signal: null });
    return { code: 0, signal: null, killed: false };
  }
}

const procs = new Map<string, FakeProc>();
const group = {
  spawn: (label: string) => {
    const p = new FakeProc(label);
    procs.set(label, p);
    return p;
  },
} as unknown as ProcessGroup;

let sleds: DemoSleds | undefined;

afterEach(() => {
  sleds?.close();
  procs.clear();
});

async function make(n: number): Promise<DemoSleds> {
  const ports = await freePorts(2 * n); // closed again: /status polls find nobody
  const rack: DemoRack = {
    dir: '/nonexistent',
    pkiDir: '/nonexistent/pki',
    discovery: null,
    sleds: Array.from({ length: n }, (_, i) => ({
      sledId: `sled-${i + 1}`,
      spdmPort: ports[2 * i]!,
      httpPort: ports[2 * i + 1]!,
      dir: '/nonexistent',
      config: '/nonexistent/agent.json',
      diskId: `sled-${i + 1}-data`,
    })),
  };
  sleds = new DemoSleds(rack, group);
  return sleds;
}

describe('DemoSleds', () => {
  it('follows the agent log: every state in order, the unlock hook fingerprint, time to unlocked', async () => {
    const s = await make(2);
    const seen: string[] = [];
    s.on('change', (v) => {
      if (v.sledId === 'sled-1') seen.push(`${v.proc}/${v.state}`);
    });
    s.start(['sled-1']);
    const p = procs.get('sled-1')!;
    p.emit('line', 'stdout', 'agent sled-1 started: spdm 127.0.0.1:1 http 127.0.0.1:2 state awaiting-init');
    p.state('awaiting-init');
    p.state('collecting');
    p.log({
      disk: 'sled-1-data',
      fingerprint: '00112233aabbccdd',
      msg: 'unlock hook succeeded for disk sled-1-data',
    });
    p.state('unlocked');
    p.state('services-started');
    await s.waitFor(['sled-1'], (v) => v.state === 'services-started', 'started', 1000);
    expect(seen).toEqual([
      'starting/null',
      'running/null',
      'running/awaiting-init',
      'running/collecting',
      'running/collecting',
      'running/unlocked',
      'running/services-started',
    ]);
    const v = s.view('sled-1');
    expect(v).toMatchObject({ keyFingerprint: '00112233aabbccdd', clockFromCommit: true, pid: p.pid });
    expect(v.unlockedAfterMs).toBeGreaterThanOrEqual(0);
    expect(v.collectMs).toBeGreaterThanOrEqual(0);
    expect(s.running()).toEqual(['sled-1']);
    await s.stop(['sled-1'], 1000);
    expect(s.view('sled-1')).toMatchObject({ proc: 'stopped', lastExit: { code: 0, signal: null } });
    expect(s.failure).toBeNull();
  });

  it('a wait past its deadline names the sled and its last status', async () => {
    const s = await make(2);
    s.start(['sled-1', 'sled-2']);
    procs.get('sled-1')!.state('services-started');
    procs.get('sled-2')!.state('collecting');
    const err = await s
      .waitFor(
        ['sled-1', 'sled-2'],
        (v) => v.state === 'services-started',
        'unlocked after the cold boot',
        300,
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DemoError);
    expect((err as Error).message).toBe(
      `not unlocked after the cold boot within 0.3 s: sled-2 (last: collecting (pid ${procs.get('sled-2')!.pid}))`,
    );
  });

  it('a failed sled ends the wait at once, with its reason', async () => {
    const s = await make(1);
    s.start(['sled-1']);
    const w = s.waitFor(['sled-1'], (v) => v.state === 'unlocked', 'unlocked', 60_000);
    procs
      .get('sled-1')!
      .state('failed', 'unlock failed for disk sled-1-data: unlock hook exited with code 1');
    await expect(w).rejects.toThrow(
      'sled-1 failed: unlock failed for disk sled-1-data: unlock hook exited with code 1',
    );
  });

  it('an agent that exits on its own fails every wait, naming it and its last error line', async () => {
    const s = await make(2);
    s.start(['sled-1', 'sled-2']);
    const w = s.waitFor(['sled-2'], (v) => v.state === 'unlocked', 'unlocked', 60_000);
    procs.get('sled-1')!.exit({ code: 1, signal: null });
    await expect(w).rejects.toThrow(
      'sled-1 exited on its own (with code 1); last logged: agent sled-1: cannot start: EADDRINUSE',
    );
    expect(s.failure?.message).toMatch(/^sled-1 exited on its own/);
    expect(describeSled(s.view('sled-1'))).toBe('not running (exited with code 1)');
  });

  it('holds() fails when the sled leaves the condition, and waits end when the signal aborts', async () => {
    const s = await make(1);
    s.start(['sled-1']);
    const p = procs.get('sled-1')!;
    p.state('collecting');
    const held = s.holds(['sled-1'], (v) => v.state === 'collecting', 'waiting at 2/3', 60_000);
    p.state('unlocked');
    await expect(held).rejects.toThrow(`sled-1: waiting at 2/3, but now unlocked (pid ${p.pid})`);
    await s.holds(['sled-1'], (v) => v.state === 'unlocked', 'unlocked', 50);

    const ac = new AbortController();
    const w = s.waitFor(['sled-1'], (v) => v.state === 'failed', 'failed', 60_000, ac.signal);
    ac.abort(new DemoError('interrupted by SIGINT'));
    await expect(w).rejects.toThrow('interrupted by SIGINT');
  });
});
