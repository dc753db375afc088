/**
 * Rules a sled applies to a ledger about itself: at boot (the loaded ledger) and at rack init
 * (the prepared one). A ledger names this sled when the member whose certificate is this
 * sled's leaf has the configured sled id and the share is that member's: member i (0-based)
 * holds the share x = i + 1, as `tq rack gen-config` and `tq rack init` split them.
 */
import { X509Certificate } from 'node:crypto';
import type { Ledger } from '../ledger/ledger.js';

/**
 * Why `ledger` is not this sled's ledger, or null when it is.
 * @param sledId this sled's id (agent config).
 * @param leafDer DER of this sled's device-identity certificate.
 */
export function ledgerSelfProblem(ledger: Ledger, sledId: string, leafDer: Uint8Array): string | null {
  const member = ledger.memberFor(leafDer);
  if (member === undefined) return `rack ${ledger.rackId} does not list this sled's certificate`;
  if (member.sledId !== sledId) {
    return `rack ${ledger.rackId} lists this sled's certificate as ${member.sledId}, not ${sledId}`;
  }
  const index = ledger.members.findIndex((m) => m.sledId === sledId);
  if (ledger.share.x !== index + 1) {
    return `the share (x=${ledger.share.x}) is not ${sledId}'s (x=${index + 1})`;
  }
  return null;
}

/**
 * True when two ledgers hold the same configuration and share (generation aside): rack, epoch,
 * threshold, members (ids and certificates), commitments and the share itself.
 */
export function sameConfiguration(a: Ledger, b: Ledger): boolean {
  if (a.rackId !== b.rackId || a.epoch !== b.epoch || a.threshold !== b.threshold) return false;
  if (a.members.length !== b.members.length) return false;
  for (const [i, m] of a.members.entries()) {
    const o = b.members[i]!;
    if (m.sledId !== o.sledId || b.memberFor(new X509Certificate(m.certificate))?.sledId !== o.sledId) {
      return false;
    }
  }
  const ca = a.commitmentsHex();
  const cb = b.commitmentsHex();
  if (ca.length !== cb.length || ca.some((c, i) => c !== cb[i])) return false;
  return a.share.x === b.share.x && a.share.equals(b.share);
}
