/**
 * Requester chain presentation: a VENDOR_DEFINED_REQUEST (DSP0274 1.3 "VENDOR_DEFINED_REQUEST
 * request and VENDOR_DEFINED_RESPONSE response") by which a requester shows the responder its
 * certificate chain before KEY_EXCHANGE, so that a responder serving many requesters (a rack of
 * sleds) knows CM for mutual authentication without the encapsulated GET_DIGESTS /
 * GET_CERTIFICATE flow and without being provisioned with every requester's chain (libspdm's
 * `--mut_auth WO_ENCAP` mode needs the latter).
 *
 *   VENDOR_DEFINED_REQUEST:  StandardID = IANA (REGISTRY_ID.IANA = 4), Len = 4,
 *                            VendorID = 32473 as u32 little-endian (`d9 7e 00 00`),
 *                            payload = the SPDM certificate-chain structure (hash = BaseHashAlgo)
 *   VENDOR_DEFINED_RESPONSE: same StandardID and VendorID, empty payload (accepted);
 *                            a chain that does not validate is answered ERROR(InvalidRequest).
 *
 * The enterprise number 32473 is reserved for documentation (RFC 5612): a placeholder until the
 * project registers its own. Little-endian like every SPDM integer (the registry table only
 * fixes the length, 4 bytes).
 *
 * Why this is sound although VENDOR_DEFINED is in no transcript: the chain only tells the
 * responder which public key to expect. The FINISH signature covers Hash(CM) together with
 * VCA, Hash(Ct) and the whole KEY_EXCHANGE / KEY_EXCHANGE_RSP (spdm-reference §3.2), so a
 * requester that presented a chain whose leaf key it does not hold cannot sign FINISH, and a
 * man in the middle who swapped the presented chain makes the signature fail.
 * The chain must fit one message (no CHUNK support): a few KiB for a usual three-certificate
 * chain, within the default DataTransferSize of 4608.
 */
import { REQUEST_CODE, RESPONSE_CODE } from './codes.js';
import { REGISTRY_ID } from './opaque-data.js';
import type { VendorDefinedRequest, VendorDefinedResponse } from './vendor-defined.js';

/** IANA Private Enterprise Number 32473 (RFC 5612 documentation value), our placeholder. */
export const CHAIN_VENDOR_PEN = 32473;
/** VendorID bytes: the PEN as u32 little-endian. */
export const CHAIN_VENDOR_ID: Uint8Array = Uint8Array.of(
  CHAIN_VENDOR_PEN & 0xff,
  (CHAIN_VENDOR_PEN >>> 8) & 0xff,
  (CHAIN_VENDOR_PEN >>> 16) & 0xff,
  CHAIN_VENDOR_PEN >>> 24,
);

/** True when a VENDOR_DEFINED message is ours (StandardID IANA, VendorID = CHAIN_VENDOR_ID). */
export function isChainVendorMessage(m: {
  readonly standardId: number;
  readonly vendorId: Uint8Array;
}): boolean {
  return (
    m.standardId === REGISTRY_ID.IANA &&
    m.vendorId.length === CHAIN_VENDOR_ID.length &&
    m.vendorId.every((b, i) => b === CHAIN_VENDOR_ID[i])
  );
}

/** The request presenting `certChain` (an SPDM chain structure) at connection version `version`. */
export function presentChainRequest(version: number, certChain: Uint8Array): VendorDefinedRequest {
  return {
    code: REQUEST_CODE.VENDOR_DEFINED_REQUEST,
    version,
    standardId: REGISTRY_ID.IANA,
    vendorId: CHAIN_VENDOR_ID,
    payload: certChain,
  };
}

/** The responder's acceptance. */
export function presentChainResponse(version: number): VendorDefinedResponse {
  return {
    code: RESPONSE_CODE.VENDOR_DEFINED_RESPONSE,
    version,
    standardId: REGISTRY_ID.IANA,
    vendorId: CHAIN_VENDOR_ID,
    payload: new Uint8Array(0),
  };
}
