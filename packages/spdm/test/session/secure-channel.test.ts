/**
 * SecureChannel receive-side flow control, end to end over real TCP on 127.0.0.1: an application
 * that stops reading holds back, in turn, the channel (its readable buffer stays at its mark), the
 * session layer (no frame is taken off the connection), the connection (its queue stops at
 * maxQueuedFrames and the socket is paused) and the peer's writer; when it reads again, 16 MiB
 * arrive whole and in order, and the session and connection stay up. Both directions: the
 * responder's application reading slowly (serve loop) and the requester's (RequesterLink).
 */
import { createHash, randomBytes } from 'node:crypto';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { run as runRequester } from '../../src/requester/run.js';
import { type OnSession, run as runResponder } from '../../src/responder/run.js';
import type { SecureChannel } from '../../src/session/secure-channel.js';
import { DEFAULT_MAX_QUEUED_FRAMES, FramedConnection } from '../../src/transport/connection.js';
import { connectTcp } from '../../src/transport/tcp.js';
import { closedOf, identities, requesterInit, responderInit, SUITES } from './fixtures.js';

const MiB = 1 << 20;
const TOTAL = 16 * MiB;
/** Where the slow reader stops for a while. */
const PAUSE_AT = 1 * MiB;
/**
 * The responder's session idle timeout in the first test, shorter than the pause: its watchdog
 * must not fire while our own reader holds the connection back.
 */
const IDLE_MS = 1000;
const PAUSE_MS = 1500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** Rejects when `channel` fails or closes (so that a broken session fails the test at once). */
function broken(channel: SecureChannel): Promise<never> {
  return new Promise((_, reject) => {
    channel.once('error', reject);
    channel.once('close', () => reject(new Error('channel closed')));
  });
}

/** Writes `total` random bytes with write()/drain backpressure; `written()` counts completed writes. */
function writer(channel: SecureChannel, total: number): { done: Promise<string>; written: () => number } {
  let written = 0;
  const h = createHash('sha256');
  const block = randomBytes(256 * 1024);
  const dead = broken(channel);
  dead.catch(() => {});
  const done = (async () => {
    for (let left = total; left > 0; ) {
      const piece = left >= block.length ? block : block.subarray(0, left);
      h.update(piece);
      left -= piece.length;
      const ok = channel.write(piece, () => {
        written += piece.length;
      });
      if (!ok) await Promise.race([new Promise((r) => channel.once('drain', r)), dead]);
    }
    return h.digest('hex');
  })();
  return { done, written: () => written };
}

/** Reads `channel`, stopping once at PAUSE_AT until `resume()` is called. */
function slowReader(channel: SecureChannel) {
  const h = createHash('sha256');
  let n = 0;
  let maxBuffered = 0;
  let reachedPause!: () => void;
  const paused = new Promise<void>((r) => {
    reachedPause = r;
  });
  channel.on('data', (d: Buffer) => {
    h.update(d);
    n += d.length;
    if (n >= PAUSE_AT && n - d.length < PAUSE_AT) {
      channel.pause();
      reachedPause();
    }
  });
  const sample = setInterval(() => {
    maxBuffered = Math.max(maxBuffered, channel.readableLength);
  }, 1);
  const ended = Promise.race([
    new Promise<void>((r) => channel.once('end', () => r())),
    broken(channel),
  ]).finally(() => clearInterval(sample));
  ended.catch(() => {});
  return {
    paused,
    ended,
    bytes: () => n,
    digest: () => h.digest('hex'),
    maxBuffered: () => Math.max(maxBuffered, channel.readableLength),
  };
}

describe('SecureChannel backpressure over loopback TCP', () => {
  const suite = SUITES[0]!;
  const ids = identities(suite.key);
  const servers: Server[] = [];
  const responderConns: FramedConnection[] = [];

  /** A responder on 127.0.0.1 run over connections we hold (to look at their queues). */
  async function startResponder(onSession: OnSession, idleTimeoutMs?: number): Promise<number> {
    const server = createServer((socket) => {
      const conn = new FramedConnection(socket);
      responderConns.push(conn);
      void runResponder(
        conn,
        responderInit(ids, suite, { onSession, ...(idleTimeoutMs ? { idleTimeoutMs } : {}) }),
      );
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return (server.address() as AddressInfo).port;
  }

  afterAll(() => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))));

  it('a responder application that pauses mid-stream holds back the requester; 16 MiB arrive whole', async () => {
    let reader!: ReturnType<typeof slowReader>;
    let rspChannel!: SecureChannel;
    const errors: Error[] = [];
    let sessionUp!: () => void;
    const got = new Promise<void>((r) => {
      sessionUp = r;
    });
    const port = await startResponder((c) => {
      rspChannel = c;
      c.on('error', (e) => errors.push(e));
      reader = slowReader(c);
      sessionUp();
    }, IDLE_MS);
    const reqConn = await connectTcp('127.0.0.1', port);
    const { channel, session } = await runRequester(reqConn, requesterInit(ids, suite));
    channel.on('error', (e) => errors.push(e));
    const w = writer(channel, TOTAL);
    await got;
    const rspConn = responderConns.at(-1)!;
    await reader.paused;
    await until(() => rspConn.readingPaused, 'the responder connection to pause reading');
    await sleep(PAUSE_MS); // longer than the session idle timeout
    expect(w.written()).toBeLessThan(TOTAL); // the requester's writes are held back
    expect(rspConn.queuedFrames).toBeLessThanOrEqual(DEFAULT_MAX_QUEUED_FRAMES);
    expect(reader.maxBuffered()).toBeLessThanOrEqual(rspChannel.readableHighWaterMark + channel.maxPayload);
    expect(reader.bytes()).toBeLessThan(PAUSE_AT + channel.maxPayload);
    expect(rspConn.failure).toBeUndefined();
    expect(session.state).toBe('established');
    rspChannel.resume();
    const sent = await w.done;
    channel.end();
    await reader.ended;
    expect(reader.bytes()).toBe(TOTAL);
    expect(reader.digest()).toBe(sent);
    rspChannel.end();
    await closedOf(channel);
    expect(errors).toEqual([]);
  });

  it('a requester application that pauses mid-stream holds back the responder; 16 MiB arrive whole', async () => {
    const errors: Error[] = [];
    let w!: ReturnType<typeof writer>;
    let rspChannel!: SecureChannel;
    const port = await startResponder((c) => {
      rspChannel = c;
      c.on('error', (e) => errors.push(e));
      c.resume(); // nothing comes from the requester but its end
      w = writer(c, TOTAL);
      void w.done.then(() => c.end());
    });
    const reqConn = await connectTcp('127.0.0.1', port);
    const { channel, session } = await runRequester(reqConn, requesterInit(ids, suite));
    channel.on('error', (e) => errors.push(e));
    const reader = slowReader(channel);
    await reader.paused;
    await until(() => reqConn.readingPaused, 'the requester connection to pause reading');
    await sleep(PAUSE_MS);
    expect(w.written()).toBeLessThan(TOTAL); // the responder's writes are held back
    expect(reqConn.queuedFrames).toBeLessThanOrEqual(DEFAULT_MAX_QUEUED_FRAMES);
    expect(reader.maxBuffered()).toBeLessThanOrEqual(channel.readableHighWaterMark + rspChannel.maxPayload);
    expect(reqConn.failure).toBeUndefined();
    expect(session.state).toBe('established');
    channel.resume();
    const sent = await w.done;
    await reader.ended;
    expect(reader.bytes()).toBe(TOTAL);
    expect(reader.digest()).toBe(sent);
    channel.end();
    await closedOf(channel);
    expect(session.state).toBe('ended');
    expect(session.error).toBeUndefined();
    expect(errors).toEqual([]);
  });
});
