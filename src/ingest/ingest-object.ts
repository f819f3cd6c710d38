/**
 * Ingests one object version end to end: ledger check, fencing producer, resume point, fetch →
 * split/parse/batch → transactional commits, and the dead-letter path. The actors call this with
 * their clients; `logpipe ingest` calls it directly.
 */
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from '../system/logging';
import { isTransient, PermanentError, reasonOf, backoffMs } from './errors';
import { fetchObject, type FetchOptions, type ObjectStore } from './fetcher';
import type { Ledger } from './ledger';
import { describeRef, type ObjectMeta, type ObjectRef, objectId, transactionalIdFor } from './object-ref';
import type { ObjectProgress } from './progress';
import { ObjectPublisher, type PublisherTopics } from './publisher';
import { type Batch, LineStreamer, type StreamerOptions } from './streamer';

export interface IngestDeps {
  kafka: Kafka;
  /** A connected admin client (offsets for the ledger sync). */
  admin: Admin;
  ledger: Ledger;
  store: ObjectStore;
  topics: PublisherTopics;
  transactionalIdPrefix: string;
  streamer: StreamerOptions;
  fetch: FetchOptions;
  log: Logger;
  now?: () => number;
}

export interface IngestOutcome {
  id: string;
  object: string;
  status: 'ingested' | 'duplicate' | 'dead-letter';
  lines: number;
  entries: number;
  records: number;
  /** Decompressed bytes committed (from the object's start). */
  bytes: number;
  /** Whether this run continued an earlier, interrupted one. */
  resumed: boolean;
  reason?: string;
  seconds: number;
}

export interface IngestHooks {
  /** After each committed batch: bytes committed so far and the object's (compressed) size. */
  onProgress?(committed: { bytes: number; lines: number; records: number }, meta: ObjectMeta): void;
  /** Called once the object's metadata is known. */
  onStart?(meta: ObjectMeta): void;
}

/**
 * Resolves with the outcome: ingested, a duplicate (already ingested or dead-lettered), or
 * dead-lettered with the reason. Rejects only for failures a retry can fix (Kafka unreachable,
 * fenced by another instance): the object's committed progress stays, and a new call resumes it.
 */
export async function ingestObject(ref: ObjectRef, deps: IngestDeps, hooks: IngestHooks = {}): Promise<IngestOutcome> {
  const started = Date.now();
  const now = deps.now ?? Date.now;
  const log = deps.log.child({ object: describeRef(ref) });
  const seconds = (): number => (Date.now() - started) / 1000;

  let meta: ObjectMeta;
  try {
    meta = await withRetry(() => deps.store.head(ref), deps.fetch.retryBudgetMs, log);
  } catch (err) {
    if (isTransient(err)) throw err;
    return deadLetterWithoutMeta(ref, deps, reasonOf(err), seconds());
  }
  hooks.onStart?.(meta);

  const known = deps.ledger.get(meta.id);
  if (known && known.status !== 'in-progress') return outcomeOf(meta, known, 'duplicate', false, seconds());

  const publisher = await ObjectPublisher.open(deps.kafka, transactionalIdFor(deps.transactionalIdPrefix, meta.id), deps.topics);
  try {
    // Fenced now: whatever an earlier writer committed is final. Read it before going on.
    await deps.ledger.syncToEnd(deps.admin);
    const committed = deps.ledger.get(meta.id);
    if (committed && committed.status !== 'in-progress') return outcomeOf(meta, committed, 'duplicate', false, seconds());
    const resumed = committed !== undefined;
    if (resumed) log.info('resuming object', { byteOffset: committed.byteOffset, lines: committed.lines });

    let last: ObjectProgress | undefined = committed;
    const headers: Record<string, string> =
      ref.kind === 's3' ? { bucket: ref.bucket, key: ref.key, version: meta.version } : { path: meta.name, version: meta.version };
    const progressOf = (batch: Batch): ObjectProgress => ({
      id: meta.id,
      status: batch.last ? 'done' : 'in-progress',
      byteOffset: batch.byteOffset,
      lines: batch.lines,
      entries: batch.entries,
      records: (last?.records ?? 0) + batch.records.length,
      parser: batch.parser,
      updatedAt: new Date(now()).toISOString(),
    });
    const streamer = new LineStreamer(
      { source: meta.name, headers, name: meta.name, lastModifiedMs: meta.lastModifiedMs, now },
      deps.streamer,
      async (batch) => {
        const progress = progressOf(batch);
        await publisher.commit(batch.records, progress);
        deps.ledger.remember(progress);
        last = progress;
        hooks.onProgress?.({ bytes: progress.byteOffset, lines: progress.lines, records: progress.records }, meta);
      },
      committed ? { byteOffset: committed.byteOffset, lines: committed.lines, entries: committed.entries, parser: committed.parser } : undefined,
    );

    try {
      await fetchObject(deps.store, ref, meta, committed?.byteOffset ?? 0, (chunk) => streamer.push(chunk), {
        ...deps.fetch,
        onRetry: (attempt, delayMs, error) => log.warn('read failed, retrying', { attempt, delayMs, error: reasonOf(error) }),
      });
      await streamer.end();
    } catch (err) {
      if (!(err instanceof PermanentError)) throw err;
      const progress: ObjectProgress = {
        ...(last ?? { id: meta.id, byteOffset: 0, lines: 0, entries: 0, records: 0, parser: { format: undefined, dayMs: 0, lastTodMs: -1, lastTimeMs: 0, lines: 0 } }),
        status: 'dead-letter',
        reason: err.reason,
        updatedAt: new Date(now()).toISOString(),
      };
      await publisher.deadLetter(progress, { object: describeRef(ref), version: meta.version });
      deps.ledger.remember(progress);
      log.warn('object dead-lettered', { reason: err.reason, linesCommitted: progress.lines });
      return outcomeOf(meta, progress, 'dead-letter', resumed, seconds());
    }
    return outcomeOf(meta, last!, 'ingested', resumed, seconds());
  } finally {
    await publisher.close().catch(() => undefined);
  }
}

function outcomeOf(meta: ObjectMeta, p: ObjectProgress, status: IngestOutcome['status'], resumed: boolean, seconds: number): IngestOutcome {
  return {
    id: meta.id,
    object: meta.name,
    status,
    lines: p.lines,
    entries: p.entries,
    records: p.records,
    bytes: p.byteOffset,
    resumed,
    ...(p.reason ? { reason: p.reason } : {}),
    seconds,
  };
}

/** An object whose metadata cannot be read (NoSuchKey, AccessDenied): dead-lettered under its name. */
async function deadLetterWithoutMeta(ref: ObjectRef, deps: IngestDeps, reason: string, seconds: number): Promise<IngestOutcome> {
  const id = objectId(ref, 'unreadable');
  const progress: ObjectProgress = {
    id,
    status: 'dead-letter',
    byteOffset: 0,
    lines: 0,
    entries: 0,
    records: 0,
    parser: { format: undefined, dayMs: 0, lastTodMs: -1, lastTimeMs: 0, lines: 0 },
    reason,
    updatedAt: new Date().toISOString(),
  };
  const publisher = await ObjectPublisher.open(deps.kafka, transactionalIdFor(deps.transactionalIdPrefix, id), deps.topics);
  try {
    await publisher.deadLetter(progress, { object: describeRef(ref) });
  } finally {
    await publisher.close().catch(() => undefined);
  }
  deps.log.warn('object dead-lettered', { object: describeRef(ref), reason });
  return { id, object: describeRef(ref), status: 'dead-letter', lines: 0, entries: 0, records: 0, bytes: 0, resumed: false, reason, seconds };
}

async function withRetry<T>(fn: () => Promise<T>, budgetMs: number, log: Logger): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err) || Date.now() - started > budgetMs) throw err;
      const delay = backoffMs(attempt);
      log.warn('request failed, retrying', { attempt: attempt + 1, delayMs: delay, error: reasonOf(err) });
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
