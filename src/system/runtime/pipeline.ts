/**
 * The ingest hierarchy under a comedy actor system: S3WatcherActor → FileFetcherActor →
 * (LineStreamerActor → KafkaPublisherActor). The watcher runs in the calling process; the fetcher
 * is the ingest worker, created in the mode ingest.workerMode says, and creates its streamer and
 * publisher as in-memory children (so they share its process). Actors are created by module path
 * (a forked process loads them that way) and receive the configuration as plain JSON.
 *
 * Supervision: a forked worker whose process dies is restarted with backoff within a restart budget
 * (WorkerSupervisor). An in-memory worker shares this process: its handlers' errors fail one
 * object's attempt, which the watcher retries and dead-letters after ingest.maxAttempts.
 *
 * stop() destroys in flow order: the watcher first (it stops the worker reading and waits for running
 * objects), then the worker, whose children comedy destroys before it.
 */
import path from 'node:path';
import type { ActorRef, ActorSystem } from 'comedy';
import { actorModule, type ActorParameters } from '../../actors/actor-context';
import type { LogpipeConfig } from '../config/config';
import type { Logger } from '../observability/logging';
import type { Metrics } from '../observability/metrics';
import { RestartPolicy } from './restart-policy';
import { WorkerSupervisor, type WorkerRef } from './worker-supervisor';

export interface IngestPipeline {
  watcher: ActorRef;
  /** The ingest worker (FileFetcherActor), supervised: ingest, abandon, known, activity, metrics, stop. */
  worker: WorkerRef;
  stop(): Promise<void>;
}

export interface PipelineOptions {
  /** Log topic (kafka.topic or --topic). */
  topic: string;
  /** Whether the SQS and listing triggers run (the long-running service); off for one-shot commands. */
  triggers: boolean;
  /** Called once when a forked worker's restart budget is spent; the caller should stop with an error. */
  onWorkerGiveUp?: (reason: string) => void;
  /** The process's metrics, for the watcher and an in-memory worker (a forked worker has its own). */
  metrics?: Metrics;
}

export async function startIngestPipeline(system: ActorSystem, config: LogpipeConfig, logger: Logger, options: PipelineOptions): Promise<IngestPipeline> {
  const root = await system.rootActor();
  const effective: LogpipeConfig = options.triggers ? config : { ...config, ingest: { ...config.ingest, sqsQueueUrl: '', listings: [] } };
  const mode = config.ingest.workerMode;
  if (mode === 'forked') preloadIntoForkedProcesses();
  // A forked process gets plain JSON only: it builds its own logger from config.log.
  const workerParams: ActorParameters = mode === 'forked' ? { config: effective, topic: options.topic } : { config: effective, topic: options.topic, logger, metrics: options.metrics };
  const createWorker = async (): Promise<WorkerRef> => {
    const ref = await root.createChild(actorModule('file-fetcher-actor'), { mode, customParameters: workerParams });
    return {
      sendAndReceive: (topic, ...args) => ref.sendAndReceive(topic, ...args) as Promise<unknown>,
      destroy: async () => {
        releaseCrashedActor(ref);
        await ref.destroy();
      },
    };
  };
  const { workerRestartDelayMs, workerMaxRestarts, workerRestartWindowMs } = config.ingest;
  const worker = new WorkerSupervisor({
    create: createWorker,
    policy: new RestartPolicy({ initialDelayMs: workerRestartDelayMs, maxRestarts: workerMaxRestarts, windowMs: workerRestartWindowMs }),
    log: logger.child({ component: 'supervisor' }),
    onGiveUp: options.onWorkerGiveUp ?? (() => undefined),
  });
  await worker.start();
  const watcherParams: ActorParameters = { config: effective, topic: options.topic, logger, refs: { fetcher: worker as unknown as ActorRef }, metrics: options.metrics };
  const watcher = await root.createChild(actorModule('s3-watcher-actor'), { mode: 'in-memory', customParameters: watcherParams });
  return {
    watcher,
    worker,
    async stop() {
      await watcher.destroy();
      await worker.destroy();
    },
  };
}

/**
 * comedy forks its workers with this process's execArgv: adding `--require forked-preload` there
 * keeps babel-polyfill out of them (see forked-preload.ts). Only from built JavaScript: a .ts source
 * (under ts-jest) cannot be preloaded by plain node.
 */
function preloadIntoForkedProcesses(): void {
  const preload = path.join(__dirname, 'forked-preload.js');
  if (!__filename.endsWith('.js') || process.execArgv.includes(preload)) return;
  process.execArgv.push('--require', preload);
}

/**
 * comedy 2.1.7 leaves a crashed forked actor's 1-second response-timeout interval running (it is
 * cleared only when the child answers the destroy message, which a dead process never does), and that
 * interval keeps this process alive after everything else stopped. Cleared here for a crashed actor.
 */
function releaseCrashedActor(ref: ActorRef): void {
  const actor = (ref as unknown as { getWrapped?: () => { getState?: () => string; timeoutWorkerInterval?: NodeJS.Timeout } }).getWrapped?.();
  if (actor?.getState?.() === 'crashed' && actor.timeoutWorkerInterval) clearInterval(actor.timeoutWorkerInterval);
}
