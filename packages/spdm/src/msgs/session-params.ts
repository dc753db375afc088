/**
 * What the session-phase codecs (KEY_EXCHANGE .. END_SESSION, VENDOR_DEFINED) need to know about
 * the connection to cut a message into fields, plus the few size checks they share on top of
 * fields.ts. Message sizes in this phase depend on the negotiated algorithms (H, S, D) and on two
 * switches (measurement summary hash requested, HANDSHAKE_IN_THE_CLEAR), so every decoder takes
 * a small params object; `sessionMsgParams` builds one object that satisfies all of them.
 */
import type { ByteReader } from '../codec/reader.js';
import { SpdmError } from '../errors.js';
import type { Suite } from '../negotiated.js';
import { ERROR_CODE, versionName } from './codes.js';
import { checkReserved, expectSize, readHeader } from './fields.js';
import { HEADER_SIZE, type Header } from './header.js';

/** Fields every session-phase decoder accepts; each decoder declares the subset it uses. */
export interface SessionMsgParams {
  /** Negotiated SPDMVersion byte (0x11, 0x12, 0x13); the header must carry exactly this. */
  readonly version: number;
  /** H: digest size of BaseHashAlgo (verify data, measurement summary hash). */
  readonly hashSize: number;
  /** S of the responder: signature size of BaseAsymAlgo (KEY_EXCHANGE_RSP). */
  readonly sigSize: number;
  /** S of the requester: signature size of ReqBaseAsymAlg (signed FINISH); 0 when none. */
  readonly reqSigSize: number;
  /** D: DHE exchange-data size (secp256r1 64, secp384r1 96, secp521r1 132). */
  readonly dheSize: number;
  /** KEY_EXCHANGE Param1 was not 0, so KEY_EXCHANGE_RSP carries an H-byte summary hash. */
  readonly summaryHashPresent: boolean;
  /** Both sides set HANDSHAKE_IN_THE_CLEAR_CAP: verify data moves from KEY_EXCHANGE_RSP to FINISH_RSP. */
  readonly handshakeInTheClear: boolean;
}

/** Per-session switches that the algorithm suite does not settle. */
export interface SessionMsgSwitches {
  /** KEY_EXCHANGE Param1 as sent (0 = no summary hash). */
  readonly measurementSummaryHashType: number;
  /** Both capability words carry HANDSHAKE_IN_THE_CLEAR_CAP. */
  readonly handshakeInTheClear: boolean;
}

/**
 * Builds the params every session-phase decoder accepts from the negotiated suite.
 * @throws TypeError if the suite has no DHE group or no responder signature algorithm.
 */
export function sessionMsgParams(suite: Suite, sw: SessionMsgSwitches): SessionMsgParams {
  if (!suite.dhe) throw new TypeError('sessionMsgParams: no DHE group negotiated');
  if (!suite.asym) throw new TypeError('sessionMsgParams: no BaseAsymAlgo negotiated');
  return {
    version: suite.version,
    hashSize: suite.hash.size,
    sigSize: suite.asym.sigSize,
    reqSigSize: suite.reqAsym?.sigSize ?? 0,
    dheSize: suite.dhe.exchangeSize,
    summaryHashPresent: sw.measurementSummaryHashType !== 0,
    handshakeInTheClear: sw.handshakeInTheClear,
  };
}

/** @internal RangeError unless `v` is a SPDM 1.x version byte >= `min` (caller misuse, not peer input). */
export function checkVersionParam(v: number, min: number, what: string): void {
  if (!Number.isInteger(v) || v < min || v > 0x1f) {
    throw new RangeError(
      `${what}: version 0x${Number(v).toString(16)} is not SPDM ${versionName(min)} or later`,
    );
  }
}

/** @internal RangeError unless `n` is a usable field size (caller misuse, not peer input). */
export function checkSizeParam(n: number, what: string, min = 1): void {
  if (!Number.isInteger(n) || n < min || n > 0xffff) throw new RangeError(`${what}: bad size ${n}`);
}

/** @internal Size check before any field is read: at least `n` bytes must remain. */
export function needAtLeast(r: ByteReader, n: number, what: string): void {
  if (r.remaining < n) {
    throw new SpdmError('InvalidMsgSize', `${what}: ${r.remaining} byte(s), at least ${n} needed`, {
      wireCode: ERROR_CODE.InvalidRequest,
    });
  }
}

/** @internal Size check once the variable parts are known: exactly `n` bytes must remain. */
export function needExactly(r: ByteReader, n: number, what: string): void {
  if (r.remaining !== n) {
    throw new SpdmError('InvalidMsgSize', `${what}: ${r.remaining} byte(s) left, exactly ${n} expected`, {
      wireCode: ERROR_CODE.InvalidRequest,
    });
  }
}

/**
 * @internal Reads a message that is exactly its 4-byte header (HEARTBEAT, KEY_UPDATE,
 * END_SESSION and their ACKs), checking code and version; `param1Allowed` / `param2Allowed`
 * are the bits that may be set (0 = reserved, must be zero).
 */
export function readHeaderOnly(
  r: ByteReader,
  version: number,
  code: number,
  what: string,
  param1Allowed = 0,
  param2Allowed = 0,
): Header {
  checkVersionParam(version, 0x11, what);
  expectSize(r, r.offset, HEADER_SIZE, what);
  const h = readHeader(r, code, version, what);
  checkReserved(h.param1, param1Allowed, `${what} Param1`);
  checkReserved(h.param2, param2Allowed, `${what} Param2`);
  r.done(what);
  return h;
}
