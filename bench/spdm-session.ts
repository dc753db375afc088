/**
 * Benchmark `spdm-session`: a full mutually authenticated SPDM 1.3 session on loopback, for the
 * P-256 and the P-384 suite (lib/suites.ts), against the Node TLS 1.3 session of tls-handshake.ts
 * (same certificates, matching ECDHE group) and against the session's own crypto floor
 * (crypto-floor.ts), all measured interleaved in this one process.
 *
 * One session: new TCP connection (TCP_NODELAY), GET_VERSION / GET_CAPABILITIES /
 * NEGOTIATE_ALGORITHMS, the requester's chain presented (VENDOR_DEFINED_REQUEST), GET_DIGESTS,
 * the responder's chain from a CertChainCache shared by all sessions (fetched with
 * GET_CERTIFICATE only by the first), KEY_EXCHANGE, FINISH (signed by the requester), one 32-byte
 * application round trip, end of both directions and END_SESSION, connection closed. Both
 * requester and responder run here, as TLS client and server do in tls-handshake.ts.
 *
 * Figures per suite: sequential latency against TLS (target ratio <= 0.8) and against the crypto
 * floor with chains cached (target <= 1.5: protocol, encoding and I/O overhead), and the rate of
 * 32 concurrent requesters against 32 concurrent TLS clients.
 */
import type { X509Certificate } from 'node:crypto';
import type { Suite } from '@trust-quorum/spdm';
import type { AlgorithmPrefs } from '@trust-quorum/spdm/algorithm-prefs';
import { CertChainCache } from '@trust-quorum/spdm/requester/chain-cache';
import { type RequesterRunInit, run as runRequester } from '@trust-quorum/spdm/requester/run';
import { type ServeInit, serve } from '@trust-quorum/spdm/responder/run';
import type { SecureChannel } from '@trust-quorum/spdm/session/secure-channel';
import { connectTcp } from '@trust-quorum/spdm/transport/tcp';
import { floorContestant, floorParties } from './crypto-floor.js';
import { type BenchContext, type Benchmark, rounds } from './lib/benchmark.js';
import { type Figure, makeFigure } from './lib/figure.js';
import { type BenchIdentity, benchPki } from './lib/pki-fixture.js';
import { BENCH_SUITE_NAMES, BENCH_SUITES, type BenchSuiteName } from './lib/suites.js';
import { interleave } from './lib/timing.js';
import {
  CONCURRENCY,
  latencyContestant,
  ROUND_TRIP_BYTES,
  rateContestant,
  type SessionServer,
  startTlsServer,
} from './tls-handshake.js';

const PING = Buffer.alloc(ROUND_TRIP_BYTES, 0x5a);

/** The algorithm preferences that make both sides negotiate exactly `s`. */
export function prefsOf(s: Suite): Partial<AlgorithmPrefs> {
  return {
    baseHash: [s.hash.bit],
    baseAsym: [s.asym!.bit],
    reqBaseAsym: [s.reqAsym!.bit],
    dhe: [s.dhe!.bit],
    aead: [s.aead!.bit],
  };
}

/** An echo application: everything read is written back; the channel ends with the requester's. */
function echo(channel: SecureChannel): void {
  channel.on('error', () => {});
  channel.pipe(channel);
}

/** Sends PING, ends once the echo is back, resolves when the session is over (channel 'close'). */
export function roundTripThenEnd(channel: SecureChannel, bytes: Uint8Array = PING): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = 0;
    channel.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= bytes.length && !channel.writableEnded) channel.end();
    });
    channel.once('error', reject);
    channel.once('close', () =>
      got >= bytes.length ? resolve() : reject(new Error(`bench: echo of ${got} bytes before close`)),
    );
    channel.write(bytes);
  });
}

export interface SpdmServerInit {
  /** Responder identity (slot 0). */
  readonly responder: BenchIdentity;
  readonly root: X509Certificate;
  readonly suite: Suite;
  /** Default: echo. */
  readonly onSession?: ServeInit['onSession'];
  /** DataTransferSize and MaxSPDMmsgSize (equal, no chunking); default the library's 4608. */
  readonly dataTransferSize?: number;
  readonly maxSpdmMsgSize?: number;
}

/** The SPDM responder of the benchmarks on 127.0.0.1, mutual authentication against `root`. */
export async function startSpdmResponder(init: SpdmServerInit) {
  return serve(
    { host: '127.0.0.1', port: 0, maxConnections: 4 * CONCURRENCY },
    {
      slots: [{ slotId: 0, certificates: init.responder.chainDer, privateKey: init.responder.privateKey }],
      mutualAuth: { trustedRoots: [init.root] },
      algorithms: prefsOf(init.suite),
      onSession: init.onSession ?? ((channel) => echo(channel)),
      ...(init.dataTransferSize ? { dataTransferSize: init.dataTransferSize } : {}),
      ...(init.maxSpdmMsgSize ? { maxSpdmMsgSize: init.maxSpdmMsgSize } : {}),
    },
  );
}

/** The requester options of a benchmark session (one chain cache for all sessions). */
export function requesterOptions(
  requester: BenchIdentity,
  root: X509Certificate,
  suite: Suite,
  chainCache: CertChainCache,
): RequesterRunInit {
  return {
    trustedRoots: [root],
    identity: { certificates: requester.chainDer, privateKey: requester.privateKey },
    algorithms: prefsOf(suite),
    chainCache,
  };
}

/**
 * An SPDM echo server (sled-1) and `session()` as sled-2: the SPDM counterpart of
 * tls-handshake.ts `startTlsServer`.
 * @throws when the PKI cannot be made or the port cannot be bound.
 */
export async function startSpdmServer(suiteName: BenchSuiteName): Promise<SessionServer> {
  const suite = BENCH_SUITES[suiteName].spdm;
  const pki = await benchPki(suiteName);
  const server = await startSpdmResponder({ responder: pki.sleds[0]!, root: pki.root, suite });
  const port = server.address().port;
  const opts = requesterOptions(pki.sleds[1]!, pki.root, suite, new CertChainCache());
  const session = async () => {
    const conn = await connectTcp('127.0.0.1', port);
    const { channel } = await runRequester(conn, opts);
    await roundTripThenEnd(channel);
  };
  await session(); // fills the chain cache: every measured session takes the chain from it
  return { port, session, close: () => server.close() };
}

async function suiteFigures(ctx: BenchContext, suiteName: BenchSuiteName): Promise<Figure[]> {
  const label = BENCH_SUITES[suiteName].label;
  const spdm = await startSpdmServer(suiteName);
  const tls = await startTlsServer(suiteName);
  const floor = await floorParties(suiteName);
  try {
    const lat = rounds(ctx, { warmup: 5, samples: 30 }, { warmup: 20, samples: 200 });
    ctx.log(`spdm-session ${label}: sequential, ${lat.samples} samples`);
    const [spdmMs, tlsMs, floorMs] = await interleave(
      [
        latencyContestant('spdm', spdm.session),
        latencyContestant('tls', tls.session),
        floorContestant(floor, { cachedChains: true }),
      ],
      lat,
    );
    const total = ctx.quick ? 2 * CONCURRENCY : 4 * CONCURRENCY;
    const rate = rounds(ctx, { warmup: 1, samples: 3 }, { warmup: 1, samples: 11 });
    ctx.log(`spdm-session ${label}: ${CONCURRENCY} concurrent, ${rate.samples} samples of ${total}`);
    const [spdmRate, tlsRate] = await interleave(
      [rateContestant('spdm', spdm.session, total), rateContestant('tls', tls.session, total)],
      rate,
    );
    const base = { benchmark: 'spdm-session' };
    const name = `spdm-session ${label} sequential`;
    return [
      makeFigure({
        ...base,
        name,
        unit: 'ms',
        better: 'lower',
        samples: spdmMs!,
        peer: { name: `tls-handshake ${label} sequential`, samples: tlsMs! },
        note: `session = new TCP connection + VCA + chain presented + DIGESTS + responder chain from cache by digest + KEY_EXCHANGE + FINISH (mutual) + 32 B echo + END_SESSION; peer = TLS 1.3 mutual-auth session with the same certificates; target ratio <= 0.8`,
      }),
      makeFigure({
        ...base,
        name: `${name} vs floor`,
        unit: 'ms',
        better: 'lower',
        samples: spdmMs!,
        peer: { name: `crypto-floor ${label} (chains cached)`, samples: floorMs! },
        note: 'ratio = session / its crypto floor without chain validation (the responder chain comes from the cache): the cost of protocol, encoding, records and I/O; target <= 1.5',
      }),
      makeFigure({
        ...base,
        name: `spdm-session ${label} ${CONCURRENCY} concurrent`,
        unit: 'sessions/s',
        better: 'higher',
        samples: spdmRate!,
        peer: { name: `tls-handshake ${label} ${CONCURRENCY} concurrent`, samples: tlsRate! },
      }),
    ];
  } finally {
    await Promise.all([spdm.close(), tls.close()]);
  }
}

export const spdmSessionBench: Benchmark = {
  name: 'spdm-session',
  summary: `SPDM mutually authenticated session setup (P-256, P-384), sequential and ${CONCURRENCY} concurrent, vs tls-handshake and crypto-floor`,
  async run(ctx) {
    const figures: Figure[] = [];
    for (const s of BENCH_SUITE_NAMES) figures.push(...(await suiteFigures(ctx, s)));
    return figures;
  },
};
