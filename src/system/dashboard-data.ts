/**
 * The data behind `GET /api/dashboard` (the contract is src/system/dashboard-types.ts): objects from
 * the S3WatcherActor's activity(), windows and alerts from the ReportActor's recentWindows().
 * buildDashboardData is the pure part; createDashboardSource asks the actors.
 */
import type { ObjectActivity } from '../actors/s3-watcher-actor';
import type { RecentWindow } from '../report/recent-windows';
import { LEVELS } from '../model/levels';
import type { DashboardAlert, DashboardData, DashboardObject, DashboardSource, DashboardWindow } from './dashboard-types';
import type { Logger } from './logging';

/** The dashboard shows the last hour. */
export const DASHBOARD_SPAN_MS = 60 * 60 * 1000;
/** Most objects listed. */
export const DASHBOARD_OBJECTS = 50;
/** Levels always stacked on the chart, in this order; others follow when a window has any. */
const BASE_LEVELS = ['ERROR', 'WARN', 'INFO', 'DEBUG'];

export interface DashboardInputs {
  windowSizeMs: number;
  windows: RecentWindow[];
  objects: ObjectActivity[];
}

/**
 * The answer for `nowMs`: windows whose start is within the last hour (oldest first), the alerting
 * ones among them newest first (suppressed breaches included, with email `suppressed`), and at most
 * 50 objects, running first, then the others newest first (by finish, else start).
 */
export function buildDashboardData(inputs: DashboardInputs, nowMs: number): DashboardData {
  const since = nowMs - DASHBOARD_SPAN_MS;
  const recent = inputs.windows.filter((w) => w.startMs >= since).sort((a, b) => a.startMs - b.startMs);
  const windows: DashboardWindow[] = recent.map((w) => ({
    id: w.id,
    start: iso(w.startMs),
    end: iso(w.endMs),
    counts: { ...w.counts },
    total: w.total,
    late: w.late,
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
  };
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
  const since = nowMs - DASHBOARD_SPAN_MS;
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
    async data(): Promise<DashboardData> {
      const [objects, windows] = await Promise.all([
        ports.watcher.sendAndReceive('activity').catch(empty('objects')),
        ports.report ? ports.report.sendAndReceive('recentWindows').catch(empty('windows')) : Promise.resolve([]),
      ]);
      return buildDashboardData({ windowSizeMs: options.windowSizeMs, windows, objects }, now());
    },
  };
}
