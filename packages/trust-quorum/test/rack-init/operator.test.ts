/**
 * How a sled recognises the operator: the `tq pki init` operator certificate is one; a sled's
 * certificate, the root CA, garbage and an empty certificate are not; nor is a certificate
 * named CN=operator that carries the SPDM responder-auth EKU (a sled's), nor one without the
 * requester-auth EKU.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  initPki,
  loadIdentity,
  OID_SPDM_REQUESTER_AUTH,
  OID_SPDM_RESPONDER_AUTH,
} from '../../src/pki/index.js';
import { isOperatorCertificate, operatorCertificateProblem } from '../../src/rack-init/operator.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tq-operator-'));
  await initPki({ outDir: join(dir, 'pki'), sleds: 1, rackName: 'op' });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function leaf(cn: string, eku: string[]): Promise<Uint8Array> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${cn}, O=test`,
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.ExtendedKeyUsageExtension(eku, false),
    ],
  });
  return new Uint8Array(cert.rawData);
}

describe('operator recognition', () => {
  it('accepts the operator identity of tq pki init', () => {
    const op = loadIdentity(join(dir, 'pki', 'operator'));
    expect(operatorCertificateProblem(op.leafDer)).toBeNull();
    expect(isOperatorCertificate(op.leafDer)).toBe(true);
  });

  it('refuses a sled, the root, garbage and nothing', () => {
    const sled = loadIdentity(join(dir, 'pki', 'sled-1'));
    expect(operatorCertificateProblem(sled.leafDer)).toMatch(/CN is not operator/);
    expect(operatorCertificateProblem(sled.chainDer[0]!)).toMatch(/CA/);
    expect(operatorCertificateProblem(new Uint8Array([0x30, 0x03, 1, 2, 3]))).toMatch(/does not parse/);
    expect(operatorCertificateProblem(new Uint8Array(0))).toMatch(/did not authenticate/);
  });

  it('refuses CN=operator with the responder-auth EKU, or without requester-auth', async () => {
    expect(
      operatorCertificateProblem(await leaf('operator', [OID_SPDM_REQUESTER_AUTH, OID_SPDM_RESPONDER_AUTH])),
    ).toMatch(/responder-auth/);
    expect(operatorCertificateProblem(await leaf('operator', ['1.3.6.1.5.5.7.3.2']))).toMatch(
      /requester-auth/,
    );
    expect(operatorCertificateProblem(await leaf('operator', [OID_SPDM_REQUESTER_AUTH]))).toBeNull();
    expect(operatorCertificateProblem(await leaf('operator2', [OID_SPDM_REQUESTER_AUTH]))).toMatch(/CN/);
  });
});
