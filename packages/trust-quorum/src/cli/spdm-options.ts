/**
 * Option parsers of the `tq spdm` commands (commander argParsers: they throw
 * InvalidArgumentError, which commander turns into a usage error, exit code 2):
 * HOST:PORT, SPDM version lists, millisecond values, and the `--algorithms` syntax
 *
 *   --algorithms FIELD=NAME[,NAME...] [FIELD=...]     (repeatable; most preferred first)
 *
 * with FIELD one of hash, asym, req-asym, dhe, aead, meas-hash and NAME an algorithm this stack
 * runs, written loosely (`sha384`, `SHA_384`, `sha-384` are the same); `none` empties a field.
 */
import type { AlgorithmPrefs } from '@trust-quorum/spdm/algorithm-prefs';
import {
  AEADS,
  ASYMS,
  DHES,
  HASHES,
  MEASUREMENT_HASH_ALGO,
  measurementHashSize,
} from '@trust-quorum/spdm/crypto/algorithms';
import { type SpdmVersion, SUPPORTED_VERSIONS, versionName } from '@trust-quorum/spdm/msgs/codes';
import { InvalidArgumentError } from 'commander';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `HOST:PORT` or `[IPv6]:PORT`; port 0 only when `allowZero` (listen on an ephemeral port). */
export function hostPortArg(allowZero: boolean): (v: string) => HostPort {
  return (v) => {
    const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):([0-9]{1,5})$/.exec(v);
    const port = Number(m?.[3]);
    if (!m || port > 65535 || (port === 0 && !allowZero)) {
      const range = allowZero ? '0-65535' : '1-65535';
      throw new InvalidArgumentError(`want HOST:PORT (or [IPv6]:PORT) with a port in ${range}.`);
    }
    return { host: m[1] ?? m[2]!, port };
  };
}

/** "1.1,1.2,1.3" -> [0x11, 0x12, 0x13], in the order given. */
export function versionsArg(v: string): SpdmVersion[] {
  const supported = SUPPORTED_VERSIONS.map(versionName).join(', ');
  const out: SpdmVersion[] = [];
  for (const part of v.split(',').map((s) => s.trim())) {
    const hit = SUPPORTED_VERSIONS.find((s) => versionName(s) === part);
    if (hit === undefined) throw new InvalidArgumentError(`"${part}" is not one of ${supported}.`);
    if (out.includes(hit)) throw new InvalidArgumentError(`${part} listed twice.`);
    out.push(hit);
  }
  return out;
}

/** A positive integer number of milliseconds. */
export function msArg(v: string): number {
  if (!/^[0-9]+$/.test(v) || Number(v) < 1 || Number(v) > 0x7fffffff) {
    throw new InvalidArgumentError('want a positive whole number of milliseconds.');
  }
  return Number(v);
}

type AlgField = 'baseHash' | 'baseAsym' | 'reqBaseAsym' | 'dhe' | 'aead' | 'measurementHash';

/** Spelling-insensitive key: "SHA_384", "sha-384" and "sha384" all become "sha384". */
const norm = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');

function table(entries: readonly { bit: number; name: string }[], aliases: Record<string, number> = {}) {
  const m = new Map<string, number>();
  for (const e of entries) m.set(norm(e.name), e.bit);
  for (const [k, bit] of Object.entries(aliases)) m.set(norm(k), bit);
  return m;
}

const ed25519 = ASYMS.find((a) => a.name === 'EDDSA_ED25519')?.bit ?? 0;
const asymTable = table(ASYMS, { ed25519 });
const measEntries = Object.entries(MEASUREMENT_HASH_ALGO)
  .filter(([, bit]) => {
    try {
      measurementHashSize(bit);
      return true;
    } catch {
      return false;
    }
  })
  .map(([name, bit]) => ({ name, bit }));

/** FIELD of the --algorithms syntax -> preference list and accepted names. */
const FIELDS: Readonly<Record<string, { key: AlgField; names: Map<string, number>; shown: string }>> = {
  hash: { key: 'baseHash', names: table(HASHES), shown: 'sha256 sha384 sha512 sha3-256 sha3-384 sha3-512' },
  asym: {
    key: 'baseAsym',
    names: asymTable,
    shown: 'ecdsa-p256 ecdsa-p384 ecdsa-p521 ed25519 rsassa-2048|3072|4096 rsapss-2048|3072|4096',
  },
  'req-asym': { key: 'reqBaseAsym', names: asymTable, shown: 'as asym' },
  dhe: { key: 'dhe', names: table(DHES), shown: 'secp256r1 secp384r1 secp521r1' },
  aead: { key: 'aead', names: table(AEADS), shown: 'aes-128-gcm aes-256-gcm chacha20-poly1305' },
  'meas-hash': {
    key: 'measurementHash',
    names: table(measEntries),
    shown: 'sha256 sha384 sha512 sha3-256 sha3-384 sha3-512 raw-bit-stream',
  },
};

/** Help text listing the --algorithms fields and names. */
export const ALGORITHMS_HELP = [
  '--algorithms takes FIELD=NAME[,NAME...] (most preferred first; repeat the option or separate',
  'entries with spaces; "none" empties a field; unnamed fields keep their defaults):',
  ...Object.entries(FIELDS).map(([f, d]) => `  ${f.padEnd(9)} ${d.shown}`),
  'Example: --algorithms "hash=sha384,sha256 asym=ecdsa-p384 dhe=secp384r1 aead=aes-256-gcm"',
].join('\n');

export type AlgorithmSpec = Partial<Pick<AlgorithmPrefs, AlgField>>;

function parseList(field: string, list: string): number[] {
  const d = FIELDS[field]!;
  if (norm(list) === 'none') return [];
  const bits: number[] = [];
  for (const name of list.split(',')) {
    const bit = d.names.get(norm(name));
    if (bit === undefined) {
      throw new InvalidArgumentError(`unknown ${field} algorithm "${name}" (known: ${d.shown}).`);
    }
    if (bits.includes(bit)) throw new InvalidArgumentError(`${field}: "${name}" listed twice.`);
    bits.push(bit);
  }
  return bits;
}

/** Commander collector for a repeatable --algorithms option. */
export function algorithmsArg(v: string, previous: AlgorithmSpec = {}): AlgorithmSpec {
  const out: Record<string, number[]> = { ...previous } as Record<string, number[]>;
  for (const entry of v.split(/\s+/).filter((s) => s.length > 0)) {
    const eq = entry.indexOf('=');
    const field = entry.slice(0, eq);
    if (eq <= 0 || !(field in FIELDS)) {
      const known = Object.keys(FIELDS).join(', ');
      throw new InvalidArgumentError(`want FIELD=NAME[,NAME...] with FIELD one of ${known}; got "${entry}".`);
    }
    const key = FIELDS[field]!.key;
    if (key in out) throw new InvalidArgumentError(`${field} given twice.`);
    out[key] = parseList(field, entry.slice(eq + 1));
  }
  return out as AlgorithmSpec;
}
