/**
 * The SPDM key schedule for DHE sessions (DSP0274 1.3 §12 "Key schedule"; spdm-reference §4).
 *
 *   HandshakeSecret = HKDF-Extract(zeros(H), DHE secret)
 *   {req,rsp}_hs_secret   = Expand(HandshakeSecret, BinConcat(H, "{req,rsp} hs data", Hash(TH1)), H)
 *   {req,rsp}_finished_key = Expand(X_hs_secret, BinConcat(H, "finished"), H)
 *   Salt1           = Expand(HandshakeSecret, BinConcat(H, "derived"), H)
 *   MasterSecret    = HKDF-Extract(Salt1, zeros(H))
 *   {req,rsp}_data_secret = Expand(MasterSecret, BinConcat(H, "{req,rsp} app data", Hash(TH2)), H)
 *   ExportMasterSecret    = Expand(MasterSecret, BinConcat(H, "exp master", Hash(TH2)), H)
 *   key / iv of a direction secret: Expand(secret, BinConcat(keyLen, "key"), keyLen) / (12, "iv")
 *   key update: X_data_secret' = Expand(X_data_secret, BinConcat(H, "traffic upd"), H)
 *
 * BinConcat(L, label, context) = u16le(L) ‖ "spdm1.V " ‖ label ‖ context with V the negotiated
 * SPDM minor version (not the secured-message version; libspdm prints "spdm1.3 " on 1.3 sessions
 * that use secured-message 1.2).
 *
 * Every secret lives in a private Uint8Array of a `KeySchedule`; `destroy()` zeroes them all,
 * and neither util.inspect nor JSON.stringify shows a byte of them.
 */
import { inspect } from 'node:util';
import { AeadKeys, type AeadLike, resolveAead } from './aead.js';
import type { AeadInfo, HashInfo } from './algorithms.js';
import { type HashLike, hkdfExpand, hkdfExtract, hmac, resolveHash } from './hash.js';

/** HKDF labels of DSP0274 1.3 §12 (libspdm BIN_STR_0..9). */
export const KEY_SCHEDULE_LABEL = {
  DERIVED: 'derived',
  REQ_HS_DATA: 'req hs data',
  RSP_HS_DATA: 'rsp hs data',
  REQ_APP_DATA: 'req app data',
  RSP_APP_DATA: 'rsp app data',
  KEY: 'key',
  IV: 'iv',
  FINISHED: 'finished',
  EXP_MASTER: 'exp master',
  TRAFFIC_UPD: 'traffic upd',
} as const;

/** Which side's traffic a secret protects: requester→responder or responder→requester. */
export type Direction = 'request' | 'response';

/**
 * BinConcat(L, label, context) = u16le(L) ‖ "spdm1.V " ‖ label ‖ context (DSP0274 1.3 §12).
 * @param version negotiated SPDMVersion byte (0x11, 0x12, 0x13, ...)
 * @throws RangeError for a version byte that is not 1.x or L outside u16.
 */
export function binConcat(version: number, length: number, label: string, context?: Uint8Array): Uint8Array {
  if (!Number.isInteger(version) || version >> 4 !== 1)
    throw new RangeError(`not an SPDM 1.x version: ${version}`);
  if (!Number.isInteger(length) || length < 0 || length > 0xffff)
    throw new RangeError('BinConcat: bad length');
  const text = Buffer.from(`spdm1.${version & 0xf} ${label}`, 'ascii');
  const ctx = context ?? new Uint8Array(0);
  const out = new Uint8Array(2 + text.length + ctx.length);
  out[0] = length & 0xff;
  out[1] = length >> 8;
  out.set(text, 2);
  out.set(ctx, 2 + text.length);
  return out;
}

/**
 * HKDF-Expand(secret, BinConcat(L, label, context), L).
 * @throws RangeError for a bad version, hash or length.
 */
export function expandLabel(
  hash: HashLike,
  version: number,
  secret: Uint8Array,
  label: string,
  context: Uint8Array | undefined,
  length: number,
): Uint8Array {
  return hkdfExpand(hash, secret, binConcat(version, length, label, context), length);
}

/**
 * Verify data = HMAC-Hash(finished_key, Hash(transcript)) (DSP0274 1.3 §10.15/§10.16 and §12).
 * @throws RangeError for an unsupported hash.
 */
export function computeVerifyData(
  hash: HashLike,
  finishedKey: Uint8Array,
  transcriptHash: Uint8Array,
): Uint8Array {
  return hmac(hash, finishedKey, transcriptHash);
}

/** Names of the secrets a KeySchedule holds (for `secret()`; spelled like the vector fields). */
export type KeyScheduleSecret =
  | 'handshakeSecret'
  | 'requestHandshakeSecret'
  | 'responseHandshakeSecret'
  | 'requestFinishedKey'
  | 'responseFinishedKey'
  | 'salt1'
  | 'masterSecret'
  | 'requestDataSecret'
  | 'responseDataSecret'
  | 'exportMasterSecret';

/** Algorithms and version a session's key schedule runs with. */
export interface KeyScheduleInit {
  readonly hash: HashLike;
  readonly aead: AeadLike;
  /** Negotiated SPDMVersion byte (BinConcat uses its minor digit). */
  readonly version: number;
}

/**
 * One session's secrets from the DHE shared secret on, through handshake and data secrets and
 * key updates. Lifecycle: `fromDheSecret` → `deriveHandshakeSecrets(Hash(TH1))` →
 * `deriveDataSecrets(Hash(TH2))` → `dropHandshakeSecrets()` once the session runs on data keys →
 * `updateDataKeys()` per KEY_UPDATE → `destroy()` at END_SESSION.
 */
export class KeySchedule {
  readonly hash: HashInfo;
  readonly aead: AeadInfo;
  readonly version: number;
  readonly #s = new Map<KeyScheduleSecret, Uint8Array>();
  #destroyed = false;

  private constructor(init: KeyScheduleInit) {
    this.hash = resolveHash(init.hash);
    this.aead = resolveAead(init.aead);
    binConcat(init.version, 0, ''); // validates the version byte
    this.version = init.version;
  }

  /**
   * HandshakeSecret = HKDF-Extract(salt = zeros(H), IKM = DHE shared secret). The shared secret
   * is not kept; the caller still owns (and should zero) it.
   * @throws RangeError for an unsupported hash/AEAD or a bad version byte.
   */
  static fromDheSecret(init: KeyScheduleInit, sharedSecret: Uint8Array): KeySchedule {
    const ks = new KeySchedule(init);
    ks.#set('handshakeSecret', hkdfExtract(ks.hash, new Uint8Array(ks.hash.size), sharedSecret));
    return ks;
  }

  #get(name: KeyScheduleSecret): Uint8Array {
    if (this.#destroyed) throw new RangeError('KeySchedule used after destroy()');
    const v = this.#s.get(name);
    if (!v) throw new RangeError(`KeySchedule: ${name} is not available in this state`);
    return v;
  }

  #set(name: KeyScheduleSecret, v: Uint8Array): void {
    this.#s.get(name)?.fill(0);
    this.#s.set(name, v);
  }

  #expand(secret: Uint8Array, label: string, context: Uint8Array | undefined, length: number): Uint8Array {
    return expandLabel(this.hash, this.version, secret, label, context, length);
  }

  /**
   * Request/response handshake secrets and finished keys from Hash(TH1).
   * @throws RangeError when Hash(TH1) has the wrong size or the schedule was destroyed.
   */
  deriveHandshakeSecrets(th1Hash: Uint8Array): void {
    this.#checkHash(th1Hash, 'Hash(TH1)');
    const hs = this.#get('handshakeSecret');
    const H = this.hash.size;
    const req = this.#expand(hs, KEY_SCHEDULE_LABEL.REQ_HS_DATA, th1Hash, H);
    const rsp = this.#expand(hs, KEY_SCHEDULE_LABEL.RSP_HS_DATA, th1Hash, H);
    this.#set('requestHandshakeSecret', req);
    this.#set('responseHandshakeSecret', rsp);
    this.#set('requestFinishedKey', this.#expand(req, KEY_SCHEDULE_LABEL.FINISHED, undefined, H));
    this.#set('responseFinishedKey', this.#expand(rsp, KEY_SCHEDULE_LABEL.FINISHED, undefined, H));
  }

  /**
   * Salt1, MasterSecret, request/response data secrets and ExportMasterSecret from Hash(TH2).
   * @throws RangeError when Hash(TH2) has the wrong size or the handshake secret is gone.
   */
  deriveDataSecrets(th2Hash: Uint8Array): void {
    this.#checkHash(th2Hash, 'Hash(TH2)');
    const H = this.hash.size;
    const salt1 = this.#expand(this.#get('handshakeSecret'), KEY_SCHEDULE_LABEL.DERIVED, undefined, H);
    const master = hkdfExtract(this.hash, salt1, new Uint8Array(H));
    this.#set('salt1', salt1);
    this.#set('masterSecret', master);
    this.#set('requestDataSecret', this.#expand(master, KEY_SCHEDULE_LABEL.REQ_APP_DATA, th2Hash, H));
    this.#set('responseDataSecret', this.#expand(master, KEY_SCHEDULE_LABEL.RSP_APP_DATA, th2Hash, H));
    this.#set('exportMasterSecret', this.#expand(master, KEY_SCHEDULE_LABEL.EXP_MASTER, th2Hash, H));
  }

  #checkHash(h: Uint8Array, what: string): void {
    if (h.length !== this.hash.size)
      throw new RangeError(`${what}: ${h.length} bytes, want ${this.hash.size}`);
  }

  /** key / iv of a direction secret, as a fresh AeadKeys the caller owns. */
  #trafficKeys(secret: Uint8Array): AeadKeys {
    const key = this.#expand(secret, KEY_SCHEDULE_LABEL.KEY, undefined, this.aead.keySize);
    const iv = this.#expand(secret, KEY_SCHEDULE_LABEL.IV, undefined, this.aead.ivSize);
    return new AeadKeys(this.aead, key, iv);
  }

  /**
   * Handshake encryption key and IV of one direction (fresh copy; caller destroys it).
   * @throws RangeError before deriveHandshakeSecrets or after dropHandshakeSecrets/destroy.
   */
  handshakeKeys(dir: Direction): AeadKeys {
    return this.#trafficKeys(
      this.#get(dir === 'request' ? 'requestHandshakeSecret' : 'responseHandshakeSecret'),
    );
  }

  /**
   * Data encryption key and IV of one direction, from its current data secret (fresh copy).
   * @throws RangeError before deriveDataSecrets or after destroy.
   */
  dataKeys(dir: Direction): AeadKeys {
    return this.#trafficKeys(this.#get(dir === 'request' ? 'requestDataSecret' : 'responseDataSecret'));
  }

  /**
   * KEY_UPDATE: X_data_secret = Expand(X_data_secret, BinConcat(H, "traffic upd"), H) (the old
   * one is zeroed) and returns the new key/IV; the record layer restarts its sequence at 0.
   * @throws RangeError before deriveDataSecrets or after destroy.
   */
  updateDataKeys(dir: Direction): AeadKeys {
    const name = dir === 'request' ? 'requestDataSecret' : 'responseDataSecret';
    const next = this.#expand(this.#get(name), KEY_SCHEDULE_LABEL.TRAFFIC_UPD, undefined, this.hash.size);
    this.#set(name, next);
    return this.#trafficKeys(next);
  }

  /**
   * VerifyData of one side: HMAC(X_finished_key, transcriptHash). `response` for
   * KEY_EXCHANGE_RSP / FINISH_RSP, `request` for FINISH.
   * @throws RangeError before deriveHandshakeSecrets or after dropHandshakeSecrets/destroy.
   */
  verifyData(dir: Direction, transcriptHash: Uint8Array): Uint8Array {
    this.#checkHash(transcriptHash, 'transcript hash');
    const key = this.#get(dir === 'request' ? 'requestFinishedKey' : 'responseFinishedKey');
    return computeVerifyData(this.hash, key, transcriptHash);
  }

  /**
   * A copy of one secret (the caller zeroes it). For the export master secret's users and for
   * known-answer tests; protocol code uses the methods above.
   * @throws RangeError when that secret does not exist in the current state.
   */
  secret(name: KeyScheduleSecret): Uint8Array {
    return this.#get(name).slice();
  }

  /** Whether a secret is currently held. */
  has(name: KeyScheduleSecret): boolean {
    return !this.#destroyed && this.#s.has(name);
  }

  /**
   * Zeroes everything the handshake needed (handshake, hs and master secrets, finished keys,
   * Salt1) once both sides run on data keys. Data and export master secrets stay.
   */
  dropHandshakeSecrets(): void {
    const keep = new Set<KeyScheduleSecret>([
      'requestDataSecret',
      'responseDataSecret',
      'exportMasterSecret',
    ]);
    for (const [name, v] of this.#s) {
      if (keep.has(name)) continue;
      v.fill(0);
      this.#s.delete(name);
    }
  }

  /** Zeroes every secret; any later use throws RangeError. */
  destroy(): void {
    for (const v of this.#s.values()) v.fill(0);
    this.#s.clear();
    this.#destroyed = true;
  }

  #describe(): { hash: string; aead: string; version: string; holds: string[] } {
    return {
      hash: this.hash.name,
      aead: this.aead.name,
      version: `${this.version >> 4}.${this.version & 0xf}`,
      holds: [...this.#s.keys()],
    };
  }

  [inspect.custom](): string {
    const d = this.#describe();
    return `KeySchedule { hash: '${d.hash}', aead: '${d.aead}', version: '${d.version}', holds: [${d.holds.join(', ')}] }`;
  }

  /** Algorithm names and which secrets are held: never their bytes. */
  toJSON(): { hash: string; aead: string; version: string; holds: string[] } {
    return this.#describe();
  }
}
