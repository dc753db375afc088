/**
 * PLDM GetTID over a secured MCTP session: the one application exchange DMTF's spdm-emu runs
 * inside its sessions (`--exe_session APP` on MCTP). spdm_requester_emu sends it
 * (spdm-emu `library/mctp_requester_lib/pldm_req_control_get_tid.c`) and spdm_responder_emu
 * answers it with TID 1 (`library/mctp_responder_lib/pldm_rsp_control_get_tid.c`); any other
 * application data gets an in-session ERROR(InvalidRequest) from spdm_responder_emu, and on TCP
 * neither emulator sends or serves application data at all.
 *
 * Layout (DSP0240 PLDM base header; libspdm `include/industry_standard/pldm.h`), carried as an
 * MCTP message that keeps its type byte (secured-params.ts):
 *
 *   request   01 ‖ Rq=1 D=0 InstanceID(4:0) ‖ HdrVer=0 PLDMType=0x00 ‖ Command=0x02
 *   response  01 ‖ Rq=0 D=0 InstanceID(4:0) ‖ HdrVer=0 PLDMType=0x00 ‖ Command=0x02 ‖
 *             CompletionCode=0x00 ‖ TID
 *
 * These helpers let our requester talk to spdm_responder_emu and let our responder serve
 * spdm_requester_emu (ResponderSessionsInit.onForeignApp) without a PLDM stack.
 */
import { SpdmError } from '../errors.js';

/** MCTP message type of PLDM (DSP0239). */
export const MCTP_MESSAGE_TYPE_PLDM = 0x01;
/** PLDM type 0: messaging control and discovery. */
export const PLDM_TYPE_CONTROL_DISCOVERY = 0x00;
/** PLDM control command GetTID. */
export const PLDM_GET_TID = 0x02;

const RQ = 0x80;
const DATAGRAM = 0x40;
const INSTANCE_ID_MASK = 0x1f;
const HEADER_VERSION_MASK = 0xc0;
const TYPE_MASK = 0x3f;

/**
 * The MCTP message of a PLDM GetTID request.
 * @throws RangeError for an instance id outside 0..31.
 */
export function encodePldmGetTid(instanceId = 0): Uint8Array {
  if (!Number.isInteger(instanceId) || instanceId < 0 || instanceId > INSTANCE_ID_MASK) {
    throw new RangeError(`PLDM instance id must be 0..31, got ${instanceId}`);
  }
  return Uint8Array.of(MCTP_MESSAGE_TYPE_PLDM, RQ | instanceId, PLDM_TYPE_CONTROL_DISCOVERY, PLDM_GET_TID);
}

/**
 * The answer spdm_responder_emu gives to a GetTID request (TID `tid`), or null when `message`
 * is not one (the caller decides what to do with other application data).
 * @throws RangeError for a TID outside 0..255.
 */
export function answerPldmGetTid(message: Uint8Array, tid = 1): Uint8Array | null {
  if (!Number.isInteger(tid) || tid < 0 || tid > 0xff) throw new RangeError(`TID must be 0..255, got ${tid}`);
  if (message.length !== 4 || message[0] !== MCTP_MESSAGE_TYPE_PLDM) return null;
  const b1 = message[1]!;
  const b2 = message[2]!;
  if ((b1 & RQ) === 0 || (b2 & HEADER_VERSION_MASK) !== 0) return null;
  if ((b2 & TYPE_MASK) !== PLDM_TYPE_CONTROL_DISCOVERY || message[3] !== PLDM_GET_TID) return null;
  return Uint8Array.of(MCTP_MESSAGE_TYPE_PLDM, b1 & INSTANCE_ID_MASK, b2, PLDM_GET_TID, 0x00, tid);
}

/**
 * The TID of a GetTID response, checked as spdm_requester_emu checks it.
 * @throws SpdmError InvalidMsgSize (not 6 bytes), InvalidMsgField (not a successful GetTID
 *   response to instance `instanceId`).
 */
export function decodePldmGetTidResponse(message: Uint8Array, instanceId = 0): number {
  if (message.length !== 6) {
    throw new SpdmError('InvalidMsgSize', `PLDM GetTID response: ${message.length} bytes, want 6`);
  }
  const bad = (why: string): SpdmError => new SpdmError('InvalidMsgField', `PLDM GetTID response: ${why}`);
  if (message[0] !== MCTP_MESSAGE_TYPE_PLDM) throw bad(`MCTP type 0x${message[0]!.toString(16)}`);
  const b1 = message[1]!;
  if ((b1 & (RQ | DATAGRAM)) !== 0 || (b1 & INSTANCE_ID_MASK) !== instanceId)
    throw bad(`header byte 0x${b1.toString(16)}`);
  if (message[2] !== PLDM_TYPE_CONTROL_DISCOVERY || message[3] !== PLDM_GET_TID) {
    throw bad('not a GetTID response');
  }
  if (message[4] !== 0) throw bad(`completion code 0x${message[4]!.toString(16)}`);
  return message[5]!;
}
