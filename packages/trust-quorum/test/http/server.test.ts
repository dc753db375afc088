/**
 * The status server over real HTTP on 127.0.0.1:0: /status JSON from the provider, /metrics
 * from a per-agent registry (two agents in one process stay apart, the global registry stays
 * empty), /healthz following the state, the dashboard with a CSP that matches its inline code,
 * HEAD, 404/405/413/414/431, a failing provider (500 without details), and close() ending
 * keep-alive connections.
 */
import { createHash } from 'node:crypto';
import { Agent, request } from 'node:http';
import { register as globalRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentMetrics, type AgentState, type AgentStatus, StatusServer } from '../../src/http/index.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; agent?: Agent } = {},
): Promise<Reply> {
  return new Promise((resolveReply, rejectReply) => {
    const req = request(
      url,
      { method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolveReply({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', rejectReply);
      },
    );
    req.on('error', rejectReply);
    req.end(opts.body);
  });
}

function statusOf(state: AgentState, sledId = 'sled-1'): AgentStatus {
  return {
    sledId,
    state,
    since: '2024-01-01T00:00:00.000Z',
    reason: state === 'failed' ? 'NotAMember: sled-9 is not in the configuration' : null,
    rackId: '0123abcd-0000-4000-8000-00000000beef',
    epoch: 3,
    shares: { held: 2, needed: 3 },
    peers: [
      {
        sledId: 'sled-2',
        address: '127.0.0.1:4202',
        source: 'multicast',
        shareReceived: true,
        lastError: null,
        lastSeen: '2024-01-01T00:00:01.000Z',
      },
      {
        sledId: null,
        address: '127.0.0.1:4203',
        source: 'static',
        shareReceived: false,
        lastError: { reason: 'Unreachable', message: 'connect ECONNREFUSED', at: '2024-01-01T00:00:02.000Z' },
        lastSeen: null,
      },
    ],
    disks: [],
    services: [],
    versions: { agent: '0.1.0', node: process.version, spdm: ['1.2', '1.3'], ledgerFormat: 1 },
    uptimeSeconds: 12,
  };
}

const servers: StatusServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(
  state: { value: AgentState },
  metrics = new AgentMetrics({ sledId: 'sled-1' }),
  status?: () => AgentStatus,
) {
  const s = await StatusServer.start({
    listen: { host: '127.0.0.1', port: 0 },
    status: status ?? (() => statusOf(state.value)),
    metrics,
  });
  servers.push(s);
  return { s, metrics };
}

describe('StatusServer', () => {
  it('serves /status as JSON from the provider, and HEAD without a body', async () => {
    const { s } = await serve({ value: 'collecting' });
    expect(s.address.host).toBe('127.0.0.1');
    expect(s.address.port).toBeGreaterThan(0);
    const r = await call(s.url('/status?pretty=1'));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(r.body)).toEqual(statusOf('collecting'));
    const h = await call(s.url('/status'), { method: 'HEAD' });
    expect(h.status).toBe(200);
    expect(Number(h.headers['content-length'])).toBe(Buffer.byteLength(r.body));
    expect(h.body).toBe('');
  });

  it('serves /metrics from a per-agent registry', async () => {
    const a = new AgentMetrics({ sledId: 'sled-1' });
    const b = new AgentMetrics({ sledId: 'sled-2' });
    a.setState('collecting');
    a.setShares(2, 3);
    a.setPeersKnown(4);
    a.collectionAttempt('sled-2');
    a.collectionAttempt('sled-2');
    a.collectionError('sled-3', 'Unreachable');
    a.sessionServed('share');
    a.observeUnlock(1.5);
    a.observeHook('data0', 0.2, true);
    a.serviceRestart('app');
    b.setState('failed');
    const { s } = await serve({ value: 'collecting' }, a);
    const r = await call(s.url('/metrics'));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const lines = r.body.split('\n');
    for (const want of [
      'tq_agent_state{state="collecting",sled="sled-1"} 1',
      'tq_agent_state{state="failed",sled="sled-1"} 0',
      'tq_shares_held{sled="sled-1"} 2',
      'tq_shares_needed{sled="sled-1"} 3',
      'tq_peers_known{sled="sled-1"} 4',
      'tq_collection_attempts_total{peer="sled-2",sled="sled-1"} 2',
      'tq_collection_errors_total{peer="sled-3",reason="Unreachable",sled="sled-1"} 1',
      'tq_sessions_served_total{outcome="share",sled="sled-1"} 1',
      'tq_unlock_duration_seconds_count{sled="sled-1"} 1',
      'tq_unlock_duration_seconds_sum{sled="sled-1"} 1.5',
      'tq_unlock_hook_duration_seconds_count{sled="sled-1",disk="data0",result="ok"} 1',
      'tq_service_restarts_total{service="app",sled="sled-1"} 1',
    ]) {
      expect(lines).toContain(want);
    }
    expect(r.body).not.toContain('sled-2",sled="sled-2');
    expect(await b.text()).toContain('tq_agent_state{state="failed",sled="sled-2"} 1');
    expect(await b.text()).not.toContain('sled="sled-1"');
    expect(globalRegistry.getMetricsAsArray().filter((m) => m.name.startsWith('tq_'))).toEqual([]);
  });

  it('answers /healthz 200 until the state is failed, then 503', async () => {
    const state = { value: 'collecting' as AgentState };
    const { s } = await serve(state);
    expect(await call(s.url('/healthz'))).toMatchObject({ status: 200, body: 'ok\n' });
    state.value = 'failed';
    expect(await call(s.url('/healthz'))).toMatchObject({ status: 503, body: 'failed\n' });
  });

  it('serves a self-contained dashboard whose CSP allows exactly its inline style and script', async () => {
    const { s } = await serve({ value: 'unlocked' });
    const r = await call(s.url('/'));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(r.headers['content-security-policy']);
    const script = /<script>([\s\S]*)<\/script>/.exec(r.body)![1]!;
    const style = /<style>([\s\S]*)<\/style>/.exec(r.body)![1]!;
    const h = (t: string) => `'sha256-${createHash('sha256').update(t).digest('base64')}'`;
    expect(csp).toContain(`script-src ${h(script)}`);
    expect(csp).toContain(`style-src ${h(style)}`);
    expect(csp).toContain("default-src 'none'");
    expect(r.body).not.toMatch(/\b(src|href)=/);
    expect(script).toContain("fetch('status'");
    expect(script).not.toContain('innerHTML');
  });

  it.each([
    ['GET', '/nope', 404, undefined],
    ['POST', '/status', 405, 'GET, HEAD'],
    ['DELETE', '/', 405, 'GET, HEAD'],
  ])('%s %s -> %i', async (method, path, code, allow) => {
    const { s } = await serve({ value: 'collecting' });
    const r = await call(s.url(path), { method });
    expect(r.status).toBe(code);
    expect(r.headers.allow).toBe(allow);
  });

  it('refuses a request body, an overlong URL and an oversized header', async () => {
    const { s } = await serve({ value: 'collecting' });
    expect((await call(s.url('/status'), { body: 'x', headers: { 'content-length': '1' } })).status).toBe(
      413,
    );
    expect((await call(s.url(`/status?${'a'.repeat(3000)}`))).status).toBe(414);
    const big = await call(s.url('/status'), { headers: { 'x-big': 'b'.repeat(20_000) } }).catch(
      (e: Error) => e,
    );
    // Node answers 431 and closes; the client may see the reply or the reset, never a 200.
    if (!(big instanceof Error)) expect(big.status).toBe(431);
  });

  it('answers 500 without details when the provider throws', async () => {
    const { s } = await serve({ value: 'collecting' }, undefined, () => {
      throw new Error('secret internal detail');
    });
    const r = await call(s.url('/status'));
    expect(r).toMatchObject({ status: 500, body: 'internal error\n' });
    expect((await call(s.url('/healthz'))).status).toBe(500);
  });

  it('close() ends idle keep-alive connections and resolves', async () => {
    const { s } = await serve({ value: 'collecting' });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await call(s.url('/status'), { agent })).status).toBe(200);
      const sockets = Object.values(agent.freeSockets).flat();
      expect(sockets).toHaveLength(1);
      const closed = new Promise((r) => sockets[0]!.once('close', r));
      await s.close();
      await closed;
      await expect(call(s.url('/status'))).rejects.toThrow(/ECONNREFUSED/);
      await s.close();
    } finally {
      agent.destroy();
    }
  });
});
