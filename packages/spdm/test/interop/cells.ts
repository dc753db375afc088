/**
 * The interop matrix (what `npm run test:interop` runs) and what each cell records: the cells of
 * sections 1 and 2 (SPDM 1.1-1.3 × P-256 / P-384 × MCTP / TCP × responder-only / mutual
 * authentication, plus RSA requester signatures), the step recorder, and libspdm's sample
 * identities read from the emulator's own build/bin copies.
 *
 * HANDSHAKE_IN_THE_CLEAR rides along on the P-384 cells (both sides advertise it there, so
 * FINISH / FINISH_RSP travel in the clear), the P-256 cells keep the encrypted FINISH.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASYMS } from '../../src/crypto/algorithms.js';
import { keyMatchesAsym } from '../../src/crypto/sign.js';
import { splitDerCertificates } from '../../src/identity/der.js';
import type { SpdmVersion } from '../../src/msgs/codes.js';
import { DMTF_MEASUREMENT_TYPE } from '../../src/msgs/measurement-blocks.js';
import { type MeasurementSource, measurementSource } from '../../src/responder/measurement-source.js';

export type Status = 'pass' | 'fail' | 'n/a';

export interface StepResult {
  readonly name: string;
  readonly status: Status;
  readonly detail?: string;
}

export interface CellResult {
  readonly section: 1 | 2 | 3;
  readonly name: string;
  readonly status: Status;
  readonly steps: readonly StepResult[];
  /** Why it failed or is not applicable. */
  readonly detail?: string;
  /** The DMTF program's command line (run from SPDM_EMU_BIN, or a temporary directory). */
  readonly commands: readonly string[];
  readonly ms: number;
  /** Section 3: the validator's counts. */
  readonly counts?: ValidatorCounts;
}

export interface ValidatorCounts {
  readonly pass: number;
  readonly fail: number;
  /** Assertions the validator reported NOT_TESTED (a case whose precondition we do not meet). */
  readonly notTested: number;
  /** Cases the validator's configuration skips. */
  readonly skipped: number;
  readonly notApplicable: readonly string[];
}

export type Curve = 'P-256' | 'P-384';
export type CellTransport = 'mctp' | 'tcp';

export interface MatrixCell {
  readonly version: SpdmVersion;
  readonly curve: Curve;
  readonly transport: CellTransport;
  readonly mutual: boolean;
  /** The requester signs FINISH with libspdm's RSA 3072 requester key (RSAPSS_3072). */
  readonly rsaRequester: boolean;
  readonly handshakeInTheClear: boolean;
  /**
   * Run the emulator with its defaults (only --ip, --port and --trans): it offers SPDM up to 1.4,
   * PQC and RSA requester algorithms, CHUNK, MULTI_KEY_NEG, W_ENCAP mutual authentication, ...;
   * the other fields describe what is expected to come out (1.3, P-384, one-way session).
   */
  readonly emuDefaults?: boolean;
}

export const VERSION_NAME: Readonly<Record<number, string>> = { 17: '1.1', 18: '1.2', 19: '1.3' };

/** The cells of sections 1 and 2. */
export function matrixCells(): MatrixCell[] {
  const cells: MatrixCell[] = [];
  for (const version of [0x11, 0x12, 0x13] as const) {
    for (const curve of ['P-256', 'P-384'] as const) {
      for (const transport of ['mctp', 'tcp'] as const) {
        for (const mutual of [false, true]) {
          cells.push({
            version,
            curve,
            transport,
            mutual,
            rsaRequester: false,
            handshakeInTheClear: curve === 'P-384',
          });
        }
      }
    }
  }
  // libspdm's default requester algorithms are RSA only: one extra row with RSAPSS_3072.
  for (const version of [0x12, 0x13] as const) {
    for (const transport of ['mctp', 'tcp'] as const) {
      cells.push({
        version,
        curve: 'P-256',
        transport,
        mutual: true,
        rsaRequester: true,
        handshakeInTheClear: false,
      });
    }
  }
  for (const transport of ['mctp', 'tcp'] as const) {
    cells.push({
      version: 0x13,
      curve: 'P-384',
      transport,
      mutual: false,
      rsaRequester: false,
      handshakeInTheClear: false,
      emuDefaults: true,
    });
  }
  return cells;
}

/** "1.3 P-384 MCTP mutual" / "... mutual-rsa" / "defaults MCTP". */
export function cellName(c: MatrixCell): string {
  if (c.emuDefaults) return `emulator defaults ${c.transport.toUpperCase()}`;
  const auth = c.mutual ? (c.rsaRequester ? 'mutual-rsa' : 'mutual') : 'rsp-only';
  return `${VERSION_NAME[c.version]} ${c.curve} ${c.transport.toUpperCase()} ${auth}`;
}

/** Why a cell is not applicable, or undefined. */
export function notApplicable(c: MatrixCell): string | undefined {
  if (c.version === 0x11 && c.mutual) {
    return 'SPDM 1.1 ties MUT_AUTH_CAP to ENCAP_CAP (libspdm refuses mutual authentication without encapsulated requests at 1.1); this stack implements no encapsulated flow';
  }
  return undefined;
}

/** The sample-certificate directory of a curve in SPDM_EMU_BIN. */
export function curveDir(c: MatrixCell): string {
  return c.curve === 'P-256' ? 'ecp256' : 'ecp384';
}

export function asymFlag(c: MatrixCell): string {
  return c.curve === 'P-256' ? 'ECDSA_P256' : 'ECDSA_P384';
}

export interface SampleIdentity {
  readonly certificates: Uint8Array[];
  readonly privateKey: KeyObject;
  /** The CA both sample chains of the directory lead to. */
  readonly root: Uint8Array;
}

/** libspdm's sample identity of `role` in `bin/dir` (bundle_<role>.certchain.der, end_<role>.key). */
export function sampleIdentity(bin: string, dir: string, role: 'responder' | 'requester'): SampleIdentity {
  const read = (f: string) => new Uint8Array(readFileSync(join(bin, dir, f)));
  return {
    certificates: splitDerCertificates(read(`bundle_${role}.certchain.der`), 16),
    privateKey: createPrivateKey(readFileSync(join(bin, dir, `end_${role}.key`))),
    root: read('ca.cert.der'),
  };
}

/** Fixed measurement blocks for our responder (digests of fixed content, one raw version string). */
export function fixedMeasurements(): MeasurementSource {
  const content = (b: string) => ({ kind: 'content' as const, bytes: new Uint8Array(Buffer.from(b)) });
  return measurementSource([
    { index: 1, type: DMTF_MEASUREMENT_TYPE.IMMUTABLE_ROM, value: content('rom'), tcb: true },
    { index: 2, type: DMTF_MEASUREMENT_TYPE.MUTABLE_FIRMWARE, value: content('firmware'), tcb: true },
    { index: 3, type: DMTF_MEASUREMENT_TYPE.FIRMWARE_CONFIGURATION, value: content('configuration') },
    {
      index: 4,
      type: DMTF_MEASUREMENT_TYPE.VERSION,
      value: { kind: 'raw', bytes: new Uint8Array(Buffer.from('interop 1')) },
    },
  ]);
}

/** The ReqBaseAsymAlg bits a chain's leaf key can sign with. */
export function asymBitsOfChain(certificates: readonly Uint8Array[]): number[] {
  const leaf = certificates[certificates.length - 1];
  if (!leaf) return [];
  const key = new X509Certificate(leaf).publicKey;
  return ASYMS.filter((a) => a.bit <= 0xffff && keyMatchesAsym(a, key)).map((a) => a.bit);
}

/** Runs named steps in order, records each, stops at the first failure. */
export class Steps {
  readonly list: StepResult[] = [];
  #failed: string | undefined;

  get failed(): string | undefined {
    return this.#failed;
  }

  /** Runs `fn` as step `name` unless an earlier one failed; returns its value or undefined. */
  async run<T>(name: string, fn: () => Promise<T> | T): Promise<T | undefined> {
    if (this.#failed !== undefined) return undefined;
    try {
      const v = await fn();
      this.list.push({ name, status: 'pass' });
      return v;
    } catch (e) {
      const detail = describe(e);
      this.list.push({ name, status: 'fail', detail });
      this.#failed ??= `${name}: ${detail}`;
      return undefined;
    }
  }

  /** Records a step as passed (what another step proved) or as not applicable. */
  mark(name: string, status: 'pass' | 'n/a', detail?: string): void {
    if (this.#failed !== undefined) return;
    this.list.push({ name, status, ...(detail ? { detail } : {}) });
  }

  /** Records a failure found outside run(); ignored after the first failure. */
  fail(name: string, detail: string): void {
    if (this.#failed === undefined) this.list.push({ name, status: 'fail', detail });
    this.#failed ??= `${name}: ${detail}`;
  }
}

/** One line for an error. */
export function describe(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return `${typeof code === 'string' ? `${code}: ` : ''}${e.message}`.replace(/\s+/g, ' ');
  }
  return String(e);
}
