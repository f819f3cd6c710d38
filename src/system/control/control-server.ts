/**
 * The control HTTP server of `logpipe start`, bound to 127.0.0.1 by default, and also on a Unix
 * socket when control.socket names one (mode 0660: the service's user and group, and root). It answers
 * `GET /healthz` (the process is alive) and `GET /readyz` (every readiness check passes); later
 * stages register their own routes (ingest requests, metrics, dashboard) with `route()`.
 *
 * Access control (control-auth.ts: the token, the loopback rule) applies to every route, whoever
 * registered it. Every refusal, including what Node's HTTP parser rejects, is a 4xx with a JSON
 * `{"error": ...}` saying why; no request can end the process.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { assertControlExposure, ControlAuth, type Via } from './control-auth';
import type { Logger } from '../observability/logging';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void;

/** A named check for /readyz; resolves true when that dependency can do work. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<boolean>;
}

/** A probe must answer /readyz quickly; a check still pending after this counts as not ready. */
const READINESS_TIMEOUT_MS = 3000;

/** How long a client may take to send a whole request (headers and body): bounds slow senders. */
const REQUEST_TIMEOUT_MS = 30_000;

/** Longest request path repeated in an answer or a log line. */
const MAX_PATH_SHOWN = 200;

const clip = (text: string): string => (text.length > MAX_PATH_SHOWN ? `${text.slice(0, MAX_PATH_SHOWN)}... (${text.length} characters)` : text);

export interface ControlServerOptions {
  host: string;
  port: number;
  logger: Logger;
  readiness: ReadinessCheck[];
  /** control.token: when set, requests need it (see control-auth.ts); required off loopback. */
  token?: string;
  /** Time allowed for receiving a whole request; REQUEST_TIMEOUT_MS unless a test shortens it. */
  requestTimeoutMs?: number;
  /** control.socket: also listen on this Unix socket (requests on it need no token). */
  socketPath?: string;
  /** control.loginMaxAgeSeconds. */
  loginMaxAgeSeconds?: number;
  /** control.secureCookie. */
  secureCookie?: boolean;
}

/** The socket's mode: read and write for the service's user and group (root passes anyway), nothing for others. */
export const SOCKET_MODE = 0o660;

function withTimeout(check: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([check.catch(() => false), timeout]).finally(() => clearTimeout(timer));
}

export class ControlServer {
  private readonly routes = new Map<string, Handler>();
  /** Prefix routes (`GET /reports/`), tried after the exact routes, longest prefix first. */
  private readonly prefixRoutes: Array<{ method: string; prefix: string; handler: Handler }> = [];
  private server: http.Server | undefined;
  private socketServer: http.Server | undefined;
  private readonly auth: ControlAuth;

  /** Throws a ConfigError when `host` is not a loopback address and no token is set. */
  constructor(private readonly options: ControlServerOptions) {
    assertControlExposure(options);
    this.auth = new ControlAuth(options.token, { loginMaxAgeSeconds: options.loginMaxAgeSeconds, secureCookie: options.secureCookie });
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

  /**
   * Registers a handler for every path under `prefix`, which must end with `/` (e.g. `/reports/`);
   * the handler reads the rest of the path from `req.url` and answers 404 itself for names it does
   * not serve. Exact routes win over prefixes, a longer prefix over a shorter one. A second
   * registration of the same pair throws.
   */
  routePrefix(method: string, prefix: string, handler: Handler): void {
    if (!prefix.startsWith('/') || !prefix.endsWith('/')) throw new Error(`route prefix must start and end with "/", got "${prefix}"`);
    if (this.prefixRoutes.some((r) => r.method === method && r.prefix === prefix)) throw new Error(`route ${method} ${prefix}* is already registered`);
    this.prefixRoutes.push({ method, prefix, handler });
    this.prefixRoutes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /**
   * Starts listening on TCP, and on control.socket when set; rejects with a message naming the
   * address when the port is taken or the socket path is unusable.
   */
  async listen(): Promise<{ host: string; port: number }> {
    const { host, port, logger } = this.options;
    const server = this.createServer('tcp');
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
    if (this.options.socketPath) {
      try {
        this.socketServer = await listenOnSocket(this.createServer('socket'), this.options.socketPath);
      } catch (err) {
        await this.close();
        throw err;
      }
      logger.info('control server listening', { socket: this.options.socketPath, mode: SOCKET_MODE.toString(8) });
    }
    return bound;
  }

  private createServer(via: Via): http.Server {
    const requestTimeout = this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    const server = http.createServer(
      // Node checks the request timeout every connectionsCheckingInterval ms (30 s by default).
      { requestTimeout, headersTimeout: requestTimeout, connectionsCheckingInterval: Math.min(1000, requestTimeout) },
      (req, res) => void this.dispatch(req, res, via),
    );
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket, requestTimeout));
    return server;
  }

  async close(): Promise<void> {
    const servers = [this.server, this.socketServer].filter((s): s is http.Server => s !== undefined);
    this.server = undefined;
    this.socketServer = undefined;
    await Promise.all(
      servers.map((server) => {
        server.closeAllConnections();
        return new Promise<void>((resolve) => server.close(() => resolve()));
      }),
    );
  }

  /**
   * Parses the target, applies access control (control-auth.ts) to every route, whoever registered
   * it, then runs the route's handler. Never rejects: a throw becomes a 500 and a log entry.
   */
  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse, via: Via): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://control');
    } catch {
      sendJson(res, 400, { error: `the request target ${JSON.stringify(clip(req.url ?? ''))} is not a valid URL path` });
      return;
    }
    const pathname = url.pathname;
    const decision = this.auth.decide(req, url, via);
    if (decision.kind === 'login' || decision.kind === 'logout') {
      res.writeHead(303, { location: '/', 'set-cookie': decision.cookie, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'content-length': 0 });
      res.end();
      return;
    }
    if (decision.kind === 'deny') {
      this.options.logger.warn('control request refused', { method: req.method, path: clip(pathname), remote: req.socket.remoteAddress, reason: decision.reason });
      for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
      sendJson(res, decision.status, { error: decision.error });
      return;
    }
    const handler =
      this.routes.get(`${req.method} ${pathname}`) ??
      this.prefixRoutes.find((r) => r.method === req.method && pathname.startsWith(r.prefix))?.handler;
    if (!handler) {
      const allowed = [
        ...new Set([
          ...[...this.routes.keys()].filter((k) => k.endsWith(` ${pathname}`)).map((k) => k.split(' ')[0]),
          ...this.prefixRoutes.filter((r) => pathname.startsWith(r.prefix)).map((r) => r.method),
        ]),
      ];
      if (allowed.length) {
        res.setHeader('Allow', allowed.join(', '));
        sendJson(res, 405, { error: `method ${clip(req.method ?? '')} not allowed on ${clip(pathname)}; allowed: ${allowed.join(', ')}` });
      } else {
        sendJson(res, 404, { error: `no such endpoint: ${clip(req.method ?? '')} ${clip(pathname)}` });
      }
      return;
    }
    try {
      await handler(req, res);
    } catch (err) {
      this.options.logger.error('control request failed', { method: req.method, path: clip(pathname), error: err });
      if (!res.headersSent) sendJson(res, 500, { error: (err as Error).message });
      else res.end();
    }
  }
}

/**
 * Answers a request Node's parser refused before any handler saw it (over-long request line or
 * headers, a timeout, malformed HTTP) with a JSON reason like every other answer, then closes the
 * connection. A connection already answering, or gone, is just closed.
 */
/**
 * Listens on a Unix socket at `socketPath` with mode SOCKET_MODE. A socket left there by a previous
 * run is replaced; anything else at that path (a file, a directory) is an error, never removed.
 * The mode is set before the listener is announced; its directory (systemd's RuntimeDirectory,
 * /run/logpipe) keeps others out while it is set.
 */
async function listenOnSocket(server: http.Server, socketPath: string): Promise<http.Server> {
  let existing: fs.Stats | undefined;
  try {
    existing = fs.lstatSync(socketPath);
  } catch {
    existing = undefined;
  }
  if (existing && !existing.isSocket()) throw new Error(`control server: ${socketPath} exists and is not a socket; remove it or set LOGPIPE_CONTROL_SOCKET`);
  if (existing) {
    // A stale socket (its server died) is replaced; one that answers belongs to a running instance,
    // which must keep it (deleting it would cut that instance's trigger.sh off without a word).
    if (await socketAnswers(socketPath)) throw new Error(`control server: ${socketPath} is in use by another running process; stop it first or set LOGPIPE_CONTROL_SOCKET`);
    fs.unlinkSync(socketPath);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: Error) => reject(new Error(`control server: cannot listen on ${socketPath}: ${err.message}`)));
    server.listen(socketPath, () => resolve());
  });
  fs.chmodSync(socketPath, SOCKET_MODE);
  return server;
}

/** Whether something accepts connections on the Unix socket at `socketPath` (within a second). */
function socketAnswers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(socketPath);
    const done = (answers: boolean): void => {
      probe.destroy();
      resolve(answers);
    };
    probe.setTimeout(1000, () => done(false));
    probe.once('connect', () => done(true));
    probe.once('error', () => done(false));
  });
}

function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, requestTimeoutMs: number): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, error] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, `the request line and headers are over ${http.maxHeaderSize} bytes`]
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, `the request was not received within ${requestTimeoutMs} ms`]
        : [400, `malformed HTTP request (${err.code ?? err.message})`];
  const body = JSON.stringify({ error });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
