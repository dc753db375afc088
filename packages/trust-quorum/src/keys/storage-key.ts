/**
 * Storage keys derived from the rack secret with HKDF (RFC 5869) on node:crypto:
 *   salt = SHA-256(rack id as its 16 UUID bytes)   (always SHA-256, whatever the HKDF hash)
 *   info = "tq-disk-v1" || 0x00 || disk id (UTF-8)
 *   key  = HKDF-Expand(HKDF-Extract(salt, rack secret), info, 32)
 * Keys are deterministic, distinct per disk and per rack, held in a StorageKey that never
 * prints its bytes, and never written to disk by this package.
 */
import { createHash, hkdfSync } from 'node:crypto';
import type { RackSecret } from '../rack-secret/rack-secret.js';
import { fingerprintOf, SecretBytes } from '../rack-secret/secret-bytes.js';

/** Purpose label at the start of `info`. */
export const DISK_KEY_LABEL = 'tq-disk-v1';
/** Bytes in a storage key. */
export const STORAGE_KEY_BYTES = 32;
/** Longest disk id, in UTF-8 bytes (OpenSSL caps HKDF info at 1024 bytes). */
export const MAX_DISK_ID_BYTES = 255;

export type KeyHash = 'sha256' | 'sha3-256';

export interface DeriveKeyInit {
  /** HKDF hash; default 'sha256'. */
  readonly hash?: KeyHash;
}

/** A derived storage key: prints as its disk id and a fingerprint, never its bytes. */
export class StorageKey extends SecretBytes {
  readonly diskId: string;

  /** @param bytes 32 bytes, copied. @throws RangeError on another length. */
  constructor(diskId: string, bytes: Uint8Array) {
    if (bytes.length !== STORAGE_KEY_BYTES)
      throw new RangeError(`StorageKey: want ${STORAGE_KEY_BYTES} bytes`);
    super(bytes);
    this.diskId = diskId;
  }

  /** First 8 bytes (hex) of SHA-256("tq-storage-key-fingerprint-v1" || key). Safe to print. */
  fingerprint(): string {
    return fingerprintOf('tq-storage-key-fingerprint-v1', this.expose());
  }

  protected describe(): Record<string, string> {
    return { diskId: this.diskId, fingerprint: this.fingerprint() };
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The 16 bytes of a UUID in its textual form (RFC 9562 §4).
 * @throws TypeError when `rackId` is not a UUID.
 */
export function uuidBytes(rackId: string): Uint8Array {
  if (!UUID_RE.test(rackId)) throw new TypeError('rack id is not a UUID');
  return new Uint8Array(Buffer.from(rackId.replaceAll('-', ''), 'hex'));
}

/** HKDF salt for a rack: SHA-256 of the rack id's 16 bytes. */
export function rackSalt(rackId: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(uuidBytes(rackId)).digest());
}

/** HKDF info for a disk: "tq-disk-v1" || 0x00 || UTF-8 disk id. */
export function diskInfo(diskId: string): Uint8Array {
  const id = Buffer.from(diskId, 'utf8');
  if (id.length === 0 || id.length > MAX_DISK_ID_BYTES) {
    throw new RangeError(`disk id must be 1..${MAX_DISK_ID_BYTES} UTF-8 bytes`);
  }
  return new Uint8Array(Buffer.concat([Buffer.from(DISK_KEY_LABEL, 'latin1'), Buffer.of(0), id]));
}

/**
 * Derives the storage key of one disk.
 * @throws TypeError when the rack id is not a UUID; RangeError when the disk id is empty or
 *   too long or the hash is unknown.
 */
export function deriveStorageKey(
  secret: RackSecret,
  rackId: string,
  diskId: string,
  init: DeriveKeyInit = {},
): StorageKey {
  const hash = init.hash ?? 'sha256';
  if (hash !== 'sha256' && hash !== 'sha3-256') throw new RangeError(`unknown HKDF hash ${String(hash)}`);
  const out = new Uint8Array(
    hkdfSync(hash, secret.expose(), rackSalt(rackId), diskInfo(diskId), STORAGE_KEY_BYTES),
  );
  const key = new StorageKey(diskId, out);
  out.fill(0);
  return key;
}
