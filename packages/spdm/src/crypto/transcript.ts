/**
 * Transcripts: the concatenated SPDM messages that signatures, verify data and the key schedule
 * cover (DSP0274 1.3 §12 / §15; spdm-reference §3.1-§3.2).
 *
 * A `Transcript` keeps the bytes (SPDM 1.0/1.1 sign T itself) and a running hash (Hash(TH1) is
 * taken while the transcript keeps growing). The builders below assemble the session transcripts
 * of §3.2 from complete messages, cutting trailing Signature / VerifyData fields by size, so a
 * requester or responder phase and a test over recorded messages build them the same way.
 */
import { SpdmError } from '../errors.js';
import { ERROR_CODE } from '../msgs/codes.js';
import type { HashInfo } from './algorithms.js';
import { Hasher, type HashLike, resolveHash } from './hash.js';

/** Message bytes appended in wire order, with their running hash. */
export class Transcript {
  readonly info: HashInfo;
  #chunks: Uint8Array[] = [];
  #length = 0;
  #hasher: Hasher;

  /** @throws RangeError for an unsupported hash algorithm. */
  constructor(hash: HashLike, ...parts: Uint8Array[]) {
    this.info = resolveHash(hash);
    this.#hasher = new Hasher(this.info);
    this.append(...parts);
  }

  /** Appends copies of `parts` (callers may reuse their buffers afterwards). */
  append(...parts: Uint8Array[]): this {
    for (const p of parts) {
      this.#chunks.push(p.slice());
      this.#hasher.update(p);
      this.#length += p.length;
    }
    return this;
  }

  /** Number of bytes appended so far. */
  get length(): number {
    return this.#length;
  }

  /** The transcript bytes (a fresh copy). */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  /** Hash(T) of everything appended so far; the transcript stays open. */
  hash(): Uint8Array {
    return this.#hasher.digest();
  }

  /** An independent transcript with the same content. */
  fork(): Transcript {
    const t = new Transcript(this.info);
    t.#chunks = this.#chunks.slice();
    t.#length = this.#length;
    t.#hasher = this.#hasher.copy();
    return t;
  }
}

/**
 * `msg` without its last `n` bytes (a view), for cutting Signature / VerifyData off a message.
 * @throws SpdmError('InvalidMsgSize') when the message is not longer than its 4-byte header + n.
 */
export function withoutTrailing(msg: Uint8Array, n: number, what = 'message'): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || msg.length < 4 + n) {
    throw new SpdmError('InvalidMsgSize', `${what}: ${msg.length} bytes cannot carry ${n} trailing bytes`, {
      wireCode: ERROR_CODE.InvalidRequest,
    });
  }
  return msg.subarray(0, msg.length - n);
}

/** Inputs shared by every transcript of a KEY_EXCHANGE session (spdm-reference §3.2). */
export interface KeyExchangeTranscriptParts {
  readonly hash: HashLike;
  /** GET_VERSION ‖ VERSION ‖ GET_CAPABILITIES ‖ CAPABILITIES ‖ NEGOTIATE_ALGORITHMS ‖ ALGORITHMS. */
  readonly vca: Uint8Array;
  /** 1.3 responder multi-key connection: the first DIGESTS response after VCA ("message D"). */
  readonly messageD?: Uint8Array;
  /** Hash(Ct): hash of the responder's cert-chain structure (or of the raw key, slot 0xFF). */
  readonly certChainHash: Uint8Array;
  /** The complete KEY_EXCHANGE request. */
  readonly keyExchange: Uint8Array;
  /** The complete KEY_EXCHANGE_RSP. */
  readonly keyExchangeRsp: Uint8Array;
  /** S of the responder's BaseAsymAlgo. */
  readonly signatureSize: number;
  /** H, or 0 when both sides set HANDSHAKE_IN_THE_CLEAR_CAP (no ResponderVerifyData). */
  readonly responderVerifyDataSize: number;
}

/** VCA ‖ [message D] ‖ Hash(Ct): the start of every KEY_EXCHANGE session transcript. */
export function sessionTranscriptStart(
  p: Pick<KeyExchangeTranscriptParts, 'hash' | 'vca' | 'messageD' | 'certChainHash'>,
): Transcript {
  const t = new Transcript(p.hash, p.vca);
  if (p.messageD) t.append(p.messageD);
  return t.append(p.certChainHash);
}

/**
 * What the KEY_EXCHANGE_RSP signature covers: VCA ‖ Hash(Ct) ‖ KEY_EXCHANGE ‖ KEY_EXCHANGE_RSP
 * up to (not including) Signature.
 * @throws SpdmError('InvalidMsgSize') when KEY_EXCHANGE_RSP is too short for S (+ H).
 */
export function keyExchangeRspSignedTranscript(p: KeyExchangeTranscriptParts): Transcript {
  const cut = p.signatureSize + p.responderVerifyDataSize;
  return sessionTranscriptStart(p).append(
    p.keyExchange,
    withoutTrailing(p.keyExchangeRsp, cut, 'KEY_EXCHANGE_RSP'),
  );
}

/**
 * TH1: the signed transcript plus the Signature (KEY_EXCHANGE_RSP without ResponderVerifyData).
 * Hash(TH1) feeds the handshake secrets and ResponderVerifyData.
 * @throws SpdmError('InvalidMsgSize') when KEY_EXCHANGE_RSP is too short.
 */
export function th1Transcript(p: KeyExchangeTranscriptParts): Transcript {
  return sessionTranscriptStart(p).append(
    p.keyExchange,
    withoutTrailing(p.keyExchangeRsp, p.responderVerifyDataSize, 'KEY_EXCHANGE_RSP'),
  );
}

/** A KEY_EXCHANGE session up to FINISH. */
export interface FinishTranscriptParts extends KeyExchangeTranscriptParts {
  /** Hash(CM), the requester's cert-chain hash; present iff MutAuthRequested ≠ 0. */
  readonly requesterCertChainHash?: Uint8Array;
  /** 1.3 requester multi-key connection: the encapsulated DIGESTS response, before Hash(CM). */
  readonly requesterMessageD?: Uint8Array;
  /** The complete FINISH request (decrypted). */
  readonly finish: Uint8Array;
  /** S of ReqBaseAsymAlg when FINISH carries a Signature (Param1 bit 0), else 0. */
  readonly finishSignatureSize: number;
  /** H (RequesterVerifyData is always present). */
  readonly requesterVerifyDataSize: number;
}

/** VCA ‖ Hash(Ct) ‖ KEY_EXCHANGE ‖ KEY_EXCHANGE_RSP (complete) ‖ [D'] ‖ [Hash(CM)]. */
function throughK(p: FinishTranscriptParts): Transcript {
  const t = sessionTranscriptStart(p).append(p.keyExchange, p.keyExchangeRsp);
  if (p.requesterMessageD) t.append(p.requesterMessageD);
  if (p.requesterCertChainHash) t.append(p.requesterCertChainHash);
  return t;
}

/**
 * What the FINISH signature (mutual authentication) covers: … ‖ K ‖ Hash(CM) ‖ FINISH up to
 * Signature (the 4-byte header; SPDM 1.4 would add its OpaqueData).
 * @throws SpdmError('InvalidMsgSize') when FINISH is too short.
 */
export function finishSignedTranscript(p: FinishTranscriptParts): Transcript {
  const cut = p.finishSignatureSize + p.requesterVerifyDataSize;
  return throughK(p).append(withoutTrailing(p.finish, cut, 'FINISH'));
}

/**
 * What RequesterVerifyData is the HMAC of (hashed): … ‖ K ‖ [Hash(CM)] ‖ FINISH without
 * RequesterVerifyData (with its Signature, if any).
 * @throws SpdmError('InvalidMsgSize') when FINISH is too short.
 */
export function finishMacTranscript(p: FinishTranscriptParts): Transcript {
  return throughK(p).append(withoutTrailing(p.finish, p.requesterVerifyDataSize, 'FINISH'));
}

/** A KEY_EXCHANGE session through FINISH_RSP. */
export interface FinishRspTranscriptParts extends FinishTranscriptParts {
  /** The complete FINISH_RSP (4 bytes unless HANDSHAKE_IN_THE_CLEAR). */
  readonly finishRsp: Uint8Array;
  /** H when HANDSHAKE_IN_THE_CLEAR (FINISH_RSP carries ResponderVerifyData), else 0. */
  readonly finishRspVerifyDataSize: number;
}

/**
 * What FINISH_RSP's ResponderVerifyData (HANDSHAKE_IN_THE_CLEAR only) is the HMAC of (hashed):
 * … ‖ FINISH (complete) ‖ FINISH_RSP without ResponderVerifyData.
 * @throws SpdmError('InvalidMsgSize') when FINISH_RSP is too short.
 */
export function finishRspMacTranscript(p: FinishRspTranscriptParts): Transcript {
  return throughK(p).append(p.finish, withoutTrailing(p.finishRsp, p.finishRspVerifyDataSize, 'FINISH_RSP'));
}

/** TH2: … ‖ K ‖ [Hash(CM)] ‖ FINISH ‖ FINISH_RSP, all complete. Hash(TH2) feeds the data secrets. */
export function th2Transcript(p: FinishRspTranscriptParts): Transcript {
  return throughK(p).append(p.finish, p.finishRsp);
}

/**
 * M1/M2, what CHALLENGE_AUTH's signature covers: VCA ‖ B ‖ CHALLENGE ‖ CHALLENGE_AUTH without
 * Signature (all versions). `b` = GET_DIGESTS ‖ DIGESTS ‖ every GET_CERTIFICATE ‖ CERTIFICATE
 * pair since, other slots included (spdm-reference §3.1).
 * @throws SpdmError('InvalidMsgSize') when CHALLENGE_AUTH is too short.
 */
export function challengeAuthTranscript(
  hash: HashLike,
  vca: Uint8Array,
  b: readonly Uint8Array[],
  challenge: Uint8Array,
  challengeAuth: Uint8Array,
  signatureSize: number,
): Transcript {
  return new Transcript(hash, vca, ...b).append(
    challenge,
    withoutTrailing(challengeAuth, signatureSize, 'CHALLENGE_AUTH'),
  );
}

/**
 * L1/L2, what a MEASUREMENTS signature covers: 1.2+: VCA ‖ M; 1.0/1.1: M only. `m` = every
 * GET_MEASUREMENTS ‖ MEASUREMENTS since the last reset, the last MEASUREMENTS complete (its
 * Signature is cut here by `signatureSize`).
 * @throws SpdmError('InvalidMsgSize') when the last message is too short.
 */
export function measurementsTranscript(
  hash: HashLike,
  version: number,
  vca: Uint8Array,
  m: readonly Uint8Array[],
  signatureSize: number,
): Transcript {
  const t = new Transcript(hash);
  if (version >= 0x12) t.append(vca);
  m.forEach((msg, i) => {
    t.append(i === m.length - 1 ? withoutTrailing(msg, signatureSize, 'MEASUREMENTS') : msg);
  });
  return t;
}
