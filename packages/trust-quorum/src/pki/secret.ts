/**
 * A private key's PKCS#8 DER bytes, held in the package's SecretBytes (rack-secret/): only
 * the format and length print, `zero()` wipes them.
 */
import { SecretBytes } from '../rack-secret/secret-bytes.js';

export class Pkcs8Key extends SecretBytes {
  /** Copies `der`; the caller zeroes its own copy. */
  constructor(der: Uint8Array) {
    super(der);
  }

  protected describe(): Record<string, string | number> {
    return { format: 'PKCS#8 DER', length: this.length };
  }
}
