/**
 * The control HTTP server of `logpipe start`, bound to 127.0.0.1 by default. It answers
 * `GET /healthz` (the process is alive) and `GET /readyz` (every readiness check passes); later
 * stages register their own routes (ingest requests, metrics, dashboard) with `route()`.
 */
import http from 'node:http';
import type { Logger } from './logging';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void;

/** A named check for /readyz; resolves true when that dependency can do work. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<boolean>;
}

/** A probe must answer /readyz quickly; a check still pending after this counts as not ready. */
const READINESS_TIMEOUT_MS = 3000;

function withTimeout(check: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([check.catch(() => false), timeout]).finally(() => clearTimeout(timer));
}

export class ControlServer {
  private readonly routes = new Map<string, Handler>();
  private server: http.Server | undefined;

  constructor(
    private readonly options: { host: string; port: number; logger: Logger; readiness: ReadinessCheck[] },
  ) {
    this.route('GET', '/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
    this.route('GET', '/readyz', async (_req, res) => {
      const results = await Promise.all(
        this.options.readiness.map(async (c) => [c.name, await withTimeout(c.check(), READINESS_TIMEOUT_MS)] as const),
      );
      const ready = results.every(([, ok]) => ok);
      sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) });
    });
  }

  /** Registers a handler for an exact method and path. A second registration of the same pair throws. */
  route(method: string, pathname: string, handler: Handler): void {
    const key = `${method} ${pathname}`;
    if (this.routes.has(key)) throw new Error(`route ${key} is already registered`);
    this.routes.set(key, handler);
  }

  /** Starts listening; rejects with a message naming the address when the port is taken. */
  async listen(): Promise<{ host: string; port: number }> {
    const { host, port, logger } = this.options;
    const server = http.createServer((req, res) => void this.dispatch(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'EADDRINUSE'
            ? new Error(`control server: ${host}:${port} is already in use; stop the other process or set LOGPIPE_CONTROL_PORT`)
            : new Error(`control server: cannot listen on ${host}:${port}: ${err.message}`),
        );
      });
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const address = server.address();
    const bound = typeof address === 'object' && address ? { host: address.address, port: address.port } : { host, port };
    logger.info('control server listening', { url: `http://${bound.host}:${bound.port}/` });
    return bound;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'http://control').pathname;
    const handler = this.routes.get(`${req.method} ${pathname}`);
    if (!handler) {
      const allowed = [...this.routes.keys()].filter((k) => k.endsWith(` ${pathname}`)).map((k) => k.split(' ')[0]);
      if (allowed.length) {
        res.setHeader('Allow', allowed.join(', '));
        sendJson(res, 405, { error: `method ${req.method} not allowed on ${pathname}` });
      } else {
        sendJson(res, 404, { error: `no such endpoint: ${req.method} ${pathname}` });
      }
      return;
    }
    try {
      await handler(req, res);
    } catch (err) {
      this.options.logger.error('control request failed', { method: req.method, path: pathname, error: err });
      if (!res.headersSent) sendJson(res, 500, { error: (err as Error).message });
      else res.end();
    }
  }
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
