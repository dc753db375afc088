/**
 * Algorithm preferences of one side of the negotiation (DSP0274 1.3 "NEGOTIATE_ALGORITHMS request and ALGORITHMS response"): ordered lists of
 * single-bit values, most preferred first. The requester offers the OR of each list; the
 * responder picks, per field, the first entry of its own list that the requester offered.
 * `offerOf` builds the NEGOTIATE_ALGORITHMS offer (also the 1.3 Supported Algorithms block).
 */
import {
  AEAD_SUITE,
  AEADS,
  ALG_TYPE,
  ASYMS,
  BASE_ASYM_ALGO,
  BASE_HASH_ALGO,
  DHE_GROUP,
  DHES,
  HASHES,
  KEY_SCHEDULE,
  MEASUREMENT_HASH_ALGO,
  MEASUREMENT_SPEC_DMTF,
  measurementHashSize,
  OTHER_PARAMS,
} from './crypto/algorithms.js';
import type { AlgorithmOffer, AlgStruct } from './msgs/alg-struct.js';
import { SPDM_VERSION } from './msgs/codes.js';

export interface AlgorithmPrefs {
  /** BASE_HASH_ALGO bits. */
  readonly baseHash: readonly number[];
  /** BASE_ASYM_ALGO bits (the responder's signing algorithm). */
  readonly baseAsym: readonly number[];
  /** DHE_GROUP bits. */
  readonly dhe: readonly number[];
  /** AEAD_SUITE bits. */
  readonly aead: readonly number[];
  /** BASE_ASYM_ALGO bits (low 16) for the requester's signatures (mutual authentication). */
  readonly reqBaseAsym: readonly number[];
  /** KEY_SCHEDULE bits. */
  readonly keySchedule: readonly number[];
  /** MEASUREMENT_HASH_ALGO bits (responder only: the requester does not offer these). */
  readonly measurementHash: readonly number[];
  /** MeasurementSpecification mask (MEASUREMENT_SPEC_DMTF or 0). */
  readonly measurementSpec: number;
  /** Opaque-data formats, 1.2+ (OTHER_PARAMS.OPAQUE_DATA_FMT1 / FMT0). */
  readonly opaqueDataFormats: readonly number[];
  /** MELspecification mask, 1.3+ (bit0 = DMTF; 0 = none). */
  readonly melSpec: number;
}

/**
 * Defaults: ECDSA P-256 / SHA-256 / secp256r1 / AES-256-GCM first, then P-384 / SHA-384 /
 * secp384r1, AES-128-GCM and ChaCha20-Poly1305; Ed25519 offered last; OpaqueDataFmt1. Requester
 * signatures also accept libspdm's default RSA algorithms, after the others.
 */
export const DEFAULT_ALGORITHM_PREFS: AlgorithmPrefs = {
  baseHash: [BASE_HASH_ALGO.SHA_256, BASE_HASH_ALGO.SHA_384],
  baseAsym: [BASE_ASYM_ALGO.ECDSA_P256, BASE_ASYM_ALGO.ECDSA_P384, BASE_ASYM_ALGO.EDDSA_ED25519],
  dhe: [DHE_GROUP.SECP256R1, DHE_GROUP.SECP384R1],
  aead: [AEAD_SUITE.AES_256_GCM, AEAD_SUITE.AES_128_GCM, AEAD_SUITE.CHACHA20_POLY1305],
  // RSA last: libspdm's requesters offer only RSAPSS_3072, RSAPSS_2048, RSASSA_3072, RSASSA_2048
  // by default (spdm-emu `--req_asym`), so a responder with MUT_AUTH_CAP and ECDSA-only
  // preferences fails their NEGOTIATE_ALGORITHMS ("no common ReqBaseAsymAlg", seen with
  // spdm_requester_emu at its defaults).
  reqBaseAsym: [
    BASE_ASYM_ALGO.ECDSA_P256,
    BASE_ASYM_ALGO.ECDSA_P384,
    BASE_ASYM_ALGO.EDDSA_ED25519,
    BASE_ASYM_ALGO.RSAPSS_3072,
    BASE_ASYM_ALGO.RSAPSS_2048,
    BASE_ASYM_ALGO.RSASSA_3072,
    BASE_ASYM_ALGO.RSASSA_2048,
  ],
  keySchedule: [KEY_SCHEDULE.SPDM],
  measurementHash: [MEASUREMENT_HASH_ALGO.SHA_256, MEASUREMENT_HASH_ALGO.SHA_384],
  measurementSpec: MEASUREMENT_SPEC_DMTF,
  opaqueDataFormats: [OTHER_PARAMS.OPAQUE_DATA_FMT1],
  melSpec: 0,
};

/** OR of a preference list. */
export function maskOf(list: readonly number[]): number {
  let m = 0;
  for (const b of list) m |= b;
  return m >>> 0;
}

/** Our first preference whose bit is set in `offered`, or 0. */
export function pickFirst(prefs: readonly number[], offered: number): number {
  for (const p of prefs) if ((offered & p) !== 0) return p;
  return 0;
}

/** True for 0 or a single set bit (libspdm `libspdm_onehot0`). */
export function oneHot0(v: number): boolean {
  const x = v >>> 0;
  return (x & (x - 1)) === 0;
}

function checkList(list: readonly number[], known: readonly number[], what: string): void {
  if (!Array.isArray(list)) throw new TypeError(`${what} must be an array`);
  const seen = new Set<number>();
  for (const b of list) {
    if (!known.includes(b))
      throw new RangeError(`${what}: 0x${Number(b).toString(16)} is not an algorithm we run`);
    if (seen.has(b)) throw new RangeError(`${what}: 0x${b.toString(16)} listed twice`);
    seen.add(b);
  }
}

/**
 * Fills in defaults and checks that every entry is a single bit naming an algorithm this stack
 * can run (the tables of crypto/algorithms.ts).
 * @throws TypeError / RangeError on misuse.
 */
export function resolveAlgorithmPrefs(p: Partial<AlgorithmPrefs> = {}): AlgorithmPrefs {
  const r: AlgorithmPrefs = { ...DEFAULT_ALGORITHM_PREFS, ...p };
  checkList(
    r.baseHash,
    HASHES.map((h) => h.bit),
    'baseHash',
  );
  checkList(
    r.baseAsym,
    ASYMS.map((a) => a.bit),
    'baseAsym',
  );
  checkList(
    r.reqBaseAsym,
    ASYMS.filter((a) => a.bit <= 0xffff).map((a) => a.bit),
    'reqBaseAsym',
  );
  checkList(
    r.dhe,
    DHES.map((d) => d.bit),
    'dhe',
  );
  checkList(
    r.aead,
    AEADS.map((a) => a.bit),
    'aead',
  );
  checkList(r.keySchedule, [KEY_SCHEDULE.SPDM], 'keySchedule');
  const measKnown = Object.values(MEASUREMENT_HASH_ALGO).filter((b) => {
    try {
      measurementHashSize(b);
      return true;
    } catch {
      return false;
    }
  });
  checkList(r.measurementHash, measKnown, 'measurementHash');
  checkList(
    r.opaqueDataFormats,
    [OTHER_PARAMS.OPAQUE_DATA_FMT0, OTHER_PARAMS.OPAQUE_DATA_FMT1],
    'opaqueDataFormats',
  );
  if (r.measurementSpec !== 0 && r.measurementSpec !== MEASUREMENT_SPEC_DMTF) {
    throw new RangeError('measurementSpec must be 0 or MEASUREMENT_SPEC_DMTF');
  }
  if (r.melSpec !== 0 && r.melSpec !== 1) throw new RangeError('melSpec must be 0 or 1 (DMTF)');
  return r;
}

/** The AlgStruct tables of an offer: one per non-empty list, in AlgType order. */
export function offerStructs(p: AlgorithmPrefs): AlgStruct[] {
  const lists: [number, readonly number[]][] = [
    [ALG_TYPE.DHE, p.dhe],
    [ALG_TYPE.AEAD, p.aead],
    [ALG_TYPE.REQ_BASE_ASYM, p.reqBaseAsym],
    [ALG_TYPE.KEY_SCHEDULE, p.keySchedule],
  ];
  return lists
    .filter(([, l]) => l.length > 0)
    .map(([algType, l]) => ({ algType, algSupported: maskOf(l), external: [] }));
}

/**
 * The offer `p` makes at `version` (fields that do not exist there are 0 / empty).
 * `otherParamsExtra` is ORed into OtherParamsSupport at 1.3 (bit4, responder MULTI_KEY_CONN).
 */
export function offerOf(p: AlgorithmPrefs, version: number, otherParamsExtra = 0): AlgorithmOffer {
  const v12 = version >= SPDM_VERSION.V12;
  const v13 = version >= SPDM_VERSION.V13;
  return {
    measurementSpecification: p.measurementSpec,
    otherParamsSupport: v12 ? maskOf(p.opaqueDataFormats) | (v13 ? otherParamsExtra : 0) : 0,
    baseAsymAlgo: maskOf(p.baseAsym),
    baseHashAlgo: maskOf(p.baseHash),
    melSpecification: v13 ? p.melSpec : 0,
    extAsym: [],
    extHash: [],
    algStructs: version >= SPDM_VERSION.V11 ? offerStructs(p) : [],
  };
}
