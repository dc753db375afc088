/**
 * Bytes captured from DMTF's tools (spdm-emu 85436d53, libspdm 1e16c60f, SPDM-Responder-Validator
 * cf49a913; Release build, CRYPTO=openssl) while running them against this stack, for the
 * interop regression tests: each constant is a message one of those tools sent (or answered)
 * that exposed a bug, kept so that `npm test` checks the fix without the emulator.
 *
 * Capture method: our responder's ResponderCore.handle wrapped to log every (decrypted) request
 * and response in hex; our requester's exchange wrapped the same way. Hex is lowercase, wire
 * order, SPDM messages only (no transport bytes). Responses listed here are the ones the fixed
 * code gave, which the tool then accepted.
 */

/** spdm_device_validator_sample --trans NONE against our responder (CERT|CHAL|MEAS_SIG, libspdm ecp384 chain). */
export const VALIDATOR_NONE_12 = {
  getVersion: '10840000',
  version: '100400000003001100120013',
  getCapabilities: '12e1000000000000c67302008012000000800200',
  capabilities: '1261000000140000160000000012000000120000',
  negotiateAlgorithms:
    '12e3040030000102ff0f00007f0000000000000000000000000000000000000002207f0003200f000420ff0f05200100',
  /** DHE, AEAD, ReqBaseAsym and KeySchedule all 0: no KEY_EX_CAP, no MUT_AUTH_CAP (validator 3.6.13-16). */
  algorithms:
    '12630400340001020200000080000000010000000000000000000000000000000000000002200000032000000420000005200000',
} as const;

/**
 * spdm_device_validator_sample --trans MCTP against our responder without MUT_AUTH_CAP (it has no
 * ENCAP_CAP, and the validator wants ENCAP_CAP with MUT_AUTH_CAP: 2.5.10), libspdm ecp384 chain,
 * HANDSHAKE_IN_THE_CLEAR on.
 */
export const VALIDATOR_MCTP_11 = {
  getVersion: '10840000',
  version: '100400000003001100120013',
  getCapabilities: '11e1000000000000c6720000',
  capabilities: '1161000000140000d6e20000',
  negotiateAlgorithms:
    '11e3040030000100ff0f00007f0000000000000000000000000000000000000002207f0003200f000420ff0f05200100',
  /** ReqBaseAsymAlg 0 (validator 3.5.15; we answered ECDSA P-256 = 0x0010 before). */
  algorithms:
    '11630400340001000200000080000000010000000000000000000000000000000000000002200800032002000420000005200100',
} as const;

/** Validator requests that must be answered in a session or with SessionRequired (9.11, 12.4, 13.5, 16.4). */
export const VALIDATOR_OUTSIDE_SESSION_12 = {
  heartbeat: '12e80000',
  keyUpdate: '12e90100',
  endSession: '12ec0000',
  /** FINISH in the clear without HANDSHAKE_IN_THE_CLEAR (its verify data is the validator's). */
  finish: '12e5000032215f5e7593707fd33416e5eccd0cc6ba0811222bf6c2339b2ac80434f3a621',
  sessionRequired: '127f0b00',
} as const;

/**
 * Validator 9.6: FINISH in the session with SignatureIncluded and ReqSlotID 1..15 although no
 * mutual authentication was requested, then one without its verify data; each must get
 * ERROR(InvalidRequest) and the session must stay usable (we ended it and closed the
 * connection). The RequesterVerifyData bytes are the validator's (the header is what matters).
 */
export const VALIDATOR_FINISH_INVALID = {
  headerPrefix: '13e501',
  verifyData: '8568354638fee9bd09e3c5176dd7e68a0a0e1fde1a481b4a3ec3b1948018d2f3',
  invalidSize: '13e50000',
  invalidRequest: '137f0100',
} as const;

/** Validator 7.7 (1.1): signed GET_MEASUREMENTS in an established session: count, all, index 1. */
export const VALIDATOR_MEASUREMENTS_IN_SESSION_11 = [
  '11e00100000000000000000000000000000000000000000000000000000000000000000000',
  '11e001ff000000000000000000000000000000000000000000000000000000000000000000',
  '11e00101000000000000000000000000000000000000000000000000000000000000000000',
] as const;

/** spdm_requester_emu with --exe_session MEAS (1.3): in-session count, then index 1 signed. */
export const EMU_REQUESTER_MEASUREMENTS_IN_SESSION_13 = [
  '13e00000aabbccddeeff0000',
  '13e001017e43c5552f139747c09bcb402eb8b92f68d60fa0158e4bf1d57d9b84a68a178d00aabbccddeeff0001',
] as const;

/**
 * spdm_requester_emu at its defaults (offers only RSA requester signatures) against our responder
 * with its default capabilities (MUT_AUTH_CAP): we answered ERROR(InvalidRequest) "no common
 * ReqBaseAsymAlg" before RSA joined our default preferences.
 */
export const EMU_REQUESTER_DEFAULT_VCA_13 = {
  getVersion: '10840000',
  version: '100400000003001100120013',
  getCapabilities: '13e1000000000000c6f782080012000000800200',
  capabilities: '1361000000140000d66300000012000000120000',
  negotiateAlgorithms:
    '13e304003000010290000000030000000000000000000000000000000000000102201b000320060004200f0005200100',
  /** ReqBaseAsymAlg = RSAPSS_3072 (0x0008). */
  algorithms:
    '13630400340001020200000080000000010000000000000000000000000000000000000002200800032002000420080005200100',
} as const;

/**
 * spdm_responder_emu (defaults, --asym ECDSA_P256) answering our requester when it still
 * advertised CHAL_CAP: CHALLENGE_AUTH with BasicMutAuthReq (Param1 bit 7), which asks for the
 * encapsulated flow we do not implement.
 */
export const EMU_RESPONDER_BASIC_MUT_AUTH = {
  /** Our GET_CAPABILITIES then (flags 0x63c6: CERT, CHAL, ENCRYPT, MAC, MUT_AUTH, KEY_EX, HBEAT, KEY_UPD). */
  oldGetCapabilities: '12e1000000140000c66300000012000000120000',
  challengeAuthHeader: '12038003',
} as const;

/** PLDM GetTID inside an MCTP session: spdm_requester_emu's request, spdm_responder_emu's answer. */
export const PLDM_GET_TID = {
  request: '01800002',
  response: '010000020001',
} as const;

/** Hex to bytes. */
export function hx(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}
