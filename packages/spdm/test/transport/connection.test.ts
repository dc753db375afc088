import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/codec/bytes.js';
import { SpdmError } from '../../src/errors.js';
import { FramedConnection } from '../../src/transport/connection.js';
import type { Frame } from '../../src/transport/frame.js';
import { encodeFrame } from '../../src/transport/framing.js';
import { memoryConnectionPair, memoryDuplexPair } from '../../src/transport/memory.js';

const GET_VERSION = fromHex('10840000');
const EMPTY = new Uint8Array(0);

function view(f: Frame): string {
  return `${f.type}:${toHex(f.payload)}`;
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

  it('a peer flooding unread frames past maxQueuedFrames fails the connection', async () => {
    const [raw, sb] = memoryDuplexPair();
    const b = new FramedConnection(sb, { maxQueuedFrames: 4 });
    raw.on('error', () => {});
    const frame = encodeFrame('dsp0287', 'spdm', GET_VERSION);
    raw.write(Buffer.concat(Array.from({ length: 5 }, () => frame)));
    await new Promise((r) => setImmediate(r)); // nobody receiving while they arrive
    const e = await rejection(b.receive());
    expect(b.queuedFrames).toBe(0);
    expect(e.code).toBe('Transport');
    expect(e.message).toContain('more than 4 unread frames');
  });

  it('exactly maxQueuedFrames unread frames are fine', async () => {
    const [a, b] = memoryConnectionPair({ maxQueuedFrames: 4 });
    for (let i = 0; i < 4; i++) await a.send(Uint8Array.of(i));
    await new Promise((r) => setImmediate(r));
    expect(b.queuedFrames).toBe(4);
    for (let i = 0; i < 4; i++) expect(view(await b.receive())).toBe(`spdm:0${i}`);
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
