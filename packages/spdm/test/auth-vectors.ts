/**
 * Test helper: the libspdm known-answer files (shared/vectors/libspdm, read in place) and the
 * decoder parameters of the authentication phase derived from each file's `config`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../src/codec/bytes.js';
import { ByteWriter } from '../src/codec/writer.js';
import {
  type AsymInfo,
  asymInfo,
  type HashInfo,
  hashInfo,
  measurementHashSize,
} from '../src/crypto/algorithms.js';
import { SpdmError } from '../src/errors.js';

export const VECTORS_DIR = new URL('../../../../shared/vectors/libspdm/', import.meta.url);
export const vectorsExist = existsSync(fileURLToPath(VECTORS_DIR));
/** A describe title that says why the block is skipped when the vectors are absent. */
export function vectorsTitle(what: string): string {
  return vectorsExist
    ? what
    : `${what} (SKIPPED: libspdm vectors not found at ${fileURLToPath(VECTORS_DIR)})`;
}

export const VECTOR_FILES = [
  'spdm12_tcp_p384_aes256.json',
  'spdm13_tcp_p384_aes256_mutauth.json',
  'spdm13_mctp_p256_aes128.json',
] as const;

export interface VectorMessage {
  readonly index: number;
  readonly dir: 'req' | 'rsp';
  readonly name: string;
  readonly secured: boolean;
  readonly spdm_hex: string | null;
}

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
  const v = JSON.parse(readFileSync(new URL(name, VECTORS_DIR), 'utf8')) as Omit<VectorFile, 'name'>;
  return { ...v, name };
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
  return new Uint8Array(readFileSync(new URL(rel, VECTORS_DIR)));
}

/** `ecp384` or `ecp256`: the key folder a file's certificates come from. */
export function keyDirOf(v: VectorFile): string {
  const f = v.certs.files.responder_slot0_bundle ?? '';
  return f.split('/').slice(0, 2).join('/');
}

/** Runs an `encodeX(w, m)` and returns the bytes. */
export function encodeWith<M>(encode: (w: ByteWriter, m: M) => void, m: M): Uint8Array {
  const w = new ByteWriter();
  encode(w, m);
  return w.finish();
}

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
