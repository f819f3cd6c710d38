/**
 * The dashboard of `logpipe start`, served by the control server (docs/dashboard.md):
 *
 * - `GET /`                  the page (src/system/control/dashboard/page.ts), a stacked bar chart of level counts per
 *                            window, the alerts with links to their reports, the objects being ingested;
 * - `GET /api/dashboard`     DashboardData (dashboard-types.ts) as JSON: the latest hour of event time,
 *                            or one UTC day with `?day=YYYY-MM-DD` (400 naming the parameter if bad);
 * - `GET /events`            server-sent events: `event: dashboard` with the same JSON (same `?day=`) at
 *                            once and every 2 s, `event: failure` with `{error}` when the data cannot be
 *                            collected;
 * - `GET /assets/<file>`     the page's script, style sheet and icon, and Chart.js from node_modules;
 * - `GET /reports/<name>`    a `.json`, `.csv` or `.txt` file of the report directory, nothing else.
 *
 * Every answer forbids inline scripts and other origins (Content-Security-Policy) and content-type
 * sniffing. The data is read-only, but the reports hold log messages: the control address should
 * stay on the loopback interface or behind an authenticating proxy.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { DASHBOARD_JS } from './client';
import { DASHBOARD_HTML } from './page';
import { DASHBOARD_CSS, DASHBOARD_ICON_SVG } from './style';
import { sendJson, type ControlServer } from '../control-server';
import { DashboardQueryError, parseDashboardQuery } from './dashboard-data';
import type { DashboardQuery, DashboardSource } from '../../../model/dashboard-types';
import type { Logger } from '../../observability/logging';

export interface DashboardOptions {
  /** Time between two `dashboard` events of one /events stream; 2000 by default. */
  eventIntervalMs?: number;
  /** Concurrent /events streams; further ones get 503. 16 by default. */
  maxEventStreams?: number;
}

/** Names `GET /reports/<name>` serves: one file name of the report directory, no path. */
export const REPORT_NAME = /^[0-9A-Za-z:_.-]+\.(json|csv|txt)$/;

/** The page's policy: its own scripts, styles and connections only; no inline code, no framing. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Report files are data: nothing in them may run, even if a browser renders one. */
const FILE_CSP = "default-src 'none'; sandbox";

const REPORT_TYPES: Record<string, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

function asset(body: string | Buffer, type: string): Asset {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return { body: buf, type, etag: `"${createHash('sha256').update(buf).digest('base64url').slice(0, 27)}"` };
}

/** Chart.js's browser build (UMD, defines `window.Chart`), located through the package's main entry. */
function chartJsPath(): string {
  // chart.js's package "exports" hides dist/ from require.resolve, but its main entry lives there.
  return path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.js');
}

function securityHeaders(res: http.ServerResponse, csp: string): void {
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
}

/** Sends an asset, or 304 when the browser already holds this version (it revalidates every time). */
function sendAsset(req: http.IncomingMessage, res: http.ServerResponse, a: Asset, csp = PAGE_CSP): void {
  securityHeaders(res, csp);
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('ETag', a.etag);
  if (req.headers['if-none-match'] === a.etag) {
    res.writeHead(304);
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': a.type, 'content-length': a.body.length });
  res.end(a.body);
}

/** The request's dashboard query, or undefined after answering 400 with the reason. */
function queryOf(req: http.IncomingMessage, res: http.ServerResponse): DashboardQuery | undefined {
  try {
    return parseDashboardQuery(new URL(req.url ?? '/', 'http://control').searchParams);
  } catch (err) {
    if (!(err instanceof DashboardQueryError)) throw err;
    sendJson(res, 400, { error: err.message });
    return undefined;
  }
}

function notFound(res: http.ServerResponse, what: string): void {
  securityHeaders(res, FILE_CSP);
  sendJson(res, 404, { error: what });
}

/**
 * Registers the dashboard's routes on `control` (before or after it listens). `source.data(query)` is
 * called once per /api/dashboard request and per /events tick of each open stream, with the query
 * of its URL (a malformed one is answered 400 and never reaches the source); a rejection is
 * answered with 500 (API) or a `failure` event (stream, which stays open) and logged as a warning.
 * Throws if one of the routes is already registered.
 */
export function registerDashboard(control: ControlServer, source: DashboardSource, logger: Logger, options: DashboardOptions = {}): void {
  const eventIntervalMs = options.eventIntervalMs ?? 2000;
  const maxEventStreams = options.maxEventStreams ?? 16;
  const reportDir = path.resolve(source.reportDir);
  const page = asset(DASHBOARD_HTML, 'text/html; charset=utf-8');
  const assets = new Map<string, Asset>([
    ['/assets/dashboard.js', asset(DASHBOARD_JS, 'text/javascript; charset=utf-8')],
    ['/assets/dashboard.css', asset(DASHBOARD_CSS, 'text/css; charset=utf-8')],
    ['/assets/favicon.svg', asset(DASHBOARD_ICON_SVG, 'image/svg+xml')],
  ]);
  let chartJs: Promise<Asset> | undefined;
  let streams = 0;

  control.route('GET', '/', (req, res) => sendAsset(req, res, page));
  for (const [pathname, a] of assets) control.route('GET', pathname, (req, res) => sendAsset(req, res, a));

  control.route('GET', '/assets/chart.umd.js', async (req, res) => {
    chartJs ??= fs.promises.readFile(chartJsPath()).then((body) => asset(body, 'text/javascript; charset=utf-8'));
    try {
      sendAsset(req, res, await chartJs);
    } catch (err) {
      chartJs = undefined;
      logger.error('dashboard cannot read Chart.js; the page shows tables only', { error: err });
      securityHeaders(res, FILE_CSP);
      sendJson(res, 500, { error: `cannot read Chart.js from node_modules (is the chart.js dependency installed?): ${(err as Error).message}` });
    }
  });

  control.route('GET', '/api/dashboard', async (req, res) => {
    securityHeaders(res, FILE_CSP);
    res.setHeader('Cache-Control', 'no-store');
    const query = queryOf(req, res);
    if (!query) return;
    let data;
    try {
      data = await source.data(query);
    } catch (err) {
      logger.warn('dashboard data failed', { error: err });
      sendJson(res, 500, { error: `cannot collect the dashboard data: ${(err as Error).message}` });
      return;
    }
    sendJson(res, 200, data);
  });

  control.route('GET', '/events', (req, res) => {
    securityHeaders(res, FILE_CSP);
    // Checked before the stream opens: EventSource gives up on a 4xx instead of retrying it.
    const query = queryOf(req, res);
    if (!query) return;
    if (streams >= maxEventStreams) {
      res.setHeader('Retry-After', '10');
      sendJson(res, 503, { error: `too many dashboard event streams open (${maxEventStreams}); close a dashboard tab or poll /api/dashboard` });
      return;
    }
    streams++;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    // After a dropped connection the browser reconnects after this many ms.
    res.write(`retry: ${eventIntervalMs}\n\n`);
    let open = true;
    let busy = false;
    let lastError: string | undefined;
    const tick = async (): Promise<void> => {
      // A slow source or a slow reader skips ticks rather than queueing them.
      if (!open || busy || res.writableNeedDrain) return;
      busy = true;
      try {
        const data = await source.data(query);
        lastError = undefined;
        // JSON.stringify without indentation has no line breaks: one `data:` line per event.
        if (open) res.write(`event: dashboard\ndata: ${JSON.stringify(data)}\n\n`);
      } catch (err) {
        const message = (err as Error).message;
        if (message !== lastError) logger.warn('dashboard data failed', { error: err });
        lastError = message;
        if (open) res.write(`event: failure\ndata: ${JSON.stringify({ error: message })}\n\n`);
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void tick(), eventIntervalMs);
    // The browser going away and ControlServer.close() (closeAllConnections) both end up here.
    res.on('close', () => {
      open = false;
      clearInterval(timer);
      streams--;
      logger.debug('dashboard event stream closed', { streams });
    });
    req.on('error', () => res.destroy());
    logger.debug('dashboard event stream opened', { streams });
    void tick();
  });

  control.routePrefix('GET', '/reports/', async (req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://control').pathname;
    let name: string;
    try {
      name = decodeURIComponent(pathname.slice('/reports/'.length));
    } catch {
      notFound(res, 'no such report: the name is not valid percent-encoding');
      return;
    }
    const match = REPORT_NAME.exec(name);
    if (!match || name.startsWith('.')) {
      notFound(res, `no such report: ${JSON.stringify(name)} (names look like logpipe_2elines.2026-01-01T10-41-00Z.txt: letters, digits, ":", "_", ".", "-", ending in .json, .csv or .txt)`);
      return;
    }
    let body: Buffer;
    try {
      // O_NOFOLLOW: a symbolic link placed in the report directory cannot point the server elsewhere.
      const handle = await fs.promises.open(path.join(reportDir, name), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      try {
        if (!(await handle.stat()).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOENT' });
        body = await handle.readFile();
      } finally {
        await handle.close();
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ELOOP' || code === 'EISDIR' || code === 'ENOTDIR') {
        notFound(res, `no such report: ${name}`);
        return;
      }
      throw err;
    }
    securityHeaders(res, FILE_CSP);
    res.writeHead(200, { 'content-type': REPORT_TYPES[match[1]], 'content-length': body.length, 'cache-control': 'no-cache' });
    res.end(body);
  });
}
