/**
 * MessageReader and writeMessage over real loopback TCP sockets (and a recording Writable to
 * see the frame buffer): order, clean end, truncation, closing, deadlines, abort, backpressure,
 * and zeroing of a secret frame once the stream has taken it.
 */
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { isTrustQuorumError } from '../../src/errors.js';
import {
  encodeMessage,
  frameBytes,
  MessageReader,
  type ShareProtocolMessage,
  writeMessage,
} from '../../src/protocol/index.js';
import { Share, scalarToBytes } from '../../src/rack-secret/index.js';
import { tcpPair as makeTcpPair } from '../helpers/tcp-pair.js';

const RACK = 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6';
const sockets: Socket[] = [];

async function tcpPair(): Promise<[Socket, Socket]> {
  const pair = await makeTcpPair();
  sockets.push(...pair);
  return pair;
}

afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});

async function expectCode(p: Promise<unknown>, code: string): Promise<Error> {
  try {
    await p;
  } catch (e) {
    expect(isTrustQuorumError(e), String(e)).toBe(true);
    expect((e as { code: string }).code).toBe(code);
    return e as Error;
  }
  throw new Error(`expected ${code}`);
}

describe('MessageReader over TCP', () => {
  it('reads messages in order, then null at a clean end', async () => {
    const [a, b] = await tcpPair();
    const reader = new MessageReader(b, { sender: 'sled-2' });
    const sent: ShareProtocolMessage[] = [
      { type: 'GetShare', rackId: RACK, epoch: 3 },
      { type: 'Share', rackId: RACK, epoch: 3, share: new Share(2, scalarToBytes(77n)) },
      { type: 'Error', code: 'NotAMember' },
    ];
    for (const m of sent) await writeMessage(a, m);
    a.end();
    const got = [await reader.next(), await reader.next(), await reader.next()];
    expect(got.map((m) => m?.type)).toEqual(['GetShare', 'Share', 'Error']);
    const share = got[1];
    expect(share?.type === 'Share' && share.share.sender).toBe('sled-2');
    expect(share?.type === 'Share' && share.share.yScalar()).toBe(77n);
    expect(await reader.next()).toBeNull();
    expect(await reader.next()).toBeNull();
  });

  it('a stream that ends inside a frame is InvalidMessage', async () => {
    const [a, b] = await tcpPair();
    const reader = new MessageReader(b);
    const frame = frameBytes(encodeMessage({ type: 'GetShare', rackId: RACK, epoch: 1 }));
    a.end(frame.subarray(0, 9));
    await expectCode(reader.next(), 'InvalidMessage');
  });

  it('garbage framing is InvalidMessage, and stays so', async () => {
    const [a, b] = await tcpPair();
    const reader = new MessageReader(b, { maxMessageBytes: 1000 });
    a.write(Uint8Array.of(0xe9, 0x03, 0, 0)); // 1001
    await expectCode(reader.next(), 'InvalidMessage');
    await expectCode(reader.next(), 'InvalidMessage');
  });

  it("a connection reset by the peer rejects with the stream's own error", async () => {
    const [a, b] = await tcpPair();
    const reader = new MessageReader(b);
    const p = reader.next();
    a.resetAndDestroy();
    await expect(p).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it("the reader's own close without an end is Unreachable", async () => {
    const [, b] = await tcpPair();
    const reader = new MessageReader(b);
    const p = reader.next();
    b.destroy();
    await expectCode(p, 'Unreachable');
  });

  it('a deadline gives Timeout and an abort gives Aborted; the reader still works after', async () => {
    const [a, b] = await tcpPair();
    const reader = new MessageReader(b);
    await expectCode(reader.next({ timeoutMs: 20 }), 'Timeout');
    const ac = new AbortController();
    const p = reader.next({ signal: ac.signal });
    ac.abort();
    await expectCode(p, 'Aborted');
    await expectCode(reader.next({ signal: ac.signal }), 'Aborted');
    await writeMessage(a, { type: 'Commit', rackId: RACK, epoch: 1 });
    expect((await reader.next({ timeoutMs: 5000 }))?.type).toBe('Commit');
  });

  it('one next() at a time', async () => {
    const [, b] = await tcpPair();
    const reader = new MessageReader(b);
    const p = reader.next({ timeoutMs: 50 });
    await expect(reader.next()).rejects.toThrow(TypeError);
    await expectCode(p, 'Timeout');
  });

  it('pauses the stream when maxQueued messages wait, resumes as they are taken', async () => {
    const [a, b] = await tcpPair();
    const reader = new MessageReader(b, { maxQueued: 2 });
    for (let i = 1; i <= 6; i++) await writeMessage(a, { type: 'Commit', rackId: RACK, epoch: i });
    a.end();
    await new Promise((r) => setTimeout(r, 50));
    expect(b.isPaused()).toBe(true);
    const epochs: number[] = [];
    for (let m = await reader.next(); m !== null; m = await reader.next()) {
      if (m.type === 'Commit') epochs.push(m.epoch);
    }
    expect(epochs).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('close() detaches: later data is not read', async () => {
    const [a, b] = await tcpPair();
    const reader = new MessageReader(b);
    reader.close();
    expect(b.listenerCount('data')).toBe(0);
    b.on('error', () => {});
    a.end();
  });
});

describe('writeMessage', () => {
  function recorder(): { sink: Writable; chunks: Uint8Array[] } {
    const chunks: Uint8Array[] = [];
    const sink = new Writable({
      write(chunk: Uint8Array, _enc, cb) {
        chunks.push(chunk);
        setImmediate(cb);
      },
    });
    return { sink, chunks };
  }

  it('zeroes a Share frame once the stream took it, and leaves the share itself alone', async () => {
    const { sink, chunks } = recorder();
    const share = new Share(3, scalarToBytes(0xfeedn));
    await writeMessage(sink, { type: 'Share', rackId: RACK, epoch: 1, share });
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.every((x) => x === 0)).toBe(true);
    expect(share.yScalar()).toBe(0xfeedn);
  });

  it('leaves a public frame as sent', async () => {
    const { sink, chunks } = recorder();
    await writeMessage(sink, { type: 'GetShare', rackId: RACK, epoch: 1 });
    expect(
      Buffer.from(chunks[0]!).equals(
        Buffer.from(frameBytes(encodeMessage({ type: 'GetShare', rackId: RACK, epoch: 1 }))),
      ),
    ).toBe(true);
  });

  it('rejects with the stream error when the stream is gone', async () => {
    const [a] = await tcpPair();
    a.destroy();
    await expect(writeMessage(a, { type: 'Error', code: 'Busy' })).rejects.toThrow();
  });

  it('refuses a message above the maximum (RangeError)', async () => {
    const { sink } = recorder();
    await expect(
      writeMessage(sink, { type: 'GetShare', rackId: RACK, epoch: 1 }, { maxMessageBytes: 10 }),
    ).rejects.toThrow(RangeError);
  });
});
