import type { KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { BASE_HASH_ALGO } from '../../src/crypto/algorithms.js';
import { hash, hmac } from '../../src/crypto/hash.js';
import { verifySpdm } from '../../src/crypto/sign.js';
import {
  SIGNING_CONTEXT,
  type SigningContextString,
  signedMessage,
} from '../../src/crypto/signing-context.js';
import {
  challengeAuthTranscript,
  type FinishRspTranscriptParts,
  finishMacTranscript,
  finishSignedTranscript,
  keyExchangeRspSignedTranscript,
  measurementsTranscript,
  Transcript,
  th1Transcript,
  th2Transcript,
  withoutTrailing,
} from '../../src/crypto/transcript.js';
import { SpdmError } from '../../src/errors.js';
import {
  asymBit,
  chainLeafKey,
  field,
  hashBit,
  hx,
  loadAllVectors,
  reqAsymBit,
  sessionMessages,
  spdm,
  VECTORS_ABSENT_MESSAGE,
  VECTORS_PRESENT,
  type VectorFile,
  type VectorSession,
  vca,
  vectorSessions,
  versionByte,
} from './libspdm-vectors.js';

const files = loadAllVectors();
if (!VECTORS_PRESENT) console.warn(VECTORS_ABSENT_MESSAGE);

function sessionParts(v: VectorFile, s: VectorSession): FinishRspTranscriptParts {
  const H = v.config.hash_size;
  const msgs = sessionMessages(v, s.session_index);
  const chain = hx(
    s.responder_slot_id === 0 ? v.certs.responder_chain_hex : v.certs.responder_chain_slot1_hex,
  );
  const mutual = s.mut_auth_requested !== 0;
  return {
    hash: hashBit(v),
    vca: vca(v),
    certChainHash: hash(hashBit(v), chain),
    keyExchange: msgs.keyExchange,
    keyExchangeRsp: msgs.keyExchangeRsp,
    signatureSize: v.config.signature_size,
    responderVerifyDataSize: v.config.handshake_in_the_clear ? 0 : H,
    requesterCertChainHash: mutual ? hash(hashBit(v), hx(v.certs.requester_chain_hex ?? '')) : undefined,
    finish: msgs.finish,
    finishSignatureSize: mutual ? v.config.signature_size : 0,
    requesterVerifyDataSize: H,
    finishRsp: msgs.finishRsp,
    finishRspVerifyDataSize: v.config.handshake_in_the_clear ? H : 0,
  };
}

/** Flips one bit of byte `at` in a copy. */
function flipped(b: Uint8Array, at: number): Uint8Array {
  if (at < 0 || at >= b.length) throw new RangeError(`flip at ${at} outside ${b.length} bytes`);
  const c = b.slice();
  c[at] = (c[at] ?? 0) ^ 0x01;
  return c;
}

/** Verifies a 1.2+/1.1 signature over a transcript the way a peer would. */
function verifies(
  v: VectorFile,
  asym: number,
  key: KeyObject,
  ctx: SigningContextString,
  t: Transcript,
  sig: Uint8Array,
): boolean {
  return verifySpdm(asym, hashBit(v), key, signedMessage(versionByte(v), ctx, hashBit(v), t), sig);
}

describe.skipIf(!VECTORS_PRESENT)('transcripts and signatures against libspdm recordings', () => {
  for (const v of files) {
    const H = v.config.hash_size;
    const S = v.config.signature_size;
    const responderKey = () => chainLeafKey(hx(v.certs.responder_chain_hex), H);

    describe(v.name, () => {
      it('Hash(Ct) of each slot equals the DIGESTS entry / recomputed hash_ct', () => {
        expect(toHex(hash(hashBit(v), hx(v.certs.responder_chain_hex)))).toBe(
          v.certs.responder_chain_hash_hex,
        );
        for (const s of vectorSessions(v)) {
          expect(toHex(sessionParts(v, s).certChainHash)).toBe(s.recomputed.hash_ct);
          if (s.mut_auth_requested) {
            expect(toHex(sessionParts(v, s).requesterCertChainHash ?? new Uint8Array())).toBe(
              s.recomputed.hash_cm,
            );
          }
        }
      });

      it('CHALLENGE_AUTH: M1 hash and signature (slot-1 fetch included in B)', () => {
        const b = [6, 7, 8, 9, 10, 11].map((i) => spdm(v, i));
        const auth = spdm(v, 13);
        const m1 = challengeAuthTranscript(hashBit(v), vca(v), b, spdm(v, 12), auth, S);
        expect(toHex(m1.hash())).toBe(v.transcript_hashes.m1_hash_challenge_auth);
        const sig = auth.subarray(auth.length - S);
        const ctx = SIGNING_CONTEXT.RESPONDER_CHALLENGE_AUTH;
        expect(verifies(v, asymBit(v), responderKey(), ctx, m1, sig)).toBe(true);
        // Without the slot-1 fetch the signature does not verify.
        const m1NoSlot1 = challengeAuthTranscript(hashBit(v), vca(v), b.slice(0, 4), spdm(v, 12), auth, S);
        expect(verifies(v, asymBit(v), responderKey(), ctx, m1NoSlot1, sig)).toBe(false);
        // One transcript byte changed anywhere: neither the hash nor the signature holds.
        for (const at of [0, 5, 35]) {
          const bad = challengeAuthTranscript(hashBit(v), vca(v), b, flipped(spdm(v, 12), at), auth, S);
          expect(toHex(bad.hash())).not.toBe(v.transcript_hashes.m1_hash_challenge_auth);
          expect(verifies(v, asymBit(v), responderKey(), ctx, bad, sig)).toBe(false);
        }
        const badVca = challengeAuthTranscript(hashBit(v), flipped(vca(v), 100), b, spdm(v, 12), auth, S);
        expect(verifies(v, asymBit(v), responderKey(), ctx, badVca, sig)).toBe(false);
        expect(verifies(v, asymBit(v), responderKey(), ctx, m1, flipped(sig, S - 1))).toBe(false);
        // The wrong context string fails too.
        expect(verifies(v, asymBit(v), responderKey(), SIGNING_CONTEXT.RESPONDER_MEASUREMENTS, m1, sig)).toBe(
          false,
        );
      });

      it('MEASUREMENTS: L1 hash and signature', () => {
        const meas = spdm(v, 21);
        const l1 = measurementsTranscript(hashBit(v), versionByte(v), vca(v), [spdm(v, 20), meas], S);
        expect(toHex(l1.hash())).toBe(v.transcript_hashes.l1_hash_measurements);
        const sig = meas.subarray(meas.length - S);
        const ctx = SIGNING_CONTEXT.RESPONDER_MEASUREMENTS;
        expect(verifies(v, asymBit(v), responderKey(), ctx, l1, sig)).toBe(true);
        const bad = measurementsTranscript(
          hashBit(v),
          versionByte(v),
          vca(v),
          [spdm(v, 20), flipped(meas, 10)],
          S,
        );
        expect(verifies(v, asymBit(v), responderKey(), ctx, bad, sig)).toBe(false);
      });

      for (const s of vectorSessions(v)) {
        describe(`session ${s.session_index} (slot ${s.responder_slot_id})`, () => {
          const p = () => sessionParts(v, s);
          const slotKey = () =>
            chainLeafKey(
              hx(s.responder_slot_id === 0 ? v.certs.responder_chain_hex : v.certs.responder_chain_slot1_hex),
              H,
            );

          it('KEY_EXCHANGE_RSP signed transcript, signature, TH1 and ResponderVerifyData', () => {
            const signed = keyExchangeRspSignedTranscript(p());
            expect(toHex(signed.hash())).toBe(s.key_exchange_rsp_signed_transcript_hash);
            const kr = p().keyExchangeRsp;
            const sig = kr.subarray(kr.length - S - H, kr.length - H);
            const ctx = SIGNING_CONTEXT.RESPONDER_KEY_EXCHANGE_RSP;
            expect(verifies(v, asymBit(v), slotKey(), ctx, signed, sig)).toBe(true);
            const th1 = th1Transcript(p());
            expect(toHex(th1.hash())).toBe(s.th1_hash);
            const rvd = hmac(hashBit(v), field(s, 'response_finished_key'), th1.hash());
            expect(toHex(rvd)).toBe(s.responder_verify_data);
            expect(toHex(kr.subarray(kr.length - H))).toBe(s.responder_verify_data);
          });

          it('a changed byte in VCA, Hash(Ct), KEY_EXCHANGE or KEY_EXCHANGE_RSP breaks the signature', () => {
            const good = p();
            const kr = good.keyExchangeRsp;
            const sig = kr.subarray(kr.length - S - H, kr.length - H);
            const ctx = SIGNING_CONTEXT.RESPONDER_KEY_EXCHANGE_RSP;
            const variants = [
              { ...good, vca: flipped(good.vca, 3) },
              { ...good, certChainHash: flipped(good.certChainHash, 0) },
              { ...good, keyExchange: flipped(good.keyExchange, 50) },
              { ...good, keyExchangeRsp: flipped(kr, 45) },
            ];
            for (const bad of variants) {
              const t = keyExchangeRspSignedTranscript(bad);
              expect(toHex(t.hash())).not.toBe(s.key_exchange_rsp_signed_transcript_hash);
              expect(verifies(v, asymBit(v), slotKey(), ctx, t, sig)).toBe(false);
            }
            // A changed signature byte changes TH1.
            expect(
              toHex(th1Transcript({ ...good, keyExchangeRsp: flipped(kr, kr.length - H - 1) }).hash()),
            ).not.toBe(s.th1_hash);
          });

          it('RequesterVerifyData and TH2', () => {
            const fin = p().finish;
            const mac = finishMacTranscript(p());
            const rvd = hmac(hashBit(v), field(s, 'request_finished_key'), mac.hash());
            expect(toHex(rvd)).toBe(s.requester_verify_data);
            expect(toHex(fin.subarray(fin.length - H))).toBe(s.requester_verify_data);
            expect(toHex(th2Transcript(p()).hash())).toBe(s.th2_hash);
            const bad = finishMacTranscript({ ...p(), finish: flipped(fin, 2) });
            expect(toHex(hmac(hashBit(v), field(s, 'request_finished_key'), bad.hash()))).not.toBe(
              s.requester_verify_data,
            );
            expect(toHex(th2Transcript({ ...p(), finishRsp: flipped(p().finishRsp, 1) }).hash())).not.toBe(
              s.th2_hash,
            );
          });

          if (s.mut_auth_requested !== 0)
            it('mutual auth: FINISH signature with the requester leaf', () => {
              const reqKey = chainLeafKey(hx(v.certs.requester_chain_hex ?? ''), H);
              const fin = p().finish;
              const sig = fin.subarray(fin.length - S - H, fin.length - H);
              const signed = finishSignedTranscript(p());
              expect(signed.length).toBe(
                vca(v).length + H + p().keyExchange.length + p().keyExchangeRsp.length + H + 4,
              );
              const ctx = SIGNING_CONTEXT.REQUESTER_FINISH;
              expect(verifies(v, reqAsymBit(v), reqKey, ctx, signed, sig)).toBe(true);
              expect(verifies(v, reqAsymBit(v), responderKey(), ctx, signed, sig)).toBe(false);
              const withoutCm = finishSignedTranscript({ ...p(), requesterCertChainHash: undefined });
              expect(verifies(v, reqAsymBit(v), reqKey, ctx, withoutCm, sig)).toBe(false);
              const bad = finishSignedTranscript({ ...p(), finish: flipped(fin, 3) });
              expect(verifies(v, reqAsymBit(v), reqKey, ctx, bad, sig)).toBe(false);
              // TH2 and RequesterVerifyData include Hash(CM) in this file.
              expect(toHex(th2Transcript({ ...p(), requesterCertChainHash: undefined }).hash())).not.toBe(
                s.th2_hash,
              );
            });
        });
      }
    });
  }
});

describe('Transcript', () => {
  it('hash() equals Hash(bytes()) and leaves the transcript open', () => {
    const t = new Transcript(BASE_HASH_ALGO.SHA_256, Uint8Array.of(1, 2));
    const h1 = t.hash();
    expect(toHex(h1)).toBe(toHex(hash(BASE_HASH_ALGO.SHA_256, Uint8Array.of(1, 2))));
    t.append(Uint8Array.of(3), Uint8Array.of(4, 5));
    expect(t.length).toBe(5);
    expect([...t.bytes()]).toEqual([1, 2, 3, 4, 5]);
    expect(toHex(t.hash())).toBe(toHex(hash(BASE_HASH_ALGO.SHA_256, t.bytes())));
  });

  it('fork() is independent both ways', () => {
    const t = new Transcript(BASE_HASH_ALGO.SHA_384, Uint8Array.of(9));
    const f = t.fork();
    t.append(Uint8Array.of(1));
    f.append(Uint8Array.of(2));
    expect([...t.bytes()]).toEqual([9, 1]);
    expect([...f.bytes()]).toEqual([9, 2]);
    expect(toHex(f.hash())).toBe(toHex(hash(BASE_HASH_ALGO.SHA_384, Uint8Array.of(9, 2))));
    expect(toHex(t.hash())).toBe(toHex(hash(BASE_HASH_ALGO.SHA_384, Uint8Array.of(9, 1))));
  });

  it('copies appended bytes, so callers may reuse buffers', () => {
    const buf = Uint8Array.of(1, 2, 3);
    const t = new Transcript(BASE_HASH_ALGO.SHA_256, buf);
    buf[0] = 0xff;
    expect([...t.bytes()]).toEqual([1, 2, 3]);
  });

  it('withoutTrailing refuses a message too short for its trailing fields', () => {
    expect(() => withoutTrailing(new Uint8Array(10), 7)).toThrow(SpdmError);
    expect(withoutTrailing(new Uint8Array(10), 6).length).toBe(4);
  });

  it('measurementsTranscript omits VCA before SPDM 1.2', () => {
    const vcaBytes = Uint8Array.of(0x10, 0x84, 0, 0);
    const m = [Uint8Array.of(0x11, 0xe0, 0, 0), Uint8Array.of(0x11, 0x60, 0, 0, 1, 2)];
    expect([...measurementsTranscript(BASE_HASH_ALGO.SHA_256, 0x11, vcaBytes, m, 2).bytes()]).toEqual([
      0x11, 0xe0, 0, 0, 0x11, 0x60, 0, 0,
    ]);
    expect(measurementsTranscript(BASE_HASH_ALGO.SHA_256, 0x12, vcaBytes, m, 2).length).toBe(12);
  });
});
