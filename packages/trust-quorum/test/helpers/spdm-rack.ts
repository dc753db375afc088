/**
 * Acceptance-test rack: a dev PKI made by `initPki` (p256) in a temp directory, ledgers made by
 * `tq rack gen-config`'s library function, and share servers on real loopback SPDM sessions
 * (ShareServer + spdmSessions). Peers that are "down" get a reserved port nobody listens on.
 */

import type { X509Certificate } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpdmLogger } from '@trust-quorum/spdm/responder/serve';
import { genConfig } from '../../src/cli/rack-gen-config.js';
import type { PeerAddress } from '../../src/collector/collector.js';
import { spdmFetchShare } from '../../src/collector/spdm-fetch.js';
import { type Ledger, readLedgerFile } from '../../src/ledger/index.js';
import { type DeviceIdentity, initPki, loadIdentity, loadTrustedRoot } from '../../src/pki/index.js';
import { ShareServer, type ShareServerInit } from '../../src/server/share-server.js';
import { type SpdmIdentity, spdmSessions } from '../../src/server/spdm-listener.js';

export interface TestSled {
  readonly sledId: string;
  readonly identity: DeviceIdentity;
  readonly spdm: SpdmIdentity;
  readonly ledger: Ledger;
}

export interface TestRack {
  readonly dir: string;
  readonly pkiDir: string;
  readonly root: X509Certificate;
  readonly rackId: string;
  readonly fingerprint: string;
  readonly sleds: TestSled[];
  /** The operator identity: same root, not a member. */
  readonly operator: SpdmIdentity;
}

export function spdmIdentityOf(id: DeviceIdentity): SpdmIdentity {
  return { certificates: id.chainDer, privateKey: id.privateKey };
}

/** A PKI of `n` sleds and one rack of threshold `k` over them. */
export async function makeRack(n = 5, k = 3): Promise<TestRack> {
  const dir = await mkdtemp(join(tmpdir(), 'tq-rack-'));
  const pkiDir = join(dir, 'pki');
  await initPki({ outDir: pkiDir, sleds: n, alg: 'p256', rackName: 'acceptance' });
  const gen = await genConfig({ pki: pkiDir, threshold: k, out: join(dir, 'ledgers') });
  const sleds: TestSled[] = [];
  for (const f of gen.files) {
    const identity = loadIdentity(join(pkiDir, f.sledId));
    sleds.push({
      sledId: f.sledId,
      identity,
      spdm: spdmIdentityOf(identity),
      ledger: await readLedgerFile(f.file),
    });
  }
  return {
    dir,
    pkiDir,
    root: loadTrustedRoot(join(pkiDir, 'root.pem')),
    rackId: gen.rackId,
    fingerprint: gen.fingerprint,
    sleds,
    operator: spdmIdentityOf(loadIdentity(join(pkiDir, 'operator'))),
  };
}

/**
 * Another rack configuration over some of the same PKI's sleds (same root, same certificates):
 * gen-config on a copy of the PKI directory's public files (root, certs, chains) of `sledIds`.
 */
export async function makeOtherRack(
  rack: TestRack,
  sledIds: readonly string[],
  k: number,
  name: string,
): Promise<Ledger[]> {
  const view = join(rack.dir, `${name}-pki`);
  await mkdir(view, { recursive: true });
  await copyFile(join(rack.pkiDir, 'root.pem'), join(view, 'root.pem'));
  for (const id of sledIds) {
    await mkdir(join(view, id));
    for (const f of ['cert.pem', 'chain.pem']) await copyFile(join(rack.pkiDir, id, f), join(view, id, f));
  }
  const gen = await genConfig({ pki: view, threshold: k, out: join(rack.dir, `${name}-ledgers`) });
  return Promise.all(gen.files.map((f) => readLedgerFile(f.file)));
}

export async function disposeRack(rack: TestRack): Promise<void> {
  for (const s of rack.sleds) s.ledger.zero();
  await rm(rack.dir, { recursive: true, force: true });
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function reservePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export interface RunningServer {
  readonly server: ShareServer;
  readonly address: PeerAddress;
}

/** A share server for `sled` over SPDM on 127.0.0.1 (`port` 0: ephemeral). */
export async function startShareServer(
  rack: TestRack,
  sled: { spdm: SpdmIdentity; ledger: Ledger | null },
  init: ShareServerInit & { port?: number; spdmLogger?: SpdmLogger } = {},
): Promise<RunningServer> {
  const { port, spdmLogger, ...serverInit } = init;
  const server = new ShareServer({ ledger: sled.ledger, ...serverInit });
  const address = await server.listen(
    spdmSessions({
      port: port ?? 0,
      identity: sled.spdm,
      trustedRoot: rack.root,
      ...(spdmLogger ? { logger: spdmLogger } : {}),
    }),
  );
  return { server, address };
}

/** The SPDM FetchShare of `sled` in `rack`. */
export function fetcherOf(rack: TestRack, sled: { spdm: SpdmIdentity; ledger: Ledger }, timeoutMs = 5000) {
  return spdmFetchShare({ ledger: sled.ledger, identity: sled.spdm, trustedRoot: rack.root, timeoutMs });
}
