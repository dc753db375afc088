/** The discovery peer table (add / update / refresh / expire, bounded) and the static merge. */
import { describe, expect, it } from 'vitest';
import { MAX_PEERS, mergeCandidates, PeerTable } from '../../src/discovery/peer-table.js';

const ann = (sledId: string, spdmPort = 4194, rackId: string | null = null) => ({ sledId, spdmPort, rackId });

describe('PeerTable', () => {
  it('adds, refreshes, updates on a new address or port, and expires by the clock', () => {
    const t = new PeerTable(1000);
    expect(t.observe(ann('sled-2'), '10.0.0.2', 0).kind).toBe('add');
    expect(t.observe(ann('sled-2'), '10.0.0.2', 500).kind).toBe('refresh');
    const u = t.observe(ann('sled-2', 5000), '10.0.0.2', 600);
    expect(u.kind).toBe('update');
    if (u.kind === 'update') expect(u.previous.port).toBe(4194);
    expect(t.observe(ann('sled-3'), '10.0.0.3', 700).kind).toBe('add');
    expect(t.list().map((p) => [p.sledId, p.host, p.port, p.firstSeen, p.lastSeen])).toEqual([
      ['sled-2', '10.0.0.2', 5000, 0, 600],
      ['sled-3', '10.0.0.3', 4194, 700, 700],
    ]);
    expect(t.expire(1600)).toEqual([]);
    expect(t.expire(1601).map((p) => p.sledId)).toEqual(['sled-2']);
    expect(t.expire(1701).map((p) => p.sledId)).toEqual(['sled-3']);
    expect(t.size).toBe(0);
  });

  it('stops growing at MAX_PEERS but keeps refreshing known peers', () => {
    const t = new PeerTable(1000);
    for (let i = 0; i < MAX_PEERS; i++) t.observe(ann(`s${i}`), '10.0.0.1', 0);
    expect(t.observe(ann('one-more'), '10.0.0.1', 1).kind).toBe('full');
    expect(t.observe(ann('s0'), '10.0.0.1', 1).kind).toBe('refresh');
    expect(t.size).toBe(MAX_PEERS);
  });
});

describe('mergeCandidates', () => {
  it('lists static peers first, then discovered ones, one entry per address', () => {
    const t = new PeerTable(1000);
    t.observe(ann('sled-2', 4201), '127.0.0.1', 5);
    t.observe(ann('sled-3', 4202, '0123abcd-0000-4000-8000-00000000beef'), '127.0.0.1', 6);
    const c = mergeCandidates(
      [
        { host: '127.0.0.1', port: 4202 },
        { host: '::1', port: 4203 },
        { host: '127.0.0.1', port: 4202 },
      ],
      t.list(),
    );
    expect(c).toEqual([
      {
        host: '127.0.0.1',
        port: 4202,
        sledId: 'sled-3',
        source: 'both',
        rackId: '0123abcd-0000-4000-8000-00000000beef',
        lastSeen: 6,
      },
      { host: '::1', port: 4203, sledId: null, source: 'static', rackId: null, lastSeen: null },
      { host: '127.0.0.1', port: 4201, sledId: 'sled-2', source: 'multicast', rackId: null, lastSeen: 5 },
    ]);
  });
});
