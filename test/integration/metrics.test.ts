/**
 * GET /metrics and GET /api/dashboard of a running service on the real broker and moto: a generated
 * object and a truncated gzip go through the service; the counters say how many lines were ingested,
 * which objects ended how (the bad one under its dead-letter reason), the report stage's windows,
 * alerts and emails, and the dashboard lists the objects with their outcome and the windows. With
 * ingest.workerMode "forked" the worker's counters, kept in its own process, appear in /metrics too.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { DashboardData } from '../../src/model/dashboard-types';
import { createS3 } from '../../src/system/kafka/clients';
import { packageRoot } from '../../src/system/config/paths';
import { type RunningService, startService } from '../../src/system/runtime/service';
import { eventually, freePort, metricValue, quietLogger, testConfig, uniqueName } from '../support/helpers';

jest.setTimeout(300_000);

const base = testConfig();
const s3 = createS3(base);
const bucket = uniqueName('it-metrics');

afterAll(() => s3.destroy());

/**
 * `n` lines one every 200 ms, from 20 minutes ago (so their windows are within the dashboard's last
 * hour), every 10th an ERROR: each 60 s window holds 30 ERROR lines and alerts. The object's name
 * carries the first line's date, which the parser takes the date from.
 */
function generated(n: number): { key: string; body: string } {
  const startMs = Date.now() - 20 * 60_000;
  const day = new Date(startMs).toISOString().slice(0, 10);
  const lines = Array.from({ length: n }, (_, i) => {
    const time = new Date(startMs + i * 200).toISOString().slice(11, 23);
    return `${time} [main] ${i % 10 === 0 ? 'ERROR' : 'INFO '} app.Metrics - line ${i}`;
  });
  return { key: `app/LogFileGenerator.${day}.log`, body: `${lines.join('\n')}\n` };
}

/** A gzip object cut in half: dead-lettered as a corrupt gzip. */
const truncatedGzip = (): Buffer => {
  const gz = zlib.gzipSync(Array.from({ length: 100 }, (_, i) => `10:00:00.000 [main] INFO app - gz ${i}`).join('\n'));
  return gz.subarray(0, Math.floor(gz.length / 2));
};

const value = metricValue;

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

async function trigger(url: string, key: string): Promise<void> {
  const res = await fetch(`${url}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ bucket, key }) });
  expect(res.status).toBe(202);
}

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

describe('GET /metrics and /api/dashboard of logpipe start', () => {
  let service: RunningService | undefined;
  afterAll(async () => service?.stop());

  it('count the lines ingested, objects by outcome, dead letters by reason, windows and emails; the dashboard lists objects and windows', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-metrics-'));
    const group = uniqueName('it-metrics-g');
    const config = {
      ...base,
      kafka: { ...base.kafka, topic: uniqueName('it-metrics-lines') },
      control: { ...base.control, host: '127.0.0.1', port: 0 },
      parser: { ...base.parser, zone: 'UTC' },
      report: {
        ...base.report,
        enabled: true,
        groupId: group,
        dir: path.join(dir, 'reports'),
        idleCloseMs: 1500,
        emailTransport: 'file' as const,
        outboxDir: path.join(dir, 'outbox'),
        emailTo: [`${group}@example.test`],
      },
    };
    const good = generated(3000);
    const bad = 'bad/truncated.log.gz';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: good.key, Body: good.body }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: bad, Body: truncatedGzip() }));
    service = await startService(config, quietLogger().logger);
    const url = service.url;
    await trigger(url, good.key);
    await trigger(url, bad);

    const text = await eventually('both objects to finish', async () => {
      const t = await scrape(url);
      return value(t, 'logpipe_ingest_objects_total{outcome="ingested"}') === 1 && value(t, 'logpipe_ingest_objects_total{outcome="dead-letter"}') === 1 ? t : undefined;
    }, 120_000);
    const data = (await (await fetch(`${url}/api/dashboard`)).json()) as DashboardData;
    const goodObject = data.objects.find((o) => o.id === `s3://${bucket}/${good.key}`);
    const badObject = data.objects.find((o) => o.id === `s3://${bucket}/${bad}`);
    expect(goodObject).toMatchObject({ status: 'ingested', lines: 3000, bytes: Buffer.byteLength(good.body), totalBytes: Buffer.byteLength(good.body), startedAt: expect.any(String), finishedAt: expect.any(String) });
    expect(badObject).toMatchObject({ status: 'dead-letter', reason: expect.stringMatching(/^corrupt gzip/) });
    // Batches the bad object committed before the cut stay, and count.
    expect(value(text, 'logpipe_ingest_lines_total')).toBe(3000 + badObject!.lines);
    expect(value(text, 'logpipe_ingest_bytes_total')).toBe(Buffer.byteLength(good.body) + badObject!.bytes);
    expect(value(text, 'logpipe_ingest_records_total')).toBe(3000 + badObject!.lines);
    expect(value(text, 'logpipe_ingest_dead_letters_total{reason="corrupt-gzip"}')).toBe(1);
    expect(value(text, 'logpipe_ingest_requests_total{trigger="api",status="queued"}')).toBe(2);
    expect(value(text, 'logpipe_ingest_commit_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'logpipe_ingest_objects_running')).toBe(0);
    expect(value(text, 'logpipe_ingest_worker_up')).toBe(1);
    expect(value(text, 'logpipe_process_resident_memory_bytes')).toBeGreaterThan(0);

    // The report stage: every line in a closed window, each window alerting, its email sent.
    const reported = await eventually('the windows to be reported and their alerts emailed', async () => {
      const d = (await (await fetch(`${url}/api/dashboard`)).json()) as DashboardData;
      const total = d.windows.reduce((n, w) => n + w.total, 0);
      return total === 3000 && d.alerts.length > 0 && d.alerts.every((a) => a.email === 'sent') ? d : undefined;
    }, 120_000);
    expect(reported.levels.slice(0, 4)).toEqual(['ERROR', 'WARN', 'INFO', 'DEBUG']);
    expect(reported.windows.every((w) => /^\/reports\/[0-9A-Za-z_.-]+\.json$/.test(w.reportUrl))).toBe(true);
    // Whole minutes hold 30 ERROR lines; the first and last windows may hold only a few.
    expect(reported.windows.filter((w) => w.alert).length).toBeGreaterThanOrEqual(reported.windows.length - 2);
    expect(reported.alerts.map((a) => a.windowId)).toEqual(reported.windows.filter((w) => w.alert).map((w) => w.id).reverse());
    const after = await scrape(url);
    expect(value(after, 'logpipe_report_windows_closed_total')).toBe(reported.windows.length);
    expect(value(after, 'logpipe_report_alerts_total{decision="alert"}')).toBe(reported.alerts.length);
    expect(value(after, 'logpipe_report_emails_total{outcome="sent"}')).toBe(reported.alerts.length);
    expect(value(after, `logpipe_report_consumer_lag_records{topic="${config.kafka.topic}",partition="0"}`)).toBe(0);
    expect(fs.existsSync(path.join(config.report.dir, path.basename(reported.windows[0].reportUrl)))).toBe(true);
  });
});

describe('GET /metrics with ingest.workerMode "forked"', () => {
  let child: ChildProcess | undefined;
  let log = '';
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
  });

  // The worker counts lines in its own process: /metrics merges its registry into the service's.
  it('includes the ingest worker\'s counters and process metrics', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [path.join(packageRoot(), 'dist', 'cli', 'main.js'), 'start'], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOGPIPE_LOG_FORMAT: 'json',
        LOGPIPE_KAFKA_TOPIC: uniqueName('it-metrics-forked'),
        LOGPIPE_CONTROL_PORT: String(port),
        LOGPIPE_REPORT_ENABLED: 'false',
        LOGPIPE_INGEST_WORKER_MODE: 'forked',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    try {
      await eventually('the service to be ready', async () => ((await fetch(`${url}/readyz`).catch(() => undefined))?.ok ? true : undefined), 60_000);
      const good = generated(2000);
      const key = `forked/${path.basename(good.key)}`;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: good.body }));
      await trigger(url, key);
      const text = await eventually('the object to be ingested', async () => {
        const t = await scrape(url);
        return value(t, 'logpipe_ingest_objects_total{outcome="ingested"}') === 1 ? t : undefined;
      }, 120_000);
      expect(value(text, 'logpipe_ingest_worker_up')).toBe(1);
      expect(value(text, 'logpipe_ingest_lines_total')).toBe(2000);
      expect(value(text, 'logpipe_ingest_records_total')).toBe(2000);
      expect(value(text, 'logpipe_ingest_bytes_total')).toBe(Buffer.byteLength(good.body));
      expect(value(text, 'logpipe_ingest_commit_duration_seconds_count')).toBeGreaterThanOrEqual(1);
      // Both processes' own metrics, apart.
      expect(value(text, 'logpipe_process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(value(text, 'logpipe_worker_process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(text.match(/^logpipe_build_info\{.*\} (\d+)$/m)?.[1]).toBe('1');
      const data = (await (await fetch(`${url}/api/dashboard`)).json()) as DashboardData;
      expect(data.objects).toEqual([expect.objectContaining({ id: `s3://${bucket}/${key}`, status: 'ingested', lines: 2000 })]);
    } catch (err) {
      process.stderr.write(`--- service log, last lines:\n${log.split('\n').slice(-40).join('\n')}\n`);
      throw err;
    }
  });
});
