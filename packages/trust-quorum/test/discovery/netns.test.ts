/**
 * Discovery between two "hosts" on one link: two network namespaces joined by a veth pair,
 * IPv6 link-local group ff02::4194 on each side's interface, and IPv4 239.x on the same link.
 * Each side is a child process (`ip netns exec`) running one Discovery; each must hear the
 * other, with the peer's link-local address and zone as the source. Traffic stays inside the
 * two namespaces this test makes and deletes.
 * Needs: root, iproute2 (`ip netns`, veth). IPv6 multicast on `lo` does not work on Linux
 * (sendto ff02:: over lo gives ENETUNREACH even with a route), hence the veth pair.
 * Skipped, with the reason, where namespaces cannot be made.
 */
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const tag = `${process.pid % 100000}`;
const NS_A = `tq-disc-a-${tag}`;
const NS_B = `tq-disc-b-${tag}`;
const IF_A = `tqa${tag}`;
const IF_B = `tqb${tag}`;
const CHILD = fileURLToPath(new URL('./netns-child.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Waits (up to 10 s) until both ends of the veth have carrier and show in the namespace. */
async function linkReady(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const a = await run('ip', ['-n', NS_A, '-br', 'link', 'show', IF_A]);
    const b = await run('ip', ['-n', NS_B, '-br', 'link', 'show', IF_B]);
    if (/\sUP\s/.test(a.stdout) && /\sUP\s/.test(b.stdout)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the veth pair never came up');
}

/** Makes the two namespaces and the link; returns why not, or null. */
async function setUp(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces';
  try {
    for (const ns of [NS_A, NS_B]) {
      ip('netns', 'add', ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      // No duplicate address detection: the link-local address is usable at once.
      execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.accept_dad=0']);
      execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.default.accept_dad=0']);
    }
    ip('-n', NS_A, 'link', 'add', IF_A, 'type', 'veth', 'peer', 'name', IF_B, 'netns', NS_B);
    ip('-n', NS_A, 'addr', 'add', '10.200.0.1/24', 'dev', IF_A);
    ip('-n', NS_B, 'addr', 'add', '10.200.0.2/24', 'dev', IF_B);
    ip('-n', NS_A, 'link', 'set', IF_A, 'up');
    ip('-n', NS_B, 'link', 'set', IF_B, 'up');
    await linkReady();
    return null;
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    return `cannot create network namespaces with a veth pair: ${err.stderr?.toString().trim() || err.message}`;
  }
}

function tearDown(): void {
  for (const ns of [NS_A, NS_B]) {
    try {
      ip('netns', 'del', ns);
    } catch {
      // Not made.
    }
  }
}

const problem = await setUp();
if (problem !== null) tearDown();

interface ChildOut {
  peers: { sledId: string; host: string; port: number }[];
  stats: { own: number; malformed: number };
}

async function child(ns: string, args: Record<string, unknown>): Promise<ChildOut> {
  const { stdout } = await run(
    'ip',
    ['netns', 'exec', ns, process.execPath, '--import', 'tsx', CHILD, JSON.stringify(args)],
    { cwd: REPO, timeout: 30_000 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildOut;
}

async function linkLocal(ns: string, ifname: string): Promise<string> {
  const { stdout } = await run('ip', ['-n', ns, '-6', '-o', 'addr', 'show', 'dev', ifname, 'scope', 'link']);
  const m = /inet6 (fe80::[0-9a-f:]+)\//.exec(stdout);
  if (m === null) throw new Error(`no link-local address on ${ifname}`);
  return m[1]!;
}

describe.skipIf(problem !== null)(
  `discovery between network namespaces${problem === null ? '' : ` (skipped: ${problem})`}`,
  () => {
    afterAll(tearDown);

    it('finds the peer over an IPv6 link-local group (ff02::4194 on the veth)', async () => {
      const common = { group: 'ff02::4194', port: 4194, waitMs: 15_000 };
      const [a, b] = await Promise.all([
        child(NS_A, { ...common, sledId: 'sled-a', spdmPort: 5001, interface: IF_A, expect: 'sled-b' }),
        child(NS_B, { ...common, sledId: 'sled-b', spdmPort: 5002, interface: IF_B, expect: 'sled-a' }),
      ]);
      const llB = await linkLocal(NS_B, IF_B);
      const llA = await linkLocal(NS_A, IF_A);
      expect(a.peers).toEqual([
        expect.objectContaining({ sledId: 'sled-b', port: 5002, host: `${llB}%${IF_A}` }),
      ]);
      expect(b.peers).toEqual([
        expect.objectContaining({ sledId: 'sled-a', port: 5001, host: `${llA}%${IF_B}` }),
      ]);
      expect(a.stats.own).toBeGreaterThan(0);
    });

    it('finds the peer over an IPv4 group on the same link', async () => {
      const common = { group: '239.255.41.94', port: 4194, waitMs: 15_000 };
      const [a, b] = await Promise.all([
        child(NS_A, { ...common, sledId: 'sled-a', spdmPort: 5001, interface: IF_A, expect: 'sled-b' }),
        child(NS_B, { ...common, sledId: 'sled-b', spdmPort: 5002, interface: IF_B, expect: 'sled-a' }),
      ]);
      expect(a.peers).toEqual([
        expect.objectContaining({ sledId: 'sled-b', port: 5002, host: '10.200.0.2' }),
      ]);
      expect(b.peers).toEqual([
        expect.objectContaining({ sledId: 'sled-a', port: 5001, host: '10.200.0.1' }),
      ]);
    });
  },
);
