import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/codec/bytes.js';
import { SpdmError } from '../../src/errors.js';
import { ERROR_CODE, REQUEST_CODE } from '../../src/msgs/codes.js';
import { encodeToBytes } from '../../src/msgs/encode.js';
import { encodeErrorResponse, errorResponse, responseNotReady } from '../../src/msgs/error.js';
import type { Exchange, RetryOptions } from '../../src/requester/exchange.js';
import { negotiate } from '../../src/requester/negotiate.js';
import { ResponderCore } from '../../src/responder/core.js';

const busy = (v: number) => encodeToBytes(encodeErrorResponse, errorResponse(v, ERROR_CODE.Busy));

/** Records sleeps instead of waiting: the tests do not depend on timing. */
function recorder(): { sleeps: number[]; retry: RetryOptions } {
  const sleeps: number[] = [];
  return { sleeps, retry: { sleep: async (ms) => void sleeps.push(ms) } };
}

/** A ResponderCore behind a hook that may answer instead of it (call index, request). */
function hooked(core: ResponderCore, hook: (n: number, req: Uint8Array) => Uint8Array | undefined) {
  const sent: string[] = [];
  let n = 0;
  const exchange: Exchange = async (req) => {
    sent.push(toHex(req));
    return hook(n++, req) ?? core.handle(req);
  };
  return { sent, exchange };
}

async function rejection(p: Promise<unknown>): Promise<SpdmError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SpdmError);
    return e as SpdmError;
  }
  throw new Error('expected a rejection');
}

describe('Busy', () => {
  it('resends the same request after ERROR(Busy) and succeeds', async () => {
    const core = new ResponderCore();
    const { sleeps, retry } = recorder();
    const { sent, exchange } = hooked(core, (n, req) => (n === 1 || n === 2 ? busy(req[0]!) : undefined));
    const neg = await negotiate(exchange, { retry });
    expect(sleeps).toEqual([100, 100]);
    expect(sent[1]).toBe(sent[2]);
    expect(sent[2]).toBe(sent[3]);
    expect(sent).toHaveLength(5);
    expect(toHex(neg.vca)).toBe(toHex(core.negotiated!.vca));
  });

  it('gives up after busyRetries with SpdmError Busy carrying the wire code', async () => {
    const core = new ResponderCore();
    const { sleeps, retry } = recorder();
    const { sent, exchange } = hooked(core, (n, req) => (n >= 1 ? busy(req[0]!) : undefined));
    const e = await rejection(negotiate(exchange, { retry: { ...retry, busyRetries: 2, busyDelayMs: 7 } }));
    expect([e.code, e.wireCode]).toEqual(['Busy', ERROR_CODE.Busy]);
    expect(sleeps).toEqual([7, 7]);
    expect(sent).toHaveLength(4);
  });

  it('stops waiting when aborted', async () => {
    const core = new ResponderCore();
    const ac = new AbortController();
    const { exchange } = hooked(core, (n, req) => {
      if (n !== 1) return undefined;
      ac.abort();
      return busy(req[0]!);
    });
    const e = await rejection(negotiate(exchange, { retry: { busyDelayMs: 60_000 } }, ac.signal));
    expect(e.code).toBe('Aborted');
  });
});

describe('ResponseNotReady', () => {
  const notReady = (v: number, requestCode: number, rdExponent = 12, token = 0x5a) =>
    encodeToBytes(encodeErrorResponse, responseNotReady(v, { rdExponent, requestCode, token, rdtm: 1 }));

  it('waits 2^RDExponent µs, sends RESPOND_IF_READY and takes its answer (RDTM = 1 accepted)', async () => {
    const core = new ResponderCore();
    const { sleeps, retry } = recorder();
    let held: Uint8Array | undefined;
    const { sent, exchange } = hooked(core, (_n, req) => {
      if (req[1] === REQUEST_CODE.NEGOTIATE_ALGORITHMS) {
        held = req;
        return notReady(req[0]!, req[1]);
      }
      if (req[1] === REQUEST_CODE.RESPOND_IF_READY) return core.handle(held!);
      return undefined;
    });
    const neg = await negotiate(exchange, { retry });
    expect(sleeps).toEqual([5]);
    expect(sent[3]).toBe('13ffe35a');
    expect(toHex(neg.vca)).toBe(toHex(core.negotiated!.vca));
    expect(toHex(neg.vca)).not.toContain('13ffe35a');
  });

  it('refuses a ResponseNotReady naming another request', async () => {
    const core = new ResponderCore();
    const { retry } = recorder();
    const { exchange } = hooked(core, (n, req) =>
      n === 1 ? notReady(req[0]!, REQUEST_CODE.KEY_EXCHANGE) : undefined,
    );
    const e = await rejection(negotiate(exchange, { retry }));
    expect(e.code).toBe('InvalidMsgField');
  });

  it('fails with Timeout instead of sleeping for 2^31 µs', async () => {
    const core = new ResponderCore();
    const { sleeps, retry } = recorder();
    const { exchange } = hooked(core, (n, req) => (n === 1 ? notReady(req[0]!, req[1]!, 31) : undefined));
    const e = await rejection(negotiate(exchange, { retry }));
    expect(e.code).toBe('Timeout');
    expect(sleeps).toEqual([]);
  });

  it('is not honoured for GET_VERSION (the spec forbids it there): SpdmError Peer', async () => {
    const core = new ResponderCore();
    const { sleeps, retry } = recorder();
    const { exchange } = hooked(core, (n) =>
      n === 0 ? notReady(0x10, REQUEST_CODE.GET_VERSION) : undefined,
    );
    const e = await rejection(negotiate(exchange, { retry }));
    expect([e.code, e.wireCode]).toEqual(['Peer', ERROR_CODE.ResponseNotReady]);
    expect(sleeps).toEqual([]);
  });

  it('gives up after notReadyRetries rounds', async () => {
    const core = new ResponderCore();
    const { sleeps, retry } = recorder();
    const { sent, exchange } = hooked(core, (n, req) =>
      n >= 1 ? notReady(req[0]!, REQUEST_CODE.GET_CAPABILITIES, 0) : undefined,
    );
    const e = await rejection(negotiate(exchange, { retry: { ...retry, notReadyRetries: 2 } }));
    expect([e.code, e.wireCode]).toEqual(['Peer', ERROR_CODE.ResponseNotReady]);
    expect(sleeps).toEqual([1, 1]);
    expect(sent.slice(2)).toEqual(['13ffe15a', '13ffe15a']);
  });
});

describe('peer ERROR mapping', () => {
  it.each([
    [ERROR_CODE.UnexpectedRequest, 'Peer'],
    [ERROR_CODE.Unspecified, 'Peer'],
    [ERROR_CODE.VersionMismatch, 'VersionMismatch'],
    [ERROR_CODE.RequestResynch, 'Peer'],
  ])('ERROR 0x%s to GET_CAPABILITIES -> %s', async (code, want) => {
    const core = new ResponderCore();
    const { exchange } = hooked(core, (n, req) =>
      n === 1 ? encodeToBytes(encodeErrorResponse, errorResponse(req[0]!, code, 0)) : undefined,
    );
    const e = await rejection(negotiate(exchange));
    expect([e.code, e.wireCode]).toEqual([want, code]);
  });

  it('a malformed ERROR is itself a decode error', async () => {
    const core = new ResponderCore();
    const { exchange } = hooked(core, (n) => (n === 1 ? fromHex('137f42000102') : undefined));
    expect((await rejection(negotiate(exchange))).code).toBe('InvalidMsgSize');
  });
});
