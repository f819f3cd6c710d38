/**
 * S3WatcherActor: where ingest requests arrive and wait. Three triggers feed it: the control API
 * (`request`), an SQS queue of S3 event notifications (src/ingest/triggers/sqs-source.ts), and a
 * periodic listing of bucket prefixes (src/ingest/triggers/listing-source.ts). Their requests wait
 * in one TriggerQueue (src/ingest/trigger-queue.ts: bounded, one job per object version, up to
 * `parallelObjects` at once, retries with backoff, then the dead-letter topic), whose jobs this
 * actor runs through the FileFetcherActor (resolve, ingest, abandon). The actor only wires these
 * together; the ledger makes a version already ingested a no-op.
 *
 * Messages: request(req) → RequestAnswer, ingest(ref) → IngestOutcome (waits; for `logpipe ingest`),
 * activity() → the objects queued, running or finished lately (for the dashboard), list(entry) →
 * one listing pass of a bucket or prefix, worker(topic, ...args) → the answer of the ingest worker
 * to a query (known, usage, metrics), stop() → the graceful stop (before destroy).
 *
 * The watcher is a child of the root and the parent of the FileFetcherActors (the ingest workers:
 * one, or `workers` of its parameters for `logpipe start`, see workerCount), which it creates in
 * the mode comedy's configuration gives them (ingest.workerMode) and supervises one by one
 * (supervisor.ts); ingest requests are dealt to the least busy (worker-pool.ts), outcomes come back
 * up as the answers. Its queue runs at least one object per worker.
 */
import type { Actor } from 'comedy';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { S3Client } from '@aws-sdk/client-s3';
import { systemClock, type Clock } from '../ingest/clock';
import { reasonOf } from '../system/errors/errors';
import { describeRef, ledgerKey, type ObjectMeta, type ObjectRef } from '../ingest/object-ref';
import type { ObjectProgress } from '../ingest/progress';
import type { ObjectActivity, RequestAnswer } from '../ingest/activity';
import { TriggerQueue, type Trigger } from '../ingest/trigger-queue';
import { ListingSource } from '../ingest/triggers/listing-source';
import type { TriggerSink, TriggerSource } from '../ingest/triggers/source';
import { SqsSource } from '../ingest/triggers/sqs-source';
import { actorContext, type ActorParameters, createSupervisedChild } from './actor-context';
import { createS3, createSqs } from '../system/kafka/clients';
import type { LogpipeConfig } from '../system/config/config';
import type { Logger } from '../system/observability/logging';
import { Metrics } from '../system/observability/metrics';
import type { IngestOutcome, Resolution, RunningObject } from './file-fetcher-actor';
import { isChildRestart, type Supervisor } from './supervisor';
import { pooledFetcher, runningSlots, WorkerPool } from './worker-pool';

export type { ObjectActivity, RequestAnswer };
export type { Trigger } from '../ingest/trigger-queue';
export { RECENT_OBJECTS, RECENT_OBJECTS_MS } from '../ingest/trigger-queue';

/** How long activity() waits for the worker's progress of running objects before showing them without it. */
const ACTIVITY_TIMEOUT_MS = 1_500;

/** The ingest settings the watcher reads (see the configuration reference). */
export type WatcherSettings = Pick<
  LogpipeConfig['ingest'],
  'parallelObjects' | 'maxQueuedObjects' | 'maxAttempts' | 'sqsQueueUrl' | 'sqsWaitSeconds' | 'visibilityTimeoutSeconds' | 'listings' | 'listIntervalMs' | 'ledgerHorizonMs'
>;

export interface WatcherPorts {
  fetcher: {
    sendAndReceive(topic: 'resolve', ref: ObjectRef): Promise<Resolution>;
    sendAndReceive(topic: 'ingest', ref: ObjectRef, meta?: ObjectMeta): Promise<IngestOutcome>;
    sendAndReceive(topic: 'abandon', ref: ObjectRef, reason: string, meta?: ObjectMeta): Promise<IngestOutcome>;
    sendAndReceive(topic: 'stop'): Promise<void>;
    sendAndReceive(topic: 'known', id: string): Promise<ObjectProgress | undefined>;
    sendAndReceive(topic: 'activity'): Promise<RunningObject[]>;
    sendAndReceive(topic: WorkerQuery, ...args: unknown[]): Promise<unknown>;
  };
}

/** The ingest worker's queries the watcher passes on (worker()): the ledger, its memory, its metrics. */
export type WorkerQuery = 'known' | 'usage' | 'metrics';
const WORKER_QUERIES: ReadonlySet<string> = new Set<WorkerQuery>(['known', 'usage', 'metrics']);

export interface WatcherDeps extends WatcherPorts {
  /** The log topic, part of the ledger key. */
  topic: string;
  settings: WatcherSettings;
  sqs?: Pick<SQSClient, 'send'>;
  s3?: Pick<S3Client, 'send'>;
  log: Logger;
  /** Requests, outcomes, dead letters and the queue are counted here; a registry of its own if absent. */
  metrics?: Metrics;
  /** Time for the queue's retries, the triggers' waits and activity(); the system clock if absent. */
  clock?: Clock;
  /** Jitter of the retry backoffs (Math.random if absent). */
  random?: () => number;
}

export default class S3WatcherActor {
  private deps!: WatcherDeps;
  private clock: Clock = systemClock;
  private queue!: TriggerQueue<IngestOutcome>;
  private listing: ListingSource | undefined;
  private readonly sources: TriggerSource[] = [];
  private readonly loops: Promise<void>[] = [];
  private ownedClients: Array<{ destroy(): void }> = [];
  private faults: ActorParameters['faults'];
  /** How each ingest() caller still waiting for its outcome is failed when the watcher stops. */
  private readonly waiting = new Set<(err: Error) => void>();
  private stopping: Promise<void> | undefined;

  /** The supervised ingest workers (FileFetcherActors), one or ingest.workers. */
  private workerChildren: Array<{ destroy(): Promise<void> }> = [];

  /**
   * comedy entry point: creates the FileFetcherActors (the ingest workers, `workers` of its
   * parameters, 1 if absent), each supervised on its own, in the mode comedy's configuration gives
   * them, then starts the triggers. When a worker keeps crashing past its restart budget, the
   * watcher escalates to the root through its `escalate` parameter.
   */
  async initialize(self: Actor): Promise<void> {
    const params = self.getCustomParameters() as ActorParameters;
    const { config, logger } = actorContext(params, 'S3WatcherActor');
    const i = config.ingest;
    // A forked worker gets plain JSON only: it builds its own logger and metrics from the configuration.
    const forked = i.workerMode === 'forked';
    const { escalate, faults, ...shared } = params;
    const workerParams: ActorParameters = forked ? { config, topic: params.topic } : { ...shared, ...(faults ? { faults } : {}) };
    const count = params.workers ?? 1;
    // One supervised subtree per worker (its own process when forked): a crash restarts only that
    // worker, within its own budget; a worker that spends it escalates, and the watcher gives up.
    const workers: Supervisor[] = [];
    try {
      for (let n = 0; n < count; n++) {
        workers.push(
          await createSupervisedChild(self, 'file-fetcher-actor', {
            childConfig: { customParameters: workerParams },
            inProcess: !forked,
            config,
            log: count > 1 ? logger.child({ worker: n }) : logger,
            onEscalate: (reason) => escalate?.(`the ingest worker${count > 1 ? ` ${n}` : ''} gave up: ${reason}`),
          }),
        );
      }
    } catch (err) {
      await Promise.all(workers.map((w) => w.destroy()));
      throw err;
    }
    this.workerChildren = workers;
    if (count > 1) logger.info('ingest workers started', { workers: count, mode: i.workerMode });
    const fetcher = pooledFetcher(new WorkerPool(workers));
    const sqs = i.sqsQueueUrl ? createSqs(config) : undefined;
    const s3 = i.listings.length ? createS3(config) : undefined;
    this.ownedClients = [sqs, s3].filter((c): c is NonNullable<typeof c> => c !== undefined);
    this.faults = faults;
    this.init({
      topic: params.topic,
      fetcher: fetcher as unknown as WatcherPorts['fetcher'],
      settings: { ...i, parallelObjects: runningSlots(i.parallelObjects, count) },
      sqs,
      s3,
      log: logger,
      metrics: params.metrics,
    });
  }

  /** Sets the dependencies and starts the SQS and listing sources that are configured. */
  init(deps: WatcherDeps): void {
    this.deps = deps;
    this.clock = deps.clock ?? systemClock;
    const { fetcher, settings, log } = deps;
    // The listing source serves list() whenever there is an S3 client; it runs periodically when listings are configured.
    const listing = deps.s3
      ? new ListingSource({ s3: deps.s3, listings: settings.listings, intervalMs: settings.listIntervalMs, topic: deps.topic, known: (id) => fetcher.sendAndReceive('known', id), clock: this.clock, log, horizonMs: settings.ledgerHorizonMs })
      : undefined;
    this.listing = listing;
    this.queue = new TriggerQueue<IngestOutcome>({
      settings,
      clock: this.clock,
      log,
      metrics: deps.metrics ?? new Metrics(),
      ...(deps.random ? { random: deps.random } : {}),
      // An object whose worker crashed retries at once beyond parallelObjects: its retry fences the
      // transaction the dead worker left open, which holds back the others' take-overs (trigger-queue.ts).
      beyondLimit: isChildRestart,
      worker: {
        resolve: (ref) => fetcher.sendAndReceive('resolve', ref),
        ingest: (ref, meta) => (meta ? fetcher.sendAndReceive('ingest', ref, meta) : fetcher.sendAndReceive('ingest', ref)),
        abandon: (ref, reason, meta) => (meta ? fetcher.sendAndReceive('abandon', ref, reason, meta) : fetcher.sendAndReceive('abandon', ref, reason)),
      },
      onResolved: (ref, meta) => this.listing?.learn(ref, meta),
    });
    if (settings.sqsQueueUrl && deps.sqs) {
      this.sources.push(new SqsSource({ sqs: deps.sqs, queueUrl: settings.sqsQueueUrl, waitSeconds: settings.sqsWaitSeconds, visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds, clock: this.clock, log, ...(deps.random ? { random: deps.random } : {}) }));
    }
    if (listing && settings.listings.length) this.sources.push(listing);
    for (const source of this.sources) this.loops.push(source.run(this.sinkFor(source === listing ? 'listing' : 'sqs')));
  }

  /**
   * Graceful stop: no new requests or polls, running ingests stop at their next chunk (their
   * committed batches stay; the rest is read again on resume), and this resolves once they have.
   * SQS messages of unfinished objects are not deleted, so they come back. Then the workers are
   * destroyed (a restart under way abandoned). Send it before destroy: comedy destroys the worker
   * (a child) before the watcher's destroy() runs.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const source of this.sources) source.stop();
      const stopped = this.queue.stop();
      // A worker that crashed has nothing left to stop: its running ingests have already failed.
      if (this.queue.running() > 0) await this.deps.fetcher.sendAndReceive('stop').catch((err: unknown) => this.deps.log.warn('could not stop the ingest worker', { error: reasonOf(err) }));
      await Promise.all([...this.loops, stopped]);
      // comedy destroys an in-memory actor only once every message it is handling has been answered.
      for (const fail of this.waiting) fail(new Error('ingest stopped before the object finished; it resumes from its committed progress on the next start'));
      this.waiting.clear();
      // Nothing more goes to the workers. Destroyed here, not only in destroy(): comedy destroys the
      // watcher's children before destroy() runs and first waits for every child being created,
      // which for a forked worker killed while it started is for ever (forgetPendingChild).
      await Promise.all(this.workerChildren.map((w) => w.destroy()));
    })();
    return this.stopping;
  }

  async destroy(): Promise<void> {
    // stop() destroys the workers too.
    await this.stop();
    for (const c of this.ownedClients) c.destroy();
  }

  /** Passes a query on to the ingest worker and its answer back (WorkerQuery: known, usage, metrics). */
  worker(topic: string, ...args: unknown[]): Promise<unknown> {
    if (!WORKER_QUERIES.has(topic)) return Promise.reject(new Error(`the ingest worker answers no query "${topic}" through the watcher`));
    return this.deps.fetcher.sendAndReceive(topic as WorkerQuery, ...args);
  }

  /** Queues an object; answers at once. `busy` when the queue is full (nothing was accepted). */
  request(req: { ref: ObjectRef; via: Trigger }): RequestAnswer {
    this.faults?.('watcher.request', describeRef(req.ref));
    return this.queue.offer(req.ref, req.via);
  }

  /** Queues an object and resolves with its outcome (for one-shot commands). */
  ingest(ref: ObjectRef): Promise<IngestOutcome> {
    return new Promise((resolve, reject) => {
      const fail = (err: Error): void => reject(err);
      this.waiting.add(fail);
      const answer = this.queue.offer(ref, 'cli', (outcome) => {
        this.waiting.delete(fail);
        resolve(outcome);
      });
      if (answer.status === 'busy') {
        this.waiting.delete(fail);
        reject(new Error(`ingest queue is full: ${answer.reason}`));
      }
    });
  }

  /** Objects queued or being ingested. */
  pending(): number {
    return this.queue.pending();
  }

  /**
   * The objects queued, running (with their committed progress from the worker, or zeros if it does
   * not answer within 1.5 s), waiting for a retry, and finished within the last hour (at most
   * RECENT_OBJECTS). Order: as listed here, the finished newest first.
   */
  async activity(): Promise<ObjectActivity[]> {
    const jobs = this.queue.view();
    const progress = new Map<string, RunningObject>();
    if (jobs.some((job) => job.status === 'running')) {
      let cancel: () => void = () => undefined;
      const timeout = new Promise<RunningObject[]>((resolve) => (cancel = this.clock.schedule(ACTIVITY_TIMEOUT_MS, () => resolve([]))));
      const running = await Promise.race([this.deps.fetcher.sendAndReceive('activity').catch(() => []), timeout]).finally(() => cancel());
      // By version; by name from a worker that does not say the version.
      for (const r of running) progress.set(r.id ?? r.object, r);
    }
    const current = jobs.map((job): ObjectActivity => {
      const p = (job.meta && progress.get(ledgerKey(this.deps.topic, job.meta.id))) || progress.get(job.id);
      return {
        id: job.id,
        status: job.status,
        lines: p?.lines ?? 0,
        bytes: p?.bytes ?? 0,
        totalBytes: p?.totalBytes ?? null,
        ...(job.reason !== undefined ? { reason: job.reason } : {}),
        ...(job.startedMs !== undefined ? { startedMs: job.startedMs } : {}),
      };
    });
    return [...current, ...this.queue.recent()];
  }

  /**
   * Lists one `bucket` or `bucket/prefix` entry now and queues what is not ingested yet (the
   * periodic listing does this for each of `ingest.listings`; see ListingSource for what it
   * queues). Rejects when S3 cannot be listed or the watcher has no S3 client (no listings configured).
   */
  async list(entry: string): Promise<void> {
    if (!this.listing) throw new Error('no S3 client: the watcher lists only when ingest.listings is set');
    await this.listing.list(entry, this.sinkFor('listing'));
  }

  /** The queue as a trigger source sees it: requests counted under `via`. */
  private sinkFor(via: Trigger): TriggerSink {
    return {
      offer: (ref, options = {}) => this.queue.offer(ref, via, options.onOutcome, options.version),
      full: () => this.queue.full(),
    };
  }
}
