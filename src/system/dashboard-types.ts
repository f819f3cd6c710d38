/**
 * The dashboard data contract, shared between the data source (wired into
 * `logpipe start` by src/system/service.ts) and the page served by
 * src/system/dashboard.ts. `GET /api/dashboard` on the control server answers
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

export interface DashboardData {
  /** ISO time of the answer. */
  generatedAt: string;
  /** Config report.windowMs (60000 by default). */
  windowSizeMs: number;
  /** The level order for the chart's stacks: ['ERROR','WARN','INFO','DEBUG', ...any others seen]. */
  levels: string[];
  /** Closed windows whose start is within the last hour, oldest first. */
  windows: DashboardWindow[];
  /** The alerting windows of the last hour, newest first. */
  alerts: DashboardAlert[];
  /** At most 50: running first, then newest. */
  objects: DashboardObject[];
}

/**
 * What registerDashboard needs from the running service: a snapshot of the
 * data (called per request / per SSE tick, so it should be cheap) and the
 * directory whose report files `GET /reports/<name>` may serve.
 */
export interface DashboardSource {
  data(): Promise<DashboardData>;
  reportDir: string;
}
