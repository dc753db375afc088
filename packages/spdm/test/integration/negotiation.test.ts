/**
 * VCA over real loopback TCP, both framings: a `listenSpdm` responder and a
 * `connectAndNegotiate` requester in one process. Every version pair (requester and responder
 * each offering a non-empty subset of 1.1..1.3) settles on the highest common version, or
 * VersionMismatch when there is none; disjoint algorithms give NegotiationFailed; truncated,
 * oversize and garbage input from raw sockets only costs that connection; a silent peer hits
 * the configured deadline; a peer closing mid-message gives Closed.
 */
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ConnectAndNegotiateInit, connectAndNegotiate } from '../../src/client.js';
import { toHex } from '../../src/codec/bytes.js';
import { BASE_ASYM_ALGO, BASE_HASH_ALGO, DHE_GROUP } from '../../src/crypto/algorithms.js';
import { SpdmError } from '../../src/errors.js';
import { ERROR_CODE, type SpdmVersion, versionName } from '../../src/msgs/codes.js';
import type { Negotiated } from '../../src/negotiated.js';
import { ResponderCore } from '../../src/responder/core.js';
import type { ResponderInit } from '../../src/responder/init.js';
import { type ListenSpdmInit, listenSpdm, type SpdmServeOutcome } from '../../src/responder/serve.js';
import type { FramedConnection } from '../../src/transport/connection.js';
import type { Framing } from '../../src/transport/frame.js';
import { encodeFrame } from '../../src/transport/framing.js';
import type { TcpServerHandle } from '../../src/transport/tcp.js';

const HOST = '127.0.0.1';
const ALL: readonly SpdmVersion[] = [0x11, 0x12, 0x13];
const FRAMINGS: readonly Framing[] = ['dsp0287', 'length16'];
const GET_VERSION = Uint8Array.of(0x10, 0x84, 0, 0);

const servers: TcpServerHandle[] = [];
const rawServers: Server[] = [];
const sockets: Socket[] = [];
const conns: FramedConnection[] = [];

afterEach(async () => {
  for (const c of conns.splice(0)) c.destroy();
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(rawServers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Every non-empty subset of 1.1..1.3, in ascending order inside each subset. */
const SUBSETS: SpdmVersion[][] = [1, 2, 3, 4, 5, 6, 7].map((m) => ALL.filter((_, i) => (m >> i) & 1));
const names = (vs: readonly number[]) => vs.map(versionName).join(',');

interface Responder {
  server: TcpServerHandle;
  port: number;
  outcomes: SpdmServeOutcome[];
}

async function responder(
  framing: Framing,
  init: ResponderInit = {},
  listen: Partial<ListenSpdmInit> = {},
): Promise<Responder> {
  const outcomes: SpdmServeOutcome[] = [];
  const server = await listenSpdm(
    { framing, idleTimeoutMs: 10_000, ...listen, onOutcome: (o) => outcomes.push(o) },
    () => new ResponderCore(init),
  );
  servers.push(server);
  return { server, port: server.address().port, outcomes };
}

async function negotiateWith(
  port: number,
  framing: Framing,
  init: Omit<ConnectAndNegotiateInit, 'framing'> = {},
): Promise<Negotiated> {
  const { conn, negotiated } = await connectAndNegotiate(HOST, port, { framing, timeoutMs: 5000, ...init });
  conns.push(conn);
  await conn.close();
  return negotiated;
}

async function failure(p: Promise<unknown>): Promise<SpdmError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SpdmError);
  return e as SpdmError;
}

/** A raw TCP server whose behaviour the test scripts byte by byte. */
async function rawServer(onSocket: (s: Socket) => void): Promise<number> {
  const server = createServer((s) => {
    s.on('error', () => {});
    sockets.push(s);
    onSocket(s);
  });
  rawServers.push(server);
  await new Promise<void>((r) => server.listen(0, HOST, r));
  return (server.address() as AddressInfo).port;
}

async function rawClient(port: number): Promise<Socket> {
  const s = connect({ host: HOST, port });
  s.on('error', () => {});
  s.resume(); // discard what the responder sends, so 'close' can follow its hang-up
  sockets.push(s);
  await new Promise((r) => s.once('connect', r));
  return s;
}

/** Resolves when the socket has fully closed (the responder hung up, or we did). */
function closed(s: Socket): Promise<void> {
  return new Promise((r) => (s.destroyed && s.closed ? r() : s.once('close', () => r())));
}

/** The header of a frame that announces `payloadSize` bytes of plain SPDM. */
function header(framing: Framing, payloadSize: number): Uint8Array {
  return encodeFrame(framing, 'spdm', new Uint8Array(payloadSize)).subarray(0, framing === 'dsp0287' ? 4 : 2);
}

/** Deterministic PRNG (xorshift32) so a failing garbage run can be replayed. */
function prng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

describe.each(FRAMINGS)('SPDM negotiation over loopback TCP, %s framing', (framing) => {
  it.each(SUBSETS.map((s) => [names(s), s] as const))(
    'responder listing %s: every requester subset gets the highest common version or VersionMismatch',
    async (_name, supported) => {
      const r = await responder(framing, { versions: supported });
      let attempts = 0;
      let checked = 0;
      for (const offered of SUBSETS) {
        const pair = `${names(offered)} vs ${names(supported)}`;
        const common = offered.filter((v) => supported.includes(v));
        const attempt = negotiateWith(r.port, framing, { requester: { versions: offered } });
        attempts++;
        if (common.length === 0) {
          expect((await failure(attempt)).code, pair).toBe('VersionMismatch');
          continue;
        }
        const n = await attempt;
        expect(versionName(n.version), pair).toBe(versionName(Math.max(...common)));
        // The responder's side of this connection (mismatched ones before it served 1 request).
        await vi.waitFor(() => expect(r.outcomes.length).toBe(attempts));
        const fresh = r.outcomes.slice(checked);
        checked = attempts;
        const served = fresh.filter((o) => o.requests === 3);
        expect(served.length, pair).toBe(1);
        for (const o of fresh) expect(o.reason).toBe('peer-closed');
        for (const o of fresh.filter((x) => x.requests !== 3)) expect(o.core.negotiated).toBeNull();
        // Both ends agree on everything, down to the VCA transcript bytes.
        const theirs = served[0]!.core.negotiated!;
        expect(toHex(theirs.vca), pair).toBe(toHex(n.vca));
        expect({ ...theirs, vca: null }, pair).toEqual({ ...n, vca: null });
      }
      await vi.waitFor(() => expect(r.outcomes.length).toBe(SUBSETS.length));
    },
  );

  it('no common algorithm: NegotiationFailed (responder sent ERROR InvalidRequest), and it keeps serving', async () => {
    const r = await responder(framing, { algorithms: { dhe: [DHE_GROUP.SECP384R1] } });
    const e = await failure(
      negotiateWith(r.port, framing, { requester: { algorithms: { dhe: [DHE_GROUP.SECP256R1] } } }),
    );
    expect(e.code).toBe('NegotiationFailed');
    expect(e.wireCode).toBe(ERROR_CODE.InvalidRequest);
    const hash = await failure(
      negotiateWith(r.port, framing, {
        requester: { algorithms: { baseHash: [BASE_HASH_ALGO.SHA_512], dhe: [DHE_GROUP.SECP384R1] } },
      }),
    );
    expect(hash.code).toBe('NegotiationFailed');
    const asym = await failure(
      negotiateWith(r.port, framing, {
        requester: { algorithms: { baseAsym: [BASE_ASYM_ALGO.RSAPSS_3072], dhe: [DHE_GROUP.SECP384R1] } },
      }),
    );
    expect(asym.code).toBe('NegotiationFailed');
    const ok = await negotiateWith(r.port, framing, {
      requester: { algorithms: { dhe: [DHE_GROUP.SECP384R1] } },
    });
    expect(ok.dheGroup).toBe(DHE_GROUP.SECP384R1);
  });

  it('a truncated frame (peer half-closes mid-frame) closes that connection only', async () => {
    const r = await responder(framing);
    const s = await rawClient(r.port);
    s.end(Buffer.concat([header(framing, 4), GET_VERSION.subarray(0, 2)]));
    await closed(s);
    await vi.waitFor(() => expect(r.outcomes.length).toBe(1));
    expect(r.outcomes[0]!.reason).toBe('peer-closed');
    expect((r.outcomes[0]!.error as SpdmError).message).toMatch(/mid-frame: 2 of \d+ byte\(s\) missing/);
    expect(r.outcomes[0]!.requests).toBe(0);
    expect((await negotiateWith(r.port, framing)).version).toBe(0x13);
  });

  it('a truncated frame followed by silence is closed by the idle timeout', async () => {
    const r = await responder(framing, {}, { idleTimeoutMs: 200 });
    const s = await rawClient(r.port);
    s.write(Buffer.concat([header(framing, 4), GET_VERSION.subarray(0, 1)]));
    await closed(s);
    await vi.waitFor(() => expect(r.outcomes.length).toBe(1));
    expect(r.outcomes[0]!.reason).toBe('idle');
    expect((await negotiateWith(r.port, framing)).version).toBe(0x13);
  });

  it('an oversize frame is refused from its header alone; that connection closes, the server serves on', async () => {
    const r = await responder(framing, {}, { maxFrameSize: 512 });
    const s = await rawClient(r.port);
    s.write(header(framing, 1000)); // no payload follows: the header is enough to refuse it
    await closed(s);
    await vi.waitFor(() => expect(r.outcomes.length).toBe(1));
    expect(r.outcomes[0]!.reason).toBe('error');
    expect((r.outcomes[0]!.error as SpdmError).code).toBe('TooLarge');
    expect((await negotiateWith(r.port, framing)).version).toBe(0x13);
  });

  it('a silent peer gives Timeout within the configured deadline', async () => {
    const port = await rawServer(() => {});
    const t0 = Date.now();
    const e = await failure(negotiateWith(port, framing, { timeoutMs: 300 }));
    const elapsed = Date.now() - t0;
    expect(e.code).toBe('Timeout');
    expect(e.message).toMatch(/300 ms/);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(5000); // the 5 s default deadline did not apply
  });

  it('a peer that closes mid-message gives Closed', async () => {
    // Answers GET_VERSION with the first half of a 12-byte VERSION frame, then hangs up.
    const version = encodeFrame(
      framing,
      'spdm',
      Uint8Array.of(0x10, 0x04, 0, 0, 0, 1, 0, 0x13, 0, 0x12, 0, 0x11),
    );
    const port = await rawServer((s) => s.once('data', () => s.end(version.subarray(0, 7))));
    const e = await failure(negotiateWith(port, framing));
    expect(e.code).toBe('Closed');
    expect(e.message).toMatch(/mid-frame/);
  });

  it('a peer that closes after reading the request, before answering, gives Closed', async () => {
    const port = await rawServer((s) => s.once('data', () => s.end()));
    expect((await failure(negotiateWith(port, framing))).code).toBe('Closed');
  });

  it('survives 100 garbage connections and still negotiates', async () => {
    const seed = 0x5eed0000 + (framing === 'dsp0287' ? 1 : 2);
    const rnd = prng(seed);
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => rnd(256));
    const r = await responder(framing, {}, { idleTimeoutMs: 2000 });
    const garbage = async (i: number): Promise<void> => {
      const s = await rawClient(r.port);
      switch (i % 6) {
        case 0: // random bytes, then a clean close
          s.end(bytes(1 + rnd(300)));
          break;
        case 1: // random bytes, then an abrupt close
          s.write(bytes(1 + rnd(300)), () => s.destroy());
          break;
        case 2: // a header announcing more than is sent, then a close
          s.end(Buffer.concat([header(framing, 8 + rnd(200)), bytes(rnd(8))]));
          break;
        case 3: // connect and leave at once
          s.destroy();
          break;
        case 4: // well-framed random messages: the core answers each with an ERROR
          s.end(Buffer.concat([1, 2, 3].map(() => encodeFrame(framing, 'spdm', bytes(1 + rnd(64))))));
          break;
        default: // a valid request, then junk after it
          s.end(Buffer.concat([encodeFrame(framing, 'spdm', GET_VERSION), bytes(1 + rnd(64))]));
      }
      await closed(s);
    };
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(Array.from({ length: 10 }, (_, k) => garbage(batch * 10 + k)));
    }
    await vi.waitFor(() => expect(r.outcomes.length).toBe(100), { timeout: 10_000 });
    const reasons = new Set(r.outcomes.map((o) => o.reason));
    for (const reason of reasons) {
      expect(['peer-closed', 'error', 'secured-unsupported'], `seed ${seed}`).toContain(reason);
    }
    expect(r.outcomes.filter((o) => o.requests >= 3).length, 'random messages were answered').toBeGreaterThan(
      0,
    );
    await vi.waitFor(() => expect(r.server.connections).toBe(0));
    const n = await negotiateWith(r.port, framing);
    expect(n.version).toBe(0x13);
  });
});
