import { createECDH } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { DHE_GROUP, DHES } from '../../src/crypto/algorithms.js';
import { dhePublicKeyFromExchangeData, generateDhe } from '../../src/crypto/dhe.js';
import { isSpdmError } from '../../src/errors.js';
import {
  dheBit,
  loadAllVectors,
  sessionMessages,
  VECTORS_ABSENT_MESSAGE,
  VECTORS_PRESENT,
  vectorSessions,
} from './libspdm-vectors.js';

if (!VECTORS_PRESENT) console.warn(VECTORS_ABSENT_MESSAGE);

const PRIMES: Record<string, bigint> = {
  prime256v1: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n,
  secp384r1: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
  secp521r1: 2n ** 521n - 1n,
};

function be(n: bigint, size: number): Uint8Array {
  return Uint8Array.from(Buffer.from(n.toString(16).padStart(size * 2, '0'), 'hex'));
}

function expectInvalidField(f: () => unknown): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(isSpdmError(thrown, 'InvalidMsgField')).toBe(true);
}

describe('ECDHE', () => {
  for (const info of DHES) {
    describe(info.name, () => {
      it('two key pairs agree on an X-only secret of field size', () => {
        const a = generateDhe(info.bit);
        const b = generateDhe(info);
        expect(a.exchangeData.length).toBe(info.exchangeSize);
        const sa = a.computeSecret(b.exchangeData);
        const sb = b.computeSecret(a.exchangeData);
        expect(sa.length).toBe(info.secretSize);
        expect(toHex(sa)).toBe(toHex(sb));
        expect(sa.some((x) => x !== 0)).toBe(true);
      });

      it('exchange data is raw X‖Y that node ECDH accepts with a 0x04 prefix, and agrees with it', () => {
        const ours = generateDhe(info);
        const theirs = createECDH(info.curve);
        theirs.generateKeys();
        const theirData = theirs.getPublicKey().subarray(1); // drop 0x04
        const secret = ours.computeSecret(theirData);
        const viaNode = theirs.computeSecret(Buffer.concat([Buffer.of(4), ours.exchangeData]));
        expect(toHex(secret)).toBe(viaNode.toString('hex'));
      });

      it('rejects invalid peer points with InvalidMsgField', () => {
        const n = info.exchangeSize / 2;
        const p = PRIMES[info.curve]!;
        const good = generateDhe(info).exchangeData;
        const offCurve = good.slice();
        offCurve[offCurve.length - 1] = (offCurve[offCurve.length - 1] ?? 0) ^ 1;
        const xTooBig = good.slice();
        xTooBig.set(be(p, n), 0);
        const yPlusP = good.slice();
        yPlusP.set(be(BigInt(`0x${toHex(good.subarray(n))}`) + p, n + 1).subarray(1), n);
        const bad = [
          new Uint8Array(0),
          good.subarray(1),
          new Uint8Array([...good, 0]),
          new Uint8Array(info.exchangeSize), // the all-zero "point"
          offCurve,
          xTooBig,
          new Uint8Array(info.exchangeSize).fill(0xff),
        ];
        // y + p only fits in the field width for P-521-like primes; include it when it does.
        if (BigInt(`0x${toHex(good.subarray(n))}`) + p < 2n ** BigInt(8 * n)) bad.push(yPlusP);
        for (const b of bad) {
          expectInvalidField(() => dhePublicKeyFromExchangeData(info, b));
          const kp = generateDhe(info);
          expectInvalidField(() => kp.computeSecret(b));
          // An invalid point does not consume the key pair.
          expect(kp.computeSecret(good).length).toBe(info.secretSize);
        }
      });

      it('never throws anything but SpdmError on arbitrary peer data', () => {
        fc.assert(
          fc.property(fc.uint8Array({ minLength: info.exchangeSize, maxLength: info.exchangeSize }), (b) => {
            try {
              dhePublicKeyFromExchangeData(info, b);
            } catch (e) {
              return isSpdmError(e, 'InvalidMsgField');
            }
            return true;
          }),
          { numRuns: 200 },
        );
      });
    });
  }

  it('a key pair is single use and prints no secret', () => {
    const a = generateDhe(DHE_GROUP.SECP384R1);
    const b = generateDhe(DHE_GROUP.SECP384R1);
    const s = a.computeSecret(b.exchangeData);
    expect(() => a.computeSecret(b.exchangeData)).toThrow(RangeError);
    b.destroy();
    expect(() => b.computeSecret(a.exchangeData)).toThrow(RangeError);
    const shown = `${inspect(a, { showHidden: true, depth: 5 })}${JSON.stringify(a)}`;
    expect(shown).toContain('SECP_384_R1');
    expect(shown).not.toContain(toHex(s).slice(0, 16));
    expect(shown).not.toMatch(/PRIVATE|KeyObject/i);
  });

  it('refuses FFDHE (not implemented) with RangeError', () => {
    expect(() => generateDhe(DHE_GROUP.FFDHE_2048)).toThrow(RangeError);
  });
});

describe.skipIf(!VECTORS_PRESENT)('recorded ExchangeData is accepted', () => {
  for (const v of loadAllVectors()) {
    it(v.name, () => {
      const info = DHES.find((d) => d.bit === dheBit(v))!;
      for (const s of vectorSessions(v)) {
        const { keyExchange, keyExchangeRsp } = sessionMessages(v, s.session_index);
        // ExchangeData sits at offset 40 of both KEY_EXCHANGE and KEY_EXCHANGE_RSP.
        for (const m of [keyExchange, keyExchangeRsp]) {
          const data = m.subarray(40, 40 + info.exchangeSize);
          expect(dhePublicKeyFromExchangeData(info, data).asymmetricKeyDetails?.namedCurve).toBe(info.curve);
          const kp = generateDhe(info);
          expect(kp.computeSecret(data).length).toBe(info.secretSize);
        }
      }
    });
  }
});
