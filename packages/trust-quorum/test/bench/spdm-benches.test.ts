/**
 * The SPDM benchmarks (bench/spdm-session.ts, spdm-throughput.ts, rack-unlock.ts) run for real
 * on loopback, once each and without any wall-clock threshold: an echo session that reuses the
 * chain cache, a transfer that delivers every byte, a rack of 4 sleds unlocking one sled and all
 * of them (each recovered secret is checked against genConfig's fingerprint inside), and the
 * registry now holding all three.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { isPending } from '../../../../bench/lib/benchmark.js';
import { disposeBenchPkis } from '../../../../bench/lib/pki-fixture.js';
import { BENCH_SUITES } from '../../../../bench/lib/suites.js';
import { measureRackUnlock, thresholdOf } from '../../../../bench/rack-unlock.js';
import { BENCHMARKS, select } from '../../../../bench/run.js';
import { prefsOf, startSpdmServer } from '../../../../bench/spdm-session.js';
import { LARGE_MESSAGE_SIZE, openSpdmPair } from '../../../../bench/spdm-throughput.js';
import { transfer } from '../../../../bench/throughput.js';

afterAll(() => disposeBenchPkis());

describe('SPDM benchmarks', () => {
  it('registers spdm-session, spdm-throughput and rack-unlock, none pending', () => {
    const names = ['spdm-session', 'spdm-throughput', 'rack-unlock'];
    for (const n of names) {
      const b = BENCHMARKS.find((e) => e.name === n);
      expect(b && !isPending(b), n).toBe(true);
    }
    expect(select(names).map((b) => b.name)).toEqual(names);
  });

  it('prefsOf names exactly the suite to negotiate', () => {
    const p = prefsOf(BENCH_SUITES.p384.spdm);
    expect(p.baseHash).toEqual([BENCH_SUITES.p384.spdm.hash.bit]);
    expect(p.dhe).toEqual([BENCH_SUITES.p384.spdm.dhe!.bit]);
    expect(p.aead).toEqual([BENCH_SUITES.p384.spdm.aead!.bit]);
  });

  it('an SPDM echo session completes, again and again (chain from the cache)', async () => {
    const server = await startSpdmServer('p256');
    try {
      for (let i = 0; i < 3; i++) await server.session();
      await Promise.all([server.session(), server.session()]);
    } finally {
      await server.close();
    }
  });

  it('bulk transfers over a session deliver every byte, default and large records', async () => {
    for (const size of [undefined, LARGE_MESSAGE_SIZE]) {
      const pair = await openSpdmPair('p256', size);
      try {
        const mbs = await transfer(pair, 3 * 65536 + 1234);
        expect(mbs).toBeGreaterThan(0);
        expect(Number.isFinite(mbs)).toBe(true);
      } finally {
        await pair.close();
      }
    }
  });

  it('a rack of 4 (k = 3) unlocks one restarting sled and all of them', async () => {
    expect([4, 8, 16, 32, 64].map(thresholdOf)).toEqual([3, 5, 9, 17, 33]);
    const one = await measureRackUnlock(4, 'one', 2);
    const all = await measureRackUnlock(4, 'all', 1);
    for (const t of [...one, ...all]) expect(t).toBeGreaterThan(0);
    expect(one).toHaveLength(2);
    expect(all).toHaveLength(1);
  });
});
