/**
 * Ephemeral ECDHE for KEY_EXCHANGE (DSP0274 1.3 §10.14 ExchangeData; spdm-reference §7 item 16).
 *
 * ExchangeData is the raw public point X ‖ Y, each coordinate big-endian and left-padded to the
 * field size (32/48/66 bytes), without the SEC1 0x04 prefix. The shared secret is the X
 * coordinate of the product point, field-size bytes. The private key lives in a node KeyObject
 * (never exported as bytes) and is dropped after its one use.
 */
import { createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { SpdmError } from '../errors.js';
import { ERROR_CODE } from '../msgs/codes.js';
import { type DheInfo, dheInfo } from './algorithms.js';
import { asU8 } from './hash.js';

/** A DHE NamedGroup bit (DSP0274 1.3 Table 22) or its descriptor. */
export type DheLike = number | DheInfo;

interface CurveParams {
  readonly jwk: 'P-256' | 'P-384' | 'P-521';
  /** Field prime p: every coordinate must be < p. */
  readonly p: bigint;
}

const CURVES: Readonly<Record<string, CurveParams>> = {
  prime256v1: { jwk: 'P-256', p: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n },
  secp384r1: { jwk: 'P-384', p: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n },
  secp521r1: { jwk: 'P-521', p: 2n ** 521n - 1n },
};

/**
 * The descriptor of a DHE selection; only the ECDHE groups are supported.
 * @throws RangeError for FFDHE, SM2 or an unknown bit.
 */
export function resolveDhe(d: DheLike): DheInfo {
  const info = typeof d === 'number' ? dheInfo(d) : d;
  if (!CURVES[info.curve]) throw new RangeError(`DHE group ${info.name} is not supported`);
  return info;
}

function curveOf(info: DheInfo): CurveParams {
  const c = CURVES[info.curve];
  if (!c) throw new RangeError(`DHE group ${info.name} is not supported`);
  return c;
}

function toBigInt(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString('hex')}`);
}

/**
 * Parses and validates a peer's ExchangeData into a public KeyObject: exact size D, both
 * coordinates below p, and the point on the curve (OpenSSL checks that when the key is built).
 * @throws SpdmError('InvalidMsgField') when the point is not a valid public key of the group.
 */
export function dhePublicKeyFromExchangeData(dhe: DheLike, exchangeData: Uint8Array): KeyObject {
  const info = resolveDhe(dhe);
  const curve = curveOf(info);
  const n = info.exchangeSize / 2;
  const bad = (why: string) =>
    new SpdmError('InvalidMsgField', `DHE ExchangeData for ${info.name}: ${why}`, {
      wireCode: ERROR_CODE.InvalidRequest,
    });
  if (exchangeData.length !== info.exchangeSize) throw bad(`${exchangeData.length} bytes, want ${2 * n}`);
  const x = exchangeData.subarray(0, n);
  const y = exchangeData.subarray(n);
  if (toBigInt(x) >= curve.p || toBigInt(y) >= curve.p) throw bad('coordinate out of range');
  try {
    return createPublicKey({
      key: {
        kty: 'EC',
        crv: curve.jwk,
        x: Buffer.from(x).toString('base64url'),
        y: Buffer.from(y).toString('base64url'),
      },
      format: 'jwk',
    });
  } catch (e) {
    throw new SpdmError('InvalidMsgField', `DHE ExchangeData for ${info.name}: not a point on the curve`, {
      wireCode: ERROR_CODE.InvalidRequest,
      cause: e,
    });
  }
}

/** Our ephemeral half of an ECDHE exchange. */
export interface DheKeyPair {
  readonly info: DheInfo;
  /** Our ExchangeData, X ‖ Y (public). */
  readonly exchangeData: Uint8Array;
  /**
   * The shared secret (X coordinate) with the peer's ExchangeData. Single use: the private key
   * is dropped afterwards, and the caller owns (and should zero) the returned bytes.
   * @throws SpdmError('InvalidMsgField') when the peer's point is invalid (the key is kept, so
   *   a caller may report the error and still destroy() us).
   * @throws RangeError when called a second time or after destroy().
   */
  computeSecret(peerExchangeData: Uint8Array): Uint8Array;
  /** Drops the private key without using it. */
  destroy(): void;
}

function fixedWidth(b64url: string | undefined, size: number): Uint8Array {
  const raw = Buffer.from(b64url ?? '', 'base64url');
  if (raw.length > size) throw new Error('DHE: coordinate longer than the field');
  const out = new Uint8Array(size);
  out.set(raw, size - raw.length);
  return out;
}

class EcdheKeyPair implements DheKeyPair {
  readonly info: DheInfo;
  readonly exchangeData: Uint8Array;
  #privateKey: KeyObject | null;

  constructor(info: DheInfo) {
    this.info = info;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: info.curve });
    const jwk = publicKey.export({ format: 'jwk' });
    const n = info.exchangeSize / 2;
    this.exchangeData = new Uint8Array(info.exchangeSize);
    this.exchangeData.set(fixedWidth(jwk.x, n), 0);
    this.exchangeData.set(fixedWidth(jwk.y, n), n);
    this.#privateKey = privateKey;
  }

  computeSecret(peerExchangeData: Uint8Array): Uint8Array {
    const privateKey = this.#privateKey;
    if (!privateKey) throw new RangeError('DHE key pair already used or destroyed');
    const publicKey = dhePublicKeyFromExchangeData(this.info, peerExchangeData);
    this.#privateKey = null;
    const secret = asU8(diffieHellman({ privateKey, publicKey }));
    if (secret.length !== this.info.secretSize) {
      secret.fill(0);
      throw new Error(`DHE: shared secret of ${secret.length} bytes`);
    }
    return secret;
  }

  destroy(): void {
    this.#privateKey = null;
  }

  [inspect.custom](): string {
    return `DheKeyPair { group: '${this.info.name}', used: ${this.#privateKey === null} }`;
  }

  toJSON(): { group: string } {
    return { group: this.info.name };
  }
}

/**
 * Generates an ephemeral ECDHE key pair for `dhe` (secp256r1, secp384r1 or secp521r1).
 * @throws RangeError for FFDHE, SM2 or an unknown group bit.
 */
export function generateDhe(dhe: DheLike): DheKeyPair {
  return new EcdheKeyPair(resolveDhe(dhe));
}
