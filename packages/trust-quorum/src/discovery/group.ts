/**
 * Multicast groups for discovery: IPv4 224.0.0.0/4 (RFC 5771; 239.0.0.0/8 is the
 * administratively scoped block of RFC 2365, the right place for a rack) and IPv6 ff00::/8
 * (RFC 4291 §2.7; ff02::/16 is link-local scope and needs an interface).
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface MulticastGroup {
  readonly address: string;
  readonly family: 4 | 6;
  /** IPv6 link-local scope (ff02::/16, scope nibble 2): needs an interface to mean anything. */
  readonly linkLocal: boolean;
}

/** The group, or a one-line reason why `text` is not a multicast group. */
export function parseMulticastGroup(text: string): MulticastGroup | string {
  if (isIPv4(text)) {
    const first = Number(text.split('.')[0]);
    if (first < 224 || first > 239) return 'not an IPv4 multicast address (224.0.0.0/4, e.g. 239.255.41.94)';
    return { address: text, family: 4, linkLocal: false };
  }
  if (isIPv6(text) && !text.includes('%')) {
    const lower = text.toLowerCase();
    if (!lower.startsWith('ff')) return 'not an IPv6 multicast address (ff00::/8, e.g. ff02::4194)';
    // ffXS::: X flags, S scope (RFC 4291 §2.7); a group like "ff2::" is not ffXS.
    const head = lower.split(':')[0]!;
    if (head.length !== 4) return 'not an IPv6 multicast address (ff00::/8, e.g. ff02::4194)';
    return { address: lower, family: 6, linkLocal: head[3] === '2' };
  }
  return 'not a multicast address (IPv4 239.x.x.x or IPv6 ff02::x)';
}
