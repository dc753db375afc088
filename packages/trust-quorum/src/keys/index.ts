/** Storage keys from the rack secret (HKDF); never written to disk. */
export {
  type DeriveKeyInit,
  DISK_KEY_LABEL,
  deriveStorageKey,
  diskInfo,
  type KeyHash,
  MAX_DISK_ID_BYTES,
  rackSalt,
  STORAGE_KEY_BYTES,
  StorageKey,
  uuidBytes,
} from './storage-key.js';
