/**
 * The responder's 1.3 multi-key connection (captured.ts EMU_RESPONDER_MULTI_KEY_13): with
 * MULTI_KEY_CAP = 01b the responder's multi-key connection is on, and libspdm's session
 * transcript takes message D, the first DIGESTS response after VCA, between VCA and Hash(Ct)
 * (`libspdm_calculate_th_for_exchange`). Our requester left it out and refused
 * spdm_responder_emu's KEY_EXCHANGE_RSP signature. Replayed here: our requester's VCA requests
 * equal the captured ones, GET_DIGESTS keeps D, and the emulator's signature verifies over the
 * transcript with D (and not without it).
 */
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../../src/codec/bytes.js';
import { AEAD_SUITE, BASE_HASH_ALGO, DHE_GROUP } from '../../src/crypto/algorithms.js';
import { SIGNING_CONTEXT } from '../../src/crypto/signing-context.js';
import { cryptoSuite } from '../../src/crypto/suite.js';
import { keyExchangeRspSignedTranscript } from '../../src/crypto/transcript.js';
import { CAP } from '../../src/msgs/capabilities.js';
import { suiteOf } from '../../src/negotiated.js';
import type { NegotiatedRequesterState } from '../../src/requester/auth-state.js';
import { digestsPhase, responderMultiKeyConn } from '../../src/requester/digests.js';
import { DEFAULT_REQUESTER_CAPS, resolveRequesterInit } from '../../src/requester/init.js';
import { prepareKeyExchange } from '../../src/requester/key-exchange.js';
import { negotiate } from '../../src/requester/negotiate.js';
import { EMU_RESPONDER_MULTI_KEY_13 as C, hx } from './captured.js';
import { keysExist, keysTitle, libspdmIdentity } from './harness.js';

const requester = {
  versions: [0x13] as const,
  capabilities: DEFAULT_REQUESTER_CAPS & ~(CAP.CERT | CAP.MUT_AUTH),
  algorithms: {
    baseHash: [BASE_HASH_ALGO.SHA_384],
    dhe: [DHE_GROUP.SECP384R1],
    aead: [AEAD_SUITE.AES_256_GCM],
  },
};

async function replayVca() {
  const answers = [C.version, C.capabilities, C.algorithms].map(hx);
  const sent: string[] = [];
  const n = await negotiate(async (req) => {
    sent.push(toHex(req));
    return answers[sent.length - 1]!;
  }, requester);
  expect(sent).toEqual([C.getVersion, C.getCapabilities, C.negotiateAlgorithms]);
  return n;
}

describe.skipIf(!keysExist)(
  keysTitle('interop regressions: responder multi-key connection (message D)'),
  () => {
    it('GET_DIGESTS keeps the first DIGESTS as message D; the emulator signed VCA ‖ D ‖ Hash(Ct) ‖ K', async () => {
      const n = await replayVca();
      expect(responderMultiKeyConn(n)).toBe(true);
      const cfg = resolveRequesterInit(requester);
      const start: NegotiatedRequesterState = { kind: 'Negotiated', negotiated: n };
      const st = digestsPhase.response(start, cfg, hx(C.getDigests), hx(C.digests));
      expect(toHex(st.auth!.messageD!)).toBe(C.digests);
      // A second GET_DIGESTS does not replace it (libspdm_append_message_d keeps the first).
      const again = digestsPhase.response(st, cfg, hx(C.getDigests), hx(C.digests).fill(0, 4, 5));
      expect(toHex(again.auth!.messageD!)).toBe(C.digests);

      const cs = cryptoSuite(suiteOf(n));
      const chain = hx(C.certificate).subarray(8); // CERTIFICATE header: 4 + PortionLength + RemainderLength
      const leafDer = libspdmIdentity('ecp384', 'responder').certificates.at(-1)!;
      const leafKey = new X509Certificate(leafDer).publicKey;
      const rsp = hx(C.keyExchangeRsp);
      const sig = rsp.subarray(rsp.length - cs.hash.size - cs.asym!.sigSize, rsp.length - cs.hash.size);
      const parts = {
        hash: cs.hash,
        vca: n.vca,
        certChainHash: cs.digest(chain),
        keyExchange: hx(C.keyExchange),
        keyExchangeRsp: rsp,
        signatureSize: cs.asym!.sigSize,
        responderVerifyDataSize: cs.hash.size,
      };
      const verify = (p: typeof parts & { messageD?: Uint8Array }) =>
        cs.verify(
          'responder',
          leafKey,
          SIGNING_CONTEXT.RESPONDER_KEY_EXCHANGE_RSP,
          keyExchangeRspSignedTranscript(p),
          sig,
        );
      expect(verify({ ...parts, messageD: st.auth!.messageD! })).toBe(true);
      expect(verify(parts)).toBe(false);
      expect(toHex(n.vca)).toBe(
        toHex(
          concatBytes(
            ...[
              C.getVersion,
              C.version,
              C.getCapabilities,
              C.capabilities,
              C.negotiateAlgorithms,
              C.algorithms,
            ].map(hx),
          ),
        ),
      );
    });

    it('KEY_EXCHANGE on a multi-key connection without message D is refused before anything is sent', async () => {
      const n = await replayVca();
      const leafDer = libspdmIdentity('ecp384', 'responder').certificates.at(-1)!;
      expect(() =>
        prepareKeyExchange(n, {
          slotId: 0,
          responderCertChain: hx(C.certificate).subarray(8),
          responderKey: new X509Certificate(leafDer).publicKey,
        }),
      ).toThrow(/message D/);
    });
  },
);
