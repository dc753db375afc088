/**
 * Storage keys: known answers against an independent HKDF (RFC 5869 written out with HMAC) and
 * against hkdfSync with the inputs spelled out; determinism; distinct per disk, rack and hash;
 * no key bytes in any rendering.
 */
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { deriveStorageKey, StorageKey, uuidBytes } from '../../src/keys/index.js';
import { RackSecret } from '../../src/rack-secret/index.js';

const SECRET_HEX = '4a1f0c9e8d7b6a5948372615f4e3d2c1b0a99887766554433221100ffeeddccb';
const RACK = '6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const secret = () => new RackSecret(Buffer.from(SECRET_HEX, 'hex'));

/** RFC 5869 §2.2-2.3, one block is enough for 32 bytes of output. */
function hkdfByHand(hash: string, ikm: Buffer, salt: Buffer, info: Buffer): string {
  const prk = createHmac(hash, salt).update(ikm).digest();
  return createHmac(hash, prk).update(info).update(Buffer.of(1)).digest().subarray(0, 32).toString('hex');
}

describe('deriveStorageKey', () => {
  const salt = createHash('sha256')
    .update(Buffer.from(RACK.replaceAll('-', ''), 'hex'))
    .digest();
  const info = (disk: string) => Buffer.concat([Buffer.from('tq-disk-v1'), Buffer.of(0), Buffer.from(disk)]);

  it.each(['sha256', 'sha3-256'] as const)('matches RFC 5869 by hand and hkdfSync (%s)', (hash) => {
    const key = deriveStorageKey(secret(), RACK, 'nvme0n1', { hash });
    const ikm = Buffer.from(SECRET_HEX, 'hex');
    expect(hex(key.expose())).toBe(hkdfByHand(hash, ikm, salt, info('nvme0n1')));
    expect(hex(key.expose())).toBe(
      Buffer.from(hkdfSync(hash, ikm, salt, info('nvme0n1'), 32)).toString('hex'),
    );
    expect(key.length).toBe(32);
  });

  it('defaults to SHA-256 and is deterministic', () => {
    const a = deriveStorageKey(secret(), RACK, 'disk-ü');
    const b = deriveStorageKey(secret(), RACK.toUpperCase(), 'disk-ü', { hash: 'sha256' });
    expect(a.equals(b)).toBe(true);
    expect(hex(a.expose())).toBe(hkdfByHand('sha256', Buffer.from(SECRET_HEX, 'hex'), salt, info('disk-ü')));
  });

  it('differs per disk, per rack, per hash and per secret', () => {
    const base = hex(deriveStorageKey(secret(), RACK, 'd1').expose());
    const other = [
      deriveStorageKey(secret(), RACK, 'd2'),
      deriveStorageKey(secret(), RACK, 'd1\u0000'),
      deriveStorageKey(secret(), '00000000-0000-4000-8000-000000000000', 'd1'),
      deriveStorageKey(secret(), RACK, 'd1', { hash: 'sha3-256' }),
      deriveStorageKey(new RackSecret(Buffer.from(`${SECRET_HEX.slice(0, 63)}c`, 'hex')), RACK, 'd1'),
    ].map((k) => hex(k.expose()));
    expect(new Set([base, ...other]).size).toBe(6);
  });

  it('rejects bad inputs', () => {
    expect(() => deriveStorageKey(secret(), 'not-a-uuid', 'd')).toThrow(TypeError);
    expect(() => deriveStorageKey(secret(), RACK, '')).toThrow(RangeError);
    expect(() => deriveStorageKey(secret(), RACK, 'x'.repeat(256))).toThrow(RangeError);
    expect(() => deriveStorageKey(secret(), RACK, 'd', { hash: 'md5' as 'sha256' })).toThrow(RangeError);
    expect(() => new StorageKey('d', new Uint8Array(16))).toThrow(RangeError);
    expect(uuidBytes(RACK)).toHaveLength(16);
  });

  it('never prints the key bytes', () => {
    const key = deriveStorageKey(secret(), RACK, 'nvme0n1');
    const h = hex(key.expose());
    for (const text of [JSON.stringify({ key }), inspect({ key }, { depth: 5 }), String(key), `${key}`]) {
      expect(text).not.toContain(h);
      expect(text).not.toContain(h.slice(0, 16));
      expect(text).toContain('nvme0n1');
    }
    key.zero();
    expect(() => key.expose()).toThrow(TypeError);
  });
});
