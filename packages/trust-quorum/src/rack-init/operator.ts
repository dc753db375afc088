/**
 * How a sled recognises the operator of `tq rack init` (the only peer allowed to deliver a new
 * configuration). The SPDM responder has already validated the requester's chain against the
 * rack root (mutual authentication, spdmSessions) and proven possession of the leaf's key by
 * its FINISH signature; on top of that the leaf must be an operator certificate as
 * `tq pki init` issues one (pki/certs.ts):
 *
 * 1. it parses and is not a CA;
 * 2. its subject has exactly one CN and it is `operator`;
 * 3. its extended key usage lists SPDM requester authentication (DSP0274 1.3 §10.7.2,
 *    id-DMTF-eku 4) and does NOT list SPDM responder authentication (id-DMTF-eku 3). Sled
 *    certificates carry both, so no sled (member or not) can act as operator, whatever its CN;
 * 4. (checked by the caller) it is not a member of the sled's current configuration.
 */
import { X509Certificate } from 'node:crypto';
import { OID_SPDM_REQUESTER_AUTH, OID_SPDM_RESPONDER_AUTH } from '../pki/certs.js';

/** The CN of the operator identity written by `tq pki init` (DIR/operator). */
export const OPERATOR_CN = 'operator';

/**
 * Why the leaf certificate `der` is not an operator certificate, or null when it is one
 * (rules 1-3 of the module comment; the chain's validation is the SPDM layer's).
 */
export function operatorCertificateProblem(der: Uint8Array): string | null {
  if (der.length === 0) return 'the requester did not authenticate';
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    return 'the certificate does not parse';
  }
  if (cert.ca) return 'a CA certificate';
  const cns = cert.subject.split('\n').filter((l) => l.startsWith('CN='));
  if (cns.length !== 1 || cns[0] !== `CN=${OPERATOR_CN}`) return `subject CN is not ${OPERATOR_CN}`;
  const eku = cert.keyUsage ?? [];
  if (!eku.includes(OID_SPDM_REQUESTER_AUTH)) return 'no SPDM requester-auth extended key usage';
  if (eku.includes(OID_SPDM_RESPONDER_AUTH)) return 'has the SPDM responder-auth extended key usage (a sled)';
  return null;
}

/** True when `der` is an operator certificate (see operatorCertificateProblem). */
export function isOperatorCertificate(der: Uint8Array): boolean {
  return operatorCertificateProblem(der) === null;
}
