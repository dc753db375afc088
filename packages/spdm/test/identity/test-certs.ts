/**
 * Test helper: a small DER writer that issues real X.509 v3 certificates signed with
 * node:crypto keys, for the validation cases the libspdm sample certificates do not cover
 * (Ed25519 / RSA leaves, keyUsage without digitalSignature, no basicConstraints, CA leaves).
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

function len(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  return new Uint8Array([tag, ...len(body.length), ...body]);
}

const seq = (...p: Uint8Array[]) => tlv(0x30, ...p);
const set = (...p: Uint8Array[]) => tlv(0x31, ...p);

export function oid(dotted: string): Uint8Array {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out: number[] = [];
  for (const arc of [a! * 40 + b!, ...rest]) {
    const groups: number[] = [];
    let v = arc;
    do {
      groups.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    out.push(...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
  }
  return tlv(0x06, new Uint8Array(out));
}

const int = (n: number) => tlv(0x02, new Uint8Array(n < 0x80 ? [n] : [0, n & 0xff]));
const utf8 = (s: string) => tlv(0x0c, new Uint8Array(Buffer.from(s, 'utf8')));
const bool = (b: boolean) => tlv(0x01, Uint8Array.of(b ? 0xff : 0));
const octets = (b: Uint8Array) => tlv(0x04, b);

function time(d: Date): Uint8Array {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return tlv(0x17, new Uint8Array(Buffer.from(`${iso.slice(2)}Z`, 'ascii')));
}

const name = (cn: string) => seq(set(seq(oid('2.5.4.3'), utf8(cn))));

function keyUsageBits(bits: readonly number[]): Uint8Array {
  let v = 0;
  for (const b of bits) v |= 0x80 >> b;
  return tlv(0x03, Uint8Array.of(0, v));
}

export interface CertSpec {
  readonly subject: string;
  readonly issuer: string;
  /** Key that signs the certificate (the issuer's private key). */
  readonly signer: KeyObject;
  /** Public key certified. */
  readonly publicKey: KeyObject;
  readonly serial?: number;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly ca?: boolean;
  /** Omit basicConstraints entirely. */
  readonly noBasicConstraints?: boolean;
  /** keyUsage bit numbers (RFC 5280), or undefined for no extension. */
  readonly keyUsage?: readonly number[];
  readonly extKeyUsage?: readonly string[];
  /** Issue an X.509 v1 certificate (no version field, no extensions). */
  readonly v1?: boolean;
  /** Further non-critical extensions (OID, DER value), e.g. to make a large certificate. */
  readonly extraExtensions?: readonly { readonly oid: string; readonly value: Uint8Array }[];
}

function algorithmFor(signer: KeyObject): { alg: Uint8Array; digest: string | null } {
  const t = signer.asymmetricKeyType;
  if (t === 'ed25519') return { alg: seq(oid('1.3.101.112')), digest: null };
  if (t === 'rsa') return { alg: seq(oid('1.2.840.113549.1.1.11'), tlv(0x05)), digest: 'sha256' };
  const curve = signer.asymmetricKeyDetails?.namedCurve;
  if (curve === 'secp384r1') return { alg: seq(oid('1.2.840.10045.4.3.3')), digest: 'sha384' };
  return { alg: seq(oid('1.2.840.10045.4.3.2')), digest: 'sha256' };
}

function extensions(s: CertSpec): Uint8Array[] {
  const exts: Uint8Array[] = [];
  if (!s.noBasicConstraints) {
    exts.push(seq(oid('2.5.29.19'), bool(true), octets(seq(...(s.ca ? [bool(true)] : [])))));
  }
  if (s.keyUsage) exts.push(seq(oid('2.5.29.15'), bool(true), octets(keyUsageBits(s.keyUsage))));
  if (s.extKeyUsage) exts.push(seq(oid('2.5.29.37'), octets(seq(...s.extKeyUsage.map(oid)))));
  for (const e of s.extraExtensions ?? []) exts.push(seq(oid(e.oid), octets(e.value)));
  return exts;
}

/** Issues a DER certificate. */
export function makeCert(s: CertSpec): Uint8Array {
  const { alg, digest } = algorithmFor(s.signer);
  const spki = new Uint8Array(s.publicKey.export({ type: 'spki', format: 'der' }));
  const exts = s.v1 ? [] : extensions(s);
  const tbs = seq(
    ...(s.v1 ? [] : [tlv(0xa0, int(2))]),
    int(s.serial ?? 1),
    alg,
    name(s.issuer),
    seq(
      time(s.notBefore ?? new Date('2024-01-01T00:00:00Z')),
      time(s.notAfter ?? new Date('2040-01-01T00:00:00Z')),
    ),
    name(s.subject),
    spki,
    ...(exts.length ? [tlv(0xa3, seq(...exts))] : []),
  );
  const sig = sign(digest, tbs, s.signer);
  return seq(tbs, alg, tlv(0x03, Uint8Array.of(0), new Uint8Array(sig)));
}

export type KeyKind = 'p256' | 'p384' | 'ed25519' | 'rsa2048';

export function newKey(kind: KeyKind): { privateKey: KeyObject; publicKey: KeyObject } {
  if (kind === 'ed25519') return generateKeyPairSync('ed25519');
  if (kind === 'rsa2048') return generateKeyPairSync('rsa', { modulusLength: 2048 });
  return generateKeyPairSync('ec', { namedCurve: kind === 'p256' ? 'prime256v1' : 'secp384r1' });
}

export interface TestPki {
  readonly rootKey: KeyObject;
  readonly root: Uint8Array;
  readonly interKey: KeyObject;
  readonly inter: Uint8Array;
  /** Issues a leaf under the intermediate. */
  leaf(over?: Partial<CertSpec> & { kind?: KeyKind }): Uint8Array;
}

/** A root and an intermediate (P-256), and a leaf factory. */
export function testPki(): TestPki {
  const root = newKey('p256');
  const inter = newKey('p256');
  const rootDer = makeCert({
    subject: 'Test Root',
    issuer: 'Test Root',
    signer: root.privateKey,
    publicKey: root.publicKey,
    ca: true,
    keyUsage: [5, 6],
  });
  const interDer = makeCert({
    subject: 'Test Intermediate',
    issuer: 'Test Root',
    signer: root.privateKey,
    publicKey: inter.publicKey,
    serial: 2,
    ca: true,
    keyUsage: [5, 6],
  });
  return {
    rootKey: root.privateKey,
    root: rootDer,
    interKey: inter.privateKey,
    inter: interDer,
    leaf: ({ kind = 'p256', ...over } = {}) =>
      makeCert({
        subject: 'Test Leaf',
        issuer: 'Test Intermediate',
        signer: inter.privateKey,
        publicKey: newKey(kind).publicKey,
        serial: 3,
        keyUsage: [0],
        ...over,
      }),
  };
}
