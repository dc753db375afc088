/**
 * Test helper: a man-in-the-middle TCP proxy on 127.0.0.1 that cuts both directions into
 * DSP0287 frames (PayloadLength u16le = frame size - 2; MessageType at byte 3: 0x05 plain,
 * 0x06 secured) and lets a test change, drop or repeat any frame before forwarding it.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export type Direction = 'requester->responder' | 'responder->requester';

/**
 * Decides what to forward for one frame: the frame itself, a changed copy, nothing, or several.
 * `securedIndex` counts secured frames (type 0x06) per direction from 0; -1 for plain frames.
 */
export type Tap = (dir: Direction, frame: Uint8Array, securedIndex: number) => Uint8Array[];

export interface FrameProxy {
  readonly port: number;
  close(): Promise<void>;
}

function frames(onFrame: (f: Uint8Array) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 2) {
      const size = buf.readUInt16LE(0) + 2;
      if (buf.length < size) return;
      onFrame(new Uint8Array(buf.subarray(0, size)));
      buf = buf.subarray(size);
    }
  };
}

function pipeFrames(from: Socket, to: Socket, dir: Direction, tap: Tap): void {
  let secured = 0;
  from.on(
    'data',
    frames((f) => {
      const index = f[3] === 0x06 ? secured++ : -1;
      for (const out of tap(dir, f, index)) to.write(out);
    }),
  );
  from.on('end', () => to.end());
  from.on('error', () => to.destroy());
  from.on('close', () => to.destroy());
}

/** Starts a proxy to 127.0.0.1:`targetPort`. */
export async function startProxy(targetPort: number, tap: Tap): Promise<FrameProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    pipeFrames(client, upstream, 'requester->responder', tap);
    pipeFrames(upstream, client, 'responder->requester', tap);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A copy of `frame` with bit `bit` of byte `at` flipped (`at` counted from the frame start). */
export function flipBit(frame: Uint8Array, at: number, bit = 0): Uint8Array {
  const out = frame.slice();
  out[at] = (out[at] ?? 0) ^ (1 << bit);
  return out;
}
