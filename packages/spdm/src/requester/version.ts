/**
 * Requester phase GET_VERSION -> VERSION (DSP0274 1.3 "GET_VERSION request and VERSION response"; libspdm `libspdm_req_get_version.c`).
 * Sends `10 84 00 00`; accepts a VERSION with at least one entry and picks the highest
 * major.minor both sides list (Update/Alpha ignored, as libspdm does). No common version is
 * SpdmError VersionMismatch. Starts the VCA transcript with GET_VERSION ‖ VERSION.
 */
import { concatBytes } from '../codec/bytes.js';
import { SpdmError } from '../errors.js';
import { REQUEST_CODE, RESPONSE_CODE, type SpdmVersion, versionName } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import { decodeVersion, encodeGetVersion, entryVersionByte } from '../msgs/version.js';
import type { RequesterConfig } from './init.js';
import { badResponse, expectResponse, type Phase } from './phase.js';
import type { RequesterStateOf } from './state.js';

/** Highest version in `ours` that `entries` list, or null. */
export function highestCommonVersion(
  ours: readonly SpdmVersion[],
  entries: readonly number[],
): SpdmVersion | null {
  const theirs = new Set(entries.map(entryVersionByte));
  let best: SpdmVersion | null = null;
  for (const v of ours) if (theirs.has(v) && (best === null || v > best)) best = v;
  return best;
}

export const versionPhase: Phase<
  RequesterStateOf<'Start'>,
  RequesterStateOf<'AfterVersion'>,
  RequesterConfig
> = {
  name: 'GET_VERSION',
  request() {
    return encodeToBytes(encodeGetVersion, { code: REQUEST_CODE.GET_VERSION });
  },
  response(_state, cfg, request, response) {
    expectResponse(request, response, RESPONSE_CODE.VERSION, 'VERSION');
    const m = decodeVersion(response);
    if (m.entries.length === 0) badResponse('VERSION', 'no version listed');
    const version = highestCommonVersion(cfg.versions, m.entries);
    if (version === null) {
      const theirs = m.entries.map((e) => versionName(entryVersionByte(e))).join(', ');
      const ours = cfg.versions.map(versionName).join(', ');
      throw new SpdmError('VersionMismatch', `VERSION: no common version (responder ${theirs}; we ${ours})`);
    }
    return {
      kind: 'AfterVersion',
      version,
      peerVersions: m.entries,
      transcript: concatBytes(request, response),
    };
  },
};
