/**
 * The windows the report stage published lately, with their alert decision and what became of the
 * alert email: what the dashboard shows (src/system/control/dashboard/dashboard-data.ts). Kept in memory by the
 * ReportStage of the process that owns the merge task, from its start; bounded by count, so a
 * small window size cannot make it grow without limit. Pure: the caller passes the clock.
 */
import type { DashboardEmailState } from '../model/dashboard-types';
import { reportFileNames } from './render';
import type { AlertDecision } from './rules';
import type { WindowReport } from './window';

/** A published window, JSON-safe (it crosses actor boundaries). */
export interface RecentWindow {
  id: string;
  startMs: number;
  endMs: number;
  counts: Record<string, number>;
  total: number;
  late: number;
  /** Future-dated records counted in the window (WindowReport.future). */
  future: number;
  /** AlertDecision.alert: the rules fired and the window is emailed. */
  alert: boolean;
  /** AlertDecision.reasons: the rules that fired (also for a suppressed breach). */
  reasons: string[];
  /** Why a breaching window was not emailed (report.realertMs), else null. */
  suppressed: string | null;
  /** The alert email's state; null for a window that did not breach. */
  email: DashboardEmailState | null;
  /** The report file names in report.dir (reportFileNames of the stage's log topic). */
  files: { json: string; txt: string };
  reportedMs: number;
}

/**
 * Windows kept: an hour of 1-second windows, or two and a half days of 60-second ones; the dashboard
 * browses what is kept (docs/dashboard.md), and the report files in report.dir hold the rest.
 */
export const RECENT_WINDOWS = 3600;

export class RecentWindows {
  /** Oldest first. */
  private readonly windows: RecentWindow[] = [];

  constructor(
    /** Whether alert emails go anywhere (report.emailTo not empty); if not, their state is `disabled`. */
    private readonly emailEnabled: boolean,
    /** The log topic the windows count; it names their report files. */
    private readonly topic: string,
    private readonly capacity = RECENT_WINDOWS,
  ) {}

  /** Records a published window; a window published again (same id) replaces the earlier entry. */
  add(report: WindowReport, decision: AlertDecision, nowMs: number): void {
    const names = reportFileNames(report, this.topic);
    const email: DashboardEmailState | null = decision.alert ? (this.emailEnabled ? 'pending' : 'disabled') : decision.suppressed !== undefined ? 'suppressed' : null;
    const entry: RecentWindow = {
      id: report.id,
      startMs: report.startMs,
      endMs: report.endMs,
      counts: { ...report.counts },
      total: report.total,
      late: report.late,
      future: report.future,
      alert: decision.alert,
      reasons: [...decision.reasons],
      suppressed: decision.suppressed ?? null,
      email,
      files: { json: names.json, txt: names.txt },
      reportedMs: nowMs,
    };
    const at = this.windows.findIndex((w) => w.id === report.id);
    if (at >= 0) this.windows.splice(at, 1);
    this.windows.push(entry);
    if (this.windows.length > this.capacity) this.windows.splice(0, this.windows.length - this.capacity);
  }

  /** Sets the email state of a window still held (sent, or failed for good); ignores others. */
  email(id: string, state: 'sent' | 'failed'): void {
    const w = this.windows.find((x) => x.id === id);
    if (w && w.email === 'pending') w.email = state;
  }

  /** Copies of the windows held, oldest published first. */
  list(): RecentWindow[] {
    return this.windows.map((w) => ({ ...w, counts: { ...w.counts }, reasons: [...w.reasons], files: { ...w.files } }));
  }
}
