/**
 * The dashboard of a real `logpipe start` (built CLI, local stack), end to end: a generated log
 * with an error burst, whose ground truth per window is known, dated three days ago (a backfill: a
 * host that was offline), goes to S3 and is ingested through the control API; Chromium then shows,
 * from the service's own data, the expected windows with the truth's counts (table and Chart.js) as
 * the latest hour of event time, the one alert (the burst's window) with a working report link and
 * its email sent, and the object ingested with all its lines; picking the log's day shows the same
 * windows. Screenshot in test-artifacts/.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Browser } from 'playwright-core';
import type { TruthWindow } from '../../src/generator/truth';
import { createS3 } from '../../src/system/kafka/clients';
import { packageRoot } from '../../src/system/config/paths';
import { launchChromium, saveScreenshot, watchPageErrors } from '../browser';
import { chartState, tableWindows } from '../dashboard-page';
import { eventually, freePort, testConfig, uniqueName } from '../support/helpers';

const bin = path.join(packageRoot(), 'dist', 'cli', 'main.js');
const MINUTE = 60_000;
const LEVELS = ['ERROR', 'WARN', 'INFO', 'DEBUG'];

/**
 * Where the generated log starts: three days ago on a whole minute (issue 15: the dashboard used to
 * show only windows starting in the last wall-clock hour, so a backfill never appeared), and all
 * five minutes on one UTC date (the date comes from the object name).
 */
function logStart(nowMs: number): number {
  const start = Math.floor(nowMs / MINUTE) * MINUTE - 3 * 24 * 60 * MINUTE;
  const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  return day(start) === day(start + 5 * MINUTE) ? start : Date.parse(`${day(start + 5 * MINUTE)}T00:00:00Z`);
}

/**
 * Five minutes of log from `startMs`: three quiet minutes (no ERROR), one minute of burst (about a
 * quarter ERROR), one quiet minute. Returns the concatenated log and the truth of its windows.
 */
function generateLog(dir: string, startMs: number): { body: Buffer; truth: TruthWindow[] } {
  const segments: Array<{ minutes: number; levels: string[] }> = [
    { minutes: 3, levels: ['--error', '0,0'] },
    { minutes: 1, levels: ['--error', '0,0.25', '--warn', '0.25,0.35', '--debug', '0.35,0.45', '--info', '0.45,1'] },
    { minutes: 1, levels: ['--error', '0,0'] },
  ];
  const bodies: Buffer[] = [];
  const truth: TruthWindow[] = [];
  let t = startMs;
  segments.forEach((segment, i) => {
    const out = path.join(dir, `segment-${i}.log`);
    const truthFile = path.join(dir, `segment-${i}.json`);
    execFileSync(process.execPath, [bin, 'generate', '--fast', '--seed', String(70 + i), '--max-count', '0', '--duration-minutes', String(segment.minutes), '--start', new Date(t).toISOString(), ...segment.levels, '--out', out, '--truth', truthFile], {
      env: { ...process.env, NODE_ENV: 'test', LOGPIPE_LOG_FORMAT: 'json' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    bodies.push(fs.readFileSync(out));
    truth.push(...(JSON.parse(fs.readFileSync(truthFile, 'utf8')) as { windows: TruthWindow[] }).windows);
    t += segment.minutes * MINUTE;
  });
  // The segments cover disjoint whole minutes: no window is shared, so the truths simply add up.
  expect(new Set(truth.map((w) => w.startMs)).size).toBe(truth.length);
  return { body: Buffer.concat(bodies), truth: truth.sort((a, b) => a.startMs - b.startMs) };
}

describe('dashboard of logpipe start', () => {
  let browser: Browser | undefined;
  let child: ChildProcess | undefined;
  let exited: Promise<number | null> | undefined;
  let dir = '';
  let logFile = '';

  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
  });

  it('shows the generated windows with the truth counts, the burst alert with its report and email, and the object', async () => {
    const config = testConfig();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-dashboard-e2e-'));
    logFile = path.join(dir, 'service.log');
    const startMs = logStart(Date.now());
    const { body, truth } = generateLog(dir, startMs);
    expect(truth).toHaveLength(5);
    const burst = truth[3];
    expect(truth.map((w) => w.counts.ERROR > 1)).toEqual([false, false, false, true, false]);

    const bucket = uniqueName('it-dash');
    const key = `hosts/web-1/LogFileGenerator.${new Date(startMs).toISOString().slice(0, 10)}.log`;
    const s3 = createS3(config);
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    } finally {
      s3.destroy();
    }

    const port = await freePort();
    const group = uniqueName('g-dash');
    const out = fs.openSync(logFile, 'a');
    child = spawn(process.execPath, [bin, 'start'], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOGPIPE_LOG_FORMAT: 'json',
        LOGPIPE_LOG_LEVEL: 'info',
        LOGPIPE_KAFKA_TOPIC: uniqueName('it-dash-lines'),
        LOGPIPE_CONTROL_PORT: String(port),
        LOGPIPE_REPORT_GROUP_ID: group,
        LOGPIPE_REPORT_DIR: path.join(dir, 'reports'),
        LOGPIPE_REPORT_IDLE_CLOSE_MS: '1500',
        LOGPIPE_REPORT_EMAIL_TRANSPORT: 'file',
        LOGPIPE_REPORT_OUTBOX_DIR: path.join(dir, 'outbox'),
        LOGPIPE_REPORT_EMAIL_TO: `${group}@example.test`,
      },
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    const running = child;
    exited = new Promise((resolve) => running.once('exit', (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;

    try {
      await eventually(
        'the service to accept the ingest request',
        async () => {
          if (running.exitCode !== null) throw new Error(`logpipe start exited with ${running.exitCode}`);
          const res = await fetch(`${base}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ bucket, key }) }).catch(() => undefined);
          return res?.status === 202 ? true : undefined;
        },
        60_000,
      );

      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors = watchPageErrors(page);
      await page.goto(`${base}/`);
      // Ingest, windows closing (the last one by idleness) and the email, as the page shows them live.
      await page.waitForSelector('#windows-table[data-windows="5"]', { state: 'attached', timeout: 120_000 });
      await page.waitForSelector('#alerts-list li:has-text("email sent")', { timeout: 60_000 });
      await page.waitForSelector('#objects-body tr[data-status="ingested"]', { timeout: 60_000 });

      const shown = await tableWindows(page);
      expect(shown.map((w) => w.counts)).toEqual(truth.map((w) => Object.fromEntries(LEVELS.map((l) => [l, w.counts[l as keyof typeof w.counts]]))));
      expect(shown.map((w) => w.total)).toEqual(truth.map((w) => w.total));
      expect(shown.map((w) => w.alert)).toEqual(['false', 'false', 'false', 'true', 'false']);

      const chart = await chartState(page);
      const hhmm = (ms: number): string => new Date(ms).toISOString().slice(11, 16);
      expect(chart.labels).toEqual(truth.map((w) => hhmm(w.startMs)));
      expect(chart.datasets.map((d) => d.label)).toEqual(LEVELS);
      for (const d of chart.datasets) expect([d.label, d.data]).toEqual([d.label, truth.map((w) => w.counts[d.label as keyof typeof w.counts])]);
      expect(chart.errorPixels).toEqual([null, null, null, 'rgb(214,39,40)', null]);

      const alerts = page.locator('#alerts-list > li');
      expect(await alerts.count()).toBe(1);
      expect(await alerts.first().innerText()).toContain(`${hhmm(burst.startMs)}–${hhmm(burst.startMs + MINUTE)} UTC`);
      expect(await alerts.first().locator('ul > li').first().innerText()).toBe(`${burst.counts.ERROR} ERROR entries, more than the threshold of 1`);
      const href = await alerts.first().getByRole('link').getAttribute('href');
      expect(href).toMatch(/^\/reports\/[0-9A-Za-z_.-]+\.txt$/);
      const report = await page.request.get(`${base}${href}`);
      expect(report.status()).toBe(200);
      expect(await report.text()).toContain('Alert: yes');

      const objects = await page.$$eval('#objects-body tr', (rows) => rows.map((tr) => ({ id: tr.getAttribute('data-object-id'), status: tr.getAttribute('data-status'), text: (tr as unknown as { innerText: string }).innerText })));
      expect(objects.map((o) => [o.id, o.status])).toEqual([[`s3://${bucket}/${key}`, 'ingested']]);
      const lines = truth.reduce((sum, w) => sum + w.total, 0);
      expect(objects[0].text).toContain(lines.toLocaleString('en-US'));
      expect(objects[0].text).toContain('100 %');

      await saveScreenshot(page, 'dashboard-service');

      // The log's day is offered; picking it lists the same windows and alert.
      const day = new Date(startMs).toISOString().slice(0, 10);
      expect(await page.$$eval('#day-select option', (options) => options.map((o) => o.getAttribute('value')))).toEqual(['', day]);
      await page.selectOption('#day-select', day);
      await page.waitForSelector(`body[data-view="${day}"][data-state="live"]`);
      expect(new URL(page.url()).search).toBe(`?day=${day}`);
      expect((await tableWindows(page)).map((w) => w.id)).toEqual(shown.map((w) => w.id));
      expect(await page.locator('#alerts-list > li').count()).toBe(1);
      expect(errors).toEqual([]);
      await page.close();

      running.kill('SIGTERM');
      expect(await exited).toBe(0);
    } catch (err) {
      process.stderr.write(`--- logpipe start log (${logFile}), last lines:\n${fs.readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n')}\n`);
      throw err;
    }
  }, 300_000);
});
