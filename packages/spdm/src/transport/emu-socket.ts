/**
 * The spdm-emu socket over TCP: `connectEmu` (our side as the requester, to spdm_responder_emu:
 * connect, TEST hello, then NORMAL packets; close() sends SHUTDOWN) and `listenEmu` (our side as
 * the responder, driven by spdm_requester_emu or the responder validator). Both return
 * EmuConnection (emu-connection.ts), a TransportConnection, so `exchange`, `serveConnection`
 * and the SPDM requester and responder run on it unchanged. Packet layout and payload encodings:
 * emu-framing.ts; secured-message parameters per transport: secured-params.ts.
 *
 * spdm-emu's ports: 2323 for NONE/MCTP/PCI_DOE, 4194 for TCP (`emuDefaultPort`); its responder
 * binds every interface unless `--ip` is given, ours binds 127.0.0.1 unless `host` is given.
 */
import { connect, type Socket } from 'node:net';
import { SpdmError } from '../errors.js';
import { formatAddress } from './connection.js';
import { abortError, checkTimeout, DEFAULT_TIMEOUT_MS, guard } from './deadline.js';
import {
  EmuConnection,
  type EmuConnectionInit,
  type EmuEndCommand,
  validateEmuInit,
} from './emu-connection.js';
import {
  checkMaxConnections,
  type ListenServerHandle,
  type ListenServerInit,
  listenServer,
} from './listen-server.js';

export interface ConnectEmuInit extends EmuConnectionInit {
  /** Deadline for the TCP handshake and the TEST hello together, in ms; default 5000. */
  connectTimeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Send the TEST hello after connecting (default true). spdm_requester_emu skips it on NONE;
   * spdm_responder_emu answers it on every transport.
   */
  hello?: boolean;
}

/**
 * Connects to an spdm-emu responder and, unless `hello: false`, runs the TEST hello.
 * @throws SpdmError 'Transport' (refused, unreachable, TransportType mismatch, bad hello reply),
 *   'Peer' (UNKNOWN reply), 'Timeout', 'Aborted', 'Closed'; TypeError / RangeError for options.
 */
export async function connectEmu(host: string, port: number, init: ConnectEmuInit): Promise<EmuConnection> {
  validateEmuInit(init);
  const timeoutMs = checkTimeout(init.connectTimeoutMs, DEFAULT_TIMEOUT_MS, 'connectTimeoutMs');
  const started = Date.now();
  const socket = await openSocket(host, port, timeoutMs, init.signal);
  let conn: EmuConnection;
  try {
    conn = new EmuConnection(socket, 'client', init);
  } catch (e) {
    socket.destroy();
    throw e;
  }
  if (init.hello === false) return conn;
  try {
    await conn.hello({ timeoutMs: Math.max(1, timeoutMs - (Date.now() - started)), signal: init.signal });
  } catch (e) {
    conn.destroy();
    throw e;
  }
  return conn;
}

function openSocket(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const where = formatAddress(host, port);
    if (signal?.aborted) return reject(abortError(signal, `connect to ${where}`));
    const socket = connect({ host, port, noDelay: true });
    const disarm = guard(`connect to ${where}`, timeoutMs, signal, (e) => {
      socket.destroy();
      reject(e);
    });
    const onError = (e: Error): void => {
      disarm();
      const code = (e as { code?: unknown }).code;
      const why = typeof code === 'string' ? code : e.message;
      reject(new SpdmError('Transport', `connect to ${where} failed: ${why}`, { cause: e }));
    };
    // Stays attached for good: a late 'error' after a timeout must not go unhandled.
    socket.on('error', onError);
    socket.once('connect', () => {
      disarm();
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/** host (default '127.0.0.1'), port (default 0), maxConnections (default 64), onError. */
export interface ListenEmuInit extends EmuConnectionInit, ListenServerInit {}

/** address(), connections and close() of a listenEmu server, and shutdownRequested. */
export interface EmuServerHandle extends ListenServerHandle {
  /**
   * Resolves with the first SHUTDOWN a client sends (spdm_responder_emu stops serving then;
   * whether we do is the caller's choice). CONTINUE does not resolve it.
   */
  readonly shutdownRequested: Promise<void>;
}

/**
 * Listens for spdm-emu clients; each connection becomes a server-role EmuConnection handed to
 * `onConnection` (typically `serveConnection(conn, handler)`). The connection answers TEST,
 * SHUTDOWN, CONTINUE and unknown commands by itself. A handler that throws or rejects gets its
 * connection destroyed; the server keeps serving.
 * @throws SpdmError 'Transport' when the address cannot be bound; TypeError / RangeError for options.
 */
export async function listenEmu(
  init: ListenEmuInit,
  onConnection: (conn: EmuConnection) => unknown,
): Promise<EmuServerHandle> {
  validateEmuInit(init);
  const maxConnections = checkMaxConnections(init.maxConnections);
  let onShutdown!: () => void;
  const shutdownRequested = new Promise<void>((resolve) => {
    onShutdown = resolve;
  });
  const connInit: EmuConnectionInit = {
    ...init,
    onPeerEnd: (command: EmuEndCommand, conn: EmuConnection) => {
      if (command === 'shutdown') onShutdown();
      init.onPeerEnd?.(command, conn);
    },
  };
  const create = (socket: Socket): EmuConnection => new EmuConnection(socket, 'server', connInit);
  const handle = await listenServer(init, maxConnections, create, onConnection);
  return Object.assign(handle, { shutdownRequested });
}
