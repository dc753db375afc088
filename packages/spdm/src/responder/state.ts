/**
 * Connection state of the responder, a discriminated union on `kind` (conventions #6). It mirrors
 * libspdm's connection states (NOT_STARTED, AFTER_VERSION, AFTER_CAPABILITIES, NEGOTIATED).
 *
 * Extension point: a later phase that needs more per-connection data (the B / C / M transcripts
 * of GET_DIGESTS .. CHALLENGE, sessions) adds a variant here (e.g. `{ kind: 'Authenticated';
 * negotiated; ... }`) or a field to an existing one, lists the new kind in the `allowedIn` of the
 * handlers that accept it, and returns it from its handler. Every variant after negotiation must
 * carry `negotiated` so `connectionVersion` and the dispatcher's version check keep working.
 * States are immutable values: a handler returns a new one, never mutates the current one.
 */
import type { SpdmVersion } from '../msgs/codes.js';
import type { Negotiated } from '../negotiated.js';
import type { CapabilityExchange } from '../negotiation.js';
import type { ResponderAuth } from './auth-state.js';

export type { CapabilityExchange } from '../negotiation.js';

export type ResponderState =
  /** Nothing received yet (or after reset()). */
  | { readonly kind: 'NotStarted' }
  /** GET_VERSION answered; `transcript` = GET_VERSION ‖ VERSION. */
  | { readonly kind: 'AfterVersion'; readonly transcript: Uint8Array }
  /** CAPABILITIES sent; `transcript` = GET_VERSION .. CAPABILITIES. */
  | { readonly kind: 'AfterCapabilities'; readonly caps: CapabilityExchange; readonly transcript: Uint8Array }
  /**
   * ALGORITHMS sent: VCA done; `negotiated.vca` holds the six messages. `auth` holds the B and M
   * transcripts of the authentication phase (auth-state.ts; absent = empty).
   */
  | { readonly kind: 'Negotiated'; readonly negotiated: Negotiated; readonly auth?: ResponderAuth };

export type ResponderStateKind = ResponderState['kind'];

/** Every state kind, for handlers allowed everywhere. */
export const ALL_RESPONDER_STATES: readonly ResponderStateKind[] = [
  'NotStarted',
  'AfterVersion',
  'AfterCapabilities',
  'Negotiated',
];

/** The version later requests must carry, or null while none is settled. */
export function connectionVersion(s: ResponderState): SpdmVersion | null {
  switch (s.kind) {
    case 'AfterCapabilities':
      return s.caps.version;
    case 'Negotiated':
      return s.negotiated.version;
    default:
      return null;
  }
}

/** DataTransferSize the requester announced (1.2+), or 0 when unknown / before 1.2. */
export function requesterDataTransferSize(s: ResponderState): number {
  switch (s.kind) {
    case 'AfterCapabilities':
      return s.caps.requesterDataTransferSize;
    case 'Negotiated':
      return s.negotiated.requesterDataTransferSize;
    default:
      return 0;
  }
}
