/**
 * The authentication phase over real loopback TCP (DSP0287 framing): a `listenSpdm` responder
 * holding a generated chain (root -> intermediate -> leaf, node:crypto keys) and a
 * `connectAndNegotiate` requester driving `Authenticator` / `authenticate()`. For P-256 and
 * P-384 and SPDM 1.1, 1.2, 1.3: VCA -> digests -> certificate -> challenge -> measurements
 * (signed and unsigned). Negative cases: a chain from another root (InvalidCertificate), a
 * tampered CHALLENGE_AUTH signature (VerifyFailed), a 20 KiB chain fetched in several portions,
 * responders that lie about PortionLength / RemainderLength (typed errors after one round trip,
 * nothing allocated beyond the bound), and the responder's ERROR codes for CHALLENGE before
 * ALGORITHMS, a wrong slot and an offset past the end.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectAndNegotiate } from '../../src/client.js';
import { BASE_ASYM_ALGO, BASE_HASH_ALGO, MEASUREMENT_HASH_ALGO } from '../../src/crypto/algorithms.js';
import { SpdmError } from '../../src/errors.js';
import { type Certificate, encodeCertificate } from '../../src/msgs/certificate.js';
import { encodeChallenge, MEAS_SUMMARY_HASH_TYPE } from '../../src/msgs/challenge.js';
import {
  ERROR_CODE,
  REQUEST_CODE,
  RESPONSE_CODE,
  type SpdmVersion,
  versionName,
} from '../../src/msgs/codes.js';
import { encodeToBytes } from '../../src/msgs/encode.js';
import { decodeErrorResponse } from '../../src/msgs/error.js';
import { DMTF_MEASUREMENT_TYPE } from '../../src/msgs/measurement-blocks.js';
import { Authenticator, authenticate } from '../../src/requester/authenticate.js';
import { certificatePhase } from '../../src/requester/certificate.js';
import { CertChainCache } from '../../src/requester/chain-cache.js';
import type { Exchange } from '../../src/requester/exchange.js';
import type { RequesterInit } from '../../src/requester/init.js';
import { runPhase } from '../../src/requester/phase.js';
import { challengeHandler } from '../../src/responder/challenge.js';
import { ResponderCore } from '../../src/responder/core.js';
import type { RequestHandler } from '../../src/responder/handler.js';
import type { ResponderInit } from '../../src/responder/init.js';
import { ResponderSlots } from '../../src/responder/local-identity.js';
import { measurementSource } from '../../src/responder/measurement-source.js';
import { listenSpdm } from '../../src/responder/serve.js';
import type { FramedConnection } from '../../src/transport/connection.js';
import { exchangeOver } from '../../src/transport/exchange.js';
import { connectTcp, type TcpServerHandle } from '../../src/transport/tcp.js';
import { type Curve, slotOf, type TestIdentity, testIdentity } from '../auth-fixture.js';

const HOST = '127.0.0.1';
const servers: TcpServerHandle[] = [];
const conns: FramedConnection[] = [];

afterEach(async () => {
  for (const c of conns.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const SUITES: Record<Curve, { asym: number; hash: number; meas: number }> = {
  p256: {
    asym: BASE_ASYM_ALGO.ECDSA_P256,
    hash: BASE_HASH_ALGO.SHA_256,
    meas: MEASUREMENT_HASH_ALGO.SHA_256,
  },
  p384: {
    asym: BASE_ASYM_ALGO.ECDSA_P384,
    hash: BASE_HASH_ALGO.SHA_384,
    meas: MEASUREMENT_HASH_ALGO.SHA_384,
  },
};

const MEASUREMENTS = measurementSource([
  {
    index: 1,
    type: DMTF_MEASUREMENT_TYPE.MUTABLE_FIRMWARE,
    value: { kind: 'content', bytes: new Uint8Array(Buffer.from('program')) },
    tcb: true,
  },
  {
    index: 2,
    type: DMTF_MEASUREMENT_TYPE.FIRMWARE_CONFIGURATION,
    value: { kind: 'content', bytes: new Uint8Array(Buffer.from('config')) },
  },
]);

/** A responder on an ephemeral port; one core per connection, all sharing `slots`. */
async function serve(id: TestIdentity, init: ResponderInit = {}, curve: Curve = 'p256'): Promise<number> {
  const slots = new ResponderSlots([slotOf(id)]);
  const s = SUITES[curve];
  const full: ResponderInit = {
    slots,
    measurements: MEASUREMENTS,
    algorithms: { baseHash: [s.hash], measurementHash: [s.meas] },
    ...init,
  };
  const server = await listenSpdm(
    { host: HOST, port: 0, idleTimeoutMs: 10_000 },
    () => new ResponderCore(full),
  );
  servers.push(server);
  return server.address().port;
}

/** Connects, negotiates, and counts requests by code on the way out. */
async function connect(port: number, requester: RequesterInit = {}) {
  const { conn, negotiated } = await connectAndNegotiate(HOST, port, { timeoutMs: 5000, requester });
  conns.push(conn);
  const counts = new Map<number, number>();
  const raw = exchangeOver(conn);
  const exchange: Exchange = (req, signal) => {
    counts.set(req[1]!, (counts.get(req[1]!) ?? 0) + 1);
    return raw(req, signal);
  };
  return { conn, negotiated, exchange, counts };
}

async function failure(p: Promise<unknown>): Promise<SpdmError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SpdmError) return e;
    throw e;
  }
  throw new Error('expected an SpdmError');
}

const VERSIONS: readonly SpdmVersion[] = [0x11, 0x12, 0x13];

describe.each(['p256', 'p384'] as const)('authentication over loopback TCP, %s', (curve) => {
  let id: TestIdentity;
  let port: number;
  beforeAll(async () => {
    id = testIdentity({ curve, cn: `sled-${curve}` });
  });

  it.each(VERSIONS.map((v) => [versionName(v), v] as const))(
    'SPDM %s: VCA -> digests -> certificate -> challenge -> measurements (signed and unsigned)',
    async (_name, v) => {
      port = await serve(id, {}, curve);
      const { negotiated, exchange, counts } = await connect(port, { versions: [v] });
      expect(negotiated.version).toBe(v);
      expect(negotiated.baseAsymAlgo).toBe(SUITES[curve].asym);
      const auth = new Authenticator(exchange, negotiated, { trustedRoots: [id.root] });
      const d = await auth.getDigests();
      expect(d.provisionedSlotMask).toBe(1);
      const cert = await auth.getCertificate(0);
      expect(cert.validated.leafSubject).toBe(`CN=sled-${curve}`);
      expect(cert.fromCache).toBe(false);
      expect(counts.get(REQUEST_CODE.GET_CERTIFICATE)).toBe(1);
      const ch = await auth.challenge(0, MEAS_SUMMARY_HASH_TYPE.ALL);
      expect(ch.leafSubject).toBe(`CN=sled-${curve}`);
      expect(ch.measurementSummaryHash?.length).toBe(curve === 'p256' ? 32 : 48);
      const unsigned = await auth.getMeasurements({ signed: false, operation: 1 });
      expect(unsigned.blocks.map((b) => b.index)).toEqual([1]);
      const count = await auth.getMeasurements({ signed: false, operation: 'count' });
      expect(count.count).toBe(2);
      const signed = await auth.getMeasurements({ signed: true });
      expect(signed.blocks.map((b) => [b.index, b.type, b.value.length])).toEqual([
        [1, DMTF_MEASUREMENT_TYPE.MUTABLE_FIRMWARE, curve === 'p256' ? 32 : 48],
        [2, DMTF_MEASUREMENT_TYPE.FIRMWARE_CONFIGURATION, curve === 'p256' ? 32 : 48],
      ]);
      expect(auth.state.auth?.authenticated).toBe(true);
    },
  );

  it('authenticate(): a cached chain skips GET_CERTIFICATE and still proves the key', async () => {
    port = await serve(id, {}, curve);
    const chainCache = new CertChainCache();
    const init = { trustedRoots: [id.root], chainCache, measurements: { signed: true } } as const;
    const first = await connect(port);
    const a = await authenticate(first.exchange, first.negotiated, init);
    expect(a.certificate.fromCache).toBe(false);
    expect(a.measurements?.blocks.length).toBe(2);
    const second = await connect(port);
    const b = await authenticate(second.exchange, second.negotiated, init);
    expect(b.certificate.fromCache).toBe(true);
    expect(second.counts.get(REQUEST_CODE.GET_CERTIFICATE)).toBeUndefined();
    expect(b.challenge?.leafSubject).toBe(`CN=sled-${curve}`);
  });
});

describe('authentication failures over loopback TCP', () => {
  let id: TestIdentity;
  beforeAll(() => {
    id = testIdentity({ cn: 'sled-1' });
  });

  it('a responder whose chain comes from a different root is rejected (InvalidCertificate)', async () => {
    const port = await serve(id);
    const other = testIdentity({ cn: 'sled-1' });
    const { negotiated, exchange } = await connect(port);
    const e = await failure(authenticate(exchange, negotiated, { trustedRoots: [other.root] }));
    expect(e.code).toBe('InvalidCertificate');
    expect(e.message).toMatch(/neither a trusted root nor issued by one/);
  });

  it('a tampered CHALLENGE_AUTH signature is rejected (VerifyFailed)', async () => {
    const flipping: RequestHandler = {
      ...challengeHandler,
      handle(request, ctx) {
        const r = challengeHandler.handle(request, ctx);
        const response = r.response.slice();
        response[response.length - 1]! ^= 0x01;
        return { ...r, response };
      },
    };
    const port = await serve(id, { handlers: new Map([[REQUEST_CODE.CHALLENGE, flipping]]) });
    const { negotiated, exchange } = await connect(port);
    const e = await failure(authenticate(exchange, negotiated, { trustedRoots: [id.root] }));
    expect(e.code).toBe('VerifyFailed');
    expect(e.message).toMatch(/signature/);
  });

  it('a 20 KiB certificate chain is retrieved in several GET_CERTIFICATE round trips', async () => {
    const big = testIdentity({ cn: 'big', padLeafBy: 20 * 1024 });
    const port = await serve(big);
    const { negotiated, exchange, counts } = await connect(port);
    const a = await authenticate(exchange, negotiated, { trustedRoots: [big.root] });
    expect(a.certificate.chain.length).toBeGreaterThan(20 * 1024);
    expect(a.certificate.requests).toBe(Math.ceil(a.certificate.chain.length / (4608 - 8)));
    expect(counts.get(REQUEST_CODE.GET_CERTIFICATE)).toBeGreaterThanOrEqual(5);
    expect(a.challenge?.leafSubject).toBe('CN=big');
  });

  /** A GET_CERTIFICATE handler answering with made-up lengths (the chain bytes do not matter). */
  function liar(
    answer: (call: number, length: number) => { portion: number; remainder: number },
  ): RequestHandler {
    let call = 0;
    return {
      name: 'LYING GET_CERTIFICATE',
      allowedIn: ['Negotiated'],
      handle(request, ctx) {
        const length = Buffer.from(request).readUInt16LE(6);
        const a = answer(call++, length);
        const m: Certificate = {
          code: RESPONSE_CODE.CERTIFICATE,
          version: ctx.version!,
          slotId: 0,
          certificateInfo: 0,
          portion: new Uint8Array(a.portion).fill(0x30),
          remainderLength: a.remainder,
        };
        return { response: encodeToBytes(encodeCertificate, m) };
      },
    };
  }

  it.each([
    [
      'a portion longer than asked',
      'InvalidMsgField',
      1,
      () => liar((_c, len) => ({ portion: len + 1, remainder: 0 })),
    ],
    [
      'a remainder that grows',
      'InvalidMsgField',
      2,
      () => liar((c) => ({ portion: 100, remainder: c === 0 ? 1000 : 5000 })),
    ],
    // refused on the first answer, before a buffer of the announced size exists
    ['a total over the bound', 'TooLarge', 1, () => liar(() => ({ portion: 100, remainder: 0xffff - 100 }))],
    [
      'an empty portion with bytes remaining',
      'InvalidMsgField',
      1,
      () => liar(() => ({ portion: 0, remainder: 500 })),
    ],
  ] as const)(
    'a responder that lies (%s) is rejected: %s after %i round trip(s)',
    async (_what, code, rounds, make) => {
      const port = await serve(id, { handlers: new Map([[REQUEST_CODE.GET_CERTIFICATE, make()]]) });
      const { negotiated, exchange, counts } = await connect(port);
      const e = await failure(
        authenticate(exchange, negotiated, {
          trustedRoots: [id.root],
          maxCertChainSize: 4096,
          certPortionLength: 200,
        }),
      );
      expect(e.code).toBe(code);
      expect(counts.get(REQUEST_CODE.GET_CERTIFICATE)).toBe(rounds);
    },
  );

  it('CHALLENGE before ALGORITHMS: UnexpectedRequest; wrong slot and offset past the end: InvalidRequest', async () => {
    const port = await serve(id);
    const raw = await connectTcp(HOST, port);
    conns.push(raw);
    const ex = exchangeOver(raw, { timeoutMs: 5000 });
    await ex(Uint8Array.of(0x10, 0x84, 0, 0));
    const ch = encodeToBytes(encodeChallenge, {
      code: REQUEST_CODE.CHALLENGE,
      version: 0x12,
      slotId: 0,
      measurementSummaryHashType: 0,
      nonce: new Uint8Array(32),
    });
    expect(decodeErrorResponse(await ex(ch)).errorCode).toBe(ERROR_CODE.UnexpectedRequest);

    const { negotiated, exchange } = await connect(port);
    const auth = new Authenticator(exchange, negotiated, { trustedRoots: [id.root] });
    await auth.getDigests();
    const wrongSlot = await failure(auth.getCertificate(3));
    expect([wrongSlot.code, wrongSlot.wireCode]).toEqual(['Peer', ERROR_CODE.InvalidRequest]);
    const past = await failure(
      runPhase(certificatePhase({ slotId: 0, offset: 0xfff0, length: 16 }), auth.state, auth.cfg, exchange),
    );
    expect([past.code, past.wireCode]).toEqual(['Peer', ERROR_CODE.InvalidRequest]);
    // the connection is still usable afterwards
    expect((await auth.challenge(0)).leafSubject).toBe('CN=sled-1');
  });
});
