/**
 * The agent config file's schema (zod), field by field with its documentation and default.
 * The README's config reference is written from these comments; keep them in step.
 * Paths are resolved against the config file's directory (the `dir` argument), so the schema
 * is built per file. `config.ts` reads the file and turns zod issues into
 * `FILE: field.path: reason` messages.
 */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { parseHostPort } from '../discovery/address.js';
import { parseMulticastGroup } from '../discovery/group.js';
import { SLED_ID_PATTERN } from '../ledger/schema.js';

/** Default SPDM listen address. Port 4194 is IANA's port for SPDM over TCP (DSP0287). */
export const DEFAULT_SPDM_LISTEN = '127.0.0.1:4194';
/** Default status/metrics address. */
export const DEFAULT_HTTP_LISTEN = '127.0.0.1:4195';
/** Default discovery group: IPv4 organization-local scope (RFC 2365), "41 94" for 4194. */
export const DEFAULT_DISCOVERY_GROUP = '239.255.41.94';
/** Default discovery UDP port (UDP, so it does not clash with the SPDM TCP port). */
export const DEFAULT_DISCOVERY_PORT = 4194;

/**
 * A disk id as the config and `tq luks --disk` accept it. The storage key's HKDF info carries
 * it (keys/storage-key.ts), and the unlock hook gets it in `TQ_DISK_ID` and `{disk}`, so it is
 * kept to characters that are safe in file names, argv and device-mapper names.
 */
export const DISK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** A service name (used in logs, metrics and status). */
export const SERVICE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** An environment variable name. */
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const ms = (min: number, max: number) => z.int().min(min).max(max);
const nonEmpty = z.string().min(1).max(4096);

/** A path: made absolute against the config file's directory. */
const pathIn = (dir: string) => nonEmpty.transform((p) => resolve(dir, p));

/**
 * A program in argv[0]: a bare name is looked up in PATH when run; anything with a slash is
 * a path, made absolute against the config directory.
 */
const programIn = (dir: string) =>
  nonEmpty.transform((p) => (p.includes('/') && !isAbsolute(p) ? resolve(dir, p) : p));

const argvIn = (dir: string) =>
  z
    .array(z.string().max(4096))
    .min(1, { abort: true })
    .max(256)
    .refine((a) => a[0] !== undefined && a[0].length > 0, { message: 'the program (first entry) is empty' })
    .transform((a) => [programIn(dir).parse(a[0]), ...a.slice(1)] as readonly string[]);

const hostPort = (allowPortZero: boolean) =>
  z.string().transform((s, ctx) => {
    try {
      return parseHostPort(s, { allowPortZero });
    } catch (e) {
      ctx.issues.push({ code: 'custom', message: (e as Error).message, input: s });
      return z.NEVER;
    }
  });

const backoffSchema = z
  .strictObject({
    /** First delay after a failure, in ms (default 1000). */
    initialMs: ms(10, 3_600_000).default(1000),
    /** Longest delay, in ms; delays double up to it (default 30000). */
    maxMs: ms(10, 3_600_000).default(30_000),
  })
  .refine((b) => b.initialMs <= b.maxMs, { message: 'must not exceed maxMs', path: ['initialMs'] });

const serviceSchema = (dir: string) =>
  z.strictObject({
    /** Name in logs, status and metrics; unique. */
    name: z.string().regex(SERVICE_NAME_PATTERN, { message: 'want 1-64 letters, digits, ".", "_" or "-"' }),
    /** argv: program (PATH lookup, or a path relative to the config) then arguments. No shell. */
    command: argvIn(dir),
    /** Extra environment variables (added to the agent's). */
    env: z
      .record(z.string().regex(ENV_NAME_PATTERN, { message: 'not an environment variable name' }), z.string())
      .default({}),
    /** Working directory (default: the config file's directory). */
    cwd: pathIn(dir).default(dir),
    /** always: restart whenever it exits; on-failure: when it exits non-zero or by a signal; never. */
    restart: z.enum(['always', 'on-failure', 'never']).default('on-failure'),
    /** Delay before a restart, doubling after each quick failure. */
    backoff: backoffSchema.prefault({}),
    /** On shutdown: SIGTERM, then SIGKILL after this many ms (default 5000). */
    stopGraceMs: ms(0, 600_000).default(5000),
  });

const discoverySchema = z
  .strictObject({
    /** Announce ourselves and listen for peers by UDP multicast (default true). */
    enabled: z.boolean().default(true),
    /** Multicast group: IPv4 224.0.0.0/4 (239.x recommended) or IPv6 ff00::/8 (e.g. ff02::4194). */
    group: z.string().default(DEFAULT_DISCOVERY_GROUP),
    /** UDP port of the group (default 4194). All agents of a rack use the same one. */
    port: z.int().min(1).max(65535).default(DEFAULT_DISCOVERY_PORT),
    /** How often we announce, in ms (default 2000). */
    intervalMs: ms(100, 600_000).default(2000),
    /** A peer not heard from for this long is dropped, in ms (default 10000, > intervalMs). */
    expiryMs: ms(200, 3_600_000).default(10_000),
    /** Multicast TTL / hop limit (default 1: this link only). */
    ttl: z.int().min(1).max(255).default(1),
    /** Receive our own host's announcements, so agents on one machine see each other (default true). */
    loopback: z.boolean().default(true),
    /**
     * Interface: for IPv4 an interface name or one of its IPv4 addresses (e.g. "127.0.0.1"),
     * for IPv6 an interface name (required for a link-local ff02:: group). Default: the OS's
     * choice (the interface of the default route).
     */
    interface: z.string().min(1).max(64).optional(),
  })
  .superRefine((d, ctx) => {
    const g = parseMulticastGroup(d.group);
    if (typeof g === 'string') {
      ctx.addIssue({ code: 'custom', message: g, path: ['group'] });
      return;
    }
    if (d.expiryMs <= d.intervalMs) {
      ctx.addIssue({ code: 'custom', message: 'must be more than intervalMs', path: ['expiryMs'] });
    }
    if (g.family === 6 && g.linkLocal && d.interface === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'required for a link-local IPv6 group (ff02::/16), e.g. "eth0"',
        path: ['interface'],
      });
    }
    if (g.family === 6 && d.interface !== undefined && !/^[A-Za-z0-9._-]{1,15}$/.test(d.interface)) {
      ctx.addIssue({
        code: 'custom',
        message: 'want an interface name for an IPv6 group',
        path: ['interface'],
      });
    }
  });

const hookSchema = (dir: string) =>
  z.union([argvIn(dir).transform((argv) => ({ argv })), nonEmpty.transform((shell) => ({ shell }))], {
    error: 'want a list of strings (argv, no shell) or one string (run by /bin/sh -c)',
  });

const unlockSchema = (dir: string) =>
  z
    .strictObject({
      /**
       * Run once per disk with its 32-byte key on stdin: argv (list) or a shell string. `{disk}`
       * in an argv entry becomes the disk id; the environment has TQ_DISK_ID, TQ_SLED_ID and
       * TQ_KEY_FINGERPRINT. E.g. ["./unlock-luks.sh", "/dev/sdb", "{disk}"].
       */
      hook: hookSchema(dir).optional(),
      /** Disk ids: one storage key is derived per id (HKDF info) and passed to the hook. */
      disks: z
        .array(
          z.string().regex(DISK_ID_PATTERN, { message: 'want 1-128 letters, digits, ".", "_", ":" or "-"' }),
        )
        .max(64)
        .default([]),
      /** HKDF hash of the storage keys: "sha256" (default) or "sha3-256". */
      hash: z.enum(['sha256', 'sha3-256']).default('sha256'),
      /** Longest one hook run may take, in ms (default 60000). */
      timeoutMs: ms(100, 3_600_000).default(60_000),
    })
    .superRefine((u, ctx) => {
      u.disks.forEach((d, i) => {
        if (u.disks.indexOf(d) !== i)
          ctx.addIssue({ code: 'custom', message: 'listed twice', path: ['disks', i] });
      });
      if (u.disks.length > 0 && u.hook === undefined) {
        ctx.addIssue({ code: 'custom', message: 'required when disks are listed', path: ['hook'] });
      }
    });

const timeoutsSchema = z
  .strictObject({
    /** TCP connect to a peer, in ms (default 5000). */
    connectMs: ms(10, 600_000).default(5000),
    /** One SPDM session with a peer, from connect to its share, in ms (default 15000). */
    sessionMs: ms(10, 600_000).default(15_000),
    /** First retry delay of share collection, in ms (default 500); doubles with jitter. */
    retryBaseMs: ms(10, 600_000).default(500),
    /** Longest retry delay of share collection, in ms (default 30000). */
    retryMaxMs: ms(10, 3_600_000).default(30_000),
  })
  .refine((t) => t.retryBaseMs <= t.retryMaxMs, {
    message: 'must not exceed retryMaxMs',
    path: ['retryBaseMs'],
  });

/** The whole file, for a config file in directory `dir`. */
export function agentConfigSchema(dir: string) {
  return z
    .strictObject({
      /** This sled's id, as in the ledger's member list and the PKI (e.g. "sled-1"). */
      sledId: z.string().regex(SLED_ID_PATTERN, { message: 'want 1-64 letters, digits, ".", "_" or "-"' }),
      /** Device identity, `tq pki init` layout: DIR/chain.pem (root first), DIR/key.pem, DIR/cert.pem. */
      identityDir: pathIn(dir),
      /** PEM file of the rack root CA that peers' chains must lead to. */
      trustedRoot: pathIn(dir),
      /** Directories holding copies of the ledger (ledger.json); at least one, best on different disks. */
      ledgerDirs: z.array(pathIn(dir)).min(1).max(8),
      /** No ledger means "awaiting-init" (wait for `tq rack init`) rather than "single-node". */
      awaitInit: z.boolean().default(false),
      /** SPDM responder (share server and rack init). */
      spdm: z
        .strictObject({
          /**
           * HOST:PORT to listen on (default 127.0.0.1:4194). Loopback by default so nothing is
           * exposed until you choose to: set "0.0.0.0:4194" (or a rack-network address) so
           * peers on other machines can reach this sled.
           */
          listen: hostPort(true).prefault(DEFAULT_SPDM_LISTEN),
          /** "dsp0287" (SPDM over TCP, default) or "length16" (2-byte length, negotiation only). */
          framing: z.enum(['dsp0287', 'length16']).default('dsp0287'),
        })
        .prefault({}),
      /** Peers' SPDM addresses known in advance (HOST:PORT), used besides discovery. Hints only. */
      staticPeers: z.array(hostPort(false)).max(1024).default([]),
      /** Multicast discovery. */
      discovery: discoverySchema.prefault({}),
      /** Status page, JSON and Prometheus metrics. */
      http: z
        .strictObject({
          /** Serve /, /status, /metrics and /healthz (default true). */
          enabled: z.boolean().default(true),
          /** HOST:PORT (default 127.0.0.1:4195). */
          listen: hostPort(true).prefault(DEFAULT_HTTP_LISTEN),
        })
        .prefault({}),
      /** What to do with the storage keys once the rack secret is rebuilt. */
      unlock: unlockSchema(dir).prefault({}),
      /** Commands started (and supervised) after unlocking, in order. */
      services: z.array(serviceSchema(dir)).max(64).default([]),
      /** Network deadlines and retry pacing. */
      timeouts: timeoutsSchema.prefault({}),
    })
    .superRefine((c, ctx) => {
      c.ledgerDirs.forEach((d, i) => {
        if (c.ledgerDirs.indexOf(d) !== i) {
          ctx.addIssue({ code: 'custom', message: 'same directory listed twice', path: ['ledgerDirs', i] });
        }
      });
      const names = c.services.map((s) => s.name);
      names.forEach((n, i) => {
        if (names.indexOf(n) !== i) {
          ctx.addIssue({ code: 'custom', message: 'name used twice', path: ['services', i, 'name'] });
        }
      });
    });
}

/** The file's content after validation, defaults and path resolution. */
export type AgentConfigData = z.output<ReturnType<typeof agentConfigSchema>>;
