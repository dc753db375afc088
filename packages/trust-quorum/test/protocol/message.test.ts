/**
 * Share-protocol message codecs: hand-written layouts, fast-check round trips of every message,
 * tables of bad inputs, and totality (any bytes give a message or InvalidMessage, nothing else).
 */
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTrustQuorumError, type TrustQuorumError } from '../../src/errors.js';
import {
  decodeMessage,
  describeMessage,
  ERROR_CODE,
  type ErrorCodeName,
  encodeMessage,
  errorCodeToTrustQuorum,
  holdsSecret,
  LedgerBytes,
  PROTOCOL_VERSION,
  type ShareProtocolMessage,
  zeroMessage,
} from '../../src/protocol/index.js';
import { ORDER, Share, scalarToBytes } from '../../src/rack-secret/index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const RACK = '0123abcd-4567-89ef-0123-456789abcdef';
const RACK_HEX = '0123abcd456789ef0123456789abcdef';

function expectInvalid(bytes: Uint8Array): TrustQuorumError {
  try {
    decodeMessage(bytes);
  } catch (e) {
    expect(isTrustQuorumError(e, 'InvalidMessage'), String(e)).toBe(true);
    return e as TrustQuorumError;
  }
  throw new Error('decoded without error');
}

const uuidArb = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((b) => hex(b).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'));
const epochArb = fc.integer({ min: 0, max: 0xffff_ffff });
const scalarArb = fc.bigInt({ min: 0n, max: ORDER - 1n }).map(scalarToBytes);
const errorNames = Object.keys(ERROR_CODE) as ErrorCodeName[];

const messageArb: fc.Arbitrary<ShareProtocolMessage> = fc.oneof(
  fc.record({ rackId: uuidArb, epoch: epochArb }).map((m) => ({ type: 'GetShare' as const, ...m })),
  fc
    .record({ rackId: uuidArb, epoch: epochArb, x: fc.integer({ min: 1, max: 255 }), y: scalarArb })
    .map(({ x, y, ...m }) => ({ type: 'Share' as const, ...m, share: new Share(x, y) })),
  fc.constantFrom(...errorNames).map((code) => ({ type: 'Error' as const, code })),
  fc.uint8Array({ maxLength: 2048 }).map((b) => ({ type: 'Prepare' as const, ledger: new LedgerBytes(b) })),
  ...(['PrepareAck', 'Commit', 'CommitAck'] as const).map((type) =>
    fc.record({ rackId: uuidArb, epoch: epochArb }).map((m) => ({ type, ...m })),
  ),
);

/** A comparable form of a message: secrets exposed (test only). */
function plain(m: ShareProtocolMessage): unknown {
  if (m.type === 'Share') return { ...m, share: { x: m.share.x, y: hex(m.share.expose()) } };
  if (m.type === 'Prepare') return { type: m.type, ledger: hex(m.ledger.expose()) };
  return m;
}

describe('layouts', () => {
  it('GetShare: version, type 0x01, rack id bytes in text order, epoch u32le', () => {
    const bytes = encodeMessage({ type: 'GetShare', rackId: RACK, epoch: 0x01020304 });
    expect(hex(bytes)).toBe(`0101${RACK_HEX}04030201`);
    expect(bytes.length).toBe(22);
  });

  it('Share: version, type 0x02, rack, epoch, x, y big-endian', () => {
    const y = scalarToBytes(0xabcdefn);
    const bytes = encodeMessage({ type: 'Share', rackId: RACK, epoch: 7, share: new Share(5, y) });
    expect(hex(bytes)).toBe(`0102${RACK_HEX}0700000005${'0'.repeat(58)}abcdef`);
    expect(holdsSecret({ type: 'Share', rackId: RACK, epoch: 7, share: new Share(5, y) })).toBe(true);
  });

  it('Error: version, type 0x03, one code byte, codes as listed', () => {
    expect(hex(encodeMessage({ type: 'Error', code: 'NotInitialized' }))).toBe('010301');
    expect(hex(encodeMessage({ type: 'Error', code: 'RackMismatch' }))).toBe('010302');
    expect(hex(encodeMessage({ type: 'Error', code: 'EpochMismatch' }))).toBe('010303');
    expect(hex(encodeMessage({ type: 'Error', code: 'NotAMember' }))).toBe('010304');
    expect(hex(encodeMessage({ type: 'Error', code: 'Busy' }))).toBe('010305');
    expect(hex(encodeMessage({ type: 'Error', code: 'Internal' }))).toBe('010306');
  });

  it('rack init: Prepare carries a u32le length then the ledger; the acks carry rack and epoch', () => {
    const ledger = new LedgerBytes(Uint8Array.of(0xaa, 0xbb, 0xcc));
    expect(hex(encodeMessage({ type: 'Prepare', ledger }))).toBe('011003000000aabbcc');
    expect(hex(encodeMessage({ type: 'PrepareAck', rackId: RACK, epoch: 2 }))).toBe(
      `0111${RACK_HEX}02000000`,
    );
    expect(hex(encodeMessage({ type: 'Commit', rackId: RACK, epoch: 2 }))).toBe(`0112${RACK_HEX}02000000`);
    expect(hex(encodeMessage({ type: 'CommitAck', rackId: RACK, epoch: 2 }))).toBe(`0113${RACK_HEX}02000000`);
  });

  it('refuses to encode a bad rack id or epoch (API misuse: RangeError)', () => {
    expect(() => encodeMessage({ type: 'GetShare', rackId: RACK.toUpperCase(), epoch: 1 })).toThrow(
      RangeError,
    );
    expect(() => encodeMessage({ type: 'GetShare', rackId: 'x', epoch: 1 })).toThrow(RangeError);
    expect(() => encodeMessage({ type: 'Commit', rackId: RACK, epoch: 2 ** 32 })).toThrow(RangeError);
    expect(() => encodeMessage({ type: 'Commit', rackId: RACK, epoch: -1 })).toThrow(RangeError);
  });
});

describe('round trips', () => {
  it('every message decodes to what was encoded', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const back = decodeMessage(encodeMessage(m));
        expect(plain(back)).toEqual(plain(m));
      }),
      { numRuns: 500 },
    );
  });

  it('a decoded share is labelled with the sender and does not alias the input', () => {
    const y = scalarToBytes(12345n);
    const bytes = encodeMessage({ type: 'Share', rackId: RACK, epoch: 1, share: new Share(3, y) });
    const m = decodeMessage(bytes, { sender: 'sled-3' });
    bytes.fill(0);
    expect(m.type).toBe('Share');
    if (m.type !== 'Share') return;
    expect(m.share.sender).toBe('sled-3');
    expect(hex(m.share.expose())).toBe(hex(y));
  });
});

describe('secrets stay out of print', () => {
  it('a Share or Prepare message prints no secret bytes', () => {
    const y = scalarToBytes(0x1122334455667788990011223344556677889900aabbccddeeff001122334455n);
    const share: ShareProtocolMessage = { type: 'Share', rackId: RACK, epoch: 1, share: new Share(4, y) };
    const ledger = new LedgerBytes(Buffer.from('"y": "deadbeefcafe"'));
    const prepare: ShareProtocolMessage = { type: 'Prepare', ledger };
    for (const m of [share, prepare]) {
      const printed = [JSON.stringify(m), inspect(m, { depth: 10 }), JSON.stringify(describeMessage(m))].join(
        '\n',
      );
      expect(printed).not.toContain(hex(y));
      expect(printed).not.toContain('deadbeefcafe');
      expect(printed).not.toContain(Buffer.from(ledger.expose()).toString('hex'));
    }
    expect(describeMessage(share)).toEqual({ type: 'Share', rackId: RACK, epoch: 1, x: 4 });
    zeroMessage(share);
    zeroMessage(prepare);
    expect(() => (share.type === 'Share' ? share.share.expose() : null)).toThrow(TypeError);
    expect(ledger.isZeroed).toBe(true);
  });
});

describe('bad input', () => {
  const good = encodeMessage({ type: 'GetShare', rackId: RACK, epoch: 1 });
  const share = encodeMessage({
    type: 'Share',
    rackId: RACK,
    epoch: 1,
    share: new Share(1, scalarToBytes(9n)),
  });
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /truncated/],
    ['version only', Uint8Array.of(PROTOCOL_VERSION), /truncated/],
    ['version 0', Uint8Array.of(0, ...good.subarray(1)), /version 0/],
    ['version 2', Uint8Array.of(2, ...good.subarray(1)), /version 2/],
    ['unknown type 0x7f', Uint8Array.of(1, 0x7f), /unknown message type 0x7f/],
    ['GetShare truncated', good.subarray(0, good.length - 1), /truncated/],
    ['GetShare trailing byte', Uint8Array.of(...good, 0), /trailing/],
    ['Share truncated', share.subarray(0, share.length - 1), /truncated/],
    ['Share x = 0', Uint8Array.of(...share.subarray(0, 22), 0, ...share.subarray(23)), /x must be/],
    [
      'Share y = n',
      Uint8Array.of(
        ...share.subarray(0, 23),
        ...scalarToBytes(ORDER - 1n).map((b, i) => (i === 31 ? b + 1 : b)),
      ),
      /below n/,
    ],
    [
      'Share y = 2^256-1',
      Uint8Array.of(...share.subarray(0, 23), ...new Uint8Array(32).fill(0xff)),
      /below n/,
    ],
    ['Error unknown code', Uint8Array.of(1, 3, 0), /unknown code 0x0/],
    ['Error code 0xff', Uint8Array.of(1, 3, 0xff), /unknown code 0xff/],
    ['Error trailing', Uint8Array.of(1, 3, 1, 0), /trailing/],
    ['Prepare length beyond the message', Uint8Array.of(1, 0x10, 5, 0, 0, 0, 1, 2), /truncated/],
    ['Prepare length 2^32-1', Uint8Array.of(1, 0x10, 0xff, 0xff, 0xff, 0xff), /truncated/],
    ['Prepare trailing', Uint8Array.of(1, 0x10, 1, 0, 0, 0, 1, 2), /trailing/],
    ['Commit truncated', Uint8Array.of(1, 0x12, 1, 2, 3), /truncated/],
  ];
  it.each(cases)('%s -> InvalidMessage', (_name, bytes, why) => {
    expect(expectInvalid(bytes).message).toMatch(why);
  });

  it('an error names the sender it was given', () => {
    try {
      decodeMessage(Uint8Array.of(1, 0x7f), { sender: 'sled-9' });
      expect.unreachable();
    } catch (e) {
      expect((e as TrustQuorumError).sender).toBe('sled-9');
    }
  });

  it('any bytes: a message or InvalidMessage, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        try {
          decodeMessage(bytes);
        } catch (e) {
          expect(isTrustQuorumError(e, 'InvalidMessage'), String(e)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('any bytes after a valid version and type: a message or InvalidMessage', () => {
    const types = [0x01, 0x02, 0x03, 0x10, 0x11, 0x12, 0x13];
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.uint8Array({ maxLength: 80 }), (type, body) => {
        try {
          const m = decodeMessage(Uint8Array.of(PROTOCOL_VERSION, type, ...body));
          expect(hex(encodeMessage(m))).toBe(hex(Uint8Array.of(PROTOCOL_VERSION, type, ...body)));
        } catch (e) {
          expect(isTrustQuorumError(e, 'InvalidMessage'), String(e)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('error codes', () => {
  it('map to TrustQuorumError codes: the five refusals to themselves', () => {
    expect(errorNames.map((n) => [n, errorCodeToTrustQuorum(n)])).toEqual([
      ['NotInitialized', 'NotInitialized'],
      ['RackMismatch', 'RackMismatch'],
      ['EpochMismatch', 'EpochMismatch'],
      ['NotAMember', 'NotAMember'],
      ['Busy', 'Busy'],
      ['Internal', 'Peer'],
      ['BadRequest', 'InvalidMessage'],
      ['Unsupported', 'InvalidMessage'],
    ]);
  });
});
