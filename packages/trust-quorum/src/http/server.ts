/**
 * The agent's HTTP endpoint (node:http), read-only:
 *   GET /         the status page (dashboard.ts)
 *   GET /status   AgentStatus as JSON, from the status provider
 *   GET /metrics  Prometheus text from the agent's own registry
 *   GET /healthz  200 "ok" while the process is up and not failed, else 503
 * HEAD works wherever GET does. Other methods: 405 with `Allow`; other paths: 404. Requests
 * are bounded: URL length, header size, no body (413), header and request timeouts, a cap on
 * connections. `close()` ends keep-alive connections too, so it never hangs on a browser.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatHostPort, type HostPort } from '../discovery/address.js';
import { type Log, silentLog } from '../log.js';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './dashboard.js';
import type { AgentMetrics } from './metrics.js';
import type { AgentStatus } from './status.js';

/** Longest request target accepted. */
export const MAX_URL_CHARS = 2048;
/** Largest request head (request line and headers). */
export const MAX_HEADER_BYTES = 8192;
const MAX_CONNECTIONS = 64;

export interface StatusServerInit {
  /** Address to listen on; port 0 lets the OS choose (see `address`). */
  readonly listen: HostPort;
  readonly status: () => AgentStatus | Promise<AgentStatus>;
  readonly metrics: AgentMetrics;
  /** Health for /healthz; default: the status's state is not `failed`. */
  readonly healthy?: () => boolean | Promise<boolean>;
  readonly log?: Log;
}

type Handler = (req: IncomingMessage, res: ServerResponse, head: boolean) => Promise<void>;

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
};

function send(
  res: ServerResponse,
  code: number,
  type: string,
  body: string | Buffer,
  head: boolean,
  extra = {},
): void {
  const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(code, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': data.length, ...extra });
  res.end(head ? undefined : data);
}

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

export class StatusServer {
  readonly #server: Server;
  readonly #init: StatusServerInit;
  readonly #log: Log;
  readonly #routes: Record<string, Handler>;
  #address: HostPort = { host: '', port: 0 };
  #closed: Promise<void> | null = null;

  private constructor(init: StatusServerInit) {
    this.#init = init;
    this.#log = init.log ?? silentLog;
    this.#routes = {
      '/': async (_q, res, head) =>
        send(res, 200, 'text/html; charset=utf-8', DASHBOARD_HTML, head, {
          'content-security-policy': DASHBOARD_CSP,
        }),
      '/status': async (_q, res, head) =>
        send(res, 200, JSON_TYPE, `${JSON.stringify(await init.status(), null, 2)}\n`, head),
      '/metrics': async (_q, res, head) =>
        send(res, 200, init.metrics.contentType, await init.metrics.text(), head),
      '/healthz': async (_q, res, head) => {
        const ok = await this.#healthy();
        send(res, ok ? 200 : 503, TEXT, ok ? 'ok\n' : 'failed\n', head);
      },
    };
    this.#server = createServer(
      {
        maxHeaderSize: MAX_HEADER_BYTES,
        requestTimeout: 10_000,
        headersTimeout: 5000,
        keepAliveTimeout: 5000,
      },
      (req, res) => void this.#handle(req, res),
    );
    this.#server.maxConnections = MAX_CONNECTIONS;
  }

  /**
   * Starts listening.
   * @throws the listen error (EADDRINUSE, EADDRNOTAVAIL, EACCES).
   */
  static async start(init: StatusServerInit): Promise<StatusServer> {
    const s = new StatusServer(init);
    await new Promise<void>((resolveListen, rejectListen) => {
      s.#server.once('error', rejectListen);
      s.#server.listen(init.listen.port, init.listen.host, () => {
        s.#server.off('error', rejectListen);
        resolveListen();
      });
    });
    const a = s.#server.address() as AddressInfo;
    s.#address = { host: a.address, port: a.port };
    s.#log.info({ address: formatHostPort(s.#address) }, 'status server listening');
    return s;
  }

  /** The bound address (the real port when 0 was asked for). */
  get address(): HostPort {
    return this.#address;
  }

  /** `http://host:port/path`. */
  url(path = '/'): string {
    return `http://${formatHostPort(this.#address)}${path}`;
  }

  async #healthy(): Promise<boolean> {
    if (this.#init.healthy !== undefined) return this.#init.healthy();
    return (await this.#init.status()).state !== 'failed';
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? '';
    const head = method === 'HEAD';
    try {
      const target = req.url ?? '/';
      if (target.length > MAX_URL_CHARS) return send(res, 414, TEXT, 'URI too long\n', head);
      const path = target.split('?')[0]!;
      const route = this.#routes[path];
      if (route === undefined) return send(res, 404, TEXT, 'not found\n', head);
      if (method !== 'GET' && !head) {
        return send(res, 405, TEXT, 'method not allowed\n', head, {
          allow: 'GET, HEAD',
          connection: 'close',
        });
      }
      const length = req.headers['content-length'];
      if ((length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined) {
        return send(res, 413, TEXT, 'no request body accepted\n', head, { connection: 'close' });
      }
      await route(req, res, head);
    } catch (e) {
      this.#log.error({ err: (e as Error).message, path: req.url }, 'status server: handler failed');
      if (!res.headersSent) send(res, 500, TEXT, 'internal error\n', head);
      else res.destroy();
    }
  }

  /** Stops listening and ends every connection, idle keep-alive ones included. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((done) => {
      this.#server.close(() => done());
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }
}
