/**
 * S3WatcherActor: where ingest requests arrive and wait. Three triggers feed it: the control API
 * (`request`), an SQS queue of S3 event notifications, and a periodic listing of bucket prefixes.
 * The queue is bounded; up to `parallelObjects` jobs run at once, each ingesting one object version
 * through the FileFetcherActor. A failed attempt is retried with backoff; after `maxAttempts` the
 * object is abandoned to the dead-letter topic.
 *
 * One job per object version, however the requests name it. A job is keyed by its version when the
 * request names one (a versionId, or the ETag a listing saw), else by the object's name until the
 * job's first step resolves the version (a HEAD, in the worker; the API still answers at once). A
 * request with the key of a queued or running job merges into it. A job whose version resolves to
 * that of another job merges into that one there and then, before it reaches the fetcher, so one
 * version never has two ingests at once; the ledger makes a version already ingested a no-op.
 *
 * Messages: request(req) → RequestAnswer, ingest(ref) → IngestOutcome (waits; for `logpipe ingest`),
 * activity() → the objects queued, running or finished lately (for the dashboard), list(entry) →
 * one listing pass of a bucket or prefix.
 */
import type { Actor } from 'comedy';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ListObjectsV2Command, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import { backoffMs, reasonOf } from '../ingest/errors';
import { describeRef, ledgerKey, type ObjectMeta, type ObjectRef, objectId } from '../ingest/object-ref';
import type { ObjectProgress } from '../ingest/progress';
import { parseS3Event } from '../ingest/s3-event';
import { actorContext, type ActorParameters } from './actor-context';
import { createS3, createSqs } from '../system/kafka/clients';
import type { LogpipeConfig } from '../system/config/config';
import type { Logger } from '../system/observability/logging';
import { Metrics } from '../system/observability/metrics';
import type { IngestOutcome, Resolution, RunningObject } from './file-fetcher-actor';
import type { ObjectActivity, RequestAnswer } from '../ingest/activity';

export type Trigger = 'api' | 'sqs' | 'listing' | 'cli';

export type { ObjectActivity, RequestAnswer };

/** Finished objects activity() keeps (newest first), and for how long. */
export const RECENT_OBJECTS = 50;
export const RECENT_OBJECTS_MS = 60 * 60 * 1000;
/** How long activity() waits for the worker's progress of running objects before showing them without it. */
const ACTIVITY_TIMEOUT_MS = 1_500;

/** The ingest settings the watcher reads (see the configuration reference). */
export type WatcherSettings = Pick<
  LogpipeConfig['ingest'],
  'parallelObjects' | 'maxQueuedObjects' | 'maxAttempts' | 'sqsQueueUrl' | 'sqsWaitSeconds' | 'visibilityTimeoutSeconds' | 'listings' | 'listIntervalMs'
>;

export interface WatcherPorts {
  fetcher: {
    sendAndReceive(topic: 'resolve', ref: ObjectRef): Promise<Resolution>;
    sendAndReceive(topic: 'ingest', ref: ObjectRef, meta?: ObjectMeta): Promise<IngestOutcome>;
    sendAndReceive(topic: 'abandon', ref: ObjectRef, reason: string, meta?: ObjectMeta): Promise<IngestOutcome>;
    sendAndReceive(topic: 'stop'): Promise<void>;
    sendAndReceive(topic: 'known', id: string): Promise<ObjectProgress | undefined>;
    sendAndReceive(topic: 'activity'): Promise<RunningObject[]>;
  };
}

export interface WatcherDeps extends WatcherPorts {
  /** The log topic, part of the ledger key. */
  topic: string;
  settings: WatcherSettings;
  sqs?: Pick<SQSClient, 'send'>;
  s3?: Pick<S3Client, 'send'>;
  log: Logger;
  sleep?: (ms: number) => Promise<void>;
  /** Requests, outcomes, dead letters and the queue are counted here; a registry of its own if absent. */
  metrics?: Metrics;
  now?: () => number;
}

interface Job {
  /** The object as the first request named it. */
  ref: ObjectRef;
  via: Trigger;
  /** Its key in `jobs` (requestKey): by version once known, else by the request's name. */
  key: string;
  /** The version being ingested, once resolved. */
  meta?: ObjectMeta;
  /** Arrival order (activity() lists jobs in it; re-keying moves a job in `jobs`). */
  seq: number;
  attempts: number;
  waiters: Array<(outcome: IngestOutcome) => void>;
  /** When its first attempt started (epoch ms). */
  startedMs?: number;
  running?: boolean;
  /** The last failed attempt's error while a retry waits. */
  lastError?: string;
}

export default class S3WatcherActor {
  private deps!: WatcherDeps;
  private readonly queue: Job[] = [];
  private readonly jobs = new Map<string, Job>();
  private arrivals = 0;
  private running = 0;
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  private readonly runs = new Set<Promise<void>>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private ownedClients: Array<{ destroy(): void }> = [];
  private metrics!: Metrics;
  /** Buckets whose versions cannot be listed (no s3:ListBucketVersions): listed by current objects. */
  private readonly currentOnly = new Set<string>();
  /** Version ids of versioned objects by object and ETag, as jobs resolved them (MAX_LEARNED_VERSION_IDS). */
  private readonly versionIds = new Map<string, string>();
  /** Finished objects, newest first, at most RECENT_OBJECTS (duplicates are not listed). */
  private readonly recent: ObjectActivity[] = [];

  initialize(self: Actor): void {
    const params = self.getCustomParameters() as ActorParameters;
    const { config, logger, refs } = actorContext(params, 'S3WatcherActor');
    const i = config.ingest;
    const sqs = i.sqsQueueUrl ? createSqs(config) : undefined;
    const s3 = i.listings.length ? createS3(config) : undefined;
    this.ownedClients = [sqs, s3].filter((c): c is NonNullable<typeof c> => c !== undefined);
    this.init({
      topic: params.topic,
      fetcher: refs.fetcher as unknown as WatcherPorts['fetcher'],
      settings: i,
      sqs,
      s3,
      log: logger,
      metrics: params.metrics,
    });
  }

  /** Sets the dependencies and starts the SQS and listing loops that are configured. */
  init(deps: WatcherDeps): void {
    this.deps = deps;
    this.metrics = deps.metrics ?? new Metrics();
    if (deps.settings.sqsQueueUrl && deps.sqs) this.loops.push(this.pollSqs());
    if (deps.settings.listings.length && deps.s3) this.loops.push(this.listPeriodically());
  }

  /**
   * Graceful stop: no new requests or polls, running ingests stop at their next chunk (their
   * committed batches stay; the rest is read again on resume), and this resolves once they have.
   * SQS messages of unfinished objects are not deleted, so they come back.
   */
  async destroy(): Promise<void> {
    this.stopped = true;
    for (const t of this.retryTimers) clearTimeout(t);
    // A worker that crashed has nothing left to stop: its running ingests have already failed.
    if (this.runs.size > 0) await this.deps.fetcher.sendAndReceive('stop').catch((err: unknown) => this.deps.log.warn('could not stop the ingest worker', { error: reasonOf(err) }));
    await Promise.all([...this.loops, ...this.runs]);
    for (const c of this.ownedClients) c.destroy();
  }

  /** Queues an object; answers at once. `busy` when the queue is full (nothing was accepted). */
  request(req: { ref: ObjectRef; via: Trigger }): RequestAnswer {
    return this.enqueue(req.ref, req.via);
  }

  /** Queues an object and resolves with its outcome (for one-shot commands). */
  ingest(ref: ObjectRef): Promise<IngestOutcome> {
    return new Promise((resolve, reject) => {
      const answer = this.enqueue(ref, 'cli', resolve);
      if (answer.status === 'busy') reject(new Error(`ingest queue is full: ${answer.reason}`));
    });
  }

  /** Objects queued or being ingested. */
  pending(): number {
    return this.jobs.size;
  }

  /**
   * The objects queued, running (with their committed progress from the worker, or zeros if it does
   * not answer within 1.5 s), waiting for a retry, and finished within the last hour (at most
   * RECENT_OBJECTS). Order: as listed here, the finished newest first.
   */
  async activity(): Promise<ObjectActivity[]> {
    const now = this.deps.now ?? Date.now;
    const jobs = [...this.jobs.values()].sort((a, b) => a.seq - b.seq);
    const progress = new Map<string, RunningObject>();
    if (jobs.some((job) => job.running)) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<RunningObject[]>((resolve) => (timer = setTimeout(() => resolve([]), ACTIVITY_TIMEOUT_MS)));
      const running = await Promise.race([this.deps.fetcher.sendAndReceive('activity').catch(() => []), timeout]).finally(() => clearTimeout(timer));
      // By version; by name from a worker that does not say the version.
      for (const r of running) progress.set(r.id ?? r.object, r);
    }
    const current = jobs.map((job): ObjectActivity => {
      const id = describeRef(job.ref);
      const p = (job.meta && progress.get(ledgerKey(this.deps.topic, job.meta.id))) || progress.get(id);
      const status = job.running ? 'running' : job.lastError !== undefined ? 'failed' : 'queued';
      return {
        id,
        status,
        lines: p?.lines ?? 0,
        bytes: p?.bytes ?? 0,
        totalBytes: p?.totalBytes ?? null,
        ...(status === 'failed' ? { reason: job.lastError } : {}),
        ...(job.startedMs !== undefined ? { startedMs: job.startedMs } : {}),
      };
    });
    const since = now() - RECENT_OBJECTS_MS;
    return [...current, ...this.recent.filter((o) => (o.finishedMs ?? 0) >= since).map((o) => ({ ...o }))];
  }

  /** `version`: the version the request is for when the trigger knows it without a versionId (a listing's ETag). */
  private enqueue(ref: ObjectRef, via: Trigger, waiter?: (o: IngestOutcome) => void, version?: string): RequestAnswer {
    const answer = this.accept(ref, via, waiter, version);
    this.metrics.requests.inc({ trigger: via, status: answer.status });
    return answer;
  }

  private accept(ref: ObjectRef, via: Trigger, waiter?: (o: IngestOutcome) => void, version?: string): RequestAnswer {
    const id = describeRef(ref);
    const key = requestKey(ref, version);
    const existing = this.jobs.get(key);
    if (existing) {
      if (waiter) existing.waiters.push(waiter);
      return { id, status: 'merged' };
    }
    if (this.stopped) return { id, status: 'busy', reason: 'the service is shutting down' };
    if (this.queue.length >= this.deps.settings.maxQueuedObjects) {
      return { id, status: 'busy', reason: `${this.queue.length} objects are waiting (ingest.maxQueuedObjects)` };
    }
    const job: Job = { ref, via, key, seq: this.arrivals++, attempts: 0, waiters: waiter ? [waiter] : [] };
    this.jobs.set(key, job);
    this.queue.push(job);
    this.deps.log.debug('object queued', { object: id, via });
    this.dispatch();
    this.updateGauges();
    return { id, status: 'queued' };
  }

  private updateGauges(): void {
    this.metrics.objectsQueued.set(this.queue.length);
    this.metrics.objectsRunning.set(this.running);
  }

  private dispatch(): void {
    while (this.running < this.deps.settings.parallelObjects && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running++;
      job.running = true;
      job.startedMs ??= (this.deps.now ?? Date.now)();
      const run: Promise<void> = this.run(job).finally(() => {
        this.running--;
        job.running = false;
        this.runs.delete(run);
        if (!this.stopped) this.dispatch();
        this.updateGauges();
      });
      this.runs.add(run);
    }
    this.updateGauges();
  }

  private async run(job: Job): Promise<void> {
    const id = describeRef(job.ref);
    try {
      job.attempts++;
      if (!job.meta) {
        const resolution = await this.deps.fetcher.sendAndReceive('resolve', job.ref);
        // Unreadable for good (missing, access denied): the fetcher's ingest dead-letters it with the reason.
        if ('meta' in resolution && !this.keyByVersion(job, resolution.meta)) return;
      }
      const outcome = await (job.meta ? this.deps.fetcher.sendAndReceive('ingest', job.ref, job.meta) : this.deps.fetcher.sendAndReceive('ingest', job.ref));
      this.finish(id, job, outcome);
    } catch (err) {
      const reason = reasonOf(err);
      if (this.stopped) {
        this.deps.log.info('ingest stopped for shutdown; it resumes on the next start', { object: id });
        return;
      }
      if (job.attempts >= this.deps.settings.maxAttempts) {
        this.deps.log.error('object keeps failing, abandoning it', { object: id, attempts: job.attempts, error: err });
        try {
          const why = `gave up after ${job.attempts} attempts: ${reason}`;
          this.finish(id, job, await (job.meta ? this.deps.fetcher.sendAndReceive('abandon', job.ref, why, job.meta) : this.deps.fetcher.sendAndReceive('abandon', job.ref, why)));
          return;
        } catch (abandonError) {
          this.deps.log.error('could not dead-letter the object; retrying later', { object: id, error: abandonError });
        }
      }
      const delay = backoffMs(job.attempts, 500, 60_000);
      job.lastError = reason;
      this.metrics.attemptFailures.inc();
      this.deps.log.warn('ingest attempt failed, retrying', { object: id, attempt: job.attempts, delayMs: delay, error: reason });
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        if (this.stopped) return;
        this.queue.push(job);
        this.dispatch();
      }, delay);
      this.retryTimers.add(timer);
    }
  }

  /**
   * Keys a job by the version it resolved to. If another job has that version (queued, running or
   * waiting for a retry), this one merges into it: its waiters get that job's outcome, and false
   * says this job ends here. Synchronous, so no other job can take the version in between.
   */
  private keyByVersion(job: Job, meta: ObjectMeta): boolean {
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
    this.learnVersionId(job.ref, meta);
    return true;
  }

  private finish(id: string, job: Job, outcome: IngestOutcome): void {
    if (this.jobs.get(job.key) === job) this.jobs.delete(job.key);
    this.metrics.objectFinished(outcome.status, outcome.reason);
    if (outcome.status !== 'duplicate') this.remember(id, job, outcome);
    for (const w of job.waiters) w(outcome);
  }

  /** Keeps a finished object for activity(); an ingested object's size is what was read of it. */
  private remember(id: string, job: Job, outcome: IngestOutcome): void {
    const status = outcome.status === 'ingested' ? 'ingested' : 'dead-letter';
    this.recent.unshift({
      id,
      status,
      lines: outcome.lines,
      bytes: outcome.bytes,
      totalBytes: status === 'ingested' ? outcome.bytes : null,
      ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
      ...(job.startedMs !== undefined ? { startedMs: job.startedMs } : {}),
      finishedMs: (this.deps.now ?? Date.now)(),
    });
    this.recent.length = Math.min(this.recent.length, RECENT_OBJECTS);
  }

  /** Long-polls the queue; deletes a message once every object it names is committed or dead-lettered. */
  private async pollSqs(): Promise<void> {
    const { settings, log } = this.deps;
    const sqs = this.deps.sqs!;
    const sleep = this.deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    let failures = 0;
    while (!this.stopped) {
      if (this.queue.length >= settings.maxQueuedObjects) {
        await sleep(500);
        continue;
      }
      try {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: settings.sqsQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: settings.sqsWaitSeconds, VisibilityTimeout: settings.visibilityTimeoutSeconds }),
        );
        failures = 0;
        for (const m of Messages) void this.handleMessage(m.Body ?? '', m.ReceiptHandle ?? '');
      } catch (err) {
        const delay = backoffMs(failures++, 500, 30_000);
        log.warn('SQS receive failed, retrying', { queue: settings.sqsQueueUrl, delayMs: delay, error: reasonOf(err) });
        await sleep(delay);
      }
    }
  }

  private async handleMessage(body: string, receipt: string): Promise<void> {
    const { settings, log } = this.deps;
    const sqs = this.deps.sqs!;
    let event: unknown;
    try {
      event = JSON.parse(body);
    } catch {
      event = undefined;
    }
    const records = parseS3Event(event);
    for (const r of records) if (r.kind !== 'object') log.info('SQS record ignored', { reason: r.reason });
    const refs: ObjectRef[] = records.flatMap((r) => (r.kind === 'object' ? [{ kind: 's3' as const, bucket: r.bucket, key: r.key, ...(r.versionId ? { versionId: r.versionId } : {}) }] : []));
    // Keep the message invisible while its objects stream: big objects outlast the visibility timeout.
    const extendEveryMs = Math.max(1000, (settings.visibilityTimeoutSeconds * 1000) / 2);
    const extender = setInterval(() => {
      sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: settings.sqsQueueUrl, ReceiptHandle: receipt, VisibilityTimeout: settings.visibilityTimeoutSeconds })).catch((err) => log.warn('could not extend message visibility', { error: reasonOf(err) }));
    }, extendEveryMs);
    try {
      const outcomes = await Promise.all(
        refs.map(
          (ref) =>
            new Promise<IngestOutcome | undefined>((resolve) => {
              const answer = this.enqueue(ref, 'sqs', resolve);
              // Queue full: leave the message for a later delivery.
              if (answer.status === 'busy') resolve(undefined);
            }),
        ),
      );
      if (outcomes.some((o) => o === undefined)) return;
      await sqs.send(new DeleteMessageCommand({ QueueUrl: settings.sqsQueueUrl, ReceiptHandle: receipt }));
    } catch (err) {
      log.warn('could not delete an SQS message; it will be delivered again (ingest dedupes)', { error: reasonOf(err) });
    } finally {
      clearInterval(extender);
    }
  }

  /** Lists the configured prefixes and queues objects whose current version is not in the ledger. */
  private async listPeriodically(): Promise<void> {
    const sleep = this.deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    while (!this.stopped) {
      for (const entry of this.deps.settings.listings) {
        if (this.stopped) break;
        await this.list(entry).catch((err) => this.deps.log.warn('listing failed', { listing: entry, error: reasonOf(err) }));
      }
      const until = Date.now() + this.deps.settings.listIntervalMs;
      while (!this.stopped && Date.now() < until) await sleep(Math.min(500, until - Date.now()));
    }
  }

  /**
   * Lists one `bucket` or `bucket/prefix` entry now and queues what is not ingested yet (the
   * periodic listing calls this for each of `ingest.listings`): each object's current version
   * unless the ledger has it done or dead-lettered, and older versions whose ingest was interrupted
   * (the ledger has them in progress), so they are finished. Versions are known from what S3 lists
   * (ListObjectVersions: the version id, or the ETag of an unversioned object), without a HEAD.
   * Without s3:ListBucketVersions it lists current objects (ListObjectsV2: ETags only) and finds a
   * versioned object's version id from the job that resolved it earlier in this process. Rejects
   * when S3 cannot be listed or the watcher has no S3 client (no listings configured).
   */
  async list(entry: string): Promise<void> {
    const s3 = this.deps.s3;
    if (!s3) throw new Error('no S3 client: the watcher lists only when ingest.listings is set');
    const slash = entry.indexOf('/');
    const bucket = slash < 0 ? entry : entry.slice(0, slash);
    const prefix = slash < 0 ? undefined : entry.slice(slash + 1);
    if (!this.currentOnly.has(bucket)) {
      try {
        await this.listVersions(s3, bucket, prefix);
        return;
      } catch (err) {
        if (!cannotListVersions(err)) throw err;
        this.currentOnly.add(bucket);
        this.deps.log.warn('cannot list object versions; listing current objects only (grant s3:ListBucketVersions to resume interrupted old versions)', { bucket, error: reasonOf(err) });
      }
    }
    await this.listCurrent(s3, bucket, prefix);
  }

  private async listVersions(s3: NonNullable<WatcherDeps['s3']>, bucket: string, prefix: string | undefined): Promise<void> {
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionMarker }));
      for (const v of page.Versions ?? []) {
        if (!v.Key || v.Key.endsWith('/')) continue;
        const ref: ObjectRef = { kind: 's3', bucket, key: v.Key };
        const etag = stripQuotes(v.ETag);
        // "null": written while the bucket was not versioned; such a version is known by its ETag.
        const versionId = v.VersionId && v.VersionId !== 'null' ? v.VersionId : undefined;
        const version = versionId ?? etag;
        if (!version) continue;
        const known = await this.deps.fetcher.sendAndReceive('known', ledgerKey(this.deps.topic, objectId(ref, version)));
        if (v.IsLatest) {
          if (known && known.status !== 'in-progress') continue;
          this.enqueue(versionId ? { ...ref, versionId } : ref, 'listing', undefined, version);
        } else if (known?.status === 'in-progress') {
          // An older version (or the last before a delete marker) left unfinished: named by its id, it is read as it was.
          this.enqueue({ ...ref, versionId: v.VersionId ?? 'null' }, 'listing', undefined, version);
        }
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker && !this.stopped);
  }

  private async listCurrent(s3: NonNullable<WatcherDeps['s3']>, bucket: string, prefix: string | undefined): Promise<void> {
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        if (!o.Key || o.Key.endsWith('/')) continue;
        const ref: ObjectRef = { kind: 's3', bucket, key: o.Key };
        const etag = stripQuotes(o.ETag);
        if (!etag) continue;
        // A versioned object's id is its version id, which this listing does not show: known if a job resolved it.
        const versionId = this.versionIds.get(versionIdsKey(ref, etag));
        const known = await this.deps.fetcher.sendAndReceive('known', ledgerKey(this.deps.topic, objectId(ref, versionId ?? etag)));
        if (known && known.status !== 'in-progress') continue;
        this.enqueue(versionId ? { ...ref, versionId } : ref, 'listing', undefined, versionId ? undefined : etag);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token && !this.stopped);
  }

  /** Remembers a versioned object's version id by its ETag, for listings without versions. */
  private learnVersionId(ref: ObjectRef, meta: ObjectMeta): void {
    if (ref.kind !== 's3' || !meta.etag || !meta.versionId || meta.versionId === 'null') return;
    if (this.versionIds.size >= MAX_LEARNED_VERSION_IDS) this.versionIds.delete(this.versionIds.keys().next().value!);
    this.versionIds.set(versionIdsKey(ref, meta.etag), meta.versionId);
  }
}

/** Version ids learned per object and ETag, at most (oldest forgotten first): about 100 bytes each. */
const MAX_LEARNED_VERSION_IDS = 100_000;

const stripQuotes = (etag: string | undefined): string => (etag ?? '').replace(/^"|"$/g, '');

function versionIdsKey(ref: Extract<ObjectRef, { kind: 's3' }>, etag: string): string {
  return `${ref.bucket}/${ref.key} ${etag}`;
}

/** S3 refuses ListObjectVersions (no s3:ListBucketVersions), or the store does not implement it. */
function cannotListVersions(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  return status === 403 || status === 501 || e.name === 'AccessDenied' || e.name === 'NotImplemented';
}

/**
 * The key a request's job is found by: the version's object id when the request names the version
 * (a versionId, or `version` from a listing), else the object's name, until the job resolves it.
 * S3's version id "null" (an object written while versioning was off) is not a version key: such an
 * object is known by its ETag.
 */
function requestKey(ref: ObjectRef, version?: string): string {
  if (ref.kind === 's3' && ref.versionId && ref.versionId !== 'null') return versionKey(objectId(ref, ref.versionId));
  if (version) return versionKey(objectId(ref, version));
  return `name ${describeRef(ref)}`;
}

/** The job key of a version (by its object id); never equal to a name's, whatever the key holds. */
function versionKey(id: string): string {
  return `version ${id}`;
}
