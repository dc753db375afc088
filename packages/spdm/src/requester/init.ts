/**
 * RequesterInit: the options of the requester's negotiation with their defaults (conventions
 * #12), and the resolved, validated RequesterConfig the phases read. Later phases add their
 * options (our certificate chain and key, ...) here, optional, with defaults, and validate them
 * in resolveRequesterInit. The authentication phase adds `trustedRoots`, `maxCertChainSize`,
 * `certPortionLength` and `chainCache`.
 */

import { X509Certificate } from 'node:crypto';
import { type AlgorithmPrefs, resolveAlgorithmPrefs } from '../algorithm-prefs.js';
import { MAX_CERT_CHAIN_SIZE } from '../identity/cert-chain.js';
import { resolveLinkInit } from '../link-init.js';
import { CAP } from '../msgs/capabilities.js';
import type { SpdmVersion } from '../msgs/codes.js';
import { CertChainCache } from './chain-cache.js';
import type { RetryOptions } from './exchange.js';

/**
 * Requester capabilities a mutually authenticating key-exchange peer needs. No CHAL_CAP: a
 * requester's CHAL_CAP says it answers (encapsulated) CHALLENGE, which this stack does not, and
 * with it libspdm's responder asks for basic mutual authentication in CHALLENGE_AUTH
 * (BasicMutAuthReq, `libspdm_rsp_challenge_auth.c` whenever the requester has MUT_AUTH_CAP,
 * CHAL_CAP and CERT_CAP; spdm-emu's default `--basic_mut_auth BASIC`), which our CHALLENGE then
 * had to refuse.
 */
export const DEFAULT_REQUESTER_CAPS =
  CAP.CERT | CAP.ENCRYPT | CAP.MAC | CAP.MUT_AUTH | CAP.KEY_EX | CAP.HBEAT | CAP.KEY_UPD;

export interface RequesterInit {
  /** Versions we accept; the highest one VERSION also lists wins. Default [0x11, 0x12, 0x13]. */
  readonly versions?: readonly SpdmVersion[];
  /** GET_CAPABILITIES Flags (masked per version when sent). Default DEFAULT_REQUESTER_CAPS. */
  readonly capabilities?: number;
  /** Default DEFAULT_CT_EXPONENT (20: 2^20 µs ≈ 1 s). */
  readonly ctExponent?: number;
  /** 1.2+. Default 4608. */
  readonly dataTransferSize?: number;
  /** 1.2+. Default = dataTransferSize (required without CHUNK_CAP). */
  readonly maxSpdmMsgSize?: number;
  /** What we offer in NEGOTIATE_ALGORITHMS (order does not matter on this side). */
  readonly algorithms?: Partial<AlgorithmPrefs>;
  /** Busy / ResponseNotReady handling of the negotiate() driver. */
  readonly retry?: RetryOptions;
  /**
   * Roots a responder's certificate chain must lead to (DER or parsed). Needed to fetch and
   * validate a chain; default none.
   */
  readonly trustedRoots?: readonly (X509Certificate | Uint8Array)[];
  /** Largest certificate chain structure accepted, bytes (default and maximum 65535). */
  readonly maxCertChainSize?: number;
  /**
   * Largest Length asked for in one GET_CERTIFICATE (default 0: as much as fits in one
   * CERTIFICATE under both DataTransferSizes).
   */
  readonly certPortionLength?: number;
  /** Chains by digest, shared between connections; a known digest skips GET_CERTIFICATE. */
  readonly chainCache?: CertChainCache;
}

export interface RequesterConfig {
  readonly versions: readonly SpdmVersion[];
  readonly capabilities: number;
  readonly ctExponent: number;
  readonly dataTransferSize: number;
  readonly maxSpdmMsgSize: number;
  readonly algorithms: AlgorithmPrefs;
  readonly trustedRoots: readonly X509Certificate[];
  readonly maxCertChainSize: number;
  /** 0 = as much as fits. */
  readonly certPortionLength: number;
  readonly chainCache: CertChainCache | null;
}

/**
 * Fills in defaults and checks versions, capability consistency at every offered version (the
 * libspdm responder's checks, so a libspdm peer will not refuse us) and sizes.
 * @throws TypeError / RangeError on misuse.
 */
export function resolveRequesterInit(init: RequesterInit = {}): RequesterConfig {
  const link = resolveLinkInit(init, 'requester', DEFAULT_REQUESTER_CAPS);
  const algorithms = resolveAlgorithmPrefs(init.algorithms);
  return { ...link, algorithms, ...resolveAuthOptions(init) };
}

function parseRoot(r: X509Certificate | Uint8Array, i: number): X509Certificate {
  if (r instanceof X509Certificate) return r;
  try {
    return new X509Certificate(r);
  } catch (e) {
    throw new TypeError(`trustedRoots[${i}] is not a DER certificate`, { cause: e });
  }
}

/** The authentication options: roots parsed, sizes checked. @throws TypeError / RangeError */
function resolveAuthOptions(init: RequesterInit) {
  const trustedRoots = (init.trustedRoots ?? []).map(parseRoot);
  const maxCertChainSize = init.maxCertChainSize ?? MAX_CERT_CHAIN_SIZE;
  if (!Number.isInteger(maxCertChainSize) || maxCertChainSize < 1 || maxCertChainSize > MAX_CERT_CHAIN_SIZE) {
    throw new RangeError(`maxCertChainSize must be 1..${MAX_CERT_CHAIN_SIZE}`);
  }
  const certPortionLength = init.certPortionLength ?? 0;
  if (!Number.isInteger(certPortionLength) || certPortionLength < 0 || certPortionLength > 0xffff) {
    throw new RangeError('certPortionLength must be 0..65535');
  }
  if (init.chainCache !== undefined && !(init.chainCache instanceof CertChainCache)) {
    throw new TypeError('chainCache must be a CertChainCache');
  }
  return { trustedRoots, maxCertChainSize, certPortionLength, chainCache: init.chainCache ?? null };
}
