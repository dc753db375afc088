import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { BASE_HASH_ALGO } from '../../src/crypto/algorithms.js';
import { SpdmError } from '../../src/errors.js';
import { CAP } from '../../src/msgs/capabilities.js';
import type { SpdmVersion } from '../../src/msgs/codes.js';
import type { Exchange } from '../../src/requester/exchange.js';
import { negotiate } from '../../src/requester/negotiate.js';
import { ResponderCore } from '../../src/responder/core.js';

const local =
  (core: ResponderCore): Exchange =>
  async (req) =>
    core.handle(req);

/** Every non-empty subset of 1.1..1.3. */
const SUBSETS: SpdmVersion[][] = [
  [0x11],
  [0x12],
  [0x13],
  [0x11, 0x12],
  [0x11, 0x13],
  [0x12, 0x13],
  [0x11, 0x12, 0x13],
];

async function rejection(p: Promise<unknown>): Promise<SpdmError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SpdmError);
    return e as SpdmError;
  }
  throw new Error('expected a rejection');
}

describe('negotiate() against ResponderCore', () => {
  it('ends with the same Negotiated on both sides (defaults: 1.3, P-256, SHA-256, secp256r1, AES-256-GCM)', async () => {
    const core = new ResponderCore();
    const n = await negotiate(local(core));
    expect(n).toEqual(core.negotiated);
    expect(n.version).toBe(0x13);
    expect([n.baseAsymAlgo, n.baseHashAlgo, n.dheGroup, n.aeadSuite, n.reqBaseAsymAlg]).toEqual([
      0x10, 0x1, 0x8, 0x2, 0x10,
    ]);
    expect(n.requesterCaps).toBe(
      // No CHAL_CAP: see DEFAULT_REQUESTER_CAPS (libspdm asks a CHAL_CAP requester for basic mutual auth).
      CAP.CERT | CAP.ENCRYPT | CAP.MAC | CAP.MUT_AUTH | CAP.KEY_EX | CAP.HBEAT | CAP.KEY_UPD,
    );
  });

  describe.each(SUBSETS)('responder supports %j', (...rsp) => {
    it.each(SUBSETS)('requester offers %j: highest common version or VersionMismatch', async (...req) => {
      const core = new ResponderCore({ versions: rsp });
      const common = req.filter((v) => rsp.includes(v));
      const p = negotiate(local(core), { versions: req });
      if (common.length === 0) {
        const e = await rejection(p);
        expect(e.code).toBe('VersionMismatch');
        expect(e.wireCode).toBeUndefined();
        return;
      }
      const n = await p;
      expect(n.version).toBe(Math.max(...common));
      expect(toHex(n.vca)).toBe(toHex(core.negotiated!.vca));
    });
  });

  it.each([
    [0x11, [4, 12, 48], [12, 12, 52]],
    [0x12, [4, 20, 48], [12, 20, 52]],
    [0x13, [4, 20, 48], [12, 20, 52]],
  ] as const)('uses the message sizes of 0x%s', async (v, reqSizes, rspSizes) => {
    const core = new ResponderCore();
    const sizes: [number, number][] = [];
    const n = await negotiate(
      async (req) => {
        const rsp = core.handle(req);
        sizes.push([req.length, rsp.length]);
        return rsp;
      },
      { versions: [v] },
    );
    expect(sizes.map((s) => s[0])).toEqual(reqSizes);
    expect(sizes.map((s) => s[1])).toEqual(rspSizes);
    expect(n.vca.length).toBe([...reqSizes, ...rspSizes].reduce((a, b) => a + b, 0));
    if (v === 0x11) {
      expect([n.otherParams, n.requesterDataTransferSize, n.responderMaxSpdmMsgSize]).toEqual([0, 0, 0]);
      expect(n.requesterCaps & CAP.MUT_AUTH).toBe(0);
    }
  });

  it('fails with NegotiationFailed when no base hash is common, and the responder serves a retry', async () => {
    const core = new ResponderCore({ algorithms: { baseHash: [BASE_HASH_ALGO.SHA_384] } });
    const e = await rejection(negotiate(local(core), { algorithms: { baseHash: [BASE_HASH_ALGO.SHA_256] } }));
    expect(e.code).toBe('NegotiationFailed');
    expect(e.wireCode).toBe(0x01);
    expect(core.state.kind).toBe('AfterCapabilities');
    const n = await negotiate(local(core), {
      algorithms: { baseHash: [BASE_HASH_ALGO.SHA_256, BASE_HASH_ALGO.SHA_384] },
    });
    expect(n.baseHashAlgo).toBe(BASE_HASH_ALGO.SHA_384);
  });

  it('fails with NegotiationFailed when no AEAD is common', async () => {
    const core = new ResponderCore({ algorithms: { aead: [0x4] } });
    const e = await rejection(negotiate(local(core), { algorithms: { aead: [0x1, 0x2] } }));
    expect(e.code).toBe('NegotiationFailed');
  });

  it('refuses inconsistent requester options', async () => {
    const core = new ResponderCore();
    await expect(negotiate(local(core), { versions: [] })).rejects.toThrow(RangeError);
    await expect(negotiate(local(core), { capabilities: CAP.MAC })).rejects.toThrow(/KEY_EX_CAP/);
    await expect(negotiate(local(core), { dataTransferSize: 100, maxSpdmMsgSize: 200 })).rejects.toThrow(
      /CHUNK_CAP/,
    );
  });

  it('rejects with Aborted when the signal has fired', async () => {
    const core = new ResponderCore();
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    expect((await rejection(negotiate(local(core), {}, ac.signal))).code).toBe('Aborted');
    expect(core.state.kind).toBe('NotStarted');
  });

  it('wraps a failing transport as Transport with the cause', async () => {
    const boom = new Error('connection reset');
    const e = await rejection(
      negotiate(async () => {
        throw boom;
      }),
    );
    expect(e.code).toBe('Transport');
    expect(e.cause).toBe(boom);
  });
});

/** The bare 2-byte big-endian length framing of the original design, written here for the test. */
function frame(msg: Uint8Array): Buffer {
  const b = Buffer.alloc(2 + msg.length);
  b.writeUInt16BE(msg.length, 0);
  b.set(msg, 2);
  return b;
}

function onFrames(socket: Socket, onFrame: (m: Uint8Array) => void): void {
  let buf = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const n = buf.readUInt16BE(0);
      onFrame(new Uint8Array(buf.subarray(2, 2 + n)));
      buf = buf.subarray(2 + n);
    }
  });
}

describe('negotiate() over a real TCP connection on 127.0.0.1', () => {
  it('negotiates with a ResponderCore behind a 2-byte length-framed socket', async () => {
    const core = new ResponderCore();
    const server = createServer((s) => onFrames(s, (m) => s.write(frame(core.handle(m)))));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const client = createConnection({ port, host: '127.0.0.1' });
    await once(client, 'connect');
    const waiting: ((m: Uint8Array) => void)[] = [];
    onFrames(client, (m) => waiting.shift()?.(m));
    const exchange: Exchange = (req) =>
      new Promise((resolve) => {
        waiting.push(resolve);
        client.write(frame(req));
      });
    try {
      const n = await negotiate(exchange, { versions: [0x12, 0x13] });
      expect(n.version).toBe(0x13);
      expect(toHex(n.vca)).toBe(toHex(core.negotiated!.vca));
    } finally {
      client.destroy();
      server.close();
      await once(server, 'close');
    }
  });
});
