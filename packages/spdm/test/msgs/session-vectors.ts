/**
 * Loads the libspdm known-answer conversations (shared/vectors/libspdm, read in place) for the
 * session-phase codec tests, and derives decoder params from each file's `config` the way a
 * flow would from ALGORITHMS: sizes by algorithm name, summary hash from the KEY_EXCHANGE sent.
 */
import { createHash, createHmac } from 'node:crypto';
import { fromHex } from '../../src/codec/bytes.js';
import type { SessionMsgParams } from '../../src/msgs/session-params.js';
import {
  LIBSPDM_FILES,
  LIBSPDM_PATH,
  type LibspdmMessage,
  libspdmPresent,
  readLibspdmJson,
} from '../vectors/libspdm.js';

export { onlySpdmErrors as onlySpdmError } from '../auth-vectors.js';

export const vectorsPresent = libspdmPresent;
export const VECTORS_MISSING = `libspdm vectors not found at ${LIBSPDM_PATH}; skipping known-answer tests`;

export const VECTOR_FILES = LIBSPDM_FILES;

export interface VectorMessage extends LibspdmMessage {
  readonly session_index?: number;
  readonly session_id_hex?: string;
}

export interface VectorKeySchedule {
  readonly session_id: string;
  readonly req_session_id: string;
  readonly rsp_session_id: string;
  readonly responder_slot_id: number;
  readonly mut_auth_requested: number;
  readonly secured_message_version_selected: string;
  readonly key_exchange_rsp_signed_transcript_hash: string;
  readonly th1_hash: string;
  readonly th2_hash: string;
  readonly request_finished_key: string;
  readonly response_finished_key: string;
  readonly responder_verify_data: string;
  readonly requester_verify_data: string;
}

export interface VectorConfig {
  readonly versions_offered: { readonly spdm: string[]; readonly secured_message: string[] };
  readonly spdm_version_byte: string;
  readonly base_hash_algo: string;
  readonly base_asym_algo: string;
  readonly req_base_asym_alg: string;
  readonly dhe_group: string;
  readonly handshake_in_the_clear: boolean;
  readonly mutual_auth: boolean;
  readonly hash_size: number;
  readonly signature_size: number;
}

export interface VectorFile {
  readonly file: string;
  readonly config: VectorConfig;
  readonly messages: VectorMessage[];
  readonly key_schedule: VectorKeySchedule;
  readonly extra_sessions: VectorKeySchedule[];
  readonly certs: {
    readonly responder_chain_hex: string;
    readonly responder_chain_slot1_hex: string;
    readonly requester_chain_hex?: string;
  };
}

export function loadVectors(): VectorFile[] {
  if (!vectorsPresent) return [];
  return VECTOR_FILES.map((file) => ({
    file,
    ...readLibspdmJson<Omit<VectorFile, 'file'>>(file),
  }));
}

/** D by group name (DSP0274 Table 20: X‖Y of the curve). */
const DHE_SIZE: Record<string, number> = { secp256r1: 64, secp384r1: 96, secp521r1: 132 };
/** S by signature algorithm name. */
const SIG_SIZE: Record<string, number> = { ECDSA_P256: 64, ECDSA_P384: 96, ECDSA_P521: 132 };

export function spdmBytes(m: VectorMessage): Uint8Array {
  if (m.spdm_hex === null) throw new Error(`message ${m.index} has no SPDM bytes`);
  return fromHex(m.spdm_hex);
}

/** One KEY_EXCHANGE .. END_SESSION_ACK run of a file, with its key-schedule record. */
export interface VectorSession {
  readonly index: number;
  readonly ks: VectorKeySchedule;
  readonly messages: VectorMessage[];
  readonly params: SessionMsgParams;
}

/** Splits a file's session-phase messages into sessions (each starts at a KEY_EXCHANGE). */
export function sessionsOf(v: VectorFile): VectorSession[] {
  const out: VectorSession[] = [];
  const schedules = [v.key_schedule, ...v.extra_sessions];
  let current: VectorMessage[] | undefined;
  for (const m of v.messages) {
    if (m.name === 'KEY_EXCHANGE') {
      current = [];
      const ke = spdmBytes(m);
      const ks = schedules[out.length];
      if (!ks) throw new Error(`${v.file}: more KEY_EXCHANGEs than key schedules`);
      out.push({ index: out.length, ks, messages: current, params: paramsOf(v.config, ke[2] !== 0) });
    }
    current?.push(m);
  }
  return out;
}

export function paramsOf(c: VectorConfig, summaryHashPresent: boolean): SessionMsgParams {
  const dheSize = DHE_SIZE[c.dhe_group];
  const sigSize = SIG_SIZE[c.base_asym_algo];
  const reqSigSize = SIG_SIZE[c.req_base_asym_alg];
  if (!dheSize || !sigSize || !reqSigSize) throw new Error(`unknown algorithm in ${JSON.stringify(c)}`);
  return {
    version: Number.parseInt(c.spdm_version_byte, 16),
    hashSize: c.hash_size,
    sigSize,
    reqSigSize,
    dheSize,
    summaryHashPresent,
    handshakeInTheClear: c.handshake_in_the_clear,
  };
}

/** node:crypto digest name of the file's BaseHashAlgo. */
export function hashName(c: VectorConfig): string {
  const n = { SHA_256: 'sha256', SHA_384: 'sha384', SHA_512: 'sha512' }[c.base_hash_algo];
  if (!n) throw new Error(`unknown hash ${c.base_hash_algo}`);
  return n;
}

/** VCA ‖ Hash(Ct) for a session: the transcript every session-phase hash starts with. */
export function vcaAndCt(v: VectorFile, s: VectorSession): Uint8Array[] {
  const vca = v.messages.slice(0, 6).map(spdmBytes);
  const chain =
    s.ks.responder_slot_id === 0 ? v.certs.responder_chain_hex : v.certs.responder_chain_slot1_hex;
  return [...vca, digest(hashName(v.config), [fromHex(chain)])];
}

export function digest(alg: string, parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function hmac(alg: string, key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac(alg, key).update(data).digest());
}

/** The one message named `name` in a session (throws if absent or repeated). */
export function only(s: VectorSession, name: string): VectorMessage {
  const hits = s.messages.filter((m) => m.name === name);
  if (hits.length !== 1) throw new Error(`session ${s.index}: ${hits.length} ${name} messages`);
  return hits[0]!;
}

/** Suite title that says plainly when the vectors are missing. */
export function vectorSuite(what: string): string {
  return vectorsPresent ? `${what} (libspdm vectors)` : `${what}: SKIPPED, ${VECTORS_MISSING}`;
}
