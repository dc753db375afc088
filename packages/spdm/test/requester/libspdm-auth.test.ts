/**
 * The requester's authentication phases against the libspdm recordings (shared/vectors/libspdm,
 * read in place): after a VCA negotiated from messages 0..5, messages 6..21 (GET_DIGESTS,
 * GET_CERTIFICATE slot 0 and 1, CHALLENGE, GET_DIGESTS, GET_CERTIFICATE, GET_DIGESTS, signed
 * GET_MEASUREMENTS) go through digestsPhase / certificatePhase / challengePhase /
 * measurementsPhase. The phases must build the recorded requests byte for byte, reassemble the
 * recorded chains, keep B and M so that Hash(M1) and Hash(L1) equal what libspdm printed, and
 * verify libspdm's CHALLENGE_AUTH and MEASUREMENTS signatures; one changed transcript byte must
 * make verification fail.
 */
import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../src/codec/bytes.js';
import { challengeAuthTranscript, measurementsTranscript } from '../../src/crypto/transcript.js';
import { SpdmError } from '../../src/errors.js';
import { CertChainAssembler, certChainDigest } from '../../src/identity/cert-chain.js';
import { validateCertChain } from '../../src/identity/validate.js';
import { decodeGetCertificate } from '../../src/msgs/certificate.js';
import { decodeChallenge } from '../../src/msgs/challenge.js';
import type { SpdmVersion } from '../../src/msgs/codes.js';
import { decodeGetMeasurements } from '../../src/msgs/measurements.js';
import type { Negotiated } from '../../src/negotiated.js';
import type { NegotiatedRequesterState } from '../../src/requester/auth-state.js';
import { certificatePhase } from '../../src/requester/certificate.js';
import { challengePhase } from '../../src/requester/challenge.js';
import { digestsPhase } from '../../src/requester/digests.js';
import { type RequesterConfig, resolveRequesterInit } from '../../src/requester/init.js';
import { measurementsPhase } from '../../src/requester/measurements.js';
import { negotiate } from '../../src/requester/negotiate.js';
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

/** The requester setup the recording was made with (as the VCA vector test reads it). */
function recordedInit(v: VectorFile) {
  const c = v.config as Record<string, string>;
  const num = (s: string | undefined) => Number(s);
  const version = num(c.spdm_version_byte) as SpdmVersion;
  return {
    versions: [version],
    capabilities: num(c.requester_capability_flags),
    ctExponent: 0,
    algorithms: {
      baseHash: [num(c.base_hash_algo_value)],
      baseAsym: [num(c.base_asym_algo_value)],
      dhe: [num(c.dhe_value)],
      aead: [num(c.aead_value)],
      reqBaseAsym: [num(c.req_base_asym_alg_value)],
      measurementHash: [num(c.measurement_hash_algo_value)],
      melSpec: version >= 0x13 ? 1 : 0,
    },
  };
}

async function negotiatedOf(v: VectorFile): Promise<Negotiated> {
  let i = 0;
  return negotiate(async () => {
    const rsp = spdmOf(v, i + 1);
    i += 2;
    return rsp;
  }, recordedInit(v));
}

/** Runs one phase on recorded message `i` (request) and `i + 1` (response). */
function step<To>(
  phase: {
    request(s: NegotiatedRequesterState, c: RequesterConfig): Uint8Array;
    response(s: NegotiatedRequesterState, c: RequesterConfig, q: Uint8Array, r: Uint8Array): To;
  },
  state: NegotiatedRequesterState,
  cfg: RequesterConfig,
  v: VectorFile,
  i: number,
): To {
  const request = phase.request(state, cfg);
  expect(toHex(request), `request ${i} (${v.messages[i]?.name})`).toBe(toHex(spdmOf(v, i)));
  return phase.response(state, cfg, request, spdmOf(v, i + 1));
}

function fetchChain(state: NegotiatedRequesterState, cfg: RequesterConfig, v: VectorFile, i: number) {
  const req = decodeGetCertificate(spdmOf(v, i), { version: state.negotiated.version });
  const asm = new CertChainAssembler();
  const s = step(certificatePhase(req), state, cfg, v, i);
  asm.add(s.certificate.portion, s.certificate.remainderLength);
  expect(asm.complete).toBe(true);
  return { state: s.state, chain: asm.finish() };
}

function verifyFailed(f: () => unknown): SpdmError {
  try {
    f();
  } catch (e) {
    if (e instanceof SpdmError && e.code === 'VerifyFailed') return e;
    throw e;
  }
  throw new Error('expected VerifyFailed');
}

describe.skipIf(!vectorsExist)(
  vectorsTitle('requester authentication phases on the libspdm recordings'),
  () => {
    describe.each(VECTOR_FILES)('%s', (file) => {
      let v: VectorFile;
      let n: Negotiated;
      let cfg: RequesterConfig;
      beforeAll(async () => {
        v = loadVector(file);
        n = await negotiatedOf(v);
        cfg = resolveRequesterInit(recordedInit(v));
      });

      /** Messages 6..13: digests, both chains, and the CHALLENGE request fields. */
      function throughCertificates(vca: Uint8Array = n.vca) {
        const s0: NegotiatedRequesterState = { kind: 'Negotiated', negotiated: { ...n, vca } };
        const s1 = step(digestsPhase, s0, cfg, v, 6);
        const c0 = fetchChain(s1, cfg, v, 8);
        const c1 = fetchChain(c0.state, cfg, v, 10);
        return { state: c1.state, chain0: c0.chain, chain1: c1.chain };
      }

      function challengeOf(chain: Uint8Array) {
        const p = paramsOf(v);
        const ch = decodeChallenge(spdmOf(v, 12), { version: n.version });
        const leaf = validateCertChain(chain, {
          hash: p.hash,
          asym: p.asym,
          trustedRoots: [readVectorFile(`${keyDirOf(v)}/ca.cert.der`)],
          version: n.version,
          role: 'responder',
        });
        return challengePhase({
          slotId: ch.slotId,
          summaryHashType: ch.measurementSummaryHashType,
          nonce: ch.nonce,
          ...(ch.requesterContext ? { requesterContext: ch.requesterContext } : {}),
          certChainHash: certChainDigest(chain, p.hash),
          leafKey: leaf.leafKey,
        });
      }

      it('DIGESTS: both slots, digests = Hash(recorded chains); B restarts', () => {
        const s0: NegotiatedRequesterState = { kind: 'Negotiated', negotiated: n };
        const s = step(digestsPhase, s0, cfg, v, 6);
        const p = paramsOf(v);
        expect([...s.auth!.digests!.keys()]).toEqual([0, 1]);
        expect(toHex(s.auth!.digests!.get(0)!)).toBe(v.certs.responder_chain_hash_hex);
        expect(toHex(s.auth!.digests!.get(1)!)).toBe(
          toHex(certChainDigest(fromHex(v.certs.responder_chain_slot1_hex), p.hash)),
        );
        expect(s.auth!.b.map(toHex)).toEqual([6, 7].map((i) => toHex(spdmOf(v, i))));
      });

      it('reassembles the recorded chains, which validate against the recorded roots', () => {
        const { chain0, chain1, state } = throughCertificates();
        expect(toHex(chain0)).toBe(v.certs.responder_chain_hex);
        expect(toHex(chain1)).toBe(v.certs.responder_chain_slot1_hex);
        const p = paramsOf(v);
        const dir = keyDirOf(v);
        const base = { hash: p.hash, asym: p.asym, version: n.version, role: 'responder' as const };
        const r0 = validateCertChain(chain0, {
          ...base,
          trustedRoots: [readVectorFile(`${dir}/ca.cert.der`)],
        });
        const r1 = validateCertChain(chain1, {
          ...base,
          trustedRoots: [readVectorFile(`${dir}/ca1.cert.der`)],
        });
        expect(r0.root.raw.equals(new X509Certificate(readVectorFile(`${dir}/ca.cert.der`)).raw)).toBe(true);
        expect(r1.leafSubject).toMatch(/CN=/);
        // slot 1's chain does not lead to slot 0's root
        expect(() =>
          validateCertChain(chain1, { ...base, trustedRoots: [readVectorFile(`${dir}/ca.cert.der`)] }),
        ).toThrow(/trusted root/);
        // B = spdm[6..11], the slot-1 fetch included
        expect(toHex(concatBytes(...state.auth!.b))).toBe(
          toHex(concatBytes(...[6, 7, 8, 9, 10, 11].map((i) => spdmOf(v, i)))),
        );
      });

      it('CHALLENGE_AUTH: the recorded signature verifies over VCA ‖ B ‖ C; Hash(M1) is what libspdm printed', () => {
        const { state, chain0 } = throughCertificates();
        const p = paramsOf(v);
        const m1 = challengeAuthTranscript(
          p.hash,
          n.vca,
          state.auth!.b,
          spdmOf(v, 12),
          spdmOf(v, 13),
          p.sigSize,
        );
        expect(toHex(m1.hash())).toBe(
          (v as unknown as { transcript_hashes: Record<string, string> }).transcript_hashes
            .m1_hash_challenge_auth,
        );
        const s = step(challengeOf(chain0), state, cfg, v, 12);
        expect(s.state.auth!.authenticated).toBe(true);
        expect(s.state.auth!.b).toEqual([]);
      });

      it('CHALLENGE_AUTH fails to verify when one byte of VCA, B, or the signed response changes', () => {
        const vca = n.vca.slice();
        vca[vca.length - 1]! ^= 0x01;
        const bad = throughCertificates(vca);
        verifyFailed(() => step(challengeOf(bad.chain0), bad.state, cfg, v, 12));

        const good = throughCertificates();
        const b = good.state.auth!.b.map((x) => x.slice());
        b[3]![6]! ^= 0x01; // GET_CERTIFICATE slot 0, Length low byte
        const tamperedB = { ...good.state, auth: { ...good.state.auth!, b } };
        verifyFailed(() => step(challengeOf(good.chain0), tamperedB, cfg, v, 12));

        const phase = challengeOf(good.chain0);
        const rsp = spdmOf(v, 13).slice();
        rsp[4 + p().hashSize]! ^= 0x80; // first byte of the responder nonce
        const req = phase.request(good.state, cfg);
        verifyFailed(() => phase.response(good.state, cfg, req, rsp));
        const e = verifyFailed(() => phase.response(good.state, cfg, req, withByteFlipped(spdmOf(v, 13), 4)));
        expect(e.message).toMatch(/CertChainHash/);
      });

      function p() {
        return paramsOf(v);
      }

      function withByteFlipped(b: Uint8Array, at: number): Uint8Array {
        const c = b.slice();
        c[at]! ^= 0x01;
        return c;
      }

      /** Messages 6..19, then the signed GET_MEASUREMENTS phase for message 20. */
      function toMeasurements() {
        const first = throughCertificates();
        const leafKey = validateCertChain(first.chain0, {
          hash: p().hash,
          asym: p().asym,
          trustedRoots: [readVectorFile(`${keyDirOf(v)}/ca.cert.der`)],
        }).leafKey;
        const afterChallenge = step(challengeOf(first.chain0), first.state, cfg, v, 12).state;
        const d1 = step(digestsPhase, afterChallenge, cfg, v, 14);
        const c = fetchChain(d1, cfg, v, 16);
        const d2 = step(digestsPhase, c.state, cfg, v, 18);
        const gm = decodeGetMeasurements(spdmOf(v, 20), { version: n.version });
        const phase = measurementsPhase({
          operation: gm.operation,
          signed: gm.signatureRequested,
          ...(gm.slotId !== undefined ? { slotId: gm.slotId } : {}),
          ...(gm.nonce ? { nonce: gm.nonce } : {}),
          ...(gm.requesterContext ? { requesterContext: gm.requesterContext } : {}),
          leafKey,
        });
        return { state: d2, phase };
      }

      it('MEASUREMENTS: the recorded signature verifies over VCA ‖ M; Hash(L1) is what libspdm printed', () => {
        const { state, phase } = toMeasurements();
        const l1 = measurementsTranscript(
          p().hash,
          n.version,
          n.vca,
          [spdmOf(v, 20), spdmOf(v, 21)],
          p().sigSize,
        );
        expect(toHex(l1.hash())).toBe(
          (v as unknown as { transcript_hashes: Record<string, string> }).transcript_hashes
            .l1_hash_measurements,
        );
        const s = step(phase, state, cfg, v, 20);
        expect(s.measurements.blocks.map((b) => b.index)).toEqual([1, 2, 3, 4, 16, 17, 0xfd, 0xfe]);
        expect(s.state.auth!.m).toEqual([]);
        // authenticated: GET_MEASUREMENTS leaves B (the last GET_DIGESTS pair) alone, as libspdm does
        expect(s.state.auth!.b.map(toHex)).toEqual([18, 19].map((i) => toHex(spdmOf(v, i))));
      });

      it('MEASUREMENTS fails to verify when one byte of VCA, M, or the signed response changes', () => {
        const good = toMeasurements();
        const vca = n.vca.slice();
        vca[0]! ^= 0x01;
        const badVca = { ...good.state, negotiated: { ...n, vca } };
        verifyFailed(() => step(good.phase, badVca, cfg, v, 20));
        // an unsigned pair left in M changes L1
        const withM = {
          ...good.state,
          auth: { ...good.state.auth!, m: [Uint8Array.of(n.version, 0xe0, 0, 0)], mSize: 4 },
        };
        verifyFailed(() => step(good.phase, withM, cfg, v, 20));
        const req = good.phase.request(good.state, cfg);
        verifyFailed(() => good.phase.response(good.state, cfg, req, withByteFlipped(spdmOf(v, 21), 12)));
      });
    });
  },
);
