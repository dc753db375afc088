/** Backoff: exponential growth, cap, jitter bounds, validation; failure classification. */
import { SpdmError } from '@trust-quorum/spdm/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, classifyFailure, resolveBackoff } from '../../src/collector/index.js';
import { TrustQuorumError, type TrustQuorumErrorCode } from '../../src/errors.js';

describe('backoffDelay', () => {
  it('doubles from base up to max without jitter', () => {
    const b = resolveBackoff({ baseMs: 100, maxMs: 1000, jitter: 0 });
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => backoffDelay(b, n))).toEqual([
      100, 200, 400, 800, 1000, 1000, 1000,
    ]);
  });

  it('with jitter j stays in [d(1-j), d], reaching both ends', () => {
    const b = resolveBackoff({ baseMs: 100, maxMs: 1000, jitter: 0.5 });
    expect(backoffDelay(b, 3, () => 0)).toBe(400);
    expect(backoffDelay(b, 3, () => 0.999999)).toBe(200);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, r) => {
          const d = Math.min(1000, 100 * 2 ** Math.min(n - 1, 30));
          const got = backoffDelay(b, n, () => r);
          expect(got).toBeGreaterThanOrEqual(Math.floor(d / 2));
          expect(got).toBeLessThanOrEqual(d);
        },
      ),
    );
  });

  it('defaults and validation', () => {
    expect(resolveBackoff()).toEqual({ baseMs: 250, maxMs: 10_000, jitter: 0.5 });
    expect(resolveBackoff({ baseMs: 20_000 }).maxMs).toBe(20_000);
    expect(() => resolveBackoff({ baseMs: -1 })).toThrow(RangeError);
    expect(() => resolveBackoff({ baseMs: 100, maxMs: 50 })).toThrow(RangeError);
    expect(() => resolveBackoff({ jitter: 1.5 })).toThrow(RangeError);
    expect(() => resolveBackoff({ jitter: Number.NaN })).toThrow(RangeError);
  });
});

describe('classifyFailure', () => {
  const tq = (code: TrustQuorumErrorCode, sender?: string) =>
    classifyFailure(new TrustQuorumError(code, `m ${code}`, sender ? { sender } : {}));

  it('retryable: unreachable, timeout, busy, booting peer, peer-side failure, transport', () => {
    for (const c of ['Unreachable', 'Timeout', 'Busy', 'NotInitialized', 'Peer'] as const) {
      expect(tq(c).kind, c).toBe('retryable');
    }
    for (const c of ['Transport', 'Timeout', 'Closed', 'Busy', 'SessionError', 'Aborted'] as const) {
      expect(classifyFailure(new SpdmError(c, 'x')).kind, c).toBe('retryable');
    }
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(classifyFailure(refused)).toEqual({
      kind: 'retryable',
      code: 'ECONNREFUSED',
      message: 'connect ECONNREFUSED',
    });
    expect(classifyFailure('weird')).toMatchObject({ kind: 'retryable', code: 'Internal' });
  });

  it('permanent: other rack or epoch, not a member, bad share or message, bad SPDM identity', () => {
    for (const c of [
      'RackMismatch',
      'EpochMismatch',
      'NotAMember',
      'InvalidShare',
      'InvalidMessage',
    ] as const) {
      expect(tq(c).kind, c).toBe('permanent');
    }
    for (const c of ['InvalidCertificate', 'VerifyFailed', 'VersionMismatch', 'NegotiationFailed'] as const) {
      expect(classifyFailure(new SpdmError(c, 'x')).kind, c).toBe('permanent');
    }
  });

  it('keeps the sender as the member the failure is about', () => {
    expect(tq('RackMismatch', 'sled-4')).toEqual({
      kind: 'permanent',
      code: 'RackMismatch',
      message: 'm RackMismatch',
      sledId: 'sled-4',
    });
  });
});
