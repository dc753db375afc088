/**
 * Is a candidate peer address this sled's own SPDM listener? True when the port is ours and the
 * host is the one we listen on, or we listen on every address (0.0.0.0 / ::) and the host is
 * one of this machine's addresses. A hint only: the fetch also compares the responder's
 * certificate with ours (fetch.ts), which catches what addresses cannot (NAT, host names).
 */
import { isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { HostPort } from '../discovery/address.js';

function localAddresses(): Set<string> {
  const out = new Set<string>(['127.0.0.1', '::1', 'localhost']);
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) out.add(a.address);
  }
  return out;
}

function unspecified(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

function normal(host: string): string {
  const h = host.toLowerCase();
  if (h.startsWith('::ffff:') && isIPv4(h.slice(7))) return h.slice(7);
  return h;
}

/** True when `candidate` is the address `bound` (our SPDM listener) answers on. */
export function isSelfAddress(candidate: HostPort, bound: HostPort): boolean {
  if (candidate.port !== bound.port) return false;
  const c = normal(candidate.host);
  const b = normal(bound.host);
  if (c === b) return true;
  return unspecified(b) && localAddresses().has(c);
}
