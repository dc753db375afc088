/** Token buckets per peer with an injected clock: burst, refill, independence, bounded table. */
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/server/rate-limit.js';

describe('RateLimiter', () => {
  it('allows a burst, then refills at the configured rate', () => {
    let now = 1_000_000;
    const rl = new RateLimiter({ burst: 3, perSecond: 2, now: () => now });
    expect([rl.take('a'), rl.take('a'), rl.take('a'), rl.take('a')]).toEqual([true, true, true, false]);
    now += 499;
    expect(rl.take('a')).toBe(false);
    now += 1; // 500 ms at 2/s: one token
    expect(rl.take('a')).toBe(true);
    expect(rl.take('a')).toBe(false);
    now += 10_000; // never more than the burst
    expect([rl.take('a'), rl.take('a'), rl.take('a'), rl.take('a')]).toEqual([true, true, true, false]);
  });

  it('keeps peers apart', () => {
    const now = 0;
    const rl = new RateLimiter({ burst: 1, perSecond: 1, now: () => now });
    expect(rl.take('a')).toBe(true);
    expect(rl.take('a')).toBe(false);
    expect(rl.take('b')).toBe(true);
  });

  it('refusals do not consume: a peer hammering an empty bucket still refills', () => {
    let now = 0;
    const rl = new RateLimiter({ burst: 1, perSecond: 1, now: () => now });
    rl.take('a');
    for (let i = 0; i < 10; i++) {
      now += 50;
      expect(rl.take('a')).toBe(false);
    }
    now += 500;
    expect(rl.take('a')).toBe(true);
  });

  it('bounds its table, dropping full buckets (same as absent) before the oldest', () => {
    let now = 0;
    const rl = new RateLimiter({ burst: 2, perSecond: 1, maxPeers: 3, now: () => now });
    rl.take('idle'); // oldest entry; refills to full below
    now = 5000;
    rl.take('hot');
    rl.take('hot'); // exhausted
    rl.take('c');
    expect(rl.size).toBe(3);
    rl.take('d'); // 4 > 3: 'idle' is full and goes, 'hot' stays exhausted
    expect(rl.size).toBe(3);
    expect(rl.take('hot')).toBe(false);
    for (let i = 0; i < 50; i++) rl.take(`p${i}`);
    expect(rl.size).toBeLessThanOrEqual(3);
  });

  it('rejects bad settings', () => {
    expect(() => new RateLimiter({ burst: 0 })).toThrow(RangeError);
    expect(() => new RateLimiter({ burst: 1.5 })).toThrow(RangeError);
    expect(() => new RateLimiter({ perSecond: 0 })).toThrow(RangeError);
    expect(() => new RateLimiter({ perSecond: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => new RateLimiter({ maxPeers: 0 })).toThrow(RangeError);
  });
});
