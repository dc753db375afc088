/**
 * The share server's sans-I/O core: every refusal and the one success, in the documented
 * order, with real certificates and ledgers from a real split.
 */
import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/ledger/index.js';
import type { ShareProtocolMessage } from '../../src/protocol/index.js';
import { verifyShare } from '../../src/rack-secret/index.js';
import { answer, requesterMember, type SharePeer } from '../../src/server/answer.js';
import { makeLedgers, makePki, type TestPki } from '../helpers/rack-fixture.js';

const RACK = '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab';
const OTHER_RACK = '00000000-1111-4222-8333-444444444444';
let pki: TestPki;
let outsider: TestPki;
let ledgers: Ledger[];

function peerOf(certPem: string): SharePeer {
  const c = new X509Certificate(certPem);
  return { leafCertificateDer: new Uint8Array(c.raw), subject: c.subject.replaceAll('\n', ', ') };
}

beforeAll(async () => {
  pki = await makePki(4);
  outsider = await makePki(1, 'other');
  ledgers = makeLedgers(pki, 3, RACK, 2);
});

const get = (rackId = RACK, epoch = 2): ShareProtocolMessage => ({ type: 'GetShare', rackId, epoch });

describe('answer', () => {
  it('serves the ledger share to a member asking for the right rack and epoch', () => {
    const ledger = ledgers[0]!;
    const r = answer(get(), { ledger, peer: peerOf(pki.sleds[2]!.certPem) });
    expect(r.type).toBe('Share');
    if (r.type !== 'Share') return;
    expect(r.share).toBe(ledger.share);
    expect([r.rackId, r.epoch, r.share.x]).toEqual([RACK, 2, 1]);
    expect(verifyShare(r.share, ledger.commitments)).toBe(true);
  });

  it('NotInitialized without a ledger, whoever asks', () => {
    expect(answer(get(), { ledger: null, peer: peerOf(pki.sleds[1]!.certPem) })).toEqual({
      type: 'Error',
      code: 'NotInitialized',
    });
  });

  it('NotAMember for a certificate outside the member list, even with the right rack and epoch', () => {
    const ctx = { ledger: ledgers[0]!, peer: peerOf(outsider.sleds[0]!.certPem) };
    expect(requesterMember(ctx)).toBeNull();
    expect(answer(get(), ctx)).toEqual({ type: 'Error', code: 'NotAMember' });
    // Checked first: a non-member does not learn whether the rack or epoch is right.
    expect(answer(get(OTHER_RACK, 9), ctx)).toEqual({ type: 'Error', code: 'NotAMember' });
  });

  it('NotAMember when only the subject matches (the certificate bytes decide)', () => {
    const same = peerOf(pki.sleds[1]!.certPem);
    const forged = {
      ...same,
      leafCertificateDer: new Uint8Array(peerOf(outsider.sleds[0]!.certPem).leafCertificateDer),
    };
    expect(answer(get(), { ledger: ledgers[0]!, peer: forged })).toEqual({
      type: 'Error',
      code: 'NotAMember',
    });
  });

  it('RackMismatch, then EpochMismatch, for a member', () => {
    const ctx = { ledger: ledgers[0]!, peer: peerOf(pki.sleds[3]!.certPem) };
    expect(requesterMember(ctx)?.sledId).toBe('sled-4');
    expect(answer(get(OTHER_RACK, 2), ctx)).toEqual({ type: 'Error', code: 'RackMismatch' });
    expect(answer(get(OTHER_RACK, 3), ctx)).toEqual({ type: 'Error', code: 'RackMismatch' });
    expect(answer(get(RACK, 1), ctx)).toEqual({ type: 'Error', code: 'EpochMismatch' });
    expect(answer(get(RACK, 0), ctx)).toEqual({ type: 'Error', code: 'EpochMismatch' });
  });

  it('BadRequest for responses sent as requests, Unsupported for rack-init requests', () => {
    const ctx = { ledger: ledgers[0]!, peer: peerOf(pki.sleds[1]!.certPem) };
    const bad: ShareProtocolMessage[] = [
      { type: 'Share', rackId: RACK, epoch: 2, share: ledgers[1]!.share },
      { type: 'Error', code: 'Busy' },
      { type: 'PrepareAck', rackId: RACK, epoch: 2 },
      { type: 'CommitAck', rackId: RACK, epoch: 2 },
    ];
    for (const m of bad) expect(answer(m, ctx)).toEqual({ type: 'Error', code: 'BadRequest' });
    expect(answer({ type: 'Commit', rackId: RACK, epoch: 2 }, ctx)).toEqual({
      type: 'Error',
      code: 'Unsupported',
    });
  });
});
