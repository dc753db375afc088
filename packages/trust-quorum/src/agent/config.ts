/**
 * The agent config file: TOML (`.toml`, via smol-toml) or JSON (`.json`), chosen by extension,
 * validated by the zod schema in config-schema.ts, and turned into an {@link AgentConfig} whose
 * paths are absolute (relative ones resolve against the file's directory) and whose addresses
 * and multicast group are parsed. Every problem is reported as `FILE: field.path: reason`
 * (e.g. `agent.toml: unlock.disks[0]: want 1-128 letters, ...`), never quoting a value.
 */
import { open } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { z } from 'zod';
import type { HostPort } from '../discovery/address.js';
import { type MulticastGroup, parseMulticastGroup } from '../discovery/group.js';
import { TrustQuorumError } from '../errors.js';
import type { KeyHash } from '../keys/index.js';
import { PKI_FILES } from '../pki/layout.js';
import type { ServiceSpec } from '../services/supervisor.js';
import type { HookCommand } from '../unlock/key-command.js';
import { type AgentConfigData, agentConfigSchema } from './config-schema.js';

/** Largest config file read. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Most problems listed in one error. */
const MAX_REPORTED = 10;

export interface AgentIdentityPaths {
  readonly dir: string;
  /** DIR/chain.pem: root first, ..., leaf last. */
  readonly chain: string;
  /** DIR/key.pem: the leaf's private key (PKCS#8 PEM). */
  readonly key: string;
  /** DIR/cert.pem: the leaf. */
  readonly cert: string;
}

export interface DiscoveryConfig {
  readonly enabled: boolean;
  readonly group: MulticastGroup;
  readonly port: number;
  readonly intervalMs: number;
  readonly expiryMs: number;
  readonly ttl: number;
  readonly loopback: boolean;
  readonly interface: string | undefined;
}

export interface UnlockConfig {
  /** null when no disks are configured. */
  readonly hook: HookCommand | null;
  readonly disks: readonly string[];
  readonly hash: KeyHash;
  readonly timeoutMs: number;
}

export interface AgentTimeouts {
  readonly connectMs: number;
  readonly sessionMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
}

/** A validated agent config; see config-schema.ts for what each field means. */
export interface AgentConfig {
  /** Absolute path of the file it came from. */
  readonly file: string;
  readonly sledId: string;
  readonly identity: AgentIdentityPaths;
  readonly trustedRoot: string;
  readonly ledgerDirs: readonly string[];
  readonly awaitInit: boolean;
  readonly spdm: { readonly listen: HostPort; readonly framing: 'dsp0287' | 'length16' };
  readonly staticPeers: readonly HostPort[];
  readonly discovery: DiscoveryConfig;
  /** null when disabled. */
  readonly http: { readonly listen: HostPort } | null;
  readonly unlock: UnlockConfig;
  readonly services: readonly ServiceSpec[];
  readonly timeouts: AgentTimeouts;
}

function configError(file: string, message: string): TrustQuorumError {
  return new TrustQuorumError('InvalidConfig', message, { files: [file] });
}

/** `unlock.disks[0]`, `services[1].command`, `(root)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '(root)' : out;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a table',
  record: 'a table',
};

const plural = (n: number | bigint, one: string) => `${n} ${one}${Number(n) === 1 ? '' : 's'}`;

/** Reason for a generic zod issue (schema-specific messages are set in the schema); sees the input. */
function reason(i: z.core.$ZodRawIssue): string | undefined {
  switch (i.code) {
    case 'invalid_type':
      if (i.input === undefined) return 'required';
      return `want ${TYPE_NAMES[i.expected] ?? i.expected}`;
    case 'too_small':
      if (i.origin === 'array')
        return `want at least ${plural(i.minimum, 'entry').replace('entrys', 'entries')}`;
      if (i.origin === 'string') return Number(i.minimum) === 1 ? 'must not be empty' : `too short`;
      return `must be at least ${i.minimum}`;
    case 'too_big':
      if (i.origin === 'array')
        return `want at most ${plural(i.maximum, 'entry').replace('entrys', 'entries')}`;
      if (i.origin === 'string') return `longer than ${plural(i.maximum, 'character')}`;
      return `must be at most ${i.maximum}`;
    case 'invalid_value':
      return `want one of ${i.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return undefined;
  }
}

/** One line per problem: `FILE: path: reason`; unknown keys get a line each. */
function describe(file: string, issues: readonly z.core.$ZodIssue[]): string[] {
  const lines: string[] = [];
  for (const i of issues) {
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) lines.push(`${file}: ${formatPath([...i.path, k])}: unknown field`);
    } else if (i.code === 'invalid_key') {
      lines.push(`${file}: ${formatPath(i.path)}: ${i.issues[0]?.message ?? i.message}`);
    } else {
      lines.push(`${file}: ${formatPath(i.path)}: ${i.message}`);
    }
  }
  return lines;
}

function parseText(text: string, file: string): unknown {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw configError(file, `${file}: not valid JSON (${(e as Error).message})`);
    }
  }
  if (ext === '.toml') {
    try {
      return parseToml(text);
    } catch (e) {
      if (e instanceof TomlError) {
        const first = e.message.split('\n')[0] ?? 'syntax error';
        throw configError(file, `${file}: line ${e.line}, column ${e.column}: not valid TOML (${first})`);
      }
      throw configError(file, `${file}: not valid TOML`);
    }
  }
  throw configError(file, `${file}: unknown config format "${ext}" (want .toml or .json)`);
}

function toConfig(file: string, d: AgentConfigData): AgentConfig {
  const group = parseMulticastGroup(d.discovery.group) as MulticastGroup;
  return {
    file,
    sledId: d.sledId,
    identity: {
      dir: d.identityDir,
      chain: join(d.identityDir, PKI_FILES.chain),
      key: join(d.identityDir, PKI_FILES.leafKey),
      cert: join(d.identityDir, PKI_FILES.leafCert),
    },
    trustedRoot: d.trustedRoot,
    ledgerDirs: d.ledgerDirs,
    awaitInit: d.awaitInit,
    spdm: d.spdm,
    staticPeers: d.staticPeers,
    discovery: { ...d.discovery, group, interface: d.discovery.interface },
    http: d.http.enabled ? { listen: d.http.listen } : null,
    unlock: {
      hook: d.unlock.hook ?? null,
      disks: d.unlock.disks,
      hash: d.unlock.hash,
      timeoutMs: d.unlock.timeoutMs,
    },
    services: d.services,
    timeouts: d.timeouts,
  };
}

/**
 * Validates the text of a config file. `file` names the file in messages and decides the
 * format by its extension; relative paths resolve against its directory.
 * @throws TrustQuorumError InvalidConfig, one line per problem (at most 10), each
 *   `FILE: field.path: reason`.
 */
export function parseAgentConfig(text: string, file: string): AgentConfig {
  const data = parseText(text, file);
  const dir = dirname(resolve(file));
  const r = agentConfigSchema(dir).safeParse(data, { error: (i) => reason(i) });
  if (!r.success) {
    const lines = describe(file, r.error.issues);
    const more =
      lines.length > MAX_REPORTED ? [`${file}: (${lines.length - MAX_REPORTED} more problems)`] : [];
    throw configError(file, [...lines.slice(0, MAX_REPORTED), ...more].join('\n'));
  }
  return toConfig(resolve(file), r.data);
}

/**
 * Reads (at most 1 MiB) and validates a config file. Messages name it as given.
 * @throws TrustQuorumError InvalidConfig: unreadable, too large, not TOML/JSON, or invalid.
 */
export async function loadAgentConfig(file: string): Promise<AgentConfig> {
  const name = file;
  let text: string;
  try {
    const fh = await open(file, 'r');
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw configError(name, `${name}: not a regular file`);
      if (st.size > MAX_CONFIG_BYTES)
        throw configError(name, `${name}: larger than ${MAX_CONFIG_BYTES} bytes`);
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (e) {
    if (e instanceof TrustQuorumError) throw e;
    throw configError(name, `${name}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseAgentConfig(text, file);
}
