/**
 * The authenticated identity of a session's peer, as the application sees it: the responder's
 * chain (slot of KEY_EXCHANGE) on the requester side, the requester's chain (CM, proven by its
 * FINISH signature) on the responder side. Certificates only: no key material.
 */
import { X509Certificate } from 'node:crypto';
import { SpdmError } from '../errors.js';
import { parseCertChain } from '../identity/cert-chain.js';

export interface PeerIdentity {
  /** DER certificates of the peer's chain, first (the root or one it issued) to leaf. */
  readonly chain: readonly Uint8Array[];
  /** DER of the leaf certificate (the last of `chain`). */
  readonly leafCertificate: Uint8Array;
  /** The leaf's subject on one line, e.g. `CN=sled-1, O=trust-quorum rack r1`. */
  readonly leafSubject: string;
  /** The SPDM certificate-chain structure the session transcripts hash (Ct or CM). */
  readonly certChain: Uint8Array;
  /** Slot of the chain: the responder's SlotID, or the requester's ReqSlotID. */
  readonly slotId: number;
}

/** One-line subject without control characters (same rendering as identity/validate.ts). */
export function oneLineSubject(c: X509Certificate): string {
  const s = c.subject
    .split('\n')
    .join(', ')
    .replace(/[\u0000-\u001f\u007f]/g, '?');
  return s.length > 100 ? `${s.slice(0, 97)}...` : s;
}

/**
 * Leaf subjects already rendered, by the leaf's exact DER (public data; the same peers come
 * back session after session). Bounded: the oldest entry goes first.
 */
const subjects = new Map<string, string>();
const MAX_SUBJECTS = 256;

function subjectOfDer(der: Uint8Array): string {
  const key = Buffer.from(der.buffer, der.byteOffset, der.length).toString('latin1');
  const known = subjects.get(key);
  if (known !== undefined) return known;
  const subject = parseSubject(der);
  subjects.set(key, subject);
  if (subjects.size > MAX_SUBJECTS) subjects.delete(subjects.keys().next().value as string);
  return subject;
}

function parseSubject(der: Uint8Array): string {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(der);
  } catch (e) {
    throw new SpdmError('InvalidCertificate', 'leaf certificate does not parse', { cause: e });
  }
  return oneLineSubject(leaf);
}

/**
 * Builds the identity from a chain structure (copied). `leafSubject`, when the caller has it
 * from validating this very chain (ValidatedChain.leafSubject, the same rendering), saves
 * parsing the leaf again.
 * @throws SpdmError InvalidMsgField / InvalidCertificate when the structure or its leaf does
 *   not parse.
 */
export function peerIdentityOf(
  certChain: Uint8Array,
  hashSize: number,
  slotId: number,
  leafSubject?: string,
): PeerIdentity {
  const own = certChain.slice();
  const parsed = parseCertChain(own, hashSize);
  const leafDer = parsed.certs[parsed.certs.length - 1];
  if (!leafDer) throw new SpdmError('InvalidCertificate', 'certificate chain without certificates');
  return {
    chain: parsed.certs.map((c) => c.slice()),
    leafCertificate: leafDer.slice(),
    leafSubject: leafSubject ?? subjectOfDer(leafDer),
    certChain: own,
    slotId,
  };
}
