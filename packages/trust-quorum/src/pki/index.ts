/**
 * Development PKI: a rack root CA, optional intermediate, one device-identity certificate
 * per sled and an operator identity, written by `tq pki init` and read back by the loaders.
 */
export { isPkiAlg, PKI_ALGS, type PkiAlg, type PkiAlgInfo, pkiAlgInfo } from './algorithms.js';
export {
  type CaMaterial,
  createIntermediateCa,
  createRootCa,
  type IdentityMaterial,
  type IdentityRole,
  type IssueIdentityInit,
  issueIdentity,
  OID_SPDM_REQUESTER_AUTH,
  OID_SPDM_RESPONDER_AUTH,
  type Validity,
} from './certs.js';

export {
  DEFAULT_DAYS,
  DEFAULT_SLEDS,
  disposePki,
  generatePki,
  initPki,
  MAX_DAYS,
  MAX_SLEDS,
  type PkiGenerateInit,
  type PkiInit,
  type PkiInitResult,
  type PkiMaterial,
  RACK_NAME_RE,
} from './init.js';
export {
  type IdentityRecord,
  PKI_FILES,
  type PkiManifest,
  sledDirName,
} from './layout.js';
export {
  DeviceIdentity,
  type DeviceIdentityInit,
  loadIdentity,
  loadPkiManifest,
  loadTrustedRoot,
} from './load.js';
export { Pkcs8Key } from './secret.js';
export type { PkiWrittenEntry } from './write.js';
