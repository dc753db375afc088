/**
 * The sled's side of rack initialization: the operator (see operator.ts) sends `Prepare{ledger}`
 * with this sled's new ledger file and later `Commit{rackId, epoch}` on the same SPDM session.
 *
 * Prepare: the ledger must parse and validate (ledger rules, checksum, share against the
 * commitments) and name this sled (ledger-rules.ts). It is kept ASIDE, in memory only: never
 * written, never served, never loaded as the ledger. A newer Prepare (any session) replaces it;
 * it is dropped (zeroed) when its session ends without a Commit, so an operator killed between
 * prepare and commit leaves the sled exactly as it was. Accepted only while the host accepts
 * a configuration (the agent is `awaiting-init`).
 *
 * Commit: must come on the session that prepared, name the prepared rack and epoch; the ledger
 * is then written (writeLedger: atomic, every ledger directory) and adopted by the host before
 * `CommitAck` is sent, so an acknowledged commit is durable.
 *
 * Re-running is safe: a sled that already holds a ledger answers a Prepare of exactly the same
 * configuration and share (generation aside) with PrepareAck and a Commit of its rack and epoch
 * with CommitAck, changing nothing; anything else is refused (RackMismatch / EpochMismatch).
 *
 * Refusals on the wire: BadRequest (not a ledger, or not Prepare/Commit), NotAMember (the
 * ledger does not name this sled), RackMismatch / EpochMismatch (another configuration is
 * committed or prepared), NotInitialized (Commit with nothing prepared on this session),
 * Unsupported (the sled does not await rack init), Busy (a commit is being written),
 * Internal (the ledger could not be written). The reason is logged, never the ledger.
 */
import type { Duplex } from 'node:stream';
import { isTrustQuorumError } from '../errors.js';
import { type Ledger, parseLedger } from '../ledger/ledger.js';
import { MAX_LEDGER_FILE_BYTES } from '../ledger/schema.js';
import type { ErrorCodeName } from '../protocol/codes.js';
import type { ErrorResponse } from '../protocol/error.js';
import type { RackEpoch } from '../protocol/fields.js';
import { FRAME_HEADER_BYTES } from '../protocol/framing.js';
import { errorFields, logTo, type ShareLogger } from '../protocol/log.js';
import { MESSAGE_HEADER_BYTES, type ShareProtocolMessage, zeroMessage } from '../protocol/message.js';
import type { Commit, CommitAck, Prepare, PrepareAck } from '../protocol/rack-init.js';
import { MessageReader, writeMessage } from '../protocol/stream.js';
import type { SharePeer } from '../server/answer.js';
import { ledgerSelfProblem, sameConfiguration } from './ledger-rules.js';

/**
 * Largest rack-init message: a Prepare carrying the largest ledger file (4 MiB) with its length
 * field. Above the share protocol's default 1 MiB, so both ends of rack init set it.
 */
export const RACK_INIT_MAX_MESSAGE_BYTES = MAX_LEDGER_FILE_BYTES + MESSAGE_HEADER_BYTES + FRAME_HEADER_BYTES;

/** What the participant needs from the agent. */
export interface RackInitHost {
  readonly sledId: string;
  /** DER of this sled's device-identity certificate. */
  readonly leafDer: Uint8Array;
  /** True while a new configuration may be accepted (the agent is `awaiting-init`). */
  acceptsInit(): boolean;
  /** The committed ledger, or null. */
  ledger(): Ledger | null;
  /**
   * Writes `prepared` as the ledger and adopts it (the caller zeroes `prepared` afterwards).
   * @returns the ledger as written.
   */
  commit(prepared: Ledger): Promise<Ledger>;
}

export interface RackInitParticipantInit {
  readonly host: RackInitHost;
  /** Deadline for each message of an operator session, ms; default 300000. */
  readonly requestTimeoutMs?: number;
  /** Messages answered per session; default 8. */
  readonly maxMessagesPerSession?: number;
  readonly logger?: ShareLogger;
}

/** A response and the reason behind it (for the log; never sent). */
export interface RackInitOutcome {
  readonly response: PrepareAck | CommitAck | ErrorResponse;
  readonly note: string;
}

/** Identifies one operator session (any object; compared by identity). */
export type RackInitSession = object;

function ack(type: 'PrepareAck' | 'CommitAck', m: RackEpoch, note: string): RackInitOutcome {
  return { response: { type, rackId: m.rackId, epoch: m.epoch }, note };
}

function refuse(code: ErrorCodeName, note: string): RackInitOutcome {
  return { response: { type: 'Error', code }, note };
}

/** The code refusing `wanted` when `have` is another configuration, or null when it is the same rack and epoch. */
function mismatch(have: RackEpoch, wanted: RackEpoch): ErrorCodeName | null {
  if (have.rackId !== wanted.rackId) return 'RackMismatch';
  if (have.epoch !== wanted.epoch) return 'EpochMismatch';
  return null;
}

export class RackInitParticipant {
  readonly requestTimeoutMs: number;
  readonly maxMessagesPerSession: number;
  readonly #host: RackInitHost;
  readonly #logger: ShareLogger | undefined;
  readonly #active = new Map<Duplex, Promise<void>>();
  readonly #stop = new AbortController();
  #prepared: { ledger: Ledger; session: RackInitSession } | null = null;
  #committing = false;

  constructor(init: RackInitParticipantInit) {
    this.#host = init.host;
    this.#logger = init.logger;
    this.requestTimeoutMs = init.requestTimeoutMs ?? 300_000;
    this.maxMessagesPerSession = init.maxMessagesPerSession ?? 8;
  }

  /** The configuration held aside (rack and epoch only), or null. */
  get prepared(): RackEpoch | null {
    const p = this.#prepared;
    return p === null ? null : { rackId: p.ledger.rackId, epoch: p.ledger.epoch };
  }

  /** Answers a Prepare received on `session` (the caller zeroes the message). */
  prepare(session: RackInitSession, m: Prepare): RackInitOutcome {
    let ledger: Ledger;
    try {
      ledger = parseLedger(Buffer.from(m.ledger.expose()).toString('utf8'), 'prepared ledger');
    } catch (e) {
      return refuse('BadRequest', isTrustQuorumError(e) ? e.message : 'not a ledger');
    }
    const host = this.#host;
    const problem = ledgerSelfProblem(ledger, host.sledId, host.leafDer);
    const current = host.ledger();
    const outcome = this.#checkPrepare(ledger, problem, current);
    if (outcome !== null) {
      ledger.zero();
      return outcome;
    }
    this.#prepared?.ledger.zero();
    this.#prepared = { ledger, session };
    return ack('PrepareAck', ledger, 'configuration prepared (kept aside until Commit)');
  }

  #checkPrepare(ledger: Ledger, problem: string | null, current: Ledger | null): RackInitOutcome | null {
    if (problem !== null) return refuse('NotAMember', problem);
    if (current !== null) {
      const code = mismatch(current, ledger) ?? (sameConfiguration(current, ledger) ? null : 'RackMismatch');
      const have = `rack ${current.rackId} epoch ${current.epoch}`;
      if (code !== null) return refuse(code, `already initialized with another configuration (${have})`);
      return ack('PrepareAck', current, `already committed (${have}): nothing to do`);
    }
    if (!this.#host.acceptsInit()) return refuse('Unsupported', 'this sled is not awaiting rack init');
    if (this.#committing) return refuse('Busy', 'a commit is being written');
    return null;
  }

  /** Answers a Commit received on `session`: writes and adopts the prepared ledger. */
  async commit(session: RackInitSession, m: Commit): Promise<RackInitOutcome> {
    const current = this.#host.ledger();
    if (current !== null) {
      const code = mismatch(current, m);
      const have = `rack ${current.rackId} epoch ${current.epoch}`;
      if (code !== null) return refuse(code, `already initialized with another configuration (${have})`);
      return ack('CommitAck', current, `already committed (${have}): nothing to do`);
    }
    const p = this.#prepared;
    if (p === null || p.session !== session)
      return refuse('NotInitialized', 'nothing prepared on this session');
    const code = mismatch(p.ledger, m);
    if (code !== null) return refuse(code, `Commit names another configuration than the prepared one`);
    if (!this.#host.acceptsInit()) return refuse('Unsupported', 'this sled is not awaiting rack init');
    if (this.#committing) return refuse('Busy', 'a commit is being written');
    this.#committing = true;
    this.#prepared = null;
    try {
      const written = await this.#host.commit(p.ledger);
      return ack('CommitAck', written, `configuration committed at generation ${written.generation}`);
    } catch (e) {
      return refuse('Internal', `cannot commit: ${e instanceof Error ? e.message : 'failed'}`);
    } finally {
      p.ledger.zero();
      this.#committing = false;
    }
  }

  /** The session is over: a configuration it prepared and did not commit is dropped. */
  sessionEnded(session: RackInitSession): void {
    const p = this.#prepared;
    if (p === null || p.session !== session) return;
    p.ledger.zero();
    this.#prepared = null;
    logTo(
      this.#logger,
      'warn',
      { rackId: p.ledger.rackId, epoch: p.ledger.epoch },
      'rack init: session ended without Commit; prepared configuration dropped',
    );
  }

  /**
   * Serves one operator session (authenticated and recognised by the caller); resolves when it
   * is over. Never rejects.
   */
  readonly handleSession = (channel: Duplex, peer: SharePeer): Promise<void> => {
    channel.on('error', () => {}); // seen by the reader
    if (this.#stop.signal.aborted) {
      channel.destroy();
      return Promise.resolve();
    }
    const done = this.#serve(channel, peer).finally(() => this.#active.delete(channel));
    this.#active.set(channel, done);
    return done;
  };

  async #serve(channel: Duplex, peer: SharePeer): Promise<void> {
    const session: RackInitSession = {};
    const who = { operator: peer.subject };
    const reader = new MessageReader(channel, {
      maxMessageBytes: RACK_INIT_MAX_MESSAGE_BYTES,
      sender: peer.subject,
    });
    logTo(this.#logger, 'info', who, 'rack init: operator session opened');
    try {
      for (let i = 0; i < this.maxMessagesPerSession; i++) {
        const outcome = await this.#next(reader, channel, session, who);
        if (outcome === null) break;
        await writeMessage(channel, outcome.response, { maxMessageBytes: RACK_INIT_MAX_MESSAGE_BYTES });
      }
      channel.end();
    } catch (e) {
      logTo(
        this.#logger,
        this.#stop.signal.aborted ? 'debug' : 'warn',
        { ...who, ...errorFields(e) },
        'rack init: session failed',
      );
      channel.destroy();
    } finally {
      reader.close();
      this.sessionEnded(session);
    }
  }

  /** Reads one request and decides its answer; null at the end of the session. */
  async #next(
    reader: MessageReader,
    channel: Duplex,
    session: RackInitSession,
    who: Record<string, unknown>,
  ): Promise<RackInitOutcome | null> {
    let m: ShareProtocolMessage | null;
    try {
      m = await reader.next({ timeoutMs: this.requestTimeoutMs, signal: this.#stop.signal });
    } catch (e) {
      if (isTrustQuorumError(e, 'InvalidMessage')) {
        await writeMessage(channel, { type: 'Error', code: 'BadRequest' }).catch(() => {});
      }
      throw e;
    }
    if (m === null) return null;
    let outcome: RackInitOutcome;
    try {
      if (m.type === 'Prepare') outcome = this.prepare(session, m);
      else if (m.type === 'Commit') outcome = await this.commit(session, m);
      else outcome = refuse('BadRequest', `${m.type} is not a rack-init request`);
    } finally {
      zeroMessage(m);
    }
    const r = outcome.response;
    const fields = { ...who, request: m.type, response: r.type === 'Error' ? r.code : r.type };
    if (r.type === 'Error')
      logTo(this.#logger, 'warn', { ...fields, reason: outcome.note }, 'rack init: refused');
    else
      logTo(
        this.#logger,
        'info',
        { ...fields, rackId: r.rackId, epoch: r.epoch },
        `rack init: ${outcome.note}`,
      );
    return outcome;
  }

  /** Ends every operator session and drops a prepared configuration. Idempotent. */
  async close(): Promise<void> {
    this.#stop.abort();
    for (const channel of this.#active.keys()) channel.destroy();
    await Promise.allSettled([...this.#active.values()]);
    this.#prepared?.ledger.zero();
    this.#prepared = null;
  }
}
