/**
 * Secret holders never print their bytes: JSON.stringify, util.inspect, String(), template
 * strings and util.format of the objects (and of objects holding them) are searched for the
 * actual hex and decimal-byte renderings of the secret. zero() wipes and disables.
 */
import { createHash } from 'node:crypto';
import { format, inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FINGERPRINT_LABEL, RackSecret, Share, split } from '../../src/rack-secret/index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Every rendering we can think of for an object that holds secrets. */
function renderings(o: unknown): string[] {
  return [
    JSON.stringify(o),
    JSON.stringify({ nested: { o } }),
    inspect(o),
    inspect(o, { depth: 10, showHidden: true, getters: true }),
    inspect({ deep: [o] }, { depth: 10 }),
    String(o),
    `${o}`,
    format('%o %O %j %s', o, o, o, o),
  ];
}

function expectNoBytes(o: unknown, secretBytes: Uint8Array[]): void {
  for (const text of renderings(o)) {
    for (const b of secretBytes) {
      expect(text).not.toContain(hex(b));
      expect(text.toLowerCase()).not.toContain(hex(b).slice(0, 16));
      expect(text).not.toContain(Array.from(b).join(','));
      expect(text).not.toContain(Buffer.from(b).toString('base64'));
    }
  }
}

describe('RackSecret and Share do not leak', () => {
  const { secret, shares } = split(undefined, 5, 3);
  const bytes = [new Uint8Array(secret.expose()), ...shares.map((s) => new Uint8Array(s.expose()))];

  it('prints a fingerprint, and nothing of the bytes', () => {
    expectNoBytes(secret, bytes);
    const fp = createHash('sha256').update(FINGERPRINT_LABEL).update(bytes[0]!).digest('hex').slice(0, 16);
    expect(secret.fingerprint()).toBe(fp);
    expect(String(secret)).toBe(`RackSecret { fingerprint: ${fp} }`);
    expect(inspect(secret)).toBe(`RackSecret { fingerprint: ${fp} }`);
    expect(JSON.parse(JSON.stringify(secret))).toEqual({ fingerprint: fp });
  });

  it('prints shares as their x (and sender), arrays of shares too', () => {
    expectNoBytes(shares, bytes);
    expectNoBytes({ secret, shares }, bytes);
    expect(String(shares[2])).toBe('Share { x: 3 }');
    expect(inspect(shares[0]!.withSender('sled-9'))).toBe('Share { x: 1, sender: sled-9 }');
  });

  it('zero() wipes the bytes and further use throws', () => {
    const s = new RackSecret(bytes[0]!);
    const view = s.expose();
    s.zero();
    expect(view.every((b) => b === 0)).toBe(true);
    expect(() => s.expose()).toThrow(TypeError);
    expect(() => s.fingerprint()).toThrow(TypeError);
    expect(JSON.stringify(s)).toBe('{"state":"zeroed"}');
    const sh = new Share(4, bytes[1]!);
    sh.zero();
    expect(sh.isZeroed).toBe(true);
    expect(String(sh)).toBe('Share { state: zeroed }');
  });

  it('takes a private copy: zeroing the caller buffer leaves the secret intact', () => {
    const mine = new Uint8Array(bytes[0]!);
    const s = new RackSecret(mine);
    mine.fill(0);
    expect(hex(s.expose())).toBe(hex(bytes[0]!));
  });
});
