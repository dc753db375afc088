/**
 * SecureChannel write coalescing, on the channel's own port interface (a recording ChannelPort:
 * no network or crypto involved): writes travel in full records of maxPayload bytes, a write's
 * remainder waits for the next write (or one loop turn), small writes go out at once, end()
 * sends a held remainder first, a writer may reuse its buffer once called back, and destroy()
 * drops what is held. cutRecords on its own: views where possible, every byte once, in order.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  type ChannelPort,
  cutRecordParts,
  cutRecords,
  SecureChannel,
} from '../../src/session/secure-channel.js';

interface Recorder {
  readonly port: ChannelPort;
  readonly records: Buffer[];
  readonly events: string[];
}

function recorder(maxPayload: number): Recorder {
  const records: Buffer[] = [];
  const events: string[] = [];
  const port: ChannelPort = {
    maxPayload,
    async sendData(payload) {
      // what the session would seal now (a record across writes comes in pieces)
      const record = Buffer.concat(payload instanceof Uint8Array ? [payload] : payload);
      records.push(record);
      events.push(`data ${record.length}`);
    },
    async sendEnd() {
      events.push('end');
    },
    async finish() {},
    abort() {},
  };
  return { port, records, events };
}

function channelOf(r: Recorder): SecureChannel {
  const { channel } = SecureChannel.create(r.port, { role: 'requester', sessionId: 1, peer: null });
  channel.on('error', () => {});
  return channel;
}

const turn = () => new Promise((r) => setImmediate(r));

async function writeAll(channel: SecureChannel, chunks: readonly Buffer[]): Promise<void> {
  for (const c of chunks) if (!channel.write(c)) await once(channel, 'drain');
}

describe('SecureChannel write coalescing', () => {
  it('a stream of writes larger than a record travels in full records, bytes intact', async () => {
    const r = recorder(1000);
    const channel = channelOf(r);
    const chunks = Array.from({ length: 7 }, (_, i) => randomBytes(2500 + i * 13));
    await writeAll(channel, chunks);
    await turn();
    await turn();
    const sent = Buffer.concat(r.records);
    expect(sent.equals(Buffer.concat(chunks))).toBe(true);
    expect(r.records.slice(0, -1).every((b) => b.length === 1000)).toBe(true);
    expect(r.records.length).toBe(Math.ceil(sent.length / 1000));
  });

  it('a write smaller than a record goes out at once', () => {
    const r = recorder(1000);
    const channel = channelOf(r);
    channel.write(Buffer.from('ping'));
    expect(r.events).toEqual(['data 4']);
  });

  it('a remainder is sent within one loop turn when no write follows', async () => {
    const r = recorder(1000);
    const channel = channelOf(r);
    await new Promise<void>((resolve) => channel.write(randomBytes(2300), () => resolve()));
    expect(r.events).toEqual(['data 1000', 'data 1000']);
    await turn();
    await turn();
    expect(r.events).toEqual(['data 1000', 'data 1000', 'data 300']);
  });

  it('end() sends a held remainder before the end of stream', async () => {
    const r = recorder(1000);
    const channel = channelOf(r);
    channel.write(randomBytes(1500));
    channel.end();
    await once(channel, 'finish');
    expect(r.events).toEqual(['data 1000', 'data 500', 'end']);
  });

  it('a writer reusing its buffer after the callback does not change what is sent', async () => {
    const r = recorder(1000);
    const channel = channelOf(r);
    const buf = Buffer.alloc(1500, 0x11);
    await new Promise<void>((resolve) => channel.write(buf, () => resolve()));
    buf.fill(0x22);
    await turn();
    await turn();
    expect(Buffer.concat(r.records).equals(Buffer.alloc(1500, 0x11))).toBe(true);
  });

  it('destroy() drops a held remainder', async () => {
    const r = recorder(1000);
    const channel = channelOf(r);
    await new Promise<void>((resolve) => channel.write(randomBytes(1200), () => resolve()));
    channel.destroy();
    await turn();
    await turn();
    expect(r.events).toEqual(['data 1000']);
  });
});

describe('cutRecords', () => {
  it('cuts across parts in order, views inside a part, copies across parts', () => {
    const parts = [randomBytes(10), new Uint8Array(0), randomBytes(25), randomBytes(7)];
    const { records, joined, tail } = cutRecords(parts, 8);
    expect(records.map((x) => x.length)).toEqual([8, 8, 8, 8, 8]);
    expect(tail?.length).toBe(2);
    expect(Buffer.concat([...records, tail!]).equals(Buffer.concat(parts))).toBe(true);
    expect(records[0]!.buffer).toBe(parts[0]!.buffer);
    expect(joined).toContain(records[1]);
  });

  it('no whole record: everything is one record, nothing held; exact fit: no tail', () => {
    const small = cutRecords([randomBytes(3), randomBytes(4)], 8);
    expect(small.records.map((x) => x.length)).toEqual([7]);
    expect(small.tail).toBeNull();
    const exact = cutRecords([randomBytes(16)], 8);
    expect(exact.records.map((x) => x.length)).toEqual([8, 8]);
    expect(exact.tail).toBeNull();
    expect(cutRecords([], 8)).toEqual({ records: [], joined: [], tail: null });
  });
});

describe('cutRecordParts', () => {
  it('cuts across parts in order into views only; the tail is a copy', () => {
    const parts = [randomBytes(10), new Uint8Array(0), randomBytes(25), randomBytes(7)];
    const { records, tail } = cutRecordParts(parts, 8);
    expect(records.map((r) => r.reduce((n, p) => n + p.length, 0))).toEqual([8, 8, 8, 8, 8]);
    expect(records[1]!.map((p) => p.length)).toEqual([2, 6]);
    for (const r of records) {
      for (const p of r) {
        expect(p.length).toBeGreaterThan(0);
        expect(parts.some((q) => q.buffer === p.buffer)).toBe(true);
      }
    }
    expect(tail?.length).toBe(2);
    expect(parts.some((q) => q.buffer === tail!.buffer)).toBe(false);
    expect(Buffer.concat([...records.flat(), tail!]).equals(Buffer.concat(parts))).toBe(true);
  });

  it('no whole record: one record of pieces, nothing held; exact fit: no tail', () => {
    const a = randomBytes(3);
    const b = randomBytes(4);
    const small = cutRecordParts([a, b], 8);
    expect(small.records).toHaveLength(1);
    expect(Buffer.concat(small.records[0]!).equals(Buffer.concat([a, b]))).toBe(true);
    expect(small.tail).toBeNull();
    expect(cutRecordParts([randomBytes(16)], 8).tail).toBeNull();
    expect(cutRecordParts([], 8)).toEqual({ records: [], tail: null });
  });
});
