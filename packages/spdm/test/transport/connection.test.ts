import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/codec/bytes.js';
import { SpdmError } from '../../src/errors.js';
import { DEFAULT_MAX_QUEUED_FRAMES, FramedConnection } from '../../src/transport/connection.js';
import type { Frame } from '../../src/transport/frame.js';
import { encodeFrame } from '../../src/transport/framing.js';
import { memoryConnectionPair, memoryDuplexPair } from '../../src/transport/memory.js';

const GET_VERSION = fromHex('10840000');
const EMPTY = new Uint8Array(0);

/** `n` DSP0287 frames in one buffer; frame i carries `size` bytes of value i. */
function frames(n: number, size = 1): Buffer {
  return Buffer.concat(
    Array.from({ length: n }, (_, i) => encodeFrame('dsp0287', 'spdm', new Uint8Array(size).fill(i))),
  );
}

function view(f: Frame): string {
  return `${f.type}:${toHex(f.payload)}`;
}

/** Lets the event loop run `n` times (no wall-clock time involved). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

/** Waits, turn by turn, until `cond` holds (fails after many turns). */
async function until(cond: () => boolean, maxTurns = 10_000): Promise<void> {
  for (let i = 0; i < maxTurns && !cond(); i++) await new Promise((r) => setImmediate(r));
  expect(cond()).toBe(true);
}

async function rejection(p: Promise<unknown>): Promise<SpdmError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SpdmError);
  return e as SpdmError;
}

describe('FramedConnection over the in-memory pair', () => {
  it('carries plain, secured and control frames in order, both ways', async () => {
    const [a, b] = memoryConnectionPair();
    await a.send(GET_VERSION);
    await a.send(fromHex('ffffffff0100aa'), { secured: true });
    await a.sendFrame({ type: 'role-inquiry', payload: EMPTY });
    await a.sendFrame({ type: 'binding-error', code: 0xc1, payload: EMPTY });
    expect(view(await b.receive())).toBe('spdm:10840000');
    expect(view(await b.receive())).toBe('secured:ffffffff0100aa');
    expect(view(await b.receive())).toBe('role-inquiry:');
    expect(await b.receive()).toMatchObject({ type: 'binding-error', code: 0xc1 });
    await b.send(fromHex('10040000'));
    expect(view(await a.receive())).toBe('spdm:10040000');
    expect(a.remoteAddress).toBe('memory:b');
    expect(b.remoteAddress).toBe('memory:a');
    a.destroy();
  });

  it('length16 pairs carry plain messages; a secured send is a typed error that kills nothing', async () => {
    const [a, b] = memoryConnectionPair({ framing: 'length16' });
    const e = await rejection(a.send(GET_VERSION, { secured: true }));
    expect(e.code).toBe('Transport');
    expect(a.failure).toBeUndefined();
    await a.send(GET_VERSION);
    expect(view(await b.receive())).toBe('spdm:10840000');
    a.destroy();
  });

  it('a receive waiting before the frame arrives gets it; concurrent receives are served in order', async () => {
    const [a, b] = memoryConnectionPair();
    const r1 = b.receive();
    const r2 = b.receive();
    await a.send(fromHex('01'));
    await a.send(fromHex('02'));
    expect([view(await r1), view(await r2)]).toEqual(['spdm:01', 'spdm:02']);
    a.destroy();
  });

  it('a silent peer gives Timeout; the connection is then dead with that error', async () => {
    const [a, b] = memoryConnectionPair();
    const e = await rejection(b.receive({ timeoutMs: 30 }));
    expect(e.code).toBe('Timeout');
    expect(e.message).toContain('memory:a');
    expect(b.failure).toBe(e);
    expect(await rejection(b.receive())).toBe(e);
    expect(await rejection(b.send(GET_VERSION))).toBe(e);
    // The peer sees the connection go away.
    expect((await rejection(a.receive())).code).toBe('Closed');
  });

  it('the receive deadline defaults to receiveTimeoutMs from the init object', async () => {
    const [a, b] = memoryConnectionPair({ receiveTimeoutMs: 20 });
    expect((await rejection(b.receive())).code).toBe('Timeout');
    a.destroy();
  });

  it('aborting a waiting receive rejects it with Aborted and kills the connection', async () => {
    const [a, b] = memoryConnectionPair();
    const ac = new AbortController();
    const pending = b.receive({ signal: ac.signal, timeoutMs: 60_000 });
    const other = b.receive({ timeoutMs: 60_000 });
    ac.abort(new Error('operator said stop'));
    const e = await rejection(pending);
    expect(e.code).toBe('Aborted');
    expect((e.cause as Error).message).toBe('operator said stop');
    expect(await rejection(other)).toBe(e);
    a.destroy();
  });

  it('an already-aborted signal rejects that call only', async () => {
    const [a, b] = memoryConnectionPair();
    const e = await rejection(b.receive({ signal: AbortSignal.abort() }));
    expect(e.code).toBe('Aborted');
    expect((await rejection(a.send(GET_VERSION, { signal: AbortSignal.abort() }))).code).toBe('Aborted');
    expect(b.failure).toBeUndefined();
    await a.send(GET_VERSION);
    expect(view(await b.receive())).toBe('spdm:10840000');
    a.destroy();
  });

  it('frames sent before a graceful close are delivered, then Closed', async () => {
    const [a, b] = memoryConnectionPair();
    await a.send(fromHex('01'));
    await a.send(fromHex('02'));
    await a.close(); // by now b has seen both frames and the end of stream, unread
    expect(b.failure?.code).toBe('Closed');
    expect(b.queuedFrames).toBe(2);
    expect(view(await b.receive())).toBe('spdm:01');
    expect(view(await b.receive())).toBe('spdm:02');
    const e = await rejection(b.receive());
    expect(e.code).toBe('Closed');
    expect(e.message).toMatch(/closed the connection$/);
    expect((await rejection(a.receive())).code).toBe('Closed');
  });

  it('a peer that closes mid-frame gives Closed naming the missing bytes', async () => {
    const [raw, sb] = memoryDuplexPair();
    const b = new FramedConnection(sb, { remoteAddress: 'raw' });
    raw.on('error', () => {});
    raw.end(encodeFrame('dsp0287', 'spdm', new Uint8Array(10)).subarray(0, 9));
    const e = await rejection(b.receive());
    expect(e.code).toBe('Closed');
    expect(e.message).toContain('mid-frame: 5 of 14 byte(s) missing');
  });

  it('a peer that closes inside the header says so', async () => {
    const [raw, sb] = memoryDuplexPair();
    const b = new FramedConnection(sb);
    raw.end(fromHex('06'));
    const e = await rejection(b.receive());
    expect(e.code).toBe('Closed');
    expect(e.message).toContain('1 byte(s) of the frame header received');
  });

  it('destroy() reaches the peer as Closed and rejects local waiters with the given error', async () => {
    const [a, b] = memoryConnectionPair();
    const waiting = a.receive({ timeoutMs: 60_000 });
    const mine = new SpdmError('Internal', 'test says stop');
    a.destroy(mine);
    expect(await rejection(waiting)).toBe(mine);
    expect((await rejection(b.receive({ timeoutMs: 60_000 }))).code).toBe('Closed');
  });

  it('a flood of unread frames pauses reading at maxQueuedFrames; the sender blocks; nothing is lost', async () => {
    const [sa, sb] = memoryDuplexPair(256); // small pipe, so the sender feels the pause
    const a = new FramedConnection(sa, { sendTimeoutMs: 60_000 });
    const b = new FramedConnection(sb, { maxQueuedFrames: 4 });
    let sent = 0;
    const sends = Array.from({ length: 200 }, (_, i) =>
      a.send(Uint8Array.of(i >> 8, i & 0xff)).then(() => {
        sent++;
      }),
    );
    await until(() => b.readingPaused);
    const before = sent;
    await turns(20); // nobody receives: nothing moves
    expect(sent).toBe(before);
    expect(sent).toBeLessThan(200); // the sender's writes block
    expect(b.queuedFrames).toBe(4);
    expect(b.failure).toBeUndefined();
    // Memory bounded on the receiving side: the pipe's buffer (one chunk past its mark) and 4 frames.
    expect(sb.readableLength).toBeLessThanOrEqual(256 + 6);
    for (let i = 0; i < 200; i++) {
      expect(b.queuedFrames).toBeLessThanOrEqual(4);
      expect(view(await b.receive())).toBe(`spdm:${toHex(Uint8Array.of(i >> 8, i & 0xff))}`);
    }
    await Promise.all(sends);
    expect(sent).toBe(200);
    expect(a.failure).toBeUndefined();
    expect(b.failure).toBeUndefined();
    a.destroy();
  });

  it('a chunk of many frames is deframed only as far as the queue has room', async () => {
    const [raw, sb] = memoryDuplexPair();
    const b = new FramedConnection(sb, { maxQueuedFrames: 4 });
    raw.write(frames(100));
    await until(() => b.readingPaused);
    await turns(5);
    expect(b.queuedFrames).toBe(4);
    for (let i = 0; i < 100; i++) {
      expect(b.queuedFrames).toBeLessThanOrEqual(4);
      expect(view(await b.receive())).toBe(`spdm:${toHex(Uint8Array.of(i))}`);
    }
    expect(b.failure).toBeUndefined();
    raw.destroy();
  });

  it('reading resumes only once receive() takes the queue down to half of maxQueuedFrames', async () => {
    const [a, b] = memoryConnectionPair({ maxQueuedFrames: 4 });
    for (let i = 0; i < 10; i++) void a.send(Uint8Array.of(i));
    await until(() => b.readingPaused);
    await turns(5);
    expect(b.queuedFrames).toBe(4);
    expect(view(await b.receive())).toBe('spdm:00');
    expect(b.readingPaused).toBe(true); // 3 left: above the low-water mark (2)
    expect(view(await b.receive())).toBe('spdm:01');
    expect(b.readingPaused).toBe(false); // 2 left: resumed
    await until(() => b.readingPaused); // refilled to 4 and paused again
    expect(b.queuedFrames).toBe(4);
    for (let i = 2; i < 10; i++) expect(view(await b.receive())).toBe(`spdm:0${i}`);
    a.destroy();
  });

  it('maxQueuedFrames 0 reads only while a receive() waits', async () => {
    const [a, b] = memoryConnectionPair({ maxQueuedFrames: 0 });
    for (let i = 0; i < 3; i++) await a.send(Uint8Array.of(i));
    await until(() => b.readingPaused);
    expect(b.queuedFrames).toBe(0);
    for (let i = 0; i < 3; i++) expect(view(await b.receive())).toBe(`spdm:0${i}`);
    expect(b.failure).toBeUndefined();
    a.destroy();
  });

  it('frames held back when the peer closes are all delivered, then Closed', async () => {
    const [raw, sb] = memoryDuplexPair();
    const b = new FramedConnection(sb, { maxQueuedFrames: 2 });
    raw.end(frames(10));
    await until(() => b.failure !== undefined);
    expect(b.failure?.code).toBe('Closed');
    for (let i = 0; i < 10; i++) expect(view(await b.receive())).toBe(`spdm:0${i}`);
    const e = await rejection(b.receive());
    expect(e.message).toMatch(/closed the connection$/);
  });

  it('a held-back partial frame at end of stream still gives Closed mid-frame', async () => {
    const [raw, sb] = memoryDuplexPair();
    const b = new FramedConnection(sb, { maxQueuedFrames: 1 });
    const bytes = frames(3, 2);
    raw.end(bytes.subarray(0, bytes.length - 1));
    await until(() => b.failure !== undefined);
    expect(b.failure?.code).toBe('Closed');
    expect(b.failure?.message).toContain('mid-frame: 1 of 6 byte(s) missing');
    expect(b.queuedFrames).toBe(0); // as before: a close mid-frame drops what was queued
  });

  it('close() while reading is paused still ends promptly (the rest is read and dropped)', async () => {
    const [a, b] = memoryConnectionPair({ maxQueuedFrames: 1, closeTimeoutMs: 60_000 });
    for (let i = 0; i < 50; i++) void a.send(new Uint8Array(1000)).catch(() => {});
    await until(() => b.readingPaused);
    await b.close(); // would wait for closeTimeoutMs if the paused stream never ended
    expect(b.failure?.code).toBe('Closed');
  });

  it('a stream that ignores pause() and keeps delivering fails with Transport', async () => {
    const [raw, sb] = memoryDuplexPair();
    const b = new FramedConnection(sb, { maxQueuedFrames: 1, maxFrameSize: 64 });
    raw.on('error', () => {});
    raw.write(frames(2));
    await until(() => b.readingPaused);
    sb.emit('data', frames(13)); // 65 bytes behind pause()'s back
    const e = await rejection(b.receive());
    expect(e.code).toBe('Transport');
    expect(e.message).toContain('more than 64 byte(s) while paused');
  });

  it('exactly maxQueuedFrames unread frames are held, and reading pauses until one is taken', async () => {
    const [a, b] = memoryConnectionPair({ maxQueuedFrames: 4 });
    for (let i = 0; i < 4; i++) await a.send(Uint8Array.of(i));
    await new Promise((r) => setImmediate(r));
    expect(b.queuedFrames).toBe(4);
    expect(b.readingPaused).toBe(true);
    for (let i = 0; i < 4; i++) expect(view(await b.receive())).toBe(`spdm:0${i}`);
    expect(b.readingPaused).toBe(false);
    a.destroy();
  });

  it('an oversize frame from the peer gives TooLarge and closes the stream', async () => {
    const [raw, sb] = memoryDuplexPair();
    const b = new FramedConnection(sb, { maxFrameSize: 64 });
    raw.on('error', () => {});
    const rawEnded = new Promise((r) => raw.once('end', r));
    raw.resume();
    raw.write(fromHex('ffff'));
    const e = await rejection(b.receive());
    expect(e.code).toBe('TooLarge');
    expect(e.message).toContain('65537-byte frame');
    await rawEnded; // the connection was closed from b's side
  });

  it('refuses to send a frame over its own maxFrameSize without killing the connection', async () => {
    const [a, b] = memoryConnectionPair({ maxFrameSize: 64 });
    expect((await rejection(a.send(new Uint8Array(61)))).code).toBe('TooLarge');
    await a.send(new Uint8Array(60));
    expect((await b.receive()).payload.length).toBe(60);
    a.destroy();
  });

  it('a send the peer never drains times out, and the connection dies', async () => {
    const [sa, raw] = memoryDuplexPair(1024);
    raw.on('error', () => {});
    raw.pause(); // never read: the pipe fills and the write never completes
    const a = new FramedConnection(sa);
    const e = await rejection(a.send(new Uint8Array(60_000), { timeoutMs: 50 }));
    expect(e.code).toBe('Timeout');
    expect(e.message).toContain('send to stream');
    expect(a.failure).toBe(e);
  });

  it('rejects bad options with RangeError', () => {
    const [s] = memoryDuplexPair();
    expect(() => new FramedConnection(s, { receiveTimeoutMs: 0 })).toThrow(RangeError);
    expect(() => new FramedConnection(s, { maxFrameSize: 3 })).toThrow(RangeError);
    expect(() => new FramedConnection(s, { maxQueuedFrames: -1 })).toThrow(RangeError);
  });
});

describe('FramedConnection over loopback TCP: backpressure', () => {
  it('10 000 small frames to a slow reader: all in order, connection up, queue never past the mark', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const accepted = new Promise<Socket>((r) => server.once('connection', r));
    const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
    await new Promise<void>((r) => client.once('connect', () => r()));
    const recvSocket = await accepted;
    const sender = new FramedConnection(client, { sendTimeoutMs: 60_000 });
    const receiver = new FramedConnection(recvSocket, { receiveTimeoutMs: 60_000 });
    // Runs after the connection's own 'data' listener: the queue as each chunk left it.
    let maxQueued = 0;
    let chunks = 0;
    recvSocket.on('data', () => {
      chunks++;
      maxQueued = Math.max(maxQueued, receiver.queuedFrames);
    });
    const N = 10_000;
    const payload = (i: number) => {
      const p = new Uint8Array(16).fill(i & 0xff);
      new DataView(p.buffer).setUint32(0, i, false);
      return p;
    };
    const sends = Array.from({ length: N }, (_, i) => sender.send(payload(i)));
    try {
      await until(() => receiver.readingPaused, 1_000_000); // the reader has not started
      for (let i = 0; i < N; i++) {
        if (i % 16 === 0) await turns(1); // a slow reader
        if (i % 2000 === 0) await new Promise((r) => setTimeout(r, 5));
        const f = await receiver.receive();
        expect(f.type).toBe('spdm');
        expect(new DataView(f.payload.buffer, f.payload.byteOffset).getUint32(0, false)).toBe(i);
        maxQueued = Math.max(maxQueued, receiver.queuedFrames);
      }
      await Promise.all(sends);
      expect(receiver.failure).toBeUndefined();
      expect(sender.failure).toBeUndefined();
      expect(chunks).toBeGreaterThan(0);
      expect(maxQueued).toBe(DEFAULT_MAX_QUEUED_FRAMES); // reached, never passed
      // And the connection still works both ways.
      await receiver.send(GET_VERSION);
      expect(view(await sender.receive())).toBe('spdm:10840000');
    } finally {
      sender.destroy();
      receiver.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});
