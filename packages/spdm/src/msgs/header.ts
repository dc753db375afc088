/**
 * The 4-byte header every SPDM message starts with (DSP0274 1.3 §10.1, Table 5):
 * SPDMVersion, RequestResponseCode, Param1, Param2.
 */
import { ByteReader } from '../codec/reader.js';
import type { ByteWriter } from '../codec/writer.js';
import { SpdmError } from '../errors.js';

export interface Header {
  readonly version: number;
  readonly code: number;
  readonly param1: number;
  readonly param2: number;
}

export const HEADER_SIZE = 4;

export function encodeHeader(w: ByteWriter, h: Header): void {
  w.u8(h.version).u8(h.code).u8(h.param1).u8(h.param2);
}

export function decodeHeader(r: ByteReader): Header {
  const version = r.u8('SPDMVersion');
  const code = r.u8('RequestResponseCode');
  const param1 = r.u8('Param1');
  const param2 = r.u8('Param2');
  return { version, code, param1, param2 };
}

/** Reads just the header of a complete message without consuming it. */
export function peekHeader(msg: Uint8Array): Header {
  if (msg.length < HEADER_SIZE) {
    throw new SpdmError('InvalidMsgSize', `message of ${msg.length} byte(s) is shorter than the header`, {
      wireCode: 0x01,
    });
  }
  return decodeHeader(new ByteReader(msg));
}

/** Throws InvalidMsgField unless the header carries the expected code. */
export function expectCode(h: Header, code: number, what: string): void {
  if (h.code !== code) {
    throw new SpdmError('InvalidMsgField', `${what}: unexpected code 0x${h.code.toString(16)}`, {
      wireCode: 0x01,
    });
  }
}
