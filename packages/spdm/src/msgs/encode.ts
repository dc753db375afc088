/** Encodes one message into a fresh Uint8Array with its `encodeX(w, m)` function. */
import { ByteWriter } from '../codec/writer.js';

/** @throws whatever `encode` throws on misuse (TypeError / RangeError). */
export function encodeToBytes<T>(encode: (w: ByteWriter, m: T) => void, m: T): Uint8Array {
  const w = new ByteWriter(64);
  encode(w, m);
  return w.finish();
}
