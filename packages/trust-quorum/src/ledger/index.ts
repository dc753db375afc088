/** The sled's durable trust-quorum state: format, validation, atomic redundant storage. */
export {
  Ledger,
  type LedgerInit,
  ledgerProblem,
  type Member,
  parseLedger,
  serializeLedger,
} from './ledger.js';
export {
  canonicalJson,
  LEDGER_FORMAT_VERSION,
  type LedgerBody,
  type LedgerFile,
  ledgerChecksum,
  ledgerFileSchema,
  MAX_LEDGER_FILE_BYTES,
} from './schema.js';
export {
  LEDGER_FILE_NAME,
  type LedgerWarning,
  type LoadedLedger,
  type LoadLedgerInit,
  loadLedger,
  readLedgerFile,
  writeLedger,
} from './store.js';
