/**
 * The story the demo tells, step by step, on a rack whose agents are already configured:
 *
 *   1. start every agent (no ledger yet: `awaiting-init`);
 *   2. `tq rack init` (a child process) makes the rack secret and gives each sled its ledger
 *      over SPDM; every sled then collects shares from its peers and unlocks;
 *   3. cold boot: stop every agent, start them all at once; each goes collecting -> unlocked ->
 *      services-started, deriving the same disk key as before;
 *   4. stop N-K sleds and restart one more: with K-1 peers up it still unlocks;
 *   5. stop one more and restart that sled again: K-2 peers + itself = K-1 of K shares, it
 *      waits in `collecting` (checked for a few seconds: it must not unlock);
 *   6. with --keep: start the stopped sleds again (the waiting sled unlocks as soon as a peer
 *      returns) and run until interrupted.
 *
 * Every wait has a deadline (DemoSleds.waitFor); each step ends with a result line and its
 * timing.
 */
import type { DemoRack } from './rack-setup.js';
import { DemoError, type DemoSleds, DONE, type SledView } from './sleds.js';
import { type LiveView, seconds } from './view.js';

/** Deadlines, in ms. */
export const DEADLINES = {
  /** Agents up and listening. */
  start: 60_000,
  /** From (re)start or commit to unlocked. */
  unlock: 45_000,
  /** SIGTERM to exit. */
  stop: 10_000,
  /** The whole `tq rack init`. */
  rackInit: 60_000,
  /** Below the threshold: how long the waiting sled is watched. */
  hold: 3_000,
} as const;

export interface ScenarioInit {
  readonly rack: DemoRack;
  readonly sleds: DemoSleds;
  readonly view: LiveView;
  readonly threshold: number;
  readonly keep: boolean;
  readonly signal: AbortSignal;
  /** Runs `tq rack init ARGS` as a child; resolves with its exit code, each stdout line to `onLine`. */
  readonly rackInit: (args: readonly string[], onLine: (line: string) => void) => Promise<number | null>;
}

export interface StepTiming {
  readonly step: string;
  readonly ms: number;
}

const done = (v: SledView) => DONE.has(v.state);
const started = (v: SledView) => v.state === 'services-started';
const list = (ids: readonly string[]) => (ids.length === 0 ? 'none' : ids.join(', '));

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** Runs the steps; resolves with each step's timing. @throws DemoError (or signal.reason). */
export async function runScenario(s: ScenarioInit): Promise<StepTiming[]> {
  const { sleds, view, threshold: k, signal } = s;
  const ids = sleds.ids;
  const n = ids.length;
  const timings: StepTiming[] = [];
  const wait = (w: readonly string[], p: (v: SledView) => boolean, what: string, ms: number) =>
    sleds.waitFor(w, p, what, ms, signal);
  const lastUnlock = (w: readonly string[]) =>
    Math.max(...w.map((id) => sleds.view(id).unlockedAfterMs ?? 0));
  const collecting = (w: readonly string[]) => {
    const ms = w.map((id) => sleds.view(id).collectMs ?? 0);
    const lo = Math.min(...ms);
    const hi = Math.max(...ms);
    return lo === hi ? seconds(lo) : `${(lo / 1000).toFixed(2)}-${seconds(hi)}`;
  };

  // 1. Agents, awaiting init.
  view.step(
    `agents: starting ${plural(n, 'agent')} as separate processes (no ledger yet: awaiting rack init)`,
  );
  view.live(sleds);
  let t = Date.now();
  signal.throwIfAborted();
  sleds.start(ids);
  await wait(ids, (v) => v.state === 'awaiting-init', 'awaiting rack init', DEADLINES.start);
  view.freeze();
  view.result(`${plural(n, 'agent')} up in ${seconds(Date.now() - t)}, every one awaiting rack init`);

  // 2. Rack init.
  view.step(`rack init: tq rack init --threshold ${k}: a new rack secret, one share per sled over SPDM`);
  t = Date.now();
  const args = [
    '--pki',
    s.rack.pkiDir,
    '--threshold',
    String(k),
    '--timeout',
    '10000',
    ...s.rack.sleds.flatMap((x) => ['--sled', `${x.sledId}=127.0.0.1:${x.spdmPort}`]),
  ];
  view.live(sleds);
  const code = await s.rackInit(args, (line) => view.event(`rack init | ${line}`));
  if (code !== 0) throw new DemoError(`tq rack init exited with code ${code}`);
  const committed = Date.now() - t;
  await wait(ids, started, 'unlocked with services started after rack init', DEADLINES.unlock);
  view.freeze();
  const initKeys = new Map(ids.map((id) => [id, sleds.view(id).keyFingerprint]));
  const initMs = lastUnlock(ids);
  timings.push({ step: 'rack init (commit to unlocked)', ms: initMs });
  view.result(
    `rack initialized in ${seconds(committed)}; all ${n} sleds unlocked within ${seconds(initMs)} of the commit ` +
      'and started their service',
  );

  // 3. Cold boot.
  view.step(
    `cold boot: restarting all ${n} sleds at once (no operator, no password: they unlock each other)`,
  );
  view.live(sleds);
  await sleds.stop(ids, DEADLINES.stop);
  signal.throwIfAborted();
  sleds.start(ids);
  await wait(ids, started, 'unlocked after the cold boot', DEADLINES.unlock);
  view.freeze();
  for (const id of ids) {
    const fp = sleds.view(id).keyFingerprint;
    if (fp !== initKeys.get(id)) {
      throw new DemoError(
        `${id}: disk key fingerprint ${fp} after the cold boot, ${initKeys.get(id)} before`,
      );
    }
  }
  const coldMs = lastUnlock(ids);
  timings.push({ step: 'cold boot (start to unlocked)', ms: coldMs });
  view.result(
    `cold boot: all ${n} sleds unlocked within ${seconds(coldMs)} of their start (collecting shares and ` +
      `unlocking took ${collecting(ids)}; the rest is node starting), each with the same disk key as before`,
  );

  // 4. N-K sleds down, one more restarted: K-1 peers + itself.
  const down = ids.slice(k);
  const sled = ids[k - 1]!;
  const peers = ids.slice(0, k - 1);
  view.step(
    `${plural(down.length, 'sled')} down: stopping ${list(down)}, then restarting ${sled}: ` +
      `${plural(peers.length, 'peer')} up (${list(peers)}) + itself = ${k} of ${k} shares`,
  );
  view.live(sleds);
  await sleds.stop([...down, sled], DEADLINES.stop);
  signal.throwIfAborted();
  sleds.start([sled]);
  await wait([sled], done, `unlocked with ${plural(down.length, 'sled')} down`, DEADLINES.unlock);
  await wait([sled], started, 'services started', DEADLINES.unlock);
  view.freeze();
  const degradedMs = lastUnlock([sled]);
  timings.push({ step: `${sled} with ${down.length} down (start to unlocked)`, ms: degradedMs });
  view.result(
    `${sled} unlocked ${seconds(degradedMs)} after its start (collecting ${collecting([sled])}) ` +
      `with ${plural(down.length, 'sled')} down`,
  );

  // 5. One more down: below the threshold.
  const gone = ids[k - 2]!;
  const left = ids.slice(0, k - 2);
  view.step(
    `below the threshold: stopping ${gone}, then restarting ${sled} again: ` +
      `${plural(left.length, 'peer')} up (${list(left)}) + itself = ${k - 1} of ${k} shares`,
  );
  view.live(sleds);
  await sleds.stop([gone, sled], DEADLINES.stop);
  signal.throwIfAborted();
  sleds.start([sled]);
  const waiting = (v: SledView) => v.state === 'collecting' && v.held === k - 1 && v.needed === k;
  await wait([sled], waiting, `collecting at ${k - 1}/${k}`, DEADLINES.unlock);
  const reached = Date.now() - sleds.view(sled).startedAt!;
  await sleds.holds([sled], waiting, `waiting at ${k - 1}/${k}`, DEADLINES.hold, signal);
  view.freeze();
  const v = sleds.view(sled);
  timings.push({ step: `${sled} below the threshold (start to ${k - 1}/${k}, then locked)`, ms: reached });
  view.result(
    `${sled} at ${v.held}/${v.needed} ${seconds(reached)} after its start and still locked ${seconds(DEADLINES.hold)} later` +
      `${v.waitingFor.length > 0 ? ` (no answer from ${v.waitingFor.join(', ')})` : ''}: below the threshold nothing unlocks`,
  );

  if (s.keep) await keepRunning(s, sled);
  return timings;
}

/** --keep: bring the stopped sleds back, show where to look, run until interrupted. */
async function keepRunning(s: ScenarioInit, sled: string): Promise<void> {
  const { sleds, view, signal } = s;
  const stopped = sleds.views().filter((v) => v.proc === 'stopped');
  view.step(
    `keep: starting ${list(stopped.map((v) => v.sledId))} again; ${sled} unlocks as soon as a peer returns`,
  );
  view.live(sleds);
  signal.throwIfAborted();
  sleds.start(stopped.map((v) => v.sledId));
  await sleds.waitFor(sleds.ids, started, 'unlocked', DEADLINES.unlock, signal);
  view.freeze();
  view.result(`all ${sleds.ids.length} sleds unlocked; running until Ctrl-C`);
  for (const x of s.rack.sleds)
    view.line(`  ${x.sledId}  status page http://127.0.0.1:${x.httpPort}/  (JSON: /status, /metrics)`);
  const addrs = s.rack.sleds.map((x) => `--sled 127.0.0.1:${x.httpPort}`).join(' ');
  view.line(`  try: npx tq status ${addrs}`);
  view.line(`  temp dir (PKI private keys, ledgers, configs): ${s.rack.dir}`);
  view.line('  press Ctrl-C to stop the agents and remove the temp dir');
  view.live(sleds);
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (sleds.failure !== null) finish(sleds.failure);
      else if (signal.aborted) finish(null);
    };
    const finish = (err: Error | null) => {
      sleds.off('change', check);
      signal.removeEventListener('abort', check);
      if (err === null) resolve();
      else reject(err);
    };
    sleds.on('change', check);
    signal.addEventListener('abort', check, { once: true });
    check();
  });
  view.freeze();
}
