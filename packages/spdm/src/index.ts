/**
 * @trust-quorum/spdm: an SPDM 1.1-1.3 requester and responder (DMTF DSP0274) with DSP0277
 * secured messages over DSP0287 TCP framing, on node:crypto. Internals stay out of this file;
 * subpath exports (`@trust-quorum/spdm/msgs/version`) reach individual modules.
 */
export { ByteReader, ByteWriter, bytesEqual, concatBytes, fromHex, toHex } from './codec/index.js';
export * from './crypto/algorithms.js';
export { isSpdmError, SpdmError, type SpdmErrorCode } from './errors.js';
export * from './msgs/codes.js';
export type { Negotiated, Suite } from './negotiated.js';
export { suiteOf } from './negotiated.js';
