/**
 * Requester authentication phases and driver in process (no vectors): totality of the phases on
 * arbitrary responses (only SpdmError escapes), the checks each phase adds to its decoder
 * (wrong slot, RequesterContext not echoed, BasicMutAuthReq, CertChainHash, opaque data),
 * local refusals when the responder lacks a capability, and the responder's handlers fed
 * arbitrary requests after VCA (every failure is an SpdmError the core turns into an ERROR).
 */
import { X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { BASE_HASH_ALGO, hashInfo } from '../../src/crypto/algorithms.js';
import { CAP } from '../../src/msgs/capabilities.js';
import { REQUEST_CODE, RESPONSE_CODE } from '../../src/msgs/codes.js';
import { CERT_MODEL, encodeDigests, KEY_USAGE_MASK } from '../../src/msgs/digests.js';
import { encodeToBytes } from '../../src/msgs/encode.js';
import type { Negotiated } from '../../src/negotiated.js';
import type { NegotiatedRequesterState } from '../../src/requester/auth-state.js';
import { Authenticator } from '../../src/requester/authenticate.js';
import { certificatePhase } from '../../src/requester/certificate.js';
import { CertChainCache } from '../../src/requester/chain-cache.js';
import { challengePhase } from '../../src/requester/challenge.js';
import { digestsPhase } from '../../src/requester/digests.js';
import { type RequesterConfig, resolveRequesterInit } from '../../src/requester/init.js';
import { measurementsPhase } from '../../src/requester/measurements.js';
import { negotiate } from '../../src/requester/negotiate.js';
import type { Phase } from '../../src/requester/phase.js';
import { ResponderCore } from '../../src/responder/core.js';
import type { ResponderInit } from '../../src/responder/init.js';
import { coreExchange, responderFor, type TestIdentity, testIdentity } from '../auth-fixture.js';
import { onlySpdmErrors, spdmErrorOf } from '../auth-vectors.js';

const SHA256 = hashInfo(BASE_HASH_ALGO.SHA_256);

let id: TestIdentity;
beforeAll(() => {
  id = testIdentity({ cn: 'unit' });
});

async function pair(version: 0x11 | 0x12 | 0x13 = 0x13, init: ResponderInit = {}) {
  const core = responderFor(id, init);
  const { exchange, counts } = coreExchange(core);
  const n = await negotiate(exchange, { versions: [version] });
  return { core, exchange, counts, n };
}

function phases(
  leaf: X509Certificate,
  digest: Uint8Array,
): Phase<NegotiatedRequesterState, unknown, RequesterConfig>[] {
  return [
    digestsPhase,
    certificatePhase({ slotId: 0, offset: 0, length: 100 }),
    challengePhase({
      slotId: 0,
      nonce: new Uint8Array(32),
      requesterContext: new Uint8Array(8),
      certChainHash: digest,
      leafKey: leaf.publicKey,
    }),
    challengePhase({
      slotId: 0,
      summaryHashType: 0xff,
      nonce: new Uint8Array(32),
      requesterContext: new Uint8Array(8),
      certChainHash: digest,
      leafKey: leaf.publicKey,
    }),
    measurementsPhase({
      operation: 0xff,
      signed: true,
      nonce: new Uint8Array(32),
      requesterContext: new Uint8Array(8),
      leafKey: leaf.publicKey,
    }),
    measurementsPhase({ operation: 0, signed: false, requesterContext: new Uint8Array(8) }),
    measurementsPhase({ operation: 3, signed: false, requesterContext: new Uint8Array(8) }),
  ];
}

describe('requester authentication phases', () => {
  it('only SpdmError escapes a phase, whatever the response', async () => {
    const { n } = await pair();
    const cfg = resolveRequesterInit();
    const st: NegotiatedRequesterState = { kind: 'Negotiated', negotiated: n };
    const leaf = new X509Certificate(id.certificates[2]!);
    for (const p of phases(leaf, new Uint8Array(32))) {
      const req = p.request(st, cfg);
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 400 }), (tail) => {
          onlySpdmErrors(() => p.response(st, cfg, req, tail));
          // with a plausible header too, so the body parsers run
          const body = Uint8Array.from([0x13, req[1]! & 0x7f, ...tail]);
          onlySpdmErrors(() => p.response(st, cfg, req, body));
        }),
        { numRuns: 300 },
      );
    }
  });

  it('refuses locally when the responder lacks CERT_CAP / CHAL_CAP / MEAS_CAP', async () => {
    const { n } = await pair(0x12, { capabilities: CAP.MEAS_NO_SIG });
    const cfg = resolveRequesterInit();
    const st: NegotiatedRequesterState = { kind: 'Negotiated', negotiated: n };
    expect(spdmErrorOf(() => digestsPhase.request(st, cfg)).code).toBe('UnsupportedRequest');
    const leaf = new X509Certificate(id.certificates[2]!);
    const signed = measurementsPhase({
      operation: 0xff,
      signed: true,
      nonce: new Uint8Array(32),
      leafKey: leaf.publicKey,
    });
    expect(spdmErrorOf(() => signed.request(st, cfg)).message).toMatch(/does not sign/);
    const none = { ...st, negotiated: { ...n, responderCaps: 0 } as Negotiated };
    expect(
      spdmErrorOf(() => measurementsPhase({ operation: 0, signed: false }).request(none, cfg)).message,
    ).toMatch(/MEAS_CAP/);
  });

  it('checks what the decoder cannot: slot, RequesterContext echo, CertChainHash', async () => {
    const { core, n } = await pair(0x13);
    const cfg = resolveRequesterInit();
    const st: NegotiatedRequesterState = { kind: 'Negotiated', negotiated: n };
    const leaf = new X509Certificate(id.certificates[2]!);
    const digest = core.config.slots!.forHash(SHA256).get(0)!.digest;
    const ch = challengePhase({
      slotId: 0,
      nonce: new Uint8Array(32),
      requesterContext: new Uint8Array(8).fill(5),
      certChainHash: digest,
      leafKey: leaf.publicKey,
    });
    const chReq = ch.request(st, cfg);
    const chRsp = core.handle(chReq);
    expect(ch.response(st, cfg, chReq, chRsp).state.auth!.authenticated).toBe(true);
    const noEcho = chRsp.slice();
    noEcho[chRsp.length - 64 - 1]! ^= 1; // last RequesterContext byte
    expect(spdmErrorOf(() => ch.response(st, cfg, chReq, noEcho)).message).toMatch(
      /RequesterContext not echoed/,
    );
    const mutAuth = chRsp.slice();
    mutAuth[2]! |= 0x80;
    expect(spdmErrorOf(() => ch.response(st, cfg, chReq, mutAuth)).message).toMatch(
      /basic mutual authentication/,
    );
    const otherDigest = challengePhase({
      slotId: 0,
      nonce: new Uint8Array(32),
      requesterContext: new Uint8Array(8).fill(5),
      certChainHash: new Uint8Array(32),
      leafKey: leaf.publicKey,
    });
    expect(spdmErrorOf(() => otherDigest.response(st, cfg, chReq, chRsp)).code).toBe('VerifyFailed');
    const cert = certificatePhase({ slotId: 0, offset: 0, length: 100 });
    const certReq = cert.request(st, cfg);
    const certRsp = core.handle(certReq).slice();
    certRsp[2] = 1; // slot 1 answered
    expect(spdmErrorOf(() => cert.response(st, cfg, certReq, certRsp)).message).toMatch(
      /slot 1 answered for slot 0/,
    );
  });
});

describe('DIGESTS on a 1.3 multi-key connection', () => {
  it('reads the KeyPairID / CertificateInfo / KeyUsageMask tail when the responder has MULTI_KEY_CAP = 01b', async () => {
    const { n } = await pair(0x13);
    const cfg = resolveRequesterInit();
    const multi = { ...n, responderCaps: n.responderCaps | (1 << 26) } as Negotiated; // MULTI_KEY_CAP = 01b
    const st: NegotiatedRequesterState = { kind: 'Negotiated', negotiated: multi };
    const d = new Uint8Array(32).fill(0xab);
    const rsp = encodeToBytes(encodeDigests, {
      code: RESPONSE_CODE.DIGESTS,
      version: 0x13,
      supportedSlotMask: 1,
      provisionedSlotMask: 1,
      digests: [d],
      multiKey: {
        keyPairIds: [1],
        certificateInfos: [CERT_MODEL.DEVICE_CERT],
        keyUsageMasks: [KEY_USAGE_MASK.CHALLENGE_USE],
      },
    });
    const req = digestsPhase.request(st, cfg);
    expect(digestsPhase.response(st, cfg, req, rsp).auth!.digests!.get(0)).toEqual(d);
    // without the multi-key connection the same bytes are the wrong size
    const plain: NegotiatedRequesterState = { kind: 'Negotiated', negotiated: n };
    expect(spdmErrorOf(() => digestsPhase.response(plain, cfg, req, rsp)).code).toBe('InvalidMsgSize');
  });
});

describe('Authenticator', () => {
  it('needs trusted roots to fetch a chain', async () => {
    const { exchange, n } = await pair();
    await expect(new Authenticator(exchange, n).getCertificate(0)).rejects.toThrow(TypeError);
  });

  it('refuses a chain that does not hash to its DIGESTS entry', async () => {
    const { exchange, n } = await pair();
    const cache = new CertChainCache();
    const auth = new Authenticator(exchange, n, { trustedRoots: [id.root], chainCache: cache });
    const d = await auth.getDigests();
    // poison the cache: another (valid) chain stored under the responder's digest
    const other = responderFor(testIdentity()).config.slots!.forHash(SHA256).get(0)!.chain;
    cache.set(SHA256, d.digests.get(0)!, other);
    const e = await auth.getCertificate(0).catch((x) => x);
    expect(e.code).toBe('InvalidCertificate');
    expect(e.message).toMatch(/does not match its DIGESTS entry/);
  });

  it('the cache is bounded (least recently used goes first)', () => {
    const h = SHA256;
    const c = new CertChainCache({ maxEntries: 2 });
    c.set(h, Uint8Array.of(1), Uint8Array.of(1));
    c.set(h, Uint8Array.of(2), Uint8Array.of(2));
    c.get(h, Uint8Array.of(1));
    c.set(h, Uint8Array.of(3), Uint8Array.of(3));
    expect([c.get(h, Uint8Array.of(1)), c.get(h, Uint8Array.of(2)), c.get(h, Uint8Array.of(3))]).toEqual([
      Uint8Array.of(1),
      undefined,
      Uint8Array.of(3),
    ]);
  });
});

describe('responder authentication handlers on arbitrary requests', () => {
  it('every refusal is an SpdmError (the core answers ERROR, never Unspecified from a crash)', async () => {
    const { core } = await pair(0x13);
    const errors: unknown[] = [];
    const watched = new ResponderCore({ slots: core.config.slots!, onError: (e) => errors.push(e) });
    const { exchange } = coreExchange(watched);
    await negotiate(exchange, { versions: [0x13] });
    const codes = [
      REQUEST_CODE.GET_DIGESTS,
      REQUEST_CODE.GET_CERTIFICATE,
      REQUEST_CODE.CHALLENGE,
      REQUEST_CODE.GET_MEASUREMENTS,
    ];
    fc.assert(
      fc.property(fc.constantFrom(...codes), fc.uint8Array({ maxLength: 60 }), (code, tail) => {
        const rsp = watched.handle(Uint8Array.from([0x13, code, ...tail]));
        expect(rsp.length).toBeGreaterThanOrEqual(4);
      }),
      { numRuns: 2000 },
    );
    const notSpdm = errors.filter((e) => !(e instanceof Error && e.name === 'SpdmError'));
    expect(notSpdm).toEqual([]);
  });
});
