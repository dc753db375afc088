import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { AEAD_SUITE, aeadInfo, BASE_HASH_ALGO, hashInfo } from '../../src/crypto/algorithms.js';
import { KeySchedule } from '../../src/crypto/key-schedule.js';
import { SecuredSession } from '../../src/session/secured-session.js';
import { TCP_SECURED_PARAMS } from '../../src/transport/secured-params.js';

/** A requester/responder pair sharing one (random) DHE secret and TH1, established. */
function pair(maxSequenceNumber?: bigint): [SecuredSession, SecuredSession] {
  const secret = randomBytes(32);
  const th1 = randomBytes(32);
  const th2 = randomBytes(32);
  const make = (role: 'requester' | 'responder') => {
    const ks = KeySchedule.fromDheSecret(
      { hash: hashInfo(BASE_HASH_ALGO.SHA_256), aead: aeadInfo(AEAD_SUITE.AES_256_GCM), version: 0x13 },
      secret,
    );
    ks.deriveHandshakeSecrets(th1);
    const s = new SecuredSession({
      role,
      sessionId: 0xfffffffe,
      params: TCP_SECURED_PARAMS,
      keySchedule: ks,
      maxSequenceNumber,
    });
    return s;
  };
  const q = make('requester');
  const r = make('responder');
  expect(q.phase).toBe('handshake');
  const finish = q.sealSpdm(Uint8Array.of(0x13, 0xe5, 0, 0));
  expect(r.open(finish)).toMatchObject({ kind: 'spdm' });
  for (const s of [q, r]) {
    s.keySchedule.deriveDataSecrets(th2);
    s.switchToDataKeys();
    expect(s.phase).toBe('established');
    expect(s.keySchedule.has('handshakeSecret')).toBe(false);
  }
  return [q, r];
}

const data = (s: string) => new Uint8Array(Buffer.from(s));

describe('SecuredSession', () => {
  it('carries SPDM messages and application messages both ways', () => {
    const [q, r] = pair();
    const m = r.open(q.sealApp('data', data('hello')));
    expect(m.kind === 'data' && Buffer.from(m.payload).toString()).toBe('hello');
    expect(q.open(r.sealApp('end'))).toMatchObject({ kind: 'end' });
    const spdm = q.open(r.sealSpdm(Uint8Array.of(0x13, 0x68, 0, 0)));
    expect(spdm.kind === 'spdm' && toHex(spdm.message)).toBe('13680000');
  });

  it('a replayed record does not open and does not move the counter', () => {
    const [q, r] = pair();
    const rec = q.sealApp('data', data('once'));
    r.open(rec);
    expect(() => r.open(rec)).toThrow(expect.objectContaining({ code: 'VerifyFailed' }));
    expect(r.open(q.sealApp('data', data('next')))).toMatchObject({ kind: 'data' });
  });

  it('a peer key update: old-key records still open until the first new-key record commits it', () => {
    const [q, r] = pair();
    r.expectPeerKeyUpdate();
    expect(r.open(q.sealApp('data', data('old')))).toMatchObject({ kind: 'data' });
    const stale = q.sealApp('data', data('stale'));
    q.updateSendKey();
    expect(q.sendSequenceNumber).toBe(0n);
    expect(r.open(q.sealApp('data', data('new')))).toMatchObject({ kind: 'data' });
    expect(r.peerKeyUpdated).toBe(true);
    expect(r.peerKeyUpdatePending).toBe(false);
    expect(() => r.open(stale)).toThrow(expect.objectContaining({ code: 'VerifyFailed' }));
  });

  it('a cancelled peer update derives nothing, so later updates stay in step', () => {
    const [q, r] = pair();
    q.expectPeerKeyUpdate();
    expect(q.open(r.sealApp('data', data('still old')))).toMatchObject({ kind: 'data' });
    q.cancelPeerKeyUpdate();
    q.expectPeerKeyUpdate();
    r.updateSendKey();
    expect(q.open(r.sealApp('data', data('new')))).toMatchObject({ kind: 'data' });
    expect(q.peerKeyUpdated).toBe(true);
  });

  it('stops at the sequence limit instead of wrapping', () => {
    const [q, r] = pair(1n);
    r.open(q.sealApp('data', data('0')));
    r.open(q.sealApp('data', data('1')));
    expect(() => q.sealApp('data', data('2'))).toThrow(expect.objectContaining({ code: 'SequenceOverflow' }));
  });

  it('destroy zeroes everything; nothing secret is printed', () => {
    const [q] = pair();
    expect(inspect(q)).not.toMatch(/key|[0-9a-f]{32}/i);
    expect(JSON.stringify(q)).toBe('{"role":"requester","sessionId":4294967294,"phase":"established"}');
    q.destroy();
    expect(q.phase).toBe('ended');
    expect(() => q.sealApp('data', data('x'))).toThrow(RangeError);
    expect(q.keySchedule.has('requestDataSecret')).toBe(false);
  });
});
