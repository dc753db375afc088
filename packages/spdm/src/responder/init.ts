/**
 * ResponderInit: the options of a ResponderCore with their defaults (conventions #12), and the
 * resolved, validated ResponderConfig that handlers read. Later phases add their own options
 * (session limits, ...) here, optional, with defaults, and validate them in resolveResponderInit.
 * The authentication phase adds `slots` (certificate chains with their keys) and `measurements`.
 */
import { type AlgorithmPrefs, resolveAlgorithmPrefs } from '../algorithm-prefs.js';
import { resolveLinkInit } from '../link-init.js';
import { CAP, hasCap } from '../msgs/capabilities.js';
import type { SpdmVersion } from '../msgs/codes.js';
import type { RequestHandler } from './handler.js';
import { type ResponderSlotInit, ResponderSlots } from './local-identity.js';
import { defaultMeasurementSource, type MeasurementSource } from './measurement-source.js';

/** Responder capabilities a mutually authenticating key-exchange peer needs. */
export const DEFAULT_RESPONDER_CAPS =
  CAP.CERT |
  CAP.CHAL |
  CAP.MEAS_SIG |
  CAP.ENCRYPT |
  CAP.MAC |
  CAP.MUT_AUTH |
  CAP.KEY_EX |
  CAP.HBEAT |
  CAP.KEY_UPD;

export { DEFAULT_CT_EXPONENT, DEFAULT_DATA_TRANSFER_SIZE } from '../negotiation.js';

export interface ResponderInit {
  /** Versions listed in VERSION, in that order (subset of 1.1..1.3). Default [0x11, 0x12, 0x13]. */
  readonly versions?: readonly SpdmVersion[];
  /** CAPABILITIES Flags (masked per version when sent). Default DEFAULT_RESPONDER_CAPS. */
  readonly capabilities?: number;
  /** Default DEFAULT_CT_EXPONENT. */
  readonly ctExponent?: number;
  /** 1.2+. Default 4608. */
  readonly dataTransferSize?: number;
  /** 1.2+. Default = dataTransferSize (required without CHUNK_CAP). */
  readonly maxSpdmMsgSize?: number;
  /** Preference order per algorithm field. Default DEFAULT_ALGORITHM_PREFS. */
  readonly algorithms?: Partial<AlgorithmPrefs>;
  /**
   * Certificate slots with the leaf keys (GET_DIGESTS, GET_CERTIFICATE, CHALLENGE, signed
   * MEASUREMENTS). Default none: those requests get ERROR(Unspecified). Without an explicit
   * `algorithms.baseAsym`, the signature algorithms offered are narrowed to those the keys fit.
   */
  readonly slots?: readonly ResponderSlotInit[] | ResponderSlots;
  /**
   * Measurement blocks for GET_MEASUREMENTS and summary hashes. Default (when MEAS_CAP is set):
   * defaultMeasurementSource(), the main script's digest, read once per process.
   */
  readonly measurements?: MeasurementSource;
  /** Extra or replacement request handlers by request code (see ResponderCore.registerHandler). */
  readonly handlers?: ReadonlyMap<number, RequestHandler>;
  /**
   * Called with every error the core turns into an SPDM ERROR (peer errors and our own bugs),
   * for logging. Must not throw. Messages never hold secret bytes.
   */
  readonly onError?: (err: unknown, requestCode: number) => void;
}

export interface ResponderConfig {
  readonly versions: readonly SpdmVersion[];
  readonly capabilities: number;
  readonly ctExponent: number;
  readonly dataTransferSize: number;
  readonly maxSpdmMsgSize: number;
  readonly algorithms: AlgorithmPrefs;
  /** Our certificate slots and keys, or null. */
  readonly slots: ResponderSlots | null;
  /** Null when MEAS_CAP is not set. */
  readonly measurements: MeasurementSource | null;
}

/**
 * Fills in defaults and checks the configuration: versions within 1.1..1.3, capability flags
 * consistent at every listed version (libspdm's requester checks), sizes, measurement hash
 * preferences present when MEAS_CAP is set.
 * @throws TypeError / RangeError on misuse.
 */
export function resolveResponderInit(init: ResponderInit = {}): ResponderConfig {
  const link = resolveLinkInit(init, 'responder', DEFAULT_RESPONDER_CAPS);
  const { capabilities } = link;
  const algorithms = requesterSignaturePrefs(resolveAlgorithmPrefs(init.algorithms), init, capabilities);
  if (
    hasCap(capabilities, 'MEAS_CAP') &&
    (algorithms.measurementHash.length === 0 || !algorithms.measurementSpec)
  ) {
    throw new RangeError('MEAS_CAP needs a measurement specification and measurement hash preferences');
  }
  const slots = resolveSlots(init.slots);
  const measurements = hasCap(capabilities, 'MEAS_CAP')
    ? (init.measurements ?? defaultMeasurementSource())
    : null;
  return {
    ...link,
    algorithms: slots
      ? fitAsymToKeys(algorithms, slots, init.algorithms?.baseAsym !== undefined)
      : algorithms,
    slots,
    measurements,
  };
}

/**
 * A responder without MUT_AUTH_CAP and without its own `algorithms.reqBaseAsym` selects no
 * ReqBaseAsymAlg (ALGORITHMS answers 0), as DSP0274 1.2 wants and SPDM-Responder-Validator
 * checks (3.5.15 / 3.6.15: "req_base_asym_alg" must be 0 without MUT_AUTH_CAP; our defaults
 * selected ECDSA P-256). An explicit list keeps libspdm 1e16c60f's behaviour, which selects from
 * whatever its integrator configured, MUT_AUTH_CAP or not (the spdm-emu recordings do), so a
 * responder configured like spdm_responder_emu stays byte-exact with it.
 */
function requesterSignaturePrefs(
  p: AlgorithmPrefs,
  init: ResponderInit,
  capabilities: number,
): AlgorithmPrefs {
  if (hasCap(capabilities, 'MUT_AUTH_CAP') || init.algorithms?.reqBaseAsym !== undefined) return p;
  return { ...p, reqBaseAsym: [] };
}

function resolveSlots(s: ResponderInit['slots']): ResponderSlots | null {
  if (s === undefined) return null;
  return s instanceof ResponderSlots ? s : new ResponderSlots(s);
}

/** Offer only signature algorithms the slot keys fit; an explicit list must fit entirely. */
function fitAsymToKeys(p: AlgorithmPrefs, slots: ResponderSlots, explicit: boolean): AlgorithmPrefs {
  const fit = slots.signableWith(p.baseAsym);
  if (explicit && fit.length !== p.baseAsym.length) {
    throw new RangeError('algorithms.baseAsym lists an algorithm the slot keys cannot sign with');
  }
  if (fit.length === 0) throw new RangeError('no preferred signature algorithm fits the slot keys');
  return { ...p, baseAsym: fit };
}
