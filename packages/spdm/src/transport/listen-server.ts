/**
 * The TCP server side shared by listenTcp (tcp.ts) and listenEmu (emu-socket.ts): the
 * maxConnections option, binding with a typed error, accepting sockets into tracked connections
 * (refusing beyond maxConnections, destroying a connection whose handler throws or rejects) and
 * a handle whose close() stops listening and destroys every open connection.
 */
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { SpdmError } from '../errors.js';
import { formatAddress } from './stream-connection.js';

/** What the server needs of a connection it tracks. */
interface Tracked {
  readonly remoteAddress: string;
  destroy(error?: SpdmError): void;
}

/** Options of a tracked server (the listening part of ListenTcpInit / ListenEmuInit). */
export interface ListenServerInit {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (an ephemeral port; read it from address()). */
  port?: number;
  /** Connections served at once; more are closed on arrival. Default 64. */
  maxConnections?: number;
  /** Told about a connection handler that threw or rejected (the connection is destroyed). */
  onError?: (error: unknown, remoteAddress: string) => void;
}

/** A listening server's handle (TcpServerHandle; EmuServerHandle adds to it). */
export interface ListenServerHandle {
  /** The bound address. */
  address(): { host: string; port: number };
  /** Connections currently open. */
  readonly connections: number;
  /** Stops listening, destroys every open connection, resolves when the server has closed. */
  close(): Promise<void>;
}

/**
 * Validates maxConnections (default 64).
 * @throws RangeError unless it is a whole number >= 1.
 */
export function checkMaxConnections(maxConnections: number | undefined): number {
  const n = maxConnections ?? 64;
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`maxConnections must be >= 1, got ${n}`);
  return n;
}

/**
 * Listens on init.host (default 127.0.0.1) / init.port (default 0); every socket becomes a
 * connection by `create` and is handed to `onConnection`.
 * @throws SpdmError 'Transport' when the address cannot be bound.
 */
export function listenServer<C extends Tracked>(
  init: ListenServerInit,
  maxConnections: number,
  create: (socket: Socket) => C,
  onConnection: (conn: C) => unknown,
): Promise<ListenServerHandle> {
  const open = new Set<C>();
  const server = createServer({ noDelay: true });
  server.on('connection', (socket) => accept(socket, open, maxConnections, init, create, onConnection));
  return new Promise<ListenServerHandle>((resolve, reject) => {
    const host = init.host ?? '127.0.0.1';
    const onListenError = (e: Error): void => {
      reject(
        new SpdmError('Transport', `listen on ${formatAddress(host, init.port ?? 0)} failed: ${e.message}`, {
          cause: e,
        }),
      );
    };
    server.once('error', onListenError);
    server.listen({ host, port: init.port ?? 0 }, () => {
      server.off('error', onListenError);
      server.on('error', (e) => init.onError?.(e, 'server'));
      resolve(serverHandle(server, open));
    });
  });
}

function accept<C extends Tracked>(
  socket: Socket,
  open: Set<C>,
  maxConnections: number,
  init: ListenServerInit,
  create: (socket: Socket) => C,
  onConnection: (conn: C) => unknown,
): void {
  socket.on('error', () => {}); // The connection adds its own; this covers the refusal path.
  if (open.size >= maxConnections) {
    socket.destroy();
    return;
  }
  let conn: C;
  try {
    conn = create(socket);
  } catch (e) {
    socket.destroy();
    init.onError?.(e, formatAddress(socket.remoteAddress, socket.remotePort));
    return;
  }
  open.add(conn);
  socket.once('close', () => open.delete(conn));
  const failed = (e: unknown): void => {
    conn.destroy();
    init.onError?.(e, conn.remoteAddress);
  };
  try {
    Promise.resolve(onConnection(conn)).catch(failed);
  } catch (e) {
    failed(e);
  }
}

function serverHandle(server: Server, open: Set<Tracked>): ListenServerHandle {
  const bound = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    address: () => ({ host: bound.address, port: bound.port }),
    get connections() {
      return open.size;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const c of open) c.destroy(new SpdmError('Closed', 'server shutting down'));
      });
      return closing;
    },
  };
}
