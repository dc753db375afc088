/**
 * peerIdentityOf: the identity of a chain structure (copies, leaf subject on one line), the same
 * for a leaf seen before (subjects are remembered by exact DER) and with a subject given by the
 * caller; a leaf that does not parse is InvalidCertificate every time.
 */
import { describe, expect, it } from 'vitest';
import { hashInfo } from '../../src/crypto/algorithms.js';
import { isSpdmError } from '../../src/errors.js';
import { buildCertChain } from '../../src/identity/cert-chain.js';
import { peerIdentityOf } from '../../src/session/peer.js';
import { testPki } from '../identity/test-certs.js';

const sha256 = hashInfo(1);
const pki = testPki();

describe('peerIdentityOf', () => {
  it('renders the leaf subject, copies the chain, and gives the same answer for a leaf seen before', () => {
    const leaf = pki.leaf({ subject: 'Peer One' });
    const chain = buildCertChain([pki.root, pki.inter, leaf], sha256);
    const a = peerIdentityOf(chain, sha256.size, 3);
    expect(a).toMatchObject({ leafSubject: 'CN=Peer One', slotId: 3 });
    expect(a.chain).toHaveLength(3);
    expect(Buffer.from(a.leafCertificate).equals(Buffer.from(leaf))).toBe(true);
    chain.fill(0);
    expect(a.certChain.some((b) => b !== 0)).toBe(true);
    const again = peerIdentityOf(buildCertChain([pki.root, pki.inter, leaf], sha256), sha256.size, 0);
    expect(again.leafSubject).toBe('CN=Peer One');
    const other = peerIdentityOf(
      buildCertChain([pki.root, pki.inter, pki.leaf({ subject: 'Peer Two' })], sha256),
      sha256.size,
      0,
    );
    expect(other.leafSubject).toBe('CN=Peer Two');
    const given = peerIdentityOf(buildCertChain([pki.root, pki.inter, leaf], sha256), sha256.size, 0, 'x');
    expect(given.leafSubject).toBe('x');
  });

  it('a leaf that does not parse is InvalidCertificate, also when asked again', () => {
    const bad = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00); // DER, but not a certificate
    const chain = buildCertChain([pki.root, pki.inter], sha256);
    const withBad = new Uint8Array(chain.length + bad.length);
    withBad.set(chain);
    withBad.set(bad, chain.length);
    new DataView(withBad.buffer).setUint32(0, withBad.length, true);
    for (let i = 0; i < 2; i++) {
      let thrown: unknown;
      try {
        peerIdentityOf(withBad, sha256.size, 0);
      } catch (e) {
        thrown = e;
      }
      expect(isSpdmError(thrown, 'InvalidCertificate')).toBe(true);
    }
  });
});
