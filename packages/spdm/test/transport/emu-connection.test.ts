/**
 * EmuConnection read flow control (the socket-level behaviour is in emu-socket.test.ts): a peer
 * that sends faster than we receive is paused, not failed; control packets keep their place.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { EmuConnection } from '../../src/transport/emu-connection.js';
import {
  EMU_COMMAND,
  EMU_SERVER_HELLO,
  EMU_TRANSPORT_CODE,
  EmuDeframer,
  type EmuPacket,
  encodeEmuPacket,
} from '../../src/transport/emu-framing.js';
import { memoryDuplexPair } from '../../src/transport/memory.js';

const NONE = EMU_TRANSPORT_CODE.none;

function normal(i: number): Uint8Array {
  return encodeEmuPacket({
    command: EMU_COMMAND.NORMAL,
    transportType: NONE,
    payload: Uint8Array.of(0x10, i),
  });
}

async function until(cond: () => boolean, maxTurns = 10_000): Promise<void> {
  for (let i = 0; i < maxTurns && !cond(); i++) await new Promise((r) => setImmediate(r));
  expect(cond()).toBe(true);
}

describe('EmuConnection backpressure', () => {
  it('a flood of NORMAL packets pauses reading; a TEST behind them is answered in its turn', async () => {
    const [raw, sb] = memoryDuplexPair();
    const server = new EmuConnection(sb, 'server', { transport: 'none', maxQueuedFrames: 4 });
    const replies: EmuPacket[] = [];
    const d = new EmuDeframer({ transportType: NONE });
    raw.on('data', (c: Uint8Array) => replies.push(...d.push(c)));
    const test = encodeEmuPacket({
      command: EMU_COMMAND.TEST,
      transportType: NONE,
      payload: Uint8Array.of(1),
    });
    raw.write(Buffer.concat([...Array.from({ length: 100 }, (_, i) => normal(i)), test]));
    await until(() => server.readingPaused);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(server.queuedFrames).toBe(4);
    expect(replies).toEqual([]); // the TEST is still behind unread frames
    for (let i = 0; i < 100; i++) {
      expect(server.queuedFrames).toBeLessThanOrEqual(4);
      const f = await server.receive();
      expect(`${f.type}:${toHex(f.payload)}`).toBe(`spdm:10${toHex(Uint8Array.of(i))}`);
    }
    await until(() => replies.length === 1);
    expect(replies[0]!.command).toBe(EMU_COMMAND.TEST);
    expect(Buffer.from(replies[0]!.payload)).toEqual(Buffer.from(EMU_SERVER_HELLO));
    expect(server.failure).toBeUndefined();
    server.destroy();
  });

  it('packets held back when the client ends with SHUTDOWN are delivered first', async () => {
    const [raw, sb] = memoryDuplexPair();
    raw.resume(); // the echo of SHUTDOWN
    const ended: string[] = [];
    const server = new EmuConnection(sb, 'server', {
      transport: 'none',
      maxQueuedFrames: 2,
      onPeerEnd: (command) => ended.push(command),
    });
    const shutdown = encodeEmuPacket({
      command: EMU_COMMAND.SHUTDOWN,
      transportType: NONE,
      payload: new Uint8Array(),
    });
    raw.write(Buffer.concat([...Array.from({ length: 6 }, (_, i) => normal(i)), shutdown]));
    await until(() => server.readingPaused);
    expect(ended).toEqual([]);
    for (let i = 0; i < 6; i++) expect(toHex((await server.receive()).payload)).toBe(`100${i}`);
    await until(() => ended.length === 1);
    expect(ended).toEqual(['shutdown']);
    await expect(server.receive()).rejects.toMatchObject({ code: 'Closed' });
  });
});
