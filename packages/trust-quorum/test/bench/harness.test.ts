/**
 * The benchmark harness (bench/lib and bench/run.ts) on known inputs: order statistics, the
 * interleaving of contestants, figures and ratios, the table and JSON-lines printers, the SVG
 * chart (parsed back with a small strict XML reader below), the command line, and one real run
 * of each exported measurement (crypto floor, TLS session, bulk transfer) without any
 * wall-clock threshold.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { floorParties, sessionCryptoFloor } from '../../../../bench/crypto-floor.js';
import { isPending } from '../../../../bench/lib/benchmark.js';
import { makeFigure } from '../../../../bench/lib/figure.js';
import { figureJsonLine, writeRunRecord } from '../../../../bench/lib/json.js';
import { machineInfo } from '../../../../bench/lib/machine.js';
import { disposeBenchPkis } from '../../../../bench/lib/pki-fixture.js';
import { median, percentile, summarize } from '../../../../bench/lib/stats.js';
import { escapeXml, lineChartSvg, niceTicks, writeLineChart } from '../../../../bench/lib/svg-chart.js';
import { alignColumns, formatNumber, formatTable } from '../../../../bench/lib/table.js';
import { type Contestant, calibrateBatch, interleave, timeOps } from '../../../../bench/lib/timing.js';
import { BENCHMARKS, helpText, parseArgs, select } from '../../../../bench/run.js';
import { plainCombine, plainSplit } from '../../../../bench/secret-sharing.js';
import { openTcpPair, transfer } from '../../../../bench/throughput.js';
import { startTcpServer, startTlsServer } from '../../../../bench/tls-handshake.js';

afterAll(() => disposeBenchPkis());

describe('stats', () => {
  it('median of odd and even counts, unsorted input', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('percentile interpolates between closest ranks (R-7)', () => {
    const xs = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile(xs, 100)).toBe(10);
    expect(percentile(xs, 50)).toBe(5.5);
    expect(percentile(xs, 90)).toBeCloseTo(9.1, 12);
    expect(percentile(xs, 10)).toBeCloseTo(1.9, 12);
    expect(percentile([1, 2, 3, 4], 25)).toBe(1.75);
  });

  it('summarize takes the slow tail: 90th percentile of times, 10th of rates', () => {
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const lower = summarize(xs, 'lower');
    const higher = summarize(xs, 'higher');
    expect(lower).toMatchObject({ median: 5.5, min: 1, max: 10, n: 10 });
    expect(lower.p90).toBeCloseTo(9.1, 12);
    expect(higher.p90).toBeCloseTo(1.9, 12);
  });

  it('refuses empty, non-finite and out-of-range input', () => {
    expect(() => median([])).toThrow(RangeError);
    expect(() => median([1, Number.NaN])).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
    expect(() => summarize([Number.POSITIVE_INFINITY], 'lower')).toThrow(RangeError);
  });
});

describe('timing', () => {
  function recorder(name: string, log: string[], values: number[]): Contestant {
    let i = 0;
    return {
      name,
      sample: () => {
        log.push(name);
        return values[i++ % values.length]!;
      },
    };
  }

  it('interleave runs A B A B, drops the warm-up rounds and keeps the rest in order', async () => {
    const log: string[] = [];
    const a = recorder('A', log, [100, 101, 1, 2, 3]);
    const b = recorder('B', log, [200, 201, 10, 20, 30]);
    const [sa, sb] = await interleave([a, b], { warmup: 2, samples: 3 });
    expect(log).toEqual(['A', 'B', 'A', 'B', 'A', 'B', 'A', 'B', 'A', 'B']);
    expect(sa).toEqual([1, 2, 3]);
    expect(sb).toEqual([10, 20, 30]);
  });

  it('interleave awaits asynchronous samples one at a time', async () => {
    let running = 0;
    let maxRunning = 0;
    const slow = (name: string): Contestant => ({
      name,
      async sample() {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setImmediate(r));
        running--;
        return 1;
      },
    });
    await interleave([slow('a'), slow('b')], { warmup: 1, samples: 2 });
    expect(maxRunning).toBe(1);
  });

  it('interleave refuses bad rounds and non-finite samples', async () => {
    const one: Contestant = { name: 'x', sample: () => 1 };
    await expect(interleave([], { warmup: 0, samples: 1 })).rejects.toThrow(RangeError);
    await expect(interleave([one], { warmup: -1, samples: 1 })).rejects.toThrow(RangeError);
    await expect(interleave([one], { warmup: 0, samples: 0 })).rejects.toThrow(RangeError);
    const bad: Contestant = { name: 'nan', sample: () => Number.NaN };
    await expect(interleave([bad], { warmup: 0, samples: 1 })).rejects.toThrow(/nan gave the sample NaN/);
  });

  it('timeOps calls the function exactly ops times and returns a non-negative time per call', () => {
    let calls = 0;
    const ms = timeOps(() => {
      calls++;
    }, 7);
    expect(calls).toBe(7);
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(() => timeOps(() => {}, 0)).toThrow(RangeError);
  });

  it('calibrateBatch gives a batch between 1 and 10 000', () => {
    const n = calibrateBatch(() => {}, 1);
    expect(Number.isInteger(n)).toBe(true);
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(10_000);
  });
});

const lowerFig = makeFigure({
  benchmark: 'b',
  name: 'time thing',
  unit: 'ms',
  better: 'lower',
  samples: [2, 4, 6],
  peer: { name: 'peer thing', samples: [8, 8, 8] },
  note: 'what it means',
});
const higherFig = makeFigure({
  benchmark: 'b',
  name: 'rate thing',
  unit: 'MB/s',
  better: 'higher',
  samples: [300, 100, 200],
  peer: { name: 'tcp', samples: [400] },
});
const lonely = makeFigure({
  benchmark: 'b',
  name: 'alone',
  unit: 'ms',
  better: 'lower',
  samples: [1.23456789],
});

describe('figures', () => {
  it('ratio is ours / peer in the figure unit, null without a peer', () => {
    expect(lowerFig).toMatchObject({ median: 4, peerMedian: 8, ratio: 0.5, n: 3, peerN: 3 });
    expect(higherFig).toMatchObject({ median: 200, peerMedian: 400, ratio: 0.5 });
    expect(higherFig.p90).toBeCloseTo(120, 12);
    expect(lonely).toMatchObject({ peer: null, peerMedian: null, ratio: null });
  });

  it('refuses a zero peer median', () => {
    expect(() =>
      makeFigure({
        benchmark: 'b',
        name: 'z',
        unit: 'ms',
        better: 'lower',
        samples: [1],
        peer: { name: 'p', samples: [0] },
      }),
    ).toThrow(RangeError);
  });
});

describe('table printer', () => {
  it('formats numbers with about three significant digits', () => {
    expect([1234.5, 123.4, 12.34, 1.234, 0.1234, 0.001234, 0].map(formatNumber)).toEqual([
      '1235',
      '123',
      '12.3',
      '1.23',
      '0.123',
      '0.00123',
      '0',
    ]);
  });

  it('aligns columns: every line has the same width, numbers right-aligned', () => {
    const lines = alignColumns(
      [
        ['a', '1'],
        ['longer name', '12345'],
      ],
      new Set([1]),
    );
    expect(lines[0]).toBe('a                1');
    expect(lines[1]).toBe('longer name  12345');
    expect(
      alignColumns(
        [
          ['x', 'y'],
          ['long', 'z'],
        ],
        new Set(),
      ),
    ).toEqual(['x     y', 'long  z']);
  });

  it('prints a header, a rule, one row per figure and numbered notes', () => {
    const text = formatTable([lowerFig, higherFig, lonely]);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^figure\s+median\s+p90\s+n\s+peer\s+peer median\s+ratio\s+better$/);
    expect(lines[1]).toMatch(/^-+$/);
    expect(lines[2]).toMatch(
      /^time thing \[1\]\s+4\.00 ms\s+5\.60 ms\s+3\s+peer thing\s+8\.00 ms\s+0\.50x\s+lower$/,
    );
    expect(lines[3]).toMatch(/^rate thing\s+200 MB\/s\s+120 MB\/s\s+3\s+tcp\s+400 MB\/s\s+0\.50x\s+higher$/);
    expect(lines[4]).toMatch(/^alone\s+1\.23 ms\s+1\.23 ms\s+1\s+-\s+-\s+-\s+lower$/);
    // right-aligned columns end at the header's offset, left-aligned ones start at it
    const endOf = (l: string, cell: string) => l.indexOf(cell) + cell.length;
    expect(endOf(lines[2]!, '0.50x')).toBe(endOf(lines[0]!, 'ratio'));
    expect(endOf(lines[3]!, '400 MB/s')).toBe(endOf(lines[0]!, 'peer median'));
    expect(lines[4]!.indexOf('lower')).toBe(lines[0]!.indexOf('better'));
    expect(lines[1]!.length).toBe(Math.max(...lines.slice(0, 5).map((l) => l.length)));
    for (const l of lines) expect(l).toBe(l.trimEnd());
    expect(lines.slice(5)).toEqual(['', '[1] what it means']);
  });
});

describe('JSON lines', () => {
  it('one parseable object per figure with the documented fields', () => {
    const lines = [lowerFig, higherFig, lonely].map(figureJsonLine);
    for (const l of lines) expect(l).not.toContain('\n');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const p of parsed) {
      for (const k of ['name', 'unit', 'median', 'p90', 'peer', 'peerMedian', 'ratio', 'n', 'better']) {
        expect(p).toHaveProperty(k);
      }
    }
    expect(parsed[0]).toMatchObject({
      name: 'time thing',
      unit: 'ms',
      ratio: 0.5,
      better: 'lower',
      note: 'what it means',
    });
    expect(parsed[1]).toMatchObject({ better: 'higher', peer: 'tcp', peerMedian: 400 });
    expect(parsed[2]).toMatchObject({ peer: null, ratio: null, median: 1.23457 });
  });

  it('writes the run record with machine and figures', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tq-bench-test-'));
    try {
      const path = writeRunRecord(join(dir, 'sub'), 'latest.json', {
        command: 'npm run bench',
        quick: true,
        started: new Date(0).toISOString(),
        seconds: 1,
        machine: machineInfo(),
        figures: [lowerFig],
      });
      const back = JSON.parse(readFileSync(path, 'utf8'));
      expect(back.machine.cores).toBeGreaterThanOrEqual(1);
      expect(back.machine.node).toBe(process.version);
      expect(back.figures).toEqual([JSON.parse(figureJsonLine(lowerFig))]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---- A small strict XML reader for checking the SVG ----

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string): string {
  const bad = s.replace(/&(amp|lt|gt|quot|apos|#\d+);/g, '');
  if (/[&<]/.test(bad)) throw new Error(`unescaped & or < in ${JSON.stringify(s)}`);
  return s.replace(/&(amp|lt|gt|quot|apos|#\d+);/g, (_, e: string) =>
    e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : ENTITIES[e]!,
  );
}

function parseTag(tag: string): { name: string; attrs: Record<string, string>; selfClosing: boolean } {
  const m = /^<([A-Za-z][\w:.-]*)((?:\s+[A-Za-z_:][\w:.-]*="[^"<]*")*)\s*(\/?)>$/.exec(tag);
  if (!m) throw new Error(`malformed tag ${tag}`);
  const attrs: Record<string, string> = {};
  for (const a of m[2]!.matchAll(/([A-Za-z_:][\w:.-]*)="([^"]*)"/g)) {
    if (a[1]! in attrs) throw new Error(`duplicate attribute ${a[1]} in ${tag}`);
    attrs[a[1]!] = decode(a[2]!);
  }
  return { name: m[1]!, attrs, selfClosing: m[3] === '/' };
}

/** Parses a document with one root element; throws on anything not well-formed. */
function parseXml(xml: string): XmlElement {
  const tokens = xml.match(/<\?[\s\S]*?\?>|<\/?[^<>]*>|[^<]+/g) ?? [];
  if (tokens.join('') !== xml) throw new Error('stray < in document');
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  for (const t of tokens) {
    if (t.startsWith('<?')) continue;
    if (t.startsWith('</')) {
      const open = stack.pop();
      if (!open || t !== `</${open.name}>`) throw new Error(`mismatched ${t}`);
      continue;
    }
    if (t.startsWith('<')) {
      const { name, attrs, selfClosing } = parseTag(t);
      const el: XmlElement = { name, attrs, children: [], text: '' };
      if (stack.length === 0) {
        if (root) throw new Error('two root elements');
        root = el;
      } else stack.at(-1)!.children.push(el);
      if (!selfClosing) stack.push(el);
      continue;
    }
    if (stack.length === 0) {
      if (t.trim() !== '') throw new Error('text outside the root');
    } else stack.at(-1)!.text += decode(t);
  }
  if (stack.length > 0 || !root) throw new Error('unclosed elements');
  return root;
}

function all(el: XmlElement, pred: (e: XmlElement) => boolean): XmlElement[] {
  return [...(pred(el) ? [el] : []), ...el.children.flatMap((c) => all(c, pred))];
}

describe('SVG line chart', () => {
  const series = [
    { name: 'one sled <restart>', points: [4, 8, 16, 32, 64].map((x) => ({ x, y: x / 2 })) },
    { name: 'all sleds & "cold"', points: [4, 8, 16, 32, 64].map((x) => ({ x, y: x * 3 })) },
  ];
  const svg = lineChartSvg({ title: 'Unlock time vs n', xLabel: 'n', yLabel: 'ms', series, xScale: 'log2' });
  const root = parseXml(svg);

  it('is a well-formed SVG document', () => {
    expect(root.name).toBe('svg');
    expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(root.attrs.viewBox).toBe('0 0 760 460');
    expect(all(root, (e) => e.name === 'title')[0]!.text).toBe('Unlock time vs n');
  });

  it('has one polyline per series, a marker per point, inside the view box', () => {
    const groups = all(root, (e) => e.attrs.class === 'series');
    expect(groups.map((g) => g.attrs['data-series'])).toEqual(series.map((s) => s.name));
    for (const g of groups) {
      const line = g.children.filter((c) => c.name === 'polyline');
      expect(line).toHaveLength(1);
      const pts = line[0]!.attrs.points!.split(' ').map((p) => p.split(',').map(Number));
      expect(pts).toHaveLength(5);
      for (const [x, y] of pts) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(760);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(460);
      }
      const xs = pts.map((p) => p[0]!);
      expect([...xs].sort((a, b) => a - b)).toEqual(xs);
      // log2 scale: equal steps between 4, 8, 16, 32, 64
      const steps = xs.slice(1).map((x, i) => x - xs[i]!);
      for (const s of steps) expect(s).toBeCloseTo(steps[0]!, 0);
      expect(g.children.filter((c) => c.name === 'circle')).toHaveLength(5);
    }
    // the taller series is drawn higher (smaller y) at the same x
    const yAt = (g: XmlElement) => Number(g.children[0]!.attrs.points!.split(' ')[4]!.split(',')[1]);
    expect(yAt(groups[1]!)).toBeLessThan(yAt(groups[0]!));
  });

  it('has both axes, tick labels and axis labels, and a legend naming every series', () => {
    expect(all(root, (e) => e.attrs.class === 'axis x-axis')).toHaveLength(1);
    expect(all(root, (e) => e.attrs.class === 'axis y-axis')).toHaveLength(1);
    const labels = all(root, (e) => e.attrs.class === 'tick-label').map((e) => e.text);
    expect(labels).toEqual(expect.arrayContaining(['4', '8', '16', '32', '64', '0', '200']));
    expect(all(root, (e) => e.attrs.class === 'axis-label').map((e) => e.text)).toEqual(['n', 'ms']);
    const legend = all(root, (e) => e.attrs.class === 'legend')[0]!;
    expect(legend.children.filter((c) => c.name === 'text').map((c) => c.text)).toEqual(
      series.map((s) => s.name),
    );
  });

  it('escapes text and refuses bad input', () => {
    expect(escapeXml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    expect(() => lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series: [] })).toThrow(RangeError);
    const nan = [{ name: 's', points: [{ x: 1, y: Number.NaN }] }];
    expect(() => lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series: nan })).toThrow(RangeError);
    const zero = [{ name: 's', points: [{ x: 0, y: 1 }] }];
    expect(() =>
      lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series: zero, xScale: 'log2' }),
    ).toThrow(RangeError);
  });

  it('picks round ticks covering the range', () => {
    expect(niceTicks(0, 97)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 2.6)).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 3]);
    expect(niceTicks(5, 5)).toEqual([5]);
    expect(() => niceTicks(2, 1)).toThrow(RangeError);
  });

  it('writes the file it describes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tq-bench-svg-'));
    try {
      const path = writeLineChart(join(dir, 'results'), 'chart.svg', {
        title: 't',
        xLabel: 'x',
        yLabel: 'y',
        series,
      });
      expect(parseXml(readFileSync(path, 'utf8')).name).toBe('svg');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('command line and registry', () => {
  it('parses names and flags, refuses unknown flags', () => {
    expect(parseArgs(['secret-sharing', '--quick', 'tls-handshake', '--json'])).toEqual({
      quick: true,
      json: true,
      help: false,
      names: ['secret-sharing', 'tls-handshake'],
    });
    expect(parseArgs(['--help']).help).toBe(true);
    expect(() => parseArgs(['--fast'])).toThrow(RangeError);
  });

  it('selects available benchmarks; unknown and pending names are errors', () => {
    const names = BENCHMARKS.map((b) => b.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(
      expect.arrayContaining([
        'secret-sharing',
        'crypto-floor',
        'tls-handshake',
        'throughput',
        'spdm-session',
      ]),
    );
    expect(select([]).map((b) => b.name)).toEqual(BENCHMARKS.filter((b) => !isPending(b)).map((b) => b.name));
    expect(select(['throughput', 'secret-sharing']).map((b) => b.name)).toEqual([
      'throughput',
      'secret-sharing',
    ]);
    expect(() => select(['nope'])).toThrow(/unknown benchmark nope/);
    for (const p of BENCHMARKS.filter(isPending)) expect(() => select([p.name])).toThrow(/not available yet/);
  });

  it('help lists every benchmark and the flags', () => {
    const h = helpText();
    for (const b of BENCHMARKS) expect(h).toContain(b.name);
    for (const f of ['--quick', '--json', '--help']) expect(h).toContain(f);
  });
});

describe('measurements run for real', () => {
  it('plain Shamir peer recovers its secret from any k shares', () => {
    const shares = plainSplit(5, 3);
    const a = plainCombine(shares.slice(0, 3));
    const b = plainCombine(shares.slice(2, 5));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(plainCombine(shares.slice(0, 2))).equals(Buffer.from(a))).toBe(false);
  });

  it('the crypto floor completes a session and notices a wrong signing key', async () => {
    const p = await floorParties('p256');
    expect(() => sessionCryptoFloor(p)).not.toThrow();
    const swapped = { ...p, requester: { ...p.requester, privateKey: p.responder.privateKey } };
    expect(() => sessionCryptoFloor(swapped)).toThrow(/FINISH signature failed/);
    expect(() => sessionCryptoFloor(p, { cachedChains: true })).not.toThrow();
    expect(() => sessionCryptoFloor(swapped, { cachedChains: true })).toThrow(/FINISH signature failed/);
    const wrongLeaf = { ...p, responder: { ...p.responder, leafKey: p.requester.leafKey } };
    expect(() => sessionCryptoFloor(wrongLeaf, { cachedChains: true })).toThrow(/KEY_EXCHANGE_RSP signature/);
    expect(() => sessionCryptoFloor(wrongLeaf)).not.toThrow(); // validation finds the right key again
  });

  it('a mutually authenticated TLS session and a TCP session complete on loopback', async () => {
    const [t, c] = [await startTlsServer('p256'), await startTcpServer()];
    try {
      await t.session();
      await c.session();
    } finally {
      await Promise.all([t.close(), c.close()]);
    }
  });

  it('a bulk transfer delivers every byte and reports a positive rate', async () => {
    const pair = await openTcpPair();
    try {
      const mbps = await transfer(pair, 1024 * 1024 + 7, 64 * 1024);
      expect(Number.isFinite(mbps) && mbps > 0).toBe(true);
    } finally {
      await pair.close();
    }
  });
});
