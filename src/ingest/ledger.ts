/**
 * The ingest ledger: the compacted progress topic read with read_committed into a map of object id →
 * latest progress. Every instance reads it from the same horizon on (options.horizonMs; all of it
 * without one), so a version committed anywhere is known everywhere; a `done` entry makes later
 * triggers for that version no-ops. A version modified before the horizon may have its entry in
 * the part not read: recall() reads that part for it (docs/ingest.md, "Ledger horizon").
 *
 * A reader that only ever asks inProgress(logTopic, since) (the report stage: since = now −
 * report.ingestStallMs) may read from since − CLOCK_SKEW_MS at its start (horizonMs = the stall),
 * and its later answers are the whole topic's, because:
 * - every progress record is stamped (its Kafka timestamp) no earlier than its `updatedAt` minus
 *   the skew. Both come from the committing process: `updatedAt` from its clock when it makes the
 *   record (LineStreamerActor, KafkaPublisherActor.begin, FileFetcherActor), the timestamp from the
 *   same clock later, when the client encodes the produce request (kafkajs; librdkafka at
 *   produce(); CreateTime: neither publisher sets one). CLOCK_SKEW_MS covers what may put the
 *   timestamp earlier: that clock stepping back between the two, or a topic set to LogAppendTime
 *   (the broker's clock stamps it);
 * - offsets-for-times begins each partition at the earliest offset stamped at or after the
 *   horizon, so every record before it is stamped earlier. If an object's latest record lies
 *   there, its updatedAt is below horizon + skew = start − stall, so inProgress(since) leaves it
 *   out for every since ≥ start − stall, whatever the record says; if its latest record lies in
 *   the part read, the view holds exactly that record, as it would from the beginning;
 * - later answers are for later `since` (the clock the reader asks with, the one the horizon was
 *   taken from, only moves on; stepping back counts against the skew), so nothing before the
 *   start's horizon can matter later either.
 * A full ledger's get() is not covered by this: a `done` record older than any horizon still
 * decides (see horizonMs and recall()).
 */
import crypto from 'node:crypto';
import { NEVER_RESTART } from '../system/kafka/clients';
import type { KafkaPort } from '../system/kafka/port';
import { CompactedTopicView } from '../system/kafka/compacted-view';
import type { Logger } from '../system/observability/logging';
import { ledgerReadFromMs, readsAllOf } from './horizon';
import { parseObjectId } from './object-ref';
import { decodeProgress, encodeProgress, type ObjectProgress } from './progress';

export interface LedgerOptions {
  /**
   * Hold only objects in progress: get() answers undefined for a done or dead-lettered object. For
   * readers that need inProgress() only (the report stage): the topic keeps a done record for every
   * object version ever ingested (that is what makes later triggers no-ops), so a full ledger's
   * memory and inProgress() scans grow with history; this one's follow the objects in progress.
   */
  inProgressOnly?: boolean;
  /** See CompactedViewOptions.compactionAdvice. */
  compactionAdvice?: boolean;
  /**
   * Read the topic from this long before the ledger is made (minus CLOCK_SKEW_MS), not from its
   * beginning: ingest.ledgerHorizonMs for the ingest (holdsAllOf and recall() answer for what lies
   * before), report.ingestStallMs for a reader that asks inProgress(since ≥ now − it) only (see
   * the class comment). 0 or absent: the whole topic.
   */
  horizonMs?: number;
  /** The clock the horizon counts from (for inProgress(), the one `since` is taken from); default Date.now. */
  now?: () => number;
}

export class Ledger extends CompactedTopicView<ObjectProgress> {
  /** The record timestamp the view began reading at; undefined: the topic's beginning. */
  readonly readFromMs: number | undefined;

  constructor(
    private readonly client: KafkaPort,
    topic: string,
    log: Logger,
    options: LedgerOptions = {},
  ) {
    const readFromMs = ledgerReadFromMs((options.now ?? Date.now)(), options.horizonMs ?? 0);
    // Progress records are keyed by their object id.
    super(client, topic, log, (_key, value) => decodeProgress(value), 'logpipe-ledger', {
      ...(options.inProgressOnly ? { retain: (p: ObjectProgress) => p.status === 'in-progress' } : {}),
      ...(options.compactionAdvice === undefined ? {} : { compactionAdvice: options.compactionAdvice }),
      ...(readFromMs === undefined ? {} : { fromTimestampMs: readFromMs }),
    });
    this.readFromMs = readFromMs;
  }

  /**
   * Whether get() is the whole ledger's answer for a version last modified at `lastModifiedMs`
   * (undefined: not known), once the view has read up to a barrier: every record of such a version
   * lies in the part read. When false and get() answers undefined, ask recall().
   */
  holdsAllOf(lastModifiedMs: number | undefined): boolean {
    return this.readFromMs === undefined || (lastModifiedMs !== undefined && readsAllOf(this.readFromMs, lastModifiedMs));
  }

  /**
   * The latest committed progress of `id` in the whole topic, for a version the view holds nothing
   * of because its records may lie in the part skipped (below startOffsets()); held from now on
   * when the view still holds nothing of `id` (a record read since is newer and wins). Resolves
   * with get(id) afterwards. Reads the topic from its beginning to its current end, not only the
   * part skipped: a tombstone written since (an operator's re-ingest, docs/operations.md) is newer
   * than the record it deletes, and the view forgets a tombstone once read. A consumer of its own,
   * read_committed, nothing decoded but `id`'s records: about 15–24 s per million records on the
   * loaded development machine, so for the rare version older than the horizon, never per
   * listing. Call it after syncThrough, as the version's fenced writer: no record of `id` can then
   * be committed behind its back. Rejects (retriable) when not read within `timeoutMs`.
   */
  async recall(id: string, timeoutMs = 300_000): Promise<ObjectProgress | undefined> {
    if (this.get(id) !== undefined || this.startOffsets().size === 0) return this.get(id);
    const t0 = Date.now();
    const found = await latestOf(this.client, this.topic, id, timeoutMs);
    if (found !== undefined && this.get(id) === undefined) this.entries.set(id, found);
    this.log.info('ledger recalled a version older than its horizon', { id, found: found?.status ?? null, seconds: (Date.now() - t0) / 1000 });
    return this.get(id);
  }

  /** Records progress committed by this process, so it is known before the consumer reads it back. */
  remember(progress: ObjectProgress): void {
    const known = this.get(progress.id);
    if (!known || known.status !== 'done') this.set(progress.id, progress, encodeProgress(progress));
  }

  /**
   * The objects of `logTopic` in progress whose last commit is not older than `sinceMs` (epoch ms), by
   * their record key (the source: an S3 key or a file path), with that commit's time.
   */
  inProgress(logTopic: string, sinceMs: number): Map<string, number> {
    const out = new Map<string, number>();
    const prefix = `${logTopic} `;
    for (const [id, p] of this.entries) {
      if (p.status !== 'in-progress' || !id.startsWith(prefix)) continue;
      const at = Date.parse(p.updatedAt);
      if (!(at >= sinceMs)) continue;
      const source = sourceOf(id.slice(prefix.length));
      if (source !== undefined) out.set(source, Math.max(at, out.get(source) ?? at));
    }
    return out;
  }
}

/** The record key of an object id (objectId: `s3://bucket/key#version` or `file://path#version`). */
export function sourceOf(objectId: string): string | undefined {
  const parts = parseObjectId(objectId);
  return parts?.key ?? parts?.path;
}

/**
 * The latest committed progress record of `key` in `topic` up to its last stable offsets when
 * asked, reading from the beginning with read_committed in a consumer group of its own. Undefined
 * when there is none or the latest is a tombstone.
 */
async function latestOf(kafka: KafkaPort, topic: string, key: string, timeoutMs: number): Promise<ObjectProgress | undefined> {
  const wanted = Buffer.from(key);
  // The ends: kafkajs's admin asks ListOffsets read_committed (the last stable offsets). A
  // partition whose records below its end are all gone (deleted, or none) has nothing to read.
  const admin = kafka.admin();
  await admin.connect();
  const low = new Map<number, number>();
  const ends = new Map<number, number>();
  try {
    for (const o of await admin.fetchTopicOffsets(topic)) {
      low.set(o.partition, Number(o.low));
      ends.set(o.partition, Number(o.offset));
    }
  } finally {
    await admin.disconnect();
  }
  const pending = new Set([...ends].filter(([p, end]) => end > (low.get(p) ?? 0)).map(([p]) => p));
  if (pending.size === 0) return undefined;
  let latest: Buffer | null = null;
  const consumer = kafka.consumer({ groupId: `logpipe-ledger-recall-${crypto.randomUUID()}`, readUncommitted: false, maxWaitTimeInMs: 100, ...NEVER_RESTART });
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`${topic} not read to its end for ${key} within ${timeoutMs} ms`), { retriable: true })), timeoutMs);
      // Also fired for batches of transaction markers only, which carry no message.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (Number(payload.lastOffset) + 1 >= (ends.get(payload.partition) ?? 0)) pending.delete(payload.partition);
        if (pending.size === 0) resolve();
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition) ?? 0;
            for (const m of batch.messages) if (Number(m.offset) < end && m.key?.equals(wanted)) latest = m.value;
          },
        })
        .catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
  return decodeProgress(latest);
}
