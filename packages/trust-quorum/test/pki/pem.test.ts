/**
 * PEM encoding (RFC 7468) against node:crypto's own PEM output for real keys and
 * certificates, round trips for arbitrary bytes, and refusal of malformed text.
 */
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generatePki } from '../../src/pki/index.js';
import { pemBytes, pemDecodeAll, pemString } from '../../src/pki/pem.js';

describe('pemBytes / pemString', () => {
  it.each(['ec', 'ed25519', 'rsa'] as const)('matches node:crypto PKCS#8 PEM for a %s key', (type) => {
    const { privateKey } =
      type === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
        : type === 'rsa'
          ? generateKeyPairSync('rsa', { modulusLength: 2048 })
          : generateKeyPairSync('ed25519');
    const der = privateKey.export({ type: 'pkcs8', format: 'der' });
    const nodePem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(Buffer.from(pemBytes('PRIVATE KEY', der)).toString('latin1')).toBe(nodePem);
  });

  it('matches node:crypto X509Certificate.toString() for a certificate', async () => {
    const { X509Certificate } = await import('node:crypto');
    const m = await generatePki({ sleds: 1 });
    const der = m.sleds[0]!.chainDer[1]!;
    expect(pemString('CERTIFICATE', der)).toBe(new X509Certificate(der).toString());
  });

  it('round-trips arbitrary bytes, lines of 64 characters', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 4 }), (ders) => {
        const text = ders.map((d) => pemString('CERTIFICATE', d)).join('');
        const back = pemDecodeAll(text, 'CERTIFICATE');
        expect(back.map((b) => Buffer.from(b).toString('hex'))).toEqual(
          ders.map((d) => Buffer.from(d).toString('hex')),
        );
        for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(64);
      }),
    );
  });
});

describe('pemDecodeAll refusals', () => {
  const one = pemString('CERTIFICATE', Uint8Array.of(1, 2, 3));
  it.each([
    ['text before', `junk\n${one}`],
    ['text after', `${one}junk`],
    ['text between', `${one}junk\n${one}`],
    ['another label', pemString('PRIVATE KEY', Uint8Array.of(1))],
    ['mismatched END', '-----BEGIN CERTIFICATE-----\nAQID\n-----END PRIVATE KEY-----\n'],
    ['no END', '-----BEGIN CERTIFICATE-----\nAQID\n'],
  ])('%s', (_, text) => {
    expect(() => pemDecodeAll(text, 'CERTIFICATE')).toThrow(RangeError);
  });

  it('accepts CRLF line ends and surrounding whitespace', () => {
    const crlf = `\r\n${one.replace(/\n/g, '\r\n')}\r\n`;
    expect(pemDecodeAll(crlf, 'CERTIFICATE')).toEqual([Uint8Array.of(1, 2, 3)]);
  });

  it('never throws anything but RangeError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          pemDecodeAll(s, 'CERTIFICATE');
        } catch (e) {
          expect(e).toBeInstanceOf(RangeError);
        }
      }),
    );
  });
});
