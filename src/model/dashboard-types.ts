/**
 * The dashboard data contract, shared between the data source (wired into
 * `logpipe start` by src/system/runtime/service.ts) and the page served by
 * src/system/control/dashboard/dashboard.ts. `GET /api/dashboard` on the control server answers
 * with exactly this shape as JSON; `GET /events` streams the same JSON as
 * `event: dashboard` server-sent events. docs/dashboard.md describes it for
 * operators; change both together.
 */

/** Email delivery state of an alerting window's report. */
export type DashboardEmailState = 'pending' | 'sent' | 'failed' | 'suppressed' | 'disabled';

/** Lifecycle state of an S3 object being ingested. */
export type DashboardObjectStatus = 'queued' | 'running' | 'ingested' | 'dead-letter' | 'failed';

/** One closed report window. */
export interface DashboardWindow {
  /** WindowReport.id */
  id: string;
  /** ISO times of the window's bounds ([start, end)). */
  start: string;
  end: string;
  /** Per level (level name → count). Levels with no lines may be absent. */
  counts: Record<string, number>;
  total: number;
  late: number;
  /** The alert rules fired for this window (AlertDecision.alert). */
  alert: boolean;
  /** Relative URL of the window's JSON report: '/reports/<file>.json'. */
  reportUrl: string;
  /**
   * Future-dated records counted in the window (report.futureSkewMs, docs/report.md): dated beyond
   * the clock when read, they did not move the watermark. The page shows it when above 0. Optional
   * for answers from a service older than the field.
   */
  future?: number;
}

/** One alerting window. */
export interface DashboardAlert {
  windowId: string;
  start: string;
  end: string;
  /** AlertDecision.reasons */
  reasons: string[];
  email: DashboardEmailState;
  /** Relative URL of the human-readable report: '/reports/<file>.txt'. */
  reportUrl: string;
}

/** One S3 object queued, running, or finished in the last hour. */
export interface DashboardObject {
  /** 's3://bucket/key' (+ '?versionId=...') */
  id: string;
  status: DashboardObjectStatus;
  /** Committed so far. */
  lines: number;
  bytes: number;
  /** Object size when known. */
  totalBytes: number | null;
  /** Over the object's run so far (0 when queued). */
  linesPerSecond: number;
  /** Dead-letter / failure reason. */
  reason?: string;
  startedAt?: string;
  finishedAt?: string;
}

/** A UTC day, 'YYYY-MM-DD'. */
export type DashboardDay = string;

/**
 * The range of event time `windows` covers. `latest`: the hour of event time that ends with the
 * newest window held (windows starting after the answer's time, made by records dated up to
 * report.futureSkewMs ahead, are not taken as the newest); `day`: one UTC day, asked for with `?day=YYYY-MM-DD`.
 */
export interface DashboardView {
  kind: 'latest' | 'day';
  /** The day shown for `day`; null for `latest`. */
  day: DashboardDay | null;
  /** ISO bounds of the range, [from, to); null for `latest` while no window is held. */
  from: string | null;
  to: string | null;
  /** Windows of the range left out, the oldest ones, to keep one answer bounded (0 normally). */
  omitted: number;
}

/** A day some held window starts on: a choice the page offers. */
export interface DashboardDaySummary {
  day: DashboardDay;
  /** Windows held that start on this day. */
  windows: number;
  /** How many of them are in the alert list of that day (suppressed breaches included). */
  alerts: number;
}

/** What `GET /api/dashboard` and `GET /events` accept as query parameters. */
export interface DashboardQuery {
  /** Show this UTC day's windows instead of the latest hour. */
  day?: DashboardDay;
}

export interface DashboardData {
  /** ISO time of the answer. */
  generatedAt: string;
  /** Config report.windowMs (60000 by default). */
  windowSizeMs: number;
  /** The level order for the chart's stacks: ['ERROR','WARN','INFO','DEBUG', ...any others seen]. */
  levels: string[];
  /** Closed windows of `view`'s range, oldest first. */
  windows: DashboardWindow[];
  /** The alerting windows of `view`'s range, newest first. */
  alerts: DashboardAlert[];
  /** At most 50, queued, running or finished in the last hour of the wall clock: running first, then newest. */
  objects: DashboardObject[];
  /** The range `windows` and `alerts` cover. */
  view: DashboardView;
  /** The days with windows held (what a user can pick), newest first. */
  days: DashboardDaySummary[];
}

/**
 * What registerDashboard needs from the running service: a snapshot of the
 * data for a query (called per request / per SSE tick, so it should be cheap) and the
 * directory whose report files `GET /reports/<name>` may serve.
 */
export interface DashboardSource {
  /** `query` is checked by the caller (parseDashboardQuery in dashboard-data.ts); absent: the latest hour. */
  data(query?: DashboardQuery): Promise<DashboardData>;
  reportDir: string;
}
