/**
 * The options both ends of an SPDM connection share (versions, capability flags, CTExponent,
 * DataTransferSize / MaxSPDMmsgSize), resolved and checked once for the requester's and the
 * responder's init (requester/init.ts, responder/init.ts). Each side passes its own default
 * flags and the libspdm consistency check its peer will apply (DSP0274 1.3 §10.3;
 * spdm-reference §2.2), so a libspdm peer will not refuse what we send.
 */
import {
  capsForVersion,
  checkRequesterCaps,
  checkResponderCaps,
  hasCap,
  MAX_CT_EXPONENT,
  MIN_DATA_TRANSFER_SIZE,
} from './msgs/capabilities.js';
import { type SpdmVersion, SUPPORTED_VERSIONS, versionName } from './msgs/codes.js';
import { DEFAULT_CT_EXPONENT, DEFAULT_DATA_TRANSFER_SIZE } from './negotiation.js';

export interface LinkInit {
  readonly versions?: readonly SpdmVersion[];
  readonly capabilities?: number;
  readonly ctExponent?: number;
  readonly dataTransferSize?: number;
  readonly maxSpdmMsgSize?: number;
}

export interface LinkConfig {
  readonly versions: readonly SpdmVersion[];
  readonly capabilities: number;
  readonly ctExponent: number;
  readonly dataTransferSize: number;
  readonly maxSpdmMsgSize: number;
}

/**
 * Fills in defaults and checks versions (within 1.1..1.3, none twice), the capability flags at
 * every listed version against `role`'s rules, CTExponent and the two sizes (1.2+ rules: at
 * least 42, MaxSPDMmsgSize >= DataTransferSize, equal without CHUNK_CAP).
 * @throws RangeError on misuse.
 */
export function resolveLinkInit(
  init: LinkInit,
  role: 'requester' | 'responder',
  defaultCapabilities: number,
): LinkConfig {
  const versions = [...(init.versions ?? SUPPORTED_VERSIONS)];
  if (versions.length === 0) throw new RangeError('versions must not be empty');
  for (const v of versions) {
    if (!SUPPORTED_VERSIONS.includes(v))
      throw new RangeError(`version 0x${Number(v).toString(16)} not supported`);
  }
  if (new Set(versions).size !== versions.length) throw new RangeError('versions listed twice');
  const capabilities = (init.capabilities ?? defaultCapabilities) >>> 0;
  const check = role === 'requester' ? checkRequesterCaps : checkResponderCaps;
  for (const v of versions) {
    const why = check(capsForVersion(capabilities, role, v), v);
    if (why) throw new RangeError(`capabilities inconsistent at SPDM ${versionName(v)}: ${why}`);
  }
  const ctExponent = init.ctExponent ?? DEFAULT_CT_EXPONENT;
  if (!Number.isInteger(ctExponent) || ctExponent < 0 || ctExponent > MAX_CT_EXPONENT) {
    throw new RangeError(`ctExponent must be 0..${MAX_CT_EXPONENT}`);
  }
  const dataTransferSize = init.dataTransferSize ?? DEFAULT_DATA_TRANSFER_SIZE;
  const maxSpdmMsgSize = init.maxSpdmMsgSize ?? dataTransferSize;
  if (
    !Number.isInteger(dataTransferSize) ||
    dataTransferSize < MIN_DATA_TRANSFER_SIZE ||
    dataTransferSize > 0xffffffff
  ) {
    throw new RangeError(`dataTransferSize must be an integer >= ${MIN_DATA_TRANSFER_SIZE}`);
  }
  if (!Number.isInteger(maxSpdmMsgSize) || maxSpdmMsgSize < dataTransferSize || maxSpdmMsgSize > 0xffffffff) {
    throw new RangeError('maxSpdmMsgSize must be >= dataTransferSize');
  }
  if (!hasCap(capabilities, 'CHUNK_CAP') && dataTransferSize !== maxSpdmMsgSize) {
    throw new RangeError('without CHUNK_CAP, dataTransferSize must equal maxSpdmMsgSize');
  }
  return { versions, capabilities, ctExponent, dataTransferSize, maxSpdmMsgSize };
}
