/**
 * RequesterSession: one SPDM session seen from the requester, from FINISH to END_SESSION
 * (DSP0274 1.3 §10.15-§10.20; DSP0277; spdm-reference §2.10-§2.12). It owns the session's
 * SecuredSession (keys) and SecureChannel (application data) and runs the in-session requests
 * through the RequesterLink:
 *
 * - `heartbeat()`: HEARTBEAT / HEARTBEAT_ACK. Sent automatically every `heartbeatIntervalMs` of
 *   send silence (default: half the responder's HeartbeatPeriod, when both sides have HBEAT_CAP).
 * - `keyUpdate(op)`: KEY_UPDATE UpdateKey or UpdateAllKeys under the current request key, then
 *   VerifyNewKey under the new one (§2.12). For UpdateAllKeys the ACK is expected under the
 *   responder's new key; a record that does not open under the old key is tried under the new
 *   one (SecuredSession), which is libspdm's "retry with the other key" seen from our side, and
 *   an ACK under the old key is refused. Application data written meanwhile waits and follows
 *   VerifyNewKey under the new key, so nothing is lost and libspdm never sees data under a key
 *   it is switching away from.
 * - `appRequest(message)`: one request/response of the peer's own application protocol (PLDM over
 *   MCTP for libspdm's spdm_responder_emu), outside the SecureChannel framing.
 * - `end()`: END_SESSION / END_SESSION_ACK, then the keys are zeroed and, when the session owns
 *   its connection (requester.run), the connection is closed. The channel calls it by itself
 *   once both directions have ended.
 */
import { randomInt } from 'node:crypto';
import { SpdmError } from '../errors.js';
import { CAP } from '../msgs/capabilities.js';
import { REQUEST_CODE, RESPONSE_CODE } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import { decodeEndSessionAck, encodeEndSession } from '../msgs/end-session.js';
import { decodeHeartbeatAck, encodeHeartbeat } from '../msgs/heartbeat.js';
import {
  checkKeyUpdateAck,
  decodeKeyUpdateAck,
  encodeKeyUpdate,
  KEY_UPDATE_OPERATION,
  type KeyUpdate,
} from '../msgs/key-update.js';
import type { Negotiated } from '../negotiated.js';
import { bothHave } from '../negotiation.js';
import { type AppMessage, type AppPayload, maxAppPayload } from '../session/app-data.js';
import { type PeerIdentity, peerIdentityOf } from '../session/peer.js';
import { type ChannelControl, SecureChannel } from '../session/secure-channel.js';
import { SecuredSession } from '../session/secured-session.js';
import type { InnerMessage } from '../transport/secured-params.js';
import { finishPhase } from './finish.js';
import type { KeyExchanged } from './key-exchange.js';
import { type LinkSession, type RequesterLink, toSpdmError } from './link.js';
import { expectResponse } from './phase.js';

export interface RequesterSessionInit {
  /**
   * Send HEARTBEAT after this many ms without sending anything (needs HBEAT_CAP on both
   * sides). Default: half the responder's HeartbeatPeriod, or none when it set none.
   */
  readonly heartbeatIntervalMs?: number;
  /** Largest record sequence number (tests make overflow reachable). Default 2^64-2. */
  readonly maxSequenceNumber?: bigint;
  /** Cap on application bytes per record (default: what the responder and transport allow). */
  readonly maxRecordPayload?: number;
  /** Close the connection when the session ends (requester.run sets it). Default false. */
  readonly ownsConnection?: boolean;
}

/** Which key update to run. */
export type KeyUpdateKind = 'UpdateKey' | 'UpdateAllKeys';

interface QueuedApp {
  readonly kind: AppMessage['kind'];
  readonly payload: AppPayload | undefined;
  resolve(): void;
  reject(e: unknown): void;
}

type Phase = 'handshake' | 'established' | 'ending' | 'ended';

export class RequesterSession implements LinkSession {
  readonly sessionId: number;
  readonly negotiated: Negotiated;
  /** The responder's identity (slot of KEY_EXCHANGE), validated against our trusted roots. */
  readonly peer: PeerIdentity;
  /** Responder's HeartbeatPeriod in seconds (0 = none). */
  readonly heartbeatPeriod: number;
  /** Secured-message version selected by the responder. */
  readonly securedVersion: number;
  /** Whether the requester signed FINISH (mutual authentication). */
  readonly mutuallyAuthenticated: boolean;
  readonly secured: SecuredSession;
  readonly #link: RequesterLink;
  readonly #init: RequesterSessionInit;
  #phase: Phase = 'handshake';
  #channel: SecureChannel | undefined;
  #control: ChannelControl | undefined;
  /** Key updates in progress: application data waits while any is. */
  #pauses = 0;
  #updates: Promise<unknown> = Promise.resolve();
  readonly #queue: QueuedApp[] = [];
  #lastSend = Date.now();
  #heartbeat: NodeJS.Timeout | undefined;
  #heartbeatBusy = false;
  #ending: Promise<void> | undefined;
  #error: SpdmError | undefined;

  private constructor(link: RequesterLink, ke: KeyExchanged, init: RequesterSessionInit) {
    if (!link.params) throw new TypeError(`a ${link.conn.framing} connection carries no secured messages`);
    this.#link = link;
    this.#init = init;
    this.sessionId = ke.sessionId;
    this.negotiated = ke.negotiated;
    this.heartbeatPeriod = ke.heartbeatPeriod;
    this.securedVersion = ke.securedVersion;
    this.mutuallyAuthenticated = ke.credentials !== undefined;
    this.peer = peerIdentityOf(ke.responderCertChain, ke.keySchedule.hash.size, ke.slotId);
    this.secured = new SecuredSession({
      role: 'requester',
      sessionId: ke.sessionId,
      params: link.params,
      keySchedule: ke.keySchedule,
      maxSequenceNumber: init.maxSequenceNumber,
    });
  }

  /**
   * Runs FINISH for a session KEY_EXCHANGE opened and returns it established (data keys,
   * channel ready). On failure the key schedule is zeroed and the error thrown.
   * @throws SpdmError from the FINISH phase, the link or the transport.
   */
  static async establish(
    link: RequesterLink,
    ke: KeyExchanged,
    init: RequesterSessionInit = {},
    signal?: AbortSignal,
  ): Promise<RequesterSession> {
    let session: RequesterSession;
    try {
      session = new RequesterSession(link, ke, init);
    } catch (e) {
      ke.keySchedule.destroy();
      throw e;
    }
    link.attach(session);
    try {
      const finish = finishPhase.request(ke, undefined);
      await link.request(
        finish,
        ke.handshakeInTheClear ? undefined : session,
        (response) => {
          finishPhase.response(ke, undefined, finish, response);
          session.#established();
        },
        signal,
      );
      return session;
    } catch (e) {
      session.#over(toSpdmError(e));
      link.detach(session);
      throw e;
    }
  }

  /** The application-data channel (after establish). */
  get channel(): SecureChannel {
    if (!this.#channel) throw new SpdmError('Internal', 'session not established');
    return this.#channel;
  }

  /** 'established' while usable; 'ended' after END_SESSION or a failure. */
  get state(): Phase {
    return this.#phase;
  }

  /** The error the session ended with, if it failed. */
  get error(): SpdmError | undefined {
    return this.#error;
  }

  #established(): void {
    this.secured.switchToDataKeys();
    const peerMax = this.negotiated.responderMaxSpdmMsgSize;
    const maxFrame = (this.#link.conn as { maxFrameSize?: unknown }).maxFrameSize;
    const { channel, control } = SecureChannel.create(
      {
        maxPayload: maxAppPayload(
          this.secured.params,
          peerMax,
          typeof maxFrame === 'number' ? maxFrame : undefined,
          this.#init.maxRecordPayload,
        ),
        sendData: (payload) => this.#sendApp('data', payload),
        sendEnd: () => this.#sendApp('end', undefined),
        finish: () => this.end().catch(() => {}),
        abort: (error) => this.#abort(error),
      },
      { role: 'requester', sessionId: this.sessionId, peer: this.peer },
    );
    this.#channel = channel;
    this.#control = control;
    this.#phase = 'established';
    this.#startHeartbeat();
  }

  /** Hands application data to the channel; a promise while the application's reader is full. */
  onApp(m: AppMessage): Promise<void> | undefined {
    if (this.#phase !== 'established' && this.#phase !== 'ending') {
      throw new SpdmError('SessionError', 'application data outside an established session');
    }
    const control = this.#control;
    if (m.kind !== 'data') control?.peerEnded();
    else if (control && !control.deliver(m.payload)) return control.drained();
    return undefined;
  }

  onFailure(error: SpdmError): void {
    this.#over(error);
  }

  /**
   * HEARTBEAT / HEARTBEAT_ACK.
   * @throws SpdmError UnsupportedRequest without HBEAT_CAP on both sides; Closed after the
   *   session ended; Peer (an ERROR answer); from the link.
   */
  async heartbeat(signal?: AbortSignal): Promise<void> {
    this.#checkOpen();
    if (!bothHave(this.negotiated, CAP.HBEAT)) {
      throw new SpdmError('UnsupportedRequest', 'HEARTBEAT: HBEAT_CAP not negotiated by both sides');
    }
    const req = encodeToBytes(encodeHeartbeat, {
      code: REQUEST_CODE.HEARTBEAT,
      version: this.negotiated.version,
    });
    await this.#request(req, signal, (rsp) => {
      expectResponse(req, rsp, RESPONSE_CODE.HEARTBEAT_ACK, 'HEARTBEAT_ACK');
      decodeHeartbeatAck(rsp, { version: this.negotiated.version });
    });
  }

  /**
   * KEY_UPDATE (`kind`) then KEY_UPDATE(VerifyNewKey); see the module comment.
   * @throws SpdmError UnsupportedRequest without KEY_UPD_CAP on both sides; Closed; Peer when the
   *   responder refuses (keys unchanged); a failure after our key changed ends the session.
   */
  async keyUpdate(kind: KeyUpdateKind = 'UpdateAllKeys', signal?: AbortSignal): Promise<void> {
    this.#checkOpen();
    if (!bothHave(this.negotiated, CAP.KEY_UPD)) {
      throw new SpdmError('UnsupportedRequest', 'KEY_UPDATE: KEY_UPD_CAP not negotiated by both sides');
    }
    const op = KEY_UPDATE_OPERATION[kind];
    this.#pauses++;
    // One update at a time: its two requests must be adjacent (VerifyNewKey confirms this one).
    const run = async () => {
      this.#checkOpen();
      await this.#request(this.#keyUpdate(op), signal, (rsp, req) => this.#onUpdateAck(req, rsp));
      await this.#request(this.#keyUpdate(KEY_UPDATE_OPERATION.VerifyNewKey), signal, (rsp, req) =>
        this.#checkAck(req, rsp),
      );
    };
    const done = this.#updates.then(run, run);
    this.#updates = done.catch(() => {});
    try {
      await done;
    } finally {
      this.#resume();
    }
  }

  /**
   * One application request/response in the peer's own application protocol, outside our
   * SecureChannel framing: `message` goes out as raw application data (on MCTP a whole MCTP
   * message, type byte first, e.g. PLDM GetTID `01 80 00 02` for spdm_responder_emu), and the
   * session's next message comes back as the transport classifies it: 'app' (the answer) or
   * 'spdm' (libspdm answers application data it does not understand with an in-session ERROR).
   * It waits for earlier requests and key updates like any in-session request.
   * @throws SpdmError Closed after the session ended; Transport when libspdm would misread
   *   `message` as an SPDM message; from the link (a record that does not open ends the session).
   */
  async appRequest(message: Uint8Array, signal?: AbortSignal): Promise<InnerMessage> {
    this.#checkOpen();
    await this.#updates;
    this.#checkOpen();
    this.#lastSend = Date.now();
    return this.#link.requestApp(message, this, signal);
  }

  #keyUpdate(operation: KeyUpdate['operation']): Uint8Array {
    const m: KeyUpdate = {
      code: REQUEST_CODE.KEY_UPDATE,
      version: this.negotiated.version,
      operation,
      tag: randomInt(256),
    };
    if (operation === KEY_UPDATE_OPERATION.UpdateAllKeys) this.secured.expectPeerKeyUpdate();
    return encodeToBytes(encodeKeyUpdate, m);
  }

  #checkAck(req: Uint8Array, rsp: Uint8Array): void {
    expectResponse(req, rsp, RESPONSE_CODE.KEY_UPDATE_ACK, 'KEY_UPDATE_ACK');
    const v = { version: this.negotiated.version };
    checkKeyUpdateAck(
      {
        code: REQUEST_CODE.KEY_UPDATE,
        version: v.version,
        operation: req[2] as KeyUpdate['operation'],
        tag: req[3] ?? 0,
      },
      decodeKeyUpdateAck(rsp, v),
    );
  }

  /** Runs in the reader: checks the first ACK and switches our request key before the next record. */
  #onUpdateAck(req: Uint8Array, rsp: Uint8Array): void {
    const all = req[2] === KEY_UPDATE_OPERATION.UpdateAllKeys;
    try {
      this.#checkAck(req, rsp);
    } catch (e) {
      if (all && !this.secured.peerKeyUpdated) this.secured.cancelPeerKeyUpdate();
      throw e;
    }
    if (all && !this.secured.peerKeyUpdated) {
      const e = new SpdmError(
        'SessionError',
        'KEY_UPDATE_ACK for UpdateAllKeys not under the new response key',
      );
      this.#fail(e);
      throw e;
    }
    if (all) this.secured.confirmPeerKeyUpdate();
    this.secured.updateSendKey();
  }

  /**
   * END_SESSION / END_SESSION_ACK; then the keys are zeroed, the channel closes and, when the
   * session owns it, the connection is closed. Idempotent.
   * @throws SpdmError when the exchange fails (the session is over anyway).
   */
  end(signal?: AbortSignal): Promise<void> {
    this.#ending ??= this.#end(signal);
    return this.#ending;
  }

  async #end(signal?: AbortSignal): Promise<void> {
    if (this.#phase === 'ended') {
      if (this.#error) throw this.#error;
      return;
    }
    this.#phase = 'ending';
    this.#stopHeartbeat();
    const req = encodeToBytes(encodeEndSession, {
      code: REQUEST_CODE.END_SESSION,
      version: this.negotiated.version,
      negotiatedStateClearing: false,
    });
    try {
      await this.#link.request(
        req,
        this,
        (rsp) => {
          expectResponse(req, rsp, RESPONSE_CODE.END_SESSION_ACK, 'END_SESSION_ACK');
          decodeEndSessionAck(rsp, { version: this.negotiated.version });
          this.#over(undefined);
        },
        signal,
      );
    } catch (e) {
      this.#fail(toSpdmError(e));
      throw e;
    }
    if (this.#init.ownsConnection) await this.#link.close();
  }

  #request(
    req: Uint8Array,
    signal: AbortSignal | undefined,
    check: (rsp: Uint8Array, req: Uint8Array) => void,
  ): Promise<void> {
    this.#lastSend = Date.now();
    return this.#link.request(req, this, (rsp) => check(rsp, req), signal);
  }

  #checkOpen(): void {
    if (this.#phase !== 'established') {
      throw (
        this.#error ?? new SpdmError('Closed', `session 0x${this.sessionId.toString(16)} is ${this.#phase}`)
      );
    }
  }

  #sendApp(kind: AppMessage['kind'], payload: AppPayload | undefined): Promise<void> {
    if (this.#phase !== 'established') {
      return Promise.reject(this.#error ?? new SpdmError('Closed', 'secure channel: the session has ended'));
    }
    if (this.#pauses > 0 || this.#queue.length > 0) {
      return new Promise((resolve, reject) => this.#queue.push({ kind, payload, resolve, reject }));
    }
    return this.#sealAndSend(kind, payload);
  }

  #sealAndSend(kind: AppMessage['kind'], payload: AppPayload | undefined): Promise<void> {
    let record: Uint8Array;
    try {
      record = this.secured.sealApp(kind, payload);
    } catch (e) {
      return Promise.reject(e);
    }
    this.#lastSend = Date.now();
    return this.#link.sendRecord(record);
  }

  #resume(): void {
    this.#pauses--;
    while (this.#queue.length > 0 && this.#pauses === 0 && this.#phase === 'established') {
      const q = this.#queue.shift()!;
      this.#sealAndSend(q.kind, q.payload).then(q.resolve, q.reject);
    }
  }

  #startHeartbeat(): void {
    const auto =
      bothHave(this.negotiated, CAP.HBEAT) && this.heartbeatPeriod > 0
        ? this.heartbeatPeriod * 500
        : undefined;
    const interval = this.#init.heartbeatIntervalMs ?? auto;
    if (interval === undefined || !bothHave(this.negotiated, CAP.HBEAT)) return;
    if (!(interval > 0) || !Number.isFinite(interval))
      throw new RangeError('heartbeatIntervalMs must be positive');
    this.#heartbeat = setInterval(() => {
      if (this.#heartbeatBusy || this.#phase !== 'established') return;
      if (Date.now() - this.#lastSend < interval / 2) return;
      this.#heartbeatBusy = true;
      this.heartbeat()
        .catch((e: unknown) => this.#fail(toSpdmError(e)))
        .finally(() => {
          this.#heartbeatBusy = false;
        });
    }, interval);
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  /** The application destroyed the channel. */
  #abort(error: Error | null): void {
    if (error === null) {
      this.end().catch(() => {});
      return;
    }
    this.#fail(toSpdmError(error));
  }

  /**
   * Ends the session with an error found on our side and, when it owns it, closes the
   * connection gracefully (what was already written still reaches the responder).
   */
  #fail(error: SpdmError): void {
    if (this.#phase === 'ended') return;
    this.#over(error);
    this.#link.detach(this);
    if (this.#init.ownsConnection) this.#link.closeWith(error);
  }

  /** The session is over: keys zeroed, queued writes refused, channel told. Idempotent. */
  #over(error: SpdmError | undefined): void {
    if (this.#phase === 'ended') return;
    this.#phase = 'ended';
    this.#error = error;
    this.#stopHeartbeat();
    this.#link.detach(this);
    const closed = error ?? new SpdmError('Closed', 'secure channel: the session has ended');
    for (const q of this.#queue.splice(0)) q.reject(closed);
    this.secured.destroy();
    this.#control?.terminate(error);
  }
}
