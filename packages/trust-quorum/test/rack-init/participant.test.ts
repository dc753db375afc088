/**
 * The sled's side of rack init, its decisions driven directly (no network): Prepare kept aside
 * and never adopted before Commit, the ledger must name this sled, Commit only on the session
 * that prepared, a session ending without Commit drops the prepare, a newer Prepare replaces
 * it, re-runs of the same configuration are acknowledged and others refused, refusals when not
 * awaiting init or while committing, and a failed write answered Internal.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Ledger, type LedgerBody, ledgerChecksum, parseLedger } from '../../src/ledger/index.js';
import { LedgerBytes } from '../../src/protocol/rack-init.js';
import { type RackInitHost, RackInitParticipant } from '../../src/rack-init/participant.js';
import { disposeRack, makeOtherRack, makeRack, type TestRack } from '../helpers/spdm-rack.js';

let rack: TestRack;
/** Ledger file text per sled id, as `tq rack gen-config` wrote it. */
const texts = new Map<string, string>();

beforeAll(async () => {
  rack = await makeRack(3, 2);
  for (const s of rack.sleds) {
    texts.set(s.sledId, await readFile(join(rack.dir, 'ledgers', s.sledId, 'ledger.json'), 'utf8'));
  }
});

afterAll(async () => {
  await disposeRack(rack);
});

interface FakeHost extends RackInitHost {
  accepting: boolean;
  current: Ledger | null;
  commits: Ledger[];
  failWrite: boolean;
}

/** sled-1's host: commit "writes" by keeping a copy (the real write is the agent's). */
function hostOf(sledId = 'sled-1'): FakeHost {
  const sled = rack.sleds.find((s) => s.sledId === sledId)!;
  const host: FakeHost = {
    sledId,
    leafDer: sled.identity.leafDer,
    accepting: true,
    current: null,
    commits: [],
    failWrite: false,
    acceptsInit: () => host.accepting,
    ledger: () => host.current,
    commit: async (prepared) => {
      if (host.failWrite) throw new Error('disk full');
      const written = prepared.withGeneration(prepared.generation + 1);
      host.commits.push(written);
      host.current = written;
      host.accepting = false;
      return written;
    },
  };
  return host;
}

const prepare = (sledId: string) => ({
  type: 'Prepare' as const,
  ledger: new LedgerBytes(Buffer.from(texts.get(sledId)!)),
});
const commit = (rackId = rack.rackId, epoch = 1) => ({ type: 'Commit' as const, rackId, epoch });

describe('RackInitParticipant', () => {
  it('keeps a Prepare aside and adopts it only on Commit of the same session', async () => {
    const host = hostOf();
    const p = new RackInitParticipant({ host });
    const s1 = {};
    const r = p.prepare(s1, prepare('sled-1'));
    expect(r.response).toEqual({ type: 'PrepareAck', rackId: rack.rackId, epoch: 1 });
    expect(p.prepared).toEqual({ rackId: rack.rackId, epoch: 1 });
    expect(host.commits).toHaveLength(0);
    expect(host.current).toBeNull();
    // Another session cannot commit it.
    expect((await p.commit({}, commit())).response).toEqual({ type: 'Error', code: 'NotInitialized' });
    expect((await p.commit(s1, commit(rack.rackId, 2))).response).toEqual({
      type: 'Error',
      code: 'EpochMismatch',
    });
    const c = await p.commit(s1, commit());
    expect(c.response).toEqual({ type: 'CommitAck', rackId: rack.rackId, epoch: 1 });
    expect(host.commits).toHaveLength(1);
    expect(host.commits[0]!.share.x).toBe(1);
    expect(p.prepared).toBeNull();
  });

  it('drops the prepare when its session ends without Commit', async () => {
    const host = hostOf();
    const p = new RackInitParticipant({ host });
    const s1 = {};
    p.prepare(s1, prepare('sled-1'));
    p.sessionEnded({}); // another session: no effect
    expect(p.prepared).not.toBeNull();
    p.sessionEnded(s1);
    expect(p.prepared).toBeNull();
    expect((await p.commit(s1, commit())).response).toEqual({ type: 'Error', code: 'NotInitialized' });
    expect(host.commits).toHaveLength(0);
  });

  it('a newer Prepare replaces the older one', async () => {
    const [other] = await makeOtherRack(rack, ['sled-1', 'sled-2'], 2, 'replace');
    const otherText = await readFile(join(rack.dir, 'replace-ledgers', 'sled-1', 'ledger.json'), 'utf8');
    const host = hostOf();
    const p = new RackInitParticipant({ host });
    const s1 = {};
    const s2 = {};
    p.prepare(s1, prepare('sled-1'));
    p.prepare(s2, { type: 'Prepare', ledger: new LedgerBytes(Buffer.from(otherText)) });
    expect(p.prepared?.rackId).toBe(other!.rackId);
    expect((await p.commit(s1, commit())).response).toEqual({ type: 'Error', code: 'NotInitialized' });
    expect((await p.commit(s2, commit(other!.rackId))).response.type).toBe('CommitAck');
    other!.zero();
  });

  it('refuses a ledger that does not name this sled, and one that does not parse', () => {
    const p = new RackInitParticipant({ host: hostOf('sled-1') });
    expect(p.prepare({}, prepare('sled-2')).response).toEqual({ type: 'Error', code: 'NotAMember' });
    const bad = texts.get('sled-1')!.replace(/"epoch": 1/, '"epoch": 2');
    expect(p.prepare({}, { type: 'Prepare', ledger: new LedgerBytes(Buffer.from(bad)) })).toMatchObject({
      response: { type: 'Error', code: 'BadRequest' },
      note: expect.stringMatching(/checksum/),
    });
    expect(
      p.prepare({}, { type: 'Prepare', ledger: new LedgerBytes(new Uint8Array([1, 2, 3])) }).response,
    ).toEqual({
      type: 'Error',
      code: 'BadRequest',
    });
    expect(p.prepared).toBeNull();
  });

  it('refuses when the sled does not await rack init, and while a commit is written', async () => {
    const host = hostOf();
    host.accepting = false;
    const p = new RackInitParticipant({ host });
    expect(p.prepare({}, prepare('sled-1')).response).toEqual({ type: 'Error', code: 'Unsupported' });

    const slow = hostOf();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const realCommit = slow.commit;
    slow.commit = async (l) => {
      await gate;
      return realCommit(l);
    };
    const q = new RackInitParticipant({ host: slow });
    const s = {};
    q.prepare(s, prepare('sled-1'));
    const pending = q.commit(s, commit());
    expect(q.prepare({}, prepare('sled-1')).response).toEqual({ type: 'Error', code: 'Busy' });
    release();
    expect((await pending).response.type).toBe('CommitAck');
  });

  it('answers Internal when the ledger cannot be written, and keeps nothing', async () => {
    const host = hostOf();
    host.failWrite = true;
    const p = new RackInitParticipant({ host });
    const s = {};
    p.prepare(s, prepare('sled-1'));
    const r = await p.commit(s, commit());
    expect(r).toMatchObject({
      response: { type: 'Error', code: 'Internal' },
      note: expect.stringMatching(/disk full/),
    });
    expect(p.prepared).toBeNull();
    expect(host.current).toBeNull();
  });

  it('re-running: the same configuration is acknowledged without change, another is refused', async () => {
    const host = hostOf();
    host.current = parseLedger(texts.get('sled-1')!, 'current');
    host.accepting = false;
    const p = new RackInitParticipant({ host });
    const s = {};
    expect(p.prepare(s, prepare('sled-1')).response).toEqual({
      type: 'PrepareAck',
      rackId: rack.rackId,
      epoch: 1,
    });
    expect(p.prepared).toBeNull();
    expect((await p.commit(s, commit())).response).toEqual({
      type: 'CommitAck',
      rackId: rack.rackId,
      epoch: 1,
    });
    expect(host.commits).toHaveLength(0);
    await makeOtherRack(rack, ['sled-1', 'sled-2'], 2, 'rerun');
    const otherText = await readFile(join(rack.dir, 'rerun-ledgers', 'sled-1', 'ledger.json'), 'utf8');
    expect(
      p.prepare(s, { type: 'Prepare', ledger: new LedgerBytes(Buffer.from(otherText)) }).response,
    ).toEqual({
      type: 'Error',
      code: 'RackMismatch',
    });
    // Same rack id and epoch, but another split: refused too.
    const sameIds = otherText.replace(/"rackId": "[^"]+"/, `"rackId": "${rack.rackId}"`);
    const forged = parseLedgerLoose(sameIds);
    expect(p.prepare(s, { type: 'Prepare', ledger: new LedgerBytes(Buffer.from(forged)) }).response).toEqual({
      type: 'Error',
      code: 'RackMismatch',
    });
    expect((await p.commit(s, commit(rack.rackId, 2))).response).toEqual({
      type: 'Error',
      code: 'EpochMismatch',
    });
    expect(host.commits).toHaveLength(0);
  });
});

/** Re-serializes edited ledger text with a correct checksum (a well-formed but different ledger). */
function parseLedgerLoose(text: string): string {
  const { checksum: _, ...body } = JSON.parse(text) as Record<string, unknown>;
  return JSON.stringify({ ...body, checksum: ledgerChecksum(body as LedgerBody) });
}
