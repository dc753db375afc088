/**
 * What an SPDM signature is computed over (DSP0274 1.3 §15 "Signature generation";
 * spdm-reference §3.3).
 *
 * SPDM 1.2+: the message handed to the signature primitive is the 100-byte signing context
 * followed by Hash(T):
 *   64 bytes  "dmtf-spdm-v1.V.*" four times (V = negotiated minor version),
 *   36 - n    zero bytes,
 *   n bytes   the context string (ASCII, no terminator),
 * then Hash(T) with BaseHashAlgo (H bytes). ECDSA/RSA hash these 100 + H bytes once more as part
 * of signing; Ed25519 signs them as they are.
 *
 * SPDM 1.0/1.1: no context; the message is the transcript T itself, and the signer hashes T with
 * BaseHashAlgo as part of ECDSA/RSA signing (Hash(T) is never formed separately).
 */
import { SpdmError } from '../errors.js';
import { type HashLike, hash, resolveHash } from './hash.js';

/** Context strings of DSP0274 1.3 Table "SPDM signing context strings" (spdm-reference §3.3). */
export const SIGNING_CONTEXT = {
  RESPONDER_CHALLENGE_AUTH: 'responder-challenge_auth signing',
  REQUESTER_CHALLENGE_AUTH: 'requester-challenge_auth signing',
  RESPONDER_MEASUREMENTS: 'responder-measurements signing',
  RESPONDER_KEY_EXCHANGE_RSP: 'responder-key_exchange_rsp signing',
  REQUESTER_FINISH: 'requester-finish signing',
  RESPONDER_ENDPOINT_INFO: 'responder-endpoint_info signing',
  REQUESTER_ENDPOINT_INFO: 'requester-endpoint_info signing',
} as const;
export type SigningContextString = (typeof SIGNING_CONTEXT)[keyof typeof SIGNING_CONTEXT];

/** Size of the signing context that precedes Hash(T) in 1.2+. */
export const SIGNING_CONTEXT_SIZE = 100;
const PREFIX_SIZE = 64;

/** True for SPDMVersion bytes whose signatures carry the 100-byte context (1.2 and later). */
export function usesSigningContext(version: number): boolean {
  return version >= 0x12;
}

function checkVersion(version: number): void {
  if (!Number.isInteger(version) || version < 0x10 || version > 0x1f) {
    throw new RangeError(`not an SPDM 1.x version byte: ${version}`);
  }
}

/**
 * The 100-byte signing context for an SPDM 1.2+ version byte (0x12, 0x13, ...).
 * @throws RangeError for a version below 1.2 or a context string longer than 36 bytes.
 */
export function signingContext(version: number, contextString: string): Uint8Array {
  checkVersion(version);
  if (!usesSigningContext(version)) throw new RangeError('SPDM 1.0/1.1 signatures have no signing context');
  const ctx = Buffer.from(contextString, 'ascii');
  if (ctx.length > SIGNING_CONTEXT_SIZE - PREFIX_SIZE)
    throw new RangeError('signing context string too long');
  const out = new Uint8Array(SIGNING_CONTEXT_SIZE);
  const block = Buffer.from(`dmtf-spdm-v${version >> 4}.${version & 0xf}.*`, 'ascii');
  for (let i = 0; i < 4; i++) out.set(block, i * block.length);
  out.set(ctx, SIGNING_CONTEXT_SIZE - ctx.length);
  return out;
}

/**
 * The bytes to sign or verify for SPDM 1.2+ given Hash(T): context ‖ Hash(T).
 * @throws RangeError for a version below 1.2 (those sign T itself: use `signedMessage`).
 */
export function signedMessageFromHash(
  version: number,
  contextString: SigningContextString,
  transcriptHash: Uint8Array,
): Uint8Array {
  const ctx = signingContext(version, contextString);
  const out = new Uint8Array(ctx.length + transcriptHash.length);
  out.set(ctx, 0);
  out.set(transcriptHash, ctx.length);
  return out;
}

/** A transcript as bytes, or anything that can give its bytes and its hash (a `Transcript`). */
export type TranscriptLike = Uint8Array | { bytes(): Uint8Array; hash(): Uint8Array };

/**
 * The bytes handed to `signSpdm` / `verifySpdm` for transcript T:
 *  - 1.2+: signing context ‖ Hash(T) (100 + H bytes; `hash` is BaseHashAlgo);
 *  - 1.0/1.1: T itself (the signature algorithm hashes it with BaseHashAlgo).
 * For a `Transcript` object its own hash is used (it must be of the same algorithm).
 * @throws RangeError for a non-1.x version byte.
 * @throws SpdmError('Internal') when a Transcript's hash size differs from `hash`.
 */
export function signedMessage(
  version: number,
  contextString: SigningContextString,
  hashAlg: HashLike,
  transcript: TranscriptLike,
): Uint8Array {
  checkVersion(version);
  if (!usesSigningContext(version)) {
    return transcript instanceof Uint8Array ? transcript.slice() : transcript.bytes();
  }
  const th = transcript instanceof Uint8Array ? hash(hashAlg, transcript) : transcript.hash();
  if (th.length !== resolveHash(hashAlg).size)
    throw new SpdmError('Internal', 'transcript hash algorithm differs from BaseHashAlgo');
  return signedMessageFromHash(version, contextString, th);
}
