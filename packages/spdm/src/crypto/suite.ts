/**
 * The crypto suite of one SPDM connection (conventions #9): the negotiated algorithms bound
 * once, so requester and responder phases call `suite.sign(...)` / `suite.keySchedule(...)`
 * without passing algorithm bits around. A thin layer over hash.ts, sign.ts, dhe.ts,
 * signing-context.ts, transcript.ts and key-schedule.ts.
 */
import type { KeyObject } from 'node:crypto';
import type { Suite } from '../negotiated.js';
import type { AeadInfo, AsymInfo, DheInfo, HashInfo } from './algorithms.js';
import { type DheKeyPair, generateDhe } from './dhe.js';
import { hash, hmac } from './hash.js';
import { KeySchedule } from './key-schedule.js';
import { signSpdm, verifySpdm } from './sign.js';
import { type SigningContextString, signedMessage, type TranscriptLike } from './signing-context.js';
import { Transcript } from './transcript.js';

/** Who signs: the responder uses BaseAsymAlgo, the requester ReqBaseAsymAlg. */
export type Signer = 'responder' | 'requester';

export interface CryptoSuite {
  readonly version: number;
  readonly hash: HashInfo;
  readonly asym: AsymInfo | null;
  readonly reqAsym: AsymInfo | null;
  readonly dhe: DheInfo | null;
  readonly aead: AeadInfo | null;
  /** Hash(parts…) with BaseHashAlgo. */
  digest(...parts: Uint8Array[]): Uint8Array;
  /** HMAC-BaseHashAlgo(key, parts…). */
  hmac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array;
  /** A new transcript with BaseHashAlgo. */
  transcript(...parts: Uint8Array[]): Transcript;
  /**
   * Signs transcript T as `signer` (1.2+: context ‖ Hash(T); 1.0/1.1: T).
   * @throws RangeError when no algorithm was negotiated for `signer`; TypeError for a wrong key.
   */
  sign(signer: Signer, privateKey: KeyObject, context: SigningContextString, t: TranscriptLike): Uint8Array;
  /**
   * Verifies `signer`'s signature over transcript T; false for any bad or malformed signature.
   * @throws RangeError when no algorithm was negotiated for `signer`.
   */
  verify(
    signer: Signer,
    publicKey: KeyObject,
    context: SigningContextString,
    t: TranscriptLike,
    signature: Uint8Array,
  ): boolean;
  /**
   * A fresh ephemeral DHE key pair for the negotiated group.
   * @throws RangeError when no (supported) DHE group was negotiated.
   */
  generateDhe(): DheKeyPair;
  /**
   * A key schedule from the DHE shared secret (HandshakeSecret = Extract(zeros(H), secret)).
   * @throws RangeError when no AEAD was negotiated.
   */
  keySchedule(sharedSecret: Uint8Array): KeySchedule;
}

/** Binds the algorithms of a negotiated `Suite` (see `suiteOf`). */
export function cryptoSuite(s: Suite): CryptoSuite {
  const asymOf = (signer: Signer): AsymInfo => {
    const a = signer === 'responder' ? s.asym : s.reqAsym;
    if (!a) throw new RangeError(`no ${signer} signature algorithm was negotiated`);
    return a;
  };
  return {
    version: s.version,
    hash: s.hash,
    asym: s.asym,
    reqAsym: s.reqAsym,
    dhe: s.dhe,
    aead: s.aead,
    digest: (...parts) => hash(s.hash, ...parts),
    hmac: (key, ...parts) => hmac(s.hash, key, ...parts),
    transcript: (...parts) => new Transcript(s.hash, ...parts),
    sign: (signer, privateKey, context, t) =>
      signSpdm(asymOf(signer), s.hash, privateKey, signedMessage(s.version, context, s.hash, t)),
    verify: (signer, publicKey, context, t, signature) =>
      verifySpdm(asymOf(signer), s.hash, publicKey, signedMessage(s.version, context, s.hash, t), signature),
    generateDhe: () => {
      if (!s.dhe) throw new RangeError('no DHE group was negotiated');
      return generateDhe(s.dhe);
    },
    keySchedule: (sharedSecret) => {
      if (!s.aead) throw new RangeError('no AEAD suite was negotiated');
      return KeySchedule.fromDheSecret({ hash: s.hash, aead: s.aead, version: s.version }, sharedSecret);
    },
  };
}
