import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loopbackMulticastProblem } from '../discovery/loopback-probe.js';
import { type PkiAlg, pkiAlgInfo } from '../pki/index.js';
import { ProcessGroup } from './processes.js';
import { createDemoRack } from './rack-setup.js';
import { DEADLINES, runScenario, type StepTiming } from './scenario.js';
import { DemoError, DemoSleds } from './sleds.js';
import { LiveView, seconds } from './view.js';
import { Watchdog } from './watchdog.js';

export interface DemoOptions {
  readonly sleds: number;
  readonly threshold: number;
  readonly keep: boolean;
  readonly alg: PkiAlg;
  readonly discovery: boolean;
  readonly color: boolean;
}

export interface DemoIo {
  readonly write: (text: string) => void;
  readonly tty: boolean;
  readonly columns?: () => number;
  readonly rows?: () => number;
  /** Aborts the demo from outside (e.g. stdout closed); its reason is what the demo throws. */
  readonly signal?: AbortSignal;
}

/** The demo was stopped by a signal (outside --keep's wait). */
export class DemoInterrupted extends DemoError {
  constructor(readonly signalName: string) {
    super(`interrupted by ${signalName}`);
  }
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Runs `tq rack init ARGS` in `group`, lines of stdout to `onLine`; resolves with its exit code. */
function rackInitRunner(group: ProcessGroup, signal: AbortSignal) {
  return async (args: readonly string[], onLine: (line: string) => void): Promise<number | null> => {
    const p = group.spawn('rack init', ['rack', 'init', ...args]);
    p.on('line', (stream: string, line: string) => {
      if (stream === 'stdout') onLine(line);
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => {
      timer = setTimeout(() => r('late'), DEADLINES.rackInit);
    });
    const aborted = new Promise<'aborted'>((r) => {
      if (signal.aborted) r('aborted');
      signal.addEventListener('abort', () => r('aborted'), { once: true });
    });
    const r = await Promise.race([p.exited, late, aborted]);
    clearTimeout(timer);
    if (r === 'aborted') throw signal.reason;
    if (r === 'late') {
      await p.stop(1000);
      throw new DemoError(`tq rack init did not finish within ${DEADLINES.rackInit / 1000} s`);
    }
    if (r.code !== 0) {
      const why = p.lastError();
      throw new DemoError(`tq rack init exited ${r.signal ?? `with code ${r.code}`}${why ? `: ${why}` : ''}`);
    }
    return r.code;
  };
}

function header(o: DemoOptions, view: LiveView): void {
  view.line(`trust-quorum demo: a rack of ${o.sleds} sleds on 127.0.0.1, threshold ${o.threshold}:`);
  view.line(
    `  a sled unlocks its disk with ${o.threshold} shares of the rack secret (its own + ${o.threshold - 1} from peers, ` +
      'over mutually authenticated SPDM sessions)',
  );
}

/**
 * Runs the demo. Resolves when it ran to the end (or, with --keep, when interrupted).
 * @throws DemoInterrupted on a signal; DemoError (one line) when a step fails; in both cases
 *   after every child was stopped and the temp dir removed.
 */
export async function runRackDemo(o: DemoOptions, io: DemoIo): Promise<void> {
  const t0 = Date.now();
  const view = new LiveView({ ...io, color: o.color, t0 });
  const group = new ProcessGroup();
  const ac = new AbortController();
  let dir: string | null = null;
  let watchdog: Watchdog | null = null;
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals += 1;
    // The terminal dropped what it had not yet written of the table (ISIG flushes output).
    if (signals === 1) view.interrupted();
    if (signals === 1) ac.abort(new DemoInterrupted(sig));
    else group.killAllNow();
  };
  const lastResort = () => {
    group.killAllNow();
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
    watchdog?.stop();
    if (io.tty) io.write('\x1b[?25h');
  };
  const onOutside = () => ac.abort(io.signal?.reason);
  io.signal?.addEventListener('abort', onOutside, { once: true });
  for (const sig of SIGNALS) process.on(sig, onSignal);
  process.on('exit', lastResort);
  let sleds: DemoSleds | null = null;
  let timings: StepTiming[] = [];
  try {
    header(o, view);
    if (o.discovery) {
      const problem = await loopbackMulticastProblem();
      if (problem !== null)
        throw new DemoError(`--discovery: IPv4 multicast on 127.0.0.1 does not work here (${problem})`);
    }
    dir = await mkdtemp(join(tmpdir(), 'tq-demo-'));
    const wd = new Watchdog(dir);
    watchdog = wd;
    group.onChange = (pids) => wd.update(pids);
    view.line(`temp dir ${dir} (PKI private keys, ledgers, configs: removed at the end)`);
    let t = Date.now();
    const rack = await createDemoRack({ dir, sleds: o.sleds, alg: o.alg, discovery: o.discovery });
    view.step(
      `pki: rack root CA, ${o.sleds} sled identities and an operator identity (${pkiAlgInfo(o.alg).label}) in ${seconds(Date.now() - t)}`,
    );
    const peers = rack.discovery
      ? `multicast discovery on 127.0.0.1 (${rack.discovery.group}:${rack.discovery.port}), no static peers`
      : 'static peers (every other sled)';
    view.result(
      `one config per sled: ${peers}; an unlock hook that prints only its key's fingerprint; one service`,
    );
    if (ac.signal.aborted) throw ac.signal.reason;
    sleds = new DemoSleds(rack, group);
    t = Date.now();
    timings = await runScenario({
      rack,
      sleds,
      view,
      threshold: o.threshold,
      keep: o.keep,
      signal: ac.signal,
      rackInit: rackInitRunner(group, ac.signal),
    });
  } finally {
    view.freeze();
    const running = group.alive.length;
    if (running > 0 || dir !== null) {
      const what = running === 0 ? '' : `stopping ${running} ${running === 1 ? 'process' : 'processes'}, `;
      view.step(`cleanup: ${what}removing the temp dir`);
    }
    await group.stopAll(signals > 1 ? 0 : 5000);
    sleds?.close();
    if (dir !== null) {
      await rm(dir, { recursive: true, force: true });
      dir = null;
    }
    group.onChange = null;
    watchdog?.stop();
    view.close();
    for (const sig of SIGNALS) process.off(sig, onSignal);
    process.off('exit', lastResort);
    io.signal?.removeEventListener('abort', onOutside);
  }
  if (timings.length > 0) {
    view.result(`timings: ${timings.map((x) => `${x.step} ${seconds(x.ms)}`).join(', ')}`);
  }
  view.result(`done in ${seconds(Date.now() - t0)}: no agent left running, temp dir removed`);
}
