/**
 * SPDM signatures on node:crypto (spdm-reference §3.3, DSP0274 1.3 §15 "Signature generation").
 *
 * Encodings on the wire, all fixed width S (`AsymInfo.sigSize`):
 *  - ECDSA P-256/P-384/P-521: raw r ‖ s, each big-endian and left-padded (never DER):
 *    node's `dsaEncoding: 'ieee-p1363'`.
 *  - RSASSA 2048/3072/4096: PKCS#1 v1.5 with BaseHashAlgo.
 *  - RSAPSS 2048/3072/4096: PSS, MGF1 with BaseHashAlgo, salt length = hash length.
 *  - EdDSA Ed25519: pure EdDSA over the message as given (RFC 8032), no prehash.
 *
 * `message` is what SPDM hands to the signature primitive: for 1.2+ the 100-byte signing context
 * ‖ Hash(T) (see signing-context.ts), for 1.0/1.1 the transcript T itself. ECDSA and RSA hash it
 * again with BaseHashAlgo as part of signing; Ed25519 signs it directly.
 */
import { constants, type KeyObject, sign, verify } from 'node:crypto';
import { type AsymInfo, asymInfo } from './algorithms.js';
import { asU8, type HashLike, resolveHash } from './hash.js';

/** A BaseAsymAlgo / ReqBaseAsymAlg bit (DSP0274 1.3 Table 20) or its descriptor. */
export type AsymLike = number | AsymInfo;

/**
 * The descriptor of a signature selection.
 * @throws RangeError when the bit is not a single supported algorithm.
 */
export function resolveAsym(a: AsymLike): AsymInfo {
  return typeof a === 'number' ? asymInfo(a) : a;
}

/**
 * True when `key` (public or private) is of the kind and size `asym` names: the EC curve, the
 * RSA modulus length, or Ed25519. Use it to check a peer's leaf certificate key against the
 * negotiated algorithm.
 */
export function keyMatchesAsym(asym: AsymLike, key: KeyObject): boolean {
  const a = resolveAsym(asym);
  if (key.type === 'secret') return false;
  const details = key.asymmetricKeyDetails ?? {};
  switch (a.kind) {
    case 'ecdsa':
      return key.asymmetricKeyType === 'ec' && details.namedCurve === a.curve;
    case 'rsassa':
    case 'rsapss':
      return (
        (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') &&
        details.modulusLength === a.modulusBits
      );
    case 'eddsa':
      return key.asymmetricKeyType === a.curve;
  }
}

/** node:crypto options for one algorithm; `digest` is null for pure EdDSA. */
function nodeParams(a: AsymInfo, hashName: string, key: KeyObject) {
  switch (a.kind) {
    case 'ecdsa':
      return { digest: hashName, key: { key, dsaEncoding: 'ieee-p1363' as const } };
    case 'rsassa':
      return { digest: hashName, key: { key, padding: constants.RSA_PKCS1_PADDING } };
    case 'rsapss':
      return {
        digest: hashName,
        // RSA_PSS_SALTLEN_DIGEST: salt length = digest length, on signing and (strictly) on verify.
        key: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
      };
    case 'eddsa':
      return { digest: null, key };
  }
}

/**
 * Signs `message` as SPDM requires for `asym` with BaseHashAlgo `hash`.
 * @returns the S-byte signature in its wire encoding.
 * @throws TypeError when `privateKey` is not a private key of the kind and size `asym` names.
 * @throws RangeError for an unsupported algorithm bit.
 * @throws SpdmError never; an OpenSSL failure surfaces as its own Error (our own fault).
 */
export function signSpdm(
  asym: AsymLike,
  hash: HashLike,
  privateKey: KeyObject,
  message: Uint8Array,
): Uint8Array {
  const a = resolveAsym(asym);
  const h = resolveHash(hash);
  if (privateKey.type !== 'private' || !keyMatchesAsym(a, privateKey)) {
    throw new TypeError(`signSpdm: key does not fit ${a.name}`);
  }
  const p = nodeParams(a, h.node, privateKey);
  const sig = asU8(sign(p.digest, message, p.key));
  if (sig.length !== a.sigSize) throw new Error(`signSpdm: ${a.name} produced ${sig.length} bytes`);
  return sig;
}

/**
 * Verifies an SPDM signature. Total on peer input: a signature of the wrong length, a malformed
 * one, or a key that does not fit `asym` gives `false`, never an exception.
 * @throws RangeError only for an unsupported algorithm bit (our own misuse).
 */
export function verifySpdm(
  asym: AsymLike,
  hash: HashLike,
  publicKey: KeyObject,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  const a = resolveAsym(asym);
  const h = resolveHash(hash);
  if (signature.length !== a.sigSize || !keyMatchesAsym(a, publicKey)) return false;
  const p = nodeParams(a, h.node, publicKey);
  try {
    return verify(p.digest, message, p.key, signature);
  } catch {
    return false;
  }
}
