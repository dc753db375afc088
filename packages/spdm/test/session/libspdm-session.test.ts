/**
 * Known answers from the libspdm recordings (shared/vectors/libspdm, read in place), driven
 * through our session code rather than re-deriving them (the key-schedule and record KATs live
 * in test/crypto and test/session/record.test.ts):
 *
 * - the requester's KEY_EXCHANGE phase accepts each recorded KEY_EXCHANGE_RSP (signature and
 *   ResponderVerifyData verified), yields the recorded session id, TH1 and handshake secrets, and
 *   rejects the response with one signature or verify-data byte changed;
 * - our KEY_EXCHANGE encoder and (without mutual authentication) our FINISH builder reproduce the
 *   recorded requests byte for byte from the recorded inputs;
 * - the requester's FINISH phase gives the recorded TH2 and data secrets;
 * - the responder's FINISH check (answerFinish) accepts each recorded FINISH (in the mutual-auth
 *   file: the requester's signature over Hash(CM), CM = the recorded requester chain), answers
 *   the recorded FINISH_RSP, and refuses a changed signature or verify data with DecryptError;
 * - two SecuredSessions (requester and responder role) walk each recorded session record by
 *   record: every record opens to the recorded message under the key libspdm used (handshake,
 *   data, the UpdateAllKeys switch points), and on TCP every record re-seals to the wire bytes.
 *
 * The ephemeral DHE private keys are not recorded; the recorded shared secret is handed to the
 * phase in place of our ECDH result (the only injected value).
 */
import { createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { dheInfo } from '../../src/crypto/algorithms.js';
import type { DheKeyPair } from '../../src/crypto/dhe.js';
import { cryptoSuite } from '../../src/crypto/suite.js';
import { keyExchangeRspSignedTranscript, th1Transcript, th2Transcript } from '../../src/crypto/transcript.js';
import { ERROR_CODE } from '../../src/msgs/codes.js';
import { type Negotiated, suiteOf } from '../../src/negotiated.js';
import { finishPhase } from '../../src/requester/finish.js';
import { type KeyExchangeStart, keyExchangePhase } from '../../src/requester/key-exchange.js';
import { negotiate } from '../../src/requester/negotiate.js';
import { answerFinish } from '../../src/responder/finish.js';
import type { ResponderSession } from '../../src/responder/session-host.js';
import { peerIdentityOf } from '../../src/session/peer.js';
import { SecuredSession } from '../../src/session/secured-session.js';
import { MCTP_SECURED_PARAMS, TCP_SECURED_PARAMS } from '../../src/transport/secured-params.js';
import {
  chainLeafKey,
  dheBit,
  field,
  hx,
  loadAllVectors,
  num,
  sessionMessages,
  spdm,
  VECTORS_ABSENT_MESSAGE,
  VECTORS_PRESENT,
  type VectorFile,
  vectorKeyFile,
  vectorSessions,
} from '../crypto/libspdm-vectors.js';

const VECTORS = loadAllVectors();
const SECURED_VERSIONS = [0x1000, 0x1100, 0x1200];

/** VCA through our requester, replaying the recorded responses with the recorded settings. */
async function negotiatedOf(v: VectorFile): Promise<Negotiated> {
  const c = v.config as unknown as Record<string, string>;
  const msgs = [0, 1, 2, 3, 4, 5].map((i) => spdm(v, i));
  let i = 1;
  const version = num(c.spdm_version_byte!);
  const n = await negotiate(
    async () => {
      const r = msgs[i]!;
      i += 2;
      return r;
    },
    {
      versions: [version] as never,
      capabilities: num(c.requester_capability_flags!),
      ctExponent: 0,
      algorithms: {
        baseHash: [num(c.base_hash_algo_value!)],
        baseAsym: [num(c.base_asym_algo_value!)],
        dhe: [num(c.dhe_value!)],
        aead: [num(c.aead_value!)],
        reqBaseAsym: [num(c.req_base_asym_alg_value!)],
        measurementHash: [num(c.measurement_hash_algo_value!)],
        melSpec: version >= 0x13 ? 1 : 0,
      },
    },
  );
  // Our requests must have been the recorded ones: VCA is part of every transcript.
  expect(toHex(n.vca)).toBe(toHex(Buffer.concat(msgs)));
  return n;
}

/** The recorded ECDH result in place of ours (the ephemeral private keys were not recorded). */
function recordedDhe(v: VectorFile, ke: Uint8Array, secret: Uint8Array): DheKeyPair {
  const info = dheInfo(dheBit(v));
  return {
    info,
    exchangeData: ke.subarray(40, 40 + info.exchangeSize),
    computeSecret: () => secret.slice(),
    destroy() {},
  };
}

function slotChain(v: VectorFile, slot: number): Uint8Array {
  return hx(slot === 0 ? v.certs.responder_chain_hex : v.certs.responder_chain_slot1_hex);
}

function requesterKeyFile(v: VectorFile): string {
  return v.certs.files.requester_private_key!;
}

/** The KEY_EXCHANGE start state the recorded KEY_EXCHANGE was built from. */
function startOf(v: VectorFile, n: Negotiated, s: number): KeyExchangeStart {
  const ks = vectorSessions(v)[s]!;
  const { keyExchange: ke, keyExchangeRsp: kr } = sessionMessages(v, s);
  const chain = slotChain(v, ks.responder_slot_id);
  const hashSize = v.config.hash_size;
  return {
    negotiated: n,
    slotId: ke[3]!,
    responderCertChain: chain,
    responderKey: chainLeafKey(chain, hashSize),
    reqSessionId: ke[4]! | (ke[5]! << 8),
    sessionPolicy: ke[6]!,
    measurementSummaryHashType: ke[2]!,
    securedVersions: SECURED_VERSIONS,
    randomData: ke.subarray(8, 40),
    dhe: recordedDhe(v, ke, field(ks, 'dhe_shared_secret')),
    ...(v.config.mutual_auth
      ? {
          credentials: {
            certChain: hx(v.certs.requester_chain_hex!),
            privateKey: createPrivateKey(vectorKeyFile(requesterKeyFile(v))),
            slotId: kr[7]!,
          },
        }
      : {}),
  };
}

function flipAt(msg: Uint8Array, at: number): Uint8Array {
  const out = msg.slice();
  out[at] = (out[at] ?? 0) ^ 0x01;
  return out;
}

describe.skipIf(!VECTORS_PRESENT)(
  `libspdm session vectors${VECTORS_PRESENT ? '' : ` (${VECTORS_ABSENT_MESSAGE})`}`,
  () => {
    describe.each(VECTORS.map((v) => [v.name, v] as const))('%s', (_name, v) => {
      const H = v.config.hash_size;
      const S = v.config.signature_size;

      describe.each([0, 1])('session %i', (s) => {
        const rec = vectorSessions(v)[s]!;
        const msgs = sessionMessages(v, s);

        it('our KEY_EXCHANGE encoder rebuilds the recorded request from its inputs', async () => {
          const n = await negotiatedOf(v);
          expect(toHex(keyExchangePhase.request(startOf(v, n, s), undefined))).toBe(toHex(msgs.keyExchange));
        });

        it('the requester accepts KEY_EXCHANGE_RSP: signature, verify data, TH1, handshake secrets', async () => {
          const n = await negotiatedOf(v);
          const ke = keyExchangePhase.response(
            startOf(v, n, s),
            undefined,
            msgs.keyExchange,
            msgs.keyExchangeRsp,
          );
          expect(ke.sessionId.toString(16)).toBe(num(rec.session_id as string).toString(16));
          expect(toHex(keyExchangeRspSignedTranscript(ke.transcript).hash())).toBe(
            rec.key_exchange_rsp_signed_transcript_hash,
          );
          expect(toHex(th1Transcript(ke.transcript).hash())).toBe(rec.th1_hash);
          for (const name of [
            'requestHandshakeSecret',
            'responseHandshakeSecret',
            'requestFinishedKey',
          ] as const) {
            const want = {
              requestHandshakeSecret: 'request_handshake_secret',
              responseHandshakeSecret: 'response_handshake_secret',
              requestFinishedKey: 'request_finished_key',
            }[name];
            expect(toHex(ke.keySchedule.secret(name))).toBe(rec[want]);
          }
          expect(ke.mutAuthRequested).toBe(rec.mut_auth_requested);
          expect(ke.securedVersion).toBe(0x1200);
          expect(ke.measurementSummaryHash?.length ?? 0).toBe(msgs.keyExchange[2] === 0 ? 0 : H);
        });

        it('the requester rejects one changed byte of the signature or of ResponderVerifyData', async () => {
          const n = await negotiatedOf(v);
          const kr = msgs.keyExchangeRsp;
          for (const at of [kr.length - H - S, kr.length - H - 1, kr.length - 1]) {
            expect(() =>
              keyExchangePhase.response(startOf(v, n, s), undefined, msgs.keyExchange, flipAt(kr, at)),
            ).toThrow(expect.objectContaining({ code: 'VerifyFailed' }));
          }
        });

        it('the requester FINISH phase gives the recorded TH2 and data secrets', async () => {
          const n = await negotiatedOf(v);
          const ke = keyExchangePhase.response(
            startOf(v, n, s),
            undefined,
            msgs.keyExchange,
            msgs.keyExchangeRsp,
          );
          const ours = finishPhase.request(ke, undefined);
          if (v.config.mutual_auth) {
            expect(ours.length).toBe(msgs.finish.length);
            expect(toHex(ours.subarray(0, 4))).toBe(toHex(msgs.finish.subarray(0, 4)));
          } else {
            expect(toHex(ours)).toBe(toHex(msgs.finish));
          }
          finishPhase.response(ke, undefined, msgs.finish, msgs.finishRsp);
          const sigSize = msgs.finish.length - 4 - H;
          const parts = {
            ...ke.transcript,
            ...(ke.credentials ? { requesterCertChainHash: hx(rec.recomputed.hash_cm!) } : {}),
            finish: msgs.finish,
            finishSignatureSize: sigSize,
            requesterVerifyDataSize: H,
            finishRsp: msgs.finishRsp,
            finishRspVerifyDataSize: 0,
          };
          expect(toHex(th2Transcript(parts).hash())).toBe(rec.th2_hash);
          expect(toHex(ke.keySchedule.secret('requestDataSecret'))).toBe(rec.request_data_secret);
          expect(toHex(ke.keySchedule.secret('responseDataSecret'))).toBe(rec.response_data_secret);
        });

        it('the responder accepts the recorded FINISH and answers the recorded FINISH_RSP', async () => {
          const n = await negotiatedOf(v);
          const make = () => responderSession(v, n, s);
          const session = make();
          expect(toHex(answerFinish(session, msgs.finish))).toBe(toHex(msgs.finishRsp));
          expect(toHex(session.secured.keySchedule.secret('requestDataSecret'))).toBe(
            rec.request_data_secret,
          );
          expect(toHex(session.secured.keySchedule.secret('exportMasterSecret'))).toBe(
            rec.export_master_secret,
          );
          const places = v.config.mutual_auth
            ? [4, 4 + S - 1, msgs.finish.length - 1]
            : [msgs.finish.length - 1];
          for (const at of places) {
            expect(() => answerFinish(make(), flipAt(msgs.finish, at))).toThrow(
              expect.objectContaining({ code: 'VerifyFailed', wireCode: ERROR_CODE.DecryptError }),
            );
          }
        });

        it('a requester/responder SecuredSession pair follows every recorded record', async () => {
          const n = await negotiatedOf(v);
          walkRecords(v, n, s);
        });
      });
    });
  },
);

/** The responder's record of session `s` right after KEY_EXCHANGE_RSP, from recorded values. */
function responderSession(v: VectorFile, n: Negotiated, s: number): ResponderSession {
  const rec = vectorSessions(v)[s]!;
  const msgs = sessionMessages(v, s);
  const cs = cryptoSuite(suiteOf(n));
  const ks = cs.keySchedule(field(rec, 'dhe_shared_secret'));
  ks.deriveHandshakeSecrets(field(rec, 'th1_hash'));
  const sessionId = num(rec.session_id as string);
  const chain = slotChain(v, rec.responder_slot_id);
  const cm = v.certs.requester_chain_hex ? hx(v.certs.requester_chain_hex) : undefined;
  return {
    sessionId,
    reqSessionId: sessionId & 0xffff,
    rspSessionId: sessionId >>> 16,
    secured: new SecuredSession({ role: 'responder', sessionId, params: paramsOf(v), keySchedule: ks }),
    negotiated: n,
    slotId: rec.responder_slot_id,
    heartbeatPeriod: 0,
    handshakeInTheClear: false,
    securedVersion: 0x1200,
    mutualAuth:
      v.config.mutual_auth && cm
        ? {
            reqSlotId: msgs.keyExchangeRsp[7]!,
            requester: {
              certChain: cm,
              leafKey: chainLeafKey(cm, cs.hash.size),
              peer: peerIdentityOf(cm, cs.hash.size, 0),
            },
          }
        : null,
    transcript: {
      hash: cs.hash,
      vca: n.vca,
      certChainHash: cs.digest(chain),
      keyExchange: msgs.keyExchange,
      keyExchangeRsp: msgs.keyExchangeRsp,
      signatureSize: cs.asym!.sigSize,
      responderVerifyDataSize: cs.hash.size,
    },
    afterResponse: [],
    failAfterResponse: undefined,
  };
}

function paramsOf(v: VectorFile) {
  return v.transport === 'TCP' ? TCP_SECURED_PARAMS : MCTP_SECURED_PARAMS;
}

/**
 * Opens every secured record of session `s` with the receiving side's SecuredSession and, on
 * TCP (no padding), re-seals it with the sending side's, switching keys where libspdm did.
 */
function walkRecords(v: VectorFile, n: Negotiated, s: number): void {
  const rec = vectorSessions(v)[s]!;
  const cs = cryptoSuite(suiteOf(n));
  const sessionId = num(rec.session_id as string);
  const params = paramsOf(v);
  const pair = (['requester', 'responder'] as const).map((role) => {
    const ks = cs.keySchedule(field(rec, 'dhe_shared_secret'));
    ks.deriveHandshakeSecrets(field(rec, 'th1_hash'));
    return new SecuredSession({ role, sessionId, params, keySchedule: ks });
  });
  const [q, r] = pair as [SecuredSession, SecuredSession];
  const headerSize = v.transport === 'TCP' ? 4 : 1;
  const records = v.messages.filter((m) => m.secured && m.session_index === s);
  expect(records.length).toBeGreaterThanOrEqual(10);
  for (const m of records) {
    const wire = hx(m.wire_hex);
    const record = wire.subarray(headerSize);
    const [sender, receiver] = m.dir === 'req' ? [q, r] : [r, q];
    const opened = receiver.openRaw(record);
    if (m.spdm_hex) {
      expect(opened.kind).toBe('spdm');
      expect(toHex(opened.message)).toBe(m.spdm_hex);
      if (v.transport === 'TCP') expect(toHex(sender.sealSpdm(opened.message))).toBe(toHex(record));
    } else {
      expect(opened.kind).toBe('app');
      expect(toHex(opened.message)).toBe(m.record!.inner_message_hex);
    }
    if (v.transport !== 'TCP') advanceSender(sender, opened, m.spdm_hex !== null);
    afterMessage(m.name, m.spdm_hex, q, r, rec);
  }
  expect(q.peerKeyUpdated || r.peerKeyUpdated).toBe(false);
}

/** MCTP records carry random padding, so the sender's counter is advanced by sealing a copy. */
function advanceSender(
  sender: SecuredSession,
  opened: { kind: string; message: Uint8Array },
  isSpdm: boolean,
): void {
  if (isSpdm) sender.sealSpdm(opened.message);
  else sender.sealApp('data', opened.message);
}

/** The key switches libspdm makes after each message (spdm-reference §2.12, §4). */
function afterMessage(
  name: string,
  hex: string | null,
  q: SecuredSession,
  r: SecuredSession,
  rec: ReturnType<typeof vectorSessions>[number],
): void {
  const op = hex ? hx(hex)[2] : undefined;
  if (name === 'FINISH_RSP') {
    for (const x of [q, r]) {
      x.keySchedule.deriveDataSecrets(field(rec, 'th2_hash'));
      x.switchToDataKeys();
    }
  } else if (name === 'KEY_UPDATE' && (op === 1 || op === 2)) {
    r.expectPeerKeyUpdate();
    if (op === 2) {
      q.expectPeerKeyUpdate();
      r.updateSendKey();
    }
  } else if (name === 'KEY_UPDATE_ACK' && (op === 1 || op === 2)) {
    if (op === 2) {
      expect(q.peerKeyUpdated).toBe(true);
      q.confirmPeerKeyUpdate();
    }
    q.updateSendKey();
  } else if (name === 'KEY_UPDATE' && op === 3) {
    expect(r.peerKeyUpdated).toBe(true);
    r.confirmPeerKeyUpdate();
  }
}
