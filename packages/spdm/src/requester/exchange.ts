/**
 * The requester's view of a transport: one plain request/response function (`Exchange`), and a
 * wrapper that handles the two "try again" answers outside the phases (conventions #7):
 *
 * - ERROR(Busy): wait `busyDelayMs` and send the same request again, at most `busyRetries` times;
 * - ERROR(ResponseNotReady) (DSP0274 1.3 "ERROR response", DSP0274 1.3 "RESPOND_IF_READY request"): wait 2^RDExponent µs, then send
 *   RESPOND_IF_READY (Param1 = original request code, Param2 = Token) in the request's version;
 *   its answer is the answer to the original request. At most `notReadyRetries` times.
 *
 * Like the libspdm requester, a ResponseNotReady naming another request code or an RDExponent
 * above 31 is refused, and GET_VERSION never waits (the spec forbids ResponseNotReady there).
 * Unlike libspdm 1e16c60f we accept RDTM = 1, which the libspdm responder itself sends
 * (spdm-reference §2.13). A wait longer than `maxNotReadyDelayMs` fails with Timeout instead of
 * sleeping for minutes. What remains an ERROR after the retries is returned to the phase, which
 * turns it into SpdmError Busy / Peer.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { SpdmError } from '../errors.js';
import { ERROR_CODE, REQUEST_CODE, RESPONSE_CODE } from '../msgs/codes.js';
import { encodeToBytes } from '../msgs/encode.js';
import { decodeErrorResponse, encodeRespondIfReady, type ResponseNotReadyData } from '../msgs/error.js';
import { HEADER_SIZE } from '../msgs/header.js';

/** Sends one SPDM request and resolves with the complete response message. */
export type Exchange = (request: Uint8Array, signal?: AbortSignal) => Promise<Uint8Array>;

export interface RetryOptions {
  /** Resends after ERROR(Busy). Default 3. */
  readonly busyRetries?: number;
  /** Wait before resending after Busy, ms. Default 100. */
  readonly busyDelayMs?: number;
  /** RESPOND_IF_READY rounds. Default 3. */
  readonly notReadyRetries?: number;
  /** Longest wait a ResponseNotReady may ask for, ms. Default 10 000. */
  readonly maxNotReadyDelayMs?: number;
  /** Sleep function (tests may pass a recording one). Default node:timers/promises setTimeout. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  await delay(ms, undefined, signal ? { signal } : undefined);
}

async function pause(
  sleep: NonNullable<RetryOptions['sleep']>,
  ms: number,
  signal?: AbortSignal,
): Promise<void> {
  try {
    await sleep(ms, signal);
  } catch (e) {
    if (signal?.aborted) throw new SpdmError('Aborted', 'aborted while waiting to retry', { cause: e });
    throw e;
  }
  throwIfAborted(signal);
}

/** Throws SpdmError Aborted when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SpdmError('Aborted', 'aborted', { cause: signal.reason });
}

/** Runs `exchange`, turning anything but an SpdmError into Transport / Aborted. */
export async function guardedExchange(
  exchange: Exchange,
  request: Uint8Array,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  throwIfAborted(signal);
  try {
    const rsp = await exchange(request, signal);
    if (!(rsp instanceof Uint8Array)) throw new TypeError('exchange must resolve with a Uint8Array');
    return rsp;
  } catch (e) {
    if (e instanceof SpdmError) throw e;
    if (signal?.aborted) throw new SpdmError('Aborted', 'aborted', { cause: e });
    throw new SpdmError('Transport', `exchange failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
}

/** The ERROR code of `rsp`, or null when it is not an ERROR message. */
function errorCodeOf(rsp: Uint8Array): number | null {
  return rsp.length >= HEADER_SIZE && rsp[1] === RESPONSE_CODE.ERROR ? (rsp[2] ?? null) : null;
}

/** @throws SpdmError InvalidMsgField / Timeout when a ResponseNotReady cannot be honoured. */
function notReadyDelayMs(d: ResponseNotReadyData, requestCode: number, maxMs: number): number {
  if (d.requestCode !== requestCode) {
    throw new SpdmError('InvalidMsgField', `ResponseNotReady names request 0x${d.requestCode.toString(16)}`, {
      wireCode: ERROR_CODE.ResponseNotReady,
    });
  }
  if (d.rdExponent > 31) {
    throw new SpdmError('InvalidMsgField', `ResponseNotReady RDExponent ${d.rdExponent} above 31`, {
      wireCode: ERROR_CODE.ResponseNotReady,
    });
  }
  const ms = Math.ceil(2 ** d.rdExponent / 1000);
  if (ms > maxMs) {
    throw new SpdmError('Timeout', `ResponseNotReady asks for ${ms} ms, more than ${maxMs} ms`, {
      wireCode: ERROR_CODE.ResponseNotReady,
    });
  }
  return ms;
}

/**
 * Wraps `exchange` with the Busy / ResponseNotReady handling described above.
 * @returns an Exchange that rejects with SpdmError only (Transport, Aborted, Timeout, InvalidMsgField).
 */
export function withRetries(exchange: Exchange, opts: RetryOptions = {}): Exchange {
  const busyRetries = opts.busyRetries ?? 3;
  const busyDelayMs = opts.busyDelayMs ?? 100;
  const notReadyRetries = opts.notReadyRetries ?? 3;
  const maxNotReadyDelayMs = opts.maxNotReadyDelayMs ?? 10_000;
  const sleep = opts.sleep ?? defaultSleep;
  return async (request, signal) => {
    if (request.length < HEADER_SIZE) throw new RangeError('request shorter than the SPDM header');
    const version = request[0] ?? 0;
    const code = request[1] ?? 0;
    let rsp = await guardedExchange(exchange, request, signal);
    let busy = 0;
    let notReady = 0;
    for (;;) {
      const err = errorCodeOf(rsp);
      if (err === ERROR_CODE.Busy && busy < busyRetries) {
        busy++;
        await pause(sleep, busyDelayMs, signal);
        rsp = await guardedExchange(exchange, request, signal);
      } else if (
        err === ERROR_CODE.ResponseNotReady &&
        code !== REQUEST_CODE.GET_VERSION &&
        notReady < notReadyRetries
      ) {
        notReady++;
        const d = decodeErrorResponse(rsp).notReady;
        if (!d) return rsp;
        await pause(sleep, notReadyDelayMs(d, code, maxNotReadyDelayMs), signal);
        const rir = encodeToBytes(encodeRespondIfReady, {
          code: REQUEST_CODE.RESPOND_IF_READY,
          version,
          requestCode: code,
          token: d.token,
        });
        rsp = await guardedExchange(exchange, rir, signal);
      } else {
        return rsp;
      }
    }
  };
}
