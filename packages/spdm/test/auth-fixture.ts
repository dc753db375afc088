/**
 * Test helper for the authentication phase: generated device identities (root -> intermediate ->
 * leaf, P-256 or P-384, made with node:crypto keys by identity/test-certs.ts), a ResponderCore /
 * Authenticator pair wired in process, and a recorded exchange that counts requests.
 */
import type { KeyObject } from 'node:crypto';
import { ResponderCore } from '../src/responder/core.js';
import type { ResponderInit } from '../src/responder/init.js';
import type { ResponderSlotInit } from '../src/responder/local-identity.js';
import { makeCert, newKey } from './identity/test-certs.js';

export type Curve = 'p256' | 'p384';

export interface TestIdentity {
  /** DER of the self-signed root. */
  readonly root: Uint8Array;
  /** root, intermediate, leaf (DER). */
  readonly certificates: readonly Uint8Array[];
  readonly privateKey: KeyObject;
  readonly leafSubject: string;
}

export interface TestIdentityInit {
  readonly curve?: Curve;
  /** Leaf subject CN. Default "Test Device". */
  readonly cn?: string;
  /** Adds a non-critical extension of this many bytes to the leaf. */
  readonly padLeafBy?: number;
}

/** A fresh root, intermediate and leaf; every certificate of the chain uses `curve`. */
export function testIdentity(init: TestIdentityInit = {}): TestIdentity {
  const curve = init.curve ?? 'p256';
  const root = newKey(curve);
  const inter = newKey(curve);
  const leaf = newKey(curve);
  const cn = init.cn ?? 'Test Device';
  const rootDer = makeCert({
    subject: 'Test Root',
    issuer: 'Test Root',
    signer: root.privateKey,
    publicKey: root.publicKey,
    ca: true,
    keyUsage: [5, 6],
  });
  const interDer = makeCert({
    subject: 'Test Intermediate',
    issuer: 'Test Root',
    signer: root.privateKey,
    publicKey: inter.publicKey,
    serial: 2,
    ca: true,
    keyUsage: [5, 6],
  });
  const pad = init.padLeafBy ?? 0;
  const leafDer = makeCert({
    subject: cn,
    issuer: 'Test Intermediate',
    signer: inter.privateKey,
    publicKey: leaf.publicKey,
    serial: 3,
    keyUsage: [0],
    // 1.3.6.1.4.1.55555.1: a private-arc OID nobody interprets
    ...(pad > 0
      ? { extraExtensions: [{ oid: '1.3.6.1.4.1.55555.1', value: new Uint8Array(pad).fill(0x5a) }] }
      : {}),
  });
  return {
    root: rootDer,
    certificates: [rootDer, interDer, leafDer],
    privateKey: leaf.privateKey,
    leafSubject: `CN=${cn}`,
  };
}

/** Slot 0 of a responder holding `id`. */
export function slotOf(id: TestIdentity, slotId = 0): ResponderSlotInit {
  return { slotId, certificates: id.certificates, privateKey: id.privateKey };
}

/** An in-process exchange to `core` that counts requests by code. */
export function coreExchange(core: ResponderCore) {
  const counts = new Map<number, number>();
  const exchange = async (req: Uint8Array) => {
    counts.set(req[1]!, (counts.get(req[1]!) ?? 0) + 1);
    return core.handle(req);
  };
  return { exchange, counts };
}

/** A ResponderCore serving `id` in slot 0. */
export function responderFor(id: TestIdentity, init: ResponderInit = {}): ResponderCore {
  return new ResponderCore({ slots: [slotOf(id)], ...init });
}
