/**
 * Benchmark `tls-handshake`, the peer of the SPDM session benchmark: Node `tls` 1.3 with mutual
 * authentication on loopback, with the dev-PKI certificates of the same suite (P-256 certs with
 * group prime256v1, P-384 with secp384r1; see lib/suites.ts). One "session" is a new TCP
 * connection, a full handshake (no resumption), one application round trip (32 bytes echoed:
 * the echo also proves the server accepted our certificate, which TLS 1.3 checks after the
 * client's Finished) and close. Measured sequentially (latency) and with 32 concurrent clients
 * (sessions per second), each against the same session over bare TCP.
 *
 * Client and server run in this one process, as the SPDM session benchmark runs requester and
 * responder, so both comparisons charge both sides' CPU to the same core. The measurement
 * functions are exported for the SPDM benchmarks to run against in the same process and run.
 */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { type BenchContext, type Benchmark, rounds } from './lib/benchmark.js';
import { type Figure, makeFigure } from './lib/figure.js';
import { benchPki } from './lib/pki-fixture.js';
import { BENCH_SUITE_NAMES, BENCH_SUITES, type BenchSuite, type BenchSuiteName } from './lib/suites.js';
import { type Contestant, interleave, msSince, now, timeOpsAsync } from './lib/timing.js';

/** Bytes the client sends and the server echoes in the application round trip. */
export const ROUND_TRIP_BYTES = 32;
const PING = Buffer.alloc(ROUND_TRIP_BYTES, 0x5a);
/** Concurrent clients of the rate figures. */
export const CONCURRENCY = 32;

/** A loopback server a "session" can be run against. */
export interface SessionServer {
  readonly port: number;
  /** One client session: connect, (handshake), one round trip, close. */
  session(): Promise<void>;
  close(): Promise<void>;
}

function echo(socket: net.Socket): void {
  socket.on('data', (d: Buffer) => socket.write(d));
  socket.on('error', () => socket.destroy());
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Resolves when `socket` closed after echoing PING back; rejects on error or short echo. */
function roundTripThenClose(socket: net.Socket, start: 'connect' | 'secureConnect'): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = 0;
    socket.once(start, () => socket.write(PING));
    socket.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= ROUND_TRIP_BYTES) socket.end();
    });
    socket.once('error', reject);
    socket.once('close', () =>
      got >= ROUND_TRIP_BYTES ? resolve() : reject(new Error(`bench: echo of ${got} bytes before close`)),
    );
  });
}

/** Secure-context options of one side (key read from the PKI file and zeroed once loaded). */
function tlsOptions(suite: BenchSuite, keyFile: string, certPem: string, caPem: string) {
  return {
    key: readFileSync(keyFile),
    cert: certPem,
    ca: caPem,
    minVersion: 'TLSv1.3' as const,
    maxVersion: 'TLSv1.3' as const,
    ecdhCurve: suite.tls.ecdhCurve,
    sigalgs: suite.tls.sigalgs,
    ciphersuites: suite.tls.ciphersuites,
  };
}

/**
 * A mutually authenticated TLS 1.3 echo server on 127.0.0.1 (sled-1's identity) and a client
 * context (sled-2's identity) for `session()`.
 * @throws when the PKI cannot be made or the port cannot be bound.
 */
export async function startTlsServer(suiteName: BenchSuiteName): Promise<SessionServer> {
  const suite = BENCH_SUITES[suiteName];
  const pki = await benchPki(suiteName);
  const [server1, client2] = [pki.sleds[0]!, pki.sleds[1]!];
  const serverOpts = tlsOptions(suite, server1.keyFile, server1.tlsCertPem, pki.rootPem);
  const server = tls.createServer({ ...serverOpts, requestCert: true, rejectUnauthorized: true }, echo);
  serverOpts.key.fill(0);
  server.on('tlsClientError', () => {});
  const clientOpts = tlsOptions(suite, client2.keyFile, client2.tlsCertPem, pki.rootPem);
  const secureContext = tls.createSecureContext(clientOpts);
  clientOpts.key.fill(0);
  const port = await listen(server);
  const session = () => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername: server1.servername,
      secureContext,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      rejectUnauthorized: true,
    });
    return roundTripThenClose(socket, 'secureConnect');
  };
  return { port, session, close: () => closeServer(server) };
}

/** A bare TCP echo server: `session()` is connect, one round trip, close. */
export async function startTcpServer(): Promise<SessionServer> {
  const server = net.createServer(echo);
  const port = await listen(server);
  const session = () => roundTripThenClose(net.connect({ host: '127.0.0.1', port }), 'connect');
  return { port, session, close: () => closeServer(server) };
}

/** Contestant: one session per sample, in ms. */
export function latencyContestant(name: string, session: () => Promise<void>): Contestant {
  return { name, sample: () => timeOpsAsync(session, 1) };
}

/**
 * Contestant: `total` sessions run by `concurrency` clients at once, in sessions per second.
 * @throws RangeError for a non-positive concurrency or total.
 */
export function rateContestant(
  name: string,
  session: () => Promise<void>,
  total: number,
  concurrency = CONCURRENCY,
): Contestant {
  if (!(concurrency >= 1 && total >= 1)) throw new RangeError('rateContestant: bad concurrency or total');
  return {
    name,
    async sample() {
      let started = 0;
      const t0 = now();
      const client = async () => {
        while (started < total) {
          started++;
          await session();
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, total) }, client));
      return total / (msSince(t0) / 1000);
    },
  };
}

const TCP_PEER = 'tcp session';

async function suiteFigures(ctx: BenchContext, suiteName: BenchSuiteName): Promise<Figure[]> {
  const label = BENCH_SUITES[suiteName].label;
  const [tlsServer, tcpServer] = [await startTlsServer(suiteName), await startTcpServer()];
  try {
    const lat = rounds(ctx, { warmup: 5, samples: 40 }, { warmup: 20, samples: 200 });
    const [tl, tc] = await interleave(
      [latencyContestant('tls', tlsServer.session), latencyContestant('tcp', tcpServer.session)],
      lat,
    );
    const total = ctx.quick ? 2 * CONCURRENCY : 4 * CONCURRENCY;
    const rate = rounds(ctx, { warmup: 1, samples: 5 }, { warmup: 1, samples: 11 });
    const [tr, cr] = await interleave(
      [
        rateContestant('tls', tlsServer.session, total),
        // Bare TCP sessions are ~30x cheaper: more of them per sample keeps its rate steady.
        rateContestant('tcp', tcpServer.session, 8 * total),
      ],
      rate,
    );
    const base = { benchmark: 'tls-handshake' };
    return [
      makeFigure({
        ...base,
        name: `tls-handshake ${label} sequential`,
        unit: 'ms',
        better: 'lower',
        samples: tl!,
        peer: { name: TCP_PEER, samples: tc! },
        note: `session = new TCP connection + full TLS 1.3 mutual-auth handshake (${label} certs, group ${BENCH_SUITES[suiteName].tls.ecdhCurve}) + 32 B echo + close; tcp session = the same without TLS`,
      }),
      makeFigure({
        ...base,
        name: `tls-handshake ${label} ${CONCURRENCY} concurrent`,
        unit: 'sessions/s',
        better: 'higher',
        samples: tr!,
        peer: { name: `${TCP_PEER}, ${CONCURRENCY} concurrent`, samples: cr! },
      }),
    ];
  } finally {
    await Promise.all([tlsServer.close(), tcpServer.close()]);
  }
}

export const tlsHandshakeBench: Benchmark = {
  name: 'tls-handshake',
  summary: `Node TLS 1.3 mutual-auth session on loopback (P-256, P-384), sequential and ${CONCURRENCY} concurrent, vs bare TCP`,
  async run(ctx) {
    const figures: Figure[] = [];
    for (const s of BENCH_SUITE_NAMES) figures.push(...(await suiteFigures(ctx, s)));
    return figures;
  },
};
