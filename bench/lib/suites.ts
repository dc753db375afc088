/**
 * The two algorithm suites every session benchmark runs, and how each maps onto SPDM and onto
 * Node TLS 1.3 so that both sides of a comparison use the same key types and ECDHE group:
 *
 *   p256: SPDM 1.3 ECDSA P-256 (both sides) / SHA-256 / secp256r1 / AES-256-GCM (our default);
 *         TLS 1.3 with P-256 certificates, group prime256v1, ecdsa_secp256r1_sha256.
 *   p384: SPDM 1.3 ECDSA P-384 / SHA-384 / secp384r1 / AES-256-GCM;
 *         TLS 1.3 with P-384 certificates, group secp384r1, ecdsa_secp384r1_sha384.
 *
 * TLS runs TLS_AES_256_GCM_SHA384 in both: the same AEAD as SPDM (TLS 1.3 has no
 * AES-256-GCM with SHA-256; the hash only feeds the handshake's HKDF, a negligible cost).
 */
import {
  AEAD_SUITE,
  aeadInfo,
  asymInfo,
  BASE_ASYM_ALGO,
  BASE_HASH_ALGO,
  DHE_GROUP,
  dheInfo,
  hashInfo,
  SPDM_VERSION,
  type Suite,
} from '@trust-quorum/spdm';

export const BENCH_SUITE_NAMES = ['p256', 'p384'] as const;
export type BenchSuiteName = (typeof BENCH_SUITE_NAMES)[number];

export interface TlsSuiteOptions {
  readonly ecdhCurve: string;
  readonly sigalgs: string;
  readonly ciphersuites: string;
}

export interface BenchSuite {
  readonly name: BenchSuiteName;
  /** `P-256` / `P-384`, for figure names. */
  readonly label: string;
  /** The negotiated SPDM suite a session of this kind ends up with. */
  readonly spdm: Suite;
  readonly tls: TlsSuiteOptions;
}

function spdmSuite(asym: number, hash: number, dhe: number): Suite {
  return {
    version: SPDM_VERSION.V13,
    hash: hashInfo(hash),
    asym: asymInfo(asym),
    reqAsym: asymInfo(asym),
    dhe: dheInfo(dhe),
    aead: aeadInfo(AEAD_SUITE.AES_256_GCM),
  };
}

export const BENCH_SUITES: Readonly<Record<BenchSuiteName, BenchSuite>> = {
  p256: {
    name: 'p256',
    label: 'P-256',
    spdm: spdmSuite(BASE_ASYM_ALGO.ECDSA_P256, BASE_HASH_ALGO.SHA_256, DHE_GROUP.SECP256R1),
    tls: {
      ecdhCurve: 'prime256v1',
      sigalgs: 'ecdsa_secp256r1_sha256',
      ciphersuites: 'TLS_AES_256_GCM_SHA384',
    },
  },
  p384: {
    name: 'p384',
    label: 'P-384',
    spdm: spdmSuite(BASE_ASYM_ALGO.ECDSA_P384, BASE_HASH_ALGO.SHA_384, DHE_GROUP.SECP384R1),
    tls: {
      ecdhCurve: 'secp384r1',
      sigalgs: 'ecdsa_secp384r1_sha384',
      ciphersuites: 'TLS_AES_256_GCM_SHA384',
    },
  },
};
