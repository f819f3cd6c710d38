/**
 * The ingest queue behind the S3WatcherActor: where requests from every trigger wait, merge and are
 * retried. Plain: the worker (the FileFetcherActor, through the watcher), the clock, the log and the
 * metrics come in; nothing here reads the time except through the clock.
 *
 * Promises:
 * - **One job per object version**, however the requests name it. A job is keyed by its version when
 *   the request names one (a versionId, or the ETag a listing saw), else by the object's name until
 *   the job's first step resolves the version. A request with the key of a queued, running or
 *   retry-waiting job merges into it (its waiter gets that job's outcome). A job whose version
 *   resolves to that of another job merges into that one there and then, before it reaches the
 *   worker's ingest, so one version never has two ingests at once.
 * - **Bounded**: at most `maxQueuedObjects` jobs wait for a slot (a request beyond that answers
 *   `busy` and is not accepted; running and retry-waiting jobs do not count), and at most
 *   `parallelObjects` run at once. Jobs start in arrival order; a retried job goes to the back.
 *   Except the retry of an attempt whose worker died (`beyondLimit` says which errors mean that):
 *   it starts when its backoff ends even if every slot is taken. The dead worker's open Kafka
 *   transaction on the one-partition progress topic holds back every read_committed reader of it
 *   (the last stable offset) until the object's retry fences it or the transaction times out
 *   (60 s), and the running objects' take-overs wait for such a read: queued behind them, the
 *   retry that unblocks them would wait for them in turn (seen with several forked workers, fault
 *   scenario R14). At most one such extra attempt per job whose worker died.
 * - **Retries**: a failed attempt (the worker rejected) is retried after a backoff with full jitter
 *   (up to 500 ms doubling per attempt, at most 60 s) on the clock; after `maxAttempts` attempts
 *   the object is abandoned to the dead-letter topic (`abandon`); if even that fails, it is retried
 *   again later. A failed attempt keeps its resolved version.
 * - **Stop**: stop() refuses new requests (`busy`), cancels waiting retries and starts nothing more;
 *   running attempts end when the worker stops them (their waiters are not answered: the object
 *   resumes from its progress on the next start).
 * - Finished objects are remembered for activity views: at most RECENT_OBJECTS, for RECENT_OBJECTS_MS;
 *   duplicates (the ledger had the version done) are not.
 */
import { reasonOf } from '../system/errors/errors';
import { backoffMs } from '../system/errors/retry';
import type { ObjectActivity, RequestAnswer } from './activity';
import type { Clock } from './clock';
import { describeRef, objectId, type ObjectMeta, type ObjectRef } from './object-ref';
import type { Logger } from '../system/observability/logging';
import type { Metrics, ObjectOutcome } from '../system/observability/metrics';

export type Trigger = 'api' | 'sqs' | 'listing' | 'cli';

/** Finished objects the queue keeps (newest first), and for how long. */
export const RECENT_OBJECTS = 50;
export const RECENT_OBJECTS_MS = 60 * 60 * 1000;

/** Backoff of a failed attempt: full jitter, up to RETRY_BASE_MS doubling per attempt, capped. */
export const RETRY_BASE_MS = 500;
export const RETRY_CAP_MS = 60_000;

/** The settings the queue reads (ingest.*). */
export interface QueueSettings {
  parallelObjects: number;
  maxQueuedObjects: number;
  maxAttempts: number;
}

/** What the queue needs of an outcome; the worker's outcome type passes through to the waiters. */
export interface JobOutcome {
  status: ObjectOutcome;
  lines: number;
  bytes: number;
  reason?: string;
}

/** The worker that runs attempts (the FileFetcherActor's messages of the same names). */
export interface JobWorker<O extends JobOutcome> {
  /** The version `ref` names now; `reason` when it cannot be read for good (ingest then dead-letters it). */
  resolve(ref: ObjectRef): Promise<{ meta: ObjectMeta } | { reason: string }>;
  ingest(ref: ObjectRef, meta?: ObjectMeta): Promise<O>;
  abandon(ref: ObjectRef, reason: string, meta?: ObjectMeta): Promise<O>;
}

export interface TriggerQueueDeps<O extends JobOutcome> {
  settings: QueueSettings;
  worker: JobWorker<O>;
  clock: Clock;
  log: Logger;
  metrics: Pick<Metrics, 'requests' | 'attemptFailures' | 'objectsQueued' | 'objectsRunning' | 'objectFinished'>;
  /** Called when a job has resolved its version and runs it (the listing learns version ids from it). */
  onResolved?: (ref: ObjectRef, meta: ObjectMeta) => void;
  /** Jitter of the retry backoff (Math.random). */
  random?: () => number;
  /**
   * Whether a failed attempt's error means its worker died mid-object (leaving an open transaction
   * behind): its retry then starts beyond parallelObjects (see the file comment). None if absent.
   */
  beyondLimit?: (err: unknown) => boolean;
}

/** A job as views see it, in arrival order. */
export interface JobView {
  id: string;
  ref: ObjectRef;
  /** The version being ingested, once resolved. */
  meta?: ObjectMeta;
  status: 'queued' | 'running' | 'failed';
  /** The last failed attempt's error while a retry waits. */
  reason?: string;
  startedMs?: number;
  attempts: number;
}

interface Job<O> {
  /** The object as the first request named it. */
  ref: ObjectRef;
  via: Trigger;
  /** Its key in `jobs` (requestKey): by version once known, else by the request's name. */
  key: string;
  meta?: ObjectMeta;
  /** Arrival order (views list jobs in it; re-keying moves a job in `jobs`). */
  seq: number;
  attempts: number;
  waiters: Array<(outcome: O) => void>;
  startedMs?: number;
  running?: boolean;
  lastError?: string;
}

export class TriggerQueue<O extends JobOutcome> {
  private readonly waiting: Job<O>[] = [];
  private readonly jobs = new Map<string, Job<O>>();
  private arrivals = 0;
  private runningCount = 0;
  private stopped = false;
  private readonly runs = new Set<Promise<void>>();
  private readonly retries = new Set<() => void>();
  /** Finished objects, newest first, at most RECENT_OBJECTS. */
  private readonly finished: ObjectActivity[] = [];

  constructor(private readonly deps: TriggerQueueDeps<O>) {}

  /**
   * Queues an object, or merges the request into the job with its key; answers at once. `busy`
   * (nothing accepted) when the queue is full or stopped. `waiter` gets the job's outcome.
   * `version`: the version the request is for when the trigger knows it without a versionId (a
   * listing's ETag).
   */
  offer(ref: ObjectRef, via: Trigger, waiter?: (outcome: O) => void, version?: string): RequestAnswer {
    const answer = this.accept(ref, via, waiter, version);
    this.deps.metrics.requests.inc({ trigger: via, status: answer.status });
    return answer;
  }

  /** True when a request for a new object would be answered busy for lack of room. */
  full(): boolean {
    return this.waiting.length >= this.deps.settings.maxQueuedObjects;
  }

  /** Objects queued, running or waiting for a retry. */
  pending(): number {
    return this.jobs.size;
  }

  /** Attempts running now. */
  running(): number {
    return this.runningCount;
  }

  /** The jobs queued, running or waiting for a retry, in arrival order. */
  view(): JobView[] {
    return [...this.jobs.values()]
      .sort((a, b) => a.seq - b.seq)
      .map((job) => ({
        id: describeRef(job.ref),
        ref: job.ref,
        ...(job.meta ? { meta: job.meta } : {}),
        status: job.running ? 'running' : job.lastError !== undefined ? 'failed' : 'queued',
        ...(!job.running && job.lastError !== undefined ? { reason: job.lastError } : {}),
        ...(job.startedMs !== undefined ? { startedMs: job.startedMs } : {}),
        attempts: job.attempts,
      }));
  }

  /** Objects finished within RECENT_OBJECTS_MS, newest first (copies). */
  recent(): ObjectActivity[] {
    const since = this.deps.clock.now() - RECENT_OBJECTS_MS;
    return this.finished.filter((o) => (o.finishedMs ?? 0) >= since).map((o) => ({ ...o }));
  }

  /** Refuses new requests, cancels waiting retries; resolves once the running attempts have ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const cancel of this.retries) cancel();
    this.retries.clear();
    await this.idle();
  }

  /** Resolves once no attempt is running. */
  async idle(): Promise<void> {
    while (this.runs.size > 0) await Promise.all([...this.runs]);
  }

  private accept(ref: ObjectRef, via: Trigger, waiter?: (o: O) => void, version?: string): RequestAnswer {
    const id = describeRef(ref);
    const key = requestKey(ref, version);
    const existing = this.jobs.get(key);
    if (existing) {
      if (waiter) existing.waiters.push(waiter);
      return { id, status: 'merged' };
    }
    if (this.stopped) return { id, status: 'busy', reason: 'the service is shutting down' };
    if (this.full()) return { id, status: 'busy', reason: `${this.waiting.length} objects are waiting (ingest.maxQueuedObjects)` };
    const job: Job<O> = { ref, via, key, seq: this.arrivals++, attempts: 0, waiters: waiter ? [waiter] : [] };
    this.jobs.set(key, job);
    this.waiting.push(job);
    this.deps.log.debug('object queued', { object: id, via });
    this.dispatch();
    return { id, status: 'queued' };
  }

  private updateGauges(): void {
    this.deps.metrics.objectsQueued.set(this.waiting.length);
    this.deps.metrics.objectsRunning.set(this.runningCount);
  }

  private dispatch(): void {
    while (this.runningCount < this.deps.settings.parallelObjects && this.waiting.length > 0) this.start(this.waiting.shift()!);
    this.updateGauges();
  }

  private start(job: Job<O>): void {
    this.runningCount++;
    job.running = true;
    job.startedMs ??= this.deps.clock.now();
    const run: Promise<void> = this.run(job).finally(() => {
      this.runningCount--;
      job.running = false;
      this.runs.delete(run);
      if (!this.stopped) this.dispatch();
      this.updateGauges();
    });
    this.runs.add(run);
  }

  private async run(job: Job<O>): Promise<void> {
    const { worker, log, settings } = this.deps;
    const id = describeRef(job.ref);
    try {
      job.attempts++;
      if (!job.meta) {
        const resolution = await worker.resolve(job.ref);
        // Unreadable for good (missing, access denied): the worker's ingest dead-letters it with the reason.
        if ('meta' in resolution && !this.keyByVersion(job, resolution.meta)) return;
      }
      this.finish(id, job, await worker.ingest(job.ref, job.meta));
    } catch (err) {
      const reason = reasonOf(err);
      if (this.stopped) {
        log.info('ingest stopped for shutdown; it resumes on the next start', { object: id });
        return;
      }
      if (job.attempts >= settings.maxAttempts) {
        log.error('object keeps failing, abandoning it', { object: id, attempts: job.attempts, error: err });
        try {
          this.finish(id, job, await worker.abandon(job.ref, `gave up after ${job.attempts} attempts: ${reason}`, job.meta));
          return;
        } catch (abandonError) {
          log.error('could not dead-letter the object; retrying later', { object: id, error: abandonError });
        }
      }
      const delay = backoffMs(job.attempts, RETRY_BASE_MS, RETRY_CAP_MS, this.deps.random);
      const beyondLimit = this.deps.beyondLimit?.(err) ?? false;
      job.lastError = reason;
      this.deps.metrics.attemptFailures.inc();
      log.warn('ingest attempt failed, retrying', { object: id, attempt: job.attempts, delayMs: delay, error: reason, ...(beyondLimit ? { beyondLimit } : {}) });
      const cancel = this.deps.clock.schedule(delay, () => {
        this.retries.delete(cancel);
        if (this.stopped) return;
        if (beyondLimit) {
          this.start(job);
          this.updateGauges();
          return;
        }
        this.waiting.push(job);
        this.dispatch();
      });
      this.retries.add(cancel);
    }
  }

  /**
   * Keys a job by the version it resolved to. If another job has that version (queued, running or
   * waiting for a retry), this one merges into it: its waiters get that job's outcome, and false
   * says this job ends here. Synchronous, so no other job can take the version in between.
   */
  private keyByVersion(job: Job<O>, meta: ObjectMeta): boolean {
    const key = versionKey(meta.id);
    const other = this.jobs.get(key);
    if (other && other !== job) {
      other.waiters.push(...job.waiters);
      if (this.jobs.get(job.key) === job) this.jobs.delete(job.key);
      this.deps.log.debug('request merged into the job of the same version', { object: describeRef(job.ref), version: meta.id });
      return false;
    }
    if (this.jobs.get(job.key) === job) this.jobs.delete(job.key);
    job.key = key;
    job.meta = meta;
    this.jobs.set(job.key, job);
    this.deps.onResolved?.(job.ref, meta);
    return true;
  }

  private finish(id: string, job: Job<O>, outcome: O): void {
    if (this.jobs.get(job.key) === job) this.jobs.delete(job.key);
    this.deps.metrics.objectFinished(outcome.status, outcome.reason);
    if (outcome.status !== 'duplicate') this.remember(id, job, outcome);
    for (const w of job.waiters) w(outcome);
  }

  /** Keeps a finished object for recent(); an ingested object's size is what was read of it. */
  private remember(id: string, job: Job<O>, outcome: O): void {
    const status = outcome.status === 'ingested' ? 'ingested' : 'dead-letter';
    this.finished.unshift({
      id,
      status,
      lines: outcome.lines,
      bytes: outcome.bytes,
      totalBytes: status === 'ingested' ? outcome.bytes : null,
      ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
      ...(job.startedMs !== undefined ? { startedMs: job.startedMs } : {}),
      finishedMs: this.deps.clock.now(),
    });
    this.finished.length = Math.min(this.finished.length, RECENT_OBJECTS);
  }
}

/**
 * The key a request's job is found by: the version's object id when the request names the version
 * (a versionId, or `version` from a listing), else the object's name, until the job resolves it.
 * S3's version id "null" (an object written while versioning was off) is not a version key: such an
 * object is known by its ETag.
 */
export function requestKey(ref: ObjectRef, version?: string): string {
  if (ref.kind === 's3' && ref.versionId && ref.versionId !== 'null') return versionKey(objectId(ref, ref.versionId));
  if (version) return versionKey(objectId(ref, version));
  return `name ${describeRef(ref)}`;
}

/** The job key of a version (by its object id); never equal to a name's, whatever the key holds. */
function versionKey(id: string): string {
  return `version ${id}`;
}
