/** Peer discovery: UDP multicast announcements (hints only) merged with a static peer list. */
export { formatHostPort, type HostPort, type ParseHostPortInit, parseHostPort } from './address.js';
export {
  ANNOUNCEMENT_MAGIC,
  ANNOUNCEMENT_VERSION,
  type Announcement,
  decodeAnnouncement,
  encodeAnnouncement,
  MAX_ANNOUNCEMENT_BYTES,
} from './announcement.js';
export { Discovery, type DiscoveryEvents, type DiscoveryInit, type DiscoveryStats } from './discovery.js';
export { type MulticastGroup, parseMulticastGroup } from './group.js';
export {
  type DiscoveredPeer,
  MAX_PEERS,
  mergeCandidates,
  type ObserveResult,
  type PeerCandidate,
  PeerTable,
} from './peer-table.js';
