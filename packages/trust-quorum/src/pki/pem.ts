/**
 * PEM (RFC 7468) encoding and decoding. Private keys are encoded straight into bytes, never
 * into a JS string, so the caller can zero every copy after writing the file (strings cannot
 * be wiped). Certificates are public and go through ordinary strings.
 */

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_CODES = Uint8Array.from(B64, (c) => c.charCodeAt(0));
const EQ = 0x3d;
const NL = 0x0a;
/** RFC 7468 §2: lines of exactly 64 base64 characters, the last one shorter. */
const LINE = 64;

/**
 * RFC 7468 textual encoding of `der` under `label` ("CERTIFICATE", "PRIVATE KEY"), as bytes.
 * The result holds a copy of `der` in base64: zero it (`.fill(0)`) when it held a secret.
 */
export function pemBytes(label: string, der: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(`-----BEGIN ${label}-----\n`);
  const tail = new TextEncoder().encode(`-----END ${label}-----\n`);
  const chars = Math.ceil(der.length / 3) * 4;
  const lines = Math.ceil(chars / LINE);
  const out = new Uint8Array(head.length + chars + lines + tail.length);
  out.set(head, 0);
  let o = head.length;
  let col = 0;
  const put = (code: number) => {
    out[o++] = code;
    if (++col === LINE) {
      out[o++] = NL;
      col = 0;
    }
  };
  for (let i = 0; i < der.length; i += 3) {
    const n = (der[i]! << 16) | ((der[i + 1] ?? 0) << 8) | (der[i + 2] ?? 0);
    put(B64_CODES[(n >> 18) & 63]!);
    put(B64_CODES[(n >> 12) & 63]!);
    put(i + 1 < der.length ? B64_CODES[(n >> 6) & 63]! : EQ);
    put(i + 2 < der.length ? B64_CODES[n & 63]! : EQ);
  }
  if (col !== 0) out[o++] = NL;
  out.set(tail, o);
  return out;
}

/** PEM text of a public object (certificate). */
export function pemString(label: string, der: Uint8Array): string {
  return new TextDecoder().decode(pemBytes(label, der));
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]*?)-----END \1-----\r?\n?/g;

/**
 * The DER contents of every `label` block in `text`, in order. Anything but whitespace
 * between blocks, or a block with another label, is refused.
 * @throws {RangeError} when the text is not a clean sequence of `label` blocks.
 */
export function pemDecodeAll(text: string, label: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  let last = 0;
  for (const m of text.matchAll(BLOCK)) {
    if (text.slice(last, m.index).trim() !== '') throw new RangeError('text outside PEM blocks');
    if (m[1] !== label) throw new RangeError(`unexpected PEM block "${m[1]}" (expected "${label}")`);
    out.push(new Uint8Array(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64')));
    last = m.index + m[0].length;
  }
  if (text.slice(last).trim() !== '') throw new RangeError('text outside PEM blocks');
  return out;
}
