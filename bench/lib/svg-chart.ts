/**
 * A hand-written SVG line chart (no dependency): y against x, one polyline with point markers
 * per series, x and y axes with ticks, tick labels and axis labels, light grid lines, a title
 * and a legend. Used for "time against n" charts in bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ChartPoint {
  readonly x: number;
  readonly y: number;
}

export interface Series {
  readonly name: string;
  readonly points: readonly ChartPoint[];
}

export interface LineChartInit {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Pixels; default 760 x 460. */
  readonly width?: number;
  readonly height?: number;
  /** `log2` spaces x = 4, 8, 16, 32, 64 evenly. Default `linear`. */
  readonly xScale?: 'linear' | 'log2';
  /** Tick values on x; default: the distinct x of all points (log2) or nice ticks (linear). */
  readonly xTicks?: readonly number[];
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const MARGIN = { left: 80, top: 48, bottom: 64 };
/** Room right of the plot for the legend: line, gap, and about 7 px per character at 12 px. */
const legendWidth = (init: LineChartInit) => 60 + 7 * Math.max(...init.series.map((s) => s.name.length));

/** Escapes text for SVG element content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`,
  );
}

/**
 * About `count` round tick values (steps of 1, 2 or 5 times a power of ten) covering min..max.
 * @throws RangeError for non-finite bounds or max < min.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max < min) {
    throw new RangeError(`niceTicks: bad range ${min}..${max}`);
  }
  if (max === min) return [min];
  // Step choice as in d3-array's tickIncrement: the 1-2-5 multiple nearest (geometrically) to raw.
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const r = raw / mag;
  const step = (r >= Math.sqrt(50) ? 10 : r >= Math.sqrt(10) ? 5 : r >= Math.sqrt(2) ? 2 : 1) * mag;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) {
    ticks.push(Number(v.toPrecision(12)));
  }
  if ((ticks[ticks.length - 1] as number) < max) ticks.push(Number((ticks.at(-1)! + step).toPrecision(12)));
  return ticks;
}

function checkInit(init: LineChartInit): void {
  if (init.series.length === 0) throw new RangeError('lineChartSvg: no series');
  for (const s of init.series) {
    if (s.points.length === 0) throw new RangeError(`lineChartSvg: series ${s.name} has no points`);
    for (const p of s.points) {
      if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) {
        throw new RangeError(`lineChartSvg: series ${s.name} has a non-finite point`);
      }
      if (init.xScale === 'log2' && p.x <= 0) throw new RangeError('lineChartSvg: log2 scale needs x > 0');
    }
  }
}

interface Frame {
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
  readonly px: (x: number) => number;
  readonly py: (y: number) => number;
  readonly xTicks: readonly number[];
  readonly yTicks: readonly number[];
}

function frameOf(init: LineChartInit, width: number, height: number): Frame {
  const pts = init.series.flatMap((s) => s.points);
  const xs = pts.map((p) => p.x);
  const log = init.xScale === 'log2';
  const xTicks =
    init.xTicks ??
    (log ? [...new Set(xs)].sort((a, b) => a - b) : niceTicks(Math.min(...xs), Math.max(...xs)));
  const tx = (x: number) => (log ? Math.log2(x) : x);
  const xLo = Math.min(...xs.map(tx), ...xTicks.map(tx));
  const xHi = Math.max(...xs.map(tx), ...xTicks.map(tx));
  const yTicks = niceTicks(0, Math.max(...pts.map((p) => p.y), 0));
  const yHi = yTicks[yTicks.length - 1] as number;
  const x0 = MARGIN.left;
  const x1 = width - legendWidth(init);
  const y0 = height - MARGIN.bottom;
  const y1 = MARGIN.top;
  const span = xHi - xLo || 1;
  return {
    x0,
    x1,
    y0,
    y1,
    px: (x) => x0 + ((tx(x) - xLo) / span) * (x1 - x0),
    py: (y) => y0 - (yHi === 0 ? 0 : (y / yHi) * (y0 - y1)),
    xTicks,
    yTicks,
  };
}

const f1 = (v: number) => v.toFixed(1);
/** Tick label: the round value without trailing zeros (50, 0.2, 1500). */
const tickLabel = (v: number) => String(Number(v.toPrecision(6)));

function axes(init: LineChartInit, f: Frame): string[] {
  const out = ['<g class="axes" font-size="12" fill="#333" stroke="none">'];
  for (const t of f.yTicks) {
    const y = f1(f.py(t));
    out.push(`<line class="grid" x1="${f.x0}" y1="${y}" x2="${f.x1}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<line class="tick" x1="${f.x0 - 5}" y1="${y}" x2="${f.x0}" y2="${y}" stroke="#333"/>`);
    out.push(
      `<text class="tick-label" x="${f.x0 - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXml(tickLabel(t))}</text>`,
    );
  }
  for (const t of f.xTicks) {
    const x = f1(f.px(t));
    out.push(`<line class="tick" x1="${x}" y1="${f.y0}" x2="${x}" y2="${f.y0 + 5}" stroke="#333"/>`);
    out.push(
      `<text class="tick-label" x="${x}" y="${f.y0 + 20}" text-anchor="middle">${escapeXml(tickLabel(t))}</text>`,
    );
  }
  out.push(`<line class="axis x-axis" x1="${f.x0}" y1="${f.y0}" x2="${f.x1}" y2="${f.y0}" stroke="#333"/>`);
  out.push(`<line class="axis y-axis" x1="${f.x0}" y1="${f.y0}" x2="${f.x0}" y2="${f.y1}" stroke="#333"/>`);
  const midX = f1((f.x0 + f.x1) / 2);
  const midY = f1((f.y0 + f.y1) / 2);
  out.push(
    `<text class="axis-label" x="${midX}" y="${f.y0 + 44}" text-anchor="middle" font-size="13">${escapeXml(init.xLabel)}</text>`,
  );
  out.push(
    `<text class="axis-label" x="20" y="${midY}" text-anchor="middle" font-size="13" transform="rotate(-90 20 ${midY})">${escapeXml(init.yLabel)}</text>`,
  );
  out.push('</g>');
  return out;
}

function seriesPaths(init: LineChartInit, f: Frame): string[] {
  const out: string[] = [];
  init.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length] as string;
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    const coords = pts.map((p) => `${f1(f.px(p.x))},${f1(f.py(p.y))}`);
    out.push(`<g class="series" data-series="${escapeXml(s.name)}" stroke="${color}" fill="${color}">`);
    out.push(`<polyline points="${coords.join(' ')}" fill="none" stroke-width="2"/>`);
    for (const c of coords) {
      const [x, y] = c.split(',');
      out.push(`<circle cx="${x}" cy="${y}" r="3"/>`);
    }
    out.push('</g>');
  });
  return out;
}

function legend(init: LineChartInit, f: Frame): string[] {
  const x = f.x1 + 16;
  const out = ['<g class="legend" font-size="12">'];
  init.series.forEach((s, i) => {
    const y = f.y1 + 8 + i * 20;
    const color = PALETTE[i % PALETTE.length] as string;
    out.push(`<line x1="${x}" y1="${y}" x2="${x + 22}" y2="${y}" stroke="${color}" stroke-width="2"/>`);
    out.push(
      `<text x="${x + 28}" y="${y}" dominant-baseline="middle" fill="#333">${escapeXml(s.name)}</text>`,
    );
  });
  out.push('</g>');
  return out;
}

/**
 * The chart as a standalone SVG document.
 * @throws RangeError for no series, an empty series, a non-finite point, or x <= 0 on log2.
 */
export function lineChartSvg(init: LineChartInit): string {
  checkInit(init);
  const width = init.width ?? Math.max(760, 560 + legendWidth(init));
  const height = init.height ?? 460;
  const f = frameOf(init, width, height);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<title>${escapeXml(init.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text class="title" x="${f1(width / 2)}" y="26" text-anchor="middle" font-size="16" fill="#111">${escapeXml(init.title)}</text>`,
    ...axes(init, f),
    ...seriesPaths(init, f),
    ...legend(init, f),
    '</svg>',
    '',
  ].join('\n');
}

/**
 * Writes the chart to `<dir>/<fileName>` (creating the directory).
 * @returns the path written.
 * @throws RangeError as lineChartSvg; the fs error when it cannot write.
 */
export function writeLineChart(dir: string, fileName: string, init: LineChartInit): string {
  const svg = lineChartSvg(init);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, fileName);
  writeFileSync(path, svg);
  return path;
}
