/**
 * Algorithm bit tables of NEGOTIATE_ALGORITHMS / ALGORITHMS (DSP0274 1.3 §10.4, Tables 15-23;
 * spdm-reference §2.3) with the sizes and node:crypto names each bit implies.
 */

/** BaseAsymAlgo / ReqBaseAsymAlg bits. */
export const BASE_ASYM_ALGO = {
  RSASSA_2048: 1 << 0,
  RSAPSS_2048: 1 << 1,
  RSASSA_3072: 1 << 2,
  RSAPSS_3072: 1 << 3,
  ECDSA_P256: 1 << 4,
  RSASSA_4096: 1 << 5,
  RSAPSS_4096: 1 << 6,
  ECDSA_P384: 1 << 7,
  ECDSA_P521: 1 << 8,
  SM2_P256: 1 << 9,
  EDDSA_ED25519: 1 << 10,
  EDDSA_ED448: 1 << 11,
} as const;

export const BASE_HASH_ALGO = {
  SHA_256: 1 << 0,
  SHA_384: 1 << 1,
  SHA_512: 1 << 2,
  SHA3_256: 1 << 3,
  SHA3_384: 1 << 4,
  SHA3_512: 1 << 5,
  SM3_256: 1 << 6,
} as const;

export const MEASUREMENT_HASH_ALGO = {
  RAW_BIT_STREAM: 1 << 0,
  SHA_256: 1 << 1,
  SHA_384: 1 << 2,
  SHA_512: 1 << 3,
  SHA3_256: 1 << 4,
  SHA3_384: 1 << 5,
  SHA3_512: 1 << 6,
  SM3_256: 1 << 7,
} as const;

export const DHE_GROUP = {
  FFDHE_2048: 1 << 0,
  FFDHE_3072: 1 << 1,
  FFDHE_4096: 1 << 2,
  SECP256R1: 1 << 3,
  SECP384R1: 1 << 4,
  SECP521R1: 1 << 5,
  SM2_P256: 1 << 6,
} as const;

export const AEAD_SUITE = {
  AES_128_GCM: 1 << 0,
  AES_256_GCM: 1 << 1,
  CHACHA20_POLY1305: 1 << 2,
  SM4_GCM: 1 << 3,
} as const;

export const KEY_SCHEDULE = { SPDM: 1 << 0 } as const;

/** AlgType of the AlgStruct entries (DSP0274 1.3 Table 16). */
export const ALG_TYPE = {
  DHE: 2,
  AEAD: 3,
  REQ_BASE_ASYM: 4,
  KEY_SCHEDULE: 5,
} as const;

/** OtherParamsSupport / OtherParamsSelection (DSP0274 1.3 Table 15). */
export const OTHER_PARAMS = {
  OPAQUE_DATA_FMT0: 1 << 0,
  OPAQUE_DATA_FMT1: 1 << 1,
  MULTI_KEY_CONN: 1 << 4,
} as const;

export const MEASUREMENT_SPEC_DMTF = 0x01;

export interface HashInfo {
  readonly bit: number;
  readonly name: string;
  /** node:crypto digest name. */
  readonly node: string;
  readonly size: number;
}

export const HASHES: readonly HashInfo[] = [
  { bit: BASE_HASH_ALGO.SHA_256, name: 'SHA_256', node: 'sha256', size: 32 },
  { bit: BASE_HASH_ALGO.SHA_384, name: 'SHA_384', node: 'sha384', size: 48 },
  { bit: BASE_HASH_ALGO.SHA_512, name: 'SHA_512', node: 'sha512', size: 64 },
  { bit: BASE_HASH_ALGO.SHA3_256, name: 'SHA3_256', node: 'sha3-256', size: 32 },
  { bit: BASE_HASH_ALGO.SHA3_384, name: 'SHA3_384', node: 'sha3-384', size: 48 },
  { bit: BASE_HASH_ALGO.SHA3_512, name: 'SHA3_512', node: 'sha3-512', size: 64 },
];

export type AsymKind = 'ecdsa' | 'rsassa' | 'rsapss' | 'eddsa';

export interface AsymInfo {
  readonly bit: number;
  readonly name: string;
  readonly kind: AsymKind;
  /** Signature size S in bytes. */
  readonly sigSize: number;
  /** EC curve (node name) or RSA modulus bits. */
  readonly curve?: string;
  readonly modulusBits?: number;
}

export const ASYMS: readonly AsymInfo[] = [
  { bit: BASE_ASYM_ALGO.RSASSA_2048, name: 'RSASSA_2048', kind: 'rsassa', sigSize: 256, modulusBits: 2048 },
  { bit: BASE_ASYM_ALGO.RSAPSS_2048, name: 'RSAPSS_2048', kind: 'rsapss', sigSize: 256, modulusBits: 2048 },
  { bit: BASE_ASYM_ALGO.RSASSA_3072, name: 'RSASSA_3072', kind: 'rsassa', sigSize: 384, modulusBits: 3072 },
  { bit: BASE_ASYM_ALGO.RSAPSS_3072, name: 'RSAPSS_3072', kind: 'rsapss', sigSize: 384, modulusBits: 3072 },
  { bit: BASE_ASYM_ALGO.ECDSA_P256, name: 'ECDSA_P256', kind: 'ecdsa', sigSize: 64, curve: 'prime256v1' },
  { bit: BASE_ASYM_ALGO.RSASSA_4096, name: 'RSASSA_4096', kind: 'rsassa', sigSize: 512, modulusBits: 4096 },
  { bit: BASE_ASYM_ALGO.RSAPSS_4096, name: 'RSAPSS_4096', kind: 'rsapss', sigSize: 512, modulusBits: 4096 },
  { bit: BASE_ASYM_ALGO.ECDSA_P384, name: 'ECDSA_P384', kind: 'ecdsa', sigSize: 96, curve: 'secp384r1' },
  { bit: BASE_ASYM_ALGO.ECDSA_P521, name: 'ECDSA_P521', kind: 'ecdsa', sigSize: 132, curve: 'secp521r1' },
  { bit: BASE_ASYM_ALGO.EDDSA_ED25519, name: 'EDDSA_ED25519', kind: 'eddsa', sigSize: 64, curve: 'ed25519' },
];

export interface DheInfo {
  readonly bit: number;
  readonly name: string;
  /** node:crypto ECDH curve name. */
  readonly curve: string;
  /** Exchange data size D (X||Y). */
  readonly exchangeSize: number;
  /** Shared secret size (X only). */
  readonly secretSize: number;
}

export const DHES: readonly DheInfo[] = [
  { bit: DHE_GROUP.SECP256R1, name: 'SECP_256_R1', curve: 'prime256v1', exchangeSize: 64, secretSize: 32 },
  { bit: DHE_GROUP.SECP384R1, name: 'SECP_384_R1', curve: 'secp384r1', exchangeSize: 96, secretSize: 48 },
  { bit: DHE_GROUP.SECP521R1, name: 'SECP_521_R1', curve: 'secp521r1', exchangeSize: 132, secretSize: 66 },
];

export interface AeadInfo {
  readonly bit: number;
  readonly name: string;
  /** node:crypto cipher name. */
  readonly node: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
  readonly keySize: number;
  readonly ivSize: 12;
  readonly tagSize: 16;
}

export const AEADS: readonly AeadInfo[] = [
  {
    bit: AEAD_SUITE.AES_128_GCM,
    name: 'AES_128_GCM',
    node: 'aes-128-gcm',
    keySize: 16,
    ivSize: 12,
    tagSize: 16,
  },
  {
    bit: AEAD_SUITE.AES_256_GCM,
    name: 'AES_256_GCM',
    node: 'aes-256-gcm',
    keySize: 32,
    ivSize: 12,
    tagSize: 16,
  },
  {
    bit: AEAD_SUITE.CHACHA20_POLY1305,
    name: 'CHACHA20_POLY1305',
    node: 'chacha20-poly1305',
    keySize: 32,
    ivSize: 12,
    tagSize: 16,
  },
];

function lookup<T extends { bit: number }>(table: readonly T[], bit: number, what: string): T {
  const hit = table.find((e) => e.bit === bit);
  if (!hit) throw new RangeError(`${what}: unsupported selection 0x${bit.toString(16)}`);
  return hit;
}

export const hashInfo = (bit: number): HashInfo => lookup(HASHES, bit, 'BaseHashAlgo');
export const asymInfo = (bit: number): AsymInfo => lookup(ASYMS, bit, 'BaseAsymAlgo');
export const dheInfo = (bit: number): DheInfo => lookup(DHES, bit, 'DHE');
export const aeadInfo = (bit: number): AeadInfo => lookup(AEADS, bit, 'AEAD');

/** Measurement hash size in bytes (0 for raw bit stream). */
export function measurementHashSize(bit: number): number {
  switch (bit) {
    case MEASUREMENT_HASH_ALGO.RAW_BIT_STREAM:
      return 0;
    case MEASUREMENT_HASH_ALGO.SHA_256:
    case MEASUREMENT_HASH_ALGO.SHA3_256:
    case MEASUREMENT_HASH_ALGO.SM3_256:
      return 32;
    case MEASUREMENT_HASH_ALGO.SHA_384:
    case MEASUREMENT_HASH_ALGO.SHA3_384:
      return 48;
    case MEASUREMENT_HASH_ALGO.SHA_512:
    case MEASUREMENT_HASH_ALGO.SHA3_512:
      return 64;
    default:
      throw new RangeError(`MeasurementHashAlgo: unsupported selection 0x${bit.toString(16)}`);
  }
}

/** Names of the bits set in `mask`, from a `{NAME: bit}` table. */
export function bitNames(table: Record<string, number>, mask: number): string[] {
  return Object.entries(table)
    .filter(([, bit]) => (mask & bit) !== 0)
    .map(([name]) => name);
}

/** Picks our most preferred bit that is set in `mask`; `prefs` are in order of preference. */
export function pickPreferred(prefs: readonly number[], mask: number): number {
  for (const p of prefs) if ((mask & p) !== 0) return p;
  return 0;
}
