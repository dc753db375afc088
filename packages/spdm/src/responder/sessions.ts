/**
 * The responder's session layer for one connection (DSP0277; libspdm `libspdm_rsp_receive_send.c`
 * and `libspdm_secured_message_*`): it installs the session handlers (KEY_EXCHANGE, FINISH,
 * HEARTBEAT, KEY_UPDATE, END_SESSION, the chain-presenting VENDOR_DEFINED_REQUEST, GET_MEASUREMENTS,
 * GET_DIGESTS and GET_CERTIFICATE inside sessions too, and a GET_VERSION that ends every session
 * first) on the connection's ResponderCore, and handles every secured record of the connection
 * (`onSecured`, the serve loop's hook):
 *
 * - a record is opened with its session's current receive key (SecuredSession); an inner SPDM
 *   request goes to `core.handle(request, { sessionId })` and the answer is sealed with the
 *   right key and sent at once (before any application data can follow it); application data
 *   goes to the session's SecureChannel. When the application's read buffer is full, `onSecured`
 *   returns a promise and the serve loop takes no further frame until the application has read
 *   (backpressure: the connection's queue fills, its socket pauses, TCP holds the requester back);
 *   the idle watchdogs are stopped meanwhile, since it is our reader, not the requester, that waits;
 * - a record that does not open (tampered, replayed, reordered, unknown session) is answered with
 *   ERROR(DecryptError) in the clear, like libspdm; then every session is ended with the error and
 *   the connection is closed (libspdm frees only that session: on TCP a stream that delivers a
 *   bad record cannot be trusted for the others either);
 * - a session without a record from the requester for 2 × HeartbeatPeriod (or `idleTimeoutMs`
 *   without a heartbeat period) is ended with SpdmError Timeout; the connection is closed when
 *   that was its last session;
 * - an established session gets a SecureChannel, handed to `onSession` once FINISH_RSP has been
 *   written (so application data can never overtake it).
 */
import { SpdmError } from '../errors.js';
import { ERROR_CODE, REQUEST_CODE, SPDM_VERSION } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import { encodeErrorResponse, errorResponse } from '../msgs/error.js';
import type { Negotiated } from '../negotiated.js';
import { type AppPayload, decodeAppMessage, maxAppPayload } from '../session/app-data.js';
import type { PeerIdentity } from '../session/peer.js';
import { recordSessionId } from '../session/record.js';
import { type ChannelControl, type ChannelPort, SecureChannel } from '../session/secure-channel.js';
import type { OpenedRecord } from '../session/secured-session.js';
import type { TransportConnection } from '../transport/connection.js';
import {
  type InnerMessage,
  type SecuredMessageParams,
  securedParamsOf,
} from '../transport/secured-params.js';
import { certificateInSessionHandler, digestsInSessionHandler } from './certificates-in-session.js';
import type { ResponderCore } from './core.js';
import { endSessionHandler } from './end-session.js';
import { finishHandler } from './finish.js';
import { heartbeatHandler } from './heartbeat.js';
import { keyExchangeHandler } from './key-exchange.js';
import { keyUpdateHandler } from './key-update.js';
import { EMPTY_MEASUREMENT_TRANSCRIPT } from './measurements.js';
import { measurementsInSessionHandler } from './measurements-in-session.js';
import {
  type RequesterCredential,
  type ResolvedSessionOptions,
  type ResponderSession,
  type ResponderSessionInit,
  resolveSessionOptions,
  type SessionHost,
} from './session-host.js';
import { vendorDefinedHandler } from './vendor-defined.js';
import { getVersionHandler } from './version.js';

/** Facts about an established session, for the application. */
export interface ResponderSessionInfo {
  readonly sessionId: number;
  readonly negotiated: Negotiated;
  /** Our certificate slot the session was opened with. */
  readonly slotId: number;
  /** Secured-message version selected (e.g. 0x1200). */
  readonly securedVersion: number;
  readonly heartbeatPeriod: number;
  readonly remoteAddress: string;
}

/**
 * Called once per established session, right after FINISH_RSP was written. `peer` is the requester's
 * identity proven by its FINISH signature, or null without mutual authentication. Attach an
 * 'error' listener to the channel (a failing session destroys it with an SpdmError).
 */
export type OnSession = (
  channel: SecureChannel,
  peer: PeerIdentity | null,
  info: ResponderSessionInfo,
) => void;

export interface ResponderSessionsInit extends ResponderSessionInit {
  /** Default: read and discard the application data, end when the requester ends. */
  readonly onSession?: OnSession;
  /** Told about every session that ends with an error (for logging). Must not throw. */
  readonly onSessionError?: (error: SpdmError, sessionId: number) => void;
  /**
   * Application data of an established session that is not in our application-message format
   * (session/app-data.ts), e.g. the PLDM GetTID that spdm_requester_emu sends on MCTP
   * (`answerPldmGetTid` of session/pldm.ts answers it like spdm_responder_emu). The returned bytes
   * go back in the same session as raw application data (the transport's format: on MCTP a whole
   * MCTP message, type byte first); null / undefined sends nothing. Throwing, or no hook, ends
   * the session as any undecodable record does. Must be synchronous.
   */
  readonly onForeignApp?: (message: Uint8Array, sessionId: number) => Uint8Array | null | undefined;
}

interface Entry {
  readonly s: ResponderSession;
  channel?: SecureChannel;
  control?: ChannelControl;
  timer?: NodeJS.Timeout;
}

function asSpdmError(e: unknown, code: 'SessionError' | 'Internal' = 'Internal'): SpdmError {
  if (e instanceof SpdmError) return e;
  return new SpdmError(code, e instanceof Error ? e.message : String(e), { cause: e });
}

const discard: OnSession = (channel) => {
  channel.on('error', () => {});
  channel.resume();
};

export class ResponderSessions implements SessionHost {
  readonly options: ResolvedSessionOptions;
  readonly params: SecuredMessageParams;
  presentedRequester: RequesterCredential | undefined;
  readonly #core: ResponderCore;
  readonly #conn: TransportConnection;
  readonly #onSession: OnSession;
  readonly #onSessionError: ResponderSessionsInit['onSessionError'];
  readonly #onForeignApp: ResponderSessionsInit['onForeignApp'];
  readonly #entries = new Map<number, Entry>();
  #latest: number | undefined;

  /**
   * Binds a session layer to `core` serving `conn` and registers the session handlers on it.
   * @throws TypeError when the connection carries no secured messages (length16 framing);
   *   RangeError / TypeError for bad options.
   */
  constructor(core: ResponderCore, conn: TransportConnection, init: ResponderSessionsInit = {}) {
    const params = securedParamsOf(conn);
    if (!params) throw new TypeError(`a ${conn.framing} connection carries no secured messages`);
    this.params = params;
    this.options = resolveSessionOptions(init);
    this.#core = core;
    this.#conn = conn;
    this.#onSession = init.onSession ?? discard;
    this.#onSessionError = init.onSessionError;
    this.#onForeignApp = init.onForeignApp;
    core.registerHandler(REQUEST_CODE.KEY_EXCHANGE, keyExchangeHandler(this));
    core.registerHandler(REQUEST_CODE.FINISH, finishHandler(this));
    core.registerHandler(REQUEST_CODE.HEARTBEAT, heartbeatHandler(this));
    core.registerHandler(REQUEST_CODE.KEY_UPDATE, keyUpdateHandler(this));
    core.registerHandler(REQUEST_CODE.END_SESSION, endSessionHandler(this));
    core.registerHandler(REQUEST_CODE.VENDOR_DEFINED_REQUEST, vendorDefinedHandler(this));
    core.registerHandler(REQUEST_CODE.GET_MEASUREMENTS, measurementsInSessionHandler(this));
    core.registerHandler(REQUEST_CODE.GET_DIGESTS, digestsInSessionHandler(this));
    core.registerHandler(REQUEST_CODE.GET_CERTIFICATE, certificateInSessionHandler(this));
    core.registerHandler(REQUEST_CODE.GET_VERSION, {
      ...getVersionHandler,
      handle: (request, ctx) => {
        // GET_VERSION resets the connection: every session ends (DSP0274 1.3 GET_VERSION).
        this.endAll(new SpdmError('Closed', 'GET_VERSION reset the connection'));
        this.presentedRequester = undefined;
        return getVersionHandler.handle(request, ctx);
      },
    });
  }

  liveCount(): number {
    return this.#entries.size;
  }

  allocateRspSessionId(): number | null {
    const used = new Set([...this.#entries.values()].map((e) => e.s.rspSessionId));
    for (let id = 0xffff; id > 0; id--) if (!used.has(id)) return id;
    return null;
  }

  add(session: ResponderSession): void {
    const entry: Entry = { s: session };
    this.#entries.set(session.sessionId, entry);
    this.#latest = session.sessionId;
    this.#arm(entry);
  }

  get(sessionId: number): ResponderSession | undefined {
    return this.#entries.get(sessionId)?.s;
  }

  latestHandshake(): ResponderSession | undefined {
    const s = this.#latest === undefined ? undefined : this.get(this.#latest);
    return s?.secured.phase === 'handshake' ? s : undefined;
  }

  establish(s: ResponderSession): void {
    const entry = this.#entries.get(s.sessionId);
    if (!entry) return;
    s.secured.switchToDataKeys();
    const peer = s.mutualAuth?.requester.peer ?? null;
    const peerMax = s.negotiated.requesterMaxSpdmMsgSize;
    const maxFrame = (this.#conn as { maxFrameSize?: unknown }).maxFrameSize;
    const port: ChannelPort = {
      maxPayload: maxAppPayload(
        this.params,
        peerMax,
        typeof maxFrame === 'number' ? maxFrame : undefined,
        this.options.maxRecordPayload,
      ),
      sendData: (payload) => this.#sendApp(entry, 'data', payload),
      sendEnd: () => this.#sendApp(entry, 'end'),
      finish: () => Promise.resolve(),
      abort: (error) => {
        this.end(s, error ?? undefined);
        if (this.#entries.size === 0) void this.#conn.close();
      },
    };
    const { channel, control } = SecureChannel.create(port, {
      role: 'responder',
      sessionId: s.sessionId,
      peer,
    });
    entry.channel = channel;
    entry.control = control;
    const info: ResponderSessionInfo = {
      sessionId: s.sessionId,
      negotiated: s.negotiated,
      slotId: s.slotId,
      securedVersion: s.securedVersion,
      heartbeatPeriod: s.heartbeatPeriod,
      remoteAddress: this.#conn.remoteAddress,
    };
    const deliver = (): void => {
      if (channel.destroyed) return; // the session died before the application saw it
      try {
        this.#onSession(channel, peer, info);
      } catch (e) {
        channel.destroy(asSpdmError(e));
      }
    };
    // In-session FINISH_RSP is already written when this runs (afterResponse), so the
    // application may write at once; a plain FINISH_RSP is sent by the serve loop after the
    // handler returns, so the application waits for a later turn of the event loop.
    if (s.handshakeInTheClear) setImmediate(deliver);
    else deliver();
  }

  end(s: ResponderSession, error?: Error): void {
    const entry = this.#entries.get(s.sessionId);
    if (!entry || entry.s !== s) return;
    this.#entries.delete(s.sessionId);
    if (entry.timer) clearTimeout(entry.timer);
    s.secured.destroy();
    const err = error === undefined ? undefined : asSpdmError(error);
    if (err) this.#report(err, s.sessionId);
    entry.control?.terminate(err);
  }

  endAll(error?: Error): void {
    for (const e of [...this.#entries.values()]) this.end(e.s, error);
  }

  /**
   * The serve loop's hook for one secured record: opens it and acts on it. Replies are sent
   * from here, never returned. A promise (resolving to null, never rejecting) when the record's
   * data filled the application's read buffer: read no further frame before it resolves.
   * Never throws.
   */
  onSecured(record: Uint8Array): null | Promise<null> {
    let sid: number;
    try {
      sid = recordSessionId(record);
    } catch (e) {
      this.#recordFailure(undefined, e);
      return null;
    }
    const entry = this.#entries.get(sid);
    if (!entry) {
      this.#recordFailure(
        undefined,
        new SpdmError('SessionError', `record for unknown session 0x${sid.toString(16)}`),
      );
      return null;
    }
    let inner: InnerMessage;
    let opened: OpenedRecord | { kind: 'foreign' };
    try {
      inner = entry.s.secured.openRaw(record);
      opened = this.#classify(entry, inner);
    } catch (e) {
      this.#recordFailure(entry, e);
      return null;
    }
    this.#arm(entry);
    if (opened.kind === 'foreign') {
      this.#foreignApp(entry, inner.message);
    } else if (opened.kind === 'spdm') {
      this.#request(entry, opened.message);
    } else if (!entry.control) {
      this.#recordFailure(
        entry,
        new SpdmError('SessionError', 'application data before the session was established'),
      );
    } else if (opened.kind === 'data') {
      if (!entry.control.deliver(opened.payload)) return this.#waitForReader(entry.control);
    } else {
      entry.control.peerEnded();
    }
    return null;
  }

  /** Backpressure: waits until the application reads; the idle watchdogs stop meanwhile. */
  async #waitForReader(control: ChannelControl): Promise<null> {
    for (const e of this.#entries.values()) {
      if (e.timer) clearTimeout(e.timer);
      e.timer = undefined;
    }
    await control.drained();
    for (const e of this.#entries.values()) this.#arm(e);
    return null;
  }

  /**
   * SPDM, one of our application messages, or (with an onForeignApp hook, in an established
   * session) someone else's application data.
   * @throws SpdmError InvalidMsgField for application data nobody takes.
   */
  #classify(entry: Entry, inner: InnerMessage): OpenedRecord | { kind: 'foreign' } {
    if (inner.kind === 'spdm') return { kind: 'spdm', message: inner.message };
    try {
      return decodeAppMessage(this.params, inner.message);
    } catch (e) {
      if (this.#onForeignApp && entry.s.secured.phase === 'established') return { kind: 'foreign' };
      throw e;
    }
  }

  /** Hands foreign application data to the hook and seals its answer as raw application data. */
  #foreignApp(entry: Entry, message: Uint8Array): void {
    let record: Uint8Array | undefined;
    try {
      const answer = this.#onForeignApp?.(message, entry.s.sessionId);
      if (answer) record = entry.s.secured.sealRawApp(answer);
    } catch (e) {
      this.#fail(entry, e, false);
      return;
    }
    if (record) this.#conn.send(record, { secured: true }).catch((e: unknown) => this.#fail(entry, e, true));
  }

  #request(entry: Entry, message: Uint8Array): void {
    const s = entry.s;
    // Any other request in the session resets its M (libspdm_reset_message_buffer_via_request_code).
    if (message[1] !== REQUEST_CODE.GET_MEASUREMENTS) s.measurements = EMPTY_MEASUREMENT_TRANSCRIPT;
    const response = this.#core.handle(message, { sessionId: s.sessionId });
    if (s.secured.phase === 'ended') return;
    let record: Uint8Array;
    try {
      record = s.secured.sealSpdm(response);
    } catch (e) {
      this.#fail(entry, e, true);
      return;
    }
    this.#conn.send(record, { secured: true }).catch((e: unknown) => this.#fail(entry, e, true));
    try {
      for (const action of s.afterResponse.splice(0)) action();
    } catch (e) {
      this.#fail(entry, e, true);
      return;
    }
    // Only FINISH sets it (a signature or RequesterVerifyData that does not verify): that session
    // ends, the connection stays, as with libspdm, which keeps serving the connection after
    // ERROR(DecryptError) to FINISH (SPDM-Responder-Validator 9.7 goes on on the same connection;
    // closing it here broke every case after 9.7).
    if (s.failAfterResponse) this.end(s, asSpdmError(s.failAfterResponse, 'SessionError'));
  }

  #sendApp(entry: Entry, kind: 'data' | 'end', payload?: AppPayload): Promise<void> {
    if (!this.#entries.has(entry.s.sessionId) || entry.s.secured.phase !== 'established') {
      return Promise.reject(new SpdmError('Closed', 'secure channel: the session has ended'));
    }
    let record: Uint8Array;
    try {
      record = entry.s.secured.sealApp(kind, payload);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#conn.send(record, { secured: true });
  }

  /** Ends one session with an error; closes the connection when it was the last (or `always`). */
  #fail(entry: Entry, e: unknown, always: boolean): void {
    this.end(entry.s, asSpdmError(e, 'SessionError'));
    if (always || this.#entries.size === 0) void this.#conn.close();
  }

  /**
   * A record that did not open (or names no session of ours): ERROR(DecryptError) in the clear,
   * then every session ends with the error and the connection is closed.
   */
  #recordFailure(entry: Entry | undefined, e: unknown): void {
    const version = this.#version(entry?.s.negotiated ?? this.#core.negotiated);
    const error = encodeToBytes(encodeErrorResponse, errorResponse(version, ERROR_CODE.DecryptError, 0));
    this.#conn.send(error).catch(() => {});
    this.endAll(asSpdmError(e, 'SessionError'));
    void this.#conn.close();
  }

  #version(n: Negotiated | null): number {
    return n?.version ?? SPDM_VERSION.V10;
  }

  /** (Re)starts a session's idle watchdog. */
  #arm(entry: Entry): void {
    if (entry.timer) clearTimeout(entry.timer);
    const period = entry.s.heartbeatPeriod;
    const ms = period > 0 ? 2000 * period : this.options.idleTimeoutMs;
    if (!Number.isFinite(ms)) return;
    entry.timer = setTimeout(
      () => {
        const what = period > 0 ? `2 x HeartbeatPeriod (${period} s)` : `${ms} ms`;
        this.#fail(entry, new SpdmError('Timeout', `session idle for ${what}`), false);
      },
      Math.min(ms, 0x7fffffff),
    );
    entry.timer.unref();
  }

  #report(e: SpdmError, sessionId: number): void {
    try {
      this.#onSessionError?.(e, sessionId);
    } catch {
      // Observers must not break the session layer.
    }
  }
}
