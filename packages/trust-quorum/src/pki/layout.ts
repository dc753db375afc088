/**
 * The on-disk layout of a development PKI directory and the JSON records in it. Other parts
 * of the project (`tq spdm responder --identity`, `tq rack init`, benchmarks) depend on these
 * names; change them only together with their users.
 *
 * ```
 * OUT/pki.json                      manifest (PkiManifest)
 * OUT/root.pem, OUT/root.key.pem    rack root CA (key 0600)
 * OUT/intermediate.pem, .key.pem    optional intermediate CA (key 0600)
 * OUT/sled-N/{cert,chain,key}.pem   leaf, chain (root first ... leaf last), key (0600)
 * OUT/sled-N/identity.json          IdentityRecord
 * OUT/operator/...                  same files for the operator identity
 * ```
 * Directories are 0700.
 */
import { z } from 'zod';
import { PKI_ALGS } from './algorithms.js';

export const PKI_FILES = {
  manifest: 'pki.json',
  rootCert: 'root.pem',
  rootKey: 'root.key.pem',
  intermediateCert: 'intermediate.pem',
  intermediateKey: 'intermediate.key.pem',
  operatorDir: 'operator',
  leafCert: 'cert.pem',
  chain: 'chain.pem',
  leafKey: 'key.pem',
  identity: 'identity.json',
} as const;

/** Directory name of a sled's identity: `sled-N`. */
export function sledDirName(sledId: number): string {
  return `sled-${sledId}`;
}

export const DIR_MODE = 0o700;
export const KEY_MODE = 0o600;
export const PUBLIC_MODE = 0o644;

/** `OUT/pki.json`. */
export const PkiManifestSchema = z.object({
  version: z.literal(1),
  rackName: z.string(),
  alg: z.enum(PKI_ALGS),
  sledIds: z.array(z.number().int().nonnegative()),
  intermediate: z.boolean(),
  /** ISO 8601 times. */
  created: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
});
export type PkiManifest = z.infer<typeof PkiManifestSchema>;

/** `OUT/sled-N/identity.json` and `OUT/operator/identity.json`. */
export const IdentityRecordSchema = z.object({
  role: z.enum(['sled', 'operator']),
  /** null for the operator. */
  sledId: z.number().int().nonnegative().nullable(),
  alg: z.enum(PKI_ALGS),
  /** Leaf subject, `CN=sled-1, O=trust-quorum rack NAME`. */
  subject: z.string(),
});
export type IdentityRecord = z.infer<typeof IdentityRecordSchema>;
