/**
 * Framing of SPDM messages on a byte stream: `encodeFrame` and a streaming `Deframer` for the
 * two framings, DSP0287 (default; see dsp0287.ts) and length16 (see length16.ts).
 *
 * The Deframer keeps only the unread tail of the stream (conventions #5, after websockets/ws
 * receiver.js): a fixed header buffer, then, once the header has been validated, one buffer of
 * exactly the announced payload size. The announced size is checked against `maxFrameSize` as
 * soon as the two length bytes are in, before anything is allocated, so a peer can never make
 * it hold more than one maximum-size frame.
 */
import { SpdmError } from '../errors.js';
import { dsp0287Rules, encodeControlFrame } from './dsp0287.js';
import { type DataFrameType, type Frame, type Framing, isDataFrame } from './frame.js';
import { length16Rules } from './length16.js';
import type { FramingRules } from './rules.js';

/** Default payload limit: 64 KiB (the frame limit adds the framing's header). */
export const DEFAULT_MAX_PAYLOAD_SIZE = 64 * 1024;

/** The rules object of a framing. @throws TypeError for an unknown framing name. */
export function framingRules(framing: Framing): FramingRules {
  if (framing === 'dsp0287') return dsp0287Rules;
  if (framing === 'length16') return length16Rules;
  throw new TypeError(`unknown framing: ${String(framing)}`);
}

/** Header size of a framing (4 for dsp0287, 2 for length16). */
export function headerSize(framing: Framing): number {
  return framingRules(framing).headerSize;
}

/** Default `maxFrameSize` of a framing: 64 KiB of payload plus its header. */
export function defaultMaxFrameSize(framing: Framing): number {
  return DEFAULT_MAX_PAYLOAD_SIZE + headerSize(framing);
}

/**
 * Validates a `maxFrameSize` option (total frame bytes, header included).
 * @throws RangeError unless it is an integer that leaves room for at least one payload byte.
 */
export function checkMaxFrameSize(framing: Framing, maxFrameSize: number | undefined): number {
  if (maxFrameSize === undefined) return defaultMaxFrameSize(framing);
  const min = headerSize(framing) + 1;
  if (!Number.isSafeInteger(maxFrameSize) || maxFrameSize < min) {
    throw new RangeError(`maxFrameSize must be an integer >= ${min}, got ${maxFrameSize}`);
  }
  return maxFrameSize;
}

/**
 * Encodes one data frame: header ‖ payload (a new buffer).
 * @throws SpdmError 'Transport' for an empty payload, or a secured record on length16.
 * @throws SpdmError 'TooLarge' when the length field cannot describe the payload.
 */
export function encodeFrame(framing: Framing, type: DataFrameType, payload: Uint8Array): Uint8Array {
  const rules = checkedRules(framing, type, payload);
  const out = new Uint8Array(rules.headerSize + payload.length);
  rules.writeHeader(out, type, payload.length);
  out.set(payload, rules.headerSize);
  return out;
}

/** Payloads from this size on go out as [header, payload] (no copy): see encodeFrameParts. */
export const SEPARATE_PAYLOAD_SIZE = 8 * 1024;

/**
 * A frame as the buffers to write in order: one joined buffer for a small frame, or the header
 * and `payload` itself (not copied: it must stay unchanged until written) for a data frame of
 * SEPARATE_PAYLOAD_SIZE bytes or more, for a vectored write.
 * @throws as encodeAnyFrame.
 */
export function encodeFrameParts(framing: Framing, frame: Frame): Uint8Array[] {
  if (!isDataFrame(frame) || frame.payload.length < SEPARATE_PAYLOAD_SIZE) {
    return [encodeAnyFrame(framing, frame)];
  }
  const rules = checkedRules(framing, frame.type, frame.payload);
  const header = new Uint8Array(rules.headerSize);
  rules.writeHeader(header, frame.type, frame.payload.length);
  return [header, frame.payload];
}

function checkedRules(framing: Framing, type: DataFrameType, payload: Uint8Array): FramingRules {
  const rules = framingRules(framing);
  if (type !== 'spdm' && type !== 'secured') throw new TypeError(`not a data frame type: ${String(type)}`);
  if (payload.length === 0) throw new SpdmError('Transport', `${framing}: cannot send an empty message`);
  if (payload.length > rules.maxPayloadSize) {
    throw new SpdmError(
      'TooLarge',
      `${framing}: a ${payload.length}-byte payload exceeds the framing maximum of ${rules.maxPayloadSize}`,
    );
  }
  return rules;
}

/**
 * Encodes any frame. Control frames exist only in dsp0287.
 * @throws SpdmError as encodeFrame; 'Transport' for a control frame on length16.
 */
export function encodeAnyFrame(framing: Framing, frame: Frame): Uint8Array {
  if (isDataFrame(frame)) return encodeFrame(framing, frame.type, frame.payload);
  if (framing !== 'dsp0287') {
    throw new SpdmError('Transport', `${framing} framing cannot carry a DSP0287 ${frame.type} message`);
  }
  return encodeControlFrame(frame);
}

/** Options of a Deframer. */
export interface DeframerInit {
  /** Largest total frame (header included) accepted; default 64 KiB + header. */
  maxFrameSize?: number;
}

/** Where an incomplete frame stands (for "closed mid-frame" messages). */
export interface PartialFrame {
  /** Bytes of the frame received so far (header included). */
  readonly received: number;
  /** Total size of the frame, once the header says it. */
  readonly expected: number | undefined;
}

/**
 * Streaming deframer: feed it chunks in arrival order, get complete frames back.
 *
 * Errors are SpdmError 'TooLarge' (announced size over maxFrameSize) or 'Transport' (a
 * header the framing forbids). After an error the deframer is dead: every later push throws
 * the same error. When one push completes frames and then meets an error, it returns those
 * frames, records the error in `failure`, and the next push throws it.
 */
export class Deframer {
  readonly framing: Framing;
  readonly maxFrameSize: number;
  private readonly rules: FramingRules;
  private readonly header: Uint8Array;
  private headerFill = 0;
  private sizeChecked = false;
  private body: Uint8Array | undefined;
  private bodyType: DataFrameType = 'spdm';
  private bodyFill = 0;
  private error: SpdmError | undefined;

  /** @throws RangeError for a bad maxFrameSize; TypeError for an unknown framing. */
  constructor(framing: Framing = 'dsp0287', init: DeframerInit = {}) {
    this.rules = framingRules(framing);
    this.framing = framing;
    this.maxFrameSize = checkMaxFrameSize(framing, init.maxFrameSize);
    this.header = new Uint8Array(this.rules.headerSize);
  }

  /** The error that killed this deframer, if any. */
  get failure(): SpdmError | undefined {
    return this.error;
  }

  /** Bytes held for the frame in progress (never more than maxFrameSize). */
  get bufferedBytes(): number {
    return this.headerFill + this.bodyFill;
  }

  /** The incomplete frame in progress, or undefined when the stream is between frames. */
  partial(): PartialFrame | undefined {
    if (this.headerFill === 0) return undefined;
    if (this.body !== undefined) {
      return {
        received: this.headerFill + this.bodyFill,
        expected: this.rules.headerSize + this.body.length,
      };
    }
    const expected =
      this.headerFill >= 2
        ? Math.max(this.rules.headerSize, this.rules.announcedFrameSize(this.header[0]!, this.header[1]!))
        : undefined;
    return { received: this.headerFill, expected };
  }

  /**
   * Consumes a chunk; returns the frames it completed (payloads are fresh buffers).
   * @throws SpdmError 'TooLarge' | 'Transport' (see the class comment).
   */
  push(chunk: Uint8Array): Frame[] {
    return this.pushSome(chunk, Number.POSITIVE_INFINITY).frames;
  }

  /**
   * Like push, but stops as soon as `maxFrames` frames are complete: `used` says how many bytes
   * of `chunk` were consumed, and the rest is for a later call (how a connection applies
   * backpressure without deframing more than it can hold). After an error `used` is the whole chunk.
   * @throws SpdmError 'TooLarge' | 'Transport' (see the class comment).
   */
  pushSome(chunk: Uint8Array, maxFrames: number): { frames: Frame[]; used: number } {
    if (this.error !== undefined) throw this.error;
    if (!(chunk instanceof Uint8Array)) throw new TypeError('Deframer.push: chunk must be a Uint8Array');
    const frames: Frame[] = [];
    let at = 0;
    try {
      while (at < chunk.length && frames.length < maxFrames) {
        at = this.body === undefined ? this.takeHeader(chunk, at, frames) : this.takeBody(chunk, at, frames);
      }
    } catch (e) {
      this.error =
        e instanceof SpdmError ? e : new SpdmError('Internal', 'deframer failed unexpectedly', { cause: e });
      this.release();
      if (frames.length === 0) throw this.error;
      at = chunk.length;
    }
    return { frames, used: at };
  }

  private takeHeader(chunk: Uint8Array, at: number, frames: Frame[]): number {
    const n = Math.min(this.header.length - this.headerFill, chunk.length - at);
    this.header.set(chunk.subarray(at, at + n), this.headerFill);
    this.headerFill += n;
    if (!this.sizeChecked && this.headerFill >= 2) {
      this.checkAnnouncedSize();
      this.sizeChecked = true;
    }
    if (this.headerFill < this.header.length) return at + n;
    const parsed = this.rules.parseHeader(this.header);
    if (parsed.kind === 'control') {
      frames.push(parsed.frame);
      this.resetHeader();
    } else {
      // Handed out only once every byte has arrived, so it need not be zeroed first.
      const b = Buffer.allocUnsafeSlow(parsed.payloadSize);
      this.body = new Uint8Array(b.buffer, b.byteOffset, parsed.payloadSize);
      this.bodyType = parsed.type;
      this.bodyFill = 0;
    }
    return at + n;
  }

  private checkAnnouncedSize(): void {
    const size = this.rules.announcedFrameSize(this.header[0]!, this.header[1]!);
    if (size > this.maxFrameSize) {
      throw new SpdmError(
        'TooLarge',
        `${this.framing}: peer announced a ${size}-byte frame, the limit is ${this.maxFrameSize}`,
      );
    }
  }

  private takeBody(chunk: Uint8Array, at: number, frames: Frame[]): number {
    const body = this.body!;
    const n = Math.min(body.length - this.bodyFill, chunk.length - at);
    body.set(chunk.subarray(at, at + n), this.bodyFill);
    this.bodyFill += n;
    if (this.bodyFill === body.length) {
      frames.push({ type: this.bodyType, payload: body });
      this.body = undefined;
      this.bodyFill = 0;
      this.resetHeader();
    }
    return at + n;
  }

  private resetHeader(): void {
    this.headerFill = 0;
    this.sizeChecked = false;
  }

  private release(): void {
    this.body = undefined;
    this.bodyFill = 0;
    this.resetHeader();
  }
}
