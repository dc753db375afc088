/**
 * The logger the share server and collector take (conventions #12: passed in, optional): the
 * pino method shape `(fields, msg)`, every level optional, so a pino logger or a child of one
 * is passed as is. `logTo` never throws: a broken logger must not break the protocol. Callers
 * put names, codes, x-coordinates and fingerprints in fields, never share or secret bytes.
 */

/** One structured log call: fields first, then the message (pino's order). */
export type ShareLogFn = (fields: Record<string, unknown>, msg: string) => void;

export interface ShareLogger {
  readonly debug?: ShareLogFn;
  readonly info?: ShareLogFn;
  readonly warn?: ShareLogFn;
  readonly error?: ShareLogFn;
}

export type ShareLogLevel = keyof ShareLogger;

/** Logs through `logger` when there is one; swallows anything the logger throws. */
export function logTo(
  logger: ShareLogger | undefined,
  level: ShareLogLevel,
  fields: Record<string, unknown>,
  msg: string,
): void {
  if (logger === undefined) return;
  try {
    logger[level]?.call(logger, fields, msg);
  } catch {
    // Logging is best effort.
  }
}

/** A loggable summary of any thrown value: code and message, never a cause chain. */
export function errorFields(e: unknown): Record<string, string> {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' ? { error: e.message, code } : { error: e.message };
  }
  return { error: 'non-error thrown' };
}
