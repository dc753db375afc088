import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/codec/bytes.js';
import { SpdmError } from '../../src/errors.js';
import type { EmuConnection, EmuConnectionInit } from '../../src/transport/emu-connection.js';
import {
  EMU_CLIENT_HELLO,
  EMU_COMMAND,
  EMU_SERVER_HELLO,
  EMU_TRANSPORT_CODE,
  EmuDeframer,
  type EmuPacket,
  type EmuTransport,
  encodeEmuPacket,
} from '../../src/transport/emu-framing.js';
import {
  connectEmu,
  type EmuServerHandle,
  type ListenEmuInit,
  listenEmu,
} from '../../src/transport/emu-socket.js';
import {
  exchange,
  type FrameHandler,
  type ServeOutcome,
  serveConnection,
} from '../../src/transport/exchange.js';
import {
  MCTP_SECURED_PARAMS,
  securedParamsOf,
  TCP_SECURED_PARAMS,
} from '../../src/transport/secured-params.js';

const HOST = '127.0.0.1';
const GET_VERSION = fromHex('10840000');
const VERSION = fromHex('1004000000010012');
const TRANSPORTS: EmuTransport[] = ['none', 'mctp', 'tcp'];

const servers: EmuServerHandle[] = [];
const rawServers: Server[] = [];
const conns: EmuConnection[] = [];
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

/** GET_VERSION -> VERSION 1.2; a secured record comes back reversed, still secured. */
const versionHandler: FrameHandler = (frame) => {
  if (frame.type === 'secured') return { type: 'secured', payload: frame.payload.slice().reverse() };
  if (frame.type === 'spdm' && toHex(frame.payload) === '10840000') return VERSION;
  return fromHex('127f0700');
};

interface Served {
  server: EmuServerHandle;
  port: number;
  /** Server-side connections, in accept order. */
  conns: EmuConnection[];
  /** serveConnection outcomes, in completion order. */
  outcomes: Promise<ServeOutcome>[];
}

async function serve(init: ListenEmuInit): Promise<Served> {
  const served: Served = { server: undefined as never, port: 0, conns: [], outcomes: [] };
  served.server = await listenEmu(init, (conn) => {
    served.conns.push(conn);
    const outcome = serveConnection(conn, versionHandler, { idleTimeoutMs: 10_000 });
    served.outcomes.push(outcome);
    return outcome;
  });
  servers.push(served.server);
  served.port = served.server.address().port;
  return served;
}

async function dial(port: number, init: Partial<EmuConnectionInit> & { hello?: boolean } = {}) {
  const c = await connectEmu(HOST, port, { transport: 'mctp', ...init });
  conns.push(c);
  return c;
}

/** Reads packets from a raw socket. */
function packetReader(socket: Socket, transport?: EmuTransport): () => Promise<EmuPacket> {
  const d = new EmuDeframer(transport === undefined ? {} : { transportType: EMU_TRANSPORT_CODE[transport] });
  const queue: EmuPacket[] = [];
  const waiting: Array<(p: EmuPacket) => void> = [];
  socket.on('data', (chunk: Uint8Array) => {
    for (const p of d.push(chunk)) {
      const w = waiting.shift();
      if (w) w(p);
      else queue.push(p);
    }
  });
  return () => {
    const p = queue.shift();
    return p ? Promise.resolve(p) : new Promise((resolve) => waiting.push(resolve));
  };
}

function packet(
  command: number,
  transport: EmuTransport,
  payload: Uint8Array = new Uint8Array(),
): Uint8Array {
  return encodeEmuPacket({ command, transportType: EMU_TRANSPORT_CODE[transport], payload });
}

async function rawClient(port: number): Promise<Socket> {
  const s = connect({ host: HOST, port, noDelay: true });
  sockets.push(s);
  s.on('error', () => {});
  await new Promise<void>((resolve) => s.once('connect', () => resolve()));
  return s;
}

/** A raw server whose behaviour the test scripts packet by packet. */
async function rawServer(onSocket: (s: Socket, next: () => Promise<EmuPacket>) => void): Promise<number> {
  const server = createServer({ noDelay: true }, (s) => {
    sockets.push(s);
    s.on('error', () => {});
    onSocket(s, packetReader(s));
  });
  rawServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, HOST, () => resolve()));
  return (server.address() as AddressInfo).port;
}

const closed = (s: Socket): Promise<void> => new Promise((resolve) => s.once('close', () => resolve()));

describe('our spdm-emu client and server over loopback TCP', () => {
  for (const transport of TRANSPORTS) {
    it(`${transport.toUpperCase()}: TEST hello, NORMAL exchange, SHUTDOWN echoed and the connection ended`, async () => {
      const s = await serve({ transport });
      let shutdown = false;
      void s.server.shutdownRequested.then(() => {
        shutdown = true;
      });
      const c = await dial(s.port, { transport });
      expect(c.framing).toBe('spdm-emu');
      expect(c.role).toBe('client');
      expect(toHex(await exchange(c, GET_VERSION))).toBe(toHex(VERSION));
      expect(toHex(await exchange(c, GET_VERSION))).toBe(toHex(VERSION));
      if (transport !== 'none') {
        await c.send(fromHex('ffffffff0102'), { secured: true });
        const back = await c.receive();
        expect(back.type).toBe('secured');
        expect(toHex(back.payload)).toBe('0201ffffffff');
      }
      await c.end('shutdown');
      expect(c.failure?.code).toBe('Closed');
      const outcome = await s.outcomes[0]!;
      expect(outcome.reason).toBe('peer-closed');
      expect(s.conns[0]!.endedBy).toBe('shutdown');
      await s.server.shutdownRequested;
      expect(shutdown).toBe(true);
    });
  }

  it('CONTINUE ends the connection but not the server, which accepts the next client', async () => {
    const s = await serve({ transport: 'tcp' });
    let shutdown = false;
    void s.server.shutdownRequested.then(() => {
      shutdown = true;
    });
    const a = await dial(s.port, { transport: 'tcp' });
    await a.end('continue');
    expect((await s.outcomes[0]!).reason).toBe('peer-closed');
    expect(s.conns[0]!.endedBy).toBe('continue');
    await new Promise((r) => setImmediate(r));
    expect(shutdown).toBe(false);
    const b = await dial(s.port, { transport: 'tcp' });
    expect(toHex(await exchange(b, GET_VERSION))).toBe(toHex(VERSION));
    await b.close();
    expect(s.conns[1]!.endedBy).toBe('shutdown');
  });

  it('close() on a client sends SHUTDOWN and waits for the socket to close', async () => {
    const s = await serve({ transport: 'mctp' });
    const c = await dial(s.port);
    await c.close();
    await s.outcomes[0];
    expect(s.conns[0]!.endedBy).toBe('shutdown');
    await c.close(); // idempotent
  });

  it('each connection carries the secured-message parameters of its transport', async () => {
    for (const [transport, params] of [
      ['mctp', MCTP_SECURED_PARAMS],
      ['tcp', TCP_SECURED_PARAMS],
      ['none', null],
    ] as const) {
      const s = await serve({ transport });
      const c = await dial(s.port, { transport });
      expect(c.securedMessages).toBe(params);
      expect(securedParamsOf(c)).toBe(params);
      // The server accepted before it could answer the hello.
      expect(securedParamsOf(s.conns[0]!)).toBe(params);
      await c.close();
    }
  });

  it('NONE: a client without TEST (like spdm_requester_emu) is served; secured frames are refused locally', async () => {
    const s = await serve({ transport: 'none' });
    const c = await dial(s.port, { transport: 'none', hello: false });
    expect((await rejection(c.send(fromHex('ffffffff'), { secured: true }))).code).toBe('Transport');
    expect(c.failure).toBeUndefined();
    expect(toHex(await exchange(c, GET_VERSION))).toBe(toHex(VERSION));
    await c.end();
  });

  it('a client with another transport than the server is refused', async () => {
    const s = await serve({ transport: 'tcp' });
    const e = await rejection(connectEmu(HOST, s.port, { transport: 'mctp' }));
    expect(e.code).toBe('Closed');
    await s.outcomes[0];
    expect(s.conns[0]!.failure?.code).toBe('Transport');
    expect(s.conns[0]!.failure?.message).toMatch(/TransportType 1 \(MCTP\).*3 \(TCP\)/);
  });

  it('refuses to send a payload over maxPayloadSize and stays usable', async () => {
    const s = await serve({ transport: 'mctp', maxPayloadSize: 100 });
    const c = await dial(s.port, { maxPayloadSize: 100 });
    // 1 MCTP type byte + 100 = 101 > 100.
    expect((await rejection(c.send(new Uint8Array(100).fill(0x10)))).code).toBe('TooLarge');
    expect(c.failure).toBeUndefined();
    expect(toHex(await exchange(c, new Uint8Array(99).fill(0x10)))).toBe('127f0700');
  });
});

describe('our spdm-emu server against a scripted client', () => {
  it('answers TEST whatever its payload, UNKNOWN to unknown commands, and keeps serving', async () => {
    const s = await serve({ transport: 'mctp' });
    const sock = await rawClient(s.port);
    const next = packetReader(sock, 'mctp');
    sock.write(packet(EMU_COMMAND.TEST, 'mctp', fromHex('00')));
    let p = await next();
    expect(p.command).toBe(EMU_COMMAND.TEST);
    expect(Buffer.from(p.payload).toString('latin1')).toBe('Server Hello!\0');
    sock.write(packet(0x1234, 'mctp', fromHex('aabb')));
    p = await next();
    expect(p).toMatchObject({ command: EMU_COMMAND.UNKNOWN, transportType: 1 });
    expect(p.payload.length).toBe(0);
    sock.write(packet(EMU_COMMAND.OOB_ENCAP_KEY_UPDATE, 'mctp', fromHex('ffffffff')));
    expect((await next()).command).toBe(EMU_COMMAND.UNKNOWN);
    sock.write(packet(EMU_COMMAND.NORMAL, 'mctp', fromHex('0510840000')));
    p = await next();
    expect(p.command).toBe(EMU_COMMAND.NORMAL);
    expect(toHex(p.payload)).toBe(`05${toHex(VERSION)}`);
    sock.write(packet(EMU_COMMAND.SHUTDOWN, 'mctp'));
    p = await next();
    expect(p.command).toBe(EMU_COMMAND.SHUTDOWN);
    expect(p.payload.length).toBe(0);
    await closed(sock);
  });

  it('echoes OOB_ENCAP_* when a hook is given, with the payload passed to it', async () => {
    const seen: string[] = [];
    const s = await serve({
      transport: 'tcp',
      onOobCommand: (command, payload) => seen.push(`${command.toString(16)}:${toHex(payload)}`),
    });
    const sock = await rawClient(s.port);
    const next = packetReader(sock, 'tcp');
    sock.write(packet(EMU_COMMAND.OOB_ENCAP_KEY_UPDATE, 'tcp', fromHex('ffffffff')));
    sock.write(packet(EMU_COMMAND.OOB_ENCAP_ENDPOINT_INFO, 'tcp'));
    expect((await next()).command).toBe(EMU_COMMAND.OOB_ENCAP_KEY_UPDATE);
    expect((await next()).command).toBe(EMU_COMMAND.OOB_ENCAP_ENDPOINT_INFO);
    expect(seen).toEqual(['8001:ffffffff', '8002:']);
  });

  it('accepts a request delivered one byte per write', async () => {
    const s = await serve({ transport: 'tcp' });
    const sock = await rawClient(s.port);
    const next = packetReader(sock, 'tcp');
    const bytes = packet(EMU_COMMAND.NORMAL, 'tcp', fromHex('0600010510840000'));
    for (const b of bytes) {
      await new Promise<void>((resolve) => sock.write(Uint8Array.of(b), () => resolve()));
    }
    expect(toHex((await next()).payload)).toBe(`0a000105${toHex(VERSION)}`);
  });

  it('closes a client that sends another TransportType or an oversize PayloadSize', async () => {
    const s = await serve({ transport: 'mctp', maxPayloadSize: 1000 });
    const a = await rawClient(s.port);
    a.write(packet(EMU_COMMAND.TEST, 'none', EMU_CLIENT_HELLO));
    await closed(a);
    const b = await rawClient(s.port);
    const header = packet(EMU_COMMAND.NORMAL, 'mctp');
    new DataView(header.buffer).setUint32(8, 1001, false);
    b.write(header);
    await closed(b);
    await Promise.all(s.outcomes);
    expect(s.conns.map((c) => c.failure?.code)).toEqual(['Transport', 'TooLarge']);
  });

  it('closes a client whose NORMAL payload is not an SPDM message of its transport', async () => {
    const s = await serve({ transport: 'mctp' });
    const sock = await rawClient(s.port);
    sock.write(packet(EMU_COMMAND.NORMAL, 'mctp', fromHex('01808001')));
    await closed(sock);
    expect((await s.outcomes[0]!).reason).toBe('error');
    expect(s.conns[0]!.failure?.code).toBe('Transport');
  });
});

describe('our spdm-emu client against a scripted server', () => {
  it('completes the hello when the reply arrives one byte per write', async () => {
    const port = await rawServer(async (s, next) => {
      expect(toHex((await next()).payload)).toBe(toHex(EMU_CLIENT_HELLO));
      for (const b of packet(EMU_COMMAND.TEST, 'mctp', EMU_SERVER_HELLO)) {
        await new Promise<void>((resolve) => s.write(Uint8Array.of(b), () => resolve()));
      }
    });
    await dial(port);
  });

  const badHellos: Array<[string, (s: Socket) => void, string]> = [
    ['a wrong TEST payload', (s) => s.write(packet(EMU_COMMAND.TEST, 'mctp', EMU_CLIENT_HELLO)), 'Transport'],
    ['UNKNOWN', (s) => s.write(packet(EMU_COMMAND.UNKNOWN, 'mctp')), 'Peer'],
    ['another TransportType', (s) => s.write(packet(EMU_COMMAND.TEST, 'tcp', EMU_SERVER_HELLO)), 'Transport'],
    ['a SHUTDOWN instead', (s) => s.write(packet(EMU_COMMAND.SHUTDOWN, 'mctp')), 'Transport'],
    ['a close', (s) => s.end(), 'Closed'],
    [
      'an oversize PayloadSize',
      (s) => {
        const h = packet(EMU_COMMAND.TEST, 'mctp');
        new DataView(h.buffer).setUint32(8, 0xffffffff, false);
        s.write(h);
      },
      'TooLarge',
    ],
  ];
  for (const [what, reply, code] of badHellos) {
    it(`fails the hello on ${what}`, async () => {
      const port = await rawServer(async (s, next) => {
        await next();
        reply(s);
      });
      expect((await rejection(connectEmu(HOST, port, { transport: 'mctp' }))).code).toBe(code);
    });
  }

  it('times out the hello and end() against a silent server', async () => {
    const port = await rawServer(() => {});
    expect((await rejection(connectEmu(HOST, port, { transport: 'mctp', connectTimeoutMs: 50 }))).code).toBe(
      'Timeout',
    );
    const c = await dial(port, { hello: false, closeTimeoutMs: 50 });
    expect((await rejection(c.end())).code).toBe('Timeout');
    expect(c.failure?.code).toBe('Timeout');
  });

  it('fails a pending receive on an unsolicited command or a payload of another transport', async () => {
    const accepted: Socket[] = [];
    let onAccept: () => void = () => {};
    const port = await rawServer((s) => {
      accepted.push(s);
      onAccept();
    });
    const serverSide = async (i: number): Promise<Socket> => {
      while (accepted.length <= i) await new Promise<void>((r) => (onAccept = r));
      return accepted[i]!;
    };
    const c = await dial(port, { hello: false });
    const pending = c.receive({ timeoutMs: 10_000 });
    (await serverSide(0)).write(packet(EMU_COMMAND.SHUTDOWN, 'mctp'));
    const e = await rejection(pending);
    expect(e.code).toBe('Transport');
    expect(e.message).toMatch(/unexpected SHUTDOWN/);

    const d = await dial(port, { hello: false });
    const pending2 = d.receive({ timeoutMs: 10_000 });
    (await serverSide(1)).write(packet(EMU_COMMAND.NORMAL, 'mctp', fromHex('01808001')));
    expect((await rejection(pending2)).code).toBe('Transport');
  });

  it('refuses connect, hello and options it cannot use', async () => {
    const port = await rawServer(() => {});
    await new Promise<void>((r) => rawServers.pop()!.close(() => r()));
    expect((await rejection(connectEmu(HOST, port, { transport: 'mctp' }))).code).toBe('Transport');
    await expect(connectEmu(HOST, port, { transport: 'pci-doe' as never })).rejects.toThrow(TypeError);
    await expect(connectEmu(HOST, port, { transport: 'mctp', maxPayloadSize: 8 })).rejects.toThrow(
      RangeError,
    );
    await expect(listenEmu({ transport: 'mctp', maxConnections: 0 }, () => {})).rejects.toThrow(RangeError);
    const aborted = AbortSignal.abort();
    expect((await rejection(connectEmu(HOST, port, { transport: 'mctp', signal: aborted }))).code).toBe(
      'Aborted',
    );
    const s = await serve({ transport: 'mctp' });
    const c = await dial(s.port);
    await expect(s.conns[0]!.hello()).rejects.toThrow(TypeError);
    await expect(s.conns[0]!.end()).rejects.toThrow(TypeError);
    await c.close();
  });
});
