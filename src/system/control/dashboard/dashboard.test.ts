import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import vm from 'node:vm';
import { DASHBOARD_JS } from './client';
import { ControlServer } from '../control-server';
import { PAGE_CSP, registerDashboard } from './dashboard';
import type { DashboardData, DashboardSource } from '../../../model/dashboard-types';
import { createLogger } from '../../observability/logging';

const logger = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });

function sampleData(generatedAt = '2026-03-14T10:05:00.000Z'): DashboardData {
  return {
    generatedAt,
    windowSizeMs: 60_000,
    levels: ['ERROR', 'WARN', 'INFO', 'DEBUG'],
    windows: [
      {
        id: 'w-1',
        start: '2026-03-14T10:00:00.000Z',
        end: '2026-03-14T10:01:00.000Z',
        counts: { ERROR: 3, INFO: 5 },
        total: 8,
        late: 0,
        alert: true,
        reportUrl: '/reports/logpipe_2elines.2026-03-14T10-00-00Z.json',
      },
    ],
    alerts: [],
    objects: [],
    view: { kind: 'latest', day: null, from: '2026-03-14T09:01:00.000Z', to: '2026-03-14T10:01:00.000Z', omitted: 0 },
    days: [{ day: '2026-03-14', windows: 1, alerts: 1 }],
  };
}

async function withDashboard(source: DashboardSource, fn: (base: string, server: ControlServer) => Promise<void>, eventIntervalMs = 100): Promise<void> {
  const server = new ControlServer({ host: '127.0.0.1', port: 0, logger, readiness: [] });
  registerDashboard(server, source, logger, { eventIntervalMs, maxEventStreams: 2 });
  const { port } = await server.listen();
  try {
    await fn(`http://127.0.0.1:${port}`, server);
  } finally {
    await server.close();
  }
}

/** Opens /events and collects its events until `until` holds; resolves with them and the response. */
function readEvents(url: string, until: (events: Array<{ event: string; data: string }>) => boolean): Promise<{ events: Array<{ event: string; data: string }>; res: http.IncomingMessage; req: http.ClientRequest }> {
  return new Promise((resolve, reject) => {
    const events: Array<{ event: string; data: string }> = [];
    let buffer = '';
    const req = http.get(url, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(block.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
          if (fields.event) events.push({ event: fields.event, data: fields.data });
        }
        if (until(events)) resolve({ events, res, req });
      });
    });
    req.on('error', reject);
  });
}

describe('dashboard client script', () => {
  // The script lives in a String.raw literal: a stray backtick or ${ would silently change it.
  it('is valid JavaScript', () => {
    expect(() => new vm.Script(DASHBOARD_JS, { filename: 'dashboard.js' })).not.toThrow();
  });
});

describe('registerDashboard', () => {
  let reportDir: string;
  beforeAll(() => {
    reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-dashboard-'));
    fs.writeFileSync(path.join(reportDir, 'logpipe_2elines.2026-03-14T10-00-00Z.json'), '{"id":"w-1"}\n');
    fs.writeFileSync(path.join(reportDir, 'logpipe_2elines.2026-03-14T10-00-00Z.csv'), 'a,b\r\n');
    fs.writeFileSync(path.join(reportDir, 'logpipe_2elines.2026-03-14T10-00-00Z.txt'), 'logpipe report <b>not markup</b>\n');
    fs.writeFileSync(path.join(reportDir, 'page.html'), '<script>alert(1)</script>');
    fs.mkdirSync(path.join(reportDir, 'dir.txt'));
    fs.writeFileSync(path.join(os.tmpdir(), `${path.basename(reportDir)}-secret.txt`), 'outside');
    fs.symlinkSync(path.join(os.tmpdir(), `${path.basename(reportDir)}-secret.txt`), path.join(reportDir, 'link.txt'));
  });
  afterAll(() => {
    fs.rmSync(reportDir, { recursive: true, force: true });
    fs.rmSync(path.join(os.tmpdir(), `${path.basename(reportDir)}-secret.txt`), { force: true });
  });

  it('serves the page, its assets and Chart.js with a policy that forbids inline scripts and other origins', async () => {
    await withDashboard({ data: async () => sampleData(), reportDir }, async (base) => {
      const page = await fetch(`${base}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('content-security-policy')).toBe(PAGE_CSP);
      expect(PAGE_CSP).toContain("script-src 'self';");
      expect(PAGE_CSP).not.toContain('unsafe-inline');
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      const html = await page.text();
      // No inline script or style: every <script> has a same-origin src, no style attributes.
      expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script src="/assets/chart.umd.js" defer>', '<script src="/assets/dashboard.js" defer>']);
      expect(html).not.toMatch(/\sstyle=|<style|\son[a-z]+=|https?:\/\//);

      const js = await fetch(`${base}/assets/dashboard.js`);
      expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(await js.text()).toBe(DASHBOARD_JS);
      expect((await fetch(`${base}/assets/dashboard.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
      const chart = await fetch(`${base}/assets/chart.umd.js`);
      expect(chart.status).toBe(200);
      const etag = chart.headers.get('etag');
      expect(await chart.text()).toContain('window.Chart=');
      const again = await fetch(`${base}/assets/chart.umd.js`, { headers: { 'if-none-match': etag ?? '' } });
      expect(again.status).toBe(304);
      expect((await fetch(`${base}/assets/other.js`)).status).toBe(404);
    });
  });

  it('answers /api/dashboard with the source data, and 500 naming the cause when the source fails', async () => {
    let fail = false;
    const source: DashboardSource = {
      reportDir,
      data: async () => {
        if (fail) throw new Error('report view not loaded');
        return sampleData();
      },
    };
    await withDashboard(source, async (base) => {
      const ok = await fetch(`${base}/api/dashboard`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(ok.headers.get('cache-control')).toBe('no-store');
      expect(await ok.json()).toEqual(sampleData());
      fail = true;
      const broken = await fetch(`${base}/api/dashboard`);
      expect(broken.status).toBe(500);
      expect(await broken.json()).toEqual({ error: 'cannot collect the dashboard data: report view not loaded' });
    });
  });

  // Issue 15: a user picks a day; the API and the stream pass it on, and refuse a malformed one.
  it('passes ?day= of /api/dashboard and /events to the source, and answers 400 for a bad day without asking it', async () => {
    const asked: unknown[] = [];
    const source: DashboardSource = {
      reportDir,
      data: async (query) => {
        asked.push(query);
        return sampleData();
      },
    };
    await withDashboard(source, async (base) => {
      expect((await fetch(`${base}/api/dashboard`)).status).toBe(200);
      expect((await fetch(`${base}/api/dashboard?day=2026-03-11`)).status).toBe(200);
      expect((await fetch(`${base}/api/dashboard?day=`)).status).toBe(200);
      const stream = await readEvents(`${base}/events?day=2026-03-12`, (events) => events.length >= 1);
      stream.req.destroy();
      expect(asked.slice(0, 4)).toEqual([{}, { day: '2026-03-11' }, {}, { day: '2026-03-12' }]);
      asked.length = 0;
      for (const [query, reason] of [
        ['day=2026-02-30', 'day: expected a UTC date as YYYY-MM-DD, got "2026-02-30"'],
        ['day=yesterday', 'day: expected a UTC date as YYYY-MM-DD, got "yesterday"'],
        ['day=2026-3-1', 'day: expected a UTC date as YYYY-MM-DD, got "2026-3-1"'],
        ['day=2026-03-11&day=2026-03-12', 'day: give one day, not several'],
      ]) {
        for (const route of ['/api/dashboard', '/events']) {
          const res = await fetch(`${base}${route}?${query}`);
          expect([route, query, res.status, await res.json()]).toEqual([route, query, 400, { error: reason }]);
        }
      }
      expect(asked).toEqual([]);
    });
  });

  it('serves report files with their content type, and 404 for anything but a plain report file of the directory', async () => {
    await withDashboard({ data: async () => sampleData(), reportDir }, async (base) => {
      const expectFile = async (name: string, type: string, body: string): Promise<void> => {
        const res = await fetch(`${base}/reports/${name}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe(type);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('content-security-policy')).toContain('sandbox');
        expect(await res.text()).toBe(body);
      };
      await expectFile('logpipe_2elines.2026-03-14T10-00-00Z.json', 'application/json; charset=utf-8', '{"id":"w-1"}\n');
      await expectFile('logpipe_2elines.2026-03-14T10-00-00Z.csv', 'text/csv; charset=utf-8', 'a,b\r\n');
      await expectFile('logpipe_2elines.2026-03-14T10-00-00Z.txt', 'text/plain; charset=utf-8', 'logpipe report <b>not markup</b>\n');
      // Percent-encoded names are decoded before the check.
      await expectFile('logpipe_2elines.2026-03-14T10-00-00Z%2Ejson', 'application/json; charset=utf-8', '{"id":"w-1"}\n');

      const refused = [
        'page.html', // not a report extension
        'missing.txt', // absent
        'dir.txt', // a directory
        'link.txt', // a symbolic link out of the directory
        '..%2Fpackage.json', // an encoded separator
        '%2e%2e%2f%2e%2e%2fpackage.json',
        'sub%5Cx.txt', // a backslash
        '.hidden.txt',
        '%E0%A4%A', // broken percent-encoding
        '',
      ];
      for (const name of refused) {
        const res = await fetch(`${base}/reports/${name}`);
        expect([name, res.status]).toEqual([name, 404]);
        expect(await res.text()).not.toContain('outside');
      }
      // A raw `..` never reaches the handler: URL parsing resolves it away from /reports/.
      const raw = await new Promise<number>((resolve, reject) => {
        http.get(`${base}/reports/../../etc/passwd`, (res) => resolve(res.statusCode ?? 0)).on('error', reject);
      });
      expect(raw).toBe(404);
    });
  });

  it('streams dashboard events at once and then periodically; a failing source sends failure events and the stream stays open', async () => {
    let n = 0;
    let fail = false;
    const source: DashboardSource = {
      reportDir,
      data: async () => {
        if (fail) throw new Error('view lagging');
        n++;
        return sampleData(`2026-03-14T10:05:0${n}.000Z`);
      },
    };
    await withDashboard(source, async (base) => {
      const first = await readEvents(`${base}/events`, (events) => events.length >= 2);
      expect(first.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(first.events.map((e) => e.event)).toEqual(['dashboard', 'dashboard']);
      expect(JSON.parse(first.events[0].data)).toEqual(sampleData('2026-03-14T10:05:01.000Z'));
      expect(JSON.parse(first.events[1].data).generatedAt).toBe('2026-03-14T10:05:02.000Z');
      first.req.destroy();

      fail = true;
      const failing = await readEvents(`${base}/events`, (events) => events.length >= 2);
      expect(failing.events).toEqual([
        { event: 'failure', data: JSON.stringify({ error: 'view lagging' }) },
        { event: 'failure', data: JSON.stringify({ error: 'view lagging' }) },
      ]);
      failing.req.destroy();
    });
  });

  it('limits concurrent event streams, frees a slot when a client goes, and ends streams when the server closes', async () => {
    const server = new ControlServer({ host: '127.0.0.1', port: 0, logger, readiness: [] });
    registerDashboard(server, { data: async () => sampleData(), reportDir }, logger, { eventIntervalMs: 50, maxEventStreams: 2 });
    const { port } = await server.listen();
    const base = `http://127.0.0.1:${port}`;
    const a = await readEvents(`${base}/events`, (e) => e.length >= 1);
    const b = await readEvents(`${base}/events`, (e) => e.length >= 1);
    const third = await fetch(`${base}/events`);
    expect(third.status).toBe(503);
    expect(((await third.json()) as { error: string }).error).toContain('too many dashboard event streams open (2)');
    a.req.destroy();
    // The slot frees once the server has seen the close.
    let reopened: Response | undefined;
    for (let i = 0; i < 50 && reopened?.status !== 200; i++) {
      await reopened?.body?.cancel();
      await new Promise((r) => setTimeout(r, 20));
      reopened = await fetch(`${base}/events`);
    }
    expect(reopened?.status).toBe(200);
    const ended = new Promise<void>((resolve) => b.res.on('close', () => resolve()));
    await server.close(); // must not hang on the open streams
    await ended;
    await reopened?.body?.cancel().catch(() => undefined);
  });
});
