/**
 * The report stage's alert emails: the merge task's pending email records (state.ts, EmailState),
 * sent one at a time and each settled in a transaction of its own (MergeTask.settle).
 *
 * Email is at-least-once: an alert's email record is committed with its report, the email is sent
 * after the commit, and its record is deleted in a transaction of its own as soon as the provider
 * accepted it. A crash between a send and that deletion resends that one email, with the same
 * Message-ID; no other. Transient failures are retried with backoff for as long as it takes; a
 * permanent failure is logged and dropped.
 */
import type { Logger } from '../system/observability/logging';
import { type AlertEmail, buildAlertEmail, decideSend, recordSend, type RetryPolicy } from './email';
import type { MergeTask } from './merge-task';
import type { PendingEmail } from './state';
import type { EmailTransport } from './transport';

export type EmailOutcome = 'sent' | 'failed-transient' | 'failed-permanent';

/** What the outbox needs of its stage. */
export interface EmailOutboxContext {
  transport: EmailTransport;
  log: Logger;
  now: () => number;
  retry: RetryPolicy;
  /** report.emailFrom, report.emailTo. */
  from: string;
  to: string[];
  /** report.groupId (the idempotency key's scope) and the log topic. */
  groupId: string;
  topic: string;
  /** The merge task, opened if need be. */
  mergeTask: () => Promise<MergeTask>;
  /** Whether the stage is stopped (or stopping). */
  stopped: () => boolean;
  /** Whether this process holds the merge partition with a confirmed membership: a round may start. */
  mayStart: () => boolean;
  /**
   * Whether the round may send the next email: the merge task is still this process's (not dropped
   * or replaced, assigned, membership confirmed) and the process has not just woken from a stall.
   */
  stillHolds: () => boolean;
  /** Counts an email's outcome (metrics, the dashboard). */
  onOutcome: (windowId: string, outcome: EmailOutcome) => void;
}

export class EmailOutbox {
  private sending = false;
  /**
   * sendDue was called during a round: a report committed meanwhile may have added an email the
   * round's list did not hold, so another round follows at once (it waited for the next tick, up
   * to a second, before).
   */
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  /** Resolves when the email being sent has been settled (or its settle failed): dropping the merge task waits for it. */
  private emailInFlight: Promise<void> | undefined;
  /**
   * Emails the provider accepted or refused for good whose settle has not committed yet (it failed:
   * an outage, the merge task dropped). If the merge task comes back to this process, they are settled
   * without being sent again; only a crash (which forgets this) or another owner repeats one.
   */
  private readonly answered = new Set<string>();
  readonly stats = { emailsSent: 0, emailsFailed: 0 };

  constructor(private readonly ctx: EmailOutboxContext) {}

  /** The settle of the email in flight (undefined if none is being sent). */
  get inFlight(): Promise<void> | undefined {
    return this.emailInFlight;
  }

  /** Cancels the retry timer (the stage stops). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  /**
   * Sends the alert emails that are due, one at a time, and settles each in a transaction of its
   * own right after the provider answered (its record deleted, or updated with the failure for a
   * retry): a crash repeats at most the email in flight. A failed settle stops the round; the
   * emails left are retried on the next tick.
   */
  async sendDue(): Promise<void> {
    const c = this.ctx;
    if (this.sending) {
      this.again = true;
      return;
    }
    if (c.stopped() || !c.mayStart()) return;
    this.sending = true;
    this.again = false;
    try {
      const task = await c.mergeTask();
      const settle = (id: string, pending: PendingEmail | undefined): Promise<void> => task.run(() => task.settle(id, pending));
      let soonest: number | undefined;
      for (const [id, pending] of [...task.emails]) {
        // The merge task may have gone to another member during the last settle (a rebalance): its
        // new owner sends what is pending; sending it here too repeats it with no crash at all.
        if (c.stopped() || task.writer.dropped || !c.stillHolds()) return;
        if (this.answered.has(id)) {
          // The provider answered it in this process; only its settle failed (an outage, a dropped
          // task). Settle it now instead of sending it again.
          await this.settleOrWarn(settle(id, undefined), id);
          continue;
        }
        const decision = decideSend(pending.decision, pending.record, c.now(), c.retry);
        if (decision.action === 'wait') {
          soonest = Math.min(soonest ?? Infinity, decision.untilMs);
          continue;
        }
        if (decision.action === 'skip') {
          await settle(id, undefined);
          continue;
        }
        const email = await buildAlertEmail({ from: c.from, to: c.to, report: pending.report, decision: pending.decision, date: new Date(c.now()), scope: scopeOf(c.groupId), topic: c.topic });
        if (c.stopped() || task.writer.dropped || !c.stillHolds()) return;
        let landed!: () => void;
        this.emailInFlight = new Promise<void>((resolve) => (landed = resolve));
        try {
          await this.sendAndSettle(id, pending, email, settle, (untilMs) => (soonest = Math.min(soonest ?? Infinity, untilMs)));
        } finally {
          this.emailInFlight = undefined;
          landed();
        }
      }
      if (soonest !== undefined && !c.stopped()) {
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.sendDue(), Math.max(0, soonest - c.now()));
      }
    } catch (err) {
      if (!c.stopped()) c.log.warn('sending alert emails failed; retrying on the next tick', { error: err instanceof Error ? err.message : String(err) });
    } finally {
      this.sending = false;
      if (this.again && !c.stopped()) void this.sendDue();
    }
  }

  /** Sends one due email and settles it (see sendDue); `retryAt` learns when a transient failure may be retried. */
  private async sendAndSettle(id: string, pending: PendingEmail, email: AlertEmail, settle: (id: string, pending: PendingEmail | undefined) => Promise<void>, retryAt: (untilMs: number) => void): Promise<void> {
    const c = this.ctx;
    // Debug: the provider call's start (the latency breakdown of `npm run bench`; `alert email sent` ends it).
    c.log.debug('alert email sending', { window: id, transport: c.transport.describe() });
    const outcome = await c.transport.send(email, { from: c.from, to: c.to });
    const record = recordSend(pending.record, email.idempotencyKey, c.now(), outcome.ok ? outcome : { ok: false, error: outcome.error });
    c.onOutcome(id, outcome.ok ? 'sent' : outcome.transient ? 'failed-transient' : 'failed-permanent');
    if (outcome.ok || !outcome.transient) this.answered.add(id);
    if (outcome.ok) {
      this.stats.emailsSent++;
      c.log.info('alert email sent', { window: id, transport: c.transport.describe(), messageId: email.messageId, providerMessageId: outcome.providerMessageId });
      await this.settleOrWarn(settle(id, undefined), id);
    } else if (!outcome.transient) {
      this.stats.emailsFailed++;
      c.log.error('alert email rejected; not retried', { window: id, error: outcome.error });
      await this.settleOrWarn(settle(id, undefined), id);
    } else {
      c.log.warn('alert email failed; will retry', { window: id, failures: record.failures, error: outcome.error });
      await settle(id, { ...pending, record });
      const d = decideSend(pending.decision, record, c.now(), c.retry);
      if (d.action === 'wait') retryAt(d.untilMs);
    }
  }

  /** Awaits the settle of an email the provider answered; if it fails, says so (this process settles it later without sending it), and rethrows. */
  private async settleOrWarn(settled: Promise<void>, id: string): Promise<void> {
    try {
      await settled;
      this.answered.delete(id);
    } catch (err) {
      this.ctx.log.warn('could not record a sent alert email; it is recorded later, and sent again only if another process takes the alerts over first (same Message-ID)', { window: id, error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  }
}

/** An idempotency scope from the group id: the characters email.ts allows. */
export function scopeOf(groupId: string): string {
  return groupId.replace(/[^A-Za-z0-9_-]/g, '_');
}
