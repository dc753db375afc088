/**
 * Benchmark `crypto-floor`: the asymmetric and key-schedule work of one mutually authenticated
 * SPDM 1.3 session (KEY_EXCHANGE + FINISH with a requester signature), run back to back with
 * packages/spdm/src/crypto and identity/validate.ts and no protocol, encoding or I/O:
 *
 *   requester and responder: ECDHE key generation + shared secret (2 + 2);
 *   responder: KEY_EXCHANGE_RSP signature, requester: its verification;
 *   requester: FINISH signature, responder: its verification;
 *   each side validates the other's certificate chain once and hashes it (Hash(Ct), Hash(CM));
 *   both sides: key schedule (handshake secrets, finished keys, handshake keys of both
 *   directions, data secrets and data keys of both directions), ResponderVerifyData and
 *   RequesterVerifyData (computed by one side, recomputed and compared by the other), and the
 *   transcript hashes TH1 / FINISH / TH2, over messages of the sizes a real session sends.
 *
 * `session time / floor` is the protocol's own overhead; the floor here is compared with the
 * Node TLS 1.3 session of the same suite, and broken into its parts (ratio = share of floor).
 * A second floor leaves out chain validation and hashing (`cachedChains`: both sides hold the
 * peer's chain by digest from an earlier connection), the floor of a session that skips them.
 * `floorParties` and `floorContestant` are exported for the SPDM session benchmark.
 */
import { type KeyObject, randomBytes, type X509Certificate } from 'node:crypto';
import { bytesEqual, concatBytes } from '@trust-quorum/spdm';
import type { AeadKeys } from '@trust-quorum/spdm/crypto/aead';
import type { KeySchedule } from '@trust-quorum/spdm/crypto/key-schedule';
import { SIGNING_CONTEXT } from '@trust-quorum/spdm/crypto/signing-context';
import { type CryptoSuite, cryptoSuite } from '@trust-quorum/spdm/crypto/suite';
import type { Transcript } from '@trust-quorum/spdm/crypto/transcript';
import { type ValidatedChain, validateCertChain } from '@trust-quorum/spdm/identity/validate';
import { type BenchContext, type Benchmark, rounds } from './lib/benchmark.js';
import { type Figure, makeFigure } from './lib/figure.js';
import { benchPki } from './lib/pki-fixture.js';
import { BENCH_SUITE_NAMES, BENCH_SUITES, type BenchSuite, type BenchSuiteName } from './lib/suites.js';
import { type Contestant, interleave, syncContestant } from './lib/timing.js';
import { latencyContestant, startTlsServer } from './tls-handshake.js';

/** One side's identity: its SPDM chain structure, the chain's hash (cached, as for DIGESTS), key. */
export interface FloorParty {
  readonly chain: Uint8Array;
  readonly chainHash: Uint8Array;
  readonly privateKey: KeyObject;
  /** The leaf key as the peer holds it after validating this chain once (cachedChains). */
  readonly leafKey: KeyObject;
}

export interface FloorOptions {
  /**
   * The peer already holds each chain by digest (validated on an earlier connection): skip
   * validation and hashing of both chains. Default false: each side validates once.
   */
  readonly cachedChains?: boolean;
}

/** Fixed message bytes around the parts that change per session (sizes of real messages). */
interface Filler {
  /** GET_VERSION .. ALGORITHMS of a 1.3 connection with our offers (about 156 bytes). */
  readonly vca: Uint8Array;
  /** KEY_EXCHANGE before ExchangeData (header, ReqSessionID, policy, RandomData) and after it. */
  readonly keHead: Uint8Array;
  readonly keTail: Uint8Array;
  /** KEY_EXCHANGE_RSP before ExchangeData and between it and Signature (opaque data). */
  readonly rspHead: Uint8Array;
  readonly rspTail: Uint8Array;
  /** FINISH header (Param1 bit 0: signature present) and the 4-byte FINISH_RSP. */
  readonly finishHead: Uint8Array;
  readonly finishRsp: Uint8Array;
}

export interface FloorParties {
  readonly suite: BenchSuite;
  readonly requester: FloorParty;
  readonly responder: FloorParty;
  readonly trustedRoots: readonly X509Certificate[];
  readonly filler: Filler;
}

/**
 * The two identities of a floor run (sled-1 responder, sled-2 requester) from the bench PKI.
 * @throws when the PKI cannot be made.
 */
export async function floorParties(suiteName: BenchSuiteName): Promise<FloorParties> {
  const suite = BENCH_SUITES[suiteName];
  const pki = await benchPki(suiteName);
  const cs = cryptoSuite(suite.spdm);
  const trustedRoots = [pki.root];
  const party = (i: number, whose: Whose): FloorParty => {
    const id = pki.sleds[i]!;
    const chain = id.spdmChain(suite.spdm.hash);
    const { leafKey } = validateChain(suite, trustedRoots, chain, whose);
    return { chain, chainHash: cs.digest(chain), privateKey: id.privateKey, leafKey };
  };
  const filler: Filler = {
    vca: randomBytes(156),
    keHead: randomBytes(40),
    keTail: randomBytes(22),
    rspHead: randomBytes(40),
    rspTail: randomBytes(18),
    finishHead: randomBytes(4),
    finishRsp: randomBytes(4),
  };
  return { suite, requester: party(1, 'requester'), responder: party(0, 'responder'), trustedRoots, filler };
}

interface Side {
  readonly ks: KeySchedule;
  readonly t: Transcript;
  readonly keys: AeadKeys[];
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`crypto floor: ${what} failed`);
}

type Whose = 'responder' | 'requester';

function validateChain(
  suite: BenchSuite,
  trustedRoots: readonly X509Certificate[],
  chain: Uint8Array,
  whose: Whose,
): ValidatedChain {
  const s = suite.spdm;
  return validateCertChain(chain, {
    hash: s.hash,
    asym: (whose === 'responder' ? s.asym : s.reqAsym)!,
    trustedRoots,
    version: s.version,
    role: whose,
  });
}

function validate(p: FloorParties, whose: Whose): ValidatedChain {
  return validateChain(p.suite, p.trustedRoots, p[whose].chain, whose);
}

/** The peer's leaf key and Hash(chain): validated and hashed now, or from the cache. */
function peerChain(p: FloorParties, cs: CryptoSuite, whose: Whose, o: FloorOptions) {
  if (o.cachedChains) return { leafKey: p[whose].leafKey, chainHash: p[whose].chainHash };
  return { leafKey: validate(p, whose).leafKey, chainHash: cs.digest(p[whose].chain) };
}

function handshakeKeys(ks: KeySchedule): AeadKeys[] {
  return [ks.handshakeKeys('request'), ks.handshakeKeys('response')];
}

interface KeyExchangeRsp {
  readonly exchangeData: Uint8Array;
  readonly head: Uint8Array;
  readonly signature: Uint8Array;
  readonly verifyData: Uint8Array;
}

/** Responder on KEY_EXCHANGE: DHE, key schedule, signature, TH1, ResponderVerifyData. */
function responderKeyExchange(p: FloorParties, cs: CryptoSuite, ke: Uint8Array, peerEd: Uint8Array) {
  const f = p.filler;
  const dhe = cs.generateDhe();
  const secret = dhe.computeSecret(peerEd);
  const ks = cs.keySchedule(secret);
  secret.fill(0);
  const head = concatBytes(f.rspHead, dhe.exchangeData, f.rspTail);
  const t = cs.transcript(f.vca, p.responder.chainHash, ke, head);
  const signature = cs.sign(
    'responder',
    p.responder.privateKey,
    SIGNING_CONTEXT.RESPONDER_KEY_EXCHANGE_RSP,
    t,
  );
  const th1 = t.append(signature).hash();
  ks.deriveHandshakeSecrets(th1);
  const verifyData = ks.verifyData('response', th1);
  t.append(verifyData);
  const rsp: KeyExchangeRsp = { exchangeData: dhe.exchangeData, head, signature, verifyData };
  return { side: { ks, t, keys: handshakeKeys(ks) } as Side, rsp };
}

/** Requester on KEY_EXCHANGE_RSP: chain, Hash(Ct), DHE, signature check, TH1, verify data check. */
function requesterKeyExchangeRsp(
  p: FloorParties,
  cs: CryptoSuite,
  dhe: ReturnType<CryptoSuite['generateDhe']>,
  ke: Uint8Array,
  rsp: KeyExchangeRsp,
  o: FloorOptions,
): Side {
  const chain = peerChain(p, cs, 'responder', o);
  const t = cs.transcript(p.filler.vca, chain.chainHash, ke, rsp.head);
  const ctx = SIGNING_CONTEXT.RESPONDER_KEY_EXCHANGE_RSP;
  check(cs.verify('responder', chain.leafKey, ctx, t, rsp.signature), 'KEY_EXCHANGE_RSP signature');
  const secret = dhe.computeSecret(rsp.exchangeData);
  const ks = cs.keySchedule(secret);
  secret.fill(0);
  const th1 = t.append(rsp.signature).hash();
  ks.deriveHandshakeSecrets(th1);
  check(bytesEqual(ks.verifyData('response', th1), rsp.verifyData), 'ResponderVerifyData');
  t.append(rsp.verifyData);
  return { ks, t, keys: handshakeKeys(ks) };
}

/** Requester's FINISH: Hash(CM), signature, RequesterVerifyData. */
function requesterFinish(p: FloorParties, cs: CryptoSuite, side: Side) {
  side.t.append(p.requester.chainHash, p.filler.finishHead);
  const signature = cs.sign('requester', p.requester.privateKey, SIGNING_CONTEXT.REQUESTER_FINISH, side.t);
  const verifyData = side.ks.verifyData('request', side.t.append(signature).hash());
  side.t.append(verifyData);
  return { signature, verifyData };
}

/** Responder on FINISH: requester chain, Hash(CM), signature and verify data checks. */
function responderFinish(
  p: FloorParties,
  cs: CryptoSuite,
  side: Side,
  fin: { signature: Uint8Array; verifyData: Uint8Array },
  o: FloorOptions,
): void {
  const chain = peerChain(p, cs, 'requester', o);
  side.t.append(chain.chainHash, p.filler.finishHead);
  const ctx = SIGNING_CONTEXT.REQUESTER_FINISH;
  check(cs.verify('requester', chain.leafKey, ctx, side.t, fin.signature), 'FINISH signature');
  const mac = side.ks.verifyData('request', side.t.append(fin.signature).hash());
  check(bytesEqual(mac, fin.verifyData), 'RequesterVerifyData');
  side.t.append(fin.verifyData);
}

/** FINISH_RSP: TH2, data secrets and keys of both directions; then everything is zeroed. */
function dataKeysAndDestroy(side: Side, finishRsp: Uint8Array): void {
  side.ks.deriveDataSecrets(side.t.append(finishRsp).hash());
  side.keys.push(side.ks.dataKeys('request'), side.ks.dataKeys('response'));
  for (const k of side.keys) k.destroy();
  side.ks.destroy();
}

/**
 * One session's crypto, both sides, back to back (see the module comment).
 * @throws Error when a signature or verify data does not check (a bug, not a measurement).
 */
export function sessionCryptoFloor(p: FloorParties, o: FloorOptions = {}): void {
  const cs = cryptoSuite(p.suite.spdm);
  const f = p.filler;
  const reqDhe = cs.generateDhe();
  const ke = concatBytes(f.keHead, reqDhe.exchangeData, f.keTail);
  const { side: rspSide, rsp } = responderKeyExchange(p, cs, ke, reqDhe.exchangeData);
  const reqSide = requesterKeyExchangeRsp(p, cs, reqDhe, ke, rsp, o);
  const fin = requesterFinish(p, cs, reqSide);
  responderFinish(p, cs, rspSide, fin, o);
  dataKeysAndDestroy(rspSide, f.finishRsp);
  dataKeysAndDestroy(reqSide, f.finishRsp);
}

/** Contestant: one floor per call, ms per session. */
export function floorContestant(p: FloorParties, o: FloorOptions = {}, name = 'crypto floor'): Contestant {
  return syncContestant(name, () => sessionCryptoFloor(p, o));
}

/** The floor's parts, each timed alone: ECDHE, signatures, chain validation, key schedule. */
export function floorPartContestants(p: FloorParties): Contestant[] {
  const cs = cryptoSuite(p.suite.spdm);
  const rspKey = p.responder.leafKey;
  const reqKey = p.requester.leafKey;
  const t = cs.transcript(p.filler.vca, p.responder.chainHash, randomBytes(400));
  const secret = randomBytes(p.suite.spdm.dhe!.secretSize);
  const ecdhe = () => {
    const [a, b] = [cs.generateDhe(), cs.generateDhe()];
    a.computeSecret(b.exchangeData).fill(0);
    b.computeSecret(a.exchangeData).fill(0);
  };
  const signatures = () => {
    const c1 = SIGNING_CONTEXT.RESPONDER_KEY_EXCHANGE_RSP;
    const c2 = SIGNING_CONTEXT.REQUESTER_FINISH;
    check(cs.verify('responder', rspKey, c1, t, cs.sign('responder', p.responder.privateKey, c1, t)), 'sig');
    check(cs.verify('requester', reqKey, c2, t, cs.sign('requester', p.requester.privateKey, c2, t)), 'sig');
  };
  const chains = () => {
    validate(p, 'responder');
    validate(p, 'requester');
    cs.digest(p.responder.chain);
    cs.digest(p.requester.chain);
  };
  const keySchedules = () => {
    for (let side = 0; side < 2; side++) {
      const ks = cs.keySchedule(secret);
      const tr = cs.transcript(p.filler.vca, p.responder.chainHash, p.filler.keHead, p.filler.rspHead);
      const th1 = tr.hash();
      ks.deriveHandshakeSecrets(th1);
      const keys = handshakeKeys(ks);
      tr.append(ks.verifyData('response', th1), p.filler.finishHead);
      tr.append(ks.verifyData('request', tr.hash()), p.filler.finishRsp);
      ks.deriveDataSecrets(tr.hash());
      keys.push(ks.dataKeys('request'), ks.dataKeys('response'));
      for (const k of keys) k.destroy();
      ks.destroy();
    }
  };
  return [
    syncContestant('ECDHE (2 keygen + 2 derive)', ecdhe),
    syncContestant('signatures (2 sign + 2 verify)', signatures),
    syncContestant('chain validation (2 chains)', chains),
    syncContestant('key schedule, MACs, transcripts', keySchedules),
  ];
}

async function suiteFigures(ctx: BenchContext, suiteName: BenchSuiteName): Promise<Figure[]> {
  const label = BENCH_SUITES[suiteName].label;
  const p = await floorParties(suiteName);
  const tls = await startTlsServer(suiteName);
  try {
    const parts = floorPartContestants(p);
    const r = rounds(ctx, { warmup: 3, samples: 25 }, { warmup: 10, samples: 80 });
    const [floor, cached, tlsSamples, ...partSamples] = await interleave(
      [
        floorContestant(p),
        floorContestant(p, { cachedChains: true }),
        latencyContestant('tls', tls.session),
        ...parts,
      ],
      r,
    );
    const name = `crypto-floor ${label}`;
    const base = { benchmark: 'crypto-floor', unit: 'ms', better: 'lower' as const };
    return [
      makeFigure({
        ...base,
        name,
        samples: floor!,
        peer: { name: `tls-handshake ${label} sequential`, samples: tlsSamples! },
        note: `one mutually authenticated SPDM 1.3 session's crypto (${label}), no protocol or I/O; ratio = floor / TLS session: an SPDM session reaches the 0.8x-of-TLS target only if session/floor <= 0.8 / this ratio`,
      }),
      makeFigure({
        ...base,
        name: `${name} (chains cached)`,
        samples: cached!,
        peer: { name: `tls-handshake ${label} sequential`, samples: tlsSamples! },
        note: 'the same without validating or hashing either chain: both peers already hold them by digest',
      }),
      ...parts.map((c, i) =>
        makeFigure({
          ...base,
          name: `${name} part: ${c.name}`,
          samples: partSamples[i]!,
          peer: { name, samples: floor! },
        }),
      ),
    ];
  } finally {
    await tls.close();
  }
}

export const cryptoFloorBench: Benchmark = {
  name: 'crypto-floor',
  summary:
    'crypto of one mutually authenticated SPDM session without protocol or I/O (P-256, P-384), vs a TLS session',
  async run(ctx) {
    const figures: Figure[] = [];
    for (const s of BENCH_SUITE_NAMES) figures.push(...(await suiteFigures(ctx, s)));
    return figures;
  },
};
