/**
 * The share server: the I/O around `answer` (answer.ts). Each authenticated SPDM session is
 * handed to `handleSession(channel, peer)` (the responder's `onSession`); the server reads
 * requests from the channel, answers them and ends the session after `maxRequestsPerSession`
 * requests, at the requester's end, or on the first malformed message (answered BadRequest).
 *
 * Limits: at most `maxSessions` sessions are served at once (beyond that a session gets
 * Error{Busy} and is ended); each requester (keyed by the SHA-256 of its certificate) has a
 * token bucket of GetShare requests (Error{Busy} when empty); each request must arrive within
 * `requestTimeoutMs`. `close()` ends every session and the listener. Logs name the requester's
 * subject, sled id, the share's x and refusal reasons, never share bytes.
 */
import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { isTrustQuorumError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { errorFields, logTo, type ShareLogger } from '../protocol/log.js';
import { type ShareProtocolMessage, zeroMessage } from '../protocol/message.js';
import { MessageReader, writeMessage } from '../protocol/stream.js';
import { answer, type SharePeer } from './answer.js';
import { RateLimiter, type RateLimitInit } from './rate-limit.js';
import { copyStats, emptyStats, type ShareServerStats } from './stats.js';

export interface ShareServerInit {
  /** This sled's ledger; null (the default) until it has one: GetShare is NotInitialized. */
  readonly ledger?: Ledger | null;
  /** Sessions served at once; default 16. */
  readonly maxSessions?: number;
  /** Per-requester token bucket for GetShare; defaults in rate-limit.ts. */
  readonly rateLimit?: RateLimitInit;
  /** Deadline for each request, in ms; default 10000. */
  readonly requestTimeoutMs?: number;
  /** Requests answered per session; default 8. */
  readonly maxRequestsPerSession?: number;
  /** Largest request; default 1 MiB. */
  readonly maxMessageBytes?: number;
  /** Pino-compatible logger; nothing is logged without one. */
  readonly logger?: ShareLogger;
}

/** What a transport gives back once listening. */
export interface SessionListener {
  address(): { host: string; port: number };
  /** Stops listening and ends the transport's connections. */
  close(): Promise<void>;
}

/** Called for each authenticated session; never rejects. */
export type SessionHandler = (channel: Duplex, peer: SharePeer) => Promise<void>;

/** Starts a transport that calls `onSession` for every authenticated session. */
export type ListenSessions = (onSession: SessionHandler) => Promise<SessionListener>;

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer`);
  return v;
}

function certKey(peer: SharePeer): string {
  return createHash('sha256').update(peer.leafCertificateDer).digest('hex');
}

export class ShareServer {
  readonly maxSessions: number;
  readonly requestTimeoutMs: number;
  readonly maxRequestsPerSession: number;
  readonly #maxMessageBytes: number | undefined;
  readonly #logger: ShareLogger | undefined;
  readonly #limiter: RateLimiter;
  readonly #stats = emptyStats();
  readonly #active = new Map<Duplex, Promise<void>>();
  readonly #stop = new AbortController();
  readonly #listeners: SessionListener[] = [];
  #ledger: Ledger | null;
  #closing: Promise<void> | null = null;

  /** @throws RangeError for bad limits. */
  constructor(init: ShareServerInit = {}) {
    this.#ledger = init.ledger ?? null;
    this.maxSessions = positiveInt('maxSessions', init.maxSessions ?? 16);
    this.requestTimeoutMs = positiveInt('requestTimeoutMs', init.requestTimeoutMs ?? 10_000);
    this.maxRequestsPerSession = positiveInt('maxRequestsPerSession', init.maxRequestsPerSession ?? 8);
    this.#maxMessageBytes = init.maxMessageBytes;
    this.#logger = init.logger;
    this.#limiter = new RateLimiter(init.rateLimit);
  }

  /** The ledger served from, or null. */
  get ledger(): Ledger | null {
    return this.#ledger;
  }

  /** Serves from another ledger from now on (e.g. after rack init); null stops serving shares. */
  setLedger(ledger: Ledger | null): void {
    this.#ledger = ledger;
  }

  /** A copy of the counters. */
  stats(): ShareServerStats {
    return copyStats(this.#stats);
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /**
   * Serves one authenticated session (the SPDM responder's `onSession`); resolves when the
   * session is over. Never rejects: failures are counted, logged and end the channel.
   */
  readonly handleSession: SessionHandler = (channel, peer) => {
    channel.on('error', () => {}); // errors are seen by the reader; never unhandled
    if (this.closed) {
      channel.destroy();
      return Promise.resolve();
    }
    this.#stats.sessionsOpened++;
    if (this.#active.size >= this.maxSessions) return this.#refuseBusy(channel, peer);
    const done = this.#serve(channel, peer).finally(() => {
      this.#active.delete(channel);
      this.#stats.sessionsActive = this.#active.size;
    });
    this.#active.set(channel, done);
    this.#stats.sessionsActive = this.#active.size;
    return done;
  };

  /**
   * Starts a transport that hands its sessions to this server; `close()` closes it too.
   * @returns the bound address.
   * @throws whatever `listen` throws; TypeError when the server is closed.
   */
  async listen(listen: ListenSessions): Promise<{ host: string; port: number }> {
    if (this.closed) throw new TypeError('ShareServer: closed');
    const listener = await listen(this.handleSession);
    this.#listeners.push(listener);
    if (this.closed) await listener.close();
    const address = listener.address();
    logTo(this.#logger, 'info', { ...address }, 'share server listening');
    return address;
  }

  /** Ends every session and closes the listeners; resolves when all is over. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stop.abort();
      for (const channel of this.#active.keys()) channel.destroy();
      await Promise.allSettled(this.#listeners.map((l) => l.close()));
      await Promise.allSettled([...this.#active.values()]);
      logTo(this.#logger, 'info', {}, 'share server closed');
    })();
    return this.#closing;
  }

  async #refuseBusy(channel: Duplex, peer: SharePeer): Promise<void> {
    this.#stats.sessionsRefused++;
    this.#stats.refusals.Busy++;
    logTo(
      this.#logger,
      'warn',
      { peer: peer.subject, limit: this.maxSessions },
      'share session refused: busy',
    );
    try {
      await writeMessage(channel, { type: 'Error', code: 'Busy' });
      channel.resume();
      channel.end();
    } catch {
      channel.destroy();
    }
  }

  async #serve(channel: Duplex, peer: SharePeer): Promise<void> {
    const reader = new MessageReader(channel, {
      maxMessageBytes: this.#maxMessageBytes,
      sender: peer.subject,
    });
    const key = certKey(peer);
    const sledId = this.#ledger?.memberFor(peer.leafCertificateDer)?.sledId;
    const who = { peer: peer.subject, sledId };
    logTo(this.#logger, 'debug', who, 'share session opened');
    try {
      for (let i = 0; i < this.maxRequestsPerSession; i++) {
        const request = await this.#nextRequest(reader, channel, who);
        if (request === null) break;
        try {
          const response = this.#respond(request, peer, key);
          await writeMessage(channel, response, { maxMessageBytes: this.#maxMessageBytes });
          this.#count(response, who);
        } finally {
          zeroMessage(request);
        }
      }
      channel.end();
    } catch (e) {
      if (!this.closed) this.#stats.sessionErrors++;
      logTo(
        this.#logger,
        this.closed ? 'debug' : 'warn',
        { ...who, ...errorFields(e) },
        'share session failed',
      );
      channel.destroy();
    } finally {
      reader.close();
    }
  }

  /** The next request; a malformed one is answered BadRequest and rethrown. */
  async #nextRequest(
    reader: MessageReader,
    channel: Duplex,
    who: Record<string, unknown>,
  ): Promise<ShareProtocolMessage | null> {
    try {
      const request = await reader.next({ timeoutMs: this.requestTimeoutMs, signal: this.#stop.signal });
      if (request !== null) this.#stats.requests++;
      return request;
    } catch (e) {
      if (isTrustQuorumError(e, 'InvalidMessage')) {
        this.#stats.requests++;
        const response: ShareProtocolMessage = { type: 'Error', code: 'BadRequest' };
        await writeMessage(channel, response).then(
          () => this.#count(response, who),
          () => {},
        );
      }
      throw e;
    }
  }

  #respond(request: ShareProtocolMessage, peer: SharePeer, key: string): ShareProtocolMessage {
    if (request.type === 'GetShare' && !this.#limiter.take(key)) return { type: 'Error', code: 'Busy' };
    return answer(request, { ledger: this.#ledger, peer });
  }

  #count(response: ShareProtocolMessage, who: Record<string, unknown>): void {
    if (response.type === 'Share') {
      this.#stats.sharesServed++;
      logTo(this.#logger, 'info', { ...who, x: response.share.x, epoch: response.epoch }, 'share served');
    } else if (response.type === 'Error') {
      this.#stats.refusals[response.code]++;
      logTo(this.#logger, 'warn', { ...who, reason: response.code }, 'share request refused');
    }
  }
}
