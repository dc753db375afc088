/**
 * Test helper for the session tests: a test PKI (test-certs.ts) with a responder and a requester
 * identity per suite, responder/requester options for each suite, and loopback TCP servers that
 * run the real responder (`serve`) on 127.0.0.1.
 */
import { createHash, type Hash, type KeyObject, randomBytes } from 'node:crypto';
import type { AlgorithmPrefs } from '../../src/algorithm-prefs.js';
import { AEAD_SUITE, BASE_ASYM_ALGO, BASE_HASH_ALGO, DHE_GROUP } from '../../src/crypto/algorithms.js';
import { type RequesterRunInit, type RequesterRunResult, run } from '../../src/requester/run.js';
import { type OnSession, type ResponderSessionInfo, type ServeInit, serve } from '../../src/responder/run.js';
import type { PeerIdentity } from '../../src/session/peer.js';
import type { SecureChannel } from '../../src/session/secure-channel.js';
import type { TcpServerHandle } from '../../src/transport/tcp.js';
import { connectTcp } from '../../src/transport/tcp.js';
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

/** What the echo responder saw of one session. */
export interface EchoRecord {
  readonly peer: PeerIdentity | null;
  readonly info: ResponderSessionInfo;
  readonly hash: Hash;
  bytes: number;
  error: Error | undefined;
  /** Resolves when the responder's channel has closed. */
  readonly closed: Promise<void>;
}

/** An onSession that echoes everything back and records what it received. */
export function echoResponder(): { onSession: OnSession; sessions: EchoRecord[] } {
  const sessions: EchoRecord[] = [];
  const onSession: OnSession = (channel, peer, info) => {
    let closed!: () => void;
    const rec: EchoRecord = {
      peer,
      info,
      hash: createHash('sha256'),
      bytes: 0,
      error: undefined,
      closed: new Promise<void>((r) => {
        closed = r;
      }),
    };
    sessions.push(rec);
    channel.on('data', (d: Buffer) => {
      rec.hash.update(d);
      rec.bytes += d.length;
    });
    channel.on('error', (e) => {
      rec.error = e;
    });
    channel.on('close', () => closed());
    channel.pipe(channel);
  };
  return { onSession, sessions };
}

/** Requester options for `ids` and `suite`. */
export function requesterInit(
  ids: Identities,
  suite: Suite,
  over: Partial<RequesterRunInit> = {},
): RequesterRunInit {
  return { trustedRoots: [ids.root], identity: ids.requester, algorithms: suite.algorithms, ...over };
}

/** Connects to 127.0.0.1:`port` and runs the requester. */
export async function openSession(port: number, init: RequesterRunInit): Promise<RequesterRunResult> {
  const conn = await connectTcp('127.0.0.1', port);
  return run(conn, init);
}

/** Resolves when `channel` closes; rejects with its error. */
export function closedOf(channel: SecureChannel): Promise<void> {
  return new Promise((resolve, reject) => {
    if (channel.destroyed && channel.closed) resolve();
    channel.once('error', reject);
    channel.once('close', () => resolve());
  });
}

/** Resolves with the error that destroys `channel` (rejects if it closes without one). */
export function errorOf(channel: SecureChannel): Promise<Error> {
  return new Promise((resolve, reject) => {
    channel.once('error', resolve);
    channel.once('close', () => setImmediate(() => reject(new Error('closed without error'))));
  });
}

/** Collects what `channel` delivers: its byte count and SHA-256. */
export function collect(channel: SecureChannel): { hash: Hash; bytes: () => number; text: () => string } {
  const hash = createHash('sha256');
  const parts: Buffer[] = [];
  let n = 0;
  channel.on('data', (d: Buffer) => {
    hash.update(d);
    n += d.length;
    if (parts.length < 64) parts.push(d);
  });
  return { hash, bytes: () => n, text: () => Buffer.concat(parts).toString() };
}

/**
 * Writes `total` random bytes in 1 MiB blocks with backpressure; returns their SHA-256 (hex).
 * `onBlock(i)` runs before block i is written.
 */
export async function writeRandom(
  channel: SecureChannel,
  total: number,
  onBlock?: (i: number) => void,
): Promise<string> {
  const h = createHash('sha256');
  const block = randomBytes(1 << 20);
  for (let i = 0, left = total; left > 0; i++) {
    onBlock?.(i);
    const piece = left >= block.length ? block : block.subarray(0, left);
    h.update(piece);
    left -= piece.length;
    if (!channel.write(piece)) await new Promise((r) => channel.once('drain', r));
  }
  return h.digest('hex');
}
