/**
 * The demo's watchdog script, run for real with /bin/sh (dash on Debian): once the watched
 * process is gone it SIGKILLs the listed process groups and removes the directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WATCHDOG_SCRIPT } from '../../src/demo/watchdog.js';

const started: ChildProcess[] = [];

afterEach(() => {
  for (const c of started.splice(0)) {
    try {
      if (c.pid !== undefined) process.kill(-c.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

function exited(c: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) resolve();
    else c.once('exit', () => resolve());
  });
}

/** True once `pid` is gone or a zombie (polled: signal delivery is asynchronous). */
async function goneOrZombie(pid: number, deadlineMs = 10_000): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return true;
    } catch {
      return true;
    }
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!existsSync('/bin/sh') || !existsSync('/proc/self/stat'))('demo watchdog', () => {
  it('kills the listed process groups and removes the directory once the watched process is gone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tq-watchdog-test-'));
    // A stand-in for an agent: its own process group (detached), like the demo's agents.
    const agent = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    started.push(agent);
    await writeFile(join(dir, '.pgids'), `${agent.pid}\n`);
    // A stand-in for the demo: a process that ends on its own shortly.
    const demo = spawn('sleep', ['0.3'], { stdio: 'ignore' });
    const watchdog = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'tq-demo-watchdog', String(demo.pid), dir], {
      detached: true,
      stdio: 'ignore',
    });
    started.push(watchdog);
    await exited(demo);
    await exited(watchdog);
    expect(existsSync(dir)).toBe(false);
    expect(await goneOrZombie(agent.pid!)).toBe(true);
  });
});
