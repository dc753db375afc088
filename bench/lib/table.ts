/**
 * Human output: figures as a table with aligned columns (figure, ours median / p90, peer, peer
 * median, ratio, which way is better), followed by the notes that say what each comparison
 * means. Pure string building; run.ts writes it.
 */
import type { Figure } from './figure.js';

/** A number with about three significant digits: 1234, 123, 12.3, 1.23, 0.123, 0.0123. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 100 || a === 0) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

/** `formatNumber(v) unit`, or `-` for null. */
export function formatValue(v: number | null, unit: string): string {
  return v === null ? '-' : `${formatNumber(v)} ${unit}`;
}

const HEADER = ['figure', 'median', 'p90', 'n', 'peer', 'peer median', 'ratio', 'better'] as const;
/** Right-aligned columns (numbers). */
const RIGHT = new Set([1, 2, 3, 5, 6]);

/**
 * Lays out rows of cells as text columns separated by two spaces; numeric columns right-aligned,
 * so every column starts (left-aligned) or ends (right-aligned) at the same offset on every line.
 * Trailing spaces are trimmed. Cells must not contain newlines.
 */
export function alignColumns(rows: readonly (readonly string[])[], right: ReadonlySet<number>): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  }
  return rows.map((row) =>
    widths
      .map((w, i) => (right.has(i) ? (row[i] ?? '').padStart(w) : (row[i] ?? '').padEnd(w)))
      .join('  ')
      .trimEnd(),
  );
}

function ratioCell(f: Figure): string {
  return f.ratio === null ? '-' : `${f.ratio.toFixed(2)}x`;
}

/** The table of `figures` with a header line and a rule, and numbered notes below it. */
export function formatTable(figures: readonly Figure[]): string {
  const notes: string[] = [];
  const rows: string[][] = [[...HEADER]];
  for (const f of figures) {
    let name = f.name;
    if (f.note !== undefined) {
      notes.push(f.note);
      name += ` [${notes.length}]`;
    }
    rows.push([
      name,
      formatValue(f.median, f.unit),
      formatValue(f.p90, f.unit),
      String(f.n),
      f.peer ?? '-',
      formatValue(f.peerMedian, f.unit),
      ratioCell(f),
      f.better,
    ]);
  }
  const lines = alignColumns(rows, RIGHT);
  const rule = '-'.repeat(Math.max(...lines.map((l) => l.length)));
  const out = [lines[0]!, rule, ...lines.slice(1)];
  if (notes.length > 0) out.push('', ...notes.map((n, i) => `[${i + 1}] ${n}`));
  return out.join('\n');
}
