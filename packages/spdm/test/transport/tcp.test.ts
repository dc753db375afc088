import { randomBytes } from 'node:crypto';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/codec/bytes.js';
import { SpdmError } from '../../src/errors.js';
import type { FramedConnection } from '../../src/transport/connection.js';
import { exchange, type ServeOutcome, serveConnection } from '../../src/transport/exchange.js';
import type { Framing } from '../../src/transport/frame.js';
import { encodeFrame } from '../../src/transport/framing.js';
import { connectTcp, type ListenTcpInit, listenTcp, type TcpServerHandle } from '../../src/transport/tcp.js';

const HOST = '127.0.0.1';
const GET_VERSION = fromHex('10840000');

// Everything a test opens is closed in afterEach, whatever happened.
const servers: TcpServerHandle[] = [];
const rawServers: Server[] = [];
const conns: FramedConnection[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const c of conns.splice(0)) c.destroy();
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(rawServers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function rejection(p: Promise<unknown>): Promise<SpdmError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SpdmError);
  return e as SpdmError;
}

/** A framed server that answers every frame with its payload reversed, same type. */
async function echoServer(init: ListenTcpInit = {}, outcomes: ServeOutcome[] = []): Promise<TcpServerHandle> {
  const server = await listenTcp(init, async (conn) => {
    outcomes.push(
      await serveConnection(
        conn,
        (frame) => (frame.payload.length > 0 ? frame.payload.slice().reverse() : null),
        {
          idleTimeoutMs: 10_000,
        },
      ),
    );
  });
  servers.push(server);
  return server;
}

async function dial(port: number, framing: Framing = 'dsp0287', init = {}): Promise<FramedConnection> {
  const c = await connectTcp(HOST, port, { framing, ...init });
  conns.push(c);
  return c;
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
  sockets.push(s);
  await new Promise((r) => s.once('connect', r));
  return s;
}

describe('framed TCP on 127.0.0.1', () => {
  for (const framing of ['dsp0287', 'length16'] as const) {
    it(`${framing}: request/response round trips, small and near the 64 KiB limit`, async () => {
      const server = await echoServer({ framing });
      const c = await dial(server.address().port, framing);
      expect(c.remoteAddress).toBe(`${HOST}:${server.address().port}`);
      expect(toHex(await exchange(c, GET_VERSION))).toBe('00008410');
      const big = randomBytes(60_000);
      expect(Buffer.from(await exchange(c, big)).equals(Buffer.from(big).reverse())).toBe(true);
      for (let i = 1; i <= 20; i++) {
        const msg = randomBytes(i * 37);
        expect(Buffer.from(await exchange(c, msg)).equals(Buffer.from(msg).reverse())).toBe(true);
      }
      await c.close();
    });
  }

  it('dsp0287 carries secured records as type 0x06 and the reply keeps the type', async () => {
    const server = await echoServer();
    const c = await dial(server.address().port);
    await c.send(fromHex('ffffffff04000102'), { secured: true });
    const f = await c.receive();
    expect(f.type).toBe('secured');
    expect(toHex(f.payload)).toBe('02010004ffffffff');
  });

  it('the bytes on the wire are exactly the DSP0287 frames', async () => {
    const got: Buffer[] = [];
    const port = await rawServer((s) => {
      s.on('data', (d) => {
        got.push(d);
        if (Buffer.concat(got).length >= 8) s.write(fromHex('0a00010510040000000100120a'));
      });
    });
    const c = await dial(port);
    const reply = await exchange(c, GET_VERSION);
    expect(toHex(Buffer.concat(got))).toBe('0600010510840000');
    expect(toHex(reply)).toBe('1004000000010012');
  });

  it('frames a peer sent just before closing are still delivered, then Closed', async () => {
    const port = await rawServer((s) => {
      s.end(
        Buffer.concat([
          encodeFrame('dsp0287', 'spdm', fromHex('01')),
          encodeFrame('dsp0287', 'spdm', fromHex('02')),
        ]),
      );
    });
    const c = await dial(port);
    await expect.poll(() => c.failure?.code).toBe('Closed');
    expect(toHex((await c.receive()).payload)).toBe('01');
    expect(toHex((await c.receive()).payload)).toBe('02');
    expect((await rejection(c.receive())).code).toBe('Closed');
  });

  it('a silent peer gives Timeout on receive', async () => {
    const port = await rawServer(() => {});
    const c = await dial(port);
    const e = await rejection(c.receive({ timeoutMs: 100 }));
    expect(e.code).toBe('Timeout');
    expect(e.message).toContain(`${HOST}:${port}`);
  });

  it('connecting to a closed port gives Transport with the address', async () => {
    const server = await listenTcp({}, () => {});
    const { port } = server.address();
    await server.close();
    const e = await rejection(connectTcp(HOST, port));
    expect(e.code).toBe('Transport');
    expect(e.message).toContain(`${HOST}:${port}`);
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('a peer that closes mid-frame gives Closed with the missing byte count', async () => {
    const port = await rawServer((s) => {
      s.end(encodeFrame('dsp0287', 'spdm', new Uint8Array(100)).subarray(0, 30));
    });
    const c = await dial(port);
    const e = await rejection(c.receive());
    expect(e.code).toBe('Closed');
    expect(e.message).toContain('mid-frame: 74 of 104 byte(s) missing');
  });

  it('a peer that resets the connection gives Closed, never an unhandled error', async () => {
    const port = await rawServer((s) => {
      s.write(fromHex('0600'));
      setImmediate(() => s.resetAndDestroy());
    });
    const c = await dial(port);
    const e = await rejection(c.receive());
    expect(e.code).toBe('Closed');
  });

  it('an oversize frame from the peer gives TooLarge and the connection is closed', async () => {
    let peerSawClose!: Promise<unknown>;
    const port = await rawServer((s) => {
      peerSawClose = new Promise((r) => s.once('close', r));
      s.write(fromHex('ffff0105'));
    });
    const c = await dial(port, 'dsp0287', { maxFrameSize: 1024 });
    const e = await rejection(c.receive());
    expect(e.code).toBe('TooLarge');
    await peerSawClose;
  });

  it('a server closes a client that sends an oversize frame, and keeps serving', async () => {
    const outcomes: ServeOutcome[] = [];
    const server = await echoServer({ maxFrameSize: 256 }, outcomes);
    const bad = await rawClient(server.address().port);
    const closed = new Promise((r) => bad.once('close', r));
    bad.write(encodeFrame('dsp0287', 'spdm', new Uint8Array(1000)));
    await closed;
    await expect.poll(() => outcomes.length).toBe(1);
    expect(outcomes[0]!.reason).toBe('error');
    expect((outcomes[0]!.error as SpdmError).code).toBe('TooLarge');
    const good = await dial(server.address().port);
    expect(toHex(await exchange(good, GET_VERSION))).toBe('00008410');
  });

  it('aborting a receive gives Aborted', async () => {
    const port = await rawServer(() => {});
    const c = await dial(port);
    const ac = new AbortController();
    const pending = c.receive({ signal: ac.signal, timeoutMs: 60_000 });
    ac.abort();
    expect((await rejection(pending)).code).toBe('Aborted');
  });

  it('aborting a connect gives Aborted and leaves no socket behind', async () => {
    const server = await echoServer();
    const ac = new AbortController();
    const pending = connectTcp(HOST, server.address().port, { signal: ac.signal });
    ac.abort();
    expect((await rejection(pending)).code).toBe('Aborted');
    expect((await rejection(connectTcp(HOST, 1, { signal: AbortSignal.abort() }))).code).toBe('Aborted');
  });

  it('survives 100 garbage connections and still serves a good client', async () => {
    const outcomes: ServeOutcome[] = [];
    const server = await echoServer({ maxFrameSize: 4096, receiveTimeoutMs: 60_000 }, outcomes);
    const { port } = server.address();
    const runs: Promise<unknown>[] = [];
    for (let i = 0; i < 100; i++) {
      runs.push(
        (async () => {
          const s = await rawClient(port);
          const closed = new Promise((r) => s.once('close', r));
          const mode = i % 4;
          if (mode === 0)
            s.end(); // connect and leave
          else if (mode === 1)
            s.end(randomBytes(1 + (i % 50))); // junk then FIN
          else if (mode === 2) {
            s.write(randomBytes(200));
            s.resetAndDestroy(); // junk then RST
          } else s.end(Buffer.concat([encodeFrame('dsp0287', 'spdm', GET_VERSION), randomBytes(7)]));
          await closed;
        })(),
      );
    }
    await Promise.all(runs);
    await expect.poll(() => server.connections, { timeout: 10_000 }).toBe(0);
    expect(outcomes.every((o) => o.reason !== 'handler-error')).toBe(true);
    const good = await dial(port);
    expect(toHex(await exchange(good, GET_VERSION))).toBe('00008410');
    expect(toHex(await exchange(good, fromHex('0102030405')))).toBe('0504030201');
  });

  it('server.close() ends open connections and frees the port', async () => {
    const server = await echoServer();
    const { port } = server.address();
    const c = await dial(port);
    await exchange(c, GET_VERSION);
    await server.close();
    servers.length = 0;
    expect((await rejection(c.receive())).code).toBe('Closed');
    expect((await rejection(connectTcp(HOST, port))).code).toBe('Transport');
  });

  it('refuses connections over maxConnections without disturbing the others', async () => {
    const server = await echoServer({ maxConnections: 1 });
    const first = await dial(server.address().port);
    expect(toHex(await exchange(first, GET_VERSION))).toBe('00008410');
    const second = await dial(server.address().port);
    expect((await rejection(exchange(second, GET_VERSION))).code).toBe('Closed');
    expect(toHex(await exchange(first, GET_VERSION))).toBe('00008410');
  });

  it('bad options are RangeErrors before any socket; a taken port is a Transport error', async () => {
    await expect(connectTcp(HOST, 1, { maxFrameSize: 1 })).rejects.toThrow(RangeError);
    await expect(connectTcp(HOST, 1, { connectTimeoutMs: 0 })).rejects.toThrow(RangeError);
    await expect(listenTcp({ receiveTimeoutMs: -5 }, () => {})).rejects.toThrow(RangeError);
    const server = await echoServer();
    const e = await rejection(listenTcp({ port: server.address().port }, () => {}));
    expect(e.code).toBe('Transport');
    expect(e.message).toContain(`${HOST}:${server.address().port}`);
  });

  it('a connection handler that throws gets its connection destroyed and reported', async () => {
    const reported: unknown[] = [];
    const server = await listenTcp({ onError: (e) => reported.push(e) }, () => {
      throw new Error('handler bug');
    });
    servers.push(server);
    const c = await dial(server.address().port);
    expect((await rejection(c.receive())).code).toBe('Closed');
    expect(reported).toHaveLength(1);
  });
});
