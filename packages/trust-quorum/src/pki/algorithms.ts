/**
 * The three key algorithms of the development PKI and what each means for WebCrypto (key
 * generation and certificate signing with @peculiar/x509) and for node:crypto (checking a
 * loaded key). They map onto the SPDM BaseAsymAlgo bits ECDSA_P256, ECDSA_P384 and
 * EDDSA_ED25519 (DSP0274 1.3 §10.4 Table 15); P-256 signs with SHA-256 and P-384 with SHA-384,
 * as SPDM pairs them.
 */
import type { webcrypto } from 'node:crypto';

export const PKI_ALGS = ['p256', 'p384', 'ed25519'] as const;
export type PkiAlg = (typeof PKI_ALGS)[number];

export interface PkiAlgInfo {
  readonly alg: PkiAlg;
  /** Human-readable name for CLI output. */
  readonly label: string;
  /** WebCrypto generateKey parameters. */
  readonly generate: webcrypto.EcKeyGenParams | webcrypto.Algorithm;
  /** WebCrypto signature parameters for certificates signed with this key. */
  readonly sign: webcrypto.EcdsaParams | webcrypto.Algorithm;
  /** node:crypto KeyObject.asymmetricKeyType. */
  readonly nodeKeyType: 'ec' | 'ed25519';
  /** node:crypto asymmetricKeyDetails.namedCurve (EC only). */
  readonly nodeCurve: string | undefined;
  /** Hash for node:crypto sign/verify (null for Ed25519, which hashes internally). */
  readonly nodeHash: 'sha256' | 'sha384' | null;
}

const INFO: Readonly<Record<PkiAlg, PkiAlgInfo>> = {
  p256: {
    alg: 'p256',
    label: 'ECDSA P-256 with SHA-256',
    generate: { name: 'ECDSA', namedCurve: 'P-256' } as webcrypto.EcKeyGenParams,
    sign: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
    nodeKeyType: 'ec',
    nodeCurve: 'prime256v1',
    nodeHash: 'sha256',
  },
  p384: {
    alg: 'p384',
    label: 'ECDSA P-384 with SHA-384',
    generate: { name: 'ECDSA', namedCurve: 'P-384' } as webcrypto.EcKeyGenParams,
    sign: { name: 'ECDSA', hash: 'SHA-384' } as webcrypto.EcdsaParams,
    nodeKeyType: 'ec',
    nodeCurve: 'secp384r1',
    nodeHash: 'sha384',
  },
  ed25519: {
    alg: 'ed25519',
    label: 'Ed25519',
    generate: { name: 'Ed25519' },
    sign: { name: 'Ed25519' },
    nodeKeyType: 'ed25519',
    nodeCurve: undefined,
    nodeHash: null,
  },
};

/** True when `s` names one of the supported algorithms. */
export function isPkiAlg(s: unknown): s is PkiAlg {
  return typeof s === 'string' && (PKI_ALGS as readonly string[]).includes(s);
}

/**
 * Parameters of one algorithm.
 * @throws {RangeError} when `alg` is not one of {@link PKI_ALGS}.
 */
export function pkiAlgInfo(alg: string): PkiAlgInfo {
  if (!isPkiAlg(alg)) throw new RangeError(`unknown algorithm "${alg}" (expected ${PKI_ALGS.join(', ')})`);
  return INFO[alg];
}
