/**
 * The long-running service behind `logpipe start`: the comedy actor system (its log routed into
 * winston) with the ingest pipeline and the ReportActor (report.enabled), and the control server.
 */
import * as comedy from 'comedy';
import { actorModes, type ActorParameters, createSupervisedChild } from '../../actors/actor-context';
import type { Admin } from 'kafkajs';
import { createKafka } from '../kafka/clients';
import { explainKafkaFailure, kafkaFailureKind } from '../kafka/kafka-failure';
import type { LogpipeConfig } from '../config/config';
import { assertControlExposure } from '../control/control-auth';
import { ControlServer } from '../control/control-server';
import path from 'node:path';
import ComedyLogBridge = require('./comedy-log-bridge');
import type { Logger } from '../observability/logging';
import { ingestHandler } from '../control/ingest-api';
import { registerDashboard } from '../control/dashboard/dashboard';
import { createDashboardSource, type DashboardPorts } from '../control/dashboard/dashboard-data';
import { Metrics, metricsHandler, type MetricsSnapshot } from '../observability/metrics';
import { type IngestPipeline, startIngestPipeline } from './pipeline';
import type { Supervisor } from '../../actors/supervisor';

export interface RunningService {
  system: comedy.ActorSystem;
  pipeline: IngestPipeline;
  control: ControlServer;
  url: string;
  /**
   * Resolves with the reason when the service cannot go on (an escalation reached the root: an
   * actor spent its restart budget); the owner should stop() it and exit non-zero. Never rejects.
   */
  fatal: Promise<Error>;
  /** Stops in reverse order of start: control server, actors, Kafka connections. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Creates a comedy actor system whose log output goes to `logger` (component "comedy"), configured in
 * code rather than from an actors.json beside the package: `modes` is comedy's per-actor
 * configuration (actorModes of the configuration), so an actor created without a mode gets the one
 * configured for its class.
 *
 * comedy installs SIGINT and SIGTERM handlers that call process.exit(0) at once; that would skip
 * flushing and aborting open Kafka transactions, so they are removed here and the caller owns
 * shutdown (comedy 2.1.7 has no option for this).
 */
export function createActorSystem(logger: Logger, log: LogpipeConfig['log'], modes: Record<string, { mode: string }> = {}): comedy.ActorSystem {
  // By module path ("//" = absolute), so that forked actor processes load the bridge too.
  const bridge = `/${path.join(__dirname, 'comedy-log-bridge')}`;
  const system = ComedyLogBridge.handOver(logger, () => comedy.createSystem({ logger: bridge, loggerParams: { log: { level: log.level, format: log.format } }, config: modes }));
  const handlers = system as unknown as { sigintHandler?: () => void; sigtermHandler?: () => void };
  if (handlers.sigintHandler) process.removeListener('SIGINT', handlers.sigintHandler);
  if (handlers.sigtermHandler) process.removeListener('SIGTERM', handlers.sigtermHandler);
  return system;
}

/**
 * Creates the ReportActor under the root, supervised (supervisor.ts): a crash restarts it with
 * backoff (its state is in Kafka), an escalation calls `onGiveUp` once. `topic` (default
 * kafka.topic) and `keepReports` are `logpipe report`'s --topic and --exit-when-idle.
 */
export async function startReportActor(
  system: comedy.ActorSystem,
  config: LogpipeConfig,
  logger: Logger,
  options: { metrics?: Metrics; onGiveUp: (reason: string) => void; faults?: ActorParameters['faults']; topic?: string; keepReports?: boolean },
): Promise<Supervisor> {
  const root = await system.rootActor();
  const params: ActorParameters = {
    config,
    topic: options.topic ?? config.kafka.topic,
    logger,
    metrics: options.metrics,
    ...(options.keepReports ? { keepReports: true } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
  };
  return createSupervisedChild(root, 'report-actor', {
    childConfig: { mode: 'in-memory', customParameters: params },
    inProcess: true,
    config,
    log: logger.child({ component: 'supervisor' }),
    onEscalate: options.onGiveUp,
  });
}

/**
 * Starts the service: the actor pipeline with its SQS and listing triggers, and the control server
 * (health, readiness, POST /v1/ingest, GET /metrics, the dashboard). Kafka may be down at start: the publisher connects and
 * creates the topics when it returns, and /readyz says so meanwhile. A broker that refuses the
 * credentials or presents a certificate that cannot be verified resolves `fatal` instead (kafka-failure.ts).
 */
export async function startService(config: LogpipeConfig, logger: Logger): Promise<RunningService> {
  // Before anything connects: an exposed control server without a token is a configuration error.
  assertControlExposure(config.control);
  const log = logger.child({ component: 'service' });
  let onFatal: (err: Error) => void = () => undefined;
  const fatal = new Promise<Error>((resolve) => (onFatal = resolve));
  // No retries inside a probe: /readyz answers within seconds and the next probe tries again.
  const admin: Admin = createKafka(config, logger, { clientIdSuffix: '-health', retry: { retries: 0 } }).admin();
  let adminConnected = false;
  // Kafka may come up after the service: readiness reconnects on demand instead of failing start-up.
  const kafkaReady = async (): Promise<boolean> => {
    try {
      if (!adminConnected) {
        await admin.connect();
        adminConnected = true;
      }
      await admin.describeCluster();
      return true;
    } catch (err) {
      // Refused credentials or an unverifiable certificate do not cure themselves: stop (exit 1) so
      // that the supervisor and an operator see it, rather than run on never ready.
      const explained = explainKafkaFailure(err, config.kafka);
      if (explained) {
        log.error('kafka refused the connection; stopping', { brokers: config.kafka.brokers, reason: kafkaFailureKind(err), error: err });
        onFatal(new Error(explained));
      } else {
        log.warn('kafka not reachable', { brokers: config.kafka.brokers, error: err });
      }
      return false;
    }
  };

  const system = createActorSystem(logger, config.log, actorModes(config));
  // One registry for this process; a forked ingest worker keeps its own, merged into GET /metrics.
  const metrics = new Metrics({ defaultMetricsPrefix: 'logpipe_' });
  let pipeline: IngestPipeline;
  try {
    pipeline = await startIngestPipeline(system, config, logger, {
      topic: config.kafka.topic,
      triggers: true,
      metrics,
      onGiveUp: (reason) => onFatal(new Error(`${reason}; stopping (a process supervisor such as systemd restarts the service)`)),
    });
  } catch (err) {
    await system.destroy();
    await admin.disconnect().catch(() => undefined);
    throw new Error(`could not start the ingest pipeline (Kafka at ${config.kafka.brokers.join(',')}): ${(err as Error).message}`);
  }
  // The report stage (ReportActor) beside ingest: in this process, which is why a forked ingest
  // worker (ingest.workerMode) frees a core for it. A child of the root, supervised like the ingest
  // chain: a crash restarts it (its state is in Kafka), an escalation stops the service.
  let report: Supervisor | undefined;
  if (config.report.enabled) {
    try {
      report = await startReportActor(system, config, logger, { metrics, onGiveUp: (reason) => onFatal(new Error(`${reason}; stopping (a process supervisor such as systemd restarts the service)`)) });
    } catch (err) {
      await pipeline.stop();
      await system.destroy();
      await admin.disconnect().catch(() => undefined);
      throw new Error(`could not start the report stage: ${(err as Error).message}`);
    }
  }
  const control = new ControlServer({
    host: config.control.host,
    port: config.control.port,
    token: config.control.token,
    ...(config.control.socket ? { socketPath: config.control.socket } : {}),
    loginMaxAgeSeconds: config.control.loginMaxAgeSeconds,
    secureCookie: config.control.secureCookie,
    logger: logger.child({ component: 'control' }),
    readiness: [{ name: 'kafka', check: kafkaReady }],
  });
  control.route('POST', '/v1/ingest', ingestHandler(pipeline.watcher, { allowedPrefixes: config.ingest.allowedPrefixes, logger: logger.child({ component: 'ingest-api' }) }));
  const forked = config.ingest.workerMode === 'forked';
  control.route('GET', '/metrics', metricsHandler(metrics, forked ? () => pipeline.worker.sendAndReceive('metrics') as Promise<MetricsSnapshot> : undefined));
  const ports = { watcher: pipeline.watcher, ...(report ? { report } : {}) } as DashboardPorts;
  registerDashboard(control, createDashboardSource(ports, { windowSizeMs: config.report.windowSizeMs, reportDir: config.report.dir, log }), logger.child({ component: 'dashboard' }));
  let bound: { host: string; port: number };
  try {
    bound = await control.listen();
  } catch (err) {
    await report?.destroy();
    await pipeline.stop();
    await system.destroy();
    await admin.disconnect().catch(() => undefined);
    throw err;
  }
  void kafkaReady();
  log.info('logpipe started', { brokers: config.kafka.brokers });

  let stopping: Promise<void> | undefined;
  return {
    system,
    pipeline,
    control,
    url: `http://${bound.host}:${bound.port}`,
    fatal,
    stop() {
      stopping ??= (async () => {
        log.info('logpipe stopping');
        await control.close();
        await report?.destroy();
        await pipeline.stop();
        await system.destroy();
        await admin.disconnect().catch(() => undefined);
        log.info('logpipe stopped');
      })();
      return stopping;
    },
  };
}
