/**
 * Test helper: loads the libspdm known-answer recordings from shared/vectors/libspdm (read in
 * place, never copied) and slices them the way the vectors README ("How to use the vectors")
 * describes. Typed only as far as the crypto tests read them.
 */
import { type KeyObject, X509Certificate } from 'node:crypto';
import { fromHex } from '../../src/codec/bytes.js';
import {
  LIBSPDM_FILES,
  type LibspdmMessage,
  libspdmPresent,
  readLibspdmFile,
  readLibspdmJson,
} from '../vectors/libspdm.js';

export const VECTORS_PRESENT = libspdmPresent;
export const VECTORS_ABSENT_MESSAGE =
  'libspdm vectors not found at ../shared/vectors/libspdm relative to the repository: known-answer tests skipped';

export const VECTOR_FILES = LIBSPDM_FILES;

export interface VectorRecord {
  aad_hex: string;
  ciphertext_hex: string;
  tag_hex: string;
  nonce_hex: string;
  plaintext_hex: string;
  application_data_length: number;
  inner_message_hex: string;
  random_padding_hex: string;
}

export interface VectorMessage extends LibspdmMessage {
  wire_hex: string;
  transport_header_hex?: string;
  session_index?: number;
  session_id_hex?: string;
  key_used?: string;
  sequence_number?: number;
  record?: VectorRecord;
}

export interface VectorKeyUpdate {
  direction: 'request' | 'response';
  new_data_secret: string;
  new_key: string;
  new_iv: string;
}

/** `key_schedule` and each `extra_sessions[]` entry. */
export interface VectorSession {
  session_index: number;
  responder_slot_id: number;
  mut_auth_requested: number;
  [field: string]: unknown;
  key_updates: VectorKeyUpdate[];
  printed_bin_str: Record<string, string>;
  recomputed: {
    salt1_derived: string;
    bin_concat: Record<string, string>;
    hash_ct: string;
    hash_cm?: string;
  };
}

export interface VectorFile {
  name: string;
  transport: 'TCP' | 'MCTP';
  config: {
    spdm_version_byte: string;
    base_hash_algo_value: string;
    base_asym_algo_value: string;
    req_base_asym_alg_value: string;
    dhe_value: string;
    aead_value: string;
    hash_size: number;
    signature_size: number;
    aead_key_size: number;
    mutual_auth: boolean;
    handshake_in_the_clear: boolean;
  };
  messages: VectorMessage[];
  key_schedule: VectorSession;
  extra_sessions: VectorSession[];
  certs: {
    responder_chain_hex: string;
    responder_chain_hash_hex: string;
    responder_chain_slot1_hex: string;
    requester_chain_hex?: string;
    files: Record<string, string>;
  };
  transcript_hashes: { m1_hash_challenge_auth: string; l1_hash_measurements: string };
}

export function loadVector(name: string): VectorFile {
  return { ...readLibspdmJson<Omit<VectorFile, 'name'>>(name), name };
}

/** Every vector file, or none when the folder is absent (the suites skip then). */
export function loadAllVectors(): VectorFile[] {
  return VECTORS_PRESENT ? VECTOR_FILES.map(loadVector) : [];
}

/** A file from keys/ (PEM or DER bytes). */
export function vectorKeyFile(rel: string): Buffer {
  return readLibspdmFile(rel);
}

export const hx = fromHex;

/** Parses a config value such as "0x00000080". */
export function num(v: string): number {
  return Number.parseInt(v, 16);
}

export const versionByte = (v: VectorFile): number => num(v.config.spdm_version_byte);
export const hashBit = (v: VectorFile): number => num(v.config.base_hash_algo_value);
export const asymBit = (v: VectorFile): number => num(v.config.base_asym_algo_value);
export const reqAsymBit = (v: VectorFile): number => num(v.config.req_base_asym_alg_value);
export const aeadBit = (v: VectorFile): number => num(v.config.aead_value);
export const dheBit = (v: VectorFile): number => num(v.config.dhe_value);

/** All sessions of a file: key_schedule then extra_sessions. */
export function vectorSessions(v: VectorFile): VectorSession[] {
  return [v.key_schedule, ...v.extra_sessions];
}

/** A hex field of a session, as bytes. */
export function field(s: VectorSession, name: string): Uint8Array {
  const value = s[name];
  if (typeof value !== 'string') throw new Error(`vector session has no field ${name}`);
  return hx(value);
}

/** spdm[i]. */
export function spdm(v: VectorFile, i: number): Uint8Array {
  const m = v.messages[i];
  if (!m?.spdm_hex) throw new Error(`message ${i} has no spdm_hex`);
  return hx(m.spdm_hex);
}

/** VCA = spdm[0] ‖ … ‖ spdm[5]. */
export function vca(v: VectorFile): Uint8Array {
  return Buffer.concat([0, 1, 2, 3, 4, 5].map((i) => spdm(v, i)));
}

/** The messages of session `index`: KEY_EXCHANGE, KEY_EXCHANGE_RSP, FINISH, FINISH_RSP. */
export function sessionMessages(v: VectorFile, index: number) {
  const named = (name: string, nth: number): Uint8Array => {
    const all = v.messages.filter((m) => m.name === name);
    const m = all[nth];
    if (!m) throw new Error(`no ${name} #${nth}`);
    return spdm(v, m.index);
  };
  return {
    keyExchange: named('KEY_EXCHANGE', index),
    keyExchangeRsp: named('KEY_EXCHANGE_RSP', index),
    finish: named('FINISH', index),
    finishRsp: named('FINISH_RSP', index),
  };
}

/** Splits concatenated DER certificates (each an ASN.1 SEQUENCE with a definite length). */
export function derCertificates(bundle: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bundle.length) {
    if (bundle[at] !== 0x30) throw new Error('not a DER SEQUENCE');
    let len = bundle[at + 1] ?? 0;
    let hdr = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + (bundle[at + 2 + i] ?? 0);
      hdr += n;
    }
    out.push(bundle.subarray(at, at + hdr + len));
    at += hdr + len;
  }
  return out;
}

/** The public key of the last (leaf) certificate of an SPDM cert-chain structure. */
export function chainLeafKey(chain: Uint8Array, hashSize: number): KeyObject {
  const certs = derCertificates(chain.subarray(4 + hashSize));
  const leaf = certs[certs.length - 1];
  if (!leaf) throw new Error('empty chain');
  return new X509Certificate(leaf).publicKey;
}
