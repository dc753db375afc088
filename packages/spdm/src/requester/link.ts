/**
 * RequesterLink: the requester's side of one connection once sessions may exist (conventions #2:
 * the thin async driver). One reader takes every frame off the connection and routes it:
 *
 * - the answer to the one outstanding SPDM request (plain, or inside a session: DSP0274 allows
 *   one request in flight per connection), whose optional `onResponse` check runs right there,
 *   before the next frame is looked at, so a key switch it makes (FINISH_RSP -> data keys,
 *   KEY_UPDATE_ACK -> new request key) is in place for the very next record;
 * - application data of a session to that session (its SecureChannel). When the session's reader
 *   is full (`onApp` returns a promise), no further frame is taken off the connection until the
 *   application has read: the connection's queue fills, its socket pauses and TCP holds the
 *   responder back (backpressure). A response behind that data waits too, so its deadline runs
 *   while our own application is not reading.
 *
 * Requests are serialized in call order; a request is sealed and written in one synchronous
 * step, like every application record, so records leave in sequence-number order.
 *
 * Failure is total, as the brief for the session layer asks: a record that does not open
 * (tampered, replayed, reordered, unknown session), a plain ERROR nobody asked for (libspdm's
 * ERROR(DecryptError) after a record it could not open), a response deadline, or a transport
 * error ends every session on the link with that SpdmError and destroys the connection.
 */
import { SpdmError } from '../errors.js';
import { RESPONSE_CODE } from '../msgs/codes.js';
import { decodeErrorResponse, describeError } from '../msgs/error.js';
import type { AppMessage } from '../session/app-data.js';
import { recordSessionId } from '../session/record.js';
import type { SecuredSession } from '../session/secured-session.js';
import type { TransportConnection } from '../transport/connection.js';
import { bindingErrorToSpdmError, describeFrame, type Frame } from '../transport/frame.js';
import {
  type InnerMessage,
  type SecuredMessageParams,
  securedParamsOf,
} from '../transport/secured-params.js';
import type { Exchange } from './exchange.js';

/** A session as the link sees it. */
export interface LinkSession {
  readonly sessionId: number;
  readonly secured: SecuredSession;
  /**
   * An application message of this session arrived. A promise means the session's reader is
   * full: the link reads no further frame until it resolves (it must never reject).
   */
  onApp(m: AppMessage): Promise<void> | undefined;
  /** The link failed: the session is over with `error`. Must not throw. */
  onFailure(error: SpdmError): void;
}

export interface RequesterLinkInit {
  /** Deadline for each response, in ms. Default 10000. */
  readonly timeoutMs?: number;
}

interface Pending {
  readonly sessionId: number | undefined;
  readonly what: string;
  /** The answer is the session's next record whatever it carries (requestApp). */
  readonly raw: boolean;
  complete(response: Uint8Array, kind?: InnerMessage['kind']): void;
  fail(error: SpdmError): void;
}

export function toSpdmError(
  e: unknown,
  code: 'Transport' | 'SessionError' | 'Internal' = 'Internal',
): SpdmError {
  if (e instanceof SpdmError) return e;
  return new SpdmError(code, e instanceof Error ? e.message : String(e), { cause: e });
}

function isErrorMessage(m: Uint8Array): boolean {
  return m.length >= 4 && m[1] === RESPONSE_CODE.ERROR;
}

export class RequesterLink {
  readonly conn: TransportConnection;
  /** Secured-message parameters of the connection; null when it carries none (length16). */
  readonly params: SecuredMessageParams | null;
  readonly #timeoutMs: number;
  readonly #sessions = new Map<number, LinkSession>();
  #pending: Pending | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #failure: SpdmError | undefined;

  /** @throws RangeError for a bad timeout. */
  constructor(conn: TransportConnection, init: RequesterLinkInit = {}) {
    const t = init.timeoutMs ?? 10_000;
    if (typeof t !== 'number' || !(t > 0)) throw new RangeError(`timeoutMs must be positive, got ${t}`);
    this.conn = conn;
    this.params = securedParamsOf(conn);
    this.#timeoutMs = t;
    void this.#read();
  }

  /** The error that ended the link, if any. */
  get failure(): SpdmError | undefined {
    return this.#failure;
  }

  /** Plain request/response function for the phases (negotiate, authentication, KEY_EXCHANGE). */
  readonly exchange: Exchange = (request, signal) => this.request(request, undefined, (r) => r, signal);

  /**
   * Sends `message` (sealed in `session` when given, plain otherwise) after every earlier
   * request is answered, and resolves with `onResponse(response)`, run synchronously by the
   * reader before it looks at the next frame.
   * @throws SpdmError from the seal (SequenceOverflow, ...), the transport, the deadline
   *   ('Timeout', which also ends the link), `signal` ('Aborted') or `onResponse`.
   */
  request<T>(
    message: Uint8Array,
    session: LinkSession | undefined,
    onResponse: (response: Uint8Array) => T,
    signal?: AbortSignal,
  ): Promise<T> {
    const run = () => this.#send(message, session, onResponse, signal, false);
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => {});
    return result;
  }

  /**
   * Sends `message` as raw application data in `session` (the transport's own format, without
   * our application-message header: on MCTP a whole MCTP message such as PLDM, type byte first)
   * after every earlier request, and resolves with the session's next message as the transport
   * classifies it: application data, or an SPDM message (libspdm answers application data it
   * does not understand with an in-session ERROR). For peers with their own application protocol.
   * @throws SpdmError as request(); 'Transport' when libspdm would misread `message` as SPDM.
   */
  requestApp(message: Uint8Array, session: LinkSession, signal?: AbortSignal): Promise<InnerMessage> {
    const run = () =>
      this.#send(
        message,
        session,
        (response, kind) => ({ kind: kind ?? 'spdm', message: response }),
        signal,
        true,
      );
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => {});
    return result;
  }

  #send<T>(
    message: Uint8Array,
    session: LinkSession | undefined,
    onResponse: (response: Uint8Array, kind?: InnerMessage['kind']) => T,
    signal: AbortSignal | undefined,
    raw: boolean,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#failure) return reject(this.#failure);
      if (signal?.aborted)
        return reject(new SpdmError('Aborted', 'request aborted', { cause: signal.reason }));
      const what = `request 0x${(message[1] ?? 0).toString(16)}`;
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () =>
        this.#fail(new SpdmError('Aborted', `${what} aborted`, { cause: signal?.reason }));
      const done = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#pending = undefined;
      };
      this.#pending = {
        sessionId: session?.sessionId,
        what,
        raw,
        complete: (response, kind) => {
          done();
          try {
            resolve(onResponse(response, kind));
          } catch (e) {
            reject(e);
          }
        },
        fail: (e) => {
          done();
          reject(e);
        },
      };
      let bytes: Uint8Array;
      try {
        if (!session) bytes = message;
        else bytes = raw ? session.secured.sealRawApp(message) : session.secured.sealSpdm(message);
      } catch (e) {
        done();
        return reject(e);
      }
      timer = setTimeout(
        () => this.#fail(new SpdmError('Timeout', `no response to ${what} within ${this.#timeoutMs} ms`)),
        Math.min(this.#timeoutMs, 0x7fffffff),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.conn
        .send(bytes, { secured: session !== undefined })
        .catch((e: unknown) => this.#fail(toSpdmError(e, 'Transport')));
    });
  }

  /** Writes one sealed application record. @throws SpdmError from the transport */
  sendRecord(record: Uint8Array): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    return this.conn.send(record, { secured: true });
  }

  attach(session: LinkSession): void {
    this.#sessions.set(session.sessionId, session);
  }

  detach(session: LinkSession): void {
    if (this.#sessions.get(session.sessionId) === session) this.#sessions.delete(session.sessionId);
  }

  /** Ends the link and closes the connection gracefully (sessions should have ended first). */
  async close(): Promise<void> {
    this.#shutdown(new SpdmError('Closed', 'connection closed by the requester'));
    await this.conn.close();
  }

  /** Ends every session with `error` and destroys the connection. */
  destroy(error: SpdmError): void {
    this.#fail(error);
  }

  /**
   * Ends every session with `error` and closes the connection gracefully: records already
   * written still reach the peer (a local failure such as SequenceOverflow, not the peer's).
   */
  closeWith(error: SpdmError): void {
    if (this.#shutdown(error)) void this.conn.close();
  }

  async #read(): Promise<void> {
    while (!this.#failure) {
      let frame: Frame;
      try {
        frame = await this.conn.receive({ timeoutMs: Number.POSITIVE_INFINITY });
      } catch (e) {
        this.#fail(toSpdmError(e, 'Transport'));
        return;
      }
      if (this.#failure) return;
      let reader: Promise<void> | undefined;
      try {
        reader = this.#onFrame(frame);
      } catch (e) {
        this.#fail(toSpdmError(e, 'SessionError'));
      }
      if (reader) await reader; // backpressure: the application has not read yet
    }
  }

  #onFrame(frame: Frame): Promise<void> | undefined {
    if (frame.type === 'secured') return this.#onRecord(frame.payload);
    if (frame.type === 'spdm') this.#onPlain(frame.payload);
    else if (frame.type === 'binding-error') this.#fail(bindingErrorToSpdmError(frame));
    // A DSP0287 RoleInquiry needs no answer from the requester.
    return undefined;
  }

  #onPlain(message: Uint8Array): void {
    const p = this.#pending;
    if (p && (p.sessionId === undefined || isErrorMessage(message))) {
      p.complete(message);
      return;
    }
    if (isErrorMessage(message)) {
      const e = decodeErrorResponse(message);
      this.#fail(
        new SpdmError(
          'Peer',
          `responder sent ${describeError(e)} (it could not process one of our records)`,
          {
            wireCode: e.errorCode,
            wireData: e.errorData,
          },
        ),
      );
      return;
    }
    this.#fail(new SpdmError('Transport', `unexpected ${describeFrame({ type: 'spdm', payload: message })}`));
  }

  #onRecord(record: Uint8Array): Promise<void> | undefined {
    const sid = recordSessionId(record);
    const s = this.#sessions.get(sid);
    if (!s) throw new SpdmError('SessionError', `record for unknown session 0x${sid.toString(16)}`);
    const p = this.#pending;
    if (p?.raw && p.sessionId === sid) {
      const m = s.secured.openRaw(record);
      p.complete(m.message, m.kind);
      return;
    }
    const opened = s.secured.open(record);
    if (opened.kind !== 'spdm') return s.onApp(opened);
    if (!p || p.sessionId !== sid) {
      throw new SpdmError('SessionError', 'an SPDM message in the session that answers nothing we asked');
    }
    p.complete(opened.message);
  }

  #fail(error: SpdmError): void {
    if (!this.#shutdown(error)) return;
    this.conn.destroy(error);
  }

  /** Marks the link failed, fails the pending request and every session. False if already done. */
  #shutdown(error: SpdmError): boolean {
    if (this.#failure) return false;
    this.#failure = error;
    this.#pending?.fail(error);
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const s of sessions) {
      try {
        s.onFailure(error);
      } catch {
        // Sessions must not break the link's shutdown.
      }
    }
    return true;
  }
}
