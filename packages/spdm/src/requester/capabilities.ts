/**
 * Requester phase GET_CAPABILITIES -> CAPABILITIES (DSP0274 1.3 "GET_CAPABILITIES request and CAPABILITIES response"; libspdm
 * `libspdm_req_get_capabilities.c`). Sends our flags masked to the chosen version (4/12/20
 * bytes for 1.0/1.1/1.2+) and checks the answer as libspdm does: same version, exact size for
 * that version, no Supported Algorithms block we did not ask for, consistent responder flags
 * (checkResponderCaps), 1.2+ DataTransferSize >= 42, <= MaxSPDMmsgSize and equal to it without
 * CHUNK_CAP, CTExponent <= 31. All violations are SpdmError InvalidMsgField / InvalidMsgSize.
 */
import { concatBytes } from '../codec/bytes.js';
import {
  CAP,
  capsForVersion,
  checkResponderCaps,
  decodeCapabilities,
  encodeGetCapabilities,
  MAX_CT_EXPONENT,
  MIN_DATA_TRANSFER_SIZE,
  maskCapabilities,
} from '../msgs/capabilities.js';
import { REQUEST_CODE, RESPONSE_CODE, SPDM_VERSION } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import type { CapabilityExchange } from '../negotiation.js';
import type { RequesterConfig } from './init.js';
import { badResponse, expectResponse, type Phase } from './phase.js';
import type { RequesterStateOf } from './state.js';

const WHAT = 'CAPABILITIES';

export const capabilitiesPhase: Phase<
  RequesterStateOf<'AfterVersion'>,
  RequesterStateOf<'AfterCapabilities'>,
  RequesterConfig
> = {
  name: 'GET_CAPABILITIES',
  request(state, cfg) {
    const v = state.version;
    const v12 = v >= SPDM_VERSION.V12;
    return encodeToBytes(encodeGetCapabilities, {
      code: REQUEST_CODE.GET_CAPABILITIES,
      version: v,
      param1: 0,
      ctExponent: cfg.ctExponent,
      flags: capsForVersion(cfg.capabilities, 'requester', v),
      dataTransferSize: v12 ? cfg.dataTransferSize : 0,
      maxSpdmMsgSize: v12 ? cfg.maxSpdmMsgSize : 0,
    });
  },
  response(state, cfg, request, response) {
    const v = state.version;
    expectResponse(request, response, RESPONSE_CODE.CAPABILITIES, WHAT);
    const m = decodeCapabilities(response, { version: v });
    if (m.supportedAlgorithms) badResponse(WHAT, 'Supported Algorithms block we did not ask for');
    const why = checkResponderCaps(m.flags, v);
    if (why) badResponse(WHAT, why);
    if (v >= SPDM_VERSION.V12) {
      if (m.dataTransferSize < MIN_DATA_TRANSFER_SIZE)
        badResponse(WHAT, `DataTransferSize ${m.dataTransferSize} below 42`);
      if (m.dataTransferSize > m.maxSpdmMsgSize) badResponse(WHAT, 'DataTransferSize above MaxSPDMmsgSize');
      if ((m.flags & CAP.CHUNK) === 0 && m.dataTransferSize !== m.maxSpdmMsgSize) {
        badResponse(WHAT, 'DataTransferSize differs from MaxSPDMmsgSize without CHUNK_CAP');
      }
    }
    if (m.ctExponent > MAX_CT_EXPONENT)
      badResponse(WHAT, `CTExponent ${m.ctExponent} above ${MAX_CT_EXPONENT}`);
    const caps: CapabilityExchange = {
      version: v,
      requesterCaps: capsForVersion(cfg.capabilities, 'requester', v),
      requesterCtExponent: v >= SPDM_VERSION.V11 ? cfg.ctExponent : 0,
      requesterDataTransferSize: v >= SPDM_VERSION.V12 ? cfg.dataTransferSize : 0,
      requesterMaxSpdmMsgSize: v >= SPDM_VERSION.V12 ? cfg.maxSpdmMsgSize : 0,
      responderCaps: maskCapabilities(m.flags, 'responder', v),
      responderCtExponent: m.ctExponent,
      responderDataTransferSize: m.dataTransferSize,
      responderMaxSpdmMsgSize: m.maxSpdmMsgSize,
    };
    return { kind: 'AfterCapabilities', caps, transcript: concatBytes(state.transcript, request, response) };
  },
};
