/**
 * serveSpdm over an in-memory FramedConnection pair (real framing, deadlines and close
 * behaviour): plain SPDM through the core, logging by code name only, secured records with and
 * without the onSecured hook, DSP0287 RoleInquiry and peer binding errors, idle and abort
 * outcomes, one core per connection; listenSpdm validates a ResponderInit before binding.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../src/codec/bytes.js';
import { SpdmError } from '../../src/errors.js';
import { negotiate } from '../../src/requester/negotiate.js';
import { ResponderCore } from '../../src/responder/core.js';
import { listenSpdm, type SpdmLogger, serveSpdm } from '../../src/responder/serve.js';
import type { FramedConnection } from '../../src/transport/connection.js';
import { exchange, exchangeOver } from '../../src/transport/exchange.js';
import { memoryConnectionPair } from '../../src/transport/memory.js';

const GET_VERSION = Uint8Array.of(0x10, 0x84, 0, 0);
const conns: FramedConnection[] = [];

afterEach(() => {
  for (const c of conns.splice(0)) c.destroy();
});

function pair(): [FramedConnection, FramedConnection] {
  const p = memoryConnectionPair();
  conns.push(...p);
  return p;
}

interface Entry {
  level: string;
  obj: Record<string, unknown>;
  msg: string | undefined;
}

function recorder(): { logger: SpdmLogger; entries: Entry[] } {
  const entries: Entry[] = [];
  const at =
    (level: string) =>
    (obj: Record<string, unknown>, msg?: string): void => {
      entries.push({ level, obj, msg });
    };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, entries };
}

async function rejection(p: Promise<unknown>): Promise<SpdmError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SpdmError);
  return e as SpdmError;
}

describe('serveSpdm', () => {
  it('answers VCA through the core and logs each request by code name, never by bytes', async () => {
    const [client, server] = pair();
    const { logger, entries } = recorder();
    const serving = serveSpdm(server, () => new ResponderCore(), { logger });
    const n = await negotiate(exchangeOver(client));
    await client.close();
    const out = await serving;
    expect(out.reason).toBe('peer-closed');
    expect(out.requests).toBe(3);
    expect(toHex(out.core.negotiated!.vca)).toBe(toHex(n.vca));
    const requests = entries.filter((e) => e.msg === 'spdm request');
    expect(requests.map((e) => [e.level, e.obj.request, e.obj.response])).toEqual([
      ['info', 'GET_VERSION', 'VERSION'],
      ['info', 'GET_CAPABILITIES', 'CAPABILITIES'],
      ['info', 'NEGOTIATE_ALGORITHMS', 'ALGORITHMS'],
    ]);
    expect(entries.at(-1)).toMatchObject({
      msg: 'connection ended',
      obj: { reason: 'peer-closed', requests: 3 },
    });
    // Only strings and numbers are logged: no payload bytes can slip in.
    for (const e of entries) {
      for (const v of Object.values(e.obj)) expect(['string', 'number', 'undefined']).toContain(typeof v);
    }
  });

  it('logs an ERROR answer at warn with the error name, and keeps serving', async () => {
    const [client, server] = pair();
    const { logger, entries } = recorder();
    const serving = serveSpdm(server, new ResponderCore(), { logger });
    const rsp = await exchange(client, Uint8Array.of(0x12, 0xe3, 0, 0)); // NEGOTIATE_ALGORITHMS first
    expect(toHex(rsp.subarray(0, 3))).toBe('107f04'); // ERROR UnexpectedRequest
    expect(toHex(await exchange(client, GET_VERSION)).slice(0, 4)).toBe('1004');
    await client.close();
    await serving;
    expect(entries.find((e) => e.obj.request === 'NEGOTIATE_ALGORITHMS')).toMatchObject({
      level: 'warn',
      obj: { response: 'ERROR', error: 'UnexpectedRequest' },
    });
  });

  it('a secured record without an onSecured hook closes the connection unanswered', async () => {
    const [client, server] = pair();
    const serving = serveSpdm(server, () => new ResponderCore());
    await client.send(Uint8Array.of(1, 2, 3, 4, 5), { secured: true });
    expect((await rejection(client.receive())).code).toBe('Closed');
    const out = await serving;
    expect(out.reason).toBe('secured-unsupported');
    expect(out.requests).toBe(0);
  });

  it('hands secured records to onSecured with the connection core; its reply goes back secured', async () => {
    const [client, server] = pair();
    const core = new ResponderCore();
    const seen: string[] = [];
    const serving = serveSpdm(server, core, {
      onSecured: (frame, ctx) => {
        seen.push(toHex(frame.payload));
        expect(ctx.core).toBe(core);
        expect(ctx.conn).toBe(server);
        return frame.payload.slice().reverse();
      },
    });
    await client.send(Uint8Array.of(1, 2, 3), { secured: true });
    const f = await client.receive();
    expect(f.type).toBe('secured');
    expect(toHex(f.payload)).toBe('030201');
    expect(seen).toEqual(['010203']);
    await client.close();
    expect((await serving).reason).toBe('peer-closed');
  });

  it('answers a DSP0287 RoleInquiry with "cannot operate as requester" and ignores peer binding errors', async () => {
    const [client, server] = pair();
    const { logger, entries } = recorder();
    const serving = serveSpdm(server, () => new ResponderCore(), { logger });
    await client.sendFrame({ type: 'role-inquiry', payload: new Uint8Array(0) });
    const f = await client.receive();
    expect(f).toMatchObject({ type: 'binding-error', code: 0xc2 });
    await client.sendFrame({ type: 'binding-error', code: 0xc1, payload: new Uint8Array(0) });
    expect(toHex(await exchange(client, GET_VERSION)).slice(0, 4)).toBe('1004');
    await client.close();
    expect((await serving).requests).toBe(1);
    expect(entries.some((e) => e.level === 'warn' && e.obj.bindingError === 0xc1)).toBe(true);
  });

  it('ends an idle connection, and stops on abort', async () => {
    const [, server] = pair();
    expect((await serveSpdm(server, () => new ResponderCore(), { idleTimeoutMs: 50 })).reason).toBe('idle');
    const [, server2] = pair();
    const ac = new AbortController();
    const serving = serveSpdm(server2, () => new ResponderCore(), { signal: ac.signal });
    ac.abort();
    expect((await serving).reason).toBe('aborted');
  });

  it('a logger that throws does not disturb the protocol', async () => {
    const [client, server] = pair();
    const boom = () => {
      throw new Error('logger broke');
    };
    const serving = serveSpdm(server, () => new ResponderCore(), {
      logger: { info: boom, warn: boom, debug: boom },
    });
    expect((await negotiate(exchangeOver(client))).version).toBe(0x13);
    await client.close();
    expect((await serving).requests).toBe(3);
  });

  it('calls the core factory once per connection', async () => {
    let made = 0;
    const factory = () => {
      made++;
      return new ResponderCore({ versions: [0x12] });
    };
    for (let i = 0; i < 3; i++) {
      const [client, server] = pair();
      const serving = serveSpdm(server, factory);
      expect((await negotiate(exchangeOver(client))).version).toBe(0x12);
      await client.close();
      await serving;
    }
    expect(made).toBe(3);
  });
});

describe('listenSpdm', () => {
  it('refuses an inconsistent ResponderInit before binding', async () => {
    await expect(listenSpdm({ port: 0 }, { versions: [] })).rejects.toBeInstanceOf(RangeError);
  });
});
