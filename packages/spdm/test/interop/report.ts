/**
 * How the interop run prints its results: one line per cell (plus its steps and command line
 * when verbose or failed), the matrices of sections 1 and 2 and the validator counts as Markdown
 * tables (what the README's "Interop" section shows), and a summary.
 */
import { type CellResult, cellName, matrixCells, VERSION_NAME } from './cells.js';

const MARK = { pass: 'pass', fail: 'FAIL', 'n/a': 'n/a ' } as const;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** One cell: status, name, time, and its steps. */
export function printCell(r: CellResult, verbose: boolean): void {
  const steps = r.steps
    .map((s) => (s.status === 'pass' ? s.name : `${s.name} ${MARK[s.status].trim()}`))
    .join(', ');
  const counts = r.counts
    ? `pass ${r.counts.pass}, fail ${r.counts.fail}, n/a ${r.counts.notTested} not tested + ${r.counts.skipped} skipped`
    : steps;
  console.log(
    `  ${MARK[r.status]}  ${r.name.padEnd(24)} ${r.ms > 0 ? seconds(r.ms).padStart(7) : '       '}  ${counts}`,
  );
  if (r.status !== 'pass' && r.detail) console.log(`        ${r.detail}`);
  if (verbose || r.status === 'fail') {
    for (const s of r.steps) if (s.detail) console.log(`        ${s.name}: ${s.detail}`);
    for (const c of r.commands) console.log(`        $ ${c}`);
    if (r.counts) for (const n of r.counts.notApplicable) console.log(`        n/a ${n}`);
  }
}

function matrixTable(results: readonly CellResult[], section: 1 | 2): string[] {
  const cells = matrixCells();
  const cols = ['P-256 MCTP', 'P-256 TCP', 'P-384 MCTP', 'P-384 TCP'];
  const rows = new Map<string, Map<string, string>>();
  for (const c of cells) {
    const r = results.find((x) => x.section === section && x.name === cellName(c));
    if (!r) continue;
    const auth = c.mutual ? (c.rsaRequester ? 'mutual, RSA requester' : 'mutual') : 'responder only';
    const row = c.emuDefaults ? 'emulator defaults (-> 1.3, P-384)' : `${VERSION_NAME[c.version]} ${auth}`;
    const col = `${c.curve} ${c.transport.toUpperCase()}`;
    const app = r.steps.find((s) => s.name.startsWith('APP'));
    const text = r.status === 'pass' && app?.status === 'n/a' ? 'pass (app n/a)' : MARK[r.status].trim();
    if (!rows.has(row)) rows.set(row, new Map());
    rows.get(row)!.set(col, text);
  }
  if (rows.size === 0) return [];
  const out = [`| SPDM, authentication | ${cols.join(' | ')} |`, `|---|${cols.map(() => '---').join('|')}|`];
  for (const [row, m] of rows) out.push(`| ${row} | ${cols.map((c) => m.get(c) ?? '-').join(' | ')} |`);
  return out;
}

/** The Markdown matrices. */
export function printMatrix(results: readonly CellResult[]): void {
  const s1 = matrixTable(results, 1);
  const s2 = matrixTable(results, 2);
  const v = results.filter((r) => r.section === 3);
  console.log('\nMatrix (Markdown)\n');
  if (s1.length > 0) console.log(['1. our requester -> spdm_responder_emu', '', ...s1, ''].join('\n'));
  if (s2.length > 0) console.log(['2. spdm_requester_emu -> our responder', '', ...s2, ''].join('\n'));
  if (v.length > 0) {
    console.log('3. SPDM-Responder-Validator -> our responder\n');
    console.log('| transport | result | assertions passed | failed | not applicable |');
    console.log('|---|---|---|---|---|');
    for (const r of v) {
      const c = r.counts;
      const na = c ? `${c.notTested} NOT_TESTED + ${c.skipped} skipped cases` : '-';
      console.log(
        `| ${r.name.replace('validator ', '')} | ${MARK[r.status].trim()} | ${c?.pass ?? '-'} | ${c?.fail ?? '-'} | ${na} |`,
      );
    }
    console.log('');
  }
}

/** Prints the totals; true when nothing failed. */
export function printSummary(results: readonly CellResult[]): boolean {
  const count = (s: CellResult['status']) => results.filter((r) => r.status === s).length;
  const fail = count('fail');
  console.log(`summary: ${results.length} cells, ${count('pass')} pass, ${fail} FAIL, ${count('n/a')} n/a`);
  for (const r of results.filter((x) => x.status === 'fail'))
    console.log(`  FAIL ${r.section}. ${r.name}: ${r.detail}`);
  return fail === 0;
}
