/**
 * What VCA (GET_VERSION .. ALGORITHMS) settles, the base every later phase builds on.
 * Produced by the requester's and the responder's negotiation phase; readonly afterwards.
 */
import {
  type AeadInfo,
  type AsymInfo,
  aeadInfo,
  asymInfo,
  type DheInfo,
  dheInfo,
  type HashInfo,
  hashInfo,
} from './crypto/algorithms.js';
import type { SpdmVersion } from './msgs/codes.js';

export interface Negotiated {
  /** Negotiated SPDMVersion byte (0x11, 0x12, 0x13). */
  readonly version: SpdmVersion;
  readonly requesterCaps: number;
  readonly responderCaps: number;
  readonly requesterCtExponent: number;
  readonly responderCtExponent: number;
  /** 1.2+: DataTransferSize / MaxSPDMmsgSize of each side (0 before 1.2). */
  readonly requesterDataTransferSize: number;
  readonly requesterMaxSpdmMsgSize: number;
  readonly responderDataTransferSize: number;
  readonly responderMaxSpdmMsgSize: number;
  readonly measurementSpec: number;
  readonly otherParams: number;
  readonly measurementHashAlgo: number;
  readonly baseAsymAlgo: number;
  readonly baseHashAlgo: number;
  readonly dheGroup: number;
  readonly aeadSuite: number;
  readonly reqBaseAsymAlg: number;
  readonly keySchedule: number;
  readonly melSpec: number;
  /** GET_VERSION ‖ VERSION ‖ GET_CAPABILITIES ‖ CAPABILITIES ‖ NEGOTIATE_ALGORITHMS ‖ ALGORITHMS. */
  readonly vca: Uint8Array;
}

/** Sizes and algorithm descriptors that decoders and crypto need, derived from a Negotiated. */
export interface Suite {
  readonly version: SpdmVersion;
  readonly hash: HashInfo;
  /** Responder's signature algorithm (null if none negotiated). */
  readonly asym: AsymInfo | null;
  /** Requester's signature algorithm for mutual authentication (null if none). */
  readonly reqAsym: AsymInfo | null;
  readonly dhe: DheInfo | null;
  readonly aead: AeadInfo | null;
}

export function suiteOf(n: Negotiated): Suite {
  return {
    version: n.version,
    hash: hashInfo(n.baseHashAlgo),
    asym: n.baseAsymAlgo ? asymInfo(n.baseAsymAlgo) : null,
    reqAsym: n.reqBaseAsymAlg ? asymInfo(n.reqBaseAsymAlg) : null,
    dhe: n.dheGroup ? dheInfo(n.dheGroup) : null,
    aead: n.aeadSuite ? aeadInfo(n.aeadSuite) : null,
  };
}
