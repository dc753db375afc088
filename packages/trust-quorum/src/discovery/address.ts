/**
 * `HOST:PORT` addresses as written in the agent config and on the command line: an IPv4
 * literal, a bracketed IPv6 literal (`[::1]:4194`, `[fe80::1%eth0]:4194`) or a host name.
 * Parsing is strict (no defaults, no surrounding space) so a typo is an error, not a surprise.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface HostPort {
  /** IPv4 literal, IPv6 literal without brackets (may carry a `%zone`), or a host name. */
  readonly host: string;
  readonly port: number;
}

export interface ParseHostPortInit {
  /** Accept port 0 (let the OS choose: listening sockets in tests); default false. */
  readonly allowPortZero?: boolean;
  /** Accept host names, not only IP literals; default true. */
  readonly allowNames?: boolean;
}

/** RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens. */
const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function parsePort(text: string, allowZero: boolean): number {
  if (!/^[0-9]{1,5}$/.test(text)) throw new RangeError('port must be a number');
  const port = Number(text);
  if (port > 65535 || (port === 0 && !allowZero)) {
    throw new RangeError(`port must be ${allowZero ? 0 : 1} to 65535`);
  }
  return port;
}

/**
 * Parses `HOST:PORT`.
 * @throws RangeError with a one-line reason (no quoting of the input) when it is not one.
 */
export function parseHostPort(text: string, init: ParseHostPortInit = {}): HostPort {
  const allowZero = init.allowPortZero ?? false;
  const bracketed = /^\[([^\]]+)\]:([^:]*)$/.exec(text);
  if (bracketed !== null) {
    const host = bracketed[1]!;
    if (!isIPv6(host)) throw new RangeError('not an IPv6 address in brackets');
    return { host, port: parsePort(bracketed[2]!, allowZero) };
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) throw new RangeError('want HOST:PORT (IPv6 in brackets: [::1]:4194)');
  const host = text.slice(0, colon);
  if (host.includes(':')) throw new RangeError('put an IPv6 address in brackets: [::1]:4194');
  if (!isIPv4(host)) {
    if (init.allowNames === false) throw new RangeError('want an IP address, not a host name');
    if (!HOST_NAME.test(host)) throw new RangeError('not an IPv4 address or host name');
  }
  return { host, port: parsePort(text.slice(colon + 1), allowZero) };
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatHostPort(a: HostPort): string {
  return isIPv6(a.host) ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
