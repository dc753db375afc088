/**
 * encodeFrameParts: the buffers sendFrame writes. Small frames and control frames are one joined
 * buffer equal to encodeAnyFrame; data frames from SEPARATE_PAYLOAD_SIZE on are [header,
 * payload] with the payload itself (no copy) and the same bytes once joined. Over real TCP a
 * large record frame arrives whole and intact.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SpdmError } from '../../src/errors.js';
import type { Frame } from '../../src/transport/frame.js';
import { encodeAnyFrame, encodeFrameParts, SEPARATE_PAYLOAD_SIZE } from '../../src/transport/framing.js';
import { connectTcp, listenTcp } from '../../src/transport/tcp.js';

const joined = (parts: Uint8Array[]) => Buffer.concat(parts);

describe('encodeFrameParts', () => {
  it('one buffer below the threshold and for control frames, header + the payload itself above', () => {
    for (const framing of ['dsp0287', 'length16'] as const) {
      const small: Frame = { type: 'spdm', payload: new Uint8Array(randomBytes(SEPARATE_PAYLOAD_SIZE - 1)) };
      const s = encodeFrameParts(framing, small);
      expect(s).toHaveLength(1);
      expect(joined(s).equals(Buffer.from(encodeAnyFrame(framing, small)))).toBe(true);
      const type = framing === 'dsp0287' ? 'secured' : 'spdm';
      const big: Frame = { type, payload: new Uint8Array(randomBytes(SEPARATE_PAYLOAD_SIZE)) };
      const b = encodeFrameParts(framing, big);
      expect(b).toHaveLength(2);
      expect(b[1]).toBe(big.payload);
      expect(joined(b).equals(Buffer.from(encodeAnyFrame(framing, big)))).toBe(true);
    }
    const role: Frame = { type: 'role-inquiry', payload: new Uint8Array(0) };
    expect(
      joined(encodeFrameParts('dsp0287', role)).equals(Buffer.from(encodeAnyFrame('dsp0287', role))),
    ).toBe(true);
  });

  it('refuses what encodeAnyFrame refuses', () => {
    const huge: Frame = { type: 'spdm', payload: new Uint8Array(70_000) };
    expect(() => encodeFrameParts('dsp0287', huge)).toThrow(SpdmError);
    const secured: Frame = { type: 'secured', payload: new Uint8Array(SEPARATE_PAYLOAD_SIZE) };
    expect(() => encodeFrameParts('length16', secured)).toThrow(SpdmError);
  });

  it('large and small frames interleaved arrive intact and in order over TCP', async () => {
    const got: Frame[] = [];
    let done!: () => void;
    const all = new Promise<void>((r) => {
      done = r;
    });
    const sent = [1, 60_000, 30, SEPARATE_PAYLOAD_SIZE, 65_000, 2].map(
      (n, i): Frame => ({ type: i % 2 ? 'secured' : 'spdm', payload: new Uint8Array(randomBytes(n)) }),
    );
    const server = await listenTcp({}, async (conn) => {
      for (let i = 0; i < sent.length; i++) got.push(await conn.receive());
      done();
    });
    try {
      const conn = await connectTcp('127.0.0.1', server.address().port);
      await Promise.all(sent.map((f) => conn.sendFrame(f)));
      await all;
      expect(got.map((f) => f.type)).toEqual(sent.map((f) => f.type));
      got.forEach((f, i) => {
        expect(
          'payload' in f &&
            Buffer.from(f.payload).equals(Buffer.from((sent[i] as { payload: Uint8Array }).payload)),
        ).toBe(true);
      });
      conn.destroy();
    } finally {
      await server.close();
    }
  });
});
