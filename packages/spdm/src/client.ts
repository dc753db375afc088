/**
 * Requester-side convenience: open a framed TCP connection and run VCA on it
 * (`connectAndNegotiate`). The connection stays open for the phases that follow
 * (authentication, sessions); on any failure it is destroyed before the error is thrown.
 */
import type { Negotiated } from './negotiated.js';
import { type RequesterInit, resolveRequesterInit } from './requester/init.js';
import { negotiate } from './requester/negotiate.js';
import type { FramedConnection } from './transport/connection.js';
import { exchangeOver } from './transport/exchange.js';
import { type ConnectTcpInit, connectTcp } from './transport/tcp.js';

export interface ConnectAndNegotiateInit extends ConnectTcpInit {
  /**
   * One deadline, in ms, for the TCP connect and for every send and receive; the specific
   * options (connectTimeoutMs, sendTimeoutMs, receiveTimeoutMs) win where given. Default 5000.
   */
  timeoutMs?: number;
  /** Versions, capabilities, algorithms and retry policy of the requester. */
  requester?: RequesterInit;
}

export interface NegotiatedConnection {
  /** Open, VCA done; the caller closes it. */
  readonly conn: FramedConnection;
  readonly negotiated: Negotiated;
}

/**
 * Connects to `host:port` and negotiates version, capabilities and algorithms.
 * @throws SpdmError Transport (refused, unreachable; `cause.code` holds the errno code),
 *   Timeout, Closed, Aborted, TooLarge from the transport; VersionMismatch, NegotiationFailed,
 *   Peer, Busy, InvalidMsgSize, InvalidMsgField from the negotiation; RangeError / TypeError
 *   for bad options (checked before connecting).
 */
export async function connectAndNegotiate(
  host: string,
  port: number,
  init: ConnectAndNegotiateInit = {},
): Promise<NegotiatedConnection> {
  resolveRequesterInit(init.requester);
  const t = init.timeoutMs;
  const conn = await connectTcp(host, port, {
    ...init,
    connectTimeoutMs: init.connectTimeoutMs ?? t,
    sendTimeoutMs: init.sendTimeoutMs ?? t,
    receiveTimeoutMs: init.receiveTimeoutMs ?? t,
  });
  try {
    const negotiated = await negotiate(exchangeOver(conn), init.requester, init.signal);
    return { conn, negotiated };
  } catch (e) {
    conn.destroy();
    throw e;
  }
}
