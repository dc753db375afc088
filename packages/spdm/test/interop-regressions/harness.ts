/**
 * Test helper for the interop regressions: libspdm's sample identities read in place from
 * shared/vectors/libspdm/keys (the chains and keys spdm-emu used in the captured runs), and a
 * responder with its session layer on an in-memory connection, driven the way the DMTF tools
 * drove ours (VCA, then a real KEY_EXCHANGE and records sealed by a SecuredSession).
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { splitDerCertificates } from '../../src/identity/der.js';
import { RESPONSE_CODE, type SpdmVersion } from '../../src/msgs/codes.js';
import { decodeErrorResponse } from '../../src/msgs/error.js';
import { DMTF_MEASUREMENT_TYPE } from '../../src/msgs/measurement-blocks.js';
import type { Negotiated } from '../../src/negotiated.js';
import { Authenticator } from '../../src/requester/authenticate.js';
import { DEFAULT_REQUESTER_CAPS, type RequesterInit } from '../../src/requester/init.js';
import { type KeyExchanged, keyExchangePhase, prepareKeyExchange } from '../../src/requester/key-exchange.js';
import { negotiate } from '../../src/requester/negotiate.js';
import { runPhase } from '../../src/requester/phase.js';
import { ResponderCore } from '../../src/responder/core.js';
import { type MeasurementSource, measurementSource } from '../../src/responder/measurement-source.js';
import type { ResponderRunInit } from '../../src/responder/run.js';
import { ResponderSessions } from '../../src/responder/sessions.js';
import { SecuredSession } from '../../src/session/secured-session.js';
import type { FramedConnection } from '../../src/transport/connection.js';
import { memoryConnectionPair } from '../../src/transport/memory.js';
import { TCP_SECURED_PARAMS } from '../../src/transport/secured-params.js';
import { LIBSPDM_DIR } from '../vectors/libspdm.js';

export const KEYS_DIR = new URL('keys/', LIBSPDM_DIR);
export const keysExist = existsSync(fileURLToPath(KEYS_DIR));

/** A describe title that says why the block is skipped when the vectors are absent. */
export function keysTitle(what: string): string {
  return keysExist ? what : `${what} (SKIPPED: libspdm sample keys not found at ${fileURLToPath(KEYS_DIR)})`;
}

export interface LibspdmIdentity {
  readonly certificates: readonly Uint8Array[];
  readonly privateKey: KeyObject;
  readonly root: Uint8Array;
}

/** libspdm's sample responder or requester identity of `dir` (ecp256, ecp384). */
export function libspdmIdentity(dir: 'ecp256' | 'ecp384', role: 'responder' | 'requester'): LibspdmIdentity {
  const read = (f: string) => new Uint8Array(readFileSync(new URL(`${dir}/${f}`, KEYS_DIR)));
  return {
    certificates: splitDerCertificates(read(`bundle_${role}.certchain.der`), 8),
    privateKey: createPrivateKey({ key: Buffer.from(read(`end_${role}.key`)), format: 'pem' }),
    root: read('ca.cert.der'),
  };
}

/** Three fixed blocks (no file reads in tests). */
export function fixedMeasurements(): MeasurementSource {
  return measurementSource([
    {
      index: 1,
      type: DMTF_MEASUREMENT_TYPE.IMMUTABLE_ROM,
      value: { kind: 'content', bytes: Uint8Array.of(1) },
    },
    {
      index: 2,
      type: DMTF_MEASUREMENT_TYPE.MUTABLE_FIRMWARE,
      value: { kind: 'content', bytes: Uint8Array.of(2) },
    },
    { index: 3, type: DMTF_MEASUREMENT_TYPE.VERSION, value: { kind: 'raw', bytes: Uint8Array.of(3) } },
  ]);
}

/** The ERROR code of `rsp`, asserting it is an ERROR. */
export function errorOf(rsp: Uint8Array): number {
  expect(rsp[1]).toBe(RESPONSE_CODE.ERROR);
  return decodeErrorResponse(rsp).errorCode;
}

/** Our responder with libspdm's ecp384 chain in slot 0, `over` applied. */
export function libspdmResponderInit(over: Partial<ResponderRunInit> = {}): ResponderRunInit {
  const id = libspdmIdentity('ecp384', 'responder');
  return {
    slots: [{ slotId: 0, certificates: id.certificates, privateKey: id.privateKey }],
    measurements: fixedMeasurements(),
    heartbeatPeriod: 240,
    ...over,
  };
}

export interface SessionRig {
  readonly core: ResponderCore;
  readonly sessions: ResponderSessions;
  /** Our side of the connection (the responder's), and the peer's. */
  readonly conn: FramedConnection;
  readonly peer: FramedConnection;
  readonly n: Negotiated;
  readonly ex: (req: Uint8Array) => Promise<Uint8Array>;
  readonly root: Uint8Array;
}

/** A ResponderCore + ResponderSessions on a memory connection, VCA done by our requester. */
export async function sessionRig(
  init: ResponderRunInit,
  version: SpdmVersion = 0x13,
  requester: Partial<RequesterInit> = {},
): Promise<SessionRig> {
  const core = new ResponderCore(init);
  const [conn, peer] = memoryConnectionPair();
  const sessions = new ResponderSessions(core, conn, init);
  const ex = async (req: Uint8Array) => core.handle(req);
  const n = await negotiate(ex, {
    versions: [version],
    capabilities: DEFAULT_REQUESTER_CAPS & ~0x100,
    ...requester,
  });
  return { core, sessions, conn, peer, n, ex, root: libspdmIdentity('ecp384', 'responder').root };
}

export interface OpenSession {
  readonly ke: KeyExchanged;
  readonly secured: SecuredSession;
  /** Sends `msg` in the session; resolves with the opened answer (SPDM message bytes). */
  inSession(msg: Uint8Array): Promise<Uint8Array>;
}

/** A real KEY_EXCHANGE through the core; the session is in its handshake. */
export async function openHandshake(r: SessionRig): Promise<OpenSession> {
  const auth = new Authenticator(r.ex, r.n, { trustedRoots: [r.root] });
  await auth.getDigests();
  const cert = await auth.getCertificate(0);
  const start = prepareKeyExchange(r.n, {
    slotId: 0,
    responderCertChain: cert.chain,
    responderKey: cert.validated.leafKey,
  });
  const ke = await runPhase(keyExchangePhase, start, undefined, r.ex);
  const secured = new SecuredSession({
    role: 'requester',
    sessionId: ke.sessionId,
    params: TCP_SECURED_PARAMS,
    keySchedule: ke.keySchedule,
  });
  const inSession = async (msg: Uint8Array): Promise<Uint8Array> => {
    r.sessions.onSecured(secured.sealSpdm(msg));
    const f = await r.peer.receive();
    if (f.type !== 'secured') throw new Error(`expected a record, got ${f.type}`);
    const o = secured.openRaw(f.payload);
    if (o.kind !== 'spdm') throw new Error('expected SPDM');
    return o.message;
  };
  return { ke, secured, inSession };
}
