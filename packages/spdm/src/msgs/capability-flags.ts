/**
 * The Flags word of GET_CAPABILITIES / CAPABILITIES (DSP0274 1.3 "GET_CAPABILITIES request and CAPABILITIES response", Flags tables;
 * spdm-reference §2.2): the bit table, names for logs, the per-version masks, and the
 * consistency checks libspdm 1e16c60f applies to a peer's flags (`validate_responder_capability`
 * in libspdm_req_get_capabilities.c, `libspdm_check_request_flag_compatibility` in
 * libspdm_rsp_capabilities.c). The two directions differ; see checkRequesterCaps /
 * checkResponderCaps.
 */
import { SPDM_VERSION } from './codes.js';

/** Which side defines a flag: R = responder (CAPABILITIES), Q = requester (GET_CAPABILITIES). */
export type CapRole = 'requester' | 'responder';

export interface CapabilityField {
  /** Lowest bit of the field. */
  readonly shift: number;
  /** 1 or 2 bits. */
  readonly width: 1 | 2;
  /** Defined in the responder's flags. */
  readonly r: boolean;
  /** Defined in the requester's flags. */
  readonly q: boolean;
  /** First SPDMVersion byte that defines the field for the responder (requester: qSince). */
  readonly since: number;
  /** First SPDMVersion byte that defines the field for the requester, if different. */
  readonly qSince?: number;
  /** Names of the values 0..3 of a 2-bit field. */
  readonly values?: readonly [string, string, string, string];
}

/** Every bit and field of the capability Flags word (spdm-reference §2.2; DSP0274 1.3 "GET_CAPABILITIES request and CAPABILITIES response"). */
export const CAPABILITY_FLAGS = {
  CACHE_CAP: { shift: 0, width: 1, r: true, q: false, since: 0x10 },
  CERT_CAP: { shift: 1, width: 1, r: true, q: true, since: 0x10, qSince: 0x11 },
  CHAL_CAP: { shift: 2, width: 1, r: true, q: true, since: 0x10, qSince: 0x11 },
  MEAS_CAP: {
    shift: 3,
    width: 2,
    r: true,
    q: false,
    since: 0x10,
    values: ['NONE', 'NO_SIG', 'SIG', 'RESERVED'],
  },
  MEAS_FRESH_CAP: { shift: 5, width: 1, r: true, q: false, since: 0x10 },
  ENCRYPT_CAP: { shift: 6, width: 1, r: true, q: true, since: 0x11 },
  MAC_CAP: { shift: 7, width: 1, r: true, q: true, since: 0x11 },
  MUT_AUTH_CAP: { shift: 8, width: 1, r: true, q: true, since: 0x11 },
  KEY_EX_CAP: { shift: 9, width: 1, r: true, q: true, since: 0x11 },
  PSK_CAP: {
    shift: 10,
    width: 2,
    r: true,
    q: true,
    since: 0x11,
    values: ['NONE', 'PSK', 'PSK_WITH_CONTEXT', 'RESERVED'],
  },
  ENCAP_CAP: { shift: 12, width: 1, r: true, q: true, since: 0x11 },
  HBEAT_CAP: { shift: 13, width: 1, r: true, q: true, since: 0x11 },
  KEY_UPD_CAP: { shift: 14, width: 1, r: true, q: true, since: 0x11 },
  HANDSHAKE_IN_THE_CLEAR_CAP: { shift: 15, width: 1, r: true, q: true, since: 0x11 },
  PUB_KEY_ID_CAP: { shift: 16, width: 1, r: true, q: true, since: 0x11 },
  CHUNK_CAP: { shift: 17, width: 1, r: true, q: true, since: 0x12 },
  ALIAS_CERT_CAP: { shift: 18, width: 1, r: true, q: false, since: 0x12 },
  SET_CERT_CAP: { shift: 19, width: 1, r: true, q: false, since: 0x12 },
  CSR_CAP: { shift: 20, width: 1, r: true, q: false, since: 0x12 },
  CERT_INSTALL_RESET_CAP: { shift: 21, width: 1, r: true, q: false, since: 0x12 },
  EP_INFO_CAP: {
    shift: 22,
    width: 2,
    r: true,
    q: true,
    since: 0x13,
    values: ['NONE', 'NO_SIG', 'SIG', 'RESERVED'],
  },
  MEL_CAP: { shift: 24, width: 1, r: true, q: false, since: 0x13 },
  EVENT_CAP: { shift: 25, width: 1, r: true, q: true, since: 0x13 },
  MULTI_KEY_CAP: {
    shift: 26,
    width: 2,
    r: true,
    q: true,
    since: 0x13,
    values: ['NONE', 'ONLY', 'NEG', 'RESERVED'],
  },
  GET_KEY_PAIR_INFO_CAP: { shift: 28, width: 1, r: true, q: false, since: 0x13 },
  SET_KEY_PAIR_INFO_CAP: { shift: 29, width: 1, r: true, q: false, since: 0x13 },
  SET_KEY_PAIR_RESET_CAP: { shift: 30, width: 1, r: true, q: false, since: 0x14 },
  LARGE_RESP_CAP: { shift: 31, width: 1, r: true, q: true, since: 0x14 },
} as const satisfies Record<string, CapabilityField>;

export type CapabilityName = keyof typeof CAPABILITY_FLAGS;

/**
 * Ready-made flag values (ORed into a Flags word). 2-bit fields have one constant per value;
 * `MEAS_CAP_SIG` is MEAS_CAP = 10b, `PSK_CAP_RESPONDER` is PSK_CAP = 01b, and so on.
 */
export const CAP = {
  CACHE: 1 << 0,
  CERT: 1 << 1,
  CHAL: 1 << 2,
  MEAS_NO_SIG: 1 << 3,
  MEAS_SIG: 2 << 3,
  MEAS_FRESH: 1 << 5,
  ENCRYPT: 1 << 6,
  MAC: 1 << 7,
  MUT_AUTH: 1 << 8,
  KEY_EX: 1 << 9,
  PSK: 1 << 10,
  PSK_WITH_CONTEXT: 2 << 10,
  ENCAP: 1 << 12,
  HBEAT: 1 << 13,
  KEY_UPD: 1 << 14,
  HANDSHAKE_IN_THE_CLEAR: 1 << 15,
  PUB_KEY_ID: 1 << 16,
  CHUNK: 1 << 17,
  ALIAS_CERT: 1 << 18,
  SET_CERT: 1 << 19,
  CSR: 1 << 20,
  CERT_INSTALL_RESET: 1 << 21,
  EP_INFO_NO_SIG: 1 << 22,
  EP_INFO_SIG: 2 << 22,
  MEL: 1 << 24,
  EVENT: 1 << 25,
  MULTI_KEY_ONLY: 1 << 26,
  MULTI_KEY_NEG: 2 << 26,
  GET_KEY_PAIR_INFO: 1 << 28,
  SET_KEY_PAIR_INFO: 1 << 29,
  SET_KEY_PAIR_RESET: 1 << 30,
  LARGE_RESP: 2 ** 31,
} as const;

const ENTRIES = Object.entries(CAPABILITY_FLAGS) as [CapabilityName, CapabilityField][];

function fieldMask(f: CapabilityField): number {
  return ((f.width === 2 ? 3 : 1) << f.shift) >>> 0;
}

/** Value of one field of a Flags word (0/1, or 0..3 for a 2-bit field). */
export function capField(flags: number, name: CapabilityName): number {
  const f: CapabilityField = CAPABILITY_FLAGS[name];
  return (flags >>> f.shift) & (f.width === 2 ? 3 : 1);
}

/** True when the field `name` is non-zero in `flags`. */
export function hasCap(flags: number, name: CapabilityName): boolean {
  return capField(flags, name) !== 0;
}

function definedFor(f: CapabilityField, role: CapRole, version: number): boolean {
  if (role === 'responder') return f.r && version >= f.since;
  return f.q && version >= (f.qSince ?? f.since);
}

/**
 * The bits a `role` may set at `version` (libspdm `SPDM_GET_CAPABILITIES_*_FLAGS_1x_MASK`;
 * a 1.0 requester has no flags at all).
 */
export function capabilityMask(role: CapRole, version: number): number {
  let m = 0;
  for (const [, f] of ENTRIES) if (definedFor(f, role, version)) m |= fieldMask(f);
  return m >>> 0;
}

/** `flags` without the bits undefined for `role` at `version` (what libspdm stores). */
export function maskCapabilities(flags: number, role: CapRole, version: number): number {
  return (flags & capabilityMask(role, version)) >>> 0;
}

/**
 * Names of the flags set in `flags` as `role` defines them: `CERT_CAP`, `MEAS_CAP=SIG`,
 * `PSK_CAP=PSK`; bits the role does not define come out as `UNDEFINED_BIT_n`.
 */
export function capabilityNames(flags: number, role: CapRole): string[] {
  const out: string[] = [];
  let known = 0;
  for (const [name, f] of ENTRIES) {
    if (!(role === 'responder' ? f.r : f.q)) continue;
    known |= fieldMask(f);
    const v = capField(flags, name);
    if (v === 0) continue;
    out.push(f.values ? `${name}=${f.values[v]}` : name);
  }
  for (let bit = 0; bit < 32; bit++) {
    const m = (1 << bit) >>> 0;
    if ((flags & m) !== 0 && (known & m) === 0) out.push(`UNDEFINED_BIT_${bit}`);
  }
  return out;
}

/** Rules shared by both directions for 1.1+ (spdm-reference §2.2 "Both, 1.1+"). */
function checkCommon11(c: (n: CapabilityName) => number, version: number): string | null {
  const keyEx = c('KEY_EX_CAP');
  const psk = c('PSK_CAP');
  const secure = c('MAC_CAP') || c('ENCRYPT_CAP');
  if (keyEx || psk) {
    if (!secure) return 'KEY_EX_CAP or PSK_CAP needs MAC_CAP and/or ENCRYPT_CAP';
  } else {
    for (const n of [
      'MAC_CAP',
      'ENCRYPT_CAP',
      'HANDSHAKE_IN_THE_CLEAR_CAP',
      'HBEAT_CAP',
      'KEY_UPD_CAP',
    ] as const) {
      if (c(n)) return `${n} needs KEY_EX_CAP or PSK_CAP`;
    }
    if (version >= SPDM_VERSION.V13 && c('EVENT_CAP')) return 'EVENT_CAP needs KEY_EX_CAP or PSK_CAP';
  }
  if (!keyEx && psk && c('HANDSHAKE_IN_THE_CLEAR_CAP')) {
    return 'HANDSHAKE_IN_THE_CLEAR_CAP with PSK_CAP needs KEY_EX_CAP';
  }
  if (c('CERT_CAP') && c('PUB_KEY_ID_CAP')) return 'CERT_CAP and PUB_KEY_ID_CAP are mutually exclusive';
  if (c('MUT_AUTH_CAP') && !keyEx && !c('CHAL_CAP')) return 'MUT_AUTH_CAP needs KEY_EX_CAP or CHAL_CAP';
  if (version === SPDM_VERSION.V11 && c('MUT_AUTH_CAP') && !c('ENCAP_CAP')) {
    return 'SPDM 1.1: MUT_AUTH_CAP needs ENCAP_CAP';
  }
  if (version >= SPDM_VERSION.V13) {
    if (c('EP_INFO_CAP') === 3) return 'EP_INFO_CAP = 11b is reserved';
    if (c('MULTI_KEY_CAP') === 3) return 'MULTI_KEY_CAP = 11b is reserved';
  }
  return null;
}

/**
 * The libspdm responder's checks on a requester's Flags (`libspdm_check_request_flag_compatibility`).
 * @returns why the flags are inconsistent, or null when they are acceptable.
 */
export function checkRequesterCaps(flags: number, version: number): string | null {
  if (version < SPDM_VERSION.V11) return null;
  const c = (n: CapabilityName) => capField(flags, n);
  if (c('PSK_CAP') >= 2) return `requester PSK_CAP = ${c('PSK_CAP').toString(2)}b is reserved`;
  const common = checkCommon11(c, version);
  if (common) return common;
  const hasKey = c('CERT_CAP') || c('PUB_KEY_ID_CAP');
  if (hasKey) {
    const epSig = version >= SPDM_VERSION.V13 && c('EP_INFO_CAP') === 2;
    if (!c('CHAL_CAP') && !c('KEY_EX_CAP') && !epSig) {
      return 'CERT_CAP / PUB_KEY_ID_CAP needs a use for the key (CHAL_CAP, KEY_EX_CAP or signed EP_INFO_CAP)';
    }
  } else {
    if (c('CHAL_CAP')) return 'CHAL_CAP needs CERT_CAP or PUB_KEY_ID_CAP';
    if (c('MUT_AUTH_CAP')) return 'MUT_AUTH_CAP needs CERT_CAP or PUB_KEY_ID_CAP';
    if (version >= SPDM_VERSION.V13 && c('EP_INFO_CAP') === 2) {
      return 'signed EP_INFO_CAP needs CERT_CAP or PUB_KEY_ID_CAP';
    }
  }
  if (version >= SPDM_VERSION.V13 && c('MULTI_KEY_CAP') !== 0 && (c('PUB_KEY_ID_CAP') || !c('CERT_CAP'))) {
    return 'MULTI_KEY_CAP needs CERT_CAP and excludes PUB_KEY_ID_CAP';
  }
  return null;
}

/**
 * The libspdm requester's checks on a responder's Flags (`validate_responder_capability`).
 * @returns why the flags are inconsistent, or null when they are acceptable.
 */
export function checkResponderCaps(flags: number, version: number): string | null {
  const c = (n: CapabilityName) => capField(flags, n);
  const meas = c('MEAS_CAP');
  if (meas === 3) return 'MEAS_CAP = 11b is reserved';
  if (meas === 0 && c('MEAS_FRESH_CAP')) return 'MEAS_FRESH_CAP needs MEAS_CAP';
  if (version === SPDM_VERSION.V10) {
    if (meas === 2 && !c('CERT_CAP')) return 'SPDM 1.0: signed measurements need CERT_CAP';
    if (meas !== 2 && c('CERT_CAP') !== c('CHAL_CAP')) return 'SPDM 1.0: CERT_CAP must equal CHAL_CAP';
    return null;
  }
  if (c('PSK_CAP') === 3) return 'PSK_CAP = 11b is reserved';
  const common = checkCommon11(c, version);
  if (common) return common;
  const hasKey = c('CERT_CAP') || c('PUB_KEY_ID_CAP');
  if (hasKey) {
    const epSig = version >= SPDM_VERSION.V13 && c('EP_INFO_CAP') === 2;
    if (!c('CHAL_CAP') && !c('KEY_EX_CAP') && meas !== 2 && !epSig) {
      return 'CERT_CAP / PUB_KEY_ID_CAP needs a use for the key (CHAL, KEY_EX, signed MEAS or signed EP_INFO)';
    }
  } else {
    if (c('CHAL_CAP') || c('KEY_EX_CAP') || meas === 2 || c('MUT_AUTH_CAP')) {
      return 'CHAL_CAP, KEY_EX_CAP, signed MEAS_CAP and MUT_AUTH_CAP need CERT_CAP or PUB_KEY_ID_CAP';
    }
    if (version >= SPDM_VERSION.V13 && c('EP_INFO_CAP') === 2) {
      return 'signed EP_INFO_CAP needs CERT_CAP or PUB_KEY_ID_CAP';
    }
  }
  if (version >= SPDM_VERSION.V12) {
    if (!c('CERT_CAP') && (c('ALIAS_CERT_CAP') || c('SET_CERT_CAP'))) {
      return 'ALIAS_CERT_CAP and SET_CERT_CAP need CERT_CAP';
    }
    if (c('CSR_CAP') && !c('SET_CERT_CAP')) return 'CSR_CAP needs SET_CERT_CAP';
    if (c('CERT_INSTALL_RESET_CAP') && !c('CSR_CAP') && !c('SET_CERT_CAP')) {
      return 'CERT_INSTALL_RESET_CAP needs CSR_CAP or SET_CERT_CAP';
    }
  }
  if (version >= SPDM_VERSION.V13) {
    if (c('MULTI_KEY_CAP') !== 0 && (!c('GET_KEY_PAIR_INFO_CAP') || !c('CERT_CAP'))) {
      return 'MULTI_KEY_CAP needs CERT_CAP and GET_KEY_PAIR_INFO_CAP';
    }
    if (
      c('PUB_KEY_ID_CAP') &&
      (c('MULTI_KEY_CAP') || c('GET_KEY_PAIR_INFO_CAP') || c('SET_KEY_PAIR_INFO_CAP'))
    ) {
      return 'PUB_KEY_ID_CAP excludes MULTI_KEY_CAP, GET_KEY_PAIR_INFO_CAP and SET_KEY_PAIR_INFO_CAP';
    }
  }
  return null;
}

/**
 * The flags a side actually sends at `version`: `flags` masked to what `role` defines there,
 * and, at 1.1, MUT_AUTH_CAP dropped when ENCAP_CAP is absent. DSP0274 1.1 ties mutual
 * authentication to the encapsulated flow, which this stack does not implement, so a 1.1
 * connection runs without mutual authentication rather than failing (deliberate; callers that
 * need mutual authentication check `Negotiated` caps and refuse).
 */
export function capsForVersion(flags: number, role: CapRole, version: number): number {
  let f = maskCapabilities(flags, role, version);
  if (version === SPDM_VERSION.V11 && (f & CAP.MUT_AUTH) !== 0 && (f & CAP.ENCAP) === 0) f &= ~CAP.MUT_AUTH;
  return f >>> 0;
}

/** The checker that applies to flags sent by `role`. */
export function checkCaps(flags: number, role: CapRole, version: number): string | null {
  return role === 'requester' ? checkRequesterCaps(flags, version) : checkResponderCaps(flags, version);
}
