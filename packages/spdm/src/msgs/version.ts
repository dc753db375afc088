/**
 * GET_VERSION / VERSION (DSP0274 1.3 "GET_VERSION request and VERSION response";
 * spdm-reference §1.2, §2.1): the first exchange of every connection. Both messages always carry
 * SPDMVersion 0x10, whatever is negotiated afterwards; GET_VERSION resets the connection.
 *
 * A VersionNumberEntry is a u16: Major(15:12) Minor(11:8) UpdateVersionNumber(7:4) Alpha(3:0),
 * so SPDM 1.2 is 0x1200, `00 12` on the wire; its high byte equals the header SPDMVersion byte.
 */
import type { ByteWriter } from '../codec/writer.js';
import { SpdmError } from '../errors.js';
import { ERROR_CODE, REQUEST_CODE, RESPONSE_CODE, SPDM_VERSION, versionName } from './codes.js';
import { checkInt, checkReserved, expectSize, type MsgSource, readerOf } from './fields.js';
import { decodeHeader, encodeHeader, expectCode, type Header } from './header.js';

export interface GetVersion {
  readonly code: typeof REQUEST_CODE.GET_VERSION;
}

export interface Version {
  readonly code: typeof RESPONSE_CODE.VERSION;
  /** VersionNumberEntry values (u16, e.g. 0x1200 for 1.2), in wire order. */
  readonly entries: readonly number[];
}

/** Size of GET_VERSION, header only (`10 84 00 00`). */
export const GET_VERSION_SIZE = 4;

/** The SPDMVersion byte (major.minor) of a VersionNumberEntry: 0x1234 -> 0x12. */
export function entryVersionByte(entry: number): number {
  return (entry >> 8) & 0xff;
}

/** The VersionNumberEntry of a version byte with Update and Alpha 0: 0x12 -> 0x1200. */
export function versionEntry(versionByte: number): number {
  return (versionByte & 0xff) << 8;
}

/**
 * Checks that a GET_VERSION / VERSION header carries SPDMVersion 1.0 (DSP0274 1.3 "GET_VERSION request and VERSION response").
 * @throws SpdmError VersionMismatch (wireCode VersionMismatch)
 */
function expectV10(h: Header, what: string): void {
  if (h.version !== SPDM_VERSION.V10) {
    throw new SpdmError(
      'VersionMismatch',
      `${what}: SPDMVersion must be 1.0, got ${versionName(h.version)}`,
      {
        wireCode: ERROR_CODE.VersionMismatch,
      },
    );
  }
}

/**
 * Checks the header version of a VCA message other than GET_VERSION / VERSION: one of 1.0..1.3,
 * or exactly `expected` when the caller knows it.
 * @throws SpdmError VersionMismatch (wireCode VersionMismatch)
 */
export function expectKnownVersion(h: Header, what: string, expected?: number): void {
  const bad = expected !== undefined ? h.version !== expected : h.version < 0x10 || h.version > 0x13;
  if (bad) {
    throw new SpdmError('VersionMismatch', `${what}: unexpected SPDMVersion ${versionName(h.version)}`, {
      wireCode: ERROR_CODE.VersionMismatch,
    });
  }
}

/** Encodes GET_VERSION: always `10 84 00 00`. */
export function encodeGetVersion(w: ByteWriter, _m: GetVersion = { code: REQUEST_CODE.GET_VERSION }): void {
  encodeHeader(w, { version: SPDM_VERSION.V10, code: REQUEST_CODE.GET_VERSION, param1: 0, param2: 0 });
}

/**
 * Decodes GET_VERSION (4 bytes, Param1/Param2 reserved).
 * @throws SpdmError InvalidMsgSize (not 4 bytes), InvalidMsgField (code, reserved),
 *   VersionMismatch (SPDMVersion other than 0x10).
 */
export function decodeGetVersion(src: MsgSource): GetVersion {
  const r = readerOf(src);
  const start = r.offset;
  const h = decodeHeader(r);
  expectCode(h, REQUEST_CODE.GET_VERSION, 'GET_VERSION');
  expectV10(h, 'GET_VERSION');
  expectSize(r, start, GET_VERSION_SIZE, 'GET_VERSION');
  checkReserved(h.param1, 0, 'GET_VERSION Param1');
  checkReserved(h.param2, 0, 'GET_VERSION Param2');
  r.done('GET_VERSION');
  return { code: REQUEST_CODE.GET_VERSION };
}

/** Encodes VERSION. @throws RangeError for more than 255 entries or an entry outside u16. */
export function encodeVersion(w: ByteWriter, m: Version): void {
  checkInt(m.entries.length, 0, 0xff, 'VersionNumberEntryCount');
  encodeHeader(w, { version: SPDM_VERSION.V10, code: RESPONSE_CODE.VERSION, param1: 0, param2: 0 });
  w.u8(0).u8(m.entries.length);
  for (const e of m.entries) {
    checkInt(e, 0, 0xffff, 'VersionNumberEntry');
    w.u16le(e);
  }
}

/**
 * Decodes VERSION: header, Reserved, VersionNumberEntryCount n, n u16 entries. An empty list
 * decodes; the requester refuses it (there is nothing to negotiate).
 * @throws SpdmError InvalidMsgSize (length differs from 6 + 2n), InvalidMsgField (code, reserved),
 *   VersionMismatch (SPDMVersion other than 0x10).
 */
export function decodeVersion(src: MsgSource): Version {
  const r = readerOf(src);
  const start = r.offset;
  const h = decodeHeader(r);
  expectCode(h, RESPONSE_CODE.VERSION, 'VERSION');
  expectV10(h, 'VERSION');
  checkReserved(h.param1, 0, 'VERSION Param1');
  checkReserved(h.param2, 0, 'VERSION Param2');
  r.reserved(1, 'VERSION Reserved');
  const n = r.u8('VersionNumberEntryCount');
  expectSize(r, start, 6 + 2 * n, 'VERSION');
  const entries: number[] = [];
  for (let i = 0; i < n; i++) entries.push(r.u16le('VersionNumberEntry'));
  r.done('VERSION');
  return { code: RESPONSE_CODE.VERSION, entries };
}
