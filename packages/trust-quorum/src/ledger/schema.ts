/**
 * The ledger file format (format version 1), successor of the original design's `share.json`:
 * a zod schema of the JSON document, its canonical form and checksum. The checksum is
 * SHA-256 over the canonical JSON (keys sorted, no whitespace) of every field but `checksum`,
 * so a file that is valid JSON but altered or truncated into another valid JSON is caught.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

export const LEDGER_FORMAT_VERSION = 1;
/** Largest ledger file we read (255 members with their certificates fit easily). */
export const MAX_LEDGER_FILE_BYTES = 4 * 1024 * 1024;
/** Largest PEM certificate of a member. */
export const MAX_CERTIFICATE_CHARS = 16 * 1024;

/** Lowercase textual UUID (RFC 9562 §4), any version. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A sled id: a short name, like `sled-7`. */
export const SLED_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const hex = (chars: number) => z.string().regex(new RegExp(`^[0-9a-f]{${chars}}$`));

export const memberSchema = z.strictObject({
  sledId: z.string().regex(SLED_ID_PATTERN),
  certificate: z
    .string()
    .max(MAX_CERTIFICATE_CHARS)
    .regex(/^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?$/),
});

/** Every field of the file except `checksum`. */
export const ledgerBodySchema = z.strictObject({
  formatVersion: z.literal(LEDGER_FORMAT_VERSION),
  rackId: z.string().regex(UUID_PATTERN),
  epoch: z.int().min(1).max(0xffff_ffff),
  generation: z.int().min(1).max(Number.MAX_SAFE_INTEGER),
  threshold: z.int().min(2).max(255),
  members: z.array(memberSchema).min(2).max(255),
  /** Compressed SEC1 points, C_j = g·a_j, j = 0..threshold-1. */
  commitments: z.array(hex(66)).min(2).max(255),
  share: z.strictObject({ x: z.int().min(1).max(255), y: hex(64) }),
});

export const ledgerFileSchema = ledgerBodySchema.extend({ checksum: hex(64) });

export type LedgerBody = z.infer<typeof ledgerBodySchema>;
export type LedgerFile = z.infer<typeof ledgerFileSchema>;

/** JSON with object keys sorted at every level and no whitespace. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 (hex) of the canonical JSON of the body. */
export function ledgerChecksum(body: LedgerBody): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/**
 * Describes zod issues by path and kind only: the offending values (which may be share bytes)
 * are never quoted.
 */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length === 0 ? '(root)' : i.path.join('.')}: ${i.code}`)
    .join(', ');
}
