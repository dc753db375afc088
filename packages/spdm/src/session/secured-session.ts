/**
 * The record layer of one SPDM session, for either role (DSP0277 1.2 §6; DSP0274 1.3 §12;
 * spdm-reference §4-§5): which key seals what we send and opens what we receive, and when each
 * changes. It owns the session's KeySchedule and its two RecordDirections.
 *
 * Key timeline:
 * - from KEY_EXCHANGE_RSP on, the handshake keys (FINISH / FINISH_RSP unless
 *   HANDSHAKE_IN_THE_CLEAR); `switchToDataKeys` moves both directions to the data keys and drops
 *   the handshake secrets (responder: right after sealing FINISH_RSP; requester: after
 *   verifying it), each counter restarting at 0;
 * - KEY_UPDATE (§2.12): the side whose key changes calls `updateSendKey`; the other side calls
 *   `expectPeerKeyUpdate`, after which a record that does not open under the current receive key
 *   is tried once under the next key (derived then, at most once). A record that opens under
 *   the next key commits it (the old key is destroyed) and sets `peerKeyUpdated`. This covers
 *   libspdm's timing in both directions: the responder's UpdateAllKeys ACK already comes under
 *   the new response key, while a responder that refuses answers under the old one; and the
 *   requester's VerifyNewKey is the first record under the new request key. Nothing is derived
 *   for an update that never happens, so the KeySchedule stays in step with the peer.
 *
 * Any failure to open a record is fatal to the session (the caller ends it): a tampered,
 * replayed, reordered or truncated record never opens, because the receiver accepts exactly the
 * next sequence number.
 */
import { inspect } from 'node:util';
import type { Direction, KeySchedule } from '../crypto/key-schedule.js';
import type { InnerMessage, SecuredMessageParams } from '../transport/secured-params.js';
import { type AppMessage, type AppPayload, appMessageParts, decodeAppMessage } from './app-data.js';
import { RecordDirection } from './record.js';

export type SessionRole = 'requester' | 'responder';
export type SessionPhase = 'handshake' | 'established' | 'ended';

export interface SecuredSessionInit {
  readonly role: SessionRole;
  /** SessionID of the records (RspSessionID << 16 | ReqSessionID). */
  readonly sessionId: number;
  readonly params: SecuredMessageParams;
  /** After deriveHandshakeSecrets; the session takes ownership (destroy() zeroes it). */
  readonly keySchedule: KeySchedule;
  /** Largest sequence number either direction may use (tests make overflow reachable). */
  readonly maxSequenceNumber?: bigint;
}

/** What an opened record carried. */
export type OpenedRecord = { readonly kind: 'spdm'; readonly message: Uint8Array } | AppMessage;

export class SecuredSession {
  readonly role: SessionRole;
  readonly sessionId: number;
  readonly params: SecuredMessageParams;
  readonly keySchedule: KeySchedule;
  readonly #max: bigint | undefined;
  readonly #sendDir: Direction;
  readonly #recvDir: Direction;
  #send: RecordDirection;
  #recv: RecordDirection;
  #phase: SessionPhase = 'handshake';
  #peerUpdatePending = false;
  #candidate: RecordDirection | undefined;
  #peerKeyUpdated = false;

  /** @throws RangeError when the key schedule has no handshake secrets. */
  constructor(init: SecuredSessionInit) {
    this.role = init.role;
    this.sessionId = init.sessionId;
    this.params = init.params;
    this.keySchedule = init.keySchedule;
    this.#max = init.maxSequenceNumber;
    this.#sendDir = init.role === 'requester' ? 'request' : 'response';
    this.#recvDir = init.role === 'requester' ? 'response' : 'request';
    this.#send = this.#direction(this.keySchedule.handshakeKeys(this.#sendDir));
    this.#recv = this.#direction(this.keySchedule.handshakeKeys(this.#recvDir));
  }

  #direction(keys: ReturnType<KeySchedule['dataKeys']>): RecordDirection {
    const init = this.#max === undefined ? {} : { maxSequenceNumber: this.#max };
    return new RecordDirection(this.params, keys, this.sessionId, init);
  }

  get phase(): SessionPhase {
    return this.#phase;
  }

  /** Sequence number of the next record we send. */
  get sendSequenceNumber(): bigint {
    return this.#send.sequenceNumber;
  }

  /**
   * Seals an SPDM message (inner transport header added).
   * @throws SpdmError SequenceOverflow / TooLarge; RangeError after destroy().
   */
  sealSpdm(message: Uint8Array): Uint8Array {
    return this.#send.seal(this.params.encodeInner(message));
  }

  /**
   * Seals one application message (see app-data.ts); a payload in pieces is sealed as their
   * concatenation without joining them first.
   * @throws SpdmError SequenceOverflow / TooLarge; RangeError after destroy() or misuse.
   */
  sealApp(kind: AppMessage['kind'], payload?: AppPayload): Uint8Array {
    return this.#send.seal(appMessageParts(this.params, kind, payload));
  }

  /**
   * Seals application data in the peer's own format (no header of ours: on MCTP a whole MCTP
   * message starting with its type byte, e.g. PLDM), for peers with their own application
   * protocol; the counterpart of openRaw.
   * @throws SpdmError 'Transport' when libspdm would read `message` as an SPDM message;
   *   SequenceOverflow / TooLarge; RangeError after destroy().
   */
  sealRawApp(message: Uint8Array): Uint8Array {
    return this.#send.seal(this.params.encodeApp(message));
  }

  /**
   * Opens the next record from the peer and classifies what it carries.
   * @throws SpdmError VerifyFailed / SessionError / InvalidMsgSize / InvalidMsgField /
   *   SequenceOverflow: the session must end.
   */
  open(record: Uint8Array): OpenedRecord {
    const m = this.openRaw(record);
    if (m.kind === 'spdm') return { kind: 'spdm', message: m.message };
    return decodeAppMessage(this.params, m.message);
  }

  /**
   * Opens the next record and classifies it by the transport's rule only (an inner SPDM
   * message, or application data as carried, e.g. a PLDM message on MCTP), without our
   * application-message header. For peers with their own application protocol, and for tests.
   * @throws SpdmError as open().
   */
  openRaw(record: Uint8Array): InnerMessage {
    let inner: Uint8Array;
    try {
      inner = this.#recv.open(record);
    } catch (e) {
      if (!this.#peerUpdatePending) throw e;
      inner = this.#openUnderNextKey(record, e);
    }
    return this.params.decodeInner(inner);
  }

  #openUnderNextKey(record: Uint8Array, first: unknown): Uint8Array {
    this.#candidate ??= this.#direction(this.keySchedule.updateDataKeys(this.#recvDir));
    let inner: Uint8Array;
    try {
      inner = this.#candidate.open(record);
    } catch {
      throw first;
    }
    this.#recv.destroy();
    this.#recv = this.#candidate;
    this.#candidate = undefined;
    this.#peerUpdatePending = false;
    this.#peerKeyUpdated = true;
    return inner;
  }

  /** Handshake -> data keys in both directions; handshake secrets are zeroed. */
  switchToDataKeys(): void {
    this.#send.rekey(this.keySchedule.dataKeys(this.#sendDir));
    this.#recv.rekey(this.keySchedule.dataKeys(this.#recvDir));
    this.keySchedule.dropHandshakeSecrets();
    this.#phase = 'established';
  }

  /** KEY_UPDATE: our sending data key moves to the next one (sequence number 0). */
  updateSendKey(): void {
    this.#send.rekey(this.keySchedule.updateDataKeys(this.#sendDir));
  }

  /** KEY_UPDATE: the peer's sending key may change from its next record on (see module comment). */
  expectPeerKeyUpdate(): void {
    this.#peerUpdatePending = true;
    this.#peerKeyUpdated = false;
  }

  /** A peer key update we were waiting for did not happen (the peer refused it). */
  cancelPeerKeyUpdate(): void {
    this.#peerUpdatePending = false;
  }

  /** Whether a record has opened under the peer's new key since expectPeerKeyUpdate(). */
  get peerKeyUpdated(): boolean {
    return this.#peerKeyUpdated;
  }

  /** Whether we still wait for the peer's first record under its new key. */
  get peerKeyUpdatePending(): boolean {
    return this.#peerUpdatePending;
  }

  /** Clears `peerKeyUpdated` once the update is confirmed (VerifyNewKey). */
  confirmPeerKeyUpdate(): void {
    this.#peerKeyUpdated = false;
  }

  /** Zeroes every key and secret; the session is over. Idempotent. */
  destroy(): void {
    if (this.#phase === 'ended') return;
    this.#phase = 'ended';
    this.#send.destroy();
    this.#recv.destroy();
    this.#candidate?.destroy();
    this.keySchedule.destroy();
  }

  [inspect.custom](): string {
    return `SecuredSession { ${this.role}, id: 0x${this.sessionId.toString(16)}, phase: ${this.#phase} }`;
  }

  toJSON(): { role: SessionRole; sessionId: number; phase: SessionPhase } {
    return { role: this.role, sessionId: this.sessionId, phase: this.#phase };
  }
}
