/**
 * The sled's trust-quorum state in memory: rack id, epoch, threshold, members, Feldman
 * commitments, this sled's share and the generation it was written at. Construction checks
 * the rules the schema cannot (commitment count, share against commitments, unique members);
 * `serializeLedger` / `parseLedger` convert to and from the file text. A Ledger prints and
 * JSON-encodes as a summary: the share appears only as its x-coordinate.
 */
import { X509Certificate } from 'node:crypto';
import { inspect } from 'node:util';
import { TrustQuorumError } from '../errors.js';
import { verifyShare } from '../rack-secret/feldman.js';
import { Share } from '../rack-secret/rack-secret.js';
import {
  describeIssues,
  LEDGER_FORMAT_VERSION,
  type LedgerBody,
  ledgerChecksum,
  ledgerFileSchema,
  memberSchema,
  SLED_ID_PATTERN,
  UUID_PATTERN,
} from './schema.js';

/** A member of the configuration: a sled and its device-identity (leaf) certificate, PEM. */
export interface Member {
  readonly sledId: string;
  readonly certificate: string;
}

export interface LedgerInit {
  readonly rackId: string;
  readonly epoch: number;
  readonly threshold: number;
  readonly members: readonly Member[];
  /** Compressed points, exactly `threshold` of them. */
  readonly commitments: readonly Uint8Array[];
  /** This sled's share; the Ledger takes ownership (zeroed by `zero()`). */
  readonly share: Share;
  /** 0 for a ledger never written; `writeLedger` assigns the next one. */
  readonly generation?: number;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function checkScalars(init: LedgerInit): string | null {
  if (!UUID_PATTERN.test(init.rackId)) return 'rackId is not a lowercase UUID';
  if (!Number.isInteger(init.epoch) || init.epoch < 1 || init.epoch > 0xffff_ffff) return 'bad epoch';
  const g = init.generation ?? 0;
  if (!Number.isSafeInteger(g) || g < 0) return 'bad generation';
  if (!Number.isInteger(init.threshold) || init.threshold < 2 || init.threshold > 255) return 'bad threshold';
  if (init.commitments.length !== init.threshold) {
    return `${init.commitments.length} commitments for threshold ${init.threshold}`;
  }
  return null;
}

function checkMembers(init: LedgerInit): string | null {
  const { members, threshold, share } = init;
  if (members.length < threshold || members.length > 255) {
    return `${members.length} members for threshold ${threshold}`;
  }
  if (share.x > members.length) return `share x=${share.x} beyond ${members.length} members`;
  const ids = new Set<string>();
  const ders = new Set<string>();
  for (const m of members) {
    if (!SLED_ID_PATTERN.test(m.sledId)) return 'bad sled id';
    if (!memberSchema.safeParse(m).success) return `member ${m.sledId}: certificate is not one PEM block`;
    let der: string;
    try {
      der = new X509Certificate(m.certificate).raw.toString('hex');
    } catch {
      return `member ${m.sledId}: certificate does not parse`;
    }
    if (ids.has(m.sledId)) return `member ${m.sledId} listed twice`;
    if (ders.has(der)) return `member ${m.sledId}: certificate shared with another member`;
    ids.add(m.sledId);
    ders.add(der);
  }
  return null;
}

function checkShare(init: LedgerInit): string | null {
  try {
    return verifyShare(init.share, init.commitments) ? null : 'share fails the commitment check';
  } catch (e) {
    return e instanceof TrustQuorumError ? e.message : 'commitments do not decode';
  }
}

/** Why `init` is not a consistent ledger, or null. */
export function ledgerProblem(init: LedgerInit): string | null {
  return checkScalars(init) ?? checkMembers(init) ?? checkShare(init);
}

export class Ledger {
  readonly rackId: string;
  readonly epoch: number;
  readonly threshold: number;
  readonly generation: number;
  readonly members: readonly Member[];
  readonly commitments: readonly Uint8Array[];
  readonly share: Share;
  readonly #ders: readonly Buffer[];

  /** @throws RangeError when the fields are not a consistent ledger (see `ledgerProblem`). */
  constructor(init: LedgerInit) {
    const problem = ledgerProblem(init);
    if (problem !== null) throw new RangeError(`Ledger: ${problem}`);
    this.rackId = init.rackId;
    this.epoch = init.epoch;
    this.threshold = init.threshold;
    this.generation = init.generation ?? 0;
    this.members = Object.freeze(init.members.map((m) => Object.freeze({ ...m })));
    this.commitments = Object.freeze(init.commitments.map((c) => new Uint8Array(c)));
    this.share = init.share;
    this.#ders = this.members.map((m) => new X509Certificate(m.certificate).raw);
  }

  /** The same ledger at another generation (the share is copied). */
  withGeneration(generation: number): Ledger {
    const share = new Share(this.share.x, this.share.expose(), this.share.sender);
    return new Ledger({ ...this, share, generation });
  }

  /** The member whose certificate is `cert` (DER bytes or parsed), if any. */
  memberFor(cert: Uint8Array | X509Certificate): Member | undefined {
    const der = Buffer.from(cert instanceof X509Certificate ? cert.raw : cert);
    const i = this.#ders.findIndex((d) => d.equals(der));
    return i < 0 ? undefined : this.members[i];
  }

  /** Commitments as lowercase hex (public values). */
  commitmentsHex(): string[] {
    return this.commitments.map(hex);
  }

  /** Zeroes the share. */
  zero(): void {
    this.share.zero();
  }

  /** Summary without the share's value or the certificates. */
  toJSON(): Record<string, unknown> {
    return {
      rackId: this.rackId,
      epoch: this.epoch,
      threshold: this.threshold,
      generation: this.generation,
      members: this.members.map((m) => m.sledId),
      share: { x: this.share.x },
    };
  }

  toString(): string {
    return `Ledger ${JSON.stringify(this.toJSON())}`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * The file text of a ledger (pretty JSON with its checksum). This is the one place the share's
 * value is written out; the text must go only to the ledger file.
 * @throws RangeError when the ledger has never been given a generation (0).
 */
export function serializeLedger(ledger: Ledger): string {
  if (ledger.generation < 1) throw new RangeError('serializeLedger: generation must be >= 1');
  const body: LedgerBody = {
    formatVersion: LEDGER_FORMAT_VERSION,
    rackId: ledger.rackId,
    epoch: ledger.epoch,
    generation: ledger.generation,
    threshold: ledger.threshold,
    members: ledger.members.map((m) => ({ sledId: m.sledId, certificate: m.certificate })),
    commitments: ledger.commitmentsHex(),
    share: { x: ledger.share.x, y: hex(ledger.share.expose()) },
  };
  return `${JSON.stringify({ ...body, checksum: ledgerChecksum(body) }, null, 2)}\n`;
}

function corrupt(file: string, why: string): TrustQuorumError {
  return new TrustQuorumError('LedgerCorrupt', `${file}: ${why}`, { files: [file] });
}

/**
 * Parses and validates ledger file text: JSON, schema, checksum, then the ledger rules
 * (commitment count, members, the share against the commitments).
 * @param file names the file in errors.
 * @throws TrustQuorumError LedgerCorrupt naming `file`; the message never quotes the content.
 */
export function parseLedger(text: string, file: string): Ledger {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The SyntaxError may quote the text, share included: neither its message nor it as cause.
    throw corrupt(file, 'not valid JSON');
  }
  const parsed = ledgerFileSchema.safeParse(json);
  if (!parsed.success) throw corrupt(file, `not a ledger (${describeIssues(parsed.error)})`);
  const { checksum, ...body } = parsed.data;
  if (ledgerChecksum(body) !== checksum) throw corrupt(file, 'checksum mismatch');
  const y = Buffer.from(body.share.y, 'hex');
  let share: Share | undefined;
  try {
    share = new Share(body.share.x, y, file);
    const commitments = body.commitments.map((c) => new Uint8Array(Buffer.from(c, 'hex')));
    return new Ledger({ ...body, commitments, share });
  } catch (e) {
    share?.zero();
    if (e instanceof RangeError) throw corrupt(file, e.message.replace(/^Ledger: /, ''));
    throw corrupt(file, e instanceof TrustQuorumError ? e.message : 'inconsistent fields');
  } finally {
    y.fill(0);
  }
}
