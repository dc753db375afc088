/**
 * A share-protocol message: version byte, type byte, body (one file per exchange holds the
 * bodies: get-share.ts, error.ts, rack-init.ts). `encodeMessage` / `decodeMessage` are the
 * whole-message codecs; the framing that carries messages in a byte stream is framing.ts.
 *
 * ```
 * version:u8 (= PROTOCOL_VERSION)  type:u8 (MESSAGE_TYPE)  body
 * ```
 * Decoding is total: any input gives a message or a TrustQuorumError('InvalidMessage').
 */

import { ByteReader } from '@trust-quorum/spdm/codec/reader';
import { ByteWriter } from '@trust-quorum/spdm/codec/writer';
import { SpdmError } from '@trust-quorum/spdm/errors';
import { isTrustQuorumError, TrustQuorumError } from '../errors.js';
import { MESSAGE_TYPE, messageTypeName, PROTOCOL_VERSION } from './codes.js';
import { decodeErrorResponse, type ErrorResponse, encodeErrorResponse } from './error.js';
import type { SecretSlot } from './fields.js';
import {
  decodeGetShare,
  decodeShareResponse,
  encodeGetShare,
  encodeShareResponse,
  type GetShare,
  type ShareResponse,
} from './get-share.js';
import {
  type Commit,
  type CommitAck,
  decodePrepare,
  decodeRackEpochMessage,
  encodeAck,
  encodePrepare,
  type Prepare,
  type PrepareAck,
} from './rack-init.js';

export type ShareProtocolMessage =
  | GetShare
  | ShareResponse
  | ErrorResponse
  | Prepare
  | PrepareAck
  | Commit
  | CommitAck;

export type MessageKind = ShareProtocolMessage['type'];

/** Bytes of the version and type header. */
export const MESSAGE_HEADER_BYTES = 2;

const TYPE_CODE: Record<MessageKind, number> = {
  GetShare: MESSAGE_TYPE.GET_SHARE,
  Share: MESSAGE_TYPE.SHARE,
  Error: MESSAGE_TYPE.ERROR,
  Prepare: MESSAGE_TYPE.PREPARE,
  PrepareAck: MESSAGE_TYPE.PREPARE_ACK,
  Commit: MESSAGE_TYPE.COMMIT,
  CommitAck: MESSAGE_TYPE.COMMIT_ACK,
};

function encodeBody(w: ByteWriter, m: ShareProtocolMessage): SecretSlot | null {
  switch (m.type) {
    case 'GetShare':
      encodeGetShare(w, m);
      return null;
    case 'Share':
      return encodeShareResponse(w, m);
    case 'Error':
      encodeErrorResponse(w, m);
      return null;
    case 'Prepare':
      return encodePrepare(w, m);
    case 'PrepareAck':
    case 'Commit':
    case 'CommitAck':
      encodeAck(w, m);
      return null;
  }
}

/**
 * Encodes a whole message. The result of a Share or Prepare holds secret bytes: the caller
 * zeroes it once sent (see `holdsSecret`).
 * @throws RangeError / TypeError for a message that cannot be encoded (bad rack id, epoch or
 *   error code name, a zeroed share).
 */
export function encodeMessage(m: ShareProtocolMessage): Uint8Array {
  const w = new ByteWriter(64);
  w.u8(PROTOCOL_VERSION).u8(TYPE_CODE[m.type]);
  const slot = encodeBody(w, m);
  const out = w.finish();
  if (slot !== null) out.set(slot.bytes, slot.at);
  return out;
}

/** True for the messages whose encoding holds secret bytes (Share, Prepare). */
export function holdsSecret(m: ShareProtocolMessage): boolean {
  return m.type === 'Share' || m.type === 'Prepare';
}

export interface DecodeMessageInit {
  /** Labels a decoded share (sled id or address) and errors. */
  readonly sender?: string;
}

function decodeBody(r: ByteReader, type: number, sender: string | undefined): ShareProtocolMessage {
  switch (type) {
    case MESSAGE_TYPE.GET_SHARE:
      return decodeGetShare(r);
    case MESSAGE_TYPE.SHARE:
      return decodeShareResponse(r, sender);
    case MESSAGE_TYPE.ERROR:
      return decodeErrorResponse(r);
    case MESSAGE_TYPE.PREPARE:
      return decodePrepare(r);
    case MESSAGE_TYPE.PREPARE_ACK:
      return decodeRackEpochMessage(r, 'PrepareAck');
    case MESSAGE_TYPE.COMMIT:
      return decodeRackEpochMessage(r, 'Commit');
    case MESSAGE_TYPE.COMMIT_ACK:
      return decodeRackEpochMessage(r, 'CommitAck');
    default:
      throw new TrustQuorumError('InvalidMessage', `unknown message type ${messageTypeName(type)}`, {
        sender,
      });
  }
}

/**
 * Decodes one whole message (exactly `bytes`). A Share's y and a Prepare's ledger are copied
 * out, so the caller may (and should) zero `bytes` afterwards.
 * @throws TrustQuorumError InvalidMessage: unknown version or type, wrong length, bad field.
 */
export function decodeMessage(bytes: Uint8Array, init: DecodeMessageInit = {}): ShareProtocolMessage {
  const { sender } = init;
  try {
    const r = new ByteReader(bytes);
    const version = r.u8('version');
    if (version !== PROTOCOL_VERSION) {
      throw new TrustQuorumError('InvalidMessage', `unsupported share-protocol version ${version}`, {
        sender,
      });
    }
    return decodeBody(r, r.u8('type'), sender);
  } catch (e) {
    if (isTrustQuorumError(e, 'InvalidMessage')) throw e;
    const why = e instanceof SpdmError || isTrustQuorumError(e) ? e.message : 'malformed';
    throw new TrustQuorumError('InvalidMessage', `share-protocol message: ${why}`, { sender, cause: e });
  }
}

/** Zeroes the secret a decoded message holds (a Share's y, a Prepare's ledger bytes). */
export function zeroMessage(m: ShareProtocolMessage): void {
  if (m.type === 'Share') m.share.zero();
  else if (m.type === 'Prepare') m.ledger.zero();
}

/** Log fields of a message: type, rack, epoch, x, error code; never secret bytes. */
export function describeMessage(m: ShareProtocolMessage): Record<string, string | number> {
  switch (m.type) {
    case 'Error':
      return { type: m.type, code: m.code };
    case 'Prepare':
      return { type: m.type, ledgerBytes: m.ledger.isZeroed ? 0 : m.ledger.length };
    case 'Share':
      return { type: m.type, rackId: m.rackId, epoch: m.epoch, x: m.share.x };
    default:
      return { type: m.type, rackId: m.rackId, epoch: m.epoch };
  }
}
