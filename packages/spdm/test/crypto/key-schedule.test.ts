import { hkdfSync } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { AEAD_SUITE, BASE_HASH_ALGO } from '../../src/crypto/algorithms.js';
import { hkdfExpand, hkdfExtract } from '../../src/crypto/hash.js';
import {
  binConcat,
  computeVerifyData,
  KEY_SCHEDULE_LABEL,
  KeySchedule,
  type KeyScheduleSecret,
} from '../../src/crypto/key-schedule.js';
import {
  aeadBit,
  field,
  hashBit,
  loadAllVectors,
  VECTORS_ABSENT_MESSAGE,
  VECTORS_PRESENT,
  type VectorFile,
  type VectorSession,
  vectorSessions,
  versionByte,
} from './libspdm-vectors.js';

const files = loadAllVectors();
if (!VECTORS_PRESENT) console.warn(VECTORS_ABSENT_MESSAGE);

function schedule(v: VectorFile, s: VectorSession): KeySchedule {
  const ks = KeySchedule.fromDheSecret(
    { hash: hashBit(v), aead: aeadBit(v), version: versionByte(v) },
    field(s, 'dhe_shared_secret'),
  );
  ks.deriveHandshakeSecrets(field(s, 'th1_hash'));
  ks.deriveDataSecrets(field(s, 'th2_hash'));
  return ks;
}

const SECRET_FIELDS: [KeyScheduleSecret, string][] = [
  ['handshakeSecret', 'handshake_secret'],
  ['requestHandshakeSecret', 'request_handshake_secret'],
  ['responseHandshakeSecret', 'response_handshake_secret'],
  ['requestFinishedKey', 'request_finished_key'],
  ['responseFinishedKey', 'response_finished_key'],
  ['masterSecret', 'master_secret'],
  ['requestDataSecret', 'request_data_secret'],
  ['responseDataSecret', 'response_data_secret'],
  ['exportMasterSecret', 'export_master_secret'],
];

/** Maps the vector's "label (L=n, ctx)" keys to BinConcat inputs. */
function binConcatInputs(s: VectorSession, key: string): { label: string; length: number; ctx?: Uint8Array } {
  const m = /^(.*) \(L=(\d+)(, ctx)?\)$/.exec(key);
  if (!m?.[1] || !m[2]) throw new Error(`unexpected bin_concat key ${key}`);
  const label = m[1];
  const ctx = m[3] ? field(s, label.endsWith('hs data') ? 'th1_hash' : 'th2_hash') : undefined;
  return { label, length: Number(m[2]), ctx };
}

describe.skipIf(!VECTORS_PRESENT)('key schedule against libspdm recordings', () => {
  for (const v of files) {
    for (const s of vectorSessions(v)) {
      describe(`${v.name} session ${s.session_index}`, () => {
        it('derives every secret, finished key and export master secret', () => {
          const ks = schedule(v, s);
          for (const [name, f] of SECRET_FIELDS) expect(toHex(ks.secret(name)), f).toBe(s[f]);
          expect(toHex(ks.secret('salt1'))).toBe(s.recomputed.salt1_derived);
          ks.destroy();
        });

        it('derives handshake and data keys / IVs', () => {
          const ks = schedule(v, s);
          for (const dir of ['request', 'response'] as const) {
            const hsk = ks.handshakeKeys(dir);
            expect(toHex(hsk.key)).toBe(s[`${dir}_handshake_key`]);
            expect(toHex(hsk.iv)).toBe(s[`${dir}_handshake_iv`]);
            const dk = ks.dataKeys(dir);
            expect(toHex(dk.key)).toBe(s[`${dir}_data_key`]);
            expect(toHex(dk.iv)).toBe(s[`${dir}_data_iv`]);
          }
        });

        it('follows the key_updates[] chain in the recorded order', () => {
          const ks = schedule(v, s);
          expect(s.key_updates.length).toBeGreaterThan(0);
          for (const u of s.key_updates) {
            const keys = ks.updateDataKeys(u.direction);
            const name = u.direction === 'request' ? 'requestDataSecret' : 'responseDataSecret';
            expect(toHex(ks.secret(name))).toBe(u.new_data_secret);
            expect(toHex(keys.key)).toBe(u.new_key);
            expect(toHex(keys.iv)).toBe(u.new_iv);
          }
        });

        it('computes ResponderVerifyData from Hash(TH1)', () => {
          const ks = schedule(v, s);
          expect(toHex(ks.verifyData('response', field(s, 'th1_hash')))).toBe(s.responder_verify_data);
          expect(
            toHex(computeVerifyData(hashBit(v), field(s, 'response_finished_key'), field(s, 'th1_hash'))),
          ).toBe(s.responder_verify_data);
        });

        it('builds every BinConcat string libspdm used', () => {
          const ver = versionByte(v);
          const entries = Object.entries(s.recomputed.bin_concat);
          expect(entries.length).toBe(10);
          for (const [key, want] of entries) {
            const { label, length, ctx } = binConcatInputs(s, key);
            expect(toHex(binConcat(ver, length, label, ctx)), key).toBe(want);
          }
          const H = v.config.hash_size;
          const K = v.config.aead_key_size;
          const printed = s.printed_bin_str;
          expect(toHex(binConcat(ver, K, KEY_SCHEDULE_LABEL.KEY))).toBe(printed.bin_str5);
          expect(toHex(binConcat(ver, 12, KEY_SCHEDULE_LABEL.IV))).toBe(printed.bin_str6);
          expect(toHex(binConcat(ver, H, KEY_SCHEDULE_LABEL.FINISHED))).toBe(printed.bin_str7);
          expect(toHex(binConcat(ver, H, KEY_SCHEDULE_LABEL.TRAFFIC_UPD))).toBe(printed.bin_str9);
        });

        it('agrees with node hkdfSync (extract + expand in one step)', () => {
          const h = v.config.hash_size === 32 ? 'sha256' : 'sha384';
          const H = v.config.hash_size;
          const info = binConcat(versionByte(v), H, KEY_SCHEDULE_LABEL.REQ_HS_DATA, field(s, 'th1_hash'));
          const viaNode = new Uint8Array(
            hkdfSync(h, field(s, 'dhe_shared_secret'), new Uint8Array(H), info, H),
          );
          expect(toHex(viaNode)).toBe(s.request_handshake_secret);
          const ours = hkdfExpand(
            hashBit(v),
            hkdfExtract(hashBit(v), new Uint8Array(H), field(s, 'dhe_shared_secret')),
            info,
            H,
          );
          expect(toHex(ours)).toBe(toHex(viaNode));
        });
      });
    }
  }
});

describe('KeySchedule behaviour', () => {
  const init = { hash: BASE_HASH_ALGO.SHA_384, aead: AEAD_SUITE.AES_256_GCM, version: 0x13 };
  const secret = new Uint8Array(48).fill(7);
  const th = new Uint8Array(48).fill(1);

  it('uses the negotiated SPDM version in BinConcat', () => {
    const a = KeySchedule.fromDheSecret({ ...init, version: 0x12 }, secret);
    const b = KeySchedule.fromDheSecret({ ...init, version: 0x13 }, secret);
    a.deriveHandshakeSecrets(th);
    b.deriveHandshakeSecrets(th);
    expect(toHex(a.secret('requestHandshakeSecret'))).not.toBe(toHex(b.secret('requestHandshakeSecret')));
    expect(toHex(binConcat(0x11, 48, 'derived')).startsWith('30007370646d312e3120')).toBe(true);
    expect(() => binConcat(0x20, 48, 'derived')).toThrow(RangeError);
  });

  it('refuses out-of-order use and wrong-size transcript hashes', () => {
    const ks = KeySchedule.fromDheSecret(init, secret);
    expect(() => ks.handshakeKeys('request')).toThrow(RangeError);
    expect(() => ks.dataKeys('request')).toThrow(RangeError);
    expect(() => ks.deriveHandshakeSecrets(new Uint8Array(32))).toThrow(RangeError);
    ks.deriveHandshakeSecrets(th);
    expect(() => ks.verifyData('request', new Uint8Array(47))).toThrow(RangeError);
  });

  it('dropHandshakeSecrets keeps only data and export secrets', () => {
    const ks = KeySchedule.fromDheSecret(init, secret);
    ks.deriveHandshakeSecrets(th);
    ks.deriveDataSecrets(th);
    ks.dropHandshakeSecrets();
    expect(ks.has('requestDataSecret')).toBe(true);
    expect(ks.has('exportMasterSecret')).toBe(true);
    for (const n of ['handshakeSecret', 'requestFinishedKey', 'masterSecret', 'salt1'] as const) {
      expect(ks.has(n)).toBe(false);
    }
    expect(() => ks.verifyData('response', th)).toThrow(RangeError);
    expect(ks.dataKeys('response').key.length).toBe(32);
  });

  it('prints no secret bytes through util.inspect, JSON.stringify or String()', () => {
    const ks = KeySchedule.fromDheSecret(init, secret);
    ks.deriveHandshakeSecrets(th);
    ks.deriveDataSecrets(th);
    const hexes = (
      [
        'handshakeSecret',
        'requestHandshakeSecret',
        'requestFinishedKey',
        'masterSecret',
        'requestDataSecret',
      ] as const
    ).map((n) => toHex(ks.secret(n)));
    const keys = ks.dataKeys('request');
    hexes.push(toHex(keys.key), toHex(keys.iv));
    const shown = [
      inspect(ks, { depth: 10, showHidden: true }),
      JSON.stringify(ks),
      JSON.stringify({ ks, keys }),
      inspect(keys, { depth: 10, showHidden: true }),
      `${String(ks)} ${String(keys)}`,
    ].join('\n');
    expect(shown).toContain('SHA_384');
    for (const h of hexes) {
      expect(shown).not.toContain(h);
      expect(shown).not.toContain(h.slice(0, 16));
      expect(shown).not.toContain(Buffer.from(h, 'hex').toString('base64').slice(0, 12));
    }
    // Byte lists as util.inspect would print a Uint8Array.
    expect(shown).not.toMatch(/\d+, \d+, \d+, \d+/);
  });

  it('destroy() zeroes every held secret and blocks further use', () => {
    const ks = KeySchedule.fromDheSecret(init, secret);
    ks.deriveHandshakeSecrets(th);
    ks.deriveDataSecrets(th);
    const zeroed: Uint8Array[] = [];
    const realFill = Uint8Array.prototype.fill;
    const spy = vi.spyOn(Uint8Array.prototype, 'fill').mockImplementation(function (
      this: Uint8Array,
      ...args: Parameters<Uint8Array['fill']>
    ) {
      if (args[0] === 0) zeroed.push(this);
      return realFill.apply(this, args);
    });
    try {
      ks.destroy();
    } finally {
      spy.mockRestore();
    }
    expect(zeroed.length).toBe(10);
    for (const z of zeroed) {
      expect(z.length).toBe(48);
      expect(z.every((b) => b === 0)).toBe(true);
    }
    expect(() => ks.secret('requestDataSecret')).toThrow(RangeError);
    expect(() => ks.dataKeys('request')).toThrow(RangeError);
    expect(ks.has('requestDataSecret')).toBe(false);
  });

  it('AeadKeys.destroy() zeroes key and IV', () => {
    const ks = KeySchedule.fromDheSecret(init, secret);
    ks.deriveHandshakeSecrets(th);
    const keys = ks.handshakeKeys('response');
    const key = keys.key;
    const iv = keys.iv;
    expect(key.some((b) => b !== 0)).toBe(true);
    keys.destroy();
    expect(key.every((b) => b === 0) && iv.every((b) => b === 0)).toBe(true);
    expect(() => keys.key).toThrow(RangeError);
  });

  it('key update replaces the secret and yields fresh keys each time', () => {
    const ks = KeySchedule.fromDheSecret(init, secret);
    ks.deriveHandshakeSecrets(th);
    ks.deriveDataSecrets(th);
    const k0 = toHex(ks.dataKeys('request').key);
    const k1 = toHex(ks.updateDataKeys('request').key);
    const k2 = toHex(ks.updateDataKeys('request').key);
    expect(new Set([k0, k1, k2]).size).toBe(3);
    expect(toHex(ks.dataKeys('request').key)).toBe(k2);
  });
});
