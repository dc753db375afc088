/** Rack secret: Shamir sharing over the P-256 scalar field with Feldman commitments. */
export {
  type CombineInit,
  combine,
  type SplitResult,
  secretMatches,
  split,
  splitWithCoefficients,
  verifyShare,
} from './feldman.js';
export { FINGERPRINT_LABEL, MAX_SHARES, RackSecret, Share } from './rack-secret.js';
export { ORDER, POINT_BYTES, SCALAR_BYTES, scalarFromBytes, scalarToBytes } from './scalar.js';
export { fingerprintOf, SecretBytes } from './secret-bytes.js';
