/**
 * `tq status [--sled HOST:PORT ...] [--config FILE ...] [--json] [--timeout MS]`: asks one or
 * more agents for `GET /status` on their HTTP status address (`--sled`, or `http.listen` of an
 * agent config; default 127.0.0.1:4195) and prints a table, one row per agent:
 *
 *   ADDRESS  SLED  STATE  SHARES  EPOCH  RACK  AGENT  PEERS
 *
 * (SHARES is held/needed, RACK the first 8 hex digits of the rack id, PEERS each peer's sled id
 * or address with `share` or its last error code), then one line per agent with a reason
 * (`failed`, `single-node`, ...). With --json: a JSON array, in argument order, of
 * `{ "address": "HOST:PORT", "status": AgentStatus }` or `{ "address": ..., "error": "..." }`.
 * Exit 0 when every agent answered, 1 when one did not (its row says why), 2 usage error.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { loadAgentConfig } from '../agent/config.js';
import { DEFAULT_HTTP_LISTEN } from '../agent/config-schema.js';
import { formatHostPort, type HostPort, parseHostPort } from '../discovery/address.js';
import { isTrustQuorumError } from '../errors.js';
import type { AgentStatus, PeerStatus } from '../http/status.js';
import { CliError } from './main.js';

/** Largest /status body read. */
const MAX_STATUS_BYTES = 1 << 20;

export interface StatusOptions {
  sled?: HostPort[];
  config?: string[];
  json?: boolean;
  timeout: number;
}

export type StatusRow = { address: string; status: AgentStatus } | { address: string; error: string };

function hostPortArg(v: string, previous: HostPort[] = []): HostPort[] {
  try {
    return [...previous, parseHostPort(v)];
  } catch (e) {
    throw new InvalidArgumentError(`${(e as Error).message}.`);
  }
}

function msArg(v: string): number {
  if (!/^[0-9]{1,7}$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('want a number of ms.');
  return Number(v);
}

/** Every address asked, in argument order: --sled first, then those of --config files. */
async function addresses(o: StatusOptions): Promise<HostPort[]> {
  const out = [...(o.sled ?? [])];
  for (const file of o.config ?? []) {
    try {
      const c = await loadAgentConfig(file);
      if (c.http === null) throw new CliError(`${file}: http is disabled: no status to ask`);
      out.push(c.http.listen);
    } catch (e) {
      if (isTrustQuorumError(e)) throw new CliError(e.message);
      throw e;
    }
  }
  return out.length > 0 ? out : [parseHostPort(DEFAULT_HTTP_LISTEN)];
}

/** GET /status of one agent; never throws. */
export async function fetchStatus(address: HostPort, timeoutMs: number): Promise<StatusRow> {
  const where = formatHostPort(address);
  try {
    const res = await fetch(`http://${where}/status`, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    if (!res.ok) return { address: where, error: `HTTP ${res.status}` };
    if (text.length > MAX_STATUS_BYTES) return { address: where, error: 'status too large' };
    const status = JSON.parse(text) as AgentStatus;
    if (typeof status?.sledId !== 'string' || typeof status.state !== 'string') {
      return { address: where, error: 'not an agent status' };
    }
    return { address: where, status };
  } catch (e) {
    const cause = (e as { cause?: { code?: unknown } }).cause?.code;
    const name = (e as Error).name;
    const why =
      name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : typeof cause === 'string'
          ? cause
          : (e as Error).message;
    return { address: where, error: why };
  }
}

function peerCell(p: PeerStatus): string {
  const who = p.sledId ?? p.address;
  if (p.shareReceived) return `${who} share`;
  return p.lastError === null ? who : `${who} ${p.lastError.reason}`;
}

/** The table and reason lines of `tq status`. */
export function formatStatusTable(rows: readonly StatusRow[]): string {
  const head = ['ADDRESS', 'SLED', 'STATE', 'SHARES', 'EPOCH', 'RACK', 'AGENT', 'PEERS'];
  const table = rows.map((r) => {
    if ('error' in r) return [r.address, '-', 'unreachable', '-', '-', '-', '-', r.error];
    const s = r.status;
    return [
      r.address,
      s.sledId,
      s.state,
      `${s.shares.held}/${s.shares.needed ?? '-'}`,
      s.epoch === null ? '-' : String(s.epoch),
      s.rackId === null ? '-' : s.rackId.slice(0, 8),
      s.versions?.agent ?? '-',
      s.peers.length === 0 ? '-' : s.peers.map(peerCell).join(', '),
    ];
  });
  const all = [head, ...table];
  const widths = head.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const lines = all.map((row) =>
    row
      .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  for (const r of rows) {
    if ('status' in r && r.status.reason !== null)
      lines.push(`${r.status.sledId}: ${r.status.state}: ${r.status.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function runStatus(
  o: StatusOptions,
  out: (t: string) => void = (t) => process.stdout.write(t),
): Promise<void> {
  const targets = await addresses(o);
  const rows = await Promise.all(targets.map((a) => fetchStatus(a, o.timeout)));
  out(o.json === true ? `${JSON.stringify(rows, null, 2)}\n` : formatStatusTable(rows));
  if (rows.some((r) => 'error' in r)) process.exitCode = 1;
}

/** Adds `tq status` to `program`. */
export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('show the state of one or more agents (GET /status of their HTTP address)')
    .showHelpAfterError(false)
    .option(
      '--sled <host:port>',
      `an agent's HTTP status address (repeatable; default ${DEFAULT_HTTP_LISTEN})`,
      hostPortArg,
    )
    .option('--config <files...>', 'agent config files: ask their http.listen address')
    .option('--json', 'print a JSON array of { address, status } or { address, error }')
    .addOption(new Option('--timeout <ms>', 'deadline per agent').default(3000).argParser(msArg))
    .action((o: StatusOptions) => runStatus(o));
}
