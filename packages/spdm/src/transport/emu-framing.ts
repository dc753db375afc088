/**
 * The socket protocol of DMTF's spdm-emu tools (spdm_requester_emu, spdm_responder_emu and the
 * responder validator; spdm-reference.md §6.3, spdm-emu `spdm_emu_common/command.c`): packets
 * of Command u32 BE ‖ TransportType u32 BE ‖ PayloadSize u32 BE ‖ Payload, a streaming
 * `EmuDeframer` that bounds PayloadSize before allocating, and the payload encodings of the
 * three transports we support (spdm-reference.md §6.1, §6.2):
 *
 *   NONE  the bare SPDM message. spdm-emu's `spdm_transport_none_lib` passes messages through
 *         unchanged and always decodes them as plain (session_id NULL, never an app message),
 *         so NONE cannot carry secured records at all; we refuse to send one.
 *   MCTP  one MCTP message-type byte (0x05 SPDM, 0x06 secured SPDM) ‖ message; libspdm sends
 *         no MCTP packet header (spdm-emu adds one only to its pcap files).
 *   TCP   the DSP0287 binding frame (4-byte header, see dsp0287.ts) inside the payload.
 *
 * PCI_DOE (TransportType 2) is recognised in headers but not implemented: DOE pads messages to
 * DWORDs and spdm_requester_emu runs DOE discovery first, neither of which our SPDM layer does.
 */
import { SpdmError } from '../errors.js';
import { dsp0287Rules, encodeControlFrame } from './dsp0287.js';
import { type DataFrameType, type Frame, isDataFrame } from './frame.js';
import { DEFAULT_MAX_PAYLOAD_SIZE, encodeFrame } from './framing.js';

/** Socket commands (spdm-emu `command.h`, SOCKET_SPDM_COMMAND_*). */
export const EMU_COMMAND = {
  NORMAL: 0x0001,
  OOB_ENCAP_KEY_UPDATE: 0x8001,
  OOB_ENCAP_ENDPOINT_INFO: 0x8002,
  CONTINUE: 0xfffd,
  SHUTDOWN: 0xfffe,
  UNKNOWN: 0xffff,
  TEST: 0xdead,
} as const;

/** Socket TransportType values (spdm-emu `command.h`, SOCKET_TRANSPORT_TYPE_*). */
export const EMU_TRANSPORT_TYPE = {
  NONE: 0x00,
  MCTP: 0x01,
  PCI_DOE: 0x02,
  TCP: 0x03,
} as const;

/** The transports we implement on the emulator socket. */
export type EmuTransport = 'none' | 'mctp' | 'tcp';

/** TransportType value of each supported transport. */
export const EMU_TRANSPORT_CODE: Readonly<Record<EmuTransport, number>> = {
  none: EMU_TRANSPORT_TYPE.NONE,
  mctp: EMU_TRANSPORT_TYPE.MCTP,
  tcp: EMU_TRANSPORT_TYPE.TCP,
};

/** spdm_responder_emu's port for NONE, MCTP and PCI_DOE (DEFAULT_SPDM_PLATFORM_PORT). */
export const EMU_DEFAULT_PORT = 2323;
/** spdm_responder_emu's port for TCP (TCP_SPDM_PLATFORM_PORT, = the IANA SPDM port). */
export const EMU_TCP_PORT = 4194;

/** The default responder port spdm-emu uses for a transport. */
export function emuDefaultPort(transport: EmuTransport): number {
  return transport === 'tcp' ? EMU_TCP_PORT : EMU_DEFAULT_PORT;
}

/** Size of the packet header: Command, TransportType, PayloadSize. */
export const EMU_HEADER_SIZE = 12;

/** TEST payload the requester sends: "Client Hello!" with its NUL (sizeof in C: 14 bytes). */
export const EMU_CLIENT_HELLO: Uint8Array = new TextEncoder().encode('Client Hello!\0');
/** TEST payload the responder answers with: "Server Hello!" with its NUL (14 bytes). */
export const EMU_SERVER_HELLO: Uint8Array = new TextEncoder().encode('Server Hello!\0');

/** MCTP message types used by SPDM (DSP0239; libspdm `industry_standard/mctp.h`). */
export const MCTP_MESSAGE_TYPE = {
  PLDM: 0x01,
  SPDM: 0x05,
  SECURED_SPDM: 0x06,
} as const;

/** One packet on the emulator socket. */
export interface EmuPacket {
  /** EMU_COMMAND value (any u32 on the wire). */
  readonly command: number;
  /** EMU_TRANSPORT_TYPE value (any u32 on the wire). */
  readonly transportType: number;
  readonly payload: Uint8Array;
}

const NAMES: Readonly<Record<number, string>> = {
  [EMU_COMMAND.NORMAL]: 'NORMAL',
  [EMU_COMMAND.OOB_ENCAP_KEY_UPDATE]: 'OOB_ENCAP_KEY_UPDATE',
  [EMU_COMMAND.OOB_ENCAP_ENDPOINT_INFO]: 'OOB_ENCAP_ENDPOINT_INFO',
  [EMU_COMMAND.CONTINUE]: 'CONTINUE',
  [EMU_COMMAND.SHUTDOWN]: 'SHUTDOWN',
  [EMU_COMMAND.UNKNOWN]: 'UNKNOWN',
  [EMU_COMMAND.TEST]: 'TEST',
};
const TRANSPORT_NAMES = ['NONE', 'MCTP', 'PCI_DOE', 'TCP'];

/** "NORMAL", "TEST", ... or the hex value for an unknown command. */
export function emuCommandName(command: number): string {
  return NAMES[command] ?? `0x${command.toString(16).padStart(4, '0')}`;
}

/** "NONE", "MCTP", "PCI_DOE", "TCP" or the value for an unknown transport type. */
export function emuTransportName(type: number): string {
  return TRANSPORT_NAMES[type] ?? `transport type ${type}`;
}

function checkU32(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
    throw new RangeError(`${what} must be a u32, got ${v}`);
}

/**
 * Validates a `maxPayloadSize` option: the default is 64 KiB; at least 14 bytes (the TEST
 * hello), at most 2^32-1 (the PayloadSize field).
 * @throws RangeError otherwise.
 */
export function checkMaxPayloadSize(max: number | undefined): number {
  const v = max ?? DEFAULT_MAX_PAYLOAD_SIZE;
  if (!Number.isSafeInteger(v) || v < EMU_SERVER_HELLO.length || v > 0xffffffff) {
    throw new RangeError(`maxPayloadSize must be an integer in ${EMU_SERVER_HELLO.length}..2^32-1, got ${v}`);
  }
  return v;
}

/**
 * Encodes one packet: header (big-endian, as spdm-emu's htonl) ‖ payload, in one new buffer so
 * that it goes out in one write.
 * @throws RangeError when a header value is not a u32.
 */
export function encodeEmuPacket(p: EmuPacket): Uint8Array {
  checkU32(p.command, 'command');
  checkU32(p.transportType, 'transportType');
  checkU32(p.payload.length, 'payload size');
  const out = new Uint8Array(EMU_HEADER_SIZE + p.payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, p.command, false);
  v.setUint32(4, p.transportType, false);
  v.setUint32(8, p.payload.length, false);
  out.set(p.payload, EMU_HEADER_SIZE);
  return out;
}

/** Options of an EmuDeframer. */
export interface EmuDeframerInit {
  /** The TransportType every packet must carry; a packet with another is a 'Transport' error. */
  transportType?: number;
  /** Largest PayloadSize accepted, checked before allocating; default 64 KiB. */
  maxPayloadSize?: number;
}

/**
 * Streaming deframer for the emulator socket (conventions #5): keeps a 12-byte header buffer,
 * then, once TransportType and PayloadSize have been checked, one buffer of exactly the
 * announced size. Errors: SpdmError 'Transport' (TransportType mismatch, checked as soon as the
 * header is complete, like spdm-emu's receive_platform_data) or 'TooLarge' (PayloadSize over
 * the limit). After an error the deframer is dead and every later push throws it; a push that
 * completes packets before the error returns them and records the error in `failure`.
 */
export class EmuDeframer {
  readonly maxPayloadSize: number;
  readonly transportType: number | undefined;
  private readonly header = new Uint8Array(EMU_HEADER_SIZE);
  private headerFill = 0;
  private command = 0;
  private type = 0;
  private body: Uint8Array | undefined;
  private bodyFill = 0;
  private error: SpdmError | undefined;

  /** @throws RangeError for a bad maxPayloadSize or transportType. */
  constructor(init: EmuDeframerInit = {}) {
    this.maxPayloadSize = checkMaxPayloadSize(init.maxPayloadSize);
    if (init.transportType !== undefined) checkU32(init.transportType, 'transportType');
    this.transportType = init.transportType;
  }

  /** The error that killed this deframer, if any. */
  get failure(): SpdmError | undefined {
    return this.error;
  }

  /** Bytes of the incomplete packet received so far, and its total size once known. */
  partial(): { received: number; expected: number | undefined } | undefined {
    if (this.headerFill === 0) return undefined;
    const expected = this.body === undefined ? undefined : EMU_HEADER_SIZE + this.body.length;
    return { received: this.headerFill + this.bodyFill, expected };
  }

  /**
   * Consumes a chunk, returns the packets it completed (payloads are fresh buffers).
   * @throws SpdmError 'Transport' | 'TooLarge' (see the class comment).
   */
  push(chunk: Uint8Array): EmuPacket[] {
    return this.pushSome(chunk, Number.POSITIVE_INFINITY).packets;
  }

  /**
   * Like push, but stops as soon as `maxPackets` packets are complete; `used` says how many bytes
   * of `chunk` were consumed (the rest is for a later call: backpressure). After an error `used`
   * is the whole chunk.
   * @throws SpdmError 'Transport' | 'TooLarge' (see the class comment).
   */
  pushSome(chunk: Uint8Array, maxPackets: number): { packets: EmuPacket[]; used: number } {
    if (this.error !== undefined) throw this.error;
    if (!(chunk instanceof Uint8Array)) throw new TypeError('EmuDeframer.push: chunk must be a Uint8Array');
    const packets: EmuPacket[] = [];
    let at = 0;
    try {
      while (at < chunk.length && packets.length < maxPackets) {
        at =
          this.body === undefined ? this.takeHeader(chunk, at, packets) : this.takeBody(chunk, at, packets);
      }
    } catch (e) {
      this.error =
        e instanceof SpdmError ? e : new SpdmError('Internal', 'emu deframer failed', { cause: e });
      this.body = undefined;
      if (packets.length === 0) throw this.error;
      at = chunk.length;
    }
    return { packets, used: at };
  }

  private takeHeader(chunk: Uint8Array, at: number, packets: EmuPacket[]): number {
    const n = Math.min(EMU_HEADER_SIZE - this.headerFill, chunk.length - at);
    this.header.set(chunk.subarray(at, at + n), this.headerFill);
    this.headerFill += n;
    if (this.headerFill < EMU_HEADER_SIZE) return at + n;
    const v = new DataView(this.header.buffer);
    this.command = v.getUint32(0, false);
    this.type = v.getUint32(4, false);
    const size = v.getUint32(8, false);
    if (this.transportType !== undefined && this.type !== this.transportType) {
      throw new SpdmError(
        'Transport',
        `spdm-emu: peer sent TransportType ${this.type} (${emuTransportName(this.type)}), ` +
          `this end uses ${this.transportType} (${emuTransportName(this.transportType)})`,
      );
    }
    if (size > this.maxPayloadSize) {
      throw new SpdmError(
        'TooLarge',
        `spdm-emu: peer announced a ${size}-byte ${emuCommandName(this.command)} payload, the limit is ${this.maxPayloadSize}`,
      );
    }
    if (size === 0) this.emit(new Uint8Array(0), packets);
    else {
      this.body = new Uint8Array(size);
      this.bodyFill = 0;
    }
    return at + n;
  }

  private takeBody(chunk: Uint8Array, at: number, packets: EmuPacket[]): number {
    const body = this.body!;
    const n = Math.min(body.length - this.bodyFill, chunk.length - at);
    body.set(chunk.subarray(at, at + n), this.bodyFill);
    this.bodyFill += n;
    if (this.bodyFill === body.length) this.emit(body, packets);
    return at + n;
  }

  private emit(payload: Uint8Array, packets: EmuPacket[]): void {
    packets.push({ command: this.command, transportType: this.type, payload });
    this.body = undefined;
    this.bodyFill = 0;
    this.headerFill = 0;
  }
}

/**
 * Decodes exactly one whole packet (`bytes` must hold nothing else).
 * @throws SpdmError 'InvalidMsgSize' (truncated or trailing bytes), or as EmuDeframer.push.
 */
export function decodeEmuPacket(bytes: Uint8Array, init: EmuDeframerInit = {}): EmuPacket {
  const d = new EmuDeframer(init);
  const packets = d.push(bytes);
  if (d.failure !== undefined) throw d.failure;
  if (packets.length !== 1 || d.partial() !== undefined) {
    throw new SpdmError(
      'InvalidMsgSize',
      `spdm-emu: expected exactly one packet in ${bytes.length} byte(s), got ${packets.length}` +
        (d.partial() === undefined ? '' : ' and an incomplete one'),
    );
  }
  return packets[0]!;
}

function noSecured(transport: EmuTransport): SpdmError {
  return new SpdmError(
    'Transport',
    `spdm-emu ${transport.toUpperCase()} transport cannot carry ${transport === 'none' ? 'secured records (spdm_transport_none_lib has no session support)' : 'this frame'}`,
  );
}

/**
 * The NORMAL payload for a frame on `transport` (spdm-reference.md §6.1-6.3). Control frames
 * (RoleInquiry, DSP0287 errors) exist only on TCP; secured records not on NONE.
 * @throws SpdmError 'Transport' for a frame the transport cannot carry or an empty message;
 *   'TooLarge' when a DSP0287 frame cannot describe the payload.
 */
export function encodeEmuPayload(transport: EmuTransport, frame: Frame): Uint8Array {
  if (transport === 'tcp') {
    return isDataFrame(frame) ? encodeFrame('dsp0287', frame.type, frame.payload) : encodeControlFrame(frame);
  }
  if (!isDataFrame(frame)) throw noSecured(transport);
  if (frame.payload.length === 0) throw new SpdmError('Transport', 'spdm-emu: cannot send an empty message');
  if (transport === 'none') {
    if (frame.type !== 'spdm') throw noSecured(transport);
    return frame.payload;
  }
  if (transport !== 'mctp') throw new TypeError(`unknown spdm-emu transport: ${String(transport)}`);
  const out = new Uint8Array(1 + frame.payload.length);
  out[0] = frame.type === 'spdm' ? MCTP_MESSAGE_TYPE.SPDM : MCTP_MESSAGE_TYPE.SECURED_SPDM;
  out.set(frame.payload, 1);
  return out;
}

function decodeMctp(payload: Uint8Array): Frame {
  if (payload.length < 2) {
    throw new SpdmError('Transport', `spdm-emu MCTP: a ${payload.length}-byte payload holds no message`);
  }
  const t = payload[0]!;
  let type: DataFrameType;
  if (t === MCTP_MESSAGE_TYPE.SPDM) type = 'spdm';
  else if (t === MCTP_MESSAGE_TYPE.SECURED_SPDM) type = 'secured';
  else {
    throw new SpdmError(
      'Transport',
      `spdm-emu MCTP: message type 0x${t.toString(16).padStart(2, '0')} is neither SPDM nor secured SPDM`,
    );
  }
  return { type, payload: payload.subarray(1) };
}

function decodeTcp(payload: Uint8Array): Frame {
  if (payload.length < dsp0287Rules.headerSize) {
    throw new SpdmError(
      'Transport',
      `spdm-emu TCP: a ${payload.length}-byte payload holds no DSP0287 header`,
    );
  }
  const parsed = dsp0287Rules.parseHeader(payload.subarray(0, dsp0287Rules.headerSize));
  if (parsed.kind === 'control') {
    if (payload.length !== dsp0287Rules.headerSize) {
      throw new SpdmError('Transport', 'spdm-emu TCP: bytes after a payload-less DSP0287 message');
    }
    return parsed.frame;
  }
  const announced = dsp0287Rules.headerSize + parsed.payloadSize;
  if (announced !== payload.length) {
    throw new SpdmError(
      'Transport',
      `spdm-emu TCP: DSP0287 header announces a ${announced}-byte frame in a ${payload.length}-byte payload`,
    );
  }
  return { type: parsed.type, payload: payload.subarray(dsp0287Rules.headerSize) };
}

/**
 * The frame a NORMAL payload carries on `transport` (a view into `payload`, not a copy).
 * @throws SpdmError 'Transport' for an empty payload, an MCTP type other than 0x05/0x06, or a
 *   DSP0287 frame that is malformed or whose length disagrees with PayloadSize.
 */
export function decodeEmuPayload(transport: EmuTransport, payload: Uint8Array): Frame {
  if (transport === 'mctp') return decodeMctp(payload);
  if (transport === 'tcp') return decodeTcp(payload);
  if (transport !== 'none') throw new TypeError(`unknown spdm-emu transport: ${String(transport)}`);
  if (payload.length === 0) throw new SpdmError('Transport', 'spdm-emu NONE: empty NORMAL payload');
  return { type: 'spdm', payload };
}
