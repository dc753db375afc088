/**
 * The demo's view: line mode prints one timestamped line per step, event and sled change (and
 * nothing for an unchanged sled, no control sequence); terminal mode redraws one table in place,
 * which a small screen model (the few ANSI sequences the view uses: CPL, EL, ED, SGR, DECTCEM)
 * replays to check what a terminal would show.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { SledView } from '../../src/demo/sleds.js';
import { changeLine, displayState, LiveView } from '../../src/demo/view.js';

function sled(id: string, patch: Partial<SledView> = {}): SledView {
  return {
    sledId: id,
    proc: 'running',
    pid: 1000 + Number(id.slice(5)),
    state: 'collecting',
    reason: null,
    held: 1,
    needed: 3,
    startedAt: 0,
    clockFrom: 0,
    clockFromCommit: false,
    collectingAt: 500,
    unlockedAfterMs: null,
    collectMs: null,
    keyFingerprint: null,
    waitingFor: [],
    lastExit: null,
    ...patch,
  };
}

class Source extends EventEmitter {
  readonly map = new Map<string, SledView>();
  constructor(views: SledView[]) {
    super();
    for (const v of views) this.map.set(v.sledId, v);
  }
  views(): SledView[] {
    return [...this.map.values()];
  }
  set(v: SledView): void {
    this.map.set(v.sledId, v);
    this.emit('change', v);
  }
}

/** Replays the output on a screen of unlimited height; returns its lines. */
function screen(out: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  let col = 0;
  const at = (r: number) => {
    row = r;
    while (lines.length <= row) lines.push('');
  };
  for (let i = 0; i < out.length; ) {
    const m = /^\x1b\[(\??)(\d*)([A-Za-z])/.exec(out.slice(i, i + 16));
    if (m !== null) {
      i += m[0].length;
      const n = Number(m[2] || '1');
      if (m[3] === 'F') {
        at(row - n);
        col = 0;
      } else if (m[3] === 'K') lines[row] = '';
      else if (m[3] === 'J') {
        lines.length = row + 1;
        lines[row] = lines[row]!.slice(0, col);
      } else if (m[3] !== 'm' && m[3] !== 'l' && m[3] !== 'h') throw new Error(`unexpected ${m[0]}`);
      continue;
    }
    const c = out[i++]!;
    if (c === '\x1b') throw new Error('unknown escape sequence');
    if (c === '\n') {
      at(row + 1);
      col = 0;
    } else {
      lines[row] = lines[row]!.slice(0, col).padEnd(col) + c + lines[row]!.slice(col + 1);
      col += 1;
    }
  }
  return lines;
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('changeLine', () => {
  it('says what a sled became', () => {
    expect(changeLine(sled('sled-1', { proc: 'starting', state: null }))).toBe(
      'sled-1: starting (agent pid 1001)',
    );
    expect(changeLine(sled('sled-2', { held: 2, waitingFor: ['sled-4', 'sled-5'] }))).toBe(
      'sled-2: collecting 2/3, no answer yet from sled-4, sled-5',
    );
    expect(
      changeLine(
        sled('sled-3', {
          state: 'unlocked',
          held: 3,
          unlockedAfterMs: 2480,
          collectMs: 140,
          keyFingerprint: '0123456789abcdef',
        }),
      ),
    ).toBe('sled-3: unlocked 3/3, 2.48 s after its start (collecting 0.14 s) (disk key 0123456789abcdef)');
    expect(
      changeLine(sled('sled-3', { state: 'unlocked', held: 3, unlockedAfterMs: 600, clockFromCommit: true })),
    ).toBe('sled-3: unlocked 3/3, 0.60 s after the commit');
    expect(changeLine(sled('sled-4', { state: 'failed', reason: 'unlock failed for disk d' }))).toBe(
      'sled-4: failed: unlock failed for disk d',
    );
    expect(changeLine(sled('sled-5', { proc: 'stopped', lastExit: { code: 0, signal: null } }))).toBe(
      'sled-5: stopped (agent exited with code 0)',
    );
    expect(displayState(sled('sled-5', { proc: 'stopping', state: 'services-started' }))).toBe('stopping');
  });
});

describe('LiveView, line mode', () => {
  it('prints timestamped lines, once per change, no control sequences', () => {
    let out = '';
    let now = 1000;
    const view = new LiveView({ write: (t) => (out += t), tty: false, color: true, t0: 0, now: () => now });
    const src = new Source([sled('sled-1', { state: 'awaiting-init', needed: null, held: 0 })]);
    view.step('cold boot: restarting');
    view.live(src);
    now = 2500;
    src.set(sled('sled-1', { state: 'collecting', needed: null })); // shares not known yet: no line
    src.set(sled('sled-1', { held: 1 }));
    src.set(sled('sled-1', { held: 1, waitingFor: ['sled-2'] })); // peers only: no line
    src.set(sled('sled-1', { held: 2 }));
    view.event('rack init | all 5 sleds prepared');
    view.freeze();
    src.set(sled('sled-1', { held: 3 })); // after freeze: nothing
    view.result('done');
    view.close();
    expect(out).toBe(
      [
        '[  1.0s] cold boot: restarting',
        '[  2.5s]   sled-1: collecting 1/3',
        '[  2.5s]   sled-1: collecting 2/3',
        '[  2.5s]   rack init | all 5 sleds prepared',
        '[  2.5s]   => done',
        '',
      ].join('\n'),
    );
  });
});

describe('LiveView, terminal', () => {
  it('redraws one table in place, with events above it, and leaves it on screen', async () => {
    let out = '';
    const now = 4000;
    const view = new LiveView({
      write: (t) => (out += t),
      tty: true,
      color: false,
      columns: () => 100,
      rows: () => 40,
      t0: 0,
      now: () => now,
    });
    const src = new Source([sled('sled-1'), sled('sled-2', { proc: 'stopped', pid: null, state: null })]);
    view.step('cold boot');
    view.live(src);
    src.set(sled('sled-1', { held: 2, waitingFor: ['sled-2'] }));
    await wait(80);
    view.event('an event');
    src.set(
      sled('sled-1', {
        state: 'services-started',
        held: 3,
        unlockedAfterMs: 3000,
        collectMs: 1000,
        keyFingerprint: 'fedcba9876543210',
      }),
    );
    await wait(80);
    view.freeze();
    view.result('all unlocked');
    view.close();
    expect(out.startsWith('\x1b[?25l')).toBe(true);
    expect(out.endsWith('\x1b[?25h')).toBe(true);
    expect(out).not.toMatch(/\x1b\[[0-9;]*m/); // no colour when disabled
    const shown = screen(out).map((l) => l.trimEnd());
    expect(shown).toEqual([
      '',
      '[  4.0s] cold boot',
      '  an event',
      '  SLED    PID   STATE             SHARES  UNLOCKED IN  COLLECTING  DISK KEY / WAITING FOR',
      '  sled-1  1001  services-started  3/3     3.00 s       1.00 s      fedcba9876543210',
      '  sled-2  -     stopped',
      '  => all unlocked',
      '',
    ]);
  });

  it('cuts rows to the terminal width, colours states when asked, and shows the clock running', () => {
    const view = new LiveView({
      write: () => {},
      tty: true,
      color: true,
      columns: () => 60,
      t0: 0,
      now: () => 7000,
    });
    const rows = view.table([
      sled('sled-1', { held: 2, waitingFor: ['sled-2', 'sled-4', 'sled-5'] }),
      sled('sled-2', { state: 'unlocked', held: 3, unlockedAfterMs: 1500, collectMs: 250 }),
    ]);
    view.close();
    const plain = rows.map((r) => r.replace(/\x1b\[[0-9;]*m/g, ''));
    for (const r of plain) expect(r.length).toBeLessThanOrEqual(59);
    expect(plain[1]).toMatch(/^ {2}sled-1 {2}1001 {2}collecting +2\/3 +7\.00 s\.\.\. +6\.50 s\.\.\./);
    expect(rows[2]).toContain('\x1b[32munlocked');
  });

  it('falls back to change lines when the table does not fit the terminal', () => {
    let out = '';
    const view = new LiveView({ write: (t) => (out += t), tty: true, color: false, rows: () => 3, t0: 0 });
    const src = new Source([sled('sled-1'), sled('sled-2')]);
    view.live(src);
    src.set(sled('sled-2', { held: 2 }));
    view.close();
    expect(out.replace('\x1b[?25l', '').replace('\x1b[?25h', '')).toBe('  sled-2: collecting 2/3\n');
  });
});
