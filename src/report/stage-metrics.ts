/**
 * What the report stage counts: consumer lag per assigned partition, windows, late and
 * future-dated records, alerts and emails (Prometheus, src/system/metrics.ts), and the windows
 * published lately for the dashboard (RecentWindows).
 */
import type { Metrics } from '../system/observability/metrics';
import type { EmailOutcome } from './email-outbox';
import { type RecentWindow, RecentWindows } from './recent-windows';
import type { AlertDecision } from './rules';
import type { WindowReport } from './window';

export class StageMetrics {
  /** Partitions with a consumer-lag series, removed when the partition goes to another member. */
  private readonly lagged = new Set<number>();
  private readonly recent: RecentWindows;

  /** `emailing`: whether alert emails are sent at all (report.emailTo not empty). */
  constructor(
    private readonly metrics: Metrics,
    private readonly topic: string,
    emailing: boolean,
    private readonly now: () => number,
  ) {
    this.recent = new RecentWindows(emailing, topic);
  }

  /** Consumer lag of an assigned partition, from the offsets the tick fetched anyway. */
  setLag(partition: number, lag: number): void {
    this.metrics.consumerLag.set({ topic: this.topic, partition: String(partition) }, Math.max(0, lag));
    this.lagged.add(partition);
  }

  /** Drops the lag series of partitions no longer assigned here (another member reports them). */
  forgetLag(assigned: ReadonlySet<number>): void {
    for (const partition of this.lagged) {
      if (assigned.has(partition)) continue;
      this.metrics.consumerLag.remove({ topic: this.topic, partition: String(partition) });
      this.lagged.delete(partition);
    }
  }

  countReport(report: WindowReport, decision: AlertDecision): void {
    this.metrics.windowsClosed.inc();
    if (report.late > 0) this.metrics.lateRecords.inc(report.late);
    if (report.future > 0) this.metrics.futureRecords.inc(report.future);
    if (decision.alert) this.metrics.alerts.inc({ decision: 'alert' });
    else if (decision.suppressed !== undefined) this.metrics.alerts.inc({ decision: 'suppressed' });
    this.recent.add(report, decision, this.now());
  }

  countEmail(id: string, outcome: EmailOutcome): void {
    this.metrics.emails.inc({ outcome });
    if (outcome === 'sent') this.recent.email(id, 'sent');
    else if (outcome === 'failed-permanent') this.recent.email(id, 'failed');
  }

  /** The windows published lately with their alert and email state (for the dashboard), oldest first. */
  recentWindows(): RecentWindow[] {
    return this.recent.list();
  }
}
