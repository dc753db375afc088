/**
 * Benchmark `throughput`, the peers of the SPDM secure-channel throughput benchmark: bulk
 * application data over one established connection on loopback, written in 64 KiB writes
 * (honouring backpressure), over Node TLS 1.3 (P-256 suite: AES-256-GCM, mutual auth) and over
 * bare TCP. A sample is one transfer of 64 MiB (quick: 16 MiB) timed from the first write to
 * the last byte counted by the receiver; the figure is MB/s (1 MB = 10^6 bytes). Connection
 * setup is not timed. Sender and receiver share this process, as in the SPDM benchmark.
 *
 * `BulkPair`, `openTlsPair`, `openTcpPair` and `bulkContestant` are exported so the SPDM
 * benchmark measures its SecureChannel against the same code in the same run.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { type BenchContext, type Benchmark, rounds } from './lib/benchmark.js';
import { makeFigure } from './lib/figure.js';
import { benchPki } from './lib/pki-fixture.js';
import { BENCH_SUITES, type BenchSuiteName } from './lib/suites.js';
import { type Contestant, interleave, msSince, now } from './lib/timing.js';

/** Bytes per write. */
export const WRITE_SIZE = 64 * 1024;
const MiB = 1024 * 1024;

/**
 * An established one-way bulk path: `sender` writes, the other end counts what arrives.
 * `expect(n)` resolves once n more bytes have arrived; `close()` tears both ends down.
 */
export interface BulkPair {
  readonly sender: Duplex;
  expect(bytes: number): Promise<void>;
  close(): Promise<void>;
}

/** Counts bytes arriving on `receiver`; see BulkPair.expect. */
function counter(receiver: Duplex): (bytes: number) => Promise<void> {
  let pending: { left: number; done: () => void } | null = null;
  receiver.on('data', (d: Buffer) => {
    if (!pending) return;
    pending.left -= d.length;
    if (pending.left <= 0) {
      const p = pending;
      pending = null;
      p.done();
    }
  });
  return (bytes) =>
    new Promise<void>((resolve, reject) => {
      if (pending) return reject(new Error('bench: overlapping transfers'));
      pending = { left: bytes, done: resolve };
    });
}

async function pairOver(
  server: net.Server,
  connect: (port: number) => Duplex,
  ready: 'connect' | 'secureConnect',
  accepted: 'connection' | 'secureConnection',
): Promise<BulkPair> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const receiverP = once(server, accepted) as Promise<[Duplex]>;
  const sender = connect(port);
  await once(sender, ready);
  const [receiver] = await receiverP;
  receiver.on('error', () => {});
  sender.on('error', () => {});
  const expect = counter(receiver);
  return {
    sender,
    expect,
    async close() {
      sender.destroy();
      receiver.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * A TLS 1.3 connection with mutual authentication (sled-2 to sled-1) on loopback.
 * @throws when the PKI cannot be made or the handshake fails.
 */
export async function openTlsPair(suiteName: BenchSuiteName = 'p256'): Promise<BulkPair> {
  const suite = BENCH_SUITES[suiteName];
  const pki = await benchPki(suiteName);
  const [s1, s2] = [pki.sleds[0]!, pki.sleds[1]!];
  const common = {
    ca: pki.rootPem,
    minVersion: 'TLSv1.3' as const,
    maxVersion: 'TLSv1.3' as const,
    ecdhCurve: suite.tls.ecdhCurve,
    sigalgs: suite.tls.sigalgs,
    ciphersuites: suite.tls.ciphersuites,
  };
  const serverKey = readFileSync(s1.keyFile);
  const server = tls.createServer({
    ...common,
    key: serverKey,
    cert: s1.tlsCertPem,
    requestCert: true,
    rejectUnauthorized: true,
  });
  serverKey.fill(0);
  const clientKey = readFileSync(s2.keyFile);
  const secureContext = tls.createSecureContext({ ...common, key: clientKey, cert: s2.tlsCertPem });
  clientKey.fill(0);
  const connect = (port: number) =>
    tls.connect({
      host: '127.0.0.1',
      port,
      servername: s1.servername,
      secureContext,
      rejectUnauthorized: true,
    });
  return pairOver(server, connect, 'secureConnect', 'secureConnection');
}

/** A bare TCP connection on loopback. */
export async function openTcpPair(): Promise<BulkPair> {
  const connect = (port: number) => net.connect({ host: '127.0.0.1', port });
  return pairOver(net.createServer(), connect, 'connect', 'connection');
}

/**
 * Writes `total` bytes in `writeSize` writes (waiting for 'drain' when the sender's buffer is
 * full) and waits until the receiver has them all.
 * @returns MB/s (10^6 bytes per second).
 */
export async function transfer(pair: BulkPair, total: number, writeSize = WRITE_SIZE): Promise<number> {
  const chunk = Buffer.alloc(writeSize, 0xa5);
  const arrived = pair.expect(total);
  const t0 = now();
  for (let sent = 0; sent < total; ) {
    const n = Math.min(writeSize, total - sent);
    sent += n;
    if (!pair.sender.write(n === writeSize ? chunk : chunk.subarray(0, n))) await once(pair.sender, 'drain');
  }
  await arrived;
  return total / 1e6 / (msSince(t0) / 1000);
}

/** Contestant: one transfer of `total` bytes per sample, MB/s. */
export function bulkContestant(name: string, pair: BulkPair, total: number): Contestant {
  return { name, sample: () => transfer(pair, total) };
}

/** Bytes per sample: 64 MiB, 16 MiB in a quick run. */
export function bulkBytes(ctx: BenchContext): number {
  return (ctx.quick ? 16 : 64) * MiB;
}

export const throughputBench: Benchmark = {
  name: 'throughput',
  summary: 'bulk transfer in 64 KiB writes on loopback: Node TLS 1.3 (AES-256-GCM) vs bare TCP, MB/s',
  async run(ctx) {
    const total = bulkBytes(ctx);
    const tlsPair = await openTlsPair('p256');
    const tcpPair = await openTcpPair();
    try {
      const r = rounds(ctx, { warmup: 1, samples: 9 }, { warmup: 2, samples: 15 });
      const [t, c] = await interleave(
        [bulkContestant('tls', tlsPair, total), bulkContestant('tcp', tcpPair, total)],
        r,
      );
      return [
        makeFigure({
          benchmark: 'throughput',
          name: 'throughput tls 1.3 (AES-256-GCM)',
          unit: 'MB/s',
          better: 'higher',
          samples: t!,
          peer: { name: 'tcp', samples: c! },
          note: `${total / MiB} MiB per sample in 64 KiB writes over one connection; ratio = TLS / bare TCP`,
        }),
      ];
    } finally {
      await Promise.all([tlsPair.close(), tcpPair.close()]);
    }
  },
};
