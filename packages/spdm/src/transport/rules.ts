/**
 * What a framing must tell the generic Deframer and encoder: header size, the frame size the
 * first two header bytes announce (checked against the limit before anything is allocated),
 * how a complete header classifies the frame, and how to write a header.
 */
import type { BindingErrorFrame, DataFrameType, Framing, RoleInquiryFrame } from './frame.js';

/** A complete header, classified. */
export type ParsedHeader =
  | { readonly kind: 'data'; readonly type: DataFrameType; readonly payloadSize: number }
  | { readonly kind: 'control'; readonly frame: RoleInquiryFrame | BindingErrorFrame };

export interface FramingRules {
  readonly framing: Framing;
  /** Bytes of header before the payload. */
  readonly headerSize: number;
  /** Largest payload the length field can describe. */
  readonly maxPayloadSize: number;
  /** Total frame size (header included) announced by the first two bytes of the header. */
  announcedFrameSize(b0: number, b1: number): number;
  /**
   * Classifies a complete header (`h.length === headerSize`).
   * @throws SpdmError 'Transport' for a header this framing does not allow.
   */
  parseHeader(h: Uint8Array): ParsedHeader;
  /**
   * Writes the header for a data frame of `payloadSize` bytes into `out[0..headerSize)`.
   * @throws SpdmError 'Transport' when the framing cannot carry `type`.
   */
  writeHeader(out: Uint8Array, type: DataFrameType, payloadSize: number): void;
}
