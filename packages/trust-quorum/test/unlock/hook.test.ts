/**
 * The unlock hook, with real processes: the hook gets exactly the key bytes on stdin (a script
 * writes sha256 and length of its stdin to a file), `{disk}` and TQ_* reach it, a failing hook
 * is reported by disk with its last stderr line, a timeout kills the hook's whole process
 * group, a missing program is named, and a hook that echoes its key has it redacted from
 * what is returned and logged.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTrustQuorumError } from '../../src/errors.js';
import { StorageKey } from '../../src/keys/index.js';
import type { Log } from '../../src/log.js';
import { REDACTED, redactKey, runUnlockHook, unlockDisks } from '../../src/unlock/index.js';

let dir: string;
let recorder: string;

const RECORDER = `#!/bin/sh
# Records what the agent gave this hook: sha256 and length of stdin, args, env, cwd.
set -eu
out="$OUT/$TQ_DISK_ID"
cat > "$out.key"
sha256sum < "$out.key" | cut -d' ' -f1 > "$out.sha256"
wc -c < "$out.key" | tr -d ' ' > "$out.len"
rm "$out.key"
printf '%s\\n' "$@" > "$out.args"
printf '%s %s %s\\n' "$TQ_DISK_ID" "$TQ_SLED_ID" "$TQ_KEY_FINGERPRINT" > "$out.env"
pwd > "$out.cwd"
echo "opened $TQ_DISK_ID"
`;

function keyOf(diskId: string): StorageKey {
  const bytes = randomBytes(32);
  const k = new StorageKey(diskId, bytes);
  bytes.fill(0);
  return k;
}

/** True when `pid` has exited (reaped, or a zombie: a container's init may not reap orphans). */
async function goneOrZombieNow(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Polls (signal delivery and exit are asynchronous): true once the process is gone or a zombie. */
async function goneOrZombie(pid: number, deadlineMs = 5000): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    if (await goneOrZombieNow(pid)) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

function sha256Hex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function captureLog(): { log: Log; lines: string[] } {
  const lines: string[] = [];
  const rec = (level: string) => (fields: Record<string, unknown>, msg: string) =>
    lines.push(`${level} ${msg} ${JSON.stringify(fields)}`);
  return { log: { debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') }, lines };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tq-unlock-'));
  recorder = join(dir, 'record.sh');
  await writeFile(recorder, RECORDER);
  await chmod(recorder, 0o755);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('unlock hook', () => {
  it('gets exactly the key on stdin, {disk} in argv, TQ_* in env, runs in cwd', async () => {
    const keys = [keyOf('data0'), keyOf('data1')];
    const seen: string[] = [];
    const results = await unlockDisks(
      {
        command: { argv: [recorder, '/dev/disk/by-partlabel/{disk}', 'tq-{disk}', 'plain'] },
        sledId: 'sled-4',
        env: { OUT: dir },
        cwd: dir,
      },
      keys,
      undefined,
      (r) => seen.push(r.diskId),
    );
    expect(seen).toEqual(['data0', 'data1']);
    for (const [i, key] of keys.entries()) {
      const base = join(dir, key.diskId);
      expect(await readFile(`${base}.sha256`, 'utf8')).toBe(`${sha256Hex(key.expose())}\n`);
      expect(await readFile(`${base}.len`, 'utf8')).toBe('32\n');
      expect(await readFile(`${base}.args`, 'utf8')).toBe(
        `/dev/disk/by-partlabel/${key.diskId}\ntq-${key.diskId}\nplain\n`,
      );
      expect(await readFile(`${base}.env`, 'utf8')).toBe(`${key.diskId} sled-4 ${key.fingerprint()}\n`);
      expect(await readFile(`${base}.cwd`, 'utf8')).toBe(`${dir}\n`);
      expect(results[i]).toMatchObject({
        diskId: key.diskId,
        ok: true,
        error: null,
        fingerprint: key.fingerprint(),
      });
      expect(results[i]!.run.stdout).toBe(`opened ${key.diskId}\n`);
      expect(key.isZeroed).toBe(false); // the caller's to zero
    }
  });

  it('runs a shell-string hook with the disk id only in the environment', async () => {
    const key = keyOf('shell;disk');
    const r = await runUnlockHook(
      { command: { shell: `"${recorder}" "$TQ_DISK_ID"` }, sledId: 'sled-1', env: { OUT: dir } },
      key,
    );
    expect(r.ok).toBe(true);
    expect(await readFile(join(dir, 'shell;disk.sha256'), 'utf8')).toBe(`${sha256Hex(key.expose())}\n`);
    expect(await readFile(join(dir, 'shell;disk.args'), 'utf8')).toBe('shell;disk\n');
  });

  it('reports a failing hook by disk with its last stderr line, after trying every disk', async () => {
    const script = join(dir, 'fail-data1.sh');
    await writeFile(
      script,
      '#!/bin/sh\ncat >/dev/null\nif [ "$TQ_DISK_ID" = data1 ]; then\n' +
        '  echo "Device /dev/sdb" >&2\n  echo "No key available with this passphrase." >&2\n  exit 2\nfi\n',
    );
    await chmod(script, 0o755);
    const { log, lines } = captureLog();
    const seen: [string, boolean][] = [];
    const keys = [keyOf('data0'), keyOf('data1'), keyOf('data2')];
    const err = await unlockDisks({ command: { argv: [script] }, sledId: 's', log }, keys, undefined, (r) =>
      seen.push([r.diskId, r.ok]),
    ).catch((e: unknown) => e);
    expect(isTrustQuorumError(err, 'UnlockFailed')).toBe(true);
    expect((err as Error).message).toBe(
      'unlock failed for disk data1: unlock hook exited with code 2: No key available with this passphrase.',
    );
    expect(seen).toEqual([
      ['data0', true],
      ['data1', false],
      ['data2', true],
    ]);
    expect(lines.filter((l) => l.startsWith('error'))).toHaveLength(1);
    expect(lines.find((l) => l.startsWith('error'))).toContain('disk data1: unlock hook exited with code 2');
  });

  it('names a program that does not exist', async () => {
    const r = await runUnlockHook(
      { command: { argv: [join(dir, 'missing-hook')] }, sledId: 's' },
      keyOf('d'),
    );
    expect(r).toMatchObject({ ok: false, error: 'unlock hook could not start (ENOENT)' });
  });

  it('kills a hook that overruns its timeout, with its children', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    const r = await runUnlockHook(
      {
        command: { shell: `sleep 30 & echo $! > "${pidFile}"; wait` },
        sledId: 's',
        timeoutMs: 300,
      },
      keyOf('slow'),
    );
    expect(r.ok).toBe(false);
    expect(r.error).toBe('unlock hook timed out after 300 ms');
    expect(r.run.timedOut).toBe(true);
    const pid = Number(await readFile(pidFile, 'utf8'));
    expect(await goneOrZombie(pid)).toBe(true);
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    const p = runUnlockHook({ command: { argv: ['sleep', '30'] }, sledId: 's' }, keyOf('a'), ac.signal);
    setTimeout(() => ac.abort(), 100);
    const r = await p;
    expect(r).toMatchObject({ ok: false, error: 'unlock hook aborted' });
  });

  it('redacts the key when a hook echoes it, in results, logs and the error', async () => {
    const key = keyOf('leaky');
    const { log, lines } = captureLog();
    const r = await runUnlockHook(
      {
        command: {
          shell:
            'f="$OUT/leaky.key"; cat > "$f"; base64 -w0 "$f"; echo; cat "$f"; echo; ' +
            'od -An -tx1 -v "$f" | tr -d " \\n" >&2; echo >&2; rm "$f"; exit 1',
        },
        env: { OUT: dir },
        sledId: 's',
        log,
      },
      key,
    );
    const hex = Buffer.from(key.expose()).toString('hex');
    const b64 = Buffer.from(key.expose()).toString('base64');
    expect(r.ok).toBe(false);
    const everything = [r.run.stdout, r.run.stderr, r.error ?? '', ...lines].join('\n');
    expect(everything).not.toContain(hex);
    expect(everything).not.toContain(b64.replace(/=+$/, ''));
    expect(Buffer.from(everything, 'utf8').includes(Buffer.from(key.expose()))).toBe(false);
    expect(r.run.stdout.split('\n').slice(0, 2)).toEqual([REDACTED, REDACTED]);
    expect(r.run.stderr).toBe(`${REDACTED}\n`);
    expect(r.error).toBe(`unlock hook exited with code 1: ${REDACTED}`);
  });

  it('bounds captured output', async () => {
    const r = await runUnlockHook(
      {
        command: { shell: 'cat >/dev/null; head -c 300000 /dev/zero | tr "\\0" x' },
        sledId: 's',
        maxOutputBytes: 1000,
      },
      keyOf('chatty'),
    );
    expect(r.ok).toBe(true);
    expect(r.run.stdout).toBe('x'.repeat(1000));
    expect(r.run.truncated).toBe(true);
  });
});

describe('redactKey', () => {
  const key = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');
  it('replaces raw, hex (any case), base64 and base64url copies', () => {
    const out = Buffer.concat([
      Buffer.from('a:'),
      key,
      Buffer.from(
        `\nb:${key.toString('hex').toUpperCase()}\nc:${key.toString('base64')}\nd:${key.toString('base64url')}\n`,
      ),
    ]);
    expect(redactKey(out, key)).toBe(`a:${REDACTED}\nb:${REDACTED}\nc:${REDACTED}\nd:${REDACTED}\n`);
  });

  it('removes a copy cut short at the end of the captured output', () => {
    expect(redactKey(Buffer.concat([Buffer.from('x'), key.subarray(0, 20)]), key)).toBe(`x${REDACTED}`);
    expect(redactKey(Buffer.from(`x${key.toString('hex').slice(0, 30)}`), key)).toBe(`x${REDACTED}`);
    expect(redactKey(Buffer.from('nothing here'), key)).toBe('nothing here');
  });
});
