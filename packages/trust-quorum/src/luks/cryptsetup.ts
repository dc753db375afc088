/**
 * First-time LUKS2 setup with a rack-derived storage key, around Debian's `cryptsetup`
 * (package cryptsetup-bin). The key goes to cryptsetup on stdin (`--key-file=-`: read to end of
 * input, raw bytes, no newline handling), never through a file or argv.
 *
 * Key derivation (PBKDF) strength: LUKS runs the passphrase through a deliberately slow PBKDF so
 * that a human-chosen password is expensive to guess. Our "passphrase" is a 32-byte HKDF output
 * of the rack secret: 256 bits of uniform randomness, which no PBKDF setting makes easier or
 * harder to brute-force in practice. So the default is a light argon2id (64 MiB, 4 passes,
 * 1 thread, iterations forced so no benchmark runs): it keeps boot fast and memory small on
 * every sled, and still stands in the way of someone who later sets a human password in
 * another key slot with the same parameters. Tests use pbkdf2 with 1000 iterations.
 */
import { open, stat } from 'node:fs/promises';
import { TrustQuorumError } from '../errors.js';
import type { StorageKey } from '../keys/index.js';
import { describeExit, type KeyCommandResult, lastLine, runWithKeyOnStdin } from '../unlock/key-command.js';

export type LuksPbkdf =
  | {
      readonly kind: 'argon2id';
      /** Memory cost in KiB. */
      readonly memoryKiB: number;
      /** Time cost (passes), at least 4 for cryptsetup. */
      readonly iterations: number;
      readonly parallel: number;
    }
  | { readonly kind: 'pbkdf2' /** At least 1000 for cryptsetup. */; readonly iterations: number };

/** The default for real volumes; see the module comment for why a light PBKDF is right here. */
export const DEFAULT_LUKS_PBKDF: LuksPbkdf = {
  kind: 'argon2id',
  memoryKiB: 65536,
  iterations: 4,
  parallel: 1,
};

export interface LuksInit {
  /** The cryptsetup program; default "cryptsetup" (from PATH). */
  readonly cryptsetup?: string;
  /** For format; default DEFAULT_LUKS_PBKDF. */
  readonly pbkdf?: LuksPbkdf;
  /** Per cryptsetup run, in ms; default 120000. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;
/** cryptsetup's exit code for "No key available with this passphrase" (cryptsetup(8) RETURN CODES). */
const EXIT_NO_PERMISSION = 2;

/** The PBKDF options of `cryptsetup luksFormat`. @throws RangeError when out of cryptsetup's range. */
export function pbkdfArgs(p: LuksPbkdf): string[] {
  if (p.kind === 'pbkdf2') {
    if (!Number.isInteger(p.iterations) || p.iterations < 1000)
      throw new RangeError('pbkdf2 needs >= 1000 iterations');
    return ['--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', String(p.iterations)];
  }
  if (!Number.isInteger(p.iterations) || p.iterations < 4)
    throw new RangeError('argon2id needs >= 4 iterations');
  if (!Number.isInteger(p.memoryKiB) || p.memoryKiB < 32 || p.memoryKiB > 4 * 1024 * 1024) {
    throw new RangeError('argon2id memory must be 32 KiB to 4 GiB');
  }
  if (!Number.isInteger(p.parallel) || p.parallel < 1 || p.parallel > 16) {
    throw new RangeError('argon2id parallel must be 1 to 16');
  }
  return [
    '--pbkdf',
    'argon2id',
    '--pbkdf-memory',
    String(p.memoryKiB),
    '--pbkdf-parallel',
    String(p.parallel),
    '--pbkdf-force-iterations',
    String(p.iterations),
  ];
}

/** The full argv of the format command (the key comes on stdin). */
export function luksFormatArgv(image: string, init: LuksInit = {}): string[] {
  return [
    init.cryptsetup ?? 'cryptsetup',
    'luksFormat',
    '--type',
    'luks2',
    '--batch-mode',
    ...pbkdfArgs(init.pbkdf ?? DEFAULT_LUKS_PBKDF),
    '--key-file=-',
    image,
  ];
}

/** The full argv of the check command (the key comes on stdin). */
export function luksCheckArgv(image: string, init: LuksInit = {}): string[] {
  return [init.cryptsetup ?? 'cryptsetup', 'open', '--test-passphrase', '--key-file=-', image];
}

function failed(image: string, what: string, r: KeyCommandResult, timeoutMs: number): TrustQuorumError {
  const how = r.spawnError === 'ENOENT' ? 'not found (install cryptsetup-bin)' : describeExit(r, timeoutMs);
  const tail = lastLine(r.stderr) || lastLine(r.stdout);
  return new TrustQuorumError(
    'CommandFailed',
    `${image}: cryptsetup ${what} ${how}${tail ? `: ${tail}` : ''}`,
    {
      files: [image],
    },
  );
}

async function runCryptsetup(argv: string[], key: Uint8Array, timeoutMs: number): Promise<KeyCommandResult> {
  return runWithKeyOnStdin(key, { command: { argv }, timeoutMs, env: { LC_ALL: 'C' } });
}

async function checkDevice(image: string): Promise<void> {
  const st = await stat(image).catch((e: NodeJS.ErrnoException) => {
    throw new TrustQuorumError('InvalidConfig', `${image}: cannot use (${e.code ?? 'error'})`, {
      files: [image],
    });
  });
  if (!st.isFile() && !st.isBlockDevice()) {
    throw new TrustQuorumError('InvalidConfig', `${image}: not a file or block device`, { files: [image] });
  }
}

/**
 * True when `image` carries a LUKS header (`cryptsetup isLuks`).
 * @throws TrustQuorumError CommandFailed when cryptsetup is missing or fails otherwise.
 */
export async function isLuks(image: string, init: LuksInit = {}): Promise<boolean> {
  const r = await runWithKeyOnStdin(new Uint8Array(0), {
    command: { argv: [init.cryptsetup ?? 'cryptsetup', 'isLuks', image] },
    timeoutMs: init.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  if (r.code === 0) return true;
  if (r.code === 1 && r.spawnError === null) return false;
  throw failed(image, 'isLuks', r, init.timeoutMs ?? DEFAULT_TIMEOUT_MS);
}

/**
 * Formats `image` as LUKS2 with `key` in key slot 0. Refuses an image that already has a LUKS
 * header unless `force` (reformatting destroys whatever it protected).
 * @throws TrustQuorumError InvalidConfig (no such image, already LUKS), CommandFailed.
 */
export async function luksFormat(
  image: string,
  key: StorageKey,
  init: LuksInit & { readonly force?: boolean } = {},
): Promise<void> {
  await checkDevice(image);
  if (init.force !== true && (await isLuks(image, init))) {
    throw new TrustQuorumError(
      'InvalidConfig',
      `${image}: already a LUKS volume (use --force to reformat it)`,
      {
        files: [image],
      },
    );
  }
  const timeoutMs = init.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const r = await runCryptsetup(luksFormatArgv(image, init), key.expose(), timeoutMs);
  if (r.code !== 0) throw failed(image, 'luksFormat', r, timeoutMs);
}

/**
 * Tests whether `key` opens `image` (`cryptsetup open --test-passphrase`; no device-mapper
 * needed, nothing is opened).
 * @returns true when it opens, false when cryptsetup says no key slot accepts it.
 * @throws TrustQuorumError InvalidConfig (no such image), CommandFailed (not LUKS, cryptsetup
 *   missing, anything else).
 */
export async function luksCheck(image: string, key: StorageKey, init: LuksInit = {}): Promise<boolean> {
  await checkDevice(image);
  const timeoutMs = init.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const r = await runCryptsetup(luksCheckArgv(image, init), key.expose(), timeoutMs);
  if (r.code === 0) return true;
  if (r.code === EXIT_NO_PERMISSION && r.spawnError === null) return false;
  throw failed(image, 'open --test-passphrase', r, timeoutMs);
}

/** cryptsetup's version line ("cryptsetup 2.6.1 ..."), or null when it cannot be run. */
export async function cryptsetupVersion(cryptsetup = 'cryptsetup'): Promise<string | null> {
  const r = await runWithKeyOnStdin(new Uint8Array(0), {
    command: { argv: [cryptsetup, '--version'] },
    timeoutMs: 10_000,
  });
  return r.code === 0 ? r.stdout.trim() : null;
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };
/** Largest image `createImage` makes. */
export const MAX_IMAGE_BYTES = 16 * 1024 ** 4;

/**
 * Parses a size: bytes, or a number with K, M, G or T (binary: 32M = 32 MiB), optional "iB"/"B".
 * @throws RangeError when it is not one, is 0, or is above 16 TiB.
 */
export function parseSize(text: string): number {
  const m = /^([0-9]{1,15})([KMGT]?)(?:i?B)?$/i.exec(text.trim());
  if (m === null) throw new RangeError('want a size like 32M, 1G or 1048576');
  const n = Number(m[1]) * UNITS[m[2]!.toUpperCase()]!;
  if (n === 0 || n > MAX_IMAGE_BYTES) throw new RangeError('size must be 1 byte to 16 TiB');
  return n;
}

/**
 * Creates a sparse image file of `bytes` (mode 0600). Refuses to touch an existing file.
 * @throws TrustQuorumError InvalidConfig when it exists or cannot be created.
 */
export async function createImage(path: string, bytes: number): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, 'wx', 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'EEXIST' ? 'exists already (not overwriting it)' : `cannot create (${code})`;
    throw new TrustQuorumError('InvalidConfig', `${path}: ${why}`, { files: [path] });
  }
  try {
    await fh.truncate(bytes);
  } finally {
    await fh.close();
  }
}
