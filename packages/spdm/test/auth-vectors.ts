/**
 * Test helper: the libspdm known-answer files (shared/vectors/libspdm, read in place) and the
 * decoder parameters of the authentication phase derived from each file's `config`.
 */
import { fromHex } from '../src/codec/bytes.js';
import {
  type AsymInfo,
  asymInfo,
  type HashInfo,
  hashInfo,
  measurementHashSize,
} from '../src/crypto/algorithms.js';
import { SpdmError } from '../src/errors.js';
import { encodeToBytes } from '../src/msgs/encode.js';
import {
  LIBSPDM_FILES,
  LIBSPDM_PATH,
  type LibspdmMessage,
  libspdmPresent,
  readLibspdmFile,
  readLibspdmJson,
} from './vectors/libspdm.js';

export const vectorsExist = libspdmPresent;
/** A describe title that says why the block is skipped when the vectors are absent. */
export function vectorsTitle(what: string): string {
  return vectorsExist ? what : `${what} (SKIPPED: libspdm vectors not found at ${LIBSPDM_PATH})`;
}

export const VECTOR_FILES = LIBSPDM_FILES;

export type VectorMessage = LibspdmMessage;

export interface VectorFile {
  readonly name: string;
  readonly config: Record<string, unknown> & {
    readonly spdm_version_byte: string;
    readonly base_hash_algo_value: string;
    readonly base_asym_algo_value: string;
    readonly measurement_hash_algo_value: string;
    readonly hash_size: number;
    readonly signature_size: number;
  };
  readonly messages: readonly VectorMessage[];
  readonly certs: {
    readonly responder_chain_hex: string;
    readonly responder_chain_hash_hex: string;
    readonly responder_chain_slot1_hex: string;
    readonly requester_chain_hex?: string;
    readonly files: Record<string, string>;
  };
}

/** What the decoders need, from a file's config. */
export interface AuthParams {
  readonly version: number;
  readonly hashSize: number;
  readonly sigSize: number;
  readonly measurementHashSize: number;
  readonly hash: HashInfo;
  readonly asym: AsymInfo;
}

export function loadVector(name: string): VectorFile {
  return { ...readLibspdmJson<Omit<VectorFile, 'name'>>(name), name };
}

export function paramsOf(v: VectorFile): AuthParams {
  const c = v.config;
  return {
    version: Number(c.spdm_version_byte),
    hashSize: c.hash_size,
    sigSize: c.signature_size,
    measurementHashSize: measurementHashSize(Number(c.measurement_hash_algo_value)),
    hash: hashInfo(Number(c.base_hash_algo_value)),
    asym: asymInfo(Number(c.base_asym_algo_value)),
  };
}

/** The SPDM bytes of message `i`. */
export function spdmOf(v: VectorFile, i: number): Uint8Array {
  const hex = v.messages[i]?.spdm_hex;
  if (!hex) throw new Error(`${v.name}: message ${i} has no SPDM bytes`);
  return fromHex(hex);
}

/** A file under the vectors' keys/ folder, e.g. `keys/ecp384/ca.cert.der`. */
export function readVectorFile(rel: string): Uint8Array {
  return new Uint8Array(readLibspdmFile(rel));
}

/** `ecp384` or `ecp256`: the key folder a file's certificates come from. */
export function keyDirOf(v: VectorFile): string {
  const f = v.certs.files.responder_slot0_bundle ?? '';
  return f.split('/').slice(0, 2).join('/');
}

/** Runs an `encodeX(w, m)` and returns the bytes. */
export const encodeWith = encodeToBytes;

/** Calls `f`; any exception other than SpdmError fails the test. */
export function onlySpdmErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof SpdmError)) throw e;
  }
}

/** Calls `f`, which must throw an SpdmError; returns it. */
export function spdmErrorOf(f: () => unknown): SpdmError {
  try {
    f();
  } catch (e) {
    if (e instanceof SpdmError) return e;
    throw e;
  }
  throw new Error('expected an SpdmError, nothing was thrown');
}
