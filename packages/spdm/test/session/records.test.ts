/**
 * Record-layer attacks through a man-in-the-middle proxy on real TCP: a flipped bit in any
 * record (handshake or data, either direction, header, ciphertext or tag) closes the session on
 * both ends; a replayed record is rejected and its data is not delivered twice; a sequence
 * number at its limit is an error on either side, never a wrap.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ERROR_CODE } from '../../src/msgs/codes.js';
import type { TcpServerHandle } from '../../src/transport/tcp.js';
import {
  collect,
  echoResponder,
  errorOf,
  identities,
  openSession,
  requesterInit,
  responderInit,
  SUITES,
  startResponder,
} from './fixtures.js';
import { type Direction, type FrameProxy, flipBit, startProxy } from './proxy.js';

const suite = SUITES[0]!;
const HEADER = 4; // DSP0287 binding header before the record
const closers: (TcpServerHandle | FrameProxy)[] = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c.close()));
});

async function setup(tap: Parameters<typeof startProxy>[1], over = {}) {
  const ids = identities();
  const echo = echoResponder();
  const { server, port } = await startResponder(
    responderInit(ids, suite, { onSession: echo.onSession, ...over }),
  );
  const proxy = await startProxy(port, tap);
  closers.push(server, proxy);
  return { ids, echo, port: proxy.port };
}

/** Where in a record to flip a bit, from the start of the DSP0287 frame. */
const PLACES: readonly [string, (frame: Uint8Array) => number][] = [
  ['SessionID', () => HEADER + 1],
  ['Length', () => HEADER + 4],
  ['ciphertext', () => HEADER + 8],
  ['tag', (f) => f.length - 1],
];

describe('a flipped bit in a data record closes the session on both ends', () => {
  describe.each<Direction>(['requester->responder', 'responder->requester'])('%s', (dir) => {
    it.each(PLACES)('in the %s', async (_name, at) => {
      // Secured record 0 is FINISH / FINISH_RSP; 1 is the first data record each way.
      const { ids, echo, port } = await setup((d, f, i) => [d === dir && i === 1 ? flipBit(f, at(f)) : f]);
      const { channel, session } = await openSession(port, requesterInit(ids, suite));
      const back = collect(channel);
      const failed = errorOf(channel);
      channel.write('first');
      const err = await failed;
      expect(err).toMatchObject({ name: 'SpdmError' });
      expect(session.state).toBe('ended');
      const rec = echo.sessions[0]!;
      await rec.closed;
      expect(rec.error).toMatchObject({ name: 'SpdmError' });
      // Nothing from the tampered record reached the application on the receiving side.
      if (dir === 'requester->responder') expect(rec.bytes).toBe(0);
      else expect(back.bytes()).toBe(0);
    });
  });
});

describe('a flipped bit in a handshake record refuses the session', () => {
  it('FINISH (requester -> responder)', async () => {
    const { ids, echo, port } = await setup((d, f, i) => [
      d === 'requester->responder' && i === 0 ? flipBit(f, 20) : f,
    ]);
    await expect(openSession(port, requesterInit(ids, suite))).rejects.toMatchObject({
      code: 'Peer',
      wireCode: ERROR_CODE.DecryptError,
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(echo.sessions).toHaveLength(0);
  });

  it('FINISH_RSP (responder -> requester)', async () => {
    const { ids, port } = await setup((d, f, i) => [
      d === 'responder->requester' && i === 0 ? flipBit(f, f.length - 3) : f,
    ]);
    await expect(openSession(port, requesterInit(ids, suite))).rejects.toMatchObject({
      code: 'VerifyFailed',
    });
  });
});

describe('replay', () => {
  it('a replayed record is rejected, its data delivered once, and the session closed', async () => {
    const { ids, echo, port } = await setup((d, f, i) =>
      d === 'requester->responder' && i === 2 ? [f, f] : [f],
    );
    const { channel } = await openSession(port, requesterInit(ids, suite));
    const failed = errorOf(channel);
    channel.write('aaa');
    await new Promise((r) => setTimeout(r, 20));
    channel.write('bbb');
    const err = await failed;
    expect(err).toMatchObject({ name: 'SpdmError' });
    const rec = echo.sessions[0]!;
    await rec.closed;
    expect(rec.error).toMatchObject({ code: 'VerifyFailed' });
    expect(rec.bytes).toBe(6);
  });

  it('a record replayed from an earlier session is rejected', async () => {
    let captured: Uint8Array | undefined;
    let session = 0;
    const { ids, echo, port } = await setup((d, f, i) => {
      if (d !== 'requester->responder' || f[3] !== 0x06) return [f];
      if (i === 0) session++;
      if (session === 1 && i === 1) captured = f;
      if (session === 2 && i === 1 && captured) return [captured];
      return [f];
    });
    const first = await openSession(port, requesterInit(ids, suite));
    first.channel.resume();
    first.channel.end('old');
    await new Promise((r) => first.channel.once('close', r));
    const second = await openSession(port, requesterInit(ids, suite));
    const failed = errorOf(second.channel);
    second.channel.write('new');
    await failed;
    const rec = echo.sessions[1]!;
    await rec.closed;
    expect(rec.error).toMatchObject({ name: 'SpdmError' });
    expect(rec.bytes).toBe(0);
  });
});

describe('sequence number limit', () => {
  it('the sender refuses to go past it (SequenceOverflow), it does not wrap', async () => {
    const { ids, echo, port } = await setup((_d, f) => [f]);
    const { channel } = await openSession(
      port,
      requesterInit(ids, suite, { session: { maxSequenceNumber: 3n, maxRecordPayload: 16 } }),
    );
    const failed = errorOf(channel);
    channel.write(Buffer.alloc(16 * 6, 0x61));
    expect(await failed).toMatchObject({ name: 'SpdmError', code: 'SequenceOverflow' });
    const rec = echo.sessions[0]!;
    await rec.closed;
    // Records 0..3 went out; the fifth was never sealed.
    expect(rec.bytes).toBe(16 * 4);
  });

  it('the receiver refuses a record past it', async () => {
    const { ids, echo, port } = await setup((_d, f) => [f], { maxSequenceNumber: 2n });
    const { channel } = await openSession(
      port,
      requesterInit(ids, suite, { session: { maxRecordPayload: 16 } }),
    );
    const failed = errorOf(channel);
    channel.write(Buffer.alloc(16 * 5, 0x62));
    expect(await failed).toMatchObject({ name: 'SpdmError' });
    const rec = echo.sessions[0]!;
    await rec.closed;
    expect(rec.error).toMatchObject({ code: 'SequenceOverflow' });
    expect(rec.bytes).toBe(16 * 3);
  });
});
