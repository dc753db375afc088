/**
 * The unit the SPDM transports carry: a Frame, tagged by what it holds. Plain SPDM messages
 * and DSP0277 secured-message records are data frames; RoleInquiry and the binding error
 * messages exist only in the DSP0287 framing and carry no payload.
 */
import { SpdmError } from '../errors.js';

/** How frames are delimited on a byte stream. */
export type Framing =
  /** DMTF DSP0287 1.0 (SPDM over TCP): 4-byte binding header. The default. */
  | 'dsp0287'
  /** The original Oxide trust-quorum framing: u16 big-endian length, bare SPDM message. */
  | 'length16';

/** Types of frame that carry a payload. */
export type DataFrameType = 'spdm' | 'secured';

/** An out-of-session SPDM message or a secured-message record. */
export interface DataFrame {
  readonly type: DataFrameType;
  /** The SPDM message (type 'spdm') or the whole DSP0277 record (type 'secured'). */
  readonly payload: Uint8Array;
}

/** DSP0287 RoleInquiry (MessageType 0xBF): asks the peer which SPDM role it plays. */
export interface RoleInquiryFrame {
  readonly type: 'role-inquiry';
  /** Always empty. */
  readonly payload: Uint8Array;
}

/** DSP0287 error message (MessageType 0xC0-0xFF) sent by the peer. */
export interface BindingErrorFrame {
  readonly type: 'binding-error';
  /** The MessageType byte, 0xC0-0xFF. */
  readonly code: number;
  /** Always empty. */
  readonly payload: Uint8Array;
}

export type Frame = DataFrame | RoleInquiryFrame | BindingErrorFrame;
export type FrameType = Frame['type'];

/** True for frames that carry a payload ('spdm' and 'secured'). */
export function isDataFrame(f: Frame): f is DataFrame {
  return f.type === 'spdm' || f.type === 'secured';
}

/** Names of the DSP0287 error message types libspdm defines (spdm_tcp_binding.h). */
const BINDING_ERROR_NAMES: Readonly<Record<number, string>> = {
  192: 'message too large',
  193: 'not supported',
  194: 'cannot operate as requester',
  195: 'cannot operate as responder',
};

/** Human-readable name of a DSP0287 error message type ("reserved" for 0xC4-0xFF). */
export function bindingErrorName(code: number): string {
  return BINDING_ERROR_NAMES[code] ?? 'reserved error';
}

/**
 * The SpdmError that a peer's DSP0287 error message means to a caller that expected data.
 * Code 'Peer'; the message names the binding error (0xC0 "message too large", ...).
 */
export function bindingErrorToSpdmError(f: BindingErrorFrame): SpdmError {
  const hex = f.code.toString(16).padStart(2, '0');
  return new SpdmError('Peer', `peer sent DSP0287 error message 0x${hex} (${bindingErrorName(f.code)})`);
}

/** Short description of a frame for error messages (never its payload bytes). */
export function describeFrame(f: Frame): string {
  if (f.type === 'binding-error') return `DSP0287 error 0x${f.code.toString(16)}`;
  if (f.type === 'role-inquiry') return 'DSP0287 RoleInquiry';
  return `${f.type === 'spdm' ? 'plain SPDM message' : 'secured record'} of ${f.payload.length} byte(s)`;
}
