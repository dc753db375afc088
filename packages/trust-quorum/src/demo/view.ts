/**
 * How the demo shows itself. On a terminal: each step's narrative line, then a compact table of
 * the sleds redrawn in place (ANSI cursor movement) while the step runs, left on screen when it
 * ends; event lines (rack init progress) go above the table. Anywhere else (a pipe, a file, CI):
 * one timestamped line per step, per event and per change of a sled, never a control sequence.
 * Colour only on a terminal, and not with --no-color or NO_COLOR.
 */
import type { SledView } from './sleds.js';

export interface ViewInit {
  readonly write: (text: string) => void;
  /** Redraw a table in place (stdout is a terminal). */
  readonly tty: boolean;
  readonly color: boolean;
  /** Terminal width and height (tty only). */
  readonly columns?: () => number;
  readonly rows?: () => number;
  /** Time origin of the timestamps (Date.now()); default now. */
  readonly t0?: number;
  /** Clock (tests). */
  readonly now?: () => number;
}

/** Where the table's rows come from. */
export interface SledSource {
  views(): SledView[];
  on(event: 'change', f: (v: SledView) => void): unknown;
  off(event: 'change', f: (v: SledView) => void): unknown;
}

const SGR = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;
type Style = keyof typeof SGR;

const TICK_MS = 200;
const REDRAW_MS = 40;

/** What a row calls the sled's condition. */
export function displayState(v: SledView): string {
  if (v.proc === 'stopped') return 'stopped';
  if (v.proc === 'stopping') return 'stopping';
  return v.state ?? 'starting';
}

function styleOf(state: string): Style | null {
  if (state === 'unlocked' || state === 'services-started') return 'green';
  if (state === 'collecting' || state === 'awaiting-init') return 'yellow';
  if (state === 'failed') return 'red';
  if (state === 'stopped' || state === 'stopping') return 'dim';
  return null;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function shares(v: SledView): string {
  return v.needed === null ? '' : `${v.held}/${v.needed}`;
}

/** The one line a sled's change prints in line mode. */
export function changeLine(v: SledView): string {
  const state = displayState(v);
  const head = `${v.sledId}: ${state}`;
  switch (state) {
    case 'starting':
      return `${head} (agent pid ${v.pid})`;
    case 'collecting': {
      const waiting = v.waitingFor.length > 0 ? `, no answer yet from ${v.waitingFor.join(', ')}` : '';
      return `${head} ${shares(v)}${waiting}`;
    }
    case 'unlocked': {
      const since = v.clockFromCommit ? 'the commit' : 'its start';
      const collect = v.collectMs === null ? '' : ` (collecting ${seconds(v.collectMs)})`;
      const after =
        v.unlockedAfterMs === null ? '' : `, ${seconds(v.unlockedAfterMs)} after ${since}${collect}`;
      const key = v.keyFingerprint === null ? '' : ` (disk key ${v.keyFingerprint})`;
      return `${head} ${shares(v)}${after}${key}`;
    }
    case 'services-started':
      return `${head} (demo-app running)`;
    case 'failed':
      return `${head}: ${v.reason ?? '?'}`;
    case 'stopped': {
      const e = v.lastExit;
      return e === null ? head : `${head} (agent exited ${e.signal ?? `with code ${e.code}`})`;
    }
    default:
      return head;
  }
}

/** A change worth a line: anything but the peers list. */
function changeKey(v: SledView): string {
  const state = displayState(v);
  const extra = state === 'collecting' ? shares(v) : state === 'unlocked' ? (v.keyFingerprint ?? '') : '';
  return `${v.pid}|${state}|${extra}`;
}

const HEADER = ['SLED', 'PID', 'STATE', 'SHARES', 'UNLOCKED IN', 'COLLECTING', 'DISK KEY / WAITING FOR'];

export class LiveView {
  readonly #o: ViewInit;
  readonly #t0: number;
  readonly #now: () => number;
  #source: SledSource | null = null;
  /** The live table is shown as change lines (no terminal, or a terminal too short for it). */
  #lines = false;
  #drawn = 0;
  #redraw: NodeJS.Timeout | null = null;
  #tick: NodeJS.Timeout | null = null;
  readonly #printed = new Map<string, string>();
  readonly #onChange = (v: SledView) => this.#changed(v);

  constructor(o: ViewInit) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#t0 = o.t0 ?? this.#now();
    if (o.tty) o.write('\x1b[?25l'); // hide the cursor while redrawing
  }

  #paint(text: string, style: Style | null): string {
    return this.#o.color && this.#o.tty && style !== null ? `\x1b[${SGR[style]}m${text}\x1b[0m` : text;
  }

  #stamp(): string {
    return `[${((this.#now() - this.#t0) / 1000).toFixed(1).padStart(5)}s]`;
  }

  /** Prints `text` above the live table (terminal) or as a timestamped line. */
  #print(text: string): void {
    if (!this.#o.tty) {
      this.#o.write(`${this.#stamp()} ${text}\n`);
      return;
    }
    const erase = this.#drawn > 0 ? `\x1b[${this.#drawn}F\x1b[J` : '';
    this.#drawn = 0;
    this.#o.write(`${erase}${text}\n`);
    if (this.#source !== null && !this.#lines) this.#draw();
  }

  /** A step's narrative line. */
  step(text: string): void {
    this.#print(this.#o.tty ? `\n${this.#paint(`${this.#stamp()} ${text}`, 'bold')}` : text);
  }

  /** An event line of the step (e.g. rack init progress). */
  event(text: string): void {
    this.#print(`  ${text}`);
  }

  /** The outcome of a step. */
  result(text: string): void {
    this.#print(`  ${this.#paint(`=> ${text}`, 'cyan')}`);
  }

  /** A plain line (header, notes). */
  line(text: string): void {
    if (this.#o.tty) this.#print(text);
    else this.#o.write(`${text}\n`);
  }

  /** Shows `source`'s sleds live until {@link freeze}. */
  live(source: SledSource): void {
    this.freeze();
    this.#source = source;
    source.on('change', this.#onChange);
    const views = source.views();
    this.#lines = !this.#o.tty || views.length + 2 > (this.#o.rows?.() ?? Number.POSITIVE_INFINITY);
    if (!this.#lines) {
      this.#draw();
      this.#tick = setInterval(() => this.#draw(), TICK_MS);
    } else {
      for (const v of views) this.#printed.set(v.sledId, changeKey(v));
    }
  }

  #changed(v: SledView): void {
    if (this.#lines) {
      // A line per change; "collecting" once the share count is known (the next status poll).
      if (displayState(v) === 'collecting' && v.needed === null) return;
      const key = changeKey(v);
      if (this.#printed.get(v.sledId) === key) return;
      this.#printed.set(v.sledId, key);
      this.#print(`  ${changeLine(v)}`);
      return;
    }
    this.#redraw ??= setTimeout(() => {
      this.#redraw = null;
      if (this.#source !== null) this.#draw();
    }, REDRAW_MS);
  }

  /** Final redraw of the table, which stays on screen; stops following the sleds. */
  freeze(): void {
    if (this.#source === null) return;
    if (!this.#lines) this.#draw();
    this.#source.off('change', this.#onChange);
    this.#source = null;
    this.#drawn = 0;
    this.#stopTimers();
  }

  /**
   * A signal came (Ctrl-C): a terminal may have dropped part of the last frame, so the cursor
   * is not where the table's redraw expects. Stop following the sleds without redrawing and go
   * to a fresh line.
   */
  interrupted(): void {
    if (this.#source === null || this.#lines) return;
    this.#drawn = 0;
    this.#source.off('change', this.#onChange);
    this.#source = null;
    this.#stopTimers();
    this.#o.write('\n');
  }

  #stopTimers(): void {
    if (this.#redraw !== null) clearTimeout(this.#redraw);
    if (this.#tick !== null) clearInterval(this.#tick);
    this.#redraw = null;
    this.#tick = null;
  }

  /** Stops everything and gives the cursor back. */
  close(): void {
    this.freeze();
    if (this.#o.tty) this.#o.write('\x1b[?25h');
  }

  #draw(): void {
    if (this.#source === null) return;
    const lines = this.table(this.#source.views());
    const up = this.#drawn > 0 ? `\x1b[${this.#drawn}F` : '';
    this.#o.write(`${up}${lines.map((l) => `\x1b[2K${l}\n`).join('')}\x1b[J`);
    this.#drawn = lines.length;
  }

  /** The table's lines (coloured when enabled), each cut to the terminal's width. */
  table(views: readonly SledView[]): string[] {
    const now = this.#now();
    const rows = views.map((v) => {
      const state = displayState(v);
      const up = v.proc !== 'stopped';
      let time = '';
      let collect = '';
      if (v.unlockedAfterMs !== null && up) time = seconds(v.unlockedAfterMs);
      else if (v.clockFrom !== null && up && state !== 'awaiting-init')
        time = `${seconds(now - v.clockFrom)}...`;
      if (v.collectMs !== null && up) collect = seconds(v.collectMs);
      else if (v.collectingAt !== null && up) collect = `${seconds(now - v.collectingAt)}...`;
      const last =
        state === 'collecting' && v.waitingFor.length > 0
          ? `waiting for ${v.waitingFor.join(', ')}`
          : state === 'failed'
            ? (v.reason ?? '')
            : v.proc === 'stopped'
              ? ''
              : (v.keyFingerprint ?? '');
      return {
        cells: [
          v.sledId,
          up && v.pid !== null ? String(v.pid) : '-',
          state,
          up ? shares(v) : '',
          time,
          collect,
          last,
        ],
        style: styleOf(state),
      };
    });
    const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i]!.length)));
    const width = Math.max(20, (this.#o.columns?.() ?? 120) - 1);
    const render = (cells: readonly string[], style: Style | null, header: boolean): string => {
      const plain = cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
      const text = `  ${plain}`.trimEnd();
      if (text.length > width) return text.slice(0, width);
      if (header) return this.#paint(text, 'bold');
      if (style === 'dim') return this.#paint(text, 'dim');
      const before = `  ${cells
        .slice(0, 2)
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')}  `;
      const stateCell = cells[2]!.padEnd(widths[2]!);
      return `${before}${this.#paint(stateCell, style)}${text.slice(before.length + stateCell.length)}`;
    };
    return [render(HEADER, null, true), ...rows.map((r) => render(r.cells, r.style, false))];
  }
}
