/**
 * The responder's authentication handlers against the libspdm recordings: a ResponderCore set up
 * like spdm_responder_emu (same versions, capabilities, algorithms, the libspdm sample chains in
 * slots 0 and 1 with end_responder.key) answers the recorded requests 6..20. DIGESTS and
 * CERTIFICATE must equal the recorded responses byte for byte; CHALLENGE_AUTH and MEASUREMENTS
 * carry fresh nonces and signatures, so they are checked by our requester phases (which the
 * requester vector test proves against libspdm's own signatures): same layout and length as
 * recorded, signature valid over the transcript both sides kept.
 */
import { createPrivateKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { MEASUREMENT_SPEC_DMTF } from '../../src/crypto/algorithms.js';
import { splitDerCertificates } from '../../src/identity/der.js';
import { validateCertChain } from '../../src/identity/validate.js';
import { decodeGetCertificate } from '../../src/msgs/certificate.js';
import { decodeChallenge } from '../../src/msgs/challenge.js';
import type { SpdmVersion } from '../../src/msgs/codes.js';
import { DMTF_MEASUREMENT_TYPE } from '../../src/msgs/measurement-blocks.js';
import { decodeGetMeasurements } from '../../src/msgs/measurements.js';
import type { NegotiatedRequesterState } from '../../src/requester/auth-state.js';
import { certificatePhase } from '../../src/requester/certificate.js';
import { challengePhase } from '../../src/requester/challenge.js';
import { digestsPhase } from '../../src/requester/digests.js';
import { resolveRequesterInit } from '../../src/requester/init.js';
import { measurementsPhase } from '../../src/requester/measurements.js';
import { ResponderCore } from '../../src/responder/core.js';
import { measurementSource } from '../../src/responder/measurement-source.js';
import {
  keyDirOf,
  loadVector,
  paramsOf,
  readVectorFile,
  spdmOf,
  VECTOR_FILES,
  type VectorFile,
  vectorsExist,
  vectorsTitle,
} from '../auth-vectors.js';

function emulatorLike(v: VectorFile): ResponderCore {
  const c = v.config as Record<string, string>;
  const num = (s: string | undefined) => Number(s);
  const version = num(c.spdm_version_byte) as SpdmVersion;
  const dir = keyDirOf(v);
  const privateKey = createPrivateKey({
    key: Buffer.from(readVectorFile(`${dir}/end_responder.key`)),
    format: 'pem',
  });
  const bundle = (f: string) => splitDerCertificates(readVectorFile(`${dir}/${f}`), 8);
  return new ResponderCore({
    versions: [version],
    capabilities: num(c.responder_capability_flags),
    ctExponent: 0,
    algorithms: {
      baseHash: [num(c.base_hash_algo_value)],
      baseAsym: [num(c.base_asym_algo_value)],
      dhe: [num(c.dhe_value)],
      aead: [num(c.aead_value)],
      reqBaseAsym: [num(c.req_base_asym_alg_value)],
      measurementHash: [num(c.measurement_hash_algo_value)],
      measurementSpec: MEASUREMENT_SPEC_DMTF,
    },
    slots: [
      { slotId: 0, certificates: bundle('bundle_responder.certchain.der'), privateKey },
      { slotId: 1, certificates: bundle('bundle_responder.certchain1.der'), privateKey },
    ],
    measurements: measurementSource([
      {
        index: 1,
        type: DMTF_MEASUREMENT_TYPE.IMMUTABLE_ROM,
        value: { kind: 'content', bytes: Uint8Array.of(1) },
      },
      {
        index: 2,
        type: DMTF_MEASUREMENT_TYPE.MUTABLE_FIRMWARE,
        value: { kind: 'content', bytes: Uint8Array.of(2) },
      },
      {
        index: 0x10,
        type: DMTF_MEASUREMENT_TYPE.SECURE_VERSION_NUMBER,
        value: { kind: 'raw', bytes: new Uint8Array(8) },
      },
    ]),
  });
}

describe.skipIf(!vectorsExist)(vectorsTitle('ResponderCore authentication on the libspdm recordings'), () => {
  describe.each(VECTOR_FILES)('%s', (file) => {
    let v: VectorFile;
    let core: ResponderCore;
    beforeAll(() => {
      v = loadVector(file);
      core = emulatorLike(v);
      for (const i of [0, 2, 4]) expect(toHex(core.handle(spdmOf(v, i)))).toBe(toHex(spdmOf(v, i + 1)));
    });

    it('answers the recorded requests; DIGESTS and CERTIFICATE byte-exact, CHALLENGE_AUTH and MEASUREMENTS verify', () => {
      const cfg = resolveRequesterInit({ versions: [core.negotiated!.version] });
      let st: NegotiatedRequesterState = { kind: 'Negotiated', negotiated: core.negotiated! };
      const p = paramsOf(v);
      const trustedRoots = [readVectorFile(`${keyDirOf(v)}/ca.cert.der`)];
      const leafKey = validateCertChain(Buffer.from(v.certs.responder_chain_hex, 'hex'), {
        hash: p.hash,
        asym: p.asym,
        trustedRoots,
      }).leafKey;
      for (let i = 6; i <= 20; i += 2) {
        const req = spdmOf(v, i);
        const rsp = core.handle(req);
        const name = v.messages[i]!.name;
        if (name === 'GET_DIGESTS') {
          expect(toHex(rsp), `response ${i + 1}`).toBe(toHex(spdmOf(v, i + 1)));
          st = digestsPhase.response(st, cfg, req, rsp);
        } else if (name === 'GET_CERTIFICATE') {
          expect(toHex(rsp), `response ${i + 1}`).toBe(toHex(spdmOf(v, i + 1)));
          st = certificatePhase(decodeGetCertificate(req, { version: p.version })).response(
            st,
            cfg,
            req,
            rsp,
          ).state;
        } else if (name === 'CHALLENGE') {
          expect(rsp.length).toBe(spdmOf(v, i + 1).length);
          expect(toHex(rsp.subarray(0, 4 + p.hashSize))).toBe(
            toHex(spdmOf(v, i + 1).subarray(0, 4 + p.hashSize)),
          );
          const ch = decodeChallenge(req, { version: p.version });
          const phase = challengePhase({
            slotId: ch.slotId,
            summaryHashType: ch.measurementSummaryHashType,
            nonce: ch.nonce,
            ...(ch.requesterContext ? { requesterContext: ch.requesterContext } : {}),
            certChainHash: Buffer.from(v.certs.responder_chain_hash_hex, 'hex'),
            leafKey,
          });
          expect(toHex(phase.request(st, cfg))).toBe(toHex(req));
          st = phase.response(st, cfg, req, rsp).state;
        } else {
          expect(name).toBe('GET_MEASUREMENTS');
          const gm = decodeGetMeasurements(req, { version: p.version });
          const phase = measurementsPhase({
            operation: gm.operation,
            signed: gm.signatureRequested,
            slotId: gm.slotId ?? 0,
            ...(gm.nonce ? { nonce: gm.nonce } : {}),
            ...(gm.requesterContext ? { requesterContext: gm.requesterContext } : {}),
            leafKey,
          });
          expect(toHex(phase.request(st, cfg))).toBe(toHex(req));
          const m = phase.response(st, cfg, req, rsp).measurements;
          expect(m.blocks.map((b) => b.index)).toEqual([1, 2, 0x10]);
          expect(rsp[3]).toBe(spdmOf(v, i + 1)[3]); // slot 0, content-changed "no change" (0x20)
        }
      }
    });
  });
});
