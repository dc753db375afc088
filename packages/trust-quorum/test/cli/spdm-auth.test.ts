/**
 * `tq spdm responder --identity` and `tq spdm probe --trust ... --challenge --measurements` as
 * real child processes over loopback TCP, with identities from a real `tq pki init`: the probe's
 * JSON (certificate digest recomputed from the identity's chain.pem, challenge, signed
 * measurements whose program digest matches this checkout), the text lines, and one-line
 * failures: a root from another `tq pki init` (exit 1), --challenge without --trust (exit 2).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_HASH_ALGO, hashInfo, MEASUREMENT_HASH_ALGO } from '@trust-quorum/spdm/crypto/algorithms';
import { buildCertChain } from '@trust-quorum/spdm/identity/cert-chain';
import { digestFiles } from '@trust-quorum/spdm/responder/measurement-source';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { programPaths } from '../../src/cli/spdm-auth.js';
import { pemDecodeAll } from '../../src/pki/pem.js';
import { type TqProc, TqProcesses, type TqResult, untilOutput } from '../helpers/cli.js';

const procs = new TqProcesses();
let dir: string;

const tq = (...args: string[]): TqProc => procs.spawn(args);
const run = (...args: string[]): Promise<TqResult> => procs.run(args);

let port = 0;
let responder: TqProc;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tq-spdm-auth-'));
  const [a, b] = await Promise.all([
    run('pki', 'init', '--out', join(dir, 'a'), '--sleds', '2', '--rack-name', 'alpha'),
    run('pki', 'init', '--out', join(dir, 'b'), '--sleds', '1', '--rack-name', 'beta'),
  ]);
  expect([a.code, b.code], a.err + b.err).toEqual([0, 0]);
  responder = tq(
    'spdm',
    'responder',
    '--identity',
    join(dir, 'a', 'sled-1'),
    '--listen',
    '127.0.0.1:0',
    '--log-level',
    'warn',
  );
  const m = await untilOutput(responder, /^listening on 127\.0\.0\.1:(\d+)\nidentity: (.*)\n/, 30_000);
  expect(m[2]).toBe('CN=sled-1, O=trust-quorum rack alpha (slot 0)');
  port = Number(m[1]);
}, 60_000);

afterAll(async () => {
  await procs.stopAll('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('tq spdm probe against tq spdm responder --identity', () => {
  it('--trust --challenge --measurements --json: validated chain, proven key, signed measurements', async () => {
    const r = await run(
      'spdm',
      'probe',
      `127.0.0.1:${port}`,
      '--trust',
      join(dir, 'a', 'root.pem'),
      '--challenge',
      '--measurements',
      '--json',
    );
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(Object.keys(j)).toEqual([
      'version',
      'requesterCaps',
      'responderCaps',
      'algorithms',
      'certificate',
      'challenge',
      'measurements',
    ]);
    expect(j.certificate.subject).toBe('CN=sled-1, O=trust-quorum rack alpha');
    expect(j.certificate.root).toBe('CN=trust-quorum root CA, O=trust-quorum rack alpha');
    // the digest is Hash(SPDM chain structure) of the identity's chain.pem, built independently
    const ders = pemDecodeAll(readFileSync(join(dir, 'a', 'sled-1', 'chain.pem'), 'latin1'), 'CERTIFICATE');
    const chain = buildCertChain(ders, hashInfo(BASE_HASH_ALGO.SHA_256));
    expect(j.certificate.digest).toBe(createHash('sha256').update(chain).digest('hex'));
    expect(j.certificate.bytes).toBe(chain.length);
    expect(j.challenge).toEqual({ ok: true, slot: 0, subject: 'CN=sled-1, O=trust-quorum rack alpha' });
    expect(j.measurements.signed).toBe(true);
    expect(j.measurements.blocks.map((b: { index: number; type: string }) => [b.index, b.type])).toEqual([
      [1, 'MUTABLE_FIRMWARE'],
      [2, 'FIRMWARE_CONFIGURATION'],
      [3, 'VERSION'],
    ]);
    const { base, paths } = programPaths();
    const program = digestFiles(paths, [MEASUREMENT_HASH_ALGO.SHA_256], { base }).get(
      MEASUREMENT_HASH_ALGO.SHA_256,
    )!;
    expect(j.measurements.blocks[0].value).toBe(Buffer.from(program).toString('hex'));
    expect(Buffer.from(j.measurements.blocks[2].value, 'hex').toString()).toMatch(/^tq \d+\.\d+\.\d+$/);
  });

  it('text output: certificate, "challenge: ok" with the leaf subject, one line per block', async () => {
    const r = await run(
      'spdm',
      'probe',
      `127.0.0.1:${port}`,
      '--trust',
      join(dir, 'a', 'root.pem'),
      '--challenge',
      '--measurements',
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^certificate: slot 0, 2 certificates, \d+ bytes in 1 request\(s\), valid$/m);
    expect(r.out).toMatch(/^challenge: ok CN=sled-1, O=trust-quorum rack alpha$/m);
    expect(r.out).toMatch(/^measurements: 3 block\(s\), signed, signature verified$/m);
    expect(r.out).toMatch(/^ {4}1 MUTABLE_FIRMWARE {9}[0-9a-f]{64}$/m);
  });

  it('a root from another `tq pki init`: exit 1 with one line', async () => {
    const r = await run(
      'spdm',
      'probe',
      `127.0.0.1:${port}`,
      '--trust',
      join(dir, 'b', 'root.pem'),
      '--challenge',
    );
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(
      /^tq: certificate rejected: certificate 0 \(CN=trust-quorum root CA, O=trust-quorum rack alpha\): neither a trusted root nor issued by one\n$/,
    );
  });

  it('usage: --challenge without --trust exits 2; an empty slot exits 1 with one line', async () => {
    const noTrust = await run('spdm', 'probe', `127.0.0.1:${port}`, '--challenge');
    expect(noTrust.code).toBe(2);
    expect(noTrust.err).toBe('tq: --challenge needs --trust ROOT.pem\n');
    const slot = await run(
      'spdm',
      'probe',
      `127.0.0.1:${port}`,
      '--trust',
      join(dir, 'a', 'root.pem'),
      '--slot',
      '3',
    );
    expect(slot.code).toBe(1);
    expect(slot.err).toBe('tq: authentication failed: slot 3 holds no certificate chain (slots: 0)\n');
  });
});
