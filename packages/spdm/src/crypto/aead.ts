/**
 * AEAD for secured messages (DSP0277 1.2 §6; spdm-reference §5): AES-128-GCM, AES-256-GCM and
 * ChaCha20-Poly1305 on node:crypto, 12-byte nonce, 16-byte tag, and `AeadKeys`, the key + IV
 * pair of one direction, which zeroes itself on destroy() and never prints its bytes.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { inspect } from 'node:util';
import { SpdmError } from '../errors.js';
import { ERROR_CODE } from '../msgs/codes.js';
import { type AeadInfo, aeadInfo } from './algorithms.js';

/** An AEAD suite bit (DSP0274 1.3 Table 23) or its descriptor. */
export type AeadLike = number | AeadInfo;

/**
 * The descriptor of an AEAD selection.
 * @throws RangeError for SM4-GCM or an unknown bit.
 */
export function resolveAead(a: AeadLike): AeadInfo {
  return typeof a === 'number' ? aeadInfo(a) : a;
}

/**
 * The encryption key and IV ("salt" in libspdm) of one direction of a session. Owns its
 * buffers: the constructor takes them without copying and destroy() zeroes them.
 */
export class AeadKeys {
  readonly aead: AeadInfo;
  #key: Uint8Array;
  #iv: Uint8Array;
  #destroyed = false;

  /** @throws RangeError when the key or IV size does not fit the suite. */
  constructor(aead: AeadLike, key: Uint8Array, iv: Uint8Array) {
    this.aead = resolveAead(aead);
    if (key.length !== this.aead.keySize || iv.length !== this.aead.ivSize) {
      throw new RangeError(`AeadKeys: ${this.aead.name} needs a ${this.aead.keySize}-byte key, 12-byte IV`);
    }
    this.#key = key;
    this.#iv = iv;
  }

  /** @throws RangeError after destroy(). */
  get key(): Uint8Array {
    if (this.#destroyed) throw new RangeError('AeadKeys used after destroy()');
    return this.#key;
  }

  /** @throws RangeError after destroy(). */
  get iv(): Uint8Array {
    if (this.#destroyed) throw new RangeError('AeadKeys used after destroy()');
    return this.#iv;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Zeroes key and IV; further use throws. */
  destroy(): void {
    this.#key.fill(0);
    this.#iv.fill(0);
    this.#destroyed = true;
  }

  [inspect.custom](): string {
    return `AeadKeys { aead: '${this.aead.name}', key: [redacted], iv: [redacted] }`;
  }

  toJSON(): { aead: string } {
    return { aead: this.aead.name };
  }
}

function cipherOf(aead: AeadInfo, key: Uint8Array, nonce: Uint8Array) {
  const opts = { authTagLength: aead.tagSize };
  // Two calls so each picks its typed overload; both AEADs expose the same methods.
  return aead.node === 'chacha20-poly1305'
    ? createCipheriv(aead.node, key, nonce, opts)
    : createCipheriv(aead.node, key, nonce, opts);
}

/** A view of `b` as a plain Uint8Array (no copy). */
function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** AEAD-encrypts `plaintext`; returns ciphertext (same length) and the 16-byte tag. */
export function aeadSeal(
  aead: AeadInfo,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): { ciphertext: Uint8Array; tag: Uint8Array } {
  const c = cipherOf(aead, key, nonce);
  c.setAAD(aad, { plaintextLength: plaintext.length });
  const head = c.update(plaintext);
  const tail = c.final();
  const ciphertext = tail.length === 0 ? view(head) : new Uint8Array(Buffer.concat([head, tail]));
  return { ciphertext, tag: view(c.getAuthTag()) };
}

/**
 * AEAD-encrypts the concatenation of `parts` straight into `out` at `offset`, followed by the
 * tag: no intermediate plaintext or ciphertext buffers beyond node's own output (the record
 * layer's hot path).
 * @returns the offset just past the tag.
 * @throws RangeError when `out` is too short.
 */
export function aeadSealInto(
  aead: AeadInfo,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  parts: readonly Uint8Array[],
  out: Uint8Array,
  offset: number,
): number {
  let total = 0;
  for (const p of parts) total += p.length;
  if (offset + total + aead.tagSize > out.length) throw new RangeError('aeadSealInto: output too short');
  const c = cipherOf(aead, key, nonce);
  c.setAAD(aad, { plaintextLength: total });
  let at = offset;
  for (const p of parts) {
    if (p.length === 0) continue;
    const enc = c.update(p);
    out.set(enc, at);
    at += enc.length;
  }
  const tail = c.final();
  out.set(tail, at);
  at += tail.length;
  out.set(c.getAuthTag(), at);
  return at + aead.tagSize;
}

/**
 * AEAD-decrypts; returns the plaintext (caller zeroes it when done). Nothing is returned, and
 * the decrypted bytes are zeroed, unless the tag verifies.
 * @throws SpdmError('VerifyFailed', wire DecryptError) when the tag does not verify.
 */
export function aeadOpen(
  aead: AeadInfo,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
): Uint8Array {
  const opts = { authTagLength: aead.tagSize };
  const d =
    aead.node === 'chacha20-poly1305'
      ? createDecipheriv(aead.node, key, nonce, opts)
      : createDecipheriv(aead.node, key, nonce, opts);
  d.setAAD(aad, { plaintextLength: ciphertext.length });
  d.setAuthTag(tag);
  const head = d.update(ciphertext);
  let tail: Buffer;
  try {
    tail = d.final();
  } catch (e) {
    head.fill(0);
    throw new SpdmError('VerifyFailed', 'secured message: AEAD tag mismatch', {
      wireCode: ERROR_CODE.DecryptError,
      cause: e,
    });
  }
  if (tail.length === 0) return view(head);
  const out = new Uint8Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  head.fill(0);
  tail.fill(0);
  return out;
}
