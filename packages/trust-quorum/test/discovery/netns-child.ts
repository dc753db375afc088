/**
 * Run by netns.test.ts inside a network namespace (`ip netns exec NS node --import tsx ...`):
 * starts one Discovery with the settings given as a JSON argument, waits until it has heard
 * the expected peer, keeps announcing a little longer so the peer hears it too, then prints
 * what it saw as one JSON line and exits (code 1 with the reason when the peer never came).
 */
import { Discovery } from '../../src/discovery/index.js';

interface ChildArgs {
  sledId: string;
  spdmPort: number;
  group: string;
  port: number;
  interface: string;
  expect: string;
  waitMs: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as ChildArgs;
const d = await Discovery.start({
  sledId: args.sledId,
  spdmPort: args.spdmPort,
  group: args.group,
  port: args.port,
  interface: args.interface,
  intervalMs: 100,
  expiryMs: 2000,
});
const deadline = Date.now() + args.waitMs;
while (!d.discovered().some((p) => p.sledId === args.expect) && Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 20));
}
const peers = d.discovered();
await new Promise((r) => setTimeout(r, 500));
process.stdout.write(`${JSON.stringify({ peers, stats: d.stats() })}\n`);
await d.close();
process.exitCode = peers.some((p) => p.sledId === args.expect) ? 0 : 1;
