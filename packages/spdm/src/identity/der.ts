/**
 * The little DER (ITU-T X.690) reading that certificate chains need and node:crypto does not
 * offer: splitting concatenated certificates by their outer SEQUENCE headers, and reading the
 * version and the extensions node's X509Certificate does not expose (keyUsage bits — node 20's
 * `X509Certificate.keyUsage` is in fact the *extended* key usage —, basicConstraints presence,
 * extKeyUsage OIDs). Every read is bounded by its enclosing element; malformed input gives
 * SpdmError('InvalidCertificate'), never another exception.
 */
import { SpdmError } from '../errors.js';

export const DER_TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  SEQUENCE: 0x30,
  /** [0] EXPLICIT, constructed: TBSCertificate.version */
  CONTEXT_0: 0xa0,
  /** [3] EXPLICIT, constructed: TBSCertificate.extensions */
  CONTEXT_3: 0xa3,
} as const;

export const OID = {
  KEY_USAGE: '2.5.29.15',
  BASIC_CONSTRAINTS: '2.5.29.19',
  EXT_KEY_USAGE: '2.5.29.37',
  /** DMTF SPDM responder / requester authentication EKUs (DSP0274 1.3, "SPDM OIDs"). */
  SPDM_RESPONDER_AUTH: '1.3.6.1.4.1.412.274.3',
  SPDM_REQUESTER_AUTH: '1.3.6.1.4.1.412.274.4',
} as const;

/** KeyUsage bit numbers (RFC 5280 §4.2.1.3). */
export const KEY_USAGE_BIT = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
} as const;

/** One element: its tag, where it starts, where its contents start, where it ends. */
export interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

function bad(what: string): never {
  throw new SpdmError('InvalidCertificate', what);
}

/**
 * Reads the element at `at`, which must end at or before `limit`. Single-byte tags and definite
 * lengths of at most 4 bytes only (DER forbids indefinite lengths).
 * @throws SpdmError InvalidCertificate
 */
export function readTlv(buf: Uint8Array, at: number, limit: number, what: string): Tlv {
  if (limit > buf.length || at + 2 > limit) bad(`${what}: truncated DER header at offset ${at}`);
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) bad(`${what}: multi-byte DER tag at offset ${at}`);
  const first = buf[at + 1]!;
  let len = first;
  let contentStart = at + 2;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0) bad(`${what}: indefinite length at offset ${at}`);
    if (n > 4) bad(`${what}: DER length of ${n} bytes at offset ${at}`);
    if (contentStart + n > limit) bad(`${what}: truncated DER length at offset ${at}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[contentStart + i]!;
    contentStart += n;
  }
  if (len > limit - contentStart) bad(`${what}: DER length ${len} runs past the end (offset ${at})`);
  return { tag, start: at, contentStart, end: contentStart + len };
}

/** The children of a constructed element, in order (bounded by `max`). @throws SpdmError */
export function children(buf: Uint8Array, parent: Tlv, what: string, max = 64): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    if (out.length === max) bad(`${what}: more than ${max} elements`);
    const t = readTlv(buf, at, parent.end, what);
    out.push(t);
    at = t.end;
  }
  return out;
}

/**
 * Splits concatenated DER certificates (each one outer SEQUENCE) into views.
 * @throws SpdmError InvalidCertificate: an element is not a SEQUENCE, runs past the end, the
 *   input is empty, or it holds more than `maxCerts` elements.
 */
export function splitDerCertificates(der: Uint8Array, maxCerts: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (der.length === 0) bad('certificate chain holds no certificate');
  for (let at = 0; at < der.length; ) {
    const what = `certificate ${out.length}`;
    if (out.length === maxCerts) bad(`certificate chain holds more than ${maxCerts} certificates`);
    const t = readTlv(der, at, der.length, what);
    if (t.tag !== DER_TAG.SEQUENCE) bad(`${what}: not a DER SEQUENCE (tag 0x${t.tag.toString(16)})`);
    out.push(der.subarray(t.start, t.end));
    at = t.end;
  }
  return out;
}

/** Dotted form of an OBJECT IDENTIFIER's contents. @throws SpdmError */
export function decodeOid(content: Uint8Array): string {
  if (content.length === 0 || content.length > 64) bad('OID of bad length');
  const arcs: number[] = [];
  let v = 0;
  for (const b of content) {
    if (v > 0x1ffffff) bad('OID arc too large');
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      arcs.push(v);
      v = 0;
    }
  }
  if (content[content.length - 1]! & 0x80) bad('OID truncated');
  const first = arcs[0]!;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

/** What validation needs from a certificate beyond node's X509Certificate. */
export interface CertDetails {
  /** X.509 version number (1, 2 or 3). */
  readonly version: number;
  /** KeyUsage bits by KEY_USAGE_BIT number, or undefined when the extension is absent. */
  readonly keyUsage: number | undefined;
  /** basicConstraints, or undefined when the extension is absent. */
  readonly basicConstraints: { readonly ca: boolean } | undefined;
  /** extKeyUsage OIDs, or undefined when the extension is absent. */
  readonly extKeyUsage: readonly string[] | undefined;
}

/** Reads version and the extensions of interest from a DER certificate. @throws SpdmError */
export function certDetails(der: Uint8Array, what: string): CertDetails {
  const cert = readTlv(der, 0, der.length, what);
  const tbs = children(der, cert, what)[0];
  if (cert.tag !== DER_TAG.SEQUENCE || tbs?.tag !== DER_TAG.SEQUENCE)
    bad(`${what}: not an X.509 certificate`);
  const fields = children(der, tbs, what);
  let version = 1;
  const v = fields[0];
  if (v?.tag === DER_TAG.CONTEXT_0) {
    const int = readTlv(der, v.contentStart, v.end, what);
    if (int.tag !== DER_TAG.INTEGER || int.end - int.contentStart !== 1) bad(`${what}: bad version field`);
    version = der[int.contentStart]! + 1;
  }
  const details = { version, keyUsage: undefined, basicConstraints: undefined, extKeyUsage: undefined };
  const exts = fields.find((f) => f.tag === DER_TAG.CONTEXT_3);
  if (!exts) return details;
  const seq = readTlv(der, exts.contentStart, exts.end, what);
  if (seq.tag !== DER_TAG.SEQUENCE) bad(`${what}: bad extensions field`);
  return { ...details, ...readExtensions(der, seq, what) };
}

function readExtensions(der: Uint8Array, seq: Tlv, what: string): Partial<CertDetails> {
  const out: { -readonly [K in keyof CertDetails]?: CertDetails[K] } = {};
  for (const ext of children(der, seq, what)) {
    const parts = children(der, ext, what, 3);
    const oidTlv = parts[0];
    const value = parts[parts.length - 1];
    if (ext.tag !== DER_TAG.SEQUENCE || oidTlv?.tag !== DER_TAG.OID || value?.tag !== DER_TAG.OCTET_STRING) {
      bad(`${what}: malformed extension`);
    }
    const oid = decodeOid(der.subarray(oidTlv.contentStart, oidTlv.end));
    const inner = readTlv(der, value.contentStart, value.end, what);
    if (oid === OID.KEY_USAGE) out.keyUsage = readKeyUsage(der, inner, what);
    else if (oid === OID.BASIC_CONSTRAINTS) out.basicConstraints = readBasicConstraints(der, inner, what);
    else if (oid === OID.EXT_KEY_USAGE) out.extKeyUsage = readExtKeyUsage(der, inner, what);
  }
  return out;
}

function readKeyUsage(der: Uint8Array, t: Tlv, what: string): number {
  if (t.tag !== DER_TAG.BIT_STRING || t.end - t.contentStart < 1) bad(`${what}: bad keyUsage`);
  let bits = 0;
  const bytes = der.subarray(t.contentStart + 1, Math.min(t.end, t.contentStart + 3));
  bytes.forEach((b, i) => {
    for (let j = 0; j < 8; j++) if (b & (0x80 >> j)) bits |= 1 << (i * 8 + j);
  });
  return bits;
}

function readBasicConstraints(der: Uint8Array, t: Tlv, what: string): { ca: boolean } {
  if (t.tag !== DER_TAG.SEQUENCE) bad(`${what}: bad basicConstraints`);
  const first = children(der, t, what, 2)[0];
  const ca =
    first?.tag === DER_TAG.BOOLEAN && first.end - first.contentStart === 1 && der[first.contentStart] !== 0;
  return { ca };
}

function readExtKeyUsage(der: Uint8Array, t: Tlv, what: string): string[] {
  if (t.tag !== DER_TAG.SEQUENCE) bad(`${what}: bad extKeyUsage`);
  return children(der, t, what, 32).map((o) => {
    if (o.tag !== DER_TAG.OID) bad(`${what}: bad extKeyUsage entry`);
    return decodeOid(der.subarray(o.contentStart, o.end));
  });
}
