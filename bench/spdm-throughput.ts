/**
 * Benchmark `spdm-throughput`: bulk application data over one established SPDM session
 * (P-256 suite, AES-256-GCM records, DSP0287 framing on loopback TCP), written to the
 * requester's SecureChannel in 64 KiB writes with backpressure and counted as it comes out of
 * the responder's SecureChannel, against the same transfer over Node TLS 1.3 (same suite and
 * certificates) and over bare TCP (throughput.ts), interleaved in this one process. Session
 * setup is not timed. Target: >= 1.2x TLS (0.9x the least acceptable).
 */
import { once } from 'node:events';
import { CertChainCache } from '@trust-quorum/spdm/requester/chain-cache';
import { run as runRequester } from '@trust-quorum/spdm/requester/run';
import type { SecureChannel } from '@trust-quorum/spdm/session/secure-channel';
import { connectTcp } from '@trust-quorum/spdm/transport/tcp';
import { type Benchmark, rounds } from './lib/benchmark.js';
import { makeFigure } from './lib/figure.js';
import { benchPki } from './lib/pki-fixture.js';
import { BENCH_SUITES, type BenchSuiteName } from './lib/suites.js';
import { interleave } from './lib/timing.js';
import { requesterOptions, startSpdmResponder } from './spdm-session.js';
import { type BulkPair, bulkBytes, bulkContestant, openTcpPair, openTlsPair } from './throughput.js';

const MiB = 1024 * 1024;

/** Counts bytes arriving on the responder's channel; see BulkPair.expect. */
function counter(receiver: SecureChannel): (bytes: number) => Promise<void> {
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

/**
 * One mutually authenticated SPDM session on loopback (sled-2 to sled-1) as a BulkPair: the
 * requester's channel sends, the responder's channel receives. `maxSpdmMsgSize` sets
 * DataTransferSize = MaxSPDMmsgSize on both sides (default: the library's 4608), which bounds
 * the application bytes per record.
 * @throws when the PKI cannot be made or the session cannot be established.
 */
export async function openSpdmPair(
  suiteName: BenchSuiteName = 'p256',
  maxSpdmMsgSize?: number,
): Promise<BulkPair> {
  const sizes = maxSpdmMsgSize ? { dataTransferSize: maxSpdmMsgSize, maxSpdmMsgSize } : {};
  const suite = BENCH_SUITES[suiteName].spdm;
  const pki = await benchPki(suiteName);
  let accepted!: (c: SecureChannel) => void;
  const receiverP = new Promise<SecureChannel>((r) => {
    accepted = r;
  });
  const server = await startSpdmResponder({
    responder: pki.sleds[0]!,
    root: pki.root,
    suite,
    ...sizes,
    onSession: (channel) => {
      channel.on('error', () => {});
      accepted(channel);
    },
  });
  const conn = await connectTcp('127.0.0.1', server.address().port);
  const opts = { ...requesterOptions(pki.sleds[1]!, pki.root, suite, new CertChainCache()), ...sizes };
  const { channel: sender } = await runRequester(conn, opts);
  sender.on('error', () => {});
  const receiver = await receiverP;
  const expect = counter(receiver);
  return {
    sender,
    expect,
    async close() {
      const closed = once(sender, 'close');
      sender.destroy();
      receiver.destroy();
      await closed;
      await server.close();
    },
  };
}

/** MaxSPDMmsgSize (= DataTransferSize) of the large-record session: records of ~64 KiB. */
export const LARGE_MESSAGE_SIZE = 65536;

export const spdmThroughputBench: Benchmark = {
  name: 'spdm-throughput',
  summary: 'bulk data over one SPDM session (SecureChannel, 64 KiB writes) vs TLS 1.3 and bare TCP, MB/s',
  async run(ctx) {
    const total = bulkBytes(ctx);
    const large = await openSpdmPair('p256', LARGE_MESSAGE_SIZE);
    const small = await openSpdmPair('p256');
    const tls = await openTlsPair('p256');
    const tcp = await openTcpPair();
    try {
      const r = rounds(ctx, { warmup: 1, samples: 5 }, { warmup: 2, samples: 15 });
      ctx.log(`spdm-throughput: ${r.samples} samples of ${total / MiB} MiB each`);
      const [l, d, t, c] = await interleave(
        [
          bulkContestant('spdm 64k', large, total),
          bulkContestant('spdm default', small, total),
          bulkContestant('tls', tls, total),
          bulkContestant('tcp', tcp, total),
        ],
        r,
      );
      const base = { benchmark: 'spdm-throughput', unit: 'MB/s', better: 'higher' as const };
      const tlsPeer = { name: 'throughput tls 1.3 (AES-256-GCM)', samples: t! };
      const what = `${total / MiB} MiB per sample in 64 KiB writes over one established session (P-256 suite, AES-256-GCM, DSP0287 on loopback TCP)`;
      return [
        makeFigure({
          ...base,
          name: 'spdm-throughput 64 KiB records',
          samples: l!,
          peer: tlsPeer,
          note: `${what}, both sides with DataTransferSize = MaxSPDMmsgSize = ${LARGE_MESSAGE_SIZE} (records of up to ~64 KiB; TLS records are 16 KiB); ratio = SecureChannel / Node TLS 1.3; target >= 1.2 (0.9 the least acceptable)`,
        }),
        makeFigure({
          ...base,
          name: 'spdm-throughput default records',
          samples: d!,
          peer: tlsPeer,
          note: 'the same with the library default DataTransferSize = MaxSPDMmsgSize = 4608 (records of ~4.5 KiB, as libspdm peers expect)',
        }),
        makeFigure({
          ...base,
          name: 'spdm-throughput 64 KiB records vs tcp',
          samples: l!,
          peer: { name: 'tcp', samples: c! },
          note: 'the large-record session against bare TCP: the cost of records, AEAD and framing',
        }),
      ];
    } finally {
      await Promise.all([large.close(), small.close(), tls.close(), tcp.close()]);
    }
  },
};
