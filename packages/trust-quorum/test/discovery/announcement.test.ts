/**
 * The discovery announcement codec: a hand-written datagram byte for byte, round trips,
 * every malformed shape refused with a reason, and totality (any bytes: a result, never a throw).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeAnnouncement,
  encodeAnnouncement,
  MAX_ANNOUNCEMENT_BYTES,
} from '../../src/discovery/announcement.js';

const RACK = '0123abcd-0000-4000-8000-00000000beef';

describe('announcement codec', () => {
  it('encodes the documented layout', () => {
    const b = encodeAnnouncement({ sledId: 'sled-7', spdmPort: 4194, rackId: RACK });
    const want = Buffer.concat([
      Buffer.from('TQDA', 'latin1'),
      Buffer.of(1, 0x01, 0x10, 0x62, 6),
      Buffer.from('sled-7', 'latin1'),
      Buffer.from(RACK.replaceAll('-', ''), 'hex'),
    ]);
    expect(b.toString('hex')).toBe(want.toString('hex'));
    expect(b.length).toBe(9 + 6 + 16);
  });

  it('omits the rack id when there is none', () => {
    const b = encodeAnnouncement({ sledId: 'a', spdmPort: 1, rackId: null });
    expect(b.toString('hex')).toBe('5451444101000001' + '01' + '61');
    expect(decodeAnnouncement(b)).toEqual({ sledId: 'a', spdmPort: 1, rackId: null });
  });

  it('round-trips any valid announcement', () => {
    const sledId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
    const rackId = fc.option(fc.uuid(), { nil: null });
    fc.assert(
      fc.property(sledId, fc.integer({ min: 1, max: 65535 }), rackId, (id, port, rack) => {
        const a = { sledId: id, spdmPort: port, rackId: rack };
        const b = encodeAnnouncement(a);
        expect(b.length).toBeLessThanOrEqual(MAX_ANNOUNCEMENT_BYTES);
        expect(decodeAnnouncement(b)).toEqual(a);
      }),
    );
  });

  it.each([
    ['too short', Buffer.from('TQDA0100', 'latin1')],
    ['bad magic', Buffer.from('58514441010000010161', 'hex')],
    ['unknown version', Buffer.from('54514441020000010161', 'hex')],
    ['reserved flags set', Buffer.from('54514441010200010161', 'hex')],
    ['port 0', Buffer.from('54514441010000000161', 'hex')],
    ['bad sled id length', Buffer.from('54514441010000010061', 'hex')],
    ['length mismatch', Buffer.from('5451444101000001026161', 'hex').subarray(0, 10)],
    ['length mismatch', Buffer.from('545144410100000101616162', 'hex')],
    ['length mismatch', Buffer.from('54514441010100010161', 'hex')],
    ['bad sled id', Buffer.from('5451444101000001012f', 'hex')],
    ['bad sled id', Buffer.from('545144410100000102612f', 'hex')],
    ['too long', Buffer.alloc(MAX_ANNOUNCEMENT_BYTES + 1)],
  ])('refuses %s', (reason, bytes) => {
    expect(decodeAnnouncement(bytes)).toBe(reason);
  });

  it('refuses to encode out-of-range fields', () => {
    expect(() => encodeAnnouncement({ sledId: 'bad id', spdmPort: 1, rackId: null })).toThrow(RangeError);
    expect(() => encodeAnnouncement({ sledId: 'a', spdmPort: 0, rackId: null })).toThrow(RangeError);
    expect(() => encodeAnnouncement({ sledId: 'a', spdmPort: 70000, rackId: null })).toThrow(RangeError);
    expect(() => encodeAnnouncement({ sledId: 'a', spdmPort: 1, rackId: 'nope' })).toThrow(RangeError);
  });

  it('is total: any bytes give an announcement or a reason, never an exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = decodeAnnouncement(bytes);
        expect(typeof r === 'string' || typeof r.sledId === 'string').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes mutated valid announcements without throwing', () => {
    const base = encodeAnnouncement({ sledId: 'sled-1', spdmPort: 4194, rackId: RACK });
    fc.assert(
      fc.property(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, v) => {
        const b = Buffer.from(base);
        b[at] = v;
        const r = decodeAnnouncement(b);
        if (typeof r !== 'string') expect(encodeAnnouncement(r).equals(b)).toBe(true);
      }),
    );
  });
});
