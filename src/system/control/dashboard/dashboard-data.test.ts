import { PassThrough } from 'node:stream';
import type { ObjectActivity } from '../../../ingest/activity';
import { emptyCounts } from '../../../model/levels';
import { RECENT_WINDOWS, RecentWindows } from '../../../report/recent-windows';
import { recentWindow } from '../../../report/recent-windows.fixture';
import type { WindowReport } from '../../../report/window';
import { buildDashboardData, createDashboardSource, DASHBOARD_DAYS, DASHBOARD_WINDOWS, DashboardQueryError, parseDashboardQuery } from './dashboard-data';
import { createLogger } from '../../observability/logging';

const NOW = Date.UTC(2026, 10, 26, 12, 0);
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });

const win = recentWindow;

function obj(id: string, over: Partial<ObjectActivity>): ObjectActivity {
  return { id, status: 'ingested', lines: 0, bytes: 0, totalBytes: null, ...over };
}

describe('buildDashboardData', () => {
  // Issue 15: a day of logs ingested today (a backfill) never appeared, the page showed the last wall-clock hour.
  it('shows a backfill from three days ago: the latest hour of event time, not of the wall clock', () => {
    const backfill = Array.from({ length: 90 }, (_, i) => win(NOW - 3 * DAY + i * MIN));
    const data = buildDashboardData({ windowSizeMs: MIN, objects: [], windows: backfill }, NOW);
    expect(data.windows.map((w) => w.start)).toEqual(backfill.slice(30).map((w) => new Date(w.startMs).toISOString()));
    expect(data.view).toEqual({ kind: 'latest', day: null, from: '2026-11-23T12:30:00.000Z', to: '2026-11-23T13:30:00.000Z', omitted: 0 });
    expect(data.days).toEqual([{ day: '2026-11-23', windows: 90, alerts: 0 }]);
  });

  it('lists the hour of event time ending with the newest window, oldest first, with their report URLs', () => {
    const data = buildDashboardData({ windowSizeMs: MIN, objects: [], windows: [win(NOW - 2 * MIN), win(NOW - 62 * MIN), win(NOW - 3 * MIN), win(NOW - 61 * MIN)] }, NOW);
    expect(data.generatedAt).toBe('2026-11-26T12:00:00.000Z');
    expect(data.windowSizeMs).toBe(MIN);
    // The newest window is 11:58–11:59: the hour is [10:59, 11:59).
    expect(data.view).toEqual({ kind: 'latest', day: null, from: '2026-11-26T10:59:00.000Z', to: '2026-11-26T11:59:00.000Z', omitted: 0 });
    expect(data.windows.map((w) => w.start)).toEqual(['2026-11-26T10:59:00.000Z', '2026-11-26T11:57:00.000Z', '2026-11-26T11:58:00.000Z']);
    expect(data.windows[2]).toEqual({
      id: `60000@${NOW - 2 * MIN}`,
      start: '2026-11-26T11:58:00.000Z',
      end: '2026-11-26T11:59:00.000Z',
      counts: { ...emptyCounts(), INFO: 5 },
      total: 5,
      late: 0,
      future: 0,
      alert: false,
      reportUrl: '/reports/logpipe_2elines.2026-11-26T11-58-00Z.json',
    });
  });

  it('keeps showing the last hour of data when the logs stop, however long ago it was', () => {
    const windows = [win(NOW - 5 * DAY - 10 * MIN), win(NOW - 5 * DAY - 9 * MIN)];
    const data = buildDashboardData({ windowSizeMs: MIN, objects: [], windows }, NOW);
    expect(data.windows.map((w) => w.id)).toEqual(windows.map((w) => w.id));
  });

  it('reads "nothing held" when there are no windows', () => {
    const data = buildDashboardData({ windowSizeMs: MIN, objects: [], windows: [] }, NOW);
    expect(data).toMatchObject({ windows: [], alerts: [], days: [], view: { kind: 'latest', day: null, from: null, to: null, omitted: 0 } });
    expect(buildDashboardData({ windowSizeMs: MIN, objects: [], windows: [] }, NOW, { day: '2026-11-20' }).view).toEqual({
      kind: 'day',
      day: '2026-11-20',
      from: '2026-11-20T00:00:00.000Z',
      to: '2026-11-21T00:00:00.000Z',
      omitted: 0,
    });
  });

  // A future-dated record (a bad clock, a wrong date) closes a window far ahead: it must not become
  // "the newest window" and push every real one out of the latest hour.
  it('does not anchor the latest hour on a window that starts after the answer\'s time', () => {
    const windows = [win(NOW - 3 * MIN), win(NOW - 2 * MIN), win(NOW + 2 * DAY, { future: 1 })];
    const data = buildDashboardData({ windowSizeMs: MIN, objects: [], windows }, NOW);
    expect(data.windows.map((w) => w.id)).toEqual([windows[0].id, windows[1].id]);
    expect(data.days.map((d) => d.day)).toEqual(['2026-11-28', '2026-11-26']);
    // Its day still shows it.
    expect(buildDashboardData({ windowSizeMs: MIN, objects: [], windows }, NOW, { day: '2026-11-28' }).windows.map((w) => w.id)).toEqual([windows[2].id]);
    // Only future windows held: the newest of them.
    expect(buildDashboardData({ windowSizeMs: MIN, objects: [], windows: [windows[2]] }, NOW).windows).toHaveLength(1);
  });

  it('lists one UTC day with ?day=, its alerts and report links, and offers the days held newest first', () => {
    const windows = [
      // The evening of the 23rd, the whole 24th (a backfill, with one alert), and live windows now.
      win(Date.UTC(2026, 10, 23, 23, 59)),
      ...Array.from({ length: 1440 }, (_, i) =>
        win(Date.UTC(2026, 10, 24) + i * MIN, i === 600 ? { alert: true, reasons: ['7 ERROR entries, more than the threshold of 1'], email: 'sent' } : {}),
      ),
      win(NOW - 2 * MIN, { alert: true, reasons: ['live'], email: 'pending' }),
      win(NOW - MIN),
    ];
    const day = buildDashboardData({ windowSizeMs: MIN, objects: [], windows }, NOW, { day: '2026-11-24' });
    expect(day.view).toEqual({ kind: 'day', day: '2026-11-24', from: '2026-11-24T00:00:00.000Z', to: '2026-11-25T00:00:00.000Z', omitted: 0 });
    expect(day.windows).toHaveLength(1440);
    expect(day.windows[0].start).toBe('2026-11-24T00:00:00.000Z');
    expect(day.windows[1439].start).toBe('2026-11-24T23:59:00.000Z');
    expect(day.alerts).toEqual([
      { windowId: `60000@${Date.UTC(2026, 10, 24, 10)}`, start: '2026-11-24T10:00:00.000Z', end: '2026-11-24T10:01:00.000Z', reasons: ['7 ERROR entries, more than the threshold of 1'], email: 'sent', reportUrl: '/reports/logpipe_2elines.2026-11-24T10-00-00Z.txt' },
    ]);
    expect(day.days).toEqual([
      { day: '2026-11-26', windows: 2, alerts: 1 },
      { day: '2026-11-24', windows: 1440, alerts: 1 },
      { day: '2026-11-23', windows: 1, alerts: 0 },
    ]);
    // The latest hour is today's, with today's alert only; the same days are offered.
    const latest = buildDashboardData({ windowSizeMs: MIN, objects: [], windows }, NOW);
    expect(latest.windows.map((w) => w.start)).toEqual(['2026-11-26T11:58:00.000Z', '2026-11-26T11:59:00.000Z']);
    expect(latest.alerts.map((a) => a.reasons)).toEqual([['live']]);
    expect(latest.days).toEqual(day.days);
    // A day with nothing held: empty, not an error.
    expect(buildDashboardData({ windowSizeMs: MIN, objects: [], windows }, NOW, { day: '2026-11-25' })).toMatchObject({ windows: [], alerts: [] });
  });

  // Memory and answer size: every open event stream gets an answer every 2 s.
  it('bounds one answer to DASHBOARD_WINDOWS windows, the newest, and says how many it left out', () => {
    const seconds = Array.from({ length: RECENT_WINDOWS }, (_, i) => win(Date.UTC(2026, 10, 24, 6) + i * 1000, { endMs: Date.UTC(2026, 10, 24, 6) + (i + 1) * 1000 }));
    const latest = buildDashboardData({ windowSizeMs: 1000, objects: [], windows: seconds }, NOW);
    expect(latest.windows).toHaveLength(DASHBOARD_WINDOWS);
    expect(latest.view.omitted).toBe(RECENT_WINDOWS - DASHBOARD_WINDOWS);
    expect(latest.windows[DASHBOARD_WINDOWS - 1].id).toBe(seconds[RECENT_WINDOWS - 1].id);
    const day = buildDashboardData({ windowSizeMs: 1000, objects: [], windows: seconds }, NOW, { day: '2026-11-24' });
    expect([day.windows.length, day.view.omitted]).toEqual([DASHBOARD_WINDOWS, RECENT_WINDOWS - DASHBOARD_WINDOWS]);
    // One window a day for years: the newest DASHBOARD_DAYS days are offered.
    const daily = Array.from({ length: 1000 }, (_, i) => win(NOW - i * DAY));
    const days = buildDashboardData({ windowSizeMs: MIN, objects: [], windows: daily }, NOW).days;
    expect(days).toHaveLength(DASHBOARD_DAYS);
    expect(days[0].day).toBe('2026-11-26');
  });

  // What a user can browse is what RecentWindows (src/report/recent-windows.ts) holds: the
  // RECENT_WINDOWS windows published last, whatever their event time. docs/dashboard.md says so.
  it('can browse the windows the report stage holds: a three-day backfill keeps the newest published RECENT_WINDOWS', () => {
    const recent = new RecentWindows(false, 'logpipe.lines');
    const publish = (startMs: number): void => {
      const counts = { ...emptyCounts(), INFO: 1 };
      recent.add({ id: `60000@${startMs}`, startMs, endMs: startMs + MIN, counts, total: 1, late: 0 } as unknown as WindowReport, { alert: false, reasons: [], suppressed: undefined, lastAlertStartMs: undefined }, NOW);
    };
    publish(NOW - 2 * MIN); // live, published first
    for (let i = 0; i < 3 * 1440; i++) publish(Date.UTC(2026, 10, 22) + i * MIN); // then a backfill of 3 whole days
    const held = recent.list();
    expect(held).toHaveLength(RECENT_WINDOWS);
    const data = buildDashboardData({ windowSizeMs: MIN, objects: [], windows: held }, NOW);
    // The live window, published before, is gone; the backfill's last hour is the latest.
    expect(data.days.map((d) => [d.day, d.windows])).toEqual([
      ['2026-11-24', 1440],
      ['2026-11-23', 1440],
      ['2026-11-22', RECENT_WINDOWS - 2 * 1440],
    ]);
    expect(data.windows).toHaveLength(60);
    expect(data.windows[59].start).toBe('2026-11-24T23:59:00.000Z');
  });

  it('lists the alerting windows newest first with their email state, suppressed breaches included', () => {
    const windows = [
      win(NOW - 5 * MIN, { alert: true, reasons: ['3 ERROR entries, more than the threshold of 1'], email: 'sent' }),
      win(NOW - 4 * MIN),
      win(NOW - 3 * MIN, { reasons: ['2 ERROR entries, more than the threshold of 1'], suppressed: 'realert', email: 'suppressed' }),
      win(NOW - 2 * MIN, { alert: true, reasons: ['9 ERROR entries, more than the threshold of 1'], email: 'pending' }),
      win(NOW - 90 * MIN, { alert: true, reasons: ['old'], email: 'sent' }),
      win(NOW - MIN),
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

describe('parseDashboardQuery', () => {
  it.each([
    ['', {}],
    ['day=', {}],
    ['day=2026-11-24', { day: '2026-11-24' }],
    ['day=2024-02-29&other=x', { day: '2024-02-29' }],
  ])('accepts %j', (query, expected) => {
    expect(parseDashboardQuery(new URLSearchParams(query))).toEqual(expected);
  });

  it.each([
    ['day=2026-02-29', 'day: expected a UTC date as YYYY-MM-DD, got "2026-02-29"'],
    ['day=2026-13-01', 'day: expected a UTC date as YYYY-MM-DD, got "2026-13-01"'],
    ['day=24.11.2026', 'day: expected a UTC date as YYYY-MM-DD, got "24.11.2026"'],
    ['day=2026-11-24T00:00:00Z', 'day: expected a UTC date as YYYY-MM-DD, got "2026-11-24T00:00:00Z"'],
    ['day=a&day=b', 'day: give one day, not several'],
  ])('refuses %j naming the parameter', (query, message) => {
    expect(() => parseDashboardQuery(new URLSearchParams(query))).toThrow(new DashboardQueryError(message));
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
    expect((await source.data({ day: '2026-11-25' })).windows).toEqual([]);
    expect((await source.data({ day: '2026-11-26' })).windows).toHaveLength(1);
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
