/**
 * Deadlines and cancellation for the transport drivers: option checking, the typed errors a
 * deadline or an AbortSignal produces, and one timer-plus-abort-listener guard that is always
 * cleaned up.
 */
import { SpdmError } from '../errors.js';

/** Default for connect, send and receive deadlines. */
export const DEFAULT_TIMEOUT_MS = 5_000;

/** Largest delay setTimeout honours; longer deadlines are clamped to it. */
const MAX_TIMER_MS = 0x7fffffff;

/**
 * Validates a timeout option: a positive number of milliseconds, or Infinity for none.
 * @throws RangeError otherwise.
 */
export function checkTimeout(ms: number | undefined, fallback: number, what: string): number {
  const v = ms ?? fallback;
  if (typeof v !== 'number' || Number.isNaN(v) || v <= 0) {
    throw new RangeError(`${what} must be a positive number of milliseconds (or Infinity), got ${v}`);
  }
  return v;
}

/** The 'Aborted' error for a signal, with its reason as cause. */
export function abortError(signal: AbortSignal, what: string): SpdmError {
  return new SpdmError('Aborted', `${what} aborted`, { cause: signal.reason });
}

/** The 'Timeout' error for a deadline. */
export function timeoutError(what: string, ms: number): SpdmError {
  return new SpdmError('Timeout', `${what} timed out after ${ms} ms`);
}

/**
 * Arms a timer and an abort listener; `onFire` gets the Timeout or Aborted error once, at
 * most. The returned function disarms both (call it on every completion path).
 */
export function guard(
  what: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  onFire: (e: SpdmError) => void,
): () => void {
  let done = false;
  const fire = (e: SpdmError): void => {
    if (done) return;
    disarm();
    onFire(e);
  };
  const timer = Number.isFinite(timeoutMs)
    ? setTimeout(() => fire(timeoutError(what, timeoutMs)), Math.min(timeoutMs, MAX_TIMER_MS))
    : undefined;
  const onAbort = (): void => fire(abortError(signal!, what));
  signal?.addEventListener('abort', onAbort, { once: true });
  function disarm(): void {
    done = true;
    if (timer !== undefined) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
  return disarm;
}
