/**
 * One logpipe process's report stage in the simulation: the real ReportStage on the fake Kafka,
 * started the way ReportActor starts it (retried with backoff until it runs), sending alert emails
 * through a transport whose every send is the process's request to a simulated provider (the
 * Mailbox), which records each delivery.
 */
import os from 'node:os';
import path from 'node:path';
import { backoffMs } from '../../../src/system/errors/retry';
import type { AlertEmail } from '../../../src/report/email';
import { ReportStage } from '../../../src/report/stage';
import type { EmailTransport, TransportOutcome } from '../../../src/report/transport';
import type { LogpipeConfig } from '../../../src/system/config/config';
import type { Metrics } from '../../../src/system/observability/metrics';
import type { FakeBroker } from '../kafka/broker';
import { FakeKafka } from '../kafka/client';
import { simLogger } from '../runtime/logger';
import { SimProcess } from '../runtime/process';
import type { World } from '../runtime/world';

export interface Delivery {
  /** The window's id as the email names it (X-Logpipe-Window). */
  window: string;
  idempotencyKey: string;
  process: string;
  /** When the provider accepted it. */
  atMs: number;
  /**
   * When the process issued the request: a crash after this and before the email's settle may
   * repeat it, even when the provider accepts it only after the crash (a request under way).
   */
  sentAtMs: number;
}

/** The email provider: what it accepted, in order. */
export class Mailbox {
  readonly deliveries: Delivery[] = [];
  /** Called with each delivery as it is made (the simulation crashes the sender on some). */
  onDelivery: ((d: Delivery) => void) | undefined;

  constructor(private readonly world: World) {}

  /** The transport a process sends through; its sends are that process's requests. */
  transportFor(proc: SimProcess): EmailTransport {
    return {
      kind: 'ses',
      describe: () => 'ses (simulated)',
      close: async () => undefined,
      send: async (email: AlertEmail): Promise<TransportOutcome> => {
        const window = /X-Logpipe-Window: ([^\r\n]+)/.exec(email.raw.toString('utf8'))?.[1] ?? '?';
        const sentAtMs = this.world.now;
        try {
          return await this.world.request(
            proc,
            `SendEmail ${window}`,
            () => {
              const delivery = { window, idempotencyKey: email.idempotencyKey, process: proc.name, atMs: this.world.now, sentAtMs };
              this.deliveries.push(delivery);
              this.world.trace(`${proc.name} email delivered for window ${window}`);
              this.onDelivery?.(delivery);
              return { ok: true as const, providerMessageId: `sim-${this.deliveries.length}` };
            },
            () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
          );
        } catch (err) {
          return { ok: false, error: (err as Error).message, transient: true };
        }
      },
    };
  }
}

export class ReportNode {
  readonly proc: SimProcess;
  readonly kafka: FakeKafka;
  stage: ReportStage | undefined;
  /** Settles once a stage runs (never, if the process dies first). */
  readonly started: Promise<void>;

  constructor(
    readonly name: string,
    private readonly world: World,
    broker: FakeBroker,
    config: LogpipeConfig,
    mailbox: Mailbox,
    metrics: Metrics,
    fetchMaxBatches: number,
  ) {
    this.proc = new SimProcess(name);
    this.kafka = new FakeKafka({ broker, world, process: this.proc, fetchMaxBatches });
    const log = simLogger(world, name);
    const transport = mailbox.transportFor(this.proc);
    const reportConfig: LogpipeConfig = { ...config, report: { ...config.report, dir: path.join(os.tmpdir(), `logpipe-sim-${process.pid}`, 'reports') } };
    this.started = this.proc.run(async () => {
      for (let attempt = 0; ; attempt++) {
        // Report files are not checked here, and real file I/O would outlive a simulated crash.
        const stage = new ReportStage({ kafka: this.kafka.asKafka(), config: reportConfig, topic: config.kafka.topic, transport, log, metrics, writeReportFiles: async () => undefined });
        this.stage = stage;
        try {
          await stage.start();
          this.world.trace(`${name} report stage running`);
          return;
        } catch (err) {
          await stage.stop().catch(() => undefined);
          this.stage = undefined;
          const delay = backoffMs(attempt, 500, 30_000);
          log.warn('report stage could not start; retrying', { delayMs: delay, error: (err as Error).message });
          await this.world.sleep(this.proc, delay);
        }
      }
    });
    this.started.catch(() => undefined);
  }

  get status(): SimProcess['status'] {
    return this.proc.status;
  }
}
