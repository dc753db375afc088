/**
 * GET_CAPABILITIES handler (DSP0274 1.3 "GET_CAPABILITIES request and CAPABILITIES response"; libspdm `libspdm_rsp_capabilities.c`). Accepted
 * only right after VERSION. Checks, in libspdm's order: the header version is one we listed
 * (else VersionMismatch), the size fits that version, the requester's flags are consistent
 * (checkRequesterCaps), 1.2+ DataTransferSize >= 42, <= MaxSPDMmsgSize and equal to it without
 * CHUNK_CAP, CTExponent <= 31, and 1.3 Param1 bit0 only with CHUNK_CAP (all InvalidRequest).
 * The header version becomes the connection version. The 1.3 Supported Algorithms block is
 * appended when asked for and both sides have CHUNK_CAP.
 */
import { offerOf } from '../algorithm-prefs.js';
import { concatBytes } from '../codec/bytes.js';
import { SpdmError } from '../errors.js';
import {
  CAP,
  type Capabilities,
  capsForVersion,
  checkRequesterCaps,
  decodeGetCapabilities,
  encodeCapabilities,
  type GetCapabilities,
  MAX_CT_EXPONENT,
  MIN_DATA_TRANSFER_SIZE,
  maskCapabilities,
  SUPPORTED_ALGORITHMS_PARAM1,
} from '../msgs/capabilities.js';
import { ERROR_CODE, RESPONSE_CODE, SPDM_VERSION, type SpdmVersion, versionName } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import type { CapabilityExchange } from '../negotiation.js';
import type { RequestHandler } from './handler.js';
import type { ResponderConfig } from './init.js';

function invalid(msg: string): never {
  throw new SpdmError('InvalidMsgField', `GET_CAPABILITIES: ${msg}`, { wireCode: ERROR_CODE.InvalidRequest });
}

/** The libspdm responder's checks on a decoded GET_CAPABILITIES. @throws SpdmError InvalidRequest */
export function checkGetCapabilities(m: GetCapabilities): void {
  const why = checkRequesterCaps(m.flags, m.version);
  if (why) invalid(why);
  if (m.version >= SPDM_VERSION.V12) {
    if (m.dataTransferSize < MIN_DATA_TRANSFER_SIZE)
      invalid(`DataTransferSize ${m.dataTransferSize} below 42`);
    if (m.dataTransferSize > m.maxSpdmMsgSize) invalid('DataTransferSize above MaxSPDMmsgSize');
    if ((m.flags & CAP.CHUNK) === 0 && m.dataTransferSize !== m.maxSpdmMsgSize) {
      invalid('DataTransferSize differs from MaxSPDMmsgSize without CHUNK_CAP');
    }
  }
  if (m.ctExponent > MAX_CT_EXPONENT) invalid(`CTExponent ${m.ctExponent} above ${MAX_CT_EXPONENT}`);
  if ((m.param1 & SUPPORTED_ALGORITHMS_PARAM1) !== 0 && (m.flags & CAP.CHUNK) === 0) {
    invalid('Supported Algorithms block asked for without CHUNK_CAP');
  }
}

function buildCapabilities(cfg: ResponderConfig, m: GetCapabilities, flags: number): Capabilities {
  const v12 = m.version >= SPDM_VERSION.V12;
  const withBlock =
    m.version >= SPDM_VERSION.V13 &&
    (m.param1 & SUPPORTED_ALGORITHMS_PARAM1) !== 0 &&
    (m.flags & CAP.CHUNK) !== 0 &&
    (flags & CAP.CHUNK) !== 0;
  const base: Capabilities = {
    code: RESPONSE_CODE.CAPABILITIES,
    version: m.version,
    ctExponent: cfg.ctExponent,
    flags,
    dataTransferSize: v12 ? cfg.dataTransferSize : 0,
    maxSpdmMsgSize: v12 ? cfg.maxSpdmMsgSize : 0,
  };
  return withBlock ? { ...base, supportedAlgorithms: offerOf(cfg.algorithms, m.version) } : base;
}

export const getCapabilitiesHandler: RequestHandler = {
  name: 'GET_CAPABILITIES',
  allowedIn: ['AfterVersion'],
  handle(request, ctx) {
    const v = ctx.header.version as SpdmVersion;
    if (!ctx.config.versions.includes(v)) {
      throw new SpdmError('VersionMismatch', `GET_CAPABILITIES: version ${versionName(v)} not offered`, {
        wireCode: ERROR_CODE.VersionMismatch,
      });
    }
    const m = decodeGetCapabilities(request, { version: v });
    checkGetCapabilities(m);
    const flags = capsForVersion(ctx.config.capabilities, 'responder', v);
    const sent = buildCapabilities(ctx.config, m, flags);
    const response = encodeToBytes(encodeCapabilities, sent);
    if (ctx.state.kind !== 'AfterVersion') throw new SpdmError('Internal', 'GET_CAPABILITIES: state');
    const caps: CapabilityExchange = {
      version: v,
      requesterCaps: maskCapabilities(m.flags, 'requester', v),
      requesterCtExponent: m.ctExponent,
      requesterDataTransferSize: m.dataTransferSize,
      requesterMaxSpdmMsgSize: m.maxSpdmMsgSize,
      responderCaps: flags,
      responderCtExponent: sent.ctExponent,
      responderDataTransferSize: sent.dataTransferSize,
      responderMaxSpdmMsgSize: sent.maxSpdmMsgSize,
    };
    const transcript = concatBytes(ctx.state.transcript, request, response);
    return { response, state: { kind: 'AfterCapabilities', caps, transcript } };
  },
};
