/**
 * Discovery over real UDP multicast on the loopback interface: two agents' discovery on
 * 127.0.0.1 with a 239.x group find each other, ignore their own announcements, count
 * malformed datagrams, filter another rack's announcements, and expire a peer that stops.
 * Every socket is pinned to 127.0.0.1 (IP_MULTICAST_IF), so nothing leaves the machine.
 * The group and port are random so parallel test runs do not hear each other.
 * Needs: IPv4 multicast on `lo` (Linux delivers it when the sending socket's multicast
 * interface is 127.0.0.1, even though `lo` lacks the MULTICAST flag). Where it does not work,
 * the suite is skipped with that reason; test/discovery/netns.test.ts covers namespaces.
 */

import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Discovery, type DiscoveryInit } from '../../src/discovery/index.js';
import { loopbackMulticastProblem } from '../../src/discovery/loopback-probe.js';

const RACK_A = '0123abcd-0000-4000-8000-00000000000a';
const RACK_B = '0123abcd-0000-4000-8000-00000000000b';

function randomGroup(): { group: string; port: number } {
  const r = () => 1 + Math.floor(Math.random() * 250);
  return { group: `239.255.${r()}.${r()}`, port: 40000 + Math.floor(Math.random() * 20000) };
}

const problem = await loopbackMulticastProblem();
const skipReason =
  problem === null ? '' : ` (skipped: IPv4 multicast on 127.0.0.1 does not work here: ${problem})`;

/** Resolves when `pred` holds (checked every 20 ms); fails after `ms`. */
async function until(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(problem !== null)(`discovery on loopback multicast${skipReason}`, () => {
  const open: Discovery[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((d) => d.close()));
  });

  async function start(init: Partial<DiscoveryInit> & { sledId: string; group: string; port: number }) {
    const d = await Discovery.start({
      spdmPort: 4194,
      intervalMs: 100,
      // Long enough that a busy test machine never expires a live peer by accident.
      expiryMs: 5000,
      interface: '127.0.0.1',
      ...init,
    });
    open.push(d);
    return d;
  }

  it('two instances find each other and ignore their own announcements', async () => {
    const g = randomGroup();
    const a = await start({
      sledId: 'sled-a',
      spdmPort: 5001,
      ...g,
      staticPeers: [{ host: '127.0.0.9', port: 9 }],
    });
    const aSawB = once(a, 'add');
    const b = await start({ sledId: 'sled-b', spdmPort: 5002, ...g });
    const [peerOfA] = await aSawB;
    expect(peerOfA).toMatchObject({ sledId: 'sled-b', host: '127.0.0.1', port: 5002, rackId: null });
    await until(() => b.discovered().length === 1, 'b to see a');
    expect(b.discovered()[0]).toMatchObject({ sledId: 'sled-a', host: '127.0.0.1', port: 5001 });
    await until(() => a.stats().own > 0, 'a to hear itself');
    expect(a.discovered().map((p) => p.sledId)).toEqual(['sled-b']);
    expect(a.peers().map((p) => [p.host, p.port, p.source, p.sledId])).toEqual([
      ['127.0.0.9', 9, 'static', null],
      ['127.0.0.1', 5002, 'multicast', 'sled-b'],
    ]);
    expect(a.address()).toEqual({ host: g.group, port: g.port });
  });

  it('counts and drops malformed datagrams', async () => {
    const g = randomGroup();
    const a = await start({ sledId: 'sled-a', ...g });
    const tx = createSocket({ type: 'udp4' });
    await new Promise<void>((r) => tx.bind(0, '127.0.0.1', r));
    tx.setMulticastInterface('127.0.0.1');
    try {
      for (const junk of [
        Buffer.from('hello'),
        Buffer.alloc(1500, 0x41),
        Buffer.from('TQDA\x09', 'latin1'),
      ]) {
        tx.send(junk, g.port, g.group);
      }
      await until(() => a.stats().malformed === 3, 'three malformed datagrams');
    } finally {
      tx.close();
    }
    expect(a.discovered()).toEqual([]);
  });

  it('ignores another rack, accepts a sled without a rack id, and follows setRackId', async () => {
    const g = randomGroup();
    const a = await start({ sledId: 'sled-a', rackId: RACK_A, ...g });
    await start({ sledId: 'sled-b', rackId: RACK_B, ...g });
    await start({ sledId: 'sled-c', rackId: null, ...g });
    await until(() => a.discovered().length === 1 && a.stats().otherRack > 0, 'c seen, b filtered');
    expect(a.discovered().map((p) => p.sledId)).toEqual(['sled-c']);
    a.setRackId(RACK_B);
    await until(() => a.discovered().some((p) => p.sledId === 'sled-b'), 'b after setRackId');
  });

  it('emits remove when a peer stops announcing', async () => {
    const g = randomGroup();
    const a = await start({ sledId: 'sled-a', expiryMs: 500, ...g });
    const b = await start({ sledId: 'sled-b', ...g });
    await until(() => a.discovered().length === 1, 'a to see b');
    const removed = once(a, 'remove');
    await b.close();
    const [gone] = await removed;
    expect(gone.sledId).toBe('sled-b');
    expect(a.discovered()).toEqual([]);
  });
});

describe('discovery without multicast', () => {
  it('enabled: false opens no socket and lists the static peers', async () => {
    const d = await Discovery.start({
      sledId: 'sled-a',
      spdmPort: 4194,
      enabled: false,
      group: '239.255.41.94',
      port: 4194,
      staticPeers: [{ host: '127.0.0.1', port: 4201 }],
    });
    expect(d.address()).toBeNull();
    expect(d.peers()).toEqual([
      { host: '127.0.0.1', port: 4201, sledId: null, source: 'static', rackId: null, lastSeen: null },
    ]);
    await d.announceNow();
    expect(d.stats().sent).toBe(0);
    await d.close();
  });

  it('refuses a group that is not multicast and an unknown interface', async () => {
    const base = { sledId: 'sled-a', spdmPort: 4194, port: 4194 };
    await expect(Discovery.start({ ...base, group: '10.1.2.3' })).rejects.toThrow(/not an IPv4 multicast/);
    await expect(Discovery.start({ ...base, group: 'ff02::1', interface: 'nosuchif0' })).rejects.toThrow(
      /no interface nosuchif0/,
    );
  });
});
