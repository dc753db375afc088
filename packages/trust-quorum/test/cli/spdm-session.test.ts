/**
 * `tq spdm connect` against `tq spdm responder --echo --trust`, both real child processes over
 * loopback TCP with identities from a real `tq pki init`: `echo hello | tq spdm connect ...`
 * prints `hello` and exits 0; a requester identity from another rack is refused with a one-line
 * reason (exit 1) and its data never comes back; `--echo` without `--identity` is a usage error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type TqProc, TqProcesses, type TqResult, untilOutput } from '../helpers/cli.js';

const procs = new TqProcesses();
let dir: string;

const tq = (args: string[], stdin?: string): TqProc => procs.spawn(args, stdin);
const run = (args: string[], stdin?: string): Promise<TqResult> => procs.run(args, stdin);

let port = 0;
let responder: TqProc;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tq-spdm-session-'));
  const [a, b] = await Promise.all([
    run(['pki', 'init', '--out', join(dir, 'a'), '--sleds', '2', '--rack-name', 'alpha']),
    run(['pki', 'init', '--out', join(dir, 'b'), '--sleds', '1', '--rack-name', 'beta']),
  ]);
  expect([a.code, b.code], a.err + b.err).toEqual([0, 0]);
  responder = tq([
    'spdm',
    'responder',
    '--listen',
    '127.0.0.1:0',
    '--identity',
    join(dir, 'a', 'sled-1'),
    '--trust',
    join(dir, 'a', 'root.pem'),
    '--echo',
    '--log-level',
    'info',
  ]);
  port = Number((await untilOutput(responder, /listening on 127\.0\.0\.1:(\d+)/))[1]);
}, 60_000);

afterAll(async () => {
  await procs.stopAll('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('tq spdm connect / responder --echo', () => {
  it('echo hello | tq spdm connect ... prints hello over a mutually authenticated session', async () => {
    const r = await run(
      [
        'spdm',
        'connect',
        `127.0.0.1:${port}`,
        '--identity',
        join(dir, 'a', 'sled-2'),
        '--trust',
        join(dir, 'a', 'root.pem'),
      ],
      'hello\n',
    );
    expect(r.err).toMatch(
      /session established with 127\.0\.0\.1:\d+: CN=sled-1, O=trust-quorum rack alpha \(mutually authenticated\)/,
    );
    expect({ code: r.code, out: r.out }).toEqual({ code: 0, out: 'hello\n' });
    await vi.waitFor(() =>
      expect(responder.err).toMatch(/"peer":"CN=sled-2, O=trust-quorum rack alpha".*"session ended"/),
    );
  }, 30_000);

  it('larger input comes back whole', async () => {
    const text = `${'0123456789abcdef'.repeat(4096)}\n`.repeat(4);
    const r = await run(
      [
        'spdm',
        'connect',
        `127.0.0.1:${port}`,
        '--identity',
        join(dir, 'a', 'sled-2'),
        '--trust',
        join(dir, 'a', 'root.pem'),
      ],
      text,
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(text);
  }, 30_000);

  it('a requester identity from another rack is refused before any data flows', async () => {
    const r = await run(
      [
        'spdm',
        'connect',
        `127.0.0.1:${port}`,
        '--identity',
        join(dir, 'b', 'sled-1'),
        '--trust',
        join(dir, 'a', 'root.pem'),
      ],
      'secret\n',
    );
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^tq: certificate rejected: responder refused our certificate chain/);
  }, 30_000);

  it('a responder from another rack is refused by connect', async () => {
    const r = await run(
      [
        'spdm',
        'connect',
        `127.0.0.1:${port}`,
        '--identity',
        join(dir, 'a', 'sled-2'),
        '--trust',
        join(dir, 'b', 'root.pem'),
      ],
      'x',
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^tq: certificate rejected: /);
  }, 30_000);

  it('--echo without --identity is a usage error', async () => {
    const r = await run(['spdm', 'responder', '--listen', '127.0.0.1:0', '--echo']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/need --identity/);
  }, 30_000);
});
