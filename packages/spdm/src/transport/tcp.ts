/**
 * TCP for the framed transport: `connectTcp` (with a connect deadline and an AbortSignal) and
 * `listenTcp` (a server handle that tracks its connections and closes them all on close()).
 * Sockets get TCP_NODELAY (SPDM is request/response; Nagle would add a round trip per frame).
 */
import { connect } from 'node:net';
import { SpdmError } from '../errors.js';
import { FramedConnection, type FramedConnectionInit, formatAddress, validateInit } from './connection.js';
import { abortError, checkTimeout, DEFAULT_TIMEOUT_MS, guard } from './deadline.js';
import {
  checkMaxConnections,
  type ListenServerHandle,
  type ListenServerInit,
  listenServer,
} from './listen-server.js';

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

/** host (default '127.0.0.1'), port (default 0), maxConnections (default 64), onError. */
export interface ListenTcpInit extends FramedConnectionInit, ListenServerInit {}

/** address(), connections and close() of a listenTcp server. */
export interface TcpServerHandle extends ListenServerHandle {}

/**
 * Listens for TCP connections; each becomes a FramedConnection handed to `onConnection`. A
 * handler that throws or rejects gets its connection destroyed; the server keeps serving.
 * @throws SpdmError 'Transport' when the address cannot be bound; RangeError for bad options.
 */
export function listenTcp(
  init: ListenTcpInit,
  onConnection: (conn: FramedConnection) => unknown,
): Promise<TcpServerHandle> {
  let maxConnections: number;
  try {
    maxConnections = checkMaxConnections(init.maxConnections);
    validateInit(init);
  } catch (e) {
    return Promise.reject(e);
  }
  return listenServer(init, maxConnections, (socket) => new FramedConnection(socket, init), onConnection);
}
