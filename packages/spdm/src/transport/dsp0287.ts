/**
 * DMTF DSP0287 1.0 "SPDM over TCP Binding": the 4-byte binding header in front of every
 * message (spdm-reference.md §6.2).
 *
 *   off 0  u16  PayloadLength   (little-endian, see below)
 *   off 2  u8   BindingVersion  0x01
 *   off 3  u8   MessageType     0x05 out-of-session SPDM, 0x06 secured record (DSP0277),
 *                               0xBF RoleInquiry, 0xC0-0xFF error messages
 *
 * PayloadLength follows libspdm (libspdm_tcp_encode_message), verified on every frame of the
 * captured libspdm TCP traffic: little-endian (libspdm stores a host-order uint16_t, so this is
 * x86 byte order) and equal to the total frame size minus 2, i.e. it counts BindingVersion,
 * MessageType and the payload but not itself (`06 00 01 05 10 84 00 00` is GET_VERSION). We
 * could not check against the DSP0287 text whether the specification means the same byte order
 * and count; interoperating with libspdm is what matters here. RoleInquiry and the error
 * messages carry no payload and libspdm writes and requires PayloadLength 0 for them
 * (libspdm_tcp_encode/decode_discovery_message), which is NOT "frame size − 2"; we follow it.
 *
 * libspdm's data-path decoder checks neither PayloadLength nor BindingVersion; we check both
 * (libspdm always writes them as above, so this costs no interoperability). Secured records
 * on TCP have no sequence number and no random padding (spdm-reference.md §5.3); that is the
 * session layer's business, the binding only carries the record.
 */
import { SpdmError } from '../errors.js';
import type { BindingErrorFrame, DataFrameType, RoleInquiryFrame } from './frame.js';
import type { FramingRules, ParsedHeader } from './rules.js';

/** Size of the DSP0287 binding header. */
export const DSP0287_HEADER_SIZE = 4;
/** The only BindingVersion DSP0287 1.0 defines. */
export const DSP0287_BINDING_VERSION = 0x01;
/** IANA port for SPDM over TCP. */
export const SPDM_TCP_PORT = 4194;

/** MessageType values (DSP0287 1.0; names as in libspdm's spdm_tcp_binding.h). */
export const TCP_MESSAGE_TYPE = {
  OUT_OF_SESSION: 0x05,
  IN_SESSION: 0x06,
  ROLE_INQUIRY: 0xbf,
  ERROR_TOO_LARGE: 0xc0,
  ERROR_NOT_SUPPORTED: 0xc1,
  ERROR_CANNOT_OPERATE_AS_REQUESTER: 0xc2,
  ERROR_CANNOT_OPERATE_AS_RESPONDER: 0xc3,
  ERROR_RESERVED_MAX: 0xff,
} as const;

const EMPTY = new Uint8Array(0);

function hex8(v: number): string {
  return `0x${v.toString(16).padStart(2, '0')}`;
}

function controlFrame(type: number): RoleInquiryFrame | BindingErrorFrame {
  if (type === TCP_MESSAGE_TYPE.ROLE_INQUIRY) return { type: 'role-inquiry', payload: EMPTY };
  return { type: 'binding-error', code: type, payload: EMPTY };
}

function parseHeader(h: Uint8Array): ParsedHeader {
  const payloadLength = h[0]! | (h[1]! << 8);
  const version = h[2]!;
  const type = h[3]!;
  if (version !== DSP0287_BINDING_VERSION) {
    throw new SpdmError('Transport', `DSP0287: unsupported BindingVersion ${hex8(version)}`);
  }
  if (type === TCP_MESSAGE_TYPE.OUT_OF_SESSION || type === TCP_MESSAGE_TYPE.IN_SESSION) {
    // PayloadLength counts BindingVersion and MessageType (libspdm), so an empty payload is 2.
    if (payloadLength <= 2) {
      throw new SpdmError('Transport', `DSP0287: PayloadLength ${payloadLength} leaves no message`);
    }
    const frameType: DataFrameType = type === TCP_MESSAGE_TYPE.OUT_OF_SESSION ? 'spdm' : 'secured';
    return { kind: 'data', type: frameType, payloadSize: payloadLength - 2 };
  }
  if (type === TCP_MESSAGE_TYPE.ROLE_INQUIRY || type >= TCP_MESSAGE_TYPE.ERROR_TOO_LARGE) {
    if (payloadLength !== 0) {
      throw new SpdmError('Transport', `DSP0287: message type ${hex8(type)} needs PayloadLength 0`);
    }
    return { kind: 'control', frame: controlFrame(type) };
  }
  throw new SpdmError('Transport', `DSP0287: unknown MessageType ${hex8(type)}`);
}

/** DSP0287 rules for the generic Deframer / encoder. */
export const dsp0287Rules: FramingRules = {
  framing: 'dsp0287',
  headerSize: DSP0287_HEADER_SIZE,
  maxPayloadSize: 0xffff - 2,
  announcedFrameSize: (b0, b1) => (b0 | (b1 << 8)) + 2,
  parseHeader,
  writeHeader(out, type, payloadSize) {
    const payloadLength = payloadSize + 2;
    out[0] = payloadLength & 0xff;
    out[1] = payloadLength >>> 8;
    out[2] = DSP0287_BINDING_VERSION;
    out[3] = type === 'spdm' ? TCP_MESSAGE_TYPE.OUT_OF_SESSION : TCP_MESSAGE_TYPE.IN_SESSION;
  },
};

/**
 * Encodes a payload-less DSP0287 message: RoleInquiry (`00 00 01 bf`) or an error message
 * (`00 00 01 c0` ... `00 00 01 ff`).
 * @throws RangeError for a binding-error code outside 0xC0-0xFF.
 */
export function encodeControlFrame(frame: RoleInquiryFrame | BindingErrorFrame): Uint8Array {
  let type: number = TCP_MESSAGE_TYPE.ROLE_INQUIRY;
  if (frame.type === 'binding-error') {
    if (!Number.isInteger(frame.code) || frame.code < TCP_MESSAGE_TYPE.ERROR_TOO_LARGE || frame.code > 0xff) {
      throw new RangeError(`DSP0287 error message type must be 0xC0-0xFF, got ${frame.code}`);
    }
    type = frame.code;
  }
  return Uint8Array.of(0, 0, DSP0287_BINDING_VERSION, type);
}
