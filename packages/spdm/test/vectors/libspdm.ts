/**
 * Test helper: where the libspdm known-answer recordings live (shared/vectors/libspdm, read in
 * place, never copied), which files there are, and plain readers for them. The typed views the
 * test areas need (auth-vectors.ts, msgs/session-vectors.ts, crypto/libspdm-vectors.ts) build
 * on this module instead of each locating and parsing the files themselves.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The vectors folder, `../shared/vectors/libspdm/` relative to the repository root. */
export const LIBSPDM_DIR = new URL('../../../../../shared/vectors/libspdm/', import.meta.url);
/** {@link LIBSPDM_DIR} as a file-system path. */
export const LIBSPDM_PATH = fileURLToPath(LIBSPDM_DIR);
/** Whether the vectors folder exists (the known-answer suites skip when it does not). */
export const libspdmPresent = existsSync(LIBSPDM_PATH);

/** The recorded conversations (README.md of the vectors folder). */
export const LIBSPDM_FILES = [
  'spdm12_tcp_p384_aes256.json',
  'spdm13_tcp_p384_aes256_mutauth.json',
  'spdm13_mctp_p256_aes128.json',
] as const;

/** The recordings made over the DSP0287 TCP binding. */
export const LIBSPDM_TCP_FILES = LIBSPDM_FILES.filter((f) => f.includes('_tcp_'));

/** The fields every recorded message has. */
export interface LibspdmMessage {
  readonly index: number;
  readonly dir: 'req' | 'rsp';
  readonly name: string;
  readonly secured: boolean;
  readonly spdm_hex: string | null;
}

/**
 * Parses one recording, typed as the caller reads it.
 * @throws Error when the file is absent or not JSON.
 */
export function readLibspdmJson<T>(file: string): T {
  return JSON.parse(readFileSync(new URL(file, LIBSPDM_DIR), 'utf8')) as T;
}

/**
 * The bytes of a file below the vectors folder, e.g. `keys/ecp384/ca.cert.der`.
 * @throws Error when the file is absent.
 */
export function readLibspdmFile(rel: string): Buffer {
  return readFileSync(new URL(rel, LIBSPDM_DIR));
}
