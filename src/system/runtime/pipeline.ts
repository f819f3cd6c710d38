/**
 * The ingest hierarchy under a comedy actor system, each parent creating its child (comedy
 * createChild) and supervising it (supervisor.ts, one strategy for every link and mode):
 *
 *   root ─▶ S3WatcherActor ─▶ FileFetcherActor ×N ─▶ LineStreamerActor ─▶ KafkaPublisherActor
 *
 * The root supervises the watcher here; the watcher creates the fetchers (the ingest workers: N =
 * workerCount of ingest.workers for the service with its triggers, 1 for a one-shot command) in the
 * mode comedy's configuration gives it (ingest.workerMode, see actorModes), and each fetcher and
 * streamer create their children in-memory, so the worker's three actors share a process. Actors
 * are created by module path (a forked process loads them that way) and receive the configuration
 * as plain JSON.
 *
 * An escalation that reaches the root (the worker spent its restart budget, or the watcher did)
 * calls `onGiveUp` once; the service then stops with exit code 1.
 *
 * stop() stops in flow order: the watcher first (it stops the worker reading and waits for running
 * objects), then destroys it, and comedy destroys its children before it.
 */
import os from 'node:os';
import path from 'node:path';
import type { ActorSystem } from 'comedy';
import { type ActorParameters, createSupervisedChild } from '../../actors/actor-context';
import type { ChildRef } from '../../actors/supervisor';
import { semiSpaceFlag, semiSpaceGiven } from '../../ingest/heap';
import { workerCount } from '../../actors/worker-pool';
import { kafkaClientOf, type LogpipeConfig } from '../config/config';
import type { Logger } from '../observability/logging';
import type { Metrics } from '../observability/metrics';

export interface IngestPipeline {
  /** The S3WatcherActor, supervised: request, ingest, activity, list, worker, stop. */
  watcher: ChildRef;
  /** The ingest worker's queries (known, usage, metrics), through the watcher. */
  worker: Pick<ChildRef, 'sendAndReceive'>;
  stop(): Promise<void>;
}

export interface PipelineOptions {
  /** Log topic (kafka.topic or --topic). */
  topic: string;
  /** Whether the SQS and listing triggers run (the long-running service); off for one-shot commands. */
  triggers: boolean;
  /** Called once when an escalation reaches the root; the caller should stop with an error. */
  onGiveUp?: (reason: string) => void;
  /** The process's metrics, for the watcher and an in-memory worker (a forked worker has its own). */
  metrics?: Metrics;
  /** Tests only: see ActorParameters.faults. */
  faults?: ActorParameters['faults'];
}

export async function startIngestPipeline(system: ActorSystem, config: LogpipeConfig, logger: Logger, options: PipelineOptions): Promise<IngestPipeline> {
  const root = await system.rootActor();
  const effective: LogpipeConfig = options.triggers ? config : { ...config, ingest: { ...config.ingest, sqsQueueUrl: '', listings: [] } };
  if (config.ingest.workerMode === 'forked') {
    preloadIntoForkedProcesses();
    sizeForkedYoungGeneration(config.ingest.maxSemiSpaceMiB, kafkaClientOf(config, 'ingest'));
  }
  const params: ActorParameters = {
    config: effective,
    topic: options.topic,
    // The service's workers (ingest.workers, issue 17); a one-shot command ingests one object: one.
    workers: options.triggers ? workerCount(config.ingest, os.availableParallelism()) : 1,
    logger,
    metrics: options.metrics,
    ...(options.faults ? { faults: options.faults } : {}),
  };
  // The root does not restart a subtree that escalated (inProcess: the watcher's escalate gives up at
  // once): its budget is spent, which points at the host or the configuration; the process
  // supervisor (systemd) and an operator take over.
  const watcher = await createSupervisedChild(root, 's3-watcher-actor', {
    childConfig: { mode: 'in-memory', customParameters: params },
    inProcess: true,
    config,
    log: logger.child({ component: 'supervisor' }),
    onEscalate: options.onGiveUp ?? (() => undefined),
    stopMessage: 'stop',
  });
  return {
    watcher,
    worker: { sendAndReceive: (topic, ...args) => watcher.sendAndReceive('worker', topic, ...args) },
    stop: () => watcher.destroy(),
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
 * The forked ingest workers' young generation (ingest.maxSemiSpaceMiB, src/ingest/heap.ts): V8
 * reads --max-semi-space-size only at a process's start, so it goes on the command line comedy forks
 * the workers with (this process's execArgv, as the preload above). This process's own heap is set
 * up already and keeps its size. A flag given to this process (execArgv, NODE_OPTIONS, which the
 * workers inherit) wins. Returns the flag added, if any.
 */
export function sizeForkedYoungGeneration(mib: number, client: string, execArgv: string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS): string | undefined {
  const flag = semiSpaceFlag(mib, client);
  if (!flag || semiSpaceGiven(execArgv, nodeOptions)) return undefined;
  execArgv.push(flag);
  return flag;
}
