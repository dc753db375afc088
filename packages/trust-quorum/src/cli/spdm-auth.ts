/**
 * The authentication half of `tq spdm ...` (spdm.ts declares the commands and calls in here):
 *
 * - responder `--identity DIR/sled-N`: that sled's chain (root first, from `tq pki init`) in
 *   slot 0 with its key, and measurements of the running program: index 1 = the tq and spdm
 *   package sources (digestFiles over `trust-quorum/{src,bin,package.json}` and
 *   `spdm/{src,package.json}`, paths relative to the packages directory), index 2 = the
 *   responder's effective configuration as canonical JSON, index 3 = the version string (raw).
 * - probe `--trust ROOT.pem [--challenge] [--measurements] [--slot N]`: after negotiation,
 *   GET_DIGESTS and the slot's chain, validated against the root; CHALLENGE with the leaf key;
 *   measurement blocks (signed with the leaf key when the responder signs them). Text and JSON
 *   renderings (`certificate`, `challenge`, `measurements` keys).
 *
 * Failures are one line: "certificate rejected: ...", "verification failed: ...",
 * "authentication failed: ..." (exit 1); --challenge without --trust is a usage error (exit 2).
 */
import type { X509Certificate } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toHex } from '@trust-quorum/spdm/codec/bytes';
import { isSpdmError } from '@trust-quorum/spdm/errors';
import { capField, hasCap } from '@trust-quorum/spdm/msgs/capabilities';
import { DMTF_MEASUREMENT_TYPE } from '@trust-quorum/spdm/msgs/measurement-blocks';
import type { Negotiated } from '@trust-quorum/spdm/negotiated';
import {
  Authenticator,
  type CertificateResult,
  type ChallengeResult,
  type MeasurementsResult,
} from '@trust-quorum/spdm/requester/authenticate';
import type { Exchange } from '@trust-quorum/spdm/requester/exchange';
import type { ResponderInit } from '@trust-quorum/spdm/responder/init';
import { ResponderSlots } from '@trust-quorum/spdm/responder/local-identity';
import {
  type MeasurementSource,
  programMeasurementSource,
} from '@trust-quorum/spdm/responder/measurement-source';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { isTrustQuorumError } from '../errors.js';
import { loadIdentity, loadTrustedRoot } from '../pki/index.js';
import { CliError } from './main.js';

/** `tq spdm responder` options added here. */
export interface AuthResponderOptions {
  /** A `tq pki init` identity directory (DIR/sled-N). */
  identity?: string;
}

/** `tq spdm probe` options added here. */
export interface AuthProbeOptions {
  /** PEM file with the trusted root. */
  trust?: string;
  challenge?: boolean;
  measurements?: boolean;
  slot: number;
  /** Roots given directly instead of --trust (probe --identity-libspdm DIR: DIR/ca.cert.der). */
  trustedRoots?: X509Certificate[];
}

const TQ_DIR = fileURLToPath(new URL('../../', import.meta.url));

function tqVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(TQ_DIR, 'package.json'), 'utf8')) as { version?: string };
    return `tq ${pkg.version ?? 'unknown'}`;
  } catch {
    return 'tq unknown';
  }
}

/** The files of the running program: both packages' sources, relative to the packages dir. */
export function programPaths(): { base: string; paths: string[] } {
  const tq = realpathSync(TQ_DIR);
  const spdmSrc = realpathSync(dirname(fileURLToPath(import.meta.resolve('@trust-quorum/spdm'))));
  const spdm = dirname(spdmSrc);
  return {
    base: dirname(tq),
    paths: [join(tq, 'src'), join(tq, 'bin'), join(tq, 'package.json'), spdmSrc, join(spdm, 'package.json')],
  };
}

/** Measurements of this program and of `config` (see the module comment). Reads the files now. */
export function tqMeasurementSource(config: unknown): MeasurementSource {
  const { base, paths } = programPaths();
  return programMeasurementSource({
    base,
    paths,
    config: new Uint8Array(Buffer.from(JSON.stringify(config), 'utf8')),
    version: tqVersion(),
  });
}

export interface LoadedResponderIdentity {
  readonly init: Pick<ResponderInit, 'slots' | 'measurements'>;
  readonly subject: string;
  readonly warnings: readonly string[];
}

/**
 * Slot 0 from a `tq pki init` identity directory, plus the program measurements.
 * @throws CliError (exit 1) when the identity does not load.
 */
export function responderIdentity(dir: string, config: unknown): LoadedResponderIdentity {
  let id: ReturnType<typeof loadIdentity>;
  try {
    id = loadIdentity(dir);
  } catch (e) {
    if (isTrustQuorumError(e)) throw new CliError(e.message);
    throw e;
  }
  const slots = new ResponderSlots([{ slotId: 0, certificates: id.chainDer, privateKey: id.privateKey }]);
  return {
    init: { slots, measurements: tqMeasurementSource({ ...(config as object), identity: id.subject }) },
    subject: id.subject,
    warnings: id.warnings,
  };
}

function slotArg(v: string): number {
  if (!/^[0-7]$/.test(v)) throw new InvalidArgumentError('want a slot number 0-7.');
  return Number(v);
}

/** Declares --identity on `tq spdm responder`. */
export function addAuthResponderOptions(cmd: Command): Command {
  return cmd.option(
    '--identity <dir>',
    'serve this `tq pki init` identity (DIR/sled-N): its chain in slot 0, signing with its key',
  );
}

/** Declares --trust, --challenge, --measurements and --slot on `tq spdm probe`. */
export function addAuthProbeOptions(cmd: Command): Command {
  return cmd
    .option('--trust <root.pem>', 'fetch the responder certificate chain and validate it against this root')
    .option('--challenge', 'prove the responder holds the leaf key (CHALLENGE); needs --trust')
    .option('--measurements', 'print the measurement blocks (signed and verified with --trust)')
    .addOption(new Option('--slot <n>', 'certificate slot to use').default(0).argParser(slotArg));
}

/** What the probe learned beyond the negotiation. */
export interface AuthProbeResult {
  readonly certificate?: CertificateResult;
  readonly challenge?: ChallengeResult;
  readonly measurements?: MeasurementsResult;
}

/** True when any authentication option was given. */
export function wantsAuth(o: AuthProbeOptions): boolean {
  return !!(o.trust || o.trustedRoots?.length || o.challenge || o.measurements);
}

/** @throws CliError exit 2 for --challenge without --trust. */
export function checkAuthProbeOptions(o: AuthProbeOptions): void {
  if (o.challenge && !o.trust && !o.trustedRoots?.length)
    throw new CliError('--challenge needs --trust ROOT.pem', 2);
}

/** One line for an authentication failure. */
export function describeAuthFailure(e: unknown): string {
  const msg = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ');
  if (isSpdmError(e, 'InvalidCertificate')) return `certificate rejected: ${msg}`;
  if (isSpdmError(e, 'VerifyFailed')) return `verification failed: ${msg}`;
  return `authentication failed: ${msg}`;
}

/**
 * Runs the authentication steps the options ask for on a negotiated connection.
 * @throws CliError (exit 1, one line) for any failure; TrustQuorumError from loading the root is
 *   reported the same way.
 */
export async function probeAuth(
  exchange: Exchange,
  negotiated: Negotiated,
  o: AuthProbeOptions,
  signal?: AbortSignal,
): Promise<AuthProbeResult> {
  let roots: ReturnType<typeof loadTrustedRoot>[] = o.trustedRoots ?? [];
  try {
    if (o.trust) roots = [loadTrustedRoot(o.trust)];
  } catch (e) {
    if (isTrustQuorumError(e)) throw new CliError(e.message);
    throw e;
  }
  try {
    const auth = new Authenticator(exchange, negotiated, { trustedRoots: roots });
    let certificate: CertificateResult | undefined;
    if (roots.length > 0) {
      const d = await auth.getDigests(signal);
      if (!d.digests.has(o.slot)) {
        const held = [...d.digests.keys()].join(', ');
        throw new CliError(
          `authentication failed: slot ${o.slot} holds no certificate chain (slots: ${held})`,
        );
      }
      certificate = await auth.getCertificate(o.slot, signal);
    }
    const challenge = o.challenge ? await auth.challenge(o.slot, undefined, signal) : undefined;
    const signed = roots.length > 0 && capField(negotiated.responderCaps, 'MEAS_CAP') === 2;
    const measurements =
      o.measurements && hasCap(negotiated.responderCaps, 'MEAS_CAP')
        ? await auth.getMeasurements({ signed, slotId: o.slot }, signal)
        : undefined;
    if (o.measurements && !measurements)
      throw new CliError('authentication failed: the responder has no MEAS_CAP');
    return { certificate, challenge, measurements };
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(describeAuthFailure(e));
  }
}

const TYPE_NAMES = new Map<number, string>(Object.entries(DMTF_MEASUREMENT_TYPE).map(([k, v]) => [v, k]));

function typeName(t: number): string {
  return TYPE_NAMES.get(t) ?? `TYPE_0x${t.toString(16)}`;
}

/** The `--json` keys this file adds. */
export function authJson(r: AuthProbeResult): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const c = r.certificate;
  if (c) {
    out.certificate = {
      slot: c.slotId,
      subject: c.validated.leafSubject,
      chain: c.validated.certs.map((x) => x.subject.split('\n').join(', ')),
      root: c.validated.root.subject.split('\n').join(', '),
      digest: toHex(c.digest),
      bytes: c.chain.length,
      requests: c.requests,
    };
  }
  if (r.challenge) out.challenge = { ok: true, slot: r.challenge.slotId, subject: r.challenge.leafSubject };
  const m = r.measurements;
  if (m) {
    out.measurements = {
      signed: m.signed,
      blocks: m.blocks.map((b) => ({
        index: b.index,
        type: typeName(b.type),
        raw: b.raw,
        value: toHex(b.value),
      })),
    };
  }
  return out;
}

/** The text rendering: certificate, challenge and measurement lines. Ends with a newline (or is empty). */
export function formatAuth(r: AuthProbeResult): string {
  const lines: string[] = [];
  const c = r.certificate;
  if (c) {
    lines.push(
      `certificate: slot ${c.slotId}, ${c.validated.certs.length} certificates, ${c.chain.length} bytes in ${c.requests} request(s), valid`,
    );
    lines.push(`  leaf: ${c.validated.leafSubject}`);
    lines.push(`  root: ${c.validated.root.subject.split('\n').join(', ')}`);
    lines.push(`  digest: ${toHex(c.digest)}`);
  }
  if (r.challenge) lines.push(`challenge: ok ${r.challenge.leafSubject}`);
  const m = r.measurements;
  if (m) {
    lines.push(
      `measurements: ${m.blocks.length} block(s), ${m.signed ? 'signed, signature verified' : 'unsigned'}`,
    );
    for (const b of m.blocks) {
      lines.push(
        `  ${String(b.index).padStart(3)} ${typeName(b.type).padEnd(24)} ${b.raw ? 'raw ' : ''}${toHex(b.value)}`,
      );
    }
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
