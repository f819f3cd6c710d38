/**
 * ReportActor: the report stage (report/stage.ts) as a comedy actor. It consumes the log topic in
 * the report.groupId consumer group, closes windows, writes reports and sends alert emails; see
 * docs/report.md.
 *
 * Messages: status() → counts and per-partition progress; idle() → whether everything readable is
 * reported (for --exit-when-idle); takeReports() → the report documents committed since the last
 * call, oldest first; recentWindows() → the windows published lately with their alert and email
 * state (for the dashboard).
 *
 * A child of the root, which supervises it (supervisor.ts): a restart is a new instance with a new
 * ReportStage, which rejoins the consumer groups and resumes from what Kafka holds (window state,
 * offsets and reports are committed together; an email is at most repeated once per crash).
 */
import type { Actor } from 'comedy';
import { reasonOf } from '../system/errors/errors';
import { retry } from '../system/errors/retry';
import { actorContext, type ActorParameters } from './actor-context';
import { createKafkaPort, createSes } from '../system/kafka/clients';
import type { LogpipeConfig } from '../system/config/config';
import type { RecentWindow } from '../report/recent-windows';
import type { ReportDocument } from '../report/render';
import { LogTopicMissingError, ReportStage, type ReportStageStatus } from '../report/stage';
import type { Logger } from '../system/observability/logging';
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

/**
 * The log line of a failed start of the report stage; returns whether the stage now waits for its
 * log topic. A log topic that does not exist yet is expected (a service started before its first
 * ingest, which creates the topic): info once, naming the topic, then debug while it stays missing.
 * Anything else (Kafka unreachable, refused) is a warning every time.
 */
export function logStartRetry(logger: Logger, o: { brokers: string[]; topic: string; delayMs: number; error: unknown; waiting: boolean }): boolean {
  if (o.error instanceof LogTopicMissingError) {
    logger.log(o.waiting ? 'debug' : 'info', 'report stage waiting for the log topic to be created', { topic: o.topic, delayMs: o.delayMs });
    return true;
  }
  logger.warn('report stage could not start; retrying', { brokers: o.brokers, delayMs: o.delayMs, error: reasonOf(o.error) });
  return false;
}

export default class ReportActor {
  private stage: ReportStage | undefined;
  private transport: EmailTransport | undefined;
  private reports: ReportDocument[] = [];
  private started: Promise<void> = Promise.resolve();
  /** Aborted on destroy: ends the start retries, and a wait between two attempts at once. */
  private readonly stop = new AbortController();
  private faults: ActorParameters['faults'];

  /**
   * comedy entry point. Kafka may be down when the service starts: the stage starts in the
   * background, retrying with backoff, and status() says so meanwhile.
   */
  initialize(self: Actor): void {
    const params = self.getCustomParameters() as ActorParameters;
    const { config, logger, topic } = actorContext(params, 'ReportActor');
    this.faults = params.faults;
    this.transport = transportFromConfig(config);
    const keep = params.keepReports === true;
    const create = (): ReportStage =>
      new ReportStage({
        kafka: createKafkaPort(config, logger, { clientIdSuffix: '-report' }),
        config,
        topic,
        transport: this.transport!,
        log: logger,
        onReport: (doc) => keep && this.reports.push(doc),
        metrics: params.metrics,
      });
    let waiting = false;
    // Ends only once the stage started, or on destroy (the rejection then is the last failure, ignored).
    this.started = retry(
      async () => {
        const stage = create();
        this.stage = stage;
        try {
          await stage.start();
        } catch (err) {
          await stage.stop().catch(() => undefined);
          this.stage = undefined;
          throw err;
        }
      },
      {
        baseMs: 500,
        capMs: 30_000,
        signal: this.stop.signal,
        onRetry: ({ delayMs, error }) => {
          waiting = logStartRetry(logger, { brokers: config.kafka.brokers, topic, delayMs, error, waiting });
        },
      },
    );
    this.started.catch(() => undefined);
  }

  /** undefined while the stage is still connecting. */
  async status(): Promise<ReportStageStatus | undefined> {
    this.faults?.('report.message', 'status');
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
    this.stop.abort(new Error('report actor stopped while its stage was starting'));
    // A stage still starting is stopped now, not awaited: joining a busy consumer group can take a
    // session timeout, and a shutdown must not wait for it (its start() then rejects).
    await this.stage?.stop();
    await this.started.catch(() => undefined);
    await this.stage?.stop();
    await this.transport?.close();
  }
}
