/**
 * Test helper for the session tests: a test PKI (test-certs.ts) with a responder and a requester
 * identity per suite, responder/requester options for each suite, and loopback TCP servers that
 * run the real responder (`serve`) on 127.0.0.1.
 */
import type { KeyObject } from 'node:crypto';
import type { AlgorithmPrefs } from '../../src/algorithm-prefs.js';
import { AEAD_SUITE, BASE_ASYM_ALGO, BASE_HASH_ALGO, DHE_GROUP } from '../../src/crypto/algorithms.js';
import { type ServeInit, serve } from '../../src/responder/run.js';
import type { TcpServerHandle } from '../../src/transport/tcp.js';
import { makeCert, newKey, testPki } from '../identity/test-certs.js';

export interface Suite {
  readonly name: string;
  readonly key: 'p256' | 'p384';
  readonly algorithms: Partial<AlgorithmPrefs>;
}

export const SUITES: readonly Suite[] = [
  {
    name: 'P-256 / SHA-256 / AES-256-GCM',
    key: 'p256',
    algorithms: {
      baseHash: [BASE_HASH_ALGO.SHA_256],
      baseAsym: [BASE_ASYM_ALGO.ECDSA_P256],
      reqBaseAsym: [BASE_ASYM_ALGO.ECDSA_P256],
      dhe: [DHE_GROUP.SECP256R1],
      aead: [AEAD_SUITE.AES_256_GCM],
    },
  },
  {
    name: 'P-384 / SHA-384 / AES-256-GCM',
    key: 'p384',
    algorithms: {
      baseHash: [BASE_HASH_ALGO.SHA_384],
      baseAsym: [BASE_ASYM_ALGO.ECDSA_P384],
      reqBaseAsym: [BASE_ASYM_ALGO.ECDSA_P384],
      dhe: [DHE_GROUP.SECP384R1],
      aead: [AEAD_SUITE.AES_256_GCM],
    },
  },
  {
    name: 'P-256 / SHA-256 / ChaCha20-Poly1305',
    key: 'p256',
    algorithms: {
      baseHash: [BASE_HASH_ALGO.SHA_256],
      baseAsym: [BASE_ASYM_ALGO.ECDSA_P256],
      reqBaseAsym: [BASE_ASYM_ALGO.ECDSA_P256],
      dhe: [DHE_GROUP.SECP256R1],
      aead: [AEAD_SUITE.CHACHA20_POLY1305],
    },
  },
];

export interface Identity {
  readonly certificates: readonly Uint8Array[];
  readonly privateKey: KeyObject;
}

export interface Identities {
  readonly root: Uint8Array;
  readonly responder: Identity;
  readonly requester: Identity;
}

let serial = 100;

/** A root, an intermediate and two leaves (responder, requester) with `kind` keys. */
export function identities(kind: 'p256' | 'p384' = 'p256'): Identities {
  const pki = testPki();
  const leaf = (subject: string): Identity => {
    const k = newKey(kind);
    const der = makeCert({
      subject,
      issuer: 'Test Intermediate',
      signer: pki.interKey,
      publicKey: k.publicKey,
      serial: serial++,
      keyUsage: [0],
    });
    return { certificates: [pki.root, pki.inter, der], privateKey: k.privateKey };
  };
  return { root: pki.root, responder: leaf('Test Responder'), requester: leaf('Test Requester') };
}

/** Responder options: slot 0 = ids.responder, mutual authentication against ids.root. */
export function responderInit(ids: Identities, suite: Suite, over: Partial<ServeInit> = {}): ServeInit {
  return {
    slots: [{ slotId: 0, certificates: ids.responder.certificates, privateKey: ids.responder.privateKey }],
    mutualAuth: { trustedRoots: [ids.root] },
    algorithms: suite.algorithms,
    ...over,
  };
}

/** A real TCP responder on 127.0.0.1 (ephemeral port). */
export async function startResponder(init: ServeInit): Promise<{ server: TcpServerHandle; port: number }> {
  const server = await serve({ host: '127.0.0.1', port: 0 }, init);
  return { server, port: server.address().port };
}
