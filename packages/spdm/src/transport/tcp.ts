/**
 * TCP for the framed transport: `connectTcp` (with a connect deadline and an AbortSignal) and
 * `listenTcp` (a server handle that tracks its connections and closes them all on close()).
 * Sockets get TCP_NODELAY (SPDM is request/response; Nagle would add a round trip per frame).
 */
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { SpdmError } from '../errors.js';
import { FramedConnection, type FramedConnectionInit, formatAddress, validateInit } from './connection.js';
import { abortError, checkTimeout, DEFAULT_TIMEOUT_MS, guard } from './deadline.js';

export interface ConnectTcpInit extends FramedConnectionInit {
  /** Deadline for the TCP handshake, in ms; default 5000. */
  connectTimeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Opens a TCP connection and wraps it in a FramedConnection.
 * @throws SpdmError 'Transport' (refused, unreachable, ...: the address is in the message),
 *   'Timeout' (connect deadline), 'Aborted' (signal); RangeError for bad options.
 */
export function connectTcp(host: string, port: number, init: ConnectTcpInit = {}): Promise<FramedConnection> {
  return new Promise<FramedConnection>((resolve, reject) => {
    const timeoutMs = checkTimeout(init.connectTimeoutMs, DEFAULT_TIMEOUT_MS, 'connectTimeoutMs');
    const where = formatAddress(host, port);
    if (init.signal?.aborted) return reject(abortError(init.signal, `connect to ${where}`));
    validateInit(init);
    const socket = connect({ host, port, noDelay: true });
    const disarm = guard(`connect to ${where}`, timeoutMs, init.signal, (e) => {
      socket.destroy();
      reject(e);
    });
    const onError = (e: Error): void => {
      disarm();
      const code = (e as { code?: unknown }).code;
      reject(
        new SpdmError(
          'Transport',
          `connect to ${where} failed: ${typeof code === 'string' ? code : e.message}`,
          {
            cause: e,
          },
        ),
      );
    };
    // Stays attached for good: a late 'error' after a timeout must not go unhandled.
    socket.on('error', onError);
    socket.once('connect', () => {
      disarm();
      socket.off('error', onError);
      try {
        resolve(new FramedConnection(socket, init));
      } catch (e) {
        socket.destroy();
        reject(e);
      }
    });
  });
}

export interface ListenTcpInit extends FramedConnectionInit {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (an ephemeral port; read it from address()). */
  port?: number;
  /** Connections served at once; more are closed on arrival. Default 64. */
  maxConnections?: number;
  /** Told about a connection handler that threw or rejected (the connection is destroyed). */
  onError?: (error: unknown, remoteAddress: string) => void;
}

export interface TcpServerHandle {
  /** The bound address. */
  address(): { host: string; port: number };
  /** Connections currently open. */
  readonly connections: number;
  /** Stops listening, destroys every open connection, resolves when the server has closed. */
  close(): Promise<void>;
}

/**
 * Listens for TCP connections; each becomes a FramedConnection handed to `onConnection`. A
 * handler that throws or rejects gets its connection destroyed; the server keeps serving.
 * @throws SpdmError 'Transport' when the address cannot be bound; RangeError for bad options.
 */
export function listenTcp(
  init: ListenTcpInit,
  onConnection: (conn: FramedConnection) => unknown,
): Promise<TcpServerHandle> {
  const maxConnections = init.maxConnections ?? 64;
  if (!Number.isSafeInteger(maxConnections) || maxConnections < 1) {
    return Promise.reject(new RangeError(`maxConnections must be >= 1, got ${maxConnections}`));
  }
  try {
    validateInit(init);
  } catch (e) {
    return Promise.reject(e);
  }
  const open = new Set<FramedConnection>();
  const server = createServer({ noDelay: true });
  server.on('connection', (socket) => accept(socket, open, maxConnections, init, onConnection));
  return new Promise<TcpServerHandle>((resolve, reject) => {
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

function accept(
  socket: Socket,
  open: Set<FramedConnection>,
  maxConnections: number,
  init: ListenTcpInit,
  onConnection: (conn: FramedConnection) => unknown,
): void {
  socket.on('error', () => {}); // FramedConnection adds its own; this covers the refusal path.
  if (open.size >= maxConnections) {
    socket.destroy();
    return;
  }
  let conn: FramedConnection;
  try {
    conn = new FramedConnection(socket, init);
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

function serverHandle(server: Server, open: Set<FramedConnection>): TcpServerHandle {
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
