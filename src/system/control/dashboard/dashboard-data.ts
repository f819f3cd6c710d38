/**
 * The data behind `GET /api/dashboard` (the contract is src/model/dashboard-types.ts): objects from
 * the S3WatcherActor's activity(), windows and alerts from the ReportActor's recentWindows().
 * buildDashboardData is the pure part; createDashboardSource asks the actors.
 */
import type { ObjectActivity } from '../../../ingest/activity';
import type { RecentWindow } from '../../../report/recent-windows';
import { LEVELS } from '../../../model/levels';
import type { DashboardAlert, DashboardData, DashboardDaySummary, DashboardObject, DashboardQuery, DashboardSource, DashboardView, DashboardWindow } from '../../../model/dashboard-types';
import type { Logger } from '../../observability/logging';

/** The latest view spans this much event time, ending with the newest window held. */
export const DASHBOARD_SPAN_MS = 60 * 60 * 1000;
/** Objects are listed while queued or running and this long after they finished (wall clock). */
export const DASHBOARD_OBJECTS_SPAN_MS = 60 * 60 * 1000;
/** Most objects listed. */
export const DASHBOARD_OBJECTS = 50;
/**
 * Most windows in one answer: a UTC day of the default 60-s windows. The held windows are bounded
 * already (RECENT_WINDOWS, src/report/recent-windows.ts), but an answer goes to every open event
 * stream every 2 s, and with 1-s windows all 3,600 held could fall in one day. The newest are kept.
 */
export const DASHBOARD_WINDOWS = 1440;
/** Most days offered as choices, the newest. */
export const DASHBOARD_DAYS = 366;
/** Levels always stacked on the chart, in this order; others follow when a window has any. */
const BASE_LEVELS = ['ERROR', 'WARN', 'INFO', 'DEBUG'];
const DAY_MS = 24 * 60 * 60 * 1000;
const DAY_FORMAT = /^\d{4}-\d{2}-\d{2}$/;

export interface DashboardInputs {
  windowSizeMs: number;
  windows: RecentWindow[];
  objects: ObjectActivity[];
}

/** A bad query parameter; the caller answers 400 with its message. */
export class DashboardQueryError extends Error {
  override readonly name = 'DashboardQueryError';
}

/**
 * The query of a `/api/dashboard` or `/events` URL: `day=YYYY-MM-DD` (a real UTC calendar day), or
 * nothing for the latest hour. Other parameters are ignored. Throws DashboardQueryError naming the
 * parameter for a malformed or impossible day, or a repeated one.
 */
export function parseDashboardQuery(params: URLSearchParams): DashboardQuery {
  const days = params.getAll('day');
  if (days.length === 0 || (days.length === 1 && days[0] === '')) return {};
  if (days.length > 1) throw new DashboardQueryError('day: give one day, not several');
  const day = days[0];
  if (!DAY_FORMAT.test(day) || dayOf(Date.parse(`${day}T00:00:00Z`)) !== day) {
    throw new DashboardQueryError(`day: expected a UTC date as YYYY-MM-DD, got ${JSON.stringify(day.slice(0, 40))}`);
  }
  return { day };
}

/**
 * The answer for `nowMs` and `query`. Windows are chosen by event time (their start), never by the
 * wall clock, so a backfill or a host that was offline shows up like live data:
 * - no day: the hour of event time that ends with the newest held window (ignoring windows that
 *   start after `nowMs`: records dated up to report.futureSkewMs ahead make those, and the newest
 *   window should be one the clock has reached);
 * - `day`: the windows that start on that UTC day.
 * Either way at most DASHBOARD_WINDOWS, the newest, oldest first; the alerting ones among them newest
 * first (suppressed breaches included, with email `suppressed`); `days` lists the days that hold
 * windows, newest first. Objects are activity, not event time: at most 50 queued, running, or
 * finished within the last hour of `nowMs`, running first, then the others newest first (by finish,
 * else start). `query.day` must have passed parseDashboardQuery.
 */
export function buildDashboardData(inputs: DashboardInputs, nowMs: number, query: DashboardQuery = {}): DashboardData {
  const { view, inRange } = viewOf(inputs.windows, nowMs, query);
  const all = inputs.windows.filter((w) => w.startMs >= inRange.from && w.startMs < inRange.to).sort((a, b) => a.startMs - b.startMs);
  const omitted = Math.max(0, all.length - DASHBOARD_WINDOWS);
  const recent = all.slice(omitted);
  const windows: DashboardWindow[] = recent.map((w) => ({
    id: w.id,
    start: iso(w.startMs),
    end: iso(w.endMs),
    counts: { ...w.counts },
    total: w.total,
    late: w.late,
    future: w.future,
    alert: w.alert,
    reportUrl: `/reports/${w.files.json}`,
  }));
  const alerts: DashboardAlert[] = recent
    .filter((w) => w.email !== null)
    .reverse()
    .map((w) => ({ windowId: w.id, start: iso(w.startMs), end: iso(w.endMs), reasons: [...w.reasons], email: w.email!, reportUrl: `/reports/${w.files.txt}` }));
  return {
    generatedAt: iso(nowMs),
    windowSizeMs: inputs.windowSizeMs,
    levels: levelsOf(recent),
    windows,
    alerts,
    objects: objectsOf(inputs.objects, nowMs),
    view: { ...view, omitted },
    days: daysOf(inputs.windows),
  };
}

/** The range of window starts [from, to) a query shows, and how the answer names it. */
function viewOf(held: RecentWindow[], nowMs: number, query: DashboardQuery): { view: Omit<DashboardView, 'omitted'>; inRange: { from: number; to: number } } {
  if (query.day !== undefined) {
    const from = Date.parse(`${query.day}T00:00:00Z`);
    return { view: { kind: 'day', day: query.day, from: iso(from), to: iso(from + DAY_MS) }, inRange: { from, to: from + DAY_MS } };
  }
  let newest: RecentWindow | undefined;
  let newestAny: RecentWindow | undefined;
  for (const w of held) {
    if (!newestAny || w.startMs > newestAny.startMs) newestAny = w;
    if (w.startMs <= nowMs && (!newest || w.startMs > newest.startMs)) newest = w;
  }
  newest ??= newestAny;
  if (!newest) return { view: { kind: 'latest', day: null, from: null, to: null }, inRange: { from: 0, to: 0 } };
  const to = newest.endMs;
  const from = to - DASHBOARD_SPAN_MS;
  // Windows starting after the clock (records dated a little ahead) are left out; their day shows them.
  return { view: { kind: 'latest', day: null, from: iso(from), to: iso(to) }, inRange: { from, to: newest.startMs + 1 } };
}

/** The UTC days the held windows start on, newest first, with counts; at most DASHBOARD_DAYS. */
function daysOf(held: RecentWindow[]): DashboardDaySummary[] {
  const days = new Map<string, DashboardDaySummary>();
  for (const w of held) {
    const day = dayOf(w.startMs);
    const entry = days.get(day) ?? { day, windows: 0, alerts: 0 };
    entry.windows++;
    if (w.email !== null) entry.alerts++;
    days.set(day, entry);
  }
  return [...days.values()].sort((a, b) => (a.day < b.day ? 1 : a.day > b.day ? -1 : 0)).slice(0, DASHBOARD_DAYS);
}

function dayOf(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : '';
}

/** ERROR, WARN, INFO, DEBUG, then any other level a window counted (known levels in LEVELS order). */
function levelsOf(windows: RecentWindow[]): string[] {
  const seen = new Set<string>();
  for (const w of windows) for (const [level, n] of Object.entries(w.counts)) if (n > 0) seen.add(level);
  const known: readonly string[] = LEVELS;
  const others = [...seen].filter((l) => !BASE_LEVELS.includes(l)).sort((a, b) => rank(known, a) - rank(known, b) || a.localeCompare(b));
  return [...BASE_LEVELS, ...others];
}

function rank(order: readonly string[], level: string): number {
  const i = order.indexOf(level);
  return i < 0 ? order.length : i;
}

function objectsOf(activity: ObjectActivity[], nowMs: number): DashboardObject[] {
  const since = nowMs - DASHBOARD_OBJECTS_SPAN_MS;
  const finishedOrStarted = (o: ObjectActivity): number => o.finishedMs ?? o.startedMs ?? nowMs;
  const listed = activity
    .filter((o) => o.finishedMs === undefined || o.finishedMs >= since)
    .sort((a, b) => Number(b.status === 'running') - Number(a.status === 'running') || finishedOrStarted(b) - finishedOrStarted(a));
  return listed.slice(0, DASHBOARD_OBJECTS).map((o) => {
    const seconds = o.status === 'queued' || o.startedMs === undefined ? 0 : ((o.finishedMs ?? nowMs) - o.startedMs) / 1000;
    return {
      id: o.id,
      status: o.status,
      lines: o.lines,
      bytes: o.bytes,
      totalBytes: o.totalBytes,
      linesPerSecond: seconds > 0 ? Math.round((o.lines / seconds) * 10) / 10 : 0,
      ...(o.reason !== undefined ? { reason: o.reason } : {}),
      ...(o.startedMs !== undefined ? { startedAt: iso(o.startedMs) } : {}),
      ...(o.finishedMs !== undefined ? { finishedAt: iso(o.finishedMs) } : {}),
    };
  });
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The actors the source asks, as it uses them (comedy references, or plain objects in tests). */
export interface DashboardPorts {
  watcher: { sendAndReceive(topic: 'activity'): Promise<ObjectActivity[]> };
  /** Absent when the service runs no report stage (report.enabled false). */
  report?: { sendAndReceive(topic: 'recentWindows'): Promise<RecentWindow[]> };
}

/**
 * The DashboardSource of a running service. data() asks both actors each time (cheap: in-memory
 * state, and the ingest worker's progress of running objects); a failing actor's part is left empty
 * rather than failing the page.
 */
export function createDashboardSource(ports: DashboardPorts, options: { windowSizeMs: number; reportDir: string; log: Logger; now?: () => number }): DashboardSource {
  const now = options.now ?? Date.now;
  const empty = (part: string) => (err: unknown): [] => {
    options.log.warn('dashboard data incomplete', { part, error: err instanceof Error ? err.message : String(err) });
    return [];
  };
  return {
    reportDir: options.reportDir,
    async data(query: DashboardQuery = {}): Promise<DashboardData> {
      const [objects, windows] = await Promise.all([
        ports.watcher.sendAndReceive('activity').catch(empty('objects')),
        ports.report ? ports.report.sendAndReceive('recentWindows').catch(empty('windows')) : Promise.resolve([]),
      ]);
      return buildDashboardData({ windowSizeMs: options.windowSizeMs, windows, objects }, now(), query);
    },
  };
}
