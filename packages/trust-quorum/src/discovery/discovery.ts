/**
 * Peer discovery over UDP multicast (node:dgram): announce {sled id, SPDM port, rack id hint}
 * to the group every interval (with ±10% jitter), listen on the same group, keep a table of
 * peers with expiry, and emit `add` / `update` / `remove`. IPv4 groups (239.x) and IPv6 groups
 * (ff02::x with the interface as scope) are supported; multicast loopback is on by default so
 * agents on one machine see each other. Datagrams are bounded and malformed ones are counted
 * and dropped; our own announcements (our sled id) are ignored, and so are announcements with
 * another rack id than ours (when both are known). The static peer list merges in through
 * `peers()`. Everything learned here is a hint: trust comes from SPDM.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { type Log, silentLog } from '../log.js';
import type { HostPort } from './address.js';
import {
  type Announcement,
  decodeAnnouncement,
  encodeAnnouncement,
  MAX_ANNOUNCEMENT_BYTES,
} from './announcement.js';
import { type MulticastGroup, parseMulticastGroup } from './group.js';
import { type DiscoveredPeer, mergeCandidates, type PeerCandidate, PeerTable } from './peer-table.js';

export interface DiscoveryInit {
  readonly sledId: string;
  /** Our SPDM TCP port, announced to peers. */
  readonly spdmPort: number;
  /** Rack id hint to announce and filter by (null: none yet). */
  readonly rackId?: string | null;
  /** False: no socket at all, `peers()` is the static list. Default true. */
  readonly enabled?: boolean;
  readonly group: string | MulticastGroup;
  /** UDP port of the group. */
  readonly port: number;
  /** Default 2000. */
  readonly intervalMs?: number;
  /** Default 5 × intervalMs. */
  readonly expiryMs?: number;
  /** Multicast TTL / hop limit; default 1. */
  readonly ttl?: number;
  /** Multicast loopback; default true. */
  readonly loopback?: boolean;
  /** IPv4: interface name or address; IPv6: interface name. Default: the OS's choice. */
  readonly interface?: string;
  readonly staticPeers?: readonly HostPort[];
  readonly log?: Log;
  /** Clock for the peer table (ms); default Date.now. */
  readonly now?: () => number;
}

export interface DiscoveryStats {
  readonly sent: number;
  readonly sendErrors: number;
  readonly received: number;
  /** Datagrams that are not announcements. */
  readonly malformed: number;
  /** Our own announcements heard back. */
  readonly own: number;
  /** Announcements of another rack. */
  readonly otherRack: number;
  /** Announcements dropped because the table was full. */
  readonly dropped: number;
}

export interface DiscoveryEvents {
  add: [peer: DiscoveredPeer];
  update: [peer: DiscoveredPeer, previous: DiscoveredPeer];
  remove: [peer: DiscoveredPeer];
}

/** The local address of `name` for `family`, or null. */
function interfaceAddress(name: string, family: 4 | 6): string | null {
  const addrs = networkInterfaces()[name] ?? [];
  const a = addrs.find((x) => x.family === (family === 4 ? 'IPv4' : 'IPv6'));
  return a?.address ?? null;
}

/** What node:dgram wants as the multicast interface, or null for the OS's choice. */
function multicastInterface(group: MulticastGroup, iface: string | undefined): string | null {
  if (iface === undefined) return null;
  if (group.family === 6) {
    if (!(iface in networkInterfaces())) throw new RangeError(`discovery: no interface ${iface}`);
    return `::%${iface}`;
  }
  if (isIPv4(iface)) return iface;
  const addr = interfaceAddress(iface, 4);
  if (addr === null) throw new RangeError(`discovery: interface ${iface} has no IPv4 address`);
  return addr;
}

function groupOf(g: string | MulticastGroup): MulticastGroup {
  if (typeof g !== 'string') return g;
  const parsed = parseMulticastGroup(g);
  if (typeof parsed === 'string') throw new RangeError(`discovery: ${parsed}`);
  return parsed;
}

export class Discovery extends EventEmitter<DiscoveryEvents> {
  readonly sledId: string;
  readonly group: MulticastGroup;
  readonly #init: DiscoveryInit;
  readonly #table: PeerTable;
  readonly #log: Log;
  readonly #now: () => number;
  readonly #intervalMs: number;
  readonly #packet: { value: Buffer };
  #rackId: string | null;
  #socket: Socket | null = null;
  #announceTimer: NodeJS.Timeout | null = null;
  #sweepTimer: NodeJS.Timeout | null = null;
  #closed = false;
  #warnedTwin = false;
  #stats = { sent: 0, sendErrors: 0, received: 0, malformed: 0, own: 0, otherRack: 0, dropped: 0 };

  private constructor(init: DiscoveryInit) {
    super();
    this.#init = init;
    this.sledId = init.sledId;
    this.group = groupOf(init.group);
    this.#intervalMs = init.intervalMs ?? 2000;
    this.#table = new PeerTable(init.expiryMs ?? this.#intervalMs * 5);
    this.#log = init.log ?? silentLog;
    this.#now = init.now ?? Date.now;
    this.#rackId = init.rackId ?? null;
    this.#packet = {
      value: encodeAnnouncement({ sledId: init.sledId, spdmPort: init.spdmPort, rackId: this.#rackId }),
    };
  }

  /**
   * Binds the group's port (shared with other agents on this host), joins the group on the
   * interface, announces at once and then every interval.
   * @throws RangeError on a bad group, sled id, port or interface; the socket's error (e.g.
   *   EADDRNOTAVAIL) when binding or joining fails.
   */
  static async start(init: DiscoveryInit): Promise<Discovery> {
    const d = new Discovery(init);
    if (init.enabled === false) return d;
    await d.#open();
    return d;
  }

  async #open(): Promise<void> {
    const g = this.group;
    const iface = multicastInterface(g, this.#init.interface);
    const socket = createSocket({
      type: g.family === 4 ? 'udp4' : 'udp6',
      reuseAddr: true,
      ipv6Only: g.family === 6,
    });
    await new Promise<void>((resolveBind, rejectBind) => {
      socket.once('error', rejectBind);
      // IPv4: bind the group address itself, so unicast datagrams to the port are not ours.
      socket.bind(
        { port: this.#init.port, address: g.family === 4 ? g.address : '::', exclusive: false },
        () => {
          socket.off('error', rejectBind);
          resolveBind();
        },
      );
    }).catch((e) => {
      socket.close();
      throw e;
    });
    try {
      if (iface !== null) socket.setMulticastInterface(iface);
      socket.setMulticastTTL(this.#init.ttl ?? 1);
      socket.setMulticastLoopback(this.#init.loopback ?? true);
      socket.addMembership(g.address, iface ?? undefined);
    } catch (e) {
      socket.close();
      throw e;
    }
    socket.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo));
    socket.on('error', (e) => this.#log.warn({ err: e.message }, 'discovery socket error'));
    this.#socket = socket;
    const sweepMs = Math.max(50, Math.min(this.#intervalMs, this.#table.expiryMs / 4));
    this.#sweepTimer = setInterval(() => this.#sweep(), sweepMs);
    this.#sweepTimer.unref();
    this.#log.info(
      { group: g.address, port: this.#init.port, interface: this.#init.interface ?? null },
      'discovery started',
    );
    this.#scheduleAnnounce(0);
  }

  #scheduleAnnounce(delayMs: number): void {
    if (this.#closed) return;
    this.#announceTimer = setTimeout(() => {
      void this.announceNow();
      this.#scheduleAnnounce(this.#intervalMs * (0.9 + Math.random() * 0.2));
    }, delayMs);
    this.#announceTimer.unref();
  }

  /** Sends one announcement now (also done by the timer). Errors are counted and logged. */
  announceNow(): Promise<void> {
    const socket = this.#socket;
    if (socket === null || this.#closed) return Promise.resolve();
    return new Promise((done) => {
      socket.send(this.#packet.value, this.#init.port, this.group.address, (e) => {
        if (e) {
          this.#stats.sendErrors += 1;
          const fields = { err: e.message, group: this.group.address };
          if (this.#stats.sendErrors === 1) this.#log.warn(fields, 'discovery: announcement not sent');
          else this.#log.debug(fields, 'discovery: announcement not sent');
        } else {
          this.#stats.sent += 1;
        }
        done();
      });
    });
  }

  #onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    this.#stats.received += 1;
    if (msg.length > MAX_ANNOUNCEMENT_BYTES) {
      this.#stats.malformed += 1;
      return;
    }
    const a = decodeAnnouncement(msg);
    if (typeof a === 'string') {
      this.#stats.malformed += 1;
      this.#log.debug({ from: rinfo.address, reason: a }, 'discovery: malformed datagram');
      return;
    }
    if (a.sledId === this.sledId) {
      this.#onOwn(a, rinfo);
      return;
    }
    if (this.#rackId !== null && a.rackId !== null && a.rackId !== this.#rackId) {
      this.#stats.otherRack += 1;
      return;
    }
    const r = this.#table.observe(a, rinfo.address, this.#now());
    if (r.kind === 'full') this.#stats.dropped += 1;
    else if (r.kind === 'add') {
      this.#log.info({ peer: r.peer.sledId, host: r.peer.host, port: r.peer.port }, 'discovery: peer found');
      this.emit('add', r.peer);
    } else if (r.kind === 'update') this.emit('update', r.peer, r.previous);
  }

  #onOwn(a: Announcement, rinfo: RemoteInfo): void {
    this.#stats.own += 1;
    if (a.spdmPort !== this.#init.spdmPort && !this.#warnedTwin) {
      this.#warnedTwin = true;
      this.#log.warn(
        { host: rinfo.address, port: a.spdmPort },
        `discovery: another agent announces our sled id ${this.sledId}`,
      );
    }
  }

  #sweep(): void {
    for (const p of this.#table.expire(this.#now())) {
      this.#log.info({ peer: p.sledId, host: p.host }, 'discovery: peer expired');
      this.emit('remove', p);
    }
  }

  /** Changes the rack id we announce and filter by (after rack init). */
  setRackId(rackId: string | null): void {
    this.#rackId = rackId;
    this.#packet.value = encodeAnnouncement({ sledId: this.sledId, spdmPort: this.#init.spdmPort, rackId });
  }

  /** Peers heard and not expired, by sled id. */
  discovered(): DiscoveredPeer[] {
    this.#sweep();
    return this.#table.list();
  }

  /** Addresses to try: static peers and discovered peers, deduplicated. */
  peers(): PeerCandidate[] {
    return mergeCandidates(this.#init.staticPeers ?? [], this.discovered());
  }

  stats(): DiscoveryStats {
    return { ...this.#stats };
  }

  /** The bound UDP address, or null when disabled or closed. */
  address(): HostPort | null {
    if (this.#socket === null) return null;
    const a = this.#socket.address();
    return { host: a.address, port: a.port };
  }

  /** Stops announcing, leaves the group and closes the socket. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#announceTimer !== null) clearTimeout(this.#announceTimer);
    if (this.#sweepTimer !== null) clearInterval(this.#sweepTimer);
    const socket = this.#socket;
    this.#socket = null;
    if (socket === null) return;
    await new Promise<void>((done) => socket.close(() => done()));
  }
}
