/**
 * Ledger records: the file text round-trips, its checksum is SHA-256 of the canonical JSON
 * (recomputed here independently), every kind of alteration is LedgerCorrupt naming the file,
 * and no rendering of a ledger or of those errors carries the share.
 */
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { isTrustQuorumError } from '../../src/errors.js';
import { Ledger, parseLedger, serializeLedger } from '../../src/ledger/index.js';
import { Share } from '../../src/rack-secret/index.js';
import { makeLedgers, makePki, type TestPki } from '../helpers/rack-fixture.js';

const RACK = '0b6a4a7e-3f0e-4f1b-9c55-2d7a1e9f6c11';
const FILE = '/var/lib/tq/ledger.json';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Canonical JSON without our code: JSON.stringify with the sorted list of every key. */
function independentChecksum(body: Record<string, unknown>): string {
  const keys = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        keys.add(k);
        walk(x);
      }
    }
  };
  walk(body);
  return createHash('sha256')
    .update(JSON.stringify(body, [...keys].sort()))
    .digest('hex');
}

/** The file's JSON, loosely typed so that tests can break it. */
interface LooseFile {
  formatVersion: number;
  rackId: string;
  epoch: number;
  threshold: number;
  members: { sledId: string; certificate: string }[];
  commitments: string[];
  share: { x: number; y: string };
  checksum?: string;
  extra?: unknown;
}

/** Applies `edit` to the parsed file and optionally refreshes the checksum. */
function alter(text: string, edit: (o: LooseFile) => void, reseal: boolean): string {
  const o = JSON.parse(text) as LooseFile;
  edit(o);
  if (reseal) {
    const { checksum: _drop, ...body } = o;
    o.checksum = independentChecksum(body);
  }
  return JSON.stringify(o, null, 2);
}

function corruptReason(text: string): string {
  try {
    parseLedger(text, FILE);
  } catch (e) {
    expect(isTrustQuorumError(e, 'LedgerCorrupt'), String(e)).toBe(true);
    const err = e as Error & { files: string[] };
    expect(err.files).toEqual([FILE]);
    expect(err.message.startsWith(`${FILE}: `)).toBe(true);
    expect(err.cause).toBeUndefined();
    return err.message;
  }
  throw new Error(`parseLedger accepted an altered file: ${text.slice(0, 80)}`);
}

describe('ledger file text', () => {
  let pki: TestPki;
  let ledger: Ledger;
  let text: string;
  let yHex: string;

  beforeAll(async () => {
    pki = await makePki(4);
    ledger = makeLedgers(pki, 3, RACK)[1]!.withGeneration(7);
    text = serializeLedger(ledger);
    yHex = hex(ledger.share.expose());
  });

  it('has the documented fields and a checksum over the canonical JSON of the rest', () => {
    const o = JSON.parse(text);
    expect(Object.keys(o)).toEqual([
      'formatVersion',
      'rackId',
      'epoch',
      'generation',
      'threshold',
      'members',
      'commitments',
      'share',
      'checksum',
    ]);
    expect(o).toMatchObject({ formatVersion: 1, rackId: RACK, epoch: 1, generation: 7, threshold: 3 });
    expect(o.members.map((m: { sledId: string }) => m.sledId)).toEqual([
      'sled-1',
      'sled-2',
      'sled-3',
      'sled-4',
    ]);
    expect(o.members[2].certificate).toBe(pki.sleds[2]!.certPem);
    expect(o.commitments).toHaveLength(3);
    expect(o.share).toEqual({ x: 2, y: yHex });
    const { checksum, ...body } = o;
    expect(checksum).toBe(independentChecksum(body));
  });

  it('parses back to the same ledger; the share names the file it came from', () => {
    const back = parseLedger(text, FILE);
    expect(back.toJSON()).toEqual(ledger.toJSON());
    expect(back.commitmentsHex()).toEqual(ledger.commitmentsHex());
    expect(back.share.equals(ledger.share)).toBe(true);
    expect(back.share.sender).toBe(FILE);
    expect(serializeLedger(back)).toBe(text);
  });

  it('refuses to serialize a ledger that was never given a generation', () => {
    expect(() => serializeLedger(makeLedgers(pki, 2, RACK)[0]!)).toThrow(RangeError);
  });

  it('detects every alteration, naming the file, quoting nothing', () => {
    const cases: [string, string, RegExp][] = [
      ['not JSON', text.slice(0, text.indexOf(yHex) + 10), /not valid JSON/],
      ['empty', '', /not valid JSON/],
      ['epoch changed, checksum kept', alter(text, (o) => (o.epoch = 2), false), /checksum mismatch/],
      [
        'share changed, checksum kept',
        alter(text, (o) => (o.share.y = `${yHex.slice(0, 63)}${yHex.endsWith('0') ? '1' : '0'}`), false),
        /checksum/,
      ],
      [
        'share changed, checksum recomputed',
        alter(
          text,
          (o) => (o.share.y = `${yHex.slice(0, 62)}${yHex.slice(62) === '00' ? '01' : '00'}`),
          true,
        ),
        /share fails the commitment check/,
      ],
      [
        'threshold changed, resealed',
        alter(text, (o) => (o.threshold = 2), true),
        /2 commitments|3 commitments/,
      ],
      ['unknown field', alter(text, (o) => (o.extra = 1), true), /not a ledger/],
      ['format 2', alter(text, (o) => (o.formatVersion = 2), true), /formatVersion/],
      ['bad uuid', alter(text, (o) => (o.rackId = 'nope'), true), /rackId/],
      ['member twice', alter(text, (o) => (o.members[1] = o.members[0]!), true), /listed twice/],
      [
        'garbled cert',
        alter(
          text,
          (o) =>
            (o.members[0]!.certificate = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
          true,
        ),
        /does not parse/,
      ],
      ['fewer members than k', alter(text, (o) => (o.members = o.members.slice(0, 2)), true), /2 members/],
      ['x beyond members', alter(text, (o) => (o.share.x = 5), true), /beyond 4 members/],
      [
        'point off the curve',
        alter(text, (o) => (o.commitments[1] = `02${'ff'.repeat(32)}`), true),
        /commitment 1 is not a point/,
      ],
      [
        'short commitment',
        alter(text, (o) => (o.commitments[1] = '02ab'), true),
        /not a ledger \(commitments\.1/,
      ],
      ['array instead', '[]', /not a ledger/],
    ];
    for (const [name, altered, why] of cases) {
      const msg = corruptReason(altered);
      expect(msg, name).toMatch(why);
      expect(msg, name).not.toContain(yHex);
      expect(msg, name).not.toContain(yHex.slice(0, 16));
    }
  });

  it('any input, or any one-character change of a good file, is a ledger or LedgerCorrupt: nothing else', () => {
    const onlyCorrupt = (input: string) => {
      try {
        parseLedger(input, FILE).zero();
      } catch (e) {
        expect(isTrustQuorumError(e, 'LedgerCorrupt'), String(e)).toBe(true);
        expect((e as Error).message).not.toContain(yHex);
      }
    };
    fc.assert(fc.property(fc.string(), onlyCorrupt), { numRuns: 200 });
    fc.assert(fc.property(fc.json(), onlyCorrupt), { numRuns: 200 });
    fc.assert(
      fc.property(fc.nat({ max: text.length - 1 }), fc.string({ minLength: 0, maxLength: 2 }), (at, ins) =>
        onlyCorrupt(text.slice(0, at) + ins + text.slice(at + 1)),
      ),
      { numRuns: 300 },
    );
  });

  it('never shows the share in JSON.stringify, util.inspect or String()', () => {
    for (const rendering of [
      JSON.stringify(ledger),
      JSON.stringify({ state: { ledger } }),
      inspect(ledger, { depth: 10, showHidden: true }),
      inspect({ ledger }, { depth: 10 }),
      String(ledger),
      `${ledger}`,
    ]) {
      expect(rendering).not.toContain(yHex);
      expect(rendering).not.toContain(yHex.slice(0, 16));
      expect(rendering).toContain(RACK);
    }
    expect(JSON.parse(JSON.stringify(ledger)).share).toEqual({ x: 2 });
  });

  it('finds a member by certificate and rejects inconsistent construction', () => {
    const der = Buffer.from(pki.sleds[3]!.certPem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    expect(ledger.memberFor(der)?.sledId).toBe('sled-4');
    expect(ledger.memberFor(new Uint8Array(10))).toBeUndefined();
    const base = {
      rackId: RACK,
      epoch: 1,
      threshold: 3,
      members: ledger.members,
      commitments: ledger.commitments,
    };
    const share = () => new Share(2, ledger.share.expose());
    expect(
      () => new Ledger({ ...base, share: share(), commitments: ledger.commitments.slice(0, 2) }),
    ).toThrow(RangeError);
    expect(() => new Ledger({ ...base, share: share(), members: ledger.members.slice(0, 2) })).toThrow(
      RangeError,
    );
    expect(() => new Ledger({ ...base, share: share(), rackId: RACK.toUpperCase() })).toThrow(RangeError);
    expect(() => new Ledger({ ...base, share: share(), epoch: 0 })).toThrow(RangeError);
    expect(() => new Ledger({ ...base, share: new Share(2, new Uint8Array(32).fill(7)) })).toThrow(
      /commitment/,
    );
    expect(new Ledger({ ...base, share: share() }).generation).toBe(0);
  });
});
