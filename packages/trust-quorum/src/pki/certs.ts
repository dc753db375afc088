/**
 * Certificate issuance for the development PKI, in memory and without I/O: a rack root CA,
 * an optional intermediate CA, and device-identity leaves (one per sled, plus the operator).
 * Made with @peculiar/x509 over Node's WebCrypto.
 *
 * Extensions follow what SPDM devices carry and what libspdm checks on a leaf
 * (spdm-reference §2.5; DSP0274 1.3 §10.7 "Certificates and certificate chains"): v3,
 * basicConstraints (cA=false on the leaf, mandatory in 1.3), keyUsage digitalSignature,
 * EKU with the SPDM responder-auth and requester-auth OIDs (DSP0274 1.3 Table 42; a sled is
 * both), plus serverAuth/clientAuth and a DNS subjectAltName so the same files serve Node TLS.
 */
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { type PkiAlg, type PkiAlgInfo, pkiAlgInfo } from './algorithms.js';
import { Pkcs8Key } from './secret.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** SPDM responder authentication EKU (DSP0274 1.3 §10.7.2, id-DMTF-eku 3). */
export const OID_SPDM_RESPONDER_AUTH = '1.3.6.1.4.1.412.274.3';
/** SPDM requester authentication EKU (DSP0274 1.3 §10.7.2, id-DMTF-eku 4). */
export const OID_SPDM_REQUESTER_AUTH = '1.3.6.1.4.1.412.274.4';

export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** A CA's certificate and keys. The private CryptoKey prints no key bytes. */
export interface CaMaterial {
  readonly cert: x509.X509Certificate;
  readonly keys: webcrypto.CryptoKeyPair;
  /** The private key as PKCS#8 DER, for writing; zero() after use. */
  readonly key: Pkcs8Key;
}

export type IdentityRole = 'sled' | 'operator';

/** A device (or operator) identity: its chain and its private key. */
export interface IdentityMaterial {
  /** Directory name: `sled-N` or `operator`. */
  readonly name: string;
  readonly role: IdentityRole;
  /** The sled id, or null for the operator. */
  readonly sledId: number | null;
  readonly alg: PkiAlg;
  /** Leaf subject as `CN=sled-1, O=trust-quorum rack x`. */
  readonly subject: string;
  /** DER certificates, root first, leaf last. */
  readonly chainDer: readonly Uint8Array[];
  /** The leaf private key as PKCS#8 DER; zero() after use. */
  readonly key: Pkcs8Key;
}

/** A random positive serial number of 16 octets (RFC 5280 §4.1.2.2: positive, at most 20). */
export function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x40; // positive, and no leading zero octet to strip
  return b.toString('hex');
}

function organization(rackName: string): string {
  return `trust-quorum rack ${rackName}`;
}

async function generateKeys(info: PkiAlgInfo): Promise<{ keys: webcrypto.CryptoKeyPair; key: Pkcs8Key }> {
  const keys = (await webcrypto.subtle.generateKey(info.generate, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const pkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  try {
    return { keys, key: new Pkcs8Key(pkcs8) };
  } finally {
    pkcs8.fill(0);
  }
}

function caExtensions(pathLen: number): x509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(true, pathLen, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
  ];
}

/**
 * A self-signed rack root CA (`CN=trust-quorum root CA, O=trust-quorum rack NAME`).
 * `pathLen` is 1 when an intermediate follows, else 0.
 */
export async function createRootCa(
  alg: PkiAlg,
  rackName: string,
  validity: Validity,
  pathLen: number,
): Promise<CaMaterial> {
  const info = pkiAlgInfo(alg);
  const { keys, key } = await generateKeys(info);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: ['trust-quorum root CA'] }, { O: [organization(rackName)] }],
    keys,
    serialNumber: randomSerial(),
    notBefore: validity.notBefore,
    notAfter: validity.notAfter,
    signingAlgorithm: info.sign,
    extensions: [
      ...caExtensions(pathLen),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys, key };
}

/** An intermediate CA (`CN=trust-quorum intermediate CA`, pathLen 0) signed by `issuer`. */
export async function createIntermediateCa(
  alg: PkiAlg,
  rackName: string,
  validity: Validity,
  issuer: CaMaterial,
): Promise<CaMaterial> {
  const info = pkiAlgInfo(alg);
  const { keys, key } = await generateKeys(info);
  const cert = await x509.X509CertificateGenerator.create({
    subject: [{ CN: ['trust-quorum intermediate CA'] }, { O: [organization(rackName)] }],
    issuer: issuer.cert.subjectName,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    serialNumber: randomSerial(),
    notBefore: validity.notBefore,
    notAfter: validity.notAfter,
    signingAlgorithm: info.sign,
    extensions: [
      ...caExtensions(0),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey),
    ],
  });
  return { cert, keys, key };
}

export interface IssueIdentityInit {
  readonly alg: PkiAlg;
  readonly rackName: string;
  readonly validity: Validity;
  /** 'sled' needs `sledId`; 'operator' has none. */
  readonly role: IdentityRole;
  readonly sledId?: number;
  /** Add keyAgreement to keyUsage (EC only). Default false. */
  readonly keyAgreement?: boolean;
}

function leafExtensions(init: IssueIdentityInit, name: string): x509.Extension[] {
  let usage = x509.KeyUsageFlags.digitalSignature;
  if (init.keyAgreement) usage |= x509.KeyUsageFlags.keyAgreement;
  const eku =
    init.role === 'sled'
      ? [
          OID_SPDM_RESPONDER_AUTH,
          OID_SPDM_REQUESTER_AUTH,
          x509.ExtendedKeyUsage.serverAuth,
          x509.ExtendedKeyUsage.clientAuth,
        ]
      : [OID_SPDM_REQUESTER_AUTH, x509.ExtendedKeyUsage.clientAuth];
  const ext: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(usage, true),
    new x509.ExtendedKeyUsageExtension(eku, false),
  ];
  if (init.role === 'sled')
    ext.push(new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: name }]));
  return ext;
}

/**
 * A device-identity leaf signed by `issuer`, with its chain (`chainAbove` = DER of root ...
 * issuer, root first).
 * @throws {RangeError} for a sled without a valid id, or keyAgreement with Ed25519.
 */
export async function issueIdentity(
  init: IssueIdentityInit,
  issuer: CaMaterial,
  chainAbove: readonly Uint8Array[],
): Promise<IdentityMaterial> {
  const info = pkiAlgInfo(init.alg);
  if (init.keyAgreement && info.nodeKeyType !== 'ec') throw new RangeError('keyAgreement needs an EC key');
  let name = 'operator';
  if (init.role === 'sled') {
    const id = init.sledId;
    if (id === undefined || !Number.isSafeInteger(id) || id < 0) throw new RangeError('sled id must be >= 0');
    name = `sled-${id}`;
  }
  const { keys, key } = await generateKeys(info);
  const cert = await x509.X509CertificateGenerator.create({
    subject: [{ CN: [name] }, { O: [organization(init.rackName)] }],
    issuer: issuer.cert.subjectName,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    serialNumber: randomSerial(),
    notBefore: init.validity.notBefore,
    notAfter: init.validity.notAfter,
    signingAlgorithm: info.sign,
    extensions: [
      ...leafExtensions(init, name),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey),
    ],
  });
  return {
    name,
    role: init.role,
    sledId: init.role === 'sled' ? init.sledId! : null,
    alg: init.alg,
    subject: cert.subject,
    chainDer: [...chainAbove, new Uint8Array(cert.rawData)],
    key,
  };
}
