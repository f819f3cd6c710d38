/**
 * FileFetcherActor: ingests one object version at a time per call: reads its metadata, skips a
 * version already ingested, takes it over on the publisher (fencing other writers), streams its
 * decompressed bytes to the LineStreamerActor from the committed offset, and dead-letters it on a
 * permanent failure. Transient read failures are retried inside fetchObject (Range resume).
 *
 * Messages: resolve(ref) → the version a request names (its metadata), for the watcher to key its
 * jobs by; ingest(ref, meta?) → IngestOutcome, rejecting only when a retry can help (e.g. Kafka
 * down): the committed progress stays and the next attempt resumes from it; abandon(ref, reason,
 * meta?); known(id) → the ledger's progress of an object version; activity() → the objects being
 * ingested with their committed progress; metrics() → this process's metrics as JSON (a forked
 * worker's, for /metrics); stop().
 *
 * One ingest per version at a time: the streamer and the publisher key their state by version, so a
 * second ingest (or dead-letter) of a version this process is working on waits until the first has
 * finished, and then usually finds it done. The watcher already merges such requests; this is the
 * defense in depth.
 *
 * The fetcher is the root of the ingest worker, a child of the S3WatcherActor (which supervises
 * it): it creates and supervises its LineStreamerActor, which creates and supervises its
 * KafkaPublisherActor, both in-memory, so the three share a process whatever mode the fetcher runs
 * in (ingest.workerMode). Byte chunks and record batches then never cross a process boundary, where
 * comedy would serialise every Buffer as JSON; only object references and outcomes do. The fetcher
 * talks to its streamer only: the ledger's messages (known, claim, deadLetter, finish) pass through
 * the streamer to the publisher.
 */
import type { Actor } from 'comedy';
import { isRetriable, PermanentError, reasonOf } from '../system/errors/errors';
import { RetriesExhaustedError, retry } from '../system/errors/retry';
import { fetchObject, FileStore, type FetchOptions, type ObjectStore, S3Store } from '../ingest/fetcher';
import { limitHeapGrowth } from '../ingest/heap';
import { describeRef, ledgerKey, type ObjectMeta, type ObjectRef, objectId } from '../ingest/object-ref';
import type { ObjectProgress } from '../ingest/progress';
import { type SourceChoice, sourceRules } from '../ingest/source-rules';
import type { FormatName } from '../model/formats';
import { actorContext, type ActorParameters, createSupervisedChild } from './actor-context';
import { createS3 } from '../system/kafka/clients';
import type { Logger } from '../system/observability/logging';
import { Metrics, type MetricsSnapshot } from '../system/observability/metrics';
import type { StreamedObject } from './line-streamer-actor';

export interface IngestOutcome {
  id: string;
  object: string;
  status: 'ingested' | 'duplicate' | 'dead-letter';
  lines: number;
  entries: number;
  records: number;
  /** Decompressed bytes committed, from the object's start. */
  bytes: number;
  /** Whether this run continued an interrupted one. */
  resumed: boolean;
  /** The format that read the object (the detected one under `auto`), from its committed progress; absent before any line was read. */
  format?: FormatName;
  reason?: string;
  seconds: number;
}

/** An object being ingested, as activity() reports it (plain data: it crosses process boundaries). */
export interface RunningObject {
  /** The version's ledger key (ledgerKey of its object id). */
  id: string;
  /** The object as the request named it (describeRef). */
  object: string;
  /** Lines and decompressed bytes committed so far (from the object's start). */
  lines: number;
  bytes: number;
  /** Decompressed size when known: the object's size unless it is gzip (unknown until read). */
  totalBytes: number | null;
  startedAt: string;
}

/** The actor the fetcher talks to, as it uses it (its supervised child, or a plain object in tests). */
export interface FetcherPorts {
  streamer: {
    sendAndReceive(topic: 'known', id: string): Promise<ObjectProgress | undefined>;
    sendAndReceive(topic: 'claim', id: string, lastModifiedMs?: number): Promise<ObjectProgress | undefined>;
    sendAndReceive(topic: 'begin', object: StreamedObject): Promise<void>;
    sendAndReceive(topic: 'chunk', id: string, bytes: Buffer): Promise<void>;
    sendAndReceive(topic: 'end', id: string): Promise<ObjectProgress | undefined>;
    sendAndReceive(topic: 'abort', id: string): Promise<ObjectProgress | undefined>;
    sendAndReceive(topic: 'deadLetter', id: string, progress: ObjectProgress, details: Record<string, string>): Promise<void>;
    sendAndReceive(topic: 'finish', id: string): Promise<void>;
  };
}

export interface FetcherDeps extends FetcherPorts {
  /** The log topic: an object version is ingested once per topic. */
  topic: string;
  stores: { s3?: ObjectStore; file: ObjectStore };
  fetch: FetchOptions;
  log: Logger;
  now?: () => number;
  /**
   * The parser options of an object by its key (S3 key or absolute file path), from parser.sources;
   * absent: every object is read with the streamer's own options.
   */
  parserFor?: (key: string) => SourceChoice;
  /** Read retries are counted here; a registry of its own if absent. */
  metrics?: Metrics;
  /** Tests only: see ActorParameters.faults. */
  faults?: ActorParameters['faults'];
}

const NO_PARSER_STATE = { format: undefined, dayMs: 0, lastTodMs: -1, lastTimeMs: 0, lines: 0 };

/**
 * What resolve() found: the version a request names, or why it cannot be read (a permanent failure:
 * missing bucket, key or version, access denied; ingesting it dead-letters it with this reason).
 */
export type Resolution = { meta: ObjectMeta } | { reason: string };

/** Thrown into an ingest when the service shuts down; the object resumes from its progress later. */
export class ShutdownError extends Error {
  constructor() {
    super('ingest stopped: the service is shutting down');
    this.name = 'ShutdownError';
  }
}

export default class FileFetcherActor {
  private deps!: FetcherDeps;
  private s3Client: { destroy(): void } | undefined;
  private stopping = false;
  private meters!: Metrics;
  /** Versions past their dedupe check, by ledger key: what activity() reports. */
  private readonly running = new Map<string, { object: string; totalBytes: number | null; startedMs: number }>();
  /** The last ingest or dead-letter queued per ledger key; it settles once the version is free. */
  private readonly busy = new Map<string, Promise<void>>();

  private streamerChild: { destroy(): Promise<void> } | undefined;

  /** comedy entry point: creates and supervises the streamer (which creates the publisher). */
  async initialize(self: Actor): Promise<void> {
    const params = self.getCustomParameters() as ActorParameters;
    const { config, root, logger } = actorContext(params, 'FileFetcherActor');
    // This actor's process is the one that ingests (the service's, or the forked worker's).
    const heapFlag = limitHeapGrowth(config.ingest.heapGrowingPercent);
    if (heapFlag) logger.debug('heap growth limited', { flag: heapFlag });
    // A forked worker has no metrics handed in: its own registry, with its process's metrics apart
    // from the service's (the service merges them into GET /metrics).
    const metrics = params.metrics ?? new Metrics(config.ingest.workerMode === 'forked' ? { defaultMetricsPrefix: 'logpipe_worker_' } : {});
    const streamer = await createSupervisedChild(self, 'line-streamer-actor', {
      childConfig: { mode: 'in-memory', customParameters: { ...params, logger: root, refs: {}, metrics } },
      inProcess: true,
      config,
      log: logger,
    });
    this.streamerChild = streamer;
    const s3 = createS3(config);
    this.s3Client = s3;
    this.init({
      topic: params.topic,
      streamer: streamer as unknown as FetcherPorts['streamer'],
      stores: { s3: new S3Store(s3), file: new FileStore() },
      fetch: { maxDecompressedBytes: config.ingest.maxDecompressedBytes, retryBudgetMs: config.ingest.retryBudgetMs },
      log: logger,
      metrics,
      parserFor: sourceRules(config.parser),
      ...(params.faults ? { faults: params.faults } : {}),
    });
  }

  init(deps: FetcherDeps): void {
    this.deps = deps;
    this.meters = deps.metrics ?? new Metrics();
  }

  /**
   * Stops reading: every running ingest ends at its next chunk with a ShutdownError, after its
   * committed batches; what was not committed is read again when the object resumes.
   */
  stop(): void {
    this.stopping = true;
  }

  /** comedy destroys the children (streamer, publisher) before this runs; their supervisor must not restart them. */
  async destroy(): Promise<void> {
    this.stopping = true;
    await this.streamerChild?.destroy();
    this.s3Client?.destroy();
  }

  /** Peak resident memory of the worker's process (another process than the caller's when forked). */
  usage(): { pid: number; peakRssBytes: number } {
    return { pid: process.pid, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
  }

  /** The ledger's progress of an object version (ledgerKey), for the watcher's dedupe and progress bars. */
  known(id: string): Promise<ObjectProgress | undefined> {
    return this.deps.streamer.sendAndReceive('known', id);
  }

  /** The objects being ingested and what of each is committed (the ledger's view; for the dashboard). */
  activity(): Promise<RunningObject[]> {
    return Promise.all(
      [...this.running].map(async ([id, r]) => {
        const p = await this.deps.streamer.sendAndReceive('known', id).catch(() => undefined);
        return { id, object: r.object, lines: p?.lines ?? 0, bytes: p?.byteOffset ?? 0, totalBytes: r.totalBytes, startedAt: new Date(r.startedMs).toISOString() };
      }),
    );
  }

  /** This process's metrics as JSON; the service asks a forked worker for them on GET /metrics. */
  metrics(): Promise<MetricsSnapshot> {
    return this.meters.registry.getMetricsAsJSON();
  }

  /**
   * The version `ref` names now: the one it names, or the current one (HEAD, transient failures
   * retried for ingest.retryBudgetMs). Resolves with `{ reason }` when it cannot be read for good;
   * rejects when a retry later can help.
   */
  async resolve(ref: ObjectRef): Promise<Resolution> {
    const store = this.storeOf(ref);
    const log = this.deps.log.child({ object: describeRef(ref) });
    try {
      return { meta: await headWithRetry(store, ref, this.deps.fetch.retryBudgetMs, log, () => this.meters.readRetries.inc({ operation: 'head' })) };
    } catch (err) {
      if (isRetriable(err)) throw err;
      return { reason: reasonOf(err) };
    }
  }

  /**
   * Ingests one version: `resolved` (what resolve() returned for `ref`), else the version `ref`
   * names now. Waits while this process ingests the same version already.
   */
  async ingest(ref: ObjectRef, resolved?: ObjectMeta | null): Promise<IngestOutcome> {
    const started = Date.now();
    const log = this.deps.log.child({ object: describeRef(ref) });
    const store = this.storeOf(ref);

    let head: ObjectMeta;
    if (resolved) head = resolved;
    else {
      try {
        head = await headWithRetry(store, ref, this.deps.fetch.retryBudgetMs, log, () => this.meters.readRetries.inc({ operation: 'head' }));
      } catch (err) {
        if (isRetriable(err)) throw err;
        const id = ledgerKey(this.deps.topic, objectId(ref, 'unreadable'));
        return this.exclusive(id, log, () => this.deadLetter(ref, id, reasonOf(err), started));
      }
    }
    const meta: ObjectMeta = { ...head, id: ledgerKey(this.deps.topic, head.id) };
    return this.exclusive(meta.id, log, () => this.ingestVersion(ref, meta, store, started, log));
  }

  private async ingestVersion(ref: ObjectRef, meta: ObjectMeta, store: ObjectStore, started: number, log: Logger): Promise<IngestOutcome> {
    const { streamer } = this.deps;
    const seconds = (): number => (Date.now() - started) / 1000;
    // A call that waited for another ingest of this version may wake up to a shutdown.
    if (this.stopping) throw new ShutdownError();
    const known = await streamer.sendAndReceive('known', meta.id);
    if (known && known.status !== 'in-progress') return outcome(meta, known, 'duplicate', false, seconds());

    const committed = await streamer.sendAndReceive('claim', meta.id, meta.lastModifiedMs);
    this.running.set(meta.id, { object: describeRef(ref), totalBytes: meta.gzipHint ? null : meta.size, startedMs: started });
    try {
      if (committed && committed.status !== 'in-progress') return outcome(meta, committed, 'duplicate', false, seconds());
      const resumed = committed !== undefined;
      if (resumed) log.info('resuming object', { byteOffset: committed.byteOffset, lines: committed.lines });
      // Provenance: one header, the object id (the ledger's and the dead letters' name for this
      // version). It replaced `bucket`, `key`/`path` and `version`: one header instead of three saves
      // 16 % of ingest's CPU (docs/benchmarks.md, "Provenance headers"); provenanceOf reads both.
      const headers: Record<string, string> = { object: objectId(ref.kind === 's3' ? ref : { kind: 'file', path: meta.name }, meta.version) };
      // Chosen by the key alone, so a resumed version reads on with the options it started with.
      const choice = this.deps.parserFor?.(meta.name);
      await streamer.sendAndReceive('begin', {
        id: meta.id,
        context: { source: meta.name, headers, name: meta.name, lastModifiedMs: meta.lastModifiedMs, ...(choice ? { parser: choice.options } : {}) },
        resume: committed,
      });
      // Debug timestamps along one object (the latency breakdown of `npm run bench`): begun (HEAD,
      // claim, start record), first bytes (GetObject answered), read (every chunk parsed), then
      // `object ingested` once the last batch is committed.
      log.debug('object begun', { id: meta.id });
      let firstBytes = true;
      let last: ObjectProgress | undefined;
      try {
        await fetchObject(store, ref, meta, committed?.byteOffset ?? 0, (chunk) => {
          if (this.stopping) return Promise.reject(new ShutdownError());
          if (firstBytes) {
            firstBytes = false;
            log.debug('object first bytes', { id: meta.id });
          }
          this.deps.faults?.('fetcher.chunk', meta.id);
          return streamer.sendAndReceive('chunk', meta.id, chunk);
        }, {
          ...this.deps.fetch,
          onRetry: (attempt, delayMs, error) => {
            this.meters.readRetries.inc({ operation: 'read' });
            log.warn('read failed, retrying', { attempt, delayMs, error: reasonOf(error) });
          },
        });
        log.debug('object read', { id: meta.id });
        last = await streamer.sendAndReceive('end', meta.id);
      } catch (err) {
        const soFar = (await streamer.sendAndReceive('abort', meta.id)) ?? committed;
        if (!(err instanceof PermanentError)) throw err;
        const now = this.deps.now ?? Date.now;
        const progress: ObjectProgress = {
          ...(soFar ?? { id: meta.id, byteOffset: 0, lines: 0, entries: 0, records: 0, parser: NO_PARSER_STATE }),
          status: 'dead-letter',
          reason: err.reason,
          updatedAt: new Date(now()).toISOString(),
        };
        await streamer.sendAndReceive('deadLetter', meta.id, progress, { object: describeRef(ref), version: meta.version });
        return outcome(meta, progress, 'dead-letter', resumed, seconds());
      }
      if (!last) throw new Error(`object ${meta.id} ended without a committed batch`);
      // format: what read the object (auto's choice); sourceRule: the parser.sources rule that set its options.
      log.info('object ingested', {
        lines: last.lines,
        records: last.records,
        bytes: last.byteOffset,
        seconds: seconds(),
        format: last.parser?.format ?? null,
        ...(choice?.rule ? { sourceRule: choice.rule.match } : {}),
      });
      return outcome(meta, last, 'ingested', resumed, seconds());
    } finally {
      this.running.delete(meta.id);
      await streamer.sendAndReceive('finish', meta.id);
    }
  }

  /**
   * Gives an object up (the watcher's retries are exhausted): dead-letters the version `resolved`
   * names, else its current version, or the object under its name when even its metadata cannot be
   * read.
   */
  async abandon(ref: ObjectRef, reason: string, resolved?: ObjectMeta | null): Promise<IngestOutcome> {
    const store = ref.kind === 's3' ? this.deps.stores.s3 : this.deps.stores.file;
    const meta = resolved ?? (await store?.head(ref).catch(() => undefined));
    const id = ledgerKey(this.deps.topic, meta?.id ?? objectId(ref, 'unavailable'));
    return this.exclusive(id, this.deps.log.child({ object: describeRef(ref) }), () => this.deadLetter(ref, id, reason, Date.now()));
  }

  /**
   * Runs `work` on version `id` once no other ingest or dead-letter of it runs in this process
   * (whatever its outcome); later calls for the same version queue behind this one.
   */
  private async exclusive<T>(id: string, log: Logger, work: () => Promise<T>): Promise<T> {
    const before = this.busy.get(id);
    if (before) log.info('version already being ingested in this process; waiting for it', { id });
    const run = (before ?? Promise.resolve()).then(work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.busy.set(id, settled);
    try {
      return await run;
    } finally {
      if (this.busy.get(id) === settled) this.busy.delete(id);
    }
  }

  private storeOf(ref: ObjectRef): ObjectStore {
    const store = ref.kind === 's3' ? this.deps.stores.s3 : this.deps.stores.file;
    if (!store) throw new Error(`no store for ${ref.kind} objects`);
    return store;
  }

  private async deadLetter(ref: ObjectRef, id: string, reason: string, started: number): Promise<IngestOutcome> {
    const progress: ObjectProgress = { id, status: 'dead-letter', byteOffset: 0, lines: 0, entries: 0, records: 0, parser: NO_PARSER_STATE, reason, updatedAt: new Date().toISOString() };
    await this.deps.streamer.sendAndReceive('claim', id);
    try {
      await this.deps.streamer.sendAndReceive('deadLetter', id, progress, { object: describeRef(ref) });
    } finally {
      await this.deps.streamer.sendAndReceive('finish', id);
    }
    return { id, object: describeRef(ref), status: 'dead-letter', lines: 0, entries: 0, records: 0, bytes: 0, resumed: false, reason, seconds: (Date.now() - started) / 1000 };
  }
}

function outcome(meta: ObjectMeta, p: ObjectProgress, status: IngestOutcome['status'], resumed: boolean, seconds: number): IngestOutcome {
  const format = p.parser?.format;
  return { id: meta.id, object: meta.name, status, lines: p.lines, entries: p.entries, records: p.records, bytes: p.byteOffset, resumed, ...(format ? { format } : {}), ...(p.reason ? { reason: p.reason } : {}), seconds };
}

/** HEAD with transient failures retried for budgetMs; rejects with the last failure (retriable or not) when it gives up. */
async function headWithRetry(store: ObjectStore, ref: ObjectRef, budgetMs: number, log: Logger, onRetry: () => void): Promise<ObjectMeta> {
  return retry(() => store.head(ref), {
    budgetMs,
    retriable: isRetriable,
    onRetry: ({ attempt, delayMs, error }) => {
      onRetry();
      log.warn('metadata request failed, retrying', { attempt, delayMs, error: reasonOf(error) });
    },
  }).catch((err: unknown) => {
    throw err instanceof RetriesExhaustedError ? err.cause : err;
  });
}
