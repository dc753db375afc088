/**
 * `tq rack init` as a library call: the operator's side of rack initialization, a two-phase
 * commit over SPDM.
 *
 * 1. Make a rack secret and split it (k of n) among the members, member i getting x = i + 1,
 *    exactly as `tq rack gen-config` does; build each sled's ledger (generation 1) and zero the
 *    secret and the shares.
 * 2. In parallel, open a mutually authenticated SPDM session to every sled's agent with the
 *    operator identity (the responder must authenticate as that very member: its leaf is the
 *    member's certificate), and send it its ledger in a `Prepare`; wait for every `PrepareAck`.
 * 3. Only when every sled acknowledged, send `Commit` to each on the same session and wait for
 *    every `CommitAck`.
 *
 * A failure in phase 2 (or an abort, or the process dying) commits nothing: the sessions end,
 * and each agent drops what it prepared. A failure in phase 3 leaves the sleds that acknowledged
 * committed and the others not; it is reported sled by sled. Progress is reported per sled
 * and step through `onProgress`; nothing reported carries secret bytes.
 */
import { randomUUID, X509Certificate } from 'node:crypto';
import { SpdmError } from '@trust-quorum/spdm/errors';
import { type RequesterRunInit, run as runRequester } from '@trust-quorum/spdm/requester/run';
import type { SecureChannel } from '@trust-quorum/spdm/session/secure-channel';
import { connectTcp } from '@trust-quorum/spdm/transport/tcp';
import { formatHostPort, type HostPort } from '../discovery/address.js';
import { isTrustQuorumError, TrustQuorumError, type TrustQuorumErrorCode } from '../errors.js';
import { Ledger, type Member, serializeLedger } from '../ledger/ledger.js';
import { UUID_PATTERN } from '../ledger/schema.js';
import { type ErrorCodeName, errorCodeToTrustQuorum } from '../protocol/codes.js';
import type { RackEpoch } from '../protocol/fields.js';
import type { ShareProtocolMessage } from '../protocol/message.js';
import { LedgerBytes } from '../protocol/rack-init.js';
import { MessageReader, writeMessage } from '../protocol/stream.js';
import { split } from '../rack-secret/index.js';
import type { SpdmIdentity } from '../server/spdm-listener.js';
import { RACK_INIT_MAX_MESSAGE_BYTES } from './participant.js';

/** Where one member's agent listens for SPDM. */
export interface RackInitTarget extends HostPort {
  readonly sledId: string;
}

export type RackInitStep = 'connect' | 'prepare' | 'commit';

/** Progress of rack init, one event per sled and step (and a few for the whole rack). */
export type RackInitEvent =
  | {
      readonly kind: 'started';
      readonly rackId: string;
      readonly epoch: number;
      readonly threshold: number;
      readonly sleds: number;
      readonly fingerprint: string;
    }
  | {
      readonly kind: 'connected';
      readonly sledId: string;
      readonly address: string;
      readonly subject: string;
    }
  | { readonly kind: 'prepared'; readonly sledId: string; readonly address: string }
  | { readonly kind: 'all-prepared'; readonly sleds: number }
  | { readonly kind: 'committed'; readonly sledId: string; readonly address: string }
  | {
      readonly kind: 'failed';
      readonly sledId: string;
      readonly address: string;
      readonly step: RackInitStep;
      readonly code: string;
      readonly reason: string;
    };

export interface InitRackInit {
  /** The members, in order (member i gets share x = i + 1): from the PKI directory. */
  readonly members: readonly Member[];
  /** One address per member. */
  readonly targets: readonly RackInitTarget[];
  readonly threshold: number;
  /** Default: a random UUID. */
  readonly rackId?: string;
  /** Default 1. */
  readonly epoch?: number;
  /** The operator identity (signed by the rack root, not a member). */
  readonly operator: SpdmIdentity;
  /** The rack root the sleds' chains must lead to. */
  readonly trustedRoot: X509Certificate | Uint8Array;
  /** Deadline of the connect, of each SPDM response and of each acknowledgement, ms; default 10000. */
  readonly timeoutMs?: number;
  /** Called after every sled acknowledged Prepare, before any Commit; a rejection commits nothing. */
  readonly beforeCommit?: () => Promise<void>;
  readonly onProgress?: (event: RackInitEvent) => void;
  readonly signal?: AbortSignal;
  /** Other requester options; ours win. */
  readonly requester?: Omit<RequesterRunInit, 'identity' | 'trustedRoots' | 'signal' | 'timeoutMs'>;
}

export interface InitRackResult {
  readonly rackId: string;
  readonly epoch: number;
  readonly threshold: number;
  /** Fingerprint of the rack secret (safe to print). */
  readonly fingerprint: string;
  /** Sled ids, in member order. */
  readonly committed: readonly string[];
}

interface Open {
  readonly target: RackInitTarget;
  readonly address: string;
  readonly channel: SecureChannel;
  readonly reader: MessageReader;
}

interface Failure {
  readonly sledId: string;
  readonly code: TrustQuorumErrorCode;
  readonly message: string;
}

function checkInit(init: InitRackInit): { rackId: string; epoch: number } {
  const n = init.members.length;
  const k = init.threshold;
  if (n < 2 || n > 255) throw new RangeError(`rack init: ${n} sleds; want 2 to 255`);
  if (!Number.isInteger(k) || k < 2 || k > n)
    throw new RangeError(`threshold ${k} impossible with ${n} sleds`);
  const rackId = (init.rackId ?? randomUUID()).toLowerCase();
  if (!UUID_PATTERN.test(rackId)) throw new RangeError('rackId must be a UUID');
  const epoch = init.epoch ?? 1;
  if (!Number.isInteger(epoch) || epoch < 1 || epoch > 0xffff_ffff) throw new RangeError('bad epoch');
  const ids = init.members.map((m) => m.sledId);
  const targetIds = init.targets.map((t) => t.sledId);
  if (new Set(targetIds).size !== targetIds.length) throw new RangeError('a sled is listed twice');
  const addresses = init.targets.map((t) => formatHostPort(t));
  if (new Set(addresses).size !== addresses.length) throw new RangeError('two sleds at one address');
  if (targetIds.length !== ids.length || ids.some((id) => !targetIds.includes(id))) {
    throw new RangeError('want exactly one address per member');
  }
  return { rackId, epoch };
}

/** One ledger file text per member, in member order; every secret copy is zeroed. */
function makeLedgers(
  init: InitRackInit,
  rackId: string,
  epoch: number,
): { files: LedgerBytes[]; fingerprint: string } {
  const n = init.members.length;
  const { secret, commitments, shares } = split(undefined, n, init.threshold);
  const fingerprint = secret.fingerprint();
  secret.zero();
  const files: LedgerBytes[] = [];
  try {
    for (const share of shares) {
      const ledger = new Ledger({
        rackId,
        epoch,
        threshold: init.threshold,
        members: init.members,
        commitments,
        share,
        generation: 1,
      });
      const text = Buffer.from(serializeLedger(ledger), 'utf8');
      files.push(new LedgerBytes(text));
      text.fill(0);
    }
  } catch (e) {
    for (const f of files) f.zero();
    throw e;
  } finally {
    for (const s of shares) s.zero();
  }
  return { files, fingerprint };
}

function failureOf(sledId: string, e: unknown): Failure {
  if (isTrustQuorumError(e)) return { sledId, code: e.code, message: e.message };
  if (e instanceof SpdmError) {
    const code: TrustQuorumErrorCode =
      e.code === 'Timeout' ? 'Timeout' : e.code === 'Aborted' ? 'Aborted' : 'Unreachable';
    return { sledId, code, message: e.message };
  }
  return { sledId, code: 'Internal', message: e instanceof Error ? e.message : 'failed' };
}

/** What a sled's refusal means at rack init (rack-init/participant.ts). */
const REFUSALS: Record<ErrorCodeName, string> = {
  RackMismatch: 'it is already initialized with another configuration',
  EpochMismatch: 'it is already at another epoch',
  NotAMember: 'the ledger does not name that sled: check the --sled mapping',
  Unsupported: 'it is not awaiting rack init (awaitInit false, or it has failed)',
  NotInitialized: 'nothing prepared on this session: did the agent restart?',
  Busy: 'it is busy committing another rack init',
  BadRequest: 'it could not read the request',
  Internal: 'it could not write its ledger: see its log',
};

/** Reads the acknowledgement of `type` echoing `want`. @throws TrustQuorumError */
async function expectAck(
  o: Open,
  type: 'PrepareAck' | 'CommitAck',
  want: RackEpoch,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const sender = o.target.sledId;
  const m: ShareProtocolMessage | null = await o.reader.next({ timeoutMs, signal });
  if (m === null)
    throw new TrustQuorumError('Unreachable', 'the session ended without an answer', { sender });
  if (m.type === 'Error') {
    const why = `refused ${type === 'PrepareAck' ? 'Prepare' : 'Commit'}: ${m.code} (${REFUSALS[m.code]})`;
    throw new TrustQuorumError(errorCodeToTrustQuorum(m.code), why, { sender });
  }
  if (m.type !== type || m.rackId !== want.rackId || m.epoch !== want.epoch) {
    throw new TrustQuorumError(
      'InvalidMessage',
      `answered with ${m.type}, not ${type} for rack ${want.rackId}`,
      {
        sender,
      },
    );
  }
}

class Coordinator {
  readonly #init: InitRackInit;
  readonly #timeoutMs: number;
  readonly #want: RackEpoch;
  readonly #open: Open[] = [];

  constructor(init: InitRackInit, want: RackEpoch) {
    this.#init = init;
    this.#timeoutMs = init.timeoutMs ?? 10_000;
    this.#want = want;
  }

  #emit(e: RackInitEvent): void {
    try {
      this.#init.onProgress?.(e);
    } catch {
      // Observers must not break rack init.
    }
  }

  #failed(t: RackInitTarget, step: RackInitStep, f: Failure): Failure {
    this.#emit({
      kind: 'failed',
      sledId: t.sledId,
      address: formatHostPort(t),
      step,
      code: f.code,
      reason: f.message,
    });
    return f;
  }

  async #connect(t: RackInitTarget, member: Member): Promise<Open> {
    const { signal } = this.#init;
    const ms = this.#timeoutMs;
    const address = formatHostPort(t);
    const conn = await connectTcp(t.host, t.port, {
      signal,
      connectTimeoutMs: ms,
      sendTimeoutMs: ms,
      receiveTimeoutMs: ms,
    });
    const { channel, peer } = await runRequester(conn, {
      ...this.#init.requester,
      identity: {
        certificates: this.#init.operator.certificates,
        privateKey: this.#init.operator.privateKey,
      },
      trustedRoots: [this.#init.trustedRoot],
      timeoutMs: ms,
      ...(signal ? { signal } : {}),
    });
    channel.on('error', () => {}); // surfaces through the reader
    const o: Open = {
      target: t,
      address,
      channel,
      reader: new MessageReader(channel, { maxMessageBytes: RACK_INIT_MAX_MESSAGE_BYTES, sender: t.sledId }),
    };
    this.#open.push(o);
    const expected = new X509Certificate(member.certificate).raw;
    if (!expected.equals(peer.leafCertificate)) {
      throw new TrustQuorumError(
        'NotAMember',
        `the agent at ${address} authenticated as ${peer.leafSubject}`,
        {
          sender: t.sledId,
        },
      );
    }
    this.#emit({ kind: 'connected', sledId: t.sledId, address, subject: peer.leafSubject });
    return o;
  }

  async #prepareOne(t: RackInitTarget, member: Member, file: LedgerBytes): Promise<Open> {
    let step: RackInitStep = 'connect';
    try {
      const o = await this.#connect(t, member);
      step = 'prepare';
      await writeMessage(
        o.channel,
        { type: 'Prepare', ledger: file },
        { maxMessageBytes: RACK_INIT_MAX_MESSAGE_BYTES },
      );
      file.zero();
      await expectAck(o, 'PrepareAck', this.#want, this.#timeoutMs, this.#init.signal);
      this.#emit({ kind: 'prepared', sledId: t.sledId, address: o.address });
      return o;
    } catch (e) {
      throw this.#failed(t, step, failureOf(t.sledId, e));
    } finally {
      if (!file.isZeroed) file.zero();
    }
  }

  async #commitOne(o: Open): Promise<void> {
    try {
      await writeMessage(o.channel, { type: 'Commit', ...this.#want });
      await expectAck(o, 'CommitAck', this.#want, this.#timeoutMs, this.#init.signal);
      this.#emit({ kind: 'committed', sledId: o.target.sledId, address: o.address });
    } catch (e) {
      throw this.#failed(o.target, 'commit', failureOf(o.target.sledId, e));
    }
  }

  async run(files: LedgerBytes[]): Promise<string[]> {
    const { members, targets } = this.#init;
    const byId = new Map(targets.map((t) => [t.sledId, t]));
    const prepares = members.map((m, i) => this.#prepareOne(byId.get(m.sledId)!, m, files[i]!));
    const prepared = await Promise.allSettled(prepares);
    const failed = prepared.flatMap((r) => (r.status === 'rejected' ? [r.reason as Failure] : []));
    if (failed.length > 0) throw summary(failed, 'prepare failed', 'no sled was committed');
    this.#emit({ kind: 'all-prepared', sleds: members.length });
    try {
      await this.#init.beforeCommit?.();
    } catch (e) {
      throw new TrustQuorumError(
        'Aborted',
        `stopped before commit (${e instanceof Error ? e.message : 'aborted'}): no sled was committed`,
      );
    }
    const opens = prepared.map((r) => (r as PromiseFulfilledResult<Open>).value);
    const commits = await Promise.allSettled(opens.map((o) => this.#commitOne(o)));
    const commitFailed = commits.flatMap((r) => (r.status === 'rejected' ? [r.reason as Failure] : []));
    const committed = opens.filter((_, i) => commits[i]!.status === 'fulfilled').map((o) => o.target.sledId);
    if (commitFailed.length > 0) {
      const done = committed.length === 0 ? 'no sled was committed' : `committed: ${committed.join(', ')}`;
      throw summary(commitFailed, 'commit failed', done);
    }
    return committed;
  }

  /** Ends every session (END_SESSION), destroying those that do not close in time. */
  async close(): Promise<void> {
    await Promise.all(
      this.#open.map(async (o) => {
        o.reader.close();
        if (o.channel.destroyed) return;
        const closed = new Promise<void>((done) => o.channel.once('close', () => done()));
        o.channel.end();
        o.channel.resume();
        const timer = setTimeout(() => o.channel.destroy(), 2000);
        await closed;
        clearTimeout(timer);
      }),
    );
  }
}

function summary(failed: readonly Failure[], what: string, outcome: string): TrustQuorumError {
  const list = failed.map((f) => `${f.sledId}: ${f.message}`).join('; ');
  return new TrustQuorumError(failed[0]!.code, `${what} on ${failed.length} sled(s): ${list}; ${outcome}`);
}

/**
 * Initializes a rack: prepare on every sled, then commit on every sled.
 * @throws RangeError for bad arguments (before any I/O); TrustQuorumError when a sled cannot be
 *   reached, authenticates as someone else, or refuses (the message names every failed sled and
 *   whether any sled was committed; `code` is the first failure's), Aborted when `beforeCommit`
 *   rejects.
 */
export async function initRack(init: InitRackInit): Promise<InitRackResult> {
  const { rackId, epoch } = checkInit(init);
  const { files, fingerprint } = makeLedgers(init, rackId, epoch);
  const threshold = init.threshold;
  const c = new Coordinator(init, { rackId, epoch });
  try {
    try {
      init.onProgress?.({ kind: 'started', rackId, epoch, threshold, sleds: files.length, fingerprint });
    } catch {
      // Observers must not break rack init.
    }
    const committed = await c.run(files);
    return { rackId, epoch, threshold, fingerprint, committed };
  } finally {
    for (const f of files) if (!f.isZeroed) f.zero();
    await c.close();
  }
}
