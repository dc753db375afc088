/**
 * Reads the sleds of a `tq pki init` directory for `tq rack gen-config`: `DIR/root.pem` (the
 * rack root) and `DIR/sled-N/cert.pem` (device-identity leaf) with `DIR/sled-N/chain.pem`
 * (its chain, any order; may include root and leaf). Only public files are read: private keys
 * stay where they are. Each leaf must chain to the root (issuer names and signatures).
 */
import { X509Certificate } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Member } from '../ledger/index.js';
import { CliError } from './main.js';

/** Longest issuer path walked from a leaf to the root. */
const MAX_DEPTH = 8;
/** Largest PEM file read. */
const MAX_PEM_BYTES = 1 << 20;

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

async function readPemCerts(file: string, optional = false): Promise<X509Certificate[]> {
  let text: string;
  try {
    const st = await stat(file);
    if (!st.isFile() || st.size > MAX_PEM_BYTES) throw new CliError(`${file}: not a certificate file`);
    text = await readFile(file, 'latin1');
  } catch (e) {
    if (e instanceof CliError) throw e;
    if (optional && (e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CliError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new CliError(`${file}: no PEM certificate`);
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch {
      throw new CliError(`${file}: certificate ${i} does not parse`);
    }
  });
}

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/** True when `leaf` reaches `root` through certificates of `pool`. */
function chainsTo(leaf: X509Certificate, pool: readonly X509Certificate[], root: X509Certificate): boolean {
  let cur = leaf;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    if (issuedBy(cur, root)) return true;
    const next = pool.find((c) => c.ca && !c.raw.equals(cur.raw) && issuedBy(cur, c));
    if (next === undefined) return false;
    cur = next;
  }
  return false;
}

async function readRoot(dir: string): Promise<X509Certificate> {
  const file = join(dir, 'root.pem');
  if ((await stat(file).catch(() => null)) === null) {
    throw new CliError(`${file} is missing: ${dir} is not a \`tq pki init\` directory`);
  }
  const certs = await readPemCerts(file);
  const root = certs[0]!;
  if (certs.length !== 1 || !root.ca || !issuedBy(root, root)) {
    throw new CliError(`${file}: want exactly one self-signed CA certificate`);
  }
  return root;
}

async function sledDirs(dir: string): Promise<string[]> {
  const names: { name: string; n: number }[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const m = /^sled-(\d{1,3})$/.exec(e.name);
    if (m !== null && e.isDirectory()) names.push({ name: e.name, n: Number(m[1]) });
  }
  if (names.length === 0)
    throw new CliError(`${dir}: no sled-N directories: not a \`tq pki init\` directory`);
  return names.sort((a, b) => a.n - b.n).map((x) => x.name);
}

/**
 * The members of the rack described by a `tq pki init` directory, in sled-number order.
 * @throws CliError naming the directory or file at fault.
 */
export async function readPkiMembers(dir: string): Promise<Member[]> {
  const st = await stat(dir).catch(() => null);
  if (st === null || !st.isDirectory()) {
    throw new CliError(`--pki ${dir}: no such directory (want the output of \`tq pki init\`)`);
  }
  const root = await readRoot(dir);
  const members: Member[] = [];
  for (const name of await sledDirs(dir)) {
    const certFile = join(dir, name, 'cert.pem');
    const certs = await readPemCerts(certFile);
    if (certs.length !== 1) throw new CliError(`${certFile}: want exactly one certificate`);
    const leaf = certs[0]!;
    const pool = await readPemCerts(join(dir, name, 'chain.pem'), true);
    if (!chainsTo(leaf, pool, root)) {
      throw new CliError(`${certFile}: does not chain to ${join(dir, 'root.pem')}`);
    }
    members.push({ sledId: name, certificate: leaf.toString() });
  }
  return members;
}
