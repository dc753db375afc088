/**
 * The SPDM certificate-chain structure (DSP0274 1.3 "Certificate chain format"; spdm-reference
 * §2.5): Length u16 (whole structure, header included) ‖ Reserved u16 = 0 ‖ RootHash (H bytes,
 * Hash of the root certificate's DER) ‖ DER certificates, root (or the one the root issued)
 * first, leaf last. This is the byte string that CERTIFICATE carries, DIGESTS and CertChainHash
 * hash, and transcripts include as Ct / CM. Also the requester-side reassembly of CERTIFICATE
 * portions (`CertChainAssembler`).
 */
import { createHash } from 'node:crypto';
import { ByteReader } from '../codec/reader.js';
import { ByteWriter } from '../codec/writer.js';
import type { HashInfo } from '../crypto/algorithms.js';
import { SpdmError } from '../errors.js';
import { ERROR_CODE } from '../msgs/codes.js';
import { readTlv, splitDerCertificates } from './der.js';

export const CERT_CHAIN_HEADER_SIZE = 4;
/** The Length field is a u16 (libspdm reads bytes 0-3 as one u32 with Reserved = 0). */
export const MAX_CERT_CHAIN_SIZE = 0xffff;
/** Default bound on the number of certificates we split a chain into. */
export const DEFAULT_MAX_CHAIN_CERTS = 16;

/** A parsed chain structure; every field is a view of `bytes`. */
export interface CertChain {
  /** The whole structure. */
  readonly bytes: Uint8Array;
  readonly rootHash: Uint8Array;
  /** DER certificates, first (root or issued by the root) to leaf. */
  readonly certs: readonly Uint8Array[];
}

/** Hash(data) with the negotiated BaseHashAlgo, as a plain Uint8Array. */
export function hashOf(hash: HashInfo, data: Uint8Array): Uint8Array {
  const d = createHash(hash.node).update(data).digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** The slot digest / CertChainHash / Hash(Ct): Hash of the whole chain structure. */
export function certChainDigest(chain: Uint8Array, hash: HashInfo): Uint8Array {
  return hashOf(hash, chain);
}

/**
 * Builds the chain structure from DER certificates (root first, leaf last).
 * @param root DER of the root certificate for RootHash; defaults to `certs[0]` (pass it when the
 *   chain starts with a certificate issued by the root rather than the root itself).
 * @throws TypeError when the list is empty; RangeError when the structure exceeds 65535 bytes;
 *   SpdmError InvalidCertificate when an entry is not exactly one DER SEQUENCE.
 */
export function buildCertChain(certs: readonly Uint8Array[], hash: HashInfo, root?: Uint8Array): Uint8Array {
  const first = certs[0];
  if (!first) throw new TypeError('buildCertChain: no certificate');
  certs.forEach((c, i) => {
    const t = readTlv(c, 0, c.length, `certificate ${i}`);
    if (t.tag !== 0x30 || t.end !== c.length) {
      throw new SpdmError('InvalidCertificate', `certificate ${i}: not exactly one DER SEQUENCE`);
    }
  });
  const size = certs.reduce((n, c) => n + c.length, CERT_CHAIN_HEADER_SIZE + hash.size);
  if (size > MAX_CERT_CHAIN_SIZE) throw new RangeError(`certificate chain of ${size} bytes exceeds 65535`);
  const w = new ByteWriter(size);
  w.u16le(size)
    .u16le(0)
    .bytes(hashOf(hash, root ?? first));
  for (const c of certs) w.bytes(c);
  return w.finish();
}

/** Builds the structure from a concatenated DER bundle (as in libspdm's *.certchain.der). */
export function buildCertChainFromBundle(bundle: Uint8Array, hash: HashInfo, root?: Uint8Array): Uint8Array {
  return buildCertChain(splitDerCertificates(bundle, DEFAULT_MAX_CHAIN_CERTS), hash, root);
}

/**
 * Parses a chain structure. Checks Length against the actual size, Reserved = 0, and that the
 * rest splits into DER SEQUENCEs exactly; does not check RootHash or any signature (that is
 * `validateCertChain`).
 * @throws SpdmError InvalidMsgField (header: size, Length, Reserved), InvalidCertificate (DER).
 */
export function parseCertChain(
  bytes: Uint8Array,
  hashSize: number,
  maxCerts = DEFAULT_MAX_CHAIN_CERTS,
): CertChain {
  if (bytes.length < CERT_CHAIN_HEADER_SIZE + hashSize || bytes.length > MAX_CERT_CHAIN_SIZE) {
    chainField(`certificate chain of ${bytes.length} byte(s) cannot hold a ${hashSize}-byte RootHash`);
  }
  const r = new ByteReader(bytes);
  const length = r.u16le('Length');
  if (length !== bytes.length) chainField(`certificate chain Length ${length} but ${bytes.length} byte(s)`);
  if (r.u16le('Reserved') !== 0) chainField('certificate chain Reserved must be 0');
  const rootHash = r.bytes(hashSize, 'RootHash');
  const certs = splitDerCertificates(r.rest(), maxCerts);
  return { bytes, rootHash, certs };
}

function chainField(msg: string): never {
  throw new SpdmError('InvalidMsgField', msg, { wireCode: ERROR_CODE.InvalidRequest });
}

/**
 * Requester side of GET_CERTIFICATE: collects CERTIFICATE portions into the chain structure.
 * The first response fixes the total (PortionLength + RemainderLength, at most `maxSize`); each
 * later one must continue at `offset` and keep that total. The buffer is allocated once, after
 * the total has been bounded.
 */
export class CertChainAssembler {
  private readonly maxSize: number;
  private buf: Uint8Array | undefined;
  private filled = 0;

  constructor(init: { readonly maxSize?: number } = {}) {
    this.maxSize = init.maxSize ?? MAX_CERT_CHAIN_SIZE;
    if (!Number.isInteger(this.maxSize) || this.maxSize < 1 || this.maxSize > MAX_CERT_CHAIN_SIZE) {
      throw new RangeError(`CertChainAssembler: maxSize ${this.maxSize}`);
    }
  }

  /** The Offset for the next GET_CERTIFICATE. */
  get offset(): number {
    return this.filled;
  }

  /** The Length to ask for next: what is left, at most `maxPerRequest`. */
  nextLength(maxPerRequest: number): number {
    return this.buf ? Math.min(maxPerRequest, this.buf.length - this.filled) : maxPerRequest;
  }

  get complete(): boolean {
    return this.buf !== undefined && this.filled === this.buf.length;
  }

  /**
   * Adds the portion of a CERTIFICATE response.
   * @throws SpdmError InvalidMsgField (the totals disagree, nothing new while more remains, past
   *   the end), TooLarge (the total exceeds maxSize).
   */
  add(portion: Uint8Array, remainderLength: number): void {
    if (this.complete) chainField('CERTIFICATE after the chain was complete');
    const total = this.filled + portion.length + remainderLength;
    if (!this.buf) {
      if (total > this.maxSize) {
        throw new SpdmError(
          'TooLarge',
          `certificate chain of ${total} bytes exceeds the maximum ${this.maxSize}`,
        );
      }
      if (total === 0) chainField('CERTIFICATE: empty certificate chain');
      this.buf = new Uint8Array(total);
    } else if (total !== this.buf.length) {
      chainField(`CERTIFICATE: chain size changed from ${this.buf.length} to ${total}`);
    }
    if (portion.length === 0 && remainderLength !== 0)
      chainField('CERTIFICATE: empty portion with bytes remaining');
    this.buf.set(portion, this.filled);
    this.filled += portion.length;
  }

  /** The reassembled chain structure. @throws SpdmError InvalidMsgField when incomplete. */
  finish(): Uint8Array {
    if (!this.buf || !this.complete) chainField('certificate chain incomplete');
    return this.buf;
  }
}
