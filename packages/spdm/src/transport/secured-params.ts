/**
 * The secured-message parameters that depend on the transport (DSP0277 leaves them to the
 * binding; spdm-reference.md §5.2-5.3), as libspdm implements them, so that the session layer
 * takes them from the connection instead of from constants:
 *
 *   MCTP  (libspdm spdm_transport_mctp_lib, DSP0276): the record header carries the low 2 bytes
 *         of the sequence number; 1-32 random padding bytes; the inner application data is an
 *         MCTP message that keeps its message-type byte: 0x05 ‖ SPDM message, any other type
 *         (0x01 PLDM, ...) is application data.
 *   TCP   (libspdm spdm_transport_tcp_lib, DSP0287): no sequence number in the header, no
 *         padding; an inner SPDM message repeats the 4-byte binding header with type 0x05;
 *         application data is sent bare.
 *   NONE  (spdm-emu spdm_transport_none_lib) and length16: no secured messages at all.
 *
 * Classifying a decrypted inner message follows libspdm's transport decode exactly
 * (libspdm_transport_{mctp,tcp}_decode_message, "APP message to SPDM message"): the inner bytes
 * are run through the plain-message decoder; if that fails they are application data; if they
 * decode as plain SPDM they are SPDM; if they decode as another secured message libspdm
 * refuses them. One consequence both ways: application data that would decode as an SPDM
 * message (MCTP: first byte 0x05 or 0x06 with enough bytes; TCP: more than 4 bytes with 0x05 or
 * 0x06 in byte 3) is misread by libspdm, so `encodeApp` refuses to build it.
 */
import { SpdmError } from '../errors.js';
import type { TransportConnection } from './connection.js';
import { DSP0287_BINDING_VERSION, DSP0287_HEADER_SIZE, TCP_MESSAGE_TYPE } from './dsp0287.js';
import { MCTP_MESSAGE_TYPE } from './emu-framing.js';
import { encodeFrame } from './framing.js';

/** A decrypted record's application data, classified. */
export interface InnerMessage {
  /** 'spdm': an SPDM message (without the inner transport header); 'app': application data. */
  readonly kind: 'spdm' | 'app';
  /** The SPDM message, or the application data exactly as carried (MCTP: with its type byte). */
  readonly message: Uint8Array;
}

/** Transports that carry secured messages. */
export type SecuredTransportKind = 'mctp' | 'tcp';
/** Every transport kind of this package; 'none' and 'length16' carry no secured messages. */
export type TransportKind = SecuredTransportKind | 'none' | 'length16';

/**
 * What the session layer needs from a transport. Structurally a `RecordParams`
 * (session/record.ts): sealRecord / openRecord accept it as is.
 */
export interface SecuredMessageParams {
  readonly transport: SecuredTransportKind;
  /** Bytes of the sequence number in the record header (its low bytes, little-endian). */
  readonly sequenceNumberSize: 0 | 2;
  /** Fewest random padding bytes a sender adds (MCTP 1, TCP 0). */
  readonly minPadding: number;
  /** Most random padding bytes a sender adds (MCTP 32, TCP 0). */
  readonly maxPadding: number;
  /** Same as maxPadding, libspdm's name (get_max_random_number_count). */
  readonly maxRandomPadding: number;
  /**
   * The application data that carries an SPDM message in a record: the inner transport header
   * ‖ message (a new buffer).
   * @throws SpdmError 'Transport' for an empty message; 'TooLarge' (TCP) past 65533 bytes.
   */
  encodeInner(spdmMessage: Uint8Array): Uint8Array;
  /**
   * The application data for an application message (MCTP: a whole MCTP message starting with
   * its type byte; TCP: the bare bytes). Returns `appMessage` itself.
   * @throws SpdmError 'Transport' when libspdm would read these bytes as an SPDM message.
   */
  encodeApp(appMessage: Uint8Array): Uint8Array;
  /**
   * Classifies a decrypted record's application data (a view, not a copy).
   * @throws SpdmError 'InvalidMsgField' when it holds another secured message (libspdm refuses
   *   those too), or a TCP binding header with a bad BindingVersion or PayloadLength.
   */
  decodeInner(appData: Uint8Array): InnerMessage;
}

function decodeMctpInner(appData: Uint8Array): InnerMessage {
  // libspdm_mctp_decode_message: needs more than the 1-byte header, else it fails (-> app).
  if (appData.length <= 1) return { kind: 'app', message: appData };
  const type = appData[0]!;
  if (type === MCTP_MESSAGE_TYPE.SPDM) return { kind: 'spdm', message: appData.subarray(1) };
  // A secured MCTP message decodes only with a session id after the type byte (> 5 bytes).
  if (type === MCTP_MESSAGE_TYPE.SECURED_SPDM && appData.length > 5) {
    throw new SpdmError('InvalidMsgField', 'secured MCTP message inside a secured message');
  }
  return { kind: 'app', message: appData };
}

function decodeTcpInner(appData: Uint8Array): InnerMessage {
  // libspdm_tcp_decode_message: needs more than the 4-byte header, else it fails (-> app).
  if (appData.length <= DSP0287_HEADER_SIZE) return { kind: 'app', message: appData };
  const type = appData[3]!;
  if (type === TCP_MESSAGE_TYPE.OUT_OF_SESSION) {
    // libspdm ignores these two fields; it always writes them as checked here (dsp0287.ts).
    const payloadLength = appData[0]! | (appData[1]! << 8);
    if (appData[2] !== DSP0287_BINDING_VERSION || payloadLength !== appData.length - 2) {
      throw new SpdmError(
        'InvalidMsgField',
        `inner DSP0287 header: BindingVersion ${appData[2]}, PayloadLength ${payloadLength} for ${appData.length} bytes`,
      );
    }
    return { kind: 'spdm', message: appData.subarray(DSP0287_HEADER_SIZE) };
  }
  if (type === TCP_MESSAGE_TYPE.IN_SESSION && appData.length > DSP0287_HEADER_SIZE + 4) {
    throw new SpdmError('InvalidMsgField', 'secured DSP0287 message inside a secured message');
  }
  return { kind: 'app', message: appData };
}

function checkedApp(decode: (b: Uint8Array) => InnerMessage, transport: string) {
  return (appMessage: Uint8Array): Uint8Array => {
    let isApp: boolean;
    try {
      isApp = decode(appMessage).kind === 'app';
    } catch {
      isApp = false;
    }
    if (!isApp) {
      throw new SpdmError(
        'Transport',
        `${transport}: libspdm would read these application data bytes as a plain or secured SPDM message`,
      );
    }
    return appMessage;
  };
}

/** MCTP as libspdm builds it (LIBSPDM_MCTP_SEQUENCE_NUMBER_COUNT 2, MAX_RANDOM_NUMBER_COUNT 32). */
export const MCTP_SECURED_PARAMS: SecuredMessageParams = Object.freeze({
  transport: 'mctp',
  sequenceNumberSize: 2,
  minPadding: 1,
  maxPadding: 32,
  maxRandomPadding: 32,
  encodeInner(spdmMessage: Uint8Array): Uint8Array {
    if (spdmMessage.length === 0)
      throw new SpdmError('Transport', 'MCTP: cannot carry an empty SPDM message');
    const out = new Uint8Array(1 + spdmMessage.length);
    out[0] = MCTP_MESSAGE_TYPE.SPDM;
    out.set(spdmMessage, 1);
    return out;
  },
  encodeApp: checkedApp(decodeMctpInner, 'MCTP'),
  decodeInner: decodeMctpInner,
});

/** TCP as libspdm builds it (SPDM_TCP_SEQUENCE_NUMBER_COUNT 0, MAX_RANDOM_NUMBER_COUNT 0). */
export const TCP_SECURED_PARAMS: SecuredMessageParams = Object.freeze({
  transport: 'tcp',
  sequenceNumberSize: 0,
  minPadding: 0,
  maxPadding: 0,
  maxRandomPadding: 0,
  encodeInner: (spdmMessage: Uint8Array): Uint8Array => encodeFrame('dsp0287', 'spdm', spdmMessage),
  encodeApp: checkedApp(decodeTcpInner, 'DSP0287'),
  decodeInner: decodeTcpInner,
});

/**
 * The secured-message parameters of a transport kind, or null when it carries no secured
 * messages ('none', 'length16').
 * @throws TypeError for an unknown kind.
 */
export function securedMessageParams(kind: TransportKind): SecuredMessageParams | null {
  switch (kind) {
    case 'mctp':
      return MCTP_SECURED_PARAMS;
    case 'tcp':
      return TCP_SECURED_PARAMS;
    case 'none':
    case 'length16':
      return null;
    default:
      throw new TypeError(`unknown transport kind: ${String(kind)}`);
  }
}

/**
 * The secured-message parameters of a connection: its own `securedMessages` when it declares
 * them, else derived from its framing (DSP0287 -> TCP, length16 -> none).
 */
export function securedParamsOf(conn: TransportConnection): SecuredMessageParams | null {
  if (conn.securedMessages !== undefined) return conn.securedMessages;
  return conn.framing === 'dsp0287' ? TCP_SECURED_PARAMS : null;
}
