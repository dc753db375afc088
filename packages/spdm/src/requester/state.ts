/**
 * Requester state, a discriminated union on `kind` (conventions #6), one variant per point
 * between phases. A phase maps one variant to the next; a failure is a thrown SpdmError, after
 * which the caller starts again from `Start` (GET_VERSION resets both sides).
 *
 * Extension point: later phases add variants after `Negotiated` (e.g. `Authenticated` with the
 * B/C transcripts and the peer's chain, `Session` with the key schedule); each must keep the
 * `negotiated` field so every later phase can reach the version and the suite.
 */
import type { SpdmVersion } from '../msgs/codes.js';
import type { Negotiated } from '../negotiated.js';
import type { CapabilityExchange } from '../negotiation.js';
import type { RequesterAuth } from './auth-state.js';

export type RequesterState =
  | { readonly kind: 'Start' }
  /** VERSION accepted: `version` is the highest common one; transcript = GET_VERSION ‖ VERSION. */
  | {
      readonly kind: 'AfterVersion';
      readonly version: SpdmVersion;
      /** VersionNumberEntry values the responder listed. */
      readonly peerVersions: readonly number[];
      readonly transcript: Uint8Array;
    }
  /** CAPABILITIES accepted; transcript = GET_VERSION .. CAPABILITIES. */
  | { readonly kind: 'AfterCapabilities'; readonly caps: CapabilityExchange; readonly transcript: Uint8Array }
  /** ALGORITHMS accepted: VCA done. `auth`: B/M transcripts and slot digests (auth-state.ts; absent = empty). */
  | { readonly kind: 'Negotiated'; readonly negotiated: Negotiated; readonly auth?: RequesterAuth };

export type RequesterStateKind = RequesterState['kind'];

/** The variant of `kind`. */
export type RequesterStateOf<K extends RequesterStateKind> = Extract<RequesterState, { kind: K }>;

export const START: RequesterStateOf<'Start'> = { kind: 'Start' };
