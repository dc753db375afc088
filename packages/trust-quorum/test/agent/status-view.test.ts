/**
 * The pure pieces of the agent: which addresses are this sled's own listener (isSelfAddress),
 * and the peers part of the status (candidates joined with the collector's progress and the
 * last error per peer; a collector peer that is no longer a candidate is kept unless it is us).
 */
import { describe, expect, it } from 'vitest';
import { isSelfAddress } from '../../src/agent/self.js';
import { peerStatuses } from '../../src/agent/status-view.js';
import type { CollectProgress } from '../../src/collector/state.js';
import type { PeerCandidate } from '../../src/discovery/peer-table.js';

describe('isSelfAddress', () => {
  const bound = { host: '127.0.0.1', port: 4194 };
  it('matches our host and port only', () => {
    expect(isSelfAddress({ host: '127.0.0.1', port: 4194 }, bound)).toBe(true);
    expect(isSelfAddress({ host: '::ffff:127.0.0.1', port: 4194 }, bound)).toBe(true);
    expect(isSelfAddress({ host: '127.0.0.1', port: 4195 }, bound)).toBe(false);
    expect(isSelfAddress({ host: '192.0.2.1', port: 4194 }, bound)).toBe(false);
    // A host name is left to the certificate check.
    expect(isSelfAddress({ host: 'localhost', port: 4194 }, bound)).toBe(false);
  });

  it('with a wildcard listener, matches this machine addresses', () => {
    const any = { host: '0.0.0.0', port: 4194 };
    expect(isSelfAddress({ host: '127.0.0.1', port: 4194 }, any)).toBe(true);
    expect(isSelfAddress({ host: '::1', port: 4194 }, { host: '::', port: 4194 })).toBe(true);
    expect(isSelfAddress({ host: '192.0.2.1', port: 4194 }, any)).toBe(false);
    expect(isSelfAddress({ host: '127.0.0.1', port: 1 }, any)).toBe(false);
  });
});

describe('peerStatuses', () => {
  const candidate = (host: string, port: number, extra: Partial<PeerCandidate> = {}): PeerCandidate => ({
    host,
    port,
    sledId: null,
    source: 'static',
    rackId: null,
    lastSeen: null,
    ...extra,
  });

  it('joins candidates with collection progress and errors', () => {
    const progress: CollectProgress = {
      held: 2,
      needed: 3,
      heldFrom: ['sled-1', 'sled-2'],
      excluded: [],
      peers: [
        {
          peer: '10.0.0.2:4194',
          sledId: 'sled-2',
          state: 'held',
          attempts: 1,
          lastError: null,
          nextAttemptAt: null,
        },
        {
          peer: '10.0.0.3:4194',
          sledId: null,
          state: 'waiting',
          attempts: 2,
          lastError: { kind: 'retryable', code: 'Transport', message: 'refused' },
          nextAttemptAt: 5,
        },
        {
          peer: '10.0.0.9:4194',
          sledId: 'sled-9',
          state: 'failed',
          attempts: 1,
          lastError: null,
          nextAttemptAt: null,
        },
        {
          peer: 'localhost:4194',
          sledId: null,
          state: 'failed',
          attempts: 1,
          lastError: null,
          nextAttemptAt: null,
        },
      ],
    };
    const errors = new Map([
      ['10.0.0.3:4194', { reason: 'Transport', message: 'refused', at: '2026-01-01T00:00:00.000Z' }],
    ]);
    const out = peerStatuses({
      candidates: [
        candidate('10.0.0.2', 4194),
        candidate('10.0.0.3', 4194, { sledId: 'sled-3', source: 'multicast', lastSeen: 0 }),
        candidate('fe80::1', 4194),
      ],
      progress,
      errors,
      isSelf: (key) => key === 'localhost:4194',
    });
    expect(out).toEqual([
      {
        sledId: 'sled-2',
        address: '10.0.0.2:4194',
        source: 'static',
        shareReceived: true,
        lastError: null,
        lastSeen: null,
      },
      {
        sledId: 'sled-3',
        address: '10.0.0.3:4194',
        source: 'multicast',
        shareReceived: false,
        lastError: errors.get('10.0.0.3:4194'),
        lastSeen: '1970-01-01T00:00:00.000Z',
      },
      {
        sledId: null,
        address: '[fe80::1]:4194',
        source: 'static',
        shareReceived: false,
        lastError: null,
        lastSeen: null,
      },
      {
        sledId: 'sled-9',
        address: '10.0.0.9:4194',
        source: 'multicast',
        shareReceived: false,
        lastError: null,
        lastSeen: null,
      },
    ]);
  });

  it('lists candidates without progress', () => {
    expect(
      peerStatuses({
        candidates: [candidate('10.0.0.2', 1)],
        progress: null,
        errors: new Map(),
        isSelf: () => false,
      }),
    ).toEqual([
      {
        sledId: null,
        address: '10.0.0.2:1',
        source: 'static',
        shareReceived: false,
        lastError: null,
        lastSeen: null,
      },
    ]);
  });
});
