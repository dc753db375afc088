/**
 * The logger the agent's parts take (conventions #12: passed in, optional). It is the subset of
 * pino's `Logger` they use, so a pino logger (or a child of one) can be passed as is; tests and
 * library callers that pass nothing get {@link silentLog}. Fields must never carry secrets.
 */

/** One structured log call: fields first, then the message (pino's order). */
export type LogFn = (fields: Record<string, unknown>, msg: string) => void;

export interface Log {
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
}

const nothing: LogFn = () => {};

/** A logger that drops everything. */
export const silentLog: Log = { debug: nothing, info: nothing, warn: nothing, error: nothing };
