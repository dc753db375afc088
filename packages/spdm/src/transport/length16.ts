/**
 * The framing of the original Oxide trust-quorum design (omicron sled-agent, 2021): a u16
 * BIG-endian length, then the bare SPDM message. It has no message type, so it carries plain
 * (out-of-session) SPDM only; secured records need DSP0287.
 */
import { SpdmError } from '../errors.js';
import type { FramingRules, ParsedHeader } from './rules.js';

/** Size of the length16 header. */
export const LENGTH16_HEADER_SIZE = 2;

function parseHeader(h: Uint8Array): ParsedHeader {
  const length = (h[0]! << 8) | h[1]!;
  if (length === 0) throw new SpdmError('Transport', 'length16: zero-length frame');
  return { kind: 'data', type: 'spdm', payloadSize: length };
}

/** length16 rules for the generic Deframer / encoder. */
export const length16Rules: FramingRules = {
  framing: 'length16',
  headerSize: LENGTH16_HEADER_SIZE,
  maxPayloadSize: 0xffff,
  announcedFrameSize: (b0, b1) => ((b0 << 8) | b1) + LENGTH16_HEADER_SIZE,
  parseHeader,
  writeHeader(out, type, payloadSize) {
    if (type !== 'spdm') {
      throw new SpdmError(
        'Transport',
        'length16 framing carries plain SPDM messages only; secured records need dsp0287',
      );
    }
    out[0] = payloadSize >>> 8;
    out[1] = payloadSize & 0xff;
  },
};
