/**
 * ReportActor: the report stage (report/stage.ts) as a comedy actor. It consumes the log topic in
 * the report.groupId consumer group, closes windows, writes reports and sends alert emails; see
 * docs/report.md.
 *
 * Messages: status() → counts and per-partition progress; idle() → whether everything readable is
 * reported (for --exit-when-idle); takeReports() → the report documents committed since the last
 * call, oldest first; recentWindows() → the windows published lately with their alert and email
 * state (for the dashboard).
 */
import type { Actor } from 'comedy';
import { backoffMs, reasonOf } from '../ingest/errors';
import { actorContext, type ActorParameters } from './actor-context';
import { createKafka, createSes } from '../system/kafka/clients';
import type { LogpipeConfig } from '../system/config/config';
import type { RecentWindow } from '../report/recent-windows';
import type { ReportDocument } from '../report/render';
import { ReportStage, type ReportStageStatus } from '../report/stage';
import { type EmailTransport, fileTransport, sesTransport, smtpTransport } from '../report/transport';

/** The alert-email transport report.emailTransport names. */
export function transportFromConfig(config: LogpipeConfig): EmailTransport {
  const r = config.report;
  switch (r.emailTransport) {
    case 'ses':
      return sesTransport(createSes(config), config.ses.endpoint);
    case 'smtp':
      if (!r.smtpUrl) throw new Error('report.emailTransport is "smtp" but report.smtpUrl is empty (set LOGPIPE_REPORT_SMTP_URL)');
      return smtpTransport({ url: r.smtpUrl, allowInsecureAuth: r.smtpAllowInsecureAuth });
    case 'file':
      return fileTransport(r.outboxDir);
  }
}

export default class ReportActor {
  private stage: ReportStage | undefined;
  private transport: EmailTransport | undefined;
  private reports: ReportDocument[] = [];
  private started: Promise<void> = Promise.resolve();
  private stopping = false;
  private wake: (() => void) | undefined;

  /**
   * comedy entry point. Kafka may be down when the service starts: the stage starts in the
   * background, retrying with backoff, and status() says so meanwhile.
   */
  initialize(self: Actor): void {
    const params = self.getCustomParameters() as ActorParameters;
    const { config, logger, topic } = actorContext(params, 'ReportActor');
    this.transport = transportFromConfig(config);
    const keep = params.keepReports === true;
    const create = (): ReportStage =>
      new ReportStage({
        kafka: createKafka(config, logger, { clientIdSuffix: '-report' }),
        config,
        topic,
        transport: this.transport!,
        log: logger,
        onReport: (doc) => keep && this.reports.push(doc),
        metrics: params.metrics,
      });
    this.started = (async () => {
      for (let attempt = 0; !this.stopping; attempt++) {
        const stage = create();
        this.stage = stage;
        try {
          await stage.start();
          return;
        } catch (err) {
          await stage.stop().catch(() => undefined);
          this.stage = undefined;
          if (this.stopping) return;
          const delay = backoffMs(attempt, 500, 30_000);
          logger.warn('report stage could not start; retrying', { brokers: config.kafka.brokers, delayMs: delay, error: reasonOf(err) });
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, delay);
            this.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
      }
    })();
  }

  /** undefined while the stage is still connecting. */
  async status(): Promise<ReportStageStatus | undefined> {
    return this.stage?.status();
  }

  /** Empty while the stage is still connecting; see ReportStage.recentWindows. */
  recentWindows(): RecentWindow[] {
    return this.stage?.recentWindows() ?? [];
  }

  async idle(): Promise<boolean> {
    return (await this.stage?.idle()) ?? false;
  }

  takeReports(): ReportDocument[] {
    const out = this.reports;
    this.reports = [];
    return out;
  }

  async destroy(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    // A stage still starting is stopped now, not awaited: joining a busy consumer group can take a
    // session timeout, and a shutdown must not wait for it (its start() then rejects).
    await this.stage?.stop();
    await this.started.catch(() => undefined);
    await this.stage?.stop();
    await this.transport?.close();
  }
}
