/**
 * The dashboard page in headless Chromium, against registerDashboard on a real ControlServer with a
 * fixture data source: the chart (Chart.js, stacked bars) and its table show the fixture's windows,
 * the alert appears with a working report link, the objects table shows progress and outcomes,
 * hostile strings stay text, the page updates live when the data changes, and the empty state reads
 * "No windows yet". With the real data selection (createDashboardSource over fake actors): a day
 * backfilled three days ago shows as the latest hour of event time, is offered as a day, and picking
 * it (or opening ?day=) lists that day's windows, alerts and future-dated records. Screenshots go to
 * test-artifacts/. Needs Chromium (scripts/ensure-chromium.sh), not the local stack.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { ControlServer } from '../../src/system/control/control-server';
import { registerDashboard } from '../../src/system/control/dashboard/dashboard';
import type { RecentWindow } from '../../src/report/recent-windows';
import { recentWindow } from '../../src/report/recent-windows.fixture';
import { createDashboardSource } from '../../src/system/control/dashboard/dashboard-data';
import type { DashboardData, DashboardSource } from '../../src/model/dashboard-types';
import { launchChromium, saveScreenshot, watchPageErrors } from '../browser';
import { chartState, rangeState, tableWindows } from '../dashboard-page';
import { eventually, quietLogger } from '../support/helpers';

const T0 = Date.parse('2026-03-14T10:00:00.000Z');
const MINUTE = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();
const stamp = (ms: number): string => iso(ms).replace('.000Z', 'Z').replace(/:/g, '-');
const LEVELS = ['ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE', 'UNPARSED'];
const HOSTILE_KEY = 's3://logs/<img src=x onerror="document.title=\'pwned\'">.log';

function win(i: number, counts: Record<string, number>, alert = false): DashboardData['windows'][number] {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return { id: `logs.60000.${T0 + i * MINUTE}`, start: iso(T0 + i * MINUTE), end: iso(T0 + (i + 1) * MINUTE), counts, total, late: i === 1 ? 2 : 0, alert, reportUrl: `/reports/${stamp(T0 + i * MINUTE)}.json` };
}

function alertOf(w: DashboardData['windows'][number], reasons: string[], email: DashboardData['alerts'][number]['email']): DashboardData['alerts'][number] {
  return { windowId: w.id, start: w.start, end: w.end, reasons, email, reportUrl: w.reportUrl.replace(/\.json$/, '.txt') };
}

function fixture(): DashboardData {
  const windows = [
    win(0, { ERROR: 0, WARN: 3, INFO: 40, DEBUG: 12, TRACE: 0, UNPARSED: 0 }),
    win(1, { ERROR: 1, WARN: 4, INFO: 38, DEBUG: 9, TRACE: 1, UNPARSED: 0 }),
    win(2, { ERROR: 9, WARN: 6, INFO: 35, DEBUG: 11, TRACE: 0, UNPARSED: 2 }, true),
    win(3, { ERROR: 1, WARN: 2, INFO: 44, DEBUG: 10, TRACE: 0, UNPARSED: 0 }),
  ];
  return {
    generatedAt: iso(T0 + 4 * MINUTE + 5_000),
    windowSizeMs: MINUTE,
    levels: LEVELS,
    windows,
    alerts: [alertOf(windows[2], ['9 ERROR entries, more than the threshold of 1', 'message with <b>markup</b> & "quotes"'], 'sent')],
    objects: [
      { id: 's3://logs/host-a/LogFileGenerator.2026-03-14.log', status: 'running', lines: 1200, bytes: 250_000, totalBytes: 1_000_000, linesPerSecond: 5321.4, startedAt: iso(T0 + 4 * MINUTE) },
      { id: 's3://logs/host-b/LogFileGenerator.2026-03-14.log?versionId=3', status: 'queued', lines: 0, bytes: 0, totalBytes: null, linesPerSecond: 0 },
      { id: 's3://logs/host-c/LogFileGenerator.2026-03-13.log', status: 'ingested', lines: 50_000, bytes: 4_000_000, totalBytes: 4_000_000, linesPerSecond: 41_000, startedAt: iso(T0 + 2 * MINUTE), finishedAt: iso(T0 + 2 * MINUTE + 1_220) },
      { id: HOSTILE_KEY, status: 'dead-letter', lines: 0, bytes: 0, totalBytes: 12, linesPerSecond: 0, reason: 'not a log file: <script>alert(1)</script>', startedAt: iso(T0 + MINUTE), finishedAt: iso(T0 + MINUTE + 10) },
    ],
    view: { kind: 'latest', day: null, from: iso(T0 + 4 * MINUTE - 60 * MINUTE), to: iso(T0 + 4 * MINUTE), omitted: 0 },
    days: [{ day: '2026-03-14', windows: 4, alerts: 1 }],
  };
}

describe('dashboard page in Chromium', () => {
  let browser: Browser;
  let server: ControlServer;
  let base: string;
  let reportDir: string;
  let data: DashboardData;
  const { logger } = quietLogger();

  beforeAll(async () => {
    browser = await launchChromium();
    reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-dashboard-it-'));
    data = fixture();
    for (const w of data.windows) fs.writeFileSync(path.join(reportDir, path.basename(w.reportUrl)), `${JSON.stringify({ id: w.id, counts: w.counts })}\n`);
    fs.writeFileSync(path.join(reportDir, path.basename(data.alerts[0].reportUrl)), 'logpipe report for 2026-03-14 10:02–10:03 UTC\n\nAlert: yes\n');
    const source: DashboardSource = { reportDir, data: async () => structuredClone(data) };
    server = new ControlServer({ host: '127.0.0.1', port: 0, logger, readiness: [] });
    registerDashboard(server, source, logger, { eventIntervalMs: 250 });
    const { port } = await server.listen();
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (reportDir) fs.rmSync(reportDir, { recursive: true, force: true });
  });

  it('shows the windows in the chart and its table, the alert with its report, the objects, then live changes', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchPageErrors(page);
    await page.goto(`${base}/`);
    await page.waitForSelector('#windows-table[data-windows="4"]', { state: 'attached' });
    await page.waitForSelector('body[data-state="live"]');

    // The table, from the page's own rendering.
    const expected = fixture();
    expect(await tableWindows(page)).toEqual(expected.windows.map((w) => ({ id: w.id, alert: String(w.alert), counts: w.counts, total: w.total })));
    expect(await page.textContent('#windows-summary')).toBe('4 windows from 10:00 to 10:04 UTC, 228 lines, 1 alerting window.');
    expect(await page.isVisible('#windows-empty')).toBe(false);

    // The chart: Chart.js stacked bars, one dataset per level in the contract's order, one bar per
    // window, and the canvas really painted ERROR's colour where each non-empty ERROR bar is.
    const chart = await chartState(page);
    expect(chart.type).toBe('bar');
    expect(chart.stacked).toEqual([true, true]);
    expect(chart.labels).toEqual(['10:00', '10:01', '10:02', '10:03']);
    expect(chart.datasets).toEqual(LEVELS.map((l) => ({ label: l, data: expected.windows.map((w) => w.counts[l]) })));
    expect(chart.errorPixels).toEqual([null, 'rgb(214,39,40)', 'rgb(214,39,40)', 'rgb(214,39,40)']);
    expect(await page.getAttribute('#levels-chart', 'aria-label')).toContain('1 alerting window');

    // The alert, with its reasons as text and a link to the text report.
    const alerts = page.locator('#alerts-list > li');
    expect(await alerts.count()).toBe(1);
    expect(await alerts.first().getAttribute('data-window-id')).toBe(expected.windows[2].id);
    expect(await alerts.first().innerText()).toContain('10:02–10:03 UTC');
    expect(await alerts.first().innerText()).toContain('email sent');
    expect(await alerts.first().locator('ul > li').allTextContents()).toEqual(expected.alerts[0].reasons);
    expect(await page.isVisible('#alerts-empty')).toBe(false);

    // Objects: status as text, progress bars, the hostile key and reason as text, not markup.
    const objects = await page.$$eval('#objects-body tr', (rows) => rows.map((tr) => ({ id: tr.getAttribute('data-object-id'), status: tr.getAttribute('data-status'), text: (tr as unknown as { innerText: string }).innerText })));
    expect(objects.map((o) => [o.id, o.status])).toEqual(expected.objects.map((o) => [o.id, o.status]));
    expect(objects[0].text).toContain('25 % of 976.6 KB');
    expect(objects[0].text).toContain('5,321');
    expect(objects[1].text).toContain('waiting');
    expect(objects[2].text).toContain('100 % of 3.8 MB');
    expect(objects[3].text).toContain(HOSTILE_KEY);
    expect(objects[3].text).toContain('not a log file: <script>alert(1)</script>');
    expect(await page.locator('#objects-body img, #objects-body script, #alerts-list b').count()).toBe(0);
    expect(await page.title()).toBe('logpipe dashboard');
    expect(await page.getAttribute('#objects-body tr:first-child progress', 'value')).toBe('250000');

    await saveScreenshot(page, 'dashboard-fixture');

    // The report link works and serves the text report.
    const [response] = await Promise.all([page.waitForNavigation(), alerts.first().getByRole('link').click()]);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toBe('text/plain; charset=utf-8');
    expect(await page.locator('body').innerText()).toContain('logpipe report for 2026-03-14 10:02–10:03 UTC');
    await page.goBack();
    await page.waitForSelector('#windows-table[data-windows="4"]', { state: 'attached' });

    // Live: a new alerting window, its alert and progress arrive without a reload.
    const w4 = win(4, { ERROR: 5, WARN: 1, INFO: 20, DEBUG: 3, TRACE: 0, UNPARSED: 7 }, true);
    fs.writeFileSync(path.join(reportDir, path.basename(w4.reportUrl)), '{}\n');
    fs.writeFileSync(path.join(reportDir, path.basename(w4.reportUrl).replace(/\.json$/, '.txt')), 'Alert: yes\n');
    data.windows.push(w4);
    data.alerts.unshift(alertOf(w4, ['5 ERROR entries, more than the threshold of 1'], 'pending'));
    data.objects[0] = { ...data.objects[0], lines: 4_800, bytes: 1_000_000, status: 'ingested', finishedAt: iso(T0 + 5 * MINUTE) };
    data.generatedAt = iso(T0 + 5 * MINUTE + 5_000);
    await page.waitForSelector('#windows-table[data-windows="5"]', { state: 'attached', timeout: 10_000 });
    await page.waitForSelector('#alerts-list[data-alerts="2"]');
    await page.waitForSelector(`body[data-generated-at="${data.generatedAt}"]`);
    const live = await chartState(page);
    expect(live.labels).toEqual(['10:00', '10:01', '10:02', '10:03', '10:04']);
    expect(live.datasets.find((d) => d.label === 'UNPARSED')?.data).toEqual([0, 0, 2, 0, 7]);
    // Redrawn, not only given new data: the new window's ERROR bar is on the canvas.
    expect(live.errorPixels).toEqual([null, 'rgb(214,39,40)', 'rgb(214,39,40)', 'rgb(214,39,40)', 'rgb(214,39,40)']);
    expect(await page.locator('#alerts-list > li').first().getAttribute('data-window-id')).toBe(w4.id);
    expect(await page.locator('#alerts-list > li').first().innerText()).toContain('email pending');
    expect(await page.getAttribute('#objects-body tr:first-child', 'data-status')).toBe('ingested');
    expect(await page.textContent('#windows-summary')).toBe('5 windows from 10:00 to 10:05 UTC, 264 lines, 2 alerting windows.');
    await saveScreenshot(page, 'dashboard-live-update');

    // The table fallback opens and reads as a table.
    await page.click('#windows-details > summary');
    expect(await page.isVisible('#windows-table')).toBe(true);
    expect(await page.locator('#windows-head th').allTextContents()).toEqual(['Window (UTC)', ...LEVELS, 'Total', 'Late', 'Alert', 'Report']);

    expect(errors).toEqual([]);
    await page.close();
  });

  it('reads "No windows yet" and no alerts when there is no data', async () => {
    const emptyServer = new ControlServer({ host: '127.0.0.1', port: 0, logger, readiness: [] });
    const empty: DashboardData = { generatedAt: iso(T0), windowSizeMs: MINUTE, levels: LEVELS, windows: [], alerts: [], objects: [], view: { kind: 'latest', day: null, from: null, to: null, omitted: 0 }, days: [] };
    registerDashboard(emptyServer, { reportDir, data: async () => empty }, logger, { eventIntervalMs: 250 });
    const { port } = await emptyServer.listen();
    const page = await browser.newPage({ viewport: { width: 1024, height: 700 } });
    try {
      const errors = watchPageErrors(page);
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForSelector('body[data-state="live"]');
      expect(await page.isVisible('#windows-empty')).toBe(true);
      expect(await page.textContent('#windows-empty')).toContain('No windows yet');
      expect(await page.isVisible('#chart-box')).toBe(false);
      expect(await page.isVisible('#windows-details')).toBe(false);
      expect(await page.isVisible('#alerts-empty')).toBe(true);
      expect(await page.isVisible('#objects-empty')).toBe(true);
      expect(await page.isVisible('#objects-table')).toBe(false);
      await saveScreenshot(page, 'dashboard-empty');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await emptyServer.close();
    }
  });

  // Issue 15: the page showed the windows of the last wall-clock hour, so a day of logs ingested
  // today (a backfill, a host that was offline) never appeared.
  it('shows a day backfilled three days ago, offers the days held, and picking a day lists its windows', async () => {
    const BACKFILL_DAY = '2026-03-11';
    const dayStart = Date.parse(`${BACKFILL_DAY}T00:00:00Z`);
    const recent = (startMs: number, over: Partial<RecentWindow> = {}): RecentWindow =>
      recentWindow(startMs, { counts: { ERROR: 0, WARN: 1, INFO: 10, DEBUG: 2 }, total: 13, reportedMs: T0, ...over });
    // Two hours of that day, 08:00–09:59, one alerting window at 09:30 and one with future-dated records.
    const backfill = Array.from({ length: 120 }, (_, i) => {
      const startMs = dayStart + 8 * 60 * MINUTE + i * MINUTE;
      if (i === 90) return recent(startMs, { counts: { ERROR: 7, WARN: 1, INFO: 10, DEBUG: 2 }, total: 20, alert: true, reasons: ['7 ERROR entries, more than the threshold of 1'], email: 'sent' });
      if (i === 100) return recent(startMs, { future: 3 });
      return recent(startMs);
    });
    const alerting = backfill[90];
    fs.writeFileSync(path.join(reportDir, alerting.files.txt), 'logpipe report for 2026-03-11 09:30–09:31 UTC\n\nAlert: yes\n');
    const held: RecentWindow[] = [...backfill];
    const dataSource = createDashboardSource(
      { watcher: { sendAndReceive: async () => [] }, report: { sendAndReceive: async () => structuredClone(held) } },
      { windowSizeMs: MINUTE, reportDir, log: logger, now: () => T0 + 5 * MINUTE },
    );
    const dayServer = new ControlServer({ host: '127.0.0.1', port: 0, logger, readiness: [] });
    registerDashboard(dayServer, dataSource, logger, { eventIntervalMs: 250 });
    const { port } = await dayServer.listen();
    const dayBase = `http://127.0.0.1:${port}`;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      const errors = watchPageErrors(page);
      await page.goto(`${dayBase}/`);
      await page.waitForSelector('body[data-state="live"]');

      // Only the backfill is held: its last hour of event time is the latest, not an empty page.
      await page.waitForSelector('#windows-table[data-windows="60"]', { state: 'attached' });
      const latestBackfill = await tableWindows(page);
      expect([latestBackfill[0].id, latestBackfill[59].id]).toEqual([backfill[60].id, backfill[119].id]);
      expect(await page.isVisible('#windows-empty')).toBe(false);
      expect(await rangeState(page)).toEqual({
        view: 'latest',
        title: 'Log levels per window, latest hour of event time',
        note: 'The hour of event time up to the newest window: 2026-03-11 09:00–10:00 UTC.',
        selected: '',
        options: [
          { value: '', text: 'the latest hour of event time' },
          { value: BACKFILL_DAY, text: '2026-03-11 · 120 windows, 1 alerting' },
        ],
      });
      expect(await page.locator('#alerts-list > li').first().getAttribute('data-window-id')).toBe(alerting.id);
      await saveScreenshot(page, 'dashboard-backfill-latest');

      // Live windows of today arrive: they are the latest hour now, and both days are offered.
      held.push(...[0, 1, 2, 3].map((i) => recent(T0 + i * MINUTE)));
      await page.waitForSelector('#windows-table[data-windows="4"]', { state: 'attached', timeout: 10_000 });
      expect((await chartState(page)).labels).toEqual(['10:00', '10:01', '10:02', '10:03']);
      expect((await rangeState(page)).options.map((o) => o.value)).toEqual(['', '2026-03-14', BACKFILL_DAY]);
      expect(await page.isVisible('#alerts-empty')).toBe(true);
      expect(await page.textContent('#alerts-empty')).toBe('No alerts in the latest hour of event time.');

      // Picking the backfilled day: its windows, its alert with a working report link, the URL says it.
      await page.selectOption('#day-select', BACKFILL_DAY);
      await page.waitForSelector(`body[data-view="${BACKFILL_DAY}"][data-state="live"]`);
      await page.waitForSelector('#windows-table[data-windows="120"]', { state: 'attached' });
      expect(new URL(page.url()).search).toBe(`?day=${BACKFILL_DAY}`);
      expect((await tableWindows(page)).map((w) => w.id)).toEqual(backfill.map((w) => w.id));
      const chart = await chartState(page);
      expect([chart.labels[0], chart.labels[119]]).toEqual(['08:00', '09:59']);
      const state = await rangeState(page);
      expect([state.title, state.note, state.selected]).toEqual(['Log levels per window, 2026-03-11 (UTC)', 'Windows starting on 2026-03-11, 00:00–24:00 UTC.', BACKFILL_DAY]);
      expect(await page.textContent('#alerts-title')).toBe('Alerts, 2026-03-11 (UTC)');
      const alerts = page.locator('#alerts-list > li');
      expect(await alerts.count()).toBe(1);
      expect(await alerts.first().innerText()).toContain('09:30–09:31 UTC');
      expect(await alerts.first().innerText()).toContain('email sent');
      const href = await alerts.first().getByRole('link').getAttribute('href');
      expect((await page.request.get(`${dayBase}${href}`)).status()).toBe(200);
      // The future-dated records get a column, shown where there are any.
      expect(await page.locator('#windows-head th').allTextContents()).toEqual(['Window (UTC)', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'Total', 'Late', 'Future', 'Alert', 'Report']);
      expect(await page.getAttribute(`#windows-body tr[data-window-id="${backfill[100].id}"] td[data-future]`, 'data-future')).toBe('3');
      expect(await page.getAttribute(`#windows-body tr[data-window-id="${backfill[99].id}"] td[data-future]`, 'data-future')).toBe('0');
      expect(await page.getAttribute('#api-link', 'href')).toBe(`/api/dashboard?day=${BACKFILL_DAY}`);
      await saveScreenshot(page, 'dashboard-backfill-day');

      // A reload (or a shared link) shows the same day; the latest hour is one pick away.
      await page.reload();
      await page.waitForSelector(`body[data-view="${BACKFILL_DAY}"]`);
      await page.waitForSelector('#windows-table[data-windows="120"]', { state: 'attached' });
      expect((await rangeState(page)).selected).toBe(BACKFILL_DAY);
      await page.selectOption('#day-select', '');
      await page.waitForSelector('body[data-view="latest"]');
      await page.waitForSelector('#windows-table[data-windows="4"]', { state: 'attached' });
      expect(new URL(page.url()).search).toBe('');
      expect(await page.locator('#windows-head th').allTextContents()).not.toContain('Future');

      // A day with nothing held, opened by URL: says so, and offers it beside the days held.
      await page.goto(`${dayBase}/?day=2026-03-12`);
      await page.waitForSelector('body[data-view="2026-03-12"][data-state="live"]');
      expect(await page.isVisible('#windows-empty')).toBe(true);
      expect(await page.textContent('#windows-empty')).toContain('No windows held for 2026-03-12');
      expect((await rangeState(page)).options.map((o) => o.text)).toEqual(['the latest hour of event time', '2026-03-14 · 4 windows', '2026-03-11 · 120 windows, 1 alerting', '2026-03-12 · nothing held']);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await dayServer.close();
    }
  });

  it('falls back to polling /api/dashboard when the event stream cannot be opened', async () => {
    // maxEventStreams 0: every /events answers 503, as when too many dashboards are open.
    const pollServer = new ControlServer({ host: '127.0.0.1', port: 0, logger, readiness: [] });
    registerDashboard(pollServer, { reportDir, data: async () => structuredClone(data) }, logger, { maxEventStreams: 0 });
    const { port } = await pollServer.listen();
    const page = await browser.newPage({ viewport: { width: 1024, height: 700 } });
    try {
      const polls: string[] = [];
      page.on('request', (req) => {
        if (new URL(req.url()).pathname === '/api/dashboard') polls.push(req.url());
      });
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForSelector('body[data-state="live"]');
      expect(await page.textContent('#status')).toMatch(/^Polling · updated /);
      expect(await page.getAttribute('#windows-table', 'data-windows')).toBe(String(data.windows.length));
      // It keeps polling (every 2 s).
      await eventually('a second poll of /api/dashboard', async () => (polls.length >= 2 ? true : undefined), 20_000);
    } finally {
      await page.close();
      await pollServer.close();
    }
  });

  // With control.token the page must work through the login cookie alone: its script, Chart.js, the
  // event stream and the report links carry no token of their own.
  it('works behind control.token after opening /?token= once', async () => {
    const token = 'dashboard-test-token-0123456789';
    const tokenServer = new ControlServer({ host: '127.0.0.1', port: 0, logger, readiness: [], token });
    registerDashboard(tokenServer, { reportDir, data: async () => structuredClone(data) }, logger, { eventIntervalMs: 250 });
    const { port } = await tokenServer.listen();
    const context = await browser.newContext({ viewport: { width: 1024, height: 700 } });
    try {
      const refused = await context.newPage();
      expect((await refused.goto(`http://127.0.0.1:${port}/`))?.status()).toBe(401);
      await refused.close();
      const page = await context.newPage();
      const errors = watchPageErrors(page);
      await page.goto(`http://127.0.0.1:${port}/?token=${token}`);
      expect(new URL(page.url()).search).toBe('');
      await page.waitForSelector('body[data-state="live"]');
      await page.waitForSelector(`#windows-table[data-windows="${data.windows.length}"]`, { state: 'attached' });
      expect((await chartState(page)).labels).toHaveLength(data.windows.length);
      for (const link of [page.locator('#alerts-list > li').first().getByRole('link'), page.locator('#windows-body tr:first-child a')]) {
        const href = await link.getAttribute('href');
        expect([href, (await page.request.get(`http://127.0.0.1:${port}${href}`)).status()]).toEqual([href, 200]);
      }
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await tokenServer.close();
    }
  });

  it('shows that the stream is down while the service is away, and recovers', async () => {
    // The service restarting: the event stream drops, the page says so, then shows data again.
    const page = await browser.newPage({ viewport: { width: 1024, height: 700 } });
    try {
      await page.goto(`${base}/`);
      await page.waitForSelector('body[data-state="live"]');
      const port = Number(new URL(base).port);
      await server.close();
      await page.waitForSelector('body[data-state="reconnecting"], body[data-state="error"]', { timeout: 10_000 });
      expect(await page.textContent('#status')).toMatch(/Connection lost|No data/);
      server = new ControlServer({ host: '127.0.0.1', port, logger, readiness: [] });
      registerDashboard(server, { reportDir, data: async () => structuredClone(data) }, logger, { eventIntervalMs: 250 });
      await server.listen();
      await page.waitForSelector('body[data-state="live"]', { timeout: 15_000 });
    } finally {
      await page.close();
    }
  });
});
