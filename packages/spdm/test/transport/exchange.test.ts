import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/codec/bytes.js';
import { SpdmError } from '../../src/errors.js';
import { FramedConnection } from '../../src/transport/connection.js';
import { exchange, exchangeOver, type FrameHandler, serveConnection } from '../../src/transport/exchange.js';
import { memoryConnectionPair, memoryDuplexPair } from '../../src/transport/memory.js';

const GET_VERSION = fromHex('10840000');
const VERSION = fromHex('1004000000010012');
const EMPTY = new Uint8Array(0);

async function rejection(p: Promise<unknown>): Promise<SpdmError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SpdmError);
  return e as SpdmError;
}

describe('exchange', () => {
  it('sends a plain request and returns the plain response', async () => {
    const [req, rsp] = memoryConnectionPair();
    const served = serveConnection(rsp, (f) => (toHex(f.payload) === '10840000' ? VERSION : null));
    expect(toHex(await exchange(req, GET_VERSION))).toBe(toHex(VERSION));
    req.destroy();
    expect((await served).reason).toBe('peer-closed');
  });

  it('exchangeOver has the (request, signal?) shape the requester driver takes', async () => {
    const [req, rsp] = memoryConnectionPair();
    void serveConnection(rsp, () => VERSION);
    const ex = exchangeOver(req, { timeoutMs: 1000 });
    expect(toHex(await ex(GET_VERSION))).toBe(toHex(VERSION));
    expect((await rejection(ex(GET_VERSION, AbortSignal.abort()))).code).toBe('Aborted');
    req.destroy();
  });

  it('a DSP0287 error message in reply is a Peer error naming it', async () => {
    const [req, rsp] = memoryConnectionPair();
    void serveConnection(rsp, () => ({ type: 'binding-error', code: 0xc0, payload: EMPTY }));
    const e = await rejection(exchange(req, GET_VERSION));
    expect(e.code).toBe('Peer');
    expect(e.message).toContain('0xc0 (message too large)');
    req.destroy();
  });

  it('a secured record or RoleInquiry in reply is a Transport error', async () => {
    const [req, rsp] = memoryConnectionPair();
    const replies = [
      { type: 'secured' as const, payload: fromHex('ffffffff') },
      { type: 'role-inquiry' as const, payload: EMPTY },
    ];
    void serveConnection(rsp, () => replies.shift() ?? null);
    expect((await rejection(exchange(req, GET_VERSION))).message).toContain('secured record');
    expect((await rejection(exchange(req, GET_VERSION))).message).toContain('RoleInquiry');
    req.destroy();
  });

  it('times out when the responder never answers', async () => {
    const [req, rsp] = memoryConnectionPair();
    void serveConnection(rsp, () => null);
    expect((await rejection(exchange(req, GET_VERSION, { timeoutMs: 30 }))).code).toBe('Timeout');
  });
});

describe('serveConnection', () => {
  it('answers each frame; a Uint8Array reply keeps the request type', async () => {
    const [peer, rsp] = memoryConnectionPair();
    const handler: FrameHandler = (f) => Uint8Array.of(f.payload.length);
    const served = serveConnection(rsp, handler);
    await peer.send(fromHex('aabbcc'), { secured: true });
    expect(await peer.receive()).toMatchObject({ type: 'secured', payload: Uint8Array.of(3) });
    await peer.send(fromHex('aa'));
    expect(await peer.receive()).toMatchObject({ type: 'spdm', payload: Uint8Array.of(1) });
    await peer.close();
    expect((await served).reason).toBe('peer-closed');
  });

  it('ends an idle connection', async () => {
    const [peer, rsp] = memoryConnectionPair();
    const outcome = await serveConnection(rsp, () => null, { idleTimeoutMs: 30 });
    expect(outcome.reason).toBe('idle');
    expect((await rejection(peer.receive())).code).toBe('Closed');
  });

  it('ends on a framing error without throwing, and closes the connection', async () => {
    const [raw, s] = memoryDuplexPair();
    raw.on('error', () => {});
    const rawEnded = new Promise((r) => raw.once('end', r));
    raw.resume();
    raw.write(fromHex('06000705'));
    const outcome = await serveConnection(new FramedConnection(s), () => null);
    expect(outcome.reason).toBe('error');
    expect((outcome.error as SpdmError).code).toBe('Transport');
    await rawEnded;
  });

  it('a handler that throws ends the loop as handler-error and closes the connection', async () => {
    const [peer, rsp] = memoryConnectionPair();
    const served = serveConnection(rsp, () => {
      throw new Error('bug');
    });
    await peer.send(GET_VERSION);
    const outcome = await served;
    expect(outcome.reason).toBe('handler-error');
    expect((outcome.error as Error).message).toBe('bug');
    expect((await rejection(peer.receive())).code).toBe('Closed');
  });

  it('stops when its signal aborts', async () => {
    const [peer, rsp] = memoryConnectionPair();
    const ac = new AbortController();
    const served = serveConnection(rsp, () => null, { signal: ac.signal });
    ac.abort();
    expect((await served).reason).toBe('aborted');
    expect((await rejection(peer.receive())).code).toBe('Closed');
  });

  it('rejects a bad idle timeout before reading anything', async () => {
    const [, rsp] = memoryConnectionPair();
    await expect(serveConnection(rsp, () => null, { idleTimeoutMs: -1 })).rejects.toThrow(RangeError);
    rsp.destroy();
  });
});
