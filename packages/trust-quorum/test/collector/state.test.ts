/**
 * CollectionState, the collector's sans-I/O bookkeeping, driven with explicit times: due
 * order, backoff scheduling, cancellation, exclusion and the "threshold out of reach" rule
 * with and without a known own sled id.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CollectionState, resolveBackoff } from '../../src/collector/index.js';
import { TrustQuorumError } from '../../src/errors.js';
import type { Ledger } from '../../src/ledger/index.js';
import { Share } from '../../src/rack-secret/index.js';
import { makeLedgers, makePki } from '../helpers/rack-fixture.js';

let ledgers: Ledger[];
beforeAll(async () => {
  ledgers = makeLedgers(await makePki(5), 3, '5a5a5a5a-0000-4000-8000-000000000002');
});

const backoff = resolveBackoff({ baseMs: 100, maxMs: 400, jitter: 0 });
const shareOf = (i: number) => ({ share: new Share(i, ledgers[i - 1]!.share.expose()), sledId: `sled-${i}` });
const refused = (i: number) => new TrustQuorumError('NotAMember', 'refused', { sender: `sled-${i}` });

describe('CollectionState', () => {
  it('holds the own share from the start and reports peers due in waiting order', () => {
    const s = new CollectionState({ ledger: ledgers[0]!, backoff, selfLabel: 'sled-1' });
    expect(s.progress()).toMatchObject({ held: 1, needed: 3, heldFrom: ['sled-1'], peers: [] });
    s.addPeer('a', 10);
    s.addPeer('b', 5);
    expect(s.addPeer('a', 0)).toBe(false);
    expect(s.due(4)).toEqual([]);
    expect(s.due(10)).toEqual(['b', 'a']);
    expect(s.nextDueAt()).toBe(5);
  });

  it('backs a retryable failure off exponentially; a share resets nothing but the state', () => {
    const s = new CollectionState({ ledger: ledgers[0]!, backoff });
    s.addPeer('a', 0);
    for (const [t, next] of [
      [0, 100],
      [100, 300],
      [300, 700],
      [700, 1100],
    ] as const) {
      s.startAttempt('a');
      expect(s.onFailure('a', new TrustQuorumError('Busy', 'busy'), t).kind).toBe('retryable');
      expect(s.nextDueAt()).toBe(next);
    }
    expect(() => s.startAttempt('nope')).toThrow(RangeError);
    s.startAttempt('a');
    expect(() => s.startAttempt('a')).toThrow(RangeError);
    s.onCancelled('a', 2000);
    expect(s.due(2000)).toEqual(['a']);
    expect(s.progress().peers[0]).toMatchObject({
      attempts: 5,
      state: 'waiting',
      lastError: { code: 'Busy' },
    });
    s.startAttempt('a');
    expect(s.onShare('a', shareOf(2), 2100)).toBe('accepted');
    expect(s.progress().peers[0]).toMatchObject({ state: 'held', sledId: 'sled-2', nextAttemptAt: null });
  });

  it('threshold out of reach: members held + not excluded < k (own id known)', () => {
    const s = new CollectionState({ ledger: ledgers[0]!, backoff, selfLabel: 'sled-1' });
    for (const p of ['a', 'b', 'c']) s.addPeer(p, 0);
    s.startAttempt('a');
    s.onFailure('a', refused(2), 0);
    s.startAttempt('b');
    s.onFailure('b', refused(3), 0);
    expect(s.unreachable).toBe(false); // sled-1 held, sled-4 and sled-5 possible: 3
    s.startAttempt('c');
    s.onFailure('c', refused(4), 0);
    expect(s.unreachable).toBe(true);
    expect(s.progress().excluded.map((x) => x.sledId)).toEqual(['sled-2', 'sled-3', 'sled-4']);
  });

  it('threshold out of reach with an anonymous own label counts the own member once', () => {
    const s = new CollectionState({ ledger: ledgers[0]!, backoff });
    for (const p of ['a', 'b', 'c']) s.addPeer(p, 0);
    s.startAttempt('a');
    s.onFailure('a', refused(2), 0);
    s.startAttempt('b');
    s.onFailure('b', refused(3), 0);
    expect(s.unreachable).toBe(false);
    s.startAttempt('c');
    s.onFailure('c', refused(4), 0);
    expect(s.unreachable).toBe(true);
  });

  it('a failure without a member name never excludes anybody', () => {
    const s = new CollectionState({ ledger: ledgers[0]!, backoff });
    s.addPeer('a', 0);
    s.startAttempt('a');
    expect(s.onFailure('a', new TrustQuorumError('NotAMember', 'responder is not a member'), 0).kind).toBe(
      'permanent',
    );
    expect(s.progress().excluded).toEqual([]);
    expect(s.progress().peers[0]!.state).toBe('failed');
  });

  it('refuses a share from an excluded member even through another address', () => {
    const s = new CollectionState({ ledger: ledgers[0]!, backoff });
    s.addPeer('a', 0);
    s.addPeer('b', 0);
    s.startAttempt('a');
    s.onFailure('a', refused(2), 0);
    s.startAttempt('b');
    const f = shareOf(2);
    expect(s.onShare('b', f, 0)).toBe('rejected');
    expect(f.share.isZeroed).toBe(true);
    expect(s.progress().peers[1]).toMatchObject({ state: 'failed', lastError: { code: 'Excluded' } });
  });

  it("zeroReceived zeroes the peers' shares, never the own one", () => {
    const s = new CollectionState({ ledger: ledgers[0]!, backoff });
    s.addPeer('a', 0);
    s.startAttempt('a');
    const f = shareOf(3);
    s.onShare('a', f, 0);
    expect(s.shares().map((x) => x.x)).toEqual([1, 3]);
    s.zeroReceived();
    expect(f.share.isZeroed).toBe(true);
    expect(ledgers[0]!.share.isZeroed).toBe(false);
  });
});
