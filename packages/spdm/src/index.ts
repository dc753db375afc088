/**
 * @trust-quorum/spdm: an SPDM 1.1-1.3 requester and responder (DMTF DSP0274) with DSP0277
 * secured messages over DSP0287 TCP framing (and the spdm-emu socket protocol), on node:crypto.
 *
 * The common entry points are exported here by name; each layer is also available as a
 * namespace (`transport`, `requester`, `responder`, `session`) and every module through its
 * subpath (`@trust-quorum/spdm/msgs/key-exchange`). Internals stay out of this file.
 */
export { type ConnectAndNegotiateInit, connectAndNegotiate, type NegotiatedConnection } from './client.js';
export { ByteReader, ByteWriter, bytesEqual, concatBytes, fromHex, toHex } from './codec/index.js';
export * from './crypto/algorithms.js';
export { KeySchedule } from './crypto/key-schedule.js';
export { signSpdm, verifySpdm } from './crypto/sign.js';
export { cryptoSuite } from './crypto/suite.js';
export { Transcript } from './crypto/transcript.js';
export { isSpdmError, SpdmError, type SpdmErrorCode } from './errors.js';
export { buildCertChain, certChainDigest, parseCertChain } from './identity/cert-chain.js';
export { CertSlots } from './identity/slots.js';
export { validateCertChain } from './identity/validate.js';
export * from './msgs/codes.js';
export type { Negotiated, Suite } from './negotiated.js';
export { suiteOf } from './negotiated.js';
export * as requester from './requester/index.js';
export { negotiate } from './requester/negotiate.js';
export { type RequesterRunInit, type RequesterRunResult, run as runRequester } from './requester/run.js';
export { ResponderCore } from './responder/core.js';
export * as responder from './responder/index.js';
export { type ResponderRunInit, run as runResponder, type ServeInit, serve } from './responder/run.js';
export { listenSpdm, serveSpdm } from './responder/serve.js';
export * as session from './session/index.js';
export type { PeerIdentity } from './session/peer.js';
export { SecureChannel } from './session/secure-channel.js';
export * as transport from './transport/index.js';
export { connectTcp, listenTcp } from './transport/tcp.js';
