/**
 * How application data travels inside a DSP0277 record (our choice; DSP0277 leaves application
 * data to the transport binding and libspdm treats it as opaque bytes).
 *
 * A record's ApplicationData is classified by the transport (transport/secured-params.ts,
 * libspdm's rule): an inner plain SPDM message is an SPDM request or response, anything else is
 * application data. Arbitrary application bytes could look like an inner SPDM message (TCP:
 * byte 3 = 0x05; MCTP: first byte 0x05), so every application message starts with a fixed
 * vendor header that cannot be mistaken for one:
 *
 *   TCP (DSP0287):  VendorPEN u32be ‖ Kind u8 ‖ payload
 *   MCTP (DSP0236): 0x7F (MCTP "vendor defined - IANA" message type) ‖ VendorPEN u32be ‖ Kind u8 ‖ payload
 *
 * VendorPEN is the IANA Private Enterprise Number 32473 (`00 00 7e d9`), which RFC 5612
 * reserves for documentation: a placeholder until the project has its own number. On TCP its
 * last byte (0xD9) sits where a DSP0287 header has its MessageType, so libspdm and our
 * classifier both read the message as application data. Kind: 0x00 = data (the payload is
 * stream bytes, at least one), 0x01 = end of stream (a half-close: the sender will write no more
 * application data in this session; no payload). One record carries one application message.
 */
import { SpdmError } from '../errors.js';
import type { SecuredMessageParams } from '../transport/secured-params.js';

/** IANA PEN 32473 (RFC 5612, documentation only): placeholder vendor of our application messages. */
export const APP_VENDOR_PEN = 32473;
/** MCTP message type "vendor defined - IANA" (DSP0239). */
export const MCTP_VENDOR_DEFINED_IANA = 0x7f;

/** Kind byte of an application message. */
export const APP_KIND = { DATA: 0x00, END: 0x01 } as const;

/** A decoded application message. */
export type AppMessage =
  | { readonly kind: 'data'; readonly payload: Uint8Array }
  | { readonly kind: 'end'; readonly payload: Uint8Array };

const PEN_BYTES = Uint8Array.of(
  (APP_VENDOR_PEN >>> 24) & 0xff,
  (APP_VENDOR_PEN >>> 16) & 0xff,
  (APP_VENDOR_PEN >>> 8) & 0xff,
  APP_VENDOR_PEN & 0xff,
);

function prefix(params: SecuredMessageParams): Uint8Array {
  if (params.transport === 'mctp') return Uint8Array.of(MCTP_VENDOR_DEFINED_IANA, ...PEN_BYTES);
  return PEN_BYTES;
}

/** Bytes an application message adds before its payload on this transport (TCP 5, MCTP 6). */
export function appHeaderSize(params: SecuredMessageParams): number {
  return prefix(params).length + 1;
}

/**
 * The ApplicationData of a record carrying `payload` (kind 'data', non-empty) or an end of
 * stream (kind 'end', empty payload).
 * @throws RangeError for an empty data payload or a payload with 'end'.
 */
export function encodeAppMessage(
  params: SecuredMessageParams,
  kind: AppMessage['kind'],
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  if (kind === 'data' && payload.length === 0) throw new RangeError('application data message without bytes');
  if (kind === 'end' && payload.length !== 0) throw new RangeError('end-of-stream message carries no bytes');
  const p = prefix(params);
  const out = new Uint8Array(p.length + 1 + payload.length);
  out.set(p, 0);
  out[p.length] = kind === 'data' ? APP_KIND.DATA : APP_KIND.END;
  out.set(payload, p.length + 1);
  return params.encodeApp(out);
}

/** The bytes of one application message: one buffer, or pieces taken as their concatenation. */
export type AppPayload = Uint8Array | readonly Uint8Array[];

/**
 * The same application message as encodeAppMessage, as [header, ...payload] (the payload's
 * pieces themselves, not copied), for sealing without joining them. The header alone passes the
 * transport's classification check (our vendor header is never an SPDM message), so the result
 * is what encodeAppMessage returns, in pieces.
 * @throws RangeError as encodeAppMessage.
 */
export function appMessageParts(
  params: SecuredMessageParams,
  kind: AppMessage['kind'],
  payload: AppPayload = new Uint8Array(0),
): Uint8Array[] {
  const pieces = payload instanceof Uint8Array ? [payload] : payload;
  let length = 0;
  for (const piece of pieces) length += piece.length;
  if (kind === 'data' && length === 0) throw new RangeError('application data message without bytes');
  if (kind === 'end' && length !== 0) throw new RangeError('end-of-stream message carries no bytes');
  const p = prefix(params);
  const header = new Uint8Array(p.length + 1);
  header.set(p, 0);
  header[p.length] = kind === 'data' ? APP_KIND.DATA : APP_KIND.END;
  const parts: Uint8Array[] = [header];
  for (const piece of pieces) if (piece.length > 0) parts.push(piece);
  return parts;
}

/**
 * Reads an application message (the `message` of an inner message the transport classified as
 * application data). The payload is a view of `app`.
 * @throws SpdmError InvalidMsgField when the vendor header or the kind is not ours, or a message
 *   breaks its kind's size rule.
 */
export function decodeAppMessage(params: SecuredMessageParams, app: Uint8Array): AppMessage {
  const p = prefix(params);
  const bad = (why: string): SpdmError =>
    new SpdmError('InvalidMsgField', `secured message: application data ${why}`);
  if (app.length < p.length + 1) throw bad(`of ${app.length} byte(s) has no vendor header`);
  for (let i = 0; i < p.length; i++) if (app[i] !== p[i]) throw bad('from an unknown vendor or type');
  const kind = app[p.length];
  const payload = app.subarray(p.length + 1);
  if (kind === APP_KIND.DATA) {
    if (payload.length === 0) throw bad('message without bytes');
    return { kind: 'data', payload };
  }
  if (kind === APP_KIND.END) {
    if (payload.length !== 0) throw bad('end-of-stream message with bytes');
    return { kind: 'end', payload };
  }
  throw bad(`kind 0x${(kind ?? 0).toString(16)}`);
}

/** Bytes a record adds around its ApplicationData, at most (header, ApplicationDataLength, padding, tag). */
export function recordOverhead(params: SecuredMessageParams): number {
  return 4 + params.sequenceNumberSize + 2 + 2 + params.maxPadding + 16;
}

/** Room kept for the transport's own frame header when a connection states a frame limit. */
const FRAME_HEADER_ALLOWANCE = 16;
/** Message-size bound when the peer stated none (SPDM 1.1: no MaxSPDMmsgSize). */
const DEFAULT_PEER_MESSAGE_SIZE = 4608;

/**
 * How many application bytes one record may carry towards a peer: the whole application
 * message must fit the peer's MaxSPDMmsgSize (libspdm receives records into a buffer of that
 * size; 0 = not stated, 4608 assumed), the record its u16 Length field, and the frame the
 * transport's limit; `cap` lowers it further.
 * @throws RangeError when nothing fits.
 */
export function maxAppPayload(
  params: SecuredMessageParams,
  peerMaxMessageSize: number,
  maxFrameSize?: number,
  cap?: number,
): number {
  const hdr = appHeaderSize(params);
  const limits = [
    (peerMaxMessageSize > 0 ? peerMaxMessageSize : DEFAULT_PEER_MESSAGE_SIZE) - hdr,
    0xffff - (2 + params.maxPadding + 16) - hdr,
  ];
  if (maxFrameSize !== undefined)
    limits.push(maxFrameSize - FRAME_HEADER_ALLOWANCE - recordOverhead(params) - hdr);
  if (cap !== undefined) limits.push(cap);
  const n = Math.min(...limits);
  if (!(n >= 1)) throw new RangeError('no application data fits in one record');
  return n;
}
