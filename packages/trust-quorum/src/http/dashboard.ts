/**
 * The status page served at `GET /`: one static HTML document with inline CSS and JS that polls
 * `/status` every second and renders it. No external assets. Data is inserted with
 * `textContent` only (never as HTML), and the Content-Security-Policy allows exactly the inline
 * style and script below (by SHA-256 hash) plus fetches to this origin.
 */
import { createHash } from 'node:crypto';

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1b1f23;background:#f6f8fa}
h1{font-size:1.3rem;margin:0 0 .8rem}h2{font-size:1rem;margin:1.2rem 0 .4rem}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:1rem;max-width:60rem}
.state{display:inline-block;padding:.15rem .6rem;border-radius:1rem;font-weight:600;color:#fff;background:#6e7781}
.state.collecting,.state.awaiting-init,.state.starting{background:#bf8700}
.state.unlocked,.state.services-started{background:#1a7f37}
.state.failed{background:#cf222e}.state.single-node{background:#0969da}
.bar{height:.6rem;background:#eaeef2;border-radius:.3rem;overflow:hidden;max-width:20rem;margin:.3rem 0}
.bar>div{height:100%;background:#1a7f37;width:0}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #eaeef2}
.err{color:#cf222e}.muted{color:#6e7781}code{font-size:12px}
`;

const SCRIPT = `
'use strict';
const $ = (id) => document.getElementById(id);
function cell(row, text, cls) {
  const td = document.createElement('td');
  td.textContent = text === null || text === undefined ? '' : String(text);
  if (cls) td.className = cls;
  row.appendChild(td);
}
function fill(id, rows, cols) {
  const body = $(id);
  body.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement('tr');
    for (const c of cols) {
      const v = c(r);
      Array.isArray(v) ? cell(tr, v[0], v[1]) : cell(tr, v);
    }
    body.appendChild(tr);
  }
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    cell(tr, 'none', 'muted');
    body.appendChild(tr);
  }
}
function render(s) {
  document.title = 'tq ' + s.sledId + ': ' + s.state;
  $('sled').textContent = s.sledId;
  const st = $('state');
  st.textContent = s.state;
  st.className = 'state ' + s.state;
  $('reason').textContent = s.reason || '';
  $('since').textContent = 'since ' + s.since;
  const need = s.shares.needed;
  $('shares').textContent = s.shares.held + ' / ' + (need === null ? '-' : need);
  $('bar').style.width = need ? Math.min(100, (100 * s.shares.held) / need) + '%' : '0';
  $('rack').textContent = s.rackId || '-';
  $('epoch').textContent = s.epoch === null ? '-' : String(s.epoch);
  fill('peers', s.peers, [
    (p) => p.sledId || '?',
    (p) => p.address,
    (p) => p.source,
    (p) => (p.shareReceived ? 'yes' : 'no'),
    (p) => (p.lastError ? [p.lastError.reason + ': ' + p.lastError.message, 'err'] : ''),
  ]);
  fill('disks', s.disks, [(d) => d.diskId, (d) => d.fingerprint, (d) => (d.ok ? 'ok' : ['failed: ' + d.error, 'err'])]);
  fill('services', s.services, [
    (v) => v.name,
    (v) => v.state,
    (v) => v.restarts,
    (v) => (v.lastExit ? (v.lastExit.spawnError || v.lastExit.signal || 'code ' + v.lastExit.code) : ''),
  ]);
  const v = s.versions;
  $('versions').textContent =
    'agent ' + v.agent + ', node ' + v.node + ', SPDM ' + v.spdm.join('/') + ', ledger format ' + v.ledgerFormat +
    ', up ' + s.uptimeSeconds + ' s';
  $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  $('updated').className = 'muted';
}
async function poll() {
  try {
    const r = await fetch('status', { cache: 'no-store' });
    if (!r.ok) throw new Error('HTTP ' + r.status);
    render(await r.json());
  } catch (e) {
    $('updated').textContent = 'agent unreachable (' + e.message + ')';
    $('updated').className = 'err';
  }
  setTimeout(poll, 1000);
}
poll();
`;

const BODY = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>trust-quorum</title>
<style>${STYLE}</style>
</head>
<body>
<div class="card">
<h1>trust-quorum sled <span id="sled">…</span></h1>
<p><span id="state" class="state">loading</span> <span id="since" class="muted"></span></p>
<p id="reason"></p>
<p>shares <b id="shares">-</b></p><div class="bar"><div id="bar"></div></div>
<p>rack <code id="rack">-</code>, epoch <span id="epoch">-</span></p>
<h2>Peers</h2>
<table><thead><tr><th>sled</th><th>address</th><th>source</th><th>share</th><th>last error</th></tr></thead>
<tbody id="peers"></tbody></table>
<h2>Disks</h2>
<table><thead><tr><th>disk</th><th>key fingerprint</th><th>unlock</th></tr></thead><tbody id="disks"></tbody></table>
<h2>Services</h2>
<table><thead><tr><th>name</th><th>state</th><th>restarts</th><th>last exit</th></tr></thead>
<tbody id="services"></tbody></table>
<p id="versions" class="muted"></p>
<p id="updated" class="muted"></p>
</div>
<script>${SCRIPT}</script>
</body>
</html>
`;

const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

/** The page, UTF-8. */
export const DASHBOARD_HTML = Buffer.from(BODY, 'utf8');

/** Allows the inline style and script of this page only, and fetches to its own origin. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `style-src ${hash(STYLE)}`,
  `script-src ${hash(SCRIPT)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
