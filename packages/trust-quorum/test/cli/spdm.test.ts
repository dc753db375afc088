/**
 * `tq spdm responder` and `tq spdm probe` as real child processes talking over loopback TCP
 * (`node packages/trust-quorum/bin/tq.js ...`): the `listening on` line, the probe's JSON
 * (exact keys, values from the negotiation) and text output, the responder's pino JSON log
 * lines, one-line failures with exit code 1, usage errors with exit code 2, and a clean exit 0
 * on SIGTERM / SIGINT. Failure paths that need no second process run through `main()`.
 */
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { capabilityNames, capsForVersion } from '@trust-quorum/spdm/msgs/capabilities';
import { DEFAULT_REQUESTER_CAPS } from '@trust-quorum/spdm/requester/init';
import { DEFAULT_RESPONDER_CAPS } from '@trust-quorum/spdm/responder/init';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type TqProc, TqProcesses, type TqResult, tqInProcess, untilOutput } from '../helpers/cli.js';

const procs = new TqProcesses();
const rawServers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  await procs.stopAll();
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(rawServers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const tqChild = (...args: string[]): TqProc => procs.spawn(args);
/** Runs `tq ...args` to completion in a child process. */
const tqRun = (...args: string[]): Promise<TqResult> => procs.run(args);

/** Starts a responder and resolves with its port once it printed `listening on 127.0.0.1:PORT`. */
async function responder(...args: string[]): Promise<{ p: TqProc; port: number }> {
  const p = tqChild('spdm', 'responder', '--listen', '127.0.0.1:0', ...args);
  const port = Number((await untilOutput(p, /^listening on 127\.0\.0\.1:(\d+)\n/))[1]);
  return { p, port };
}

/** pino JSON lines of a responder's stderr. */
function logLines(err: string): Record<string, unknown>[] {
  return err
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe('tq spdm responder + probe (child processes)', () => {
  it('probe --json prints exactly one object with the negotiated version, caps and algorithms', async () => {
    const { p, port } = await responder();
    const r = await tqRun('spdm', 'probe', `127.0.0.1:${port}`, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.endsWith('\n')).toBe(true);
    expect(r.out.trim().split('\n')).toHaveLength(1);
    const j = JSON.parse(r.out);
    expect(Object.keys(j).sort()).toEqual(['algorithms', 'requesterCaps', 'responderCaps', 'version']);
    expect(j.version).toBe('1.3');
    expect(j.requesterCaps).toEqual(
      capabilityNames(capsForVersion(DEFAULT_REQUESTER_CAPS, 'requester', 0x13), 'requester'),
    );
    expect(j.responderCaps).toEqual(
      capabilityNames(capsForVersion(DEFAULT_RESPONDER_CAPS, 'responder', 0x13), 'responder'),
    );
    expect(j.requesterCaps).toContain('KEY_EX_CAP');
    expect(j.algorithms).toMatchObject({
      baseHash: 'SHA_256',
      baseAsym: 'ECDSA_P256',
      reqBaseAsym: 'ECDSA_P256',
      dhe: 'SECP256R1',
      aead: 'AES_256_GCM',
      keySchedule: 'SPDM',
    });
    // The responder logged the three requests as pino JSON lines on stderr.
    await vi.waitFor(() => expect(logLines(p.err).filter((l) => l.msg === 'spdm request')).toHaveLength(3));
    const reqs = logLines(p.err).filter((l) => l.msg === 'spdm request');
    expect(reqs.map((l) => [l.request, l.response])).toEqual([
      ['GET_VERSION', 'VERSION'],
      ['GET_CAPABILITIES', 'CAPABILITIES'],
      ['NEGOTIATE_ALGORITHMS', 'ALGORITHMS'],
    ]);
    expect(reqs.every((l) => l.level === 30 && typeof l.remote === 'string')).toBe(true);
  });

  it('length16 framing, restricted versions and algorithms; aligned text output', async () => {
    const { port } = await responder(
      '--framing',
      'length16',
      '--versions',
      '1.1,1.2',
      '--algorithms',
      'hash=sha384,sha256 dhe=secp384r1',
    );
    const target = `127.0.0.1:${port}`;
    const j = await tqRun('spdm', 'probe', target, '--framing', 'length16', '--json');
    expect(j.code).toBe(0);
    expect(JSON.parse(j.out)).toMatchObject({
      version: '1.2',
      algorithms: { baseHash: 'SHA_384', dhe: 'SECP384R1' },
    });
    const t = await tqRun('spdm', 'probe', target, '--framing', 'length16');
    expect(t.code).toBe(0);
    const lines = t.out.trimEnd().split('\n');
    expect(lines[0]).toBe(`SPDM 1.2 negotiated with ${target} (length16 framing)`);
    expect(t.out).toMatch(/^ {2}version {11}1\.2$/m);
    expect(t.out).toMatch(/^ {2}hash {14}SHA_384$/m);
    expect(t.out).toMatch(/^ {2}dhe {15}SECP384R1$/m);
    // Every value, continuation lines included, starts in column 20.
    for (const l of lines.slice(1)) {
      expect(l[19], l).toBe(' ');
      expect(l[20], l).not.toBe(' ');
    }
  });

  it('probe against a closed port: exit 1, one line on stderr, nothing on stdout', async () => {
    const port = await freePort();
    const r = await tqRun('spdm', 'probe', `127.0.0.1:${port}`, '--json');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe(`tq: connection refused by 127.0.0.1:${port}\n`);
  });

  it('SIGTERM and SIGINT stop the responder with exit code 0', async () => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      const { p, port } = await responder();
      expect((await tqRun('spdm', 'probe', `127.0.0.1:${port}`, '--json')).code).toBe(0);
      p.child.kill(sig);
      expect(await p.exit).toEqual({ code: 0, signal: null });
      expect(logLines(p.err).at(-1)).toMatchObject({ msg: 'stopping', signal: sig });
    }
  });
});

describe('tq spdm failures (in process)', () => {
  it('a silent responder: exit 1 with "tq: timeout ..." after --timeout', async () => {
    const server = createServer((s) => {
      s.on('error', () => {});
      sockets.push(s);
    });
    rawServers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const r = await tqInProcess('spdm', 'probe', `127.0.0.1:${port}`, '--timeout', '300', '--json');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^tq: timeout: receive from 127\.0\.0\.1:\d+ timed out after 300 ms\n$/);
  });

  it('no common version or algorithm: exit 1 with "tq: negotiation failed: ..."', async () => {
    const ac = new AbortController();
    const { runResponder } = await import('../../src/cli/spdm.js');
    let listening = '';
    const running = runResponder(
      {
        listen: { host: '127.0.0.1', port: 0 },
        framing: 'dsp0287',
        versions: [0x11],
        algorithms: { dhe: [0x10] },
        logLevel: 'silent',
        idleTimeout: 5000,
      },
      { signal: ac.signal, logger: {}, stdout: (t) => (listening += t) },
    );
    try {
      const port = await vi.waitFor(() => Number(/:(\d+)\n$/.exec(listening)![1]));
      const v = await tqInProcess('spdm', 'probe', `127.0.0.1:${port}`, '--versions', '1.2,1.3');
      expect(v.code).toBe(1);
      expect(v.err).toMatch(
        /^tq: negotiation failed: VERSION: no common version \(responder 1\.1; we 1\.2, 1\.3\)\n$/,
      );
      const a = await tqInProcess('spdm', 'probe', `127.0.0.1:${port}`, '--algorithms', 'dhe=secp256r1');
      expect(a.code).toBe(1);
      expect(a.err).toMatch(/^tq: negotiation failed: [^\n]+\n$/);
    } finally {
      ac.abort();
      await running;
    }
  });

  it('usage errors exit 2', async () => {
    for (const args of [
      ['spdm', 'probe', 'no-port-here'],
      ['spdm', 'probe', '127.0.0.1:0'],
      ['spdm', 'probe', '127.0.0.1:4194', '--versions', '1.0'],
      ['spdm', 'probe', '127.0.0.1:4194', '--algorithms', 'hash=md5'],
      ['spdm', 'probe', '127.0.0.1:4194', '--framing', 'mctp'],
      ['spdm', 'responder', '--listen', '127.0.0.1:70000'],
      ['spdm', 'responder', '--algorithms', 'meas-hash=none', '--log-level', 'silent'],
    ]) {
      const r = await tqInProcess(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.out, args.join(' ')).toBe('');
    }
  });

  it('a responder that cannot bind: exit 1 with one line', async () => {
    const server = createServer();
    rawServers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const r = await tqInProcess(
      'spdm',
      'responder',
      '--listen',
      `127.0.0.1:${port}`,
      '--log-level',
      'silent',
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^tq: listen on 127\.0\.0\.1:\d+ failed: [^\n]*EADDRINUSE[^\n]*\n$/);
  });
});
