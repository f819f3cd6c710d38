import { PassThrough } from 'node:stream';
import type { ObjectActivity } from '../actors/s3-watcher-actor';
import { emptyCounts } from '../model/levels';
import type { RecentWindow } from '../report/recent-windows';
import { buildDashboardData, createDashboardSource } from './dashboard-data';
import { createLogger } from './logging';

const NOW = Date.UTC(2026, 10, 26, 12, 0);
const MIN = 60_000;
const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });

function win(startMs: number, over: Partial<RecentWindow> = {}): RecentWindow {
  const stamp = new Date(startMs).toISOString().replace('.000Z', 'Z').replace(/:/g, '-');
  return {
    id: `60000@${startMs}`,
    startMs,
    endMs: startMs + MIN,
    counts: { ...emptyCounts(), INFO: 5 },
    total: 5,
    late: 0,
    alert: false,
    reasons: [],
    suppressed: null,
    email: null,
    files: { json: `logpipe_2elines.${stamp}.json`, txt: `logpipe_2elines.${stamp}.txt` },
    reportedMs: startMs + MIN,
    ...over,
  };
}

function obj(id: string, over: Partial<ObjectActivity>): ObjectActivity {
  return { id, status: 'ingested', lines: 0, bytes: 0, totalBytes: null, ...over };
}

describe('buildDashboardData', () => {
  it('lists the windows of the last hour oldest first, with their report URLs', () => {
    const data = buildDashboardData({ windowSizeMs: MIN, objects: [], windows: [win(NOW - 2 * MIN), win(NOW - 61 * MIN), win(NOW - 3 * MIN), win(NOW - 60 * MIN)] }, NOW);
    expect(data.generatedAt).toBe('2026-11-26T12:00:00.000Z');
    expect(data.windowSizeMs).toBe(MIN);
    expect(data.windows.map((w) => w.start)).toEqual(['2026-11-26T11:00:00.000Z', '2026-11-26T11:57:00.000Z', '2026-11-26T11:58:00.000Z']);
    expect(data.windows[2]).toEqual({
      id: `60000@${NOW - 2 * MIN}`,
      start: '2026-11-26T11:58:00.000Z',
      end: '2026-11-26T11:59:00.000Z',
      counts: { ...emptyCounts(), INFO: 5 },
      total: 5,
      late: 0,
      alert: false,
      reportUrl: '/reports/logpipe_2elines.2026-11-26T11-58-00Z.json',
    });
  });

  it('lists the alerting windows newest first with their email state, suppressed breaches included', () => {
    const windows = [
      win(NOW - 5 * MIN, { alert: true, reasons: ['3 ERROR entries, more than the threshold of 1'], email: 'sent' }),
      win(NOW - 4 * MIN),
      win(NOW - 3 * MIN, { reasons: ['2 ERROR entries, more than the threshold of 1'], suppressed: 'realert', email: 'suppressed' }),
      win(NOW - 2 * MIN, { alert: true, reasons: ['9 ERROR entries, more than the threshold of 1'], email: 'pending' }),
      win(NOW - 90 * MIN, { alert: true, reasons: ['old'], email: 'sent' }),
    ];
    const data = buildDashboardData({ windowSizeMs: MIN, objects: [], windows }, NOW);
    expect(data.alerts).toEqual([
      { windowId: `60000@${NOW - 2 * MIN}`, start: '2026-11-26T11:58:00.000Z', end: '2026-11-26T11:59:00.000Z', reasons: ['9 ERROR entries, more than the threshold of 1'], email: 'pending', reportUrl: '/reports/logpipe_2elines.2026-11-26T11-58-00Z.txt' },
      { windowId: `60000@${NOW - 3 * MIN}`, start: '2026-11-26T11:57:00.000Z', end: '2026-11-26T11:58:00.000Z', reasons: ['2 ERROR entries, more than the threshold of 1'], email: 'suppressed', reportUrl: '/reports/logpipe_2elines.2026-11-26T11-57-00Z.txt' },
      { windowId: `60000@${NOW - 5 * MIN}`, start: '2026-11-26T11:55:00.000Z', end: '2026-11-26T11:56:00.000Z', reasons: ['3 ERROR entries, more than the threshold of 1'], email: 'sent', reportUrl: '/reports/logpipe_2elines.2026-11-26T11-55-00Z.txt' },
    ]);
  });

  it('stacks ERROR, WARN, INFO, DEBUG, then the other levels some window counted', () => {
    const none = buildDashboardData({ windowSizeMs: MIN, objects: [], windows: [] }, NOW);
    expect(none.levels).toEqual(['ERROR', 'WARN', 'INFO', 'DEBUG']);
    const some = buildDashboardData({ windowSizeMs: MIN, objects: [], windows: [win(NOW - MIN, { counts: { ...emptyCounts(), UNPARSED: 2, TRACE: 1 } }), win(NOW - 90 * MIN, { counts: { CUSTOM: 1 } })] }, NOW);
    expect(some.levels).toEqual(['ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE', 'UNPARSED']);
  });

  it('lists running objects first, then the others newest first, at most 50, with lines per second', () => {
    const objects: ObjectActivity[] = [
      obj('s3://b/queued', { status: 'queued' }),
      obj('s3://b/done', { status: 'ingested', lines: 6000, bytes: 600_000, totalBytes: 600_000, startedMs: NOW - 10 * MIN, finishedMs: NOW - 9 * MIN }),
      obj('s3://b/running', { status: 'running', lines: 500, bytes: 50_000, totalBytes: 200_000, startedMs: NOW - 10_000 }),
      obj('s3://b/bad.gz', { status: 'dead-letter', reason: 'corrupt gzip: unexpected end of file', startedMs: NOW - 5 * MIN, finishedMs: NOW - 5 * MIN + 2000 }),
      obj('s3://b/retrying', { status: 'failed', reason: 'KafkaJSConnectionError: Connection error', startedMs: NOW - 30_000 }),
      obj('s3://b/old', { status: 'ingested', startedMs: NOW - 70 * MIN, finishedMs: NOW - 61 * MIN }),
    ];
    const data = buildDashboardData({ windowSizeMs: MIN, objects, windows: [] }, NOW);
    expect(data.objects.map((o) => o.id)).toEqual(['s3://b/running', 's3://b/queued', 's3://b/retrying', 's3://b/bad.gz', 's3://b/done']);
    expect(data.objects[0]).toEqual({ id: 's3://b/running', status: 'running', lines: 500, bytes: 50_000, totalBytes: 200_000, linesPerSecond: 50, startedAt: '2026-11-26T11:59:50.000Z' });
    expect(data.objects[1]).toEqual({ id: 's3://b/queued', status: 'queued', lines: 0, bytes: 0, totalBytes: null, linesPerSecond: 0 });
    expect(data.objects[3]).toMatchObject({ status: 'dead-letter', reason: 'corrupt gzip: unexpected end of file', finishedAt: '2026-11-26T11:55:02.000Z' });
    expect(data.objects[4]).toMatchObject({ linesPerSecond: 100, finishedAt: '2026-11-26T11:51:00.000Z' });

    const many = Array.from({ length: 80 }, (_, i) => obj(`s3://b/${i}`, { startedMs: NOW - 100_000 + i, finishedMs: NOW - 50_000 + i }));
    const listed = buildDashboardData({ windowSizeMs: MIN, objects: many, windows: [] }, NOW).objects;
    expect(listed).toHaveLength(50);
    expect(listed[0].id).toBe('s3://b/79');
  });
});

describe('createDashboardSource', () => {
  it('asks the watcher and the report actor, and serves the report directory', async () => {
    const asked: string[] = [];
    const source = createDashboardSource(
      {
        watcher: { sendAndReceive: async (topic) => (asked.push(topic), [obj('s3://b/a', { status: 'queued' })]) },
        report: { sendAndReceive: async (topic) => (asked.push(topic), [win(NOW - MIN)]) },
      },
      { windowSizeMs: MIN, reportDir: 'reports', log, now: () => NOW },
    );
    expect(source.reportDir).toBe('reports');
    const data = await source.data();
    expect(asked.sort()).toEqual(['activity', 'recentWindows']);
    expect(data.objects.map((o) => o.id)).toEqual(['s3://b/a']);
    expect(data.windows).toHaveLength(1);
  });

  // The page must keep working while one part cannot be collected (a report stage still connecting).
  it('leaves out a part whose actor fails, and works without a report stage', async () => {
    const failing = createDashboardSource(
      { watcher: { sendAndReceive: async () => [obj('s3://b/a', { status: 'queued' })] }, report: { sendAndReceive: () => Promise.reject(new Error('Actor crashed.')) } },
      { windowSizeMs: MIN, reportDir: 'reports', log, now: () => NOW },
    );
    const data = await failing.data();
    expect(data.windows).toEqual([]);
    expect(data.objects).toHaveLength(1);
    const noReport = createDashboardSource({ watcher: { sendAndReceive: async () => [] } }, { windowSizeMs: MIN, reportDir: 'reports', log, now: () => NOW });
    expect(await noReport.data()).toMatchObject({ windows: [], alerts: [], objects: [] });
  });
});
