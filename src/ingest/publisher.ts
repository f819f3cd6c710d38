/**
 * Writes one object's batches to Kafka exactly once: a transactional, idempotent producer (acks=all)
 * whose transactional id is derived from the object version, so that the broker fences any other
 * process ingesting the same version. Each batch's records and the object's progress are one
 * transaction; a consumer reading read_committed sees every line once, whatever crashes.
 */
import type { Kafka, Message, Producer } from 'kafkajs';
import { createCachingPartitioner } from './partitioner';
import { encodeProgress, type ObjectProgress } from './progress';
import { commitBarrier } from '../system/kafka/compacted-view';
import { LogpipeError } from '../system/errors/errors';

/**
 * Most log records per produce request inside a transaction. kafkajs groups a request's records by
 * partition by copying the partition's array once per record, quadratic in the records of one
 * partition; and all records of an object go to one partition (one key). A batch of 10,000 records
 * sent in requests of 1,000 costs a tenth of that (docs/benchmarks.md, "Where the time goes").
 */
export const SEND_CHUNK_RECORDS = 1_000;

export interface PublisherOptions {
  /** The transaction timeout the broker enforces (transaction.timeout.ms). */
  transactionTimeoutMs?: number;
  /** Log records per produce request (see SEND_CHUNK_RECORDS). */
  sendChunkRecords?: number;
  /**
   * Bytes of log records per produce request, by recordBytesBound (default: no limit). A request's
   * records to one partition are one record batch, which the broker refuses (MESSAGE_TOO_LARGE) when
   * it exceeds the topic's max.message.bytes; ensureIngestTopics returns the budget for the log topic.
   * A record larger than the budget goes alone.
   */
  maxRequestBytes?: number;
}

/**
 * An upper bound of the bytes a record takes in a record batch: its value, its key and header values
 * (3 UTF-8 bytes per UTF-16 unit at most), header names and 16 bytes of varints per header, 64 for
 * the record's own fields. Cheap enough for every record: no encoding, no Buffer.byteLength.
 */
export function recordBytesBound(m: Message): number {
  const size = (v: Buffer | string | null | undefined): number => (v == null ? 0 : typeof v === 'string' ? v.length * 3 : v.length);
  let bytes = 64 + size(m.value) + size(m.key);
  const headers = m.headers;
  if (headers) {
    for (const name in headers) {
      const v = headers[name];
      // An array header is one header per value, each repeating the name.
      if (Array.isArray(v)) for (const one of v) bytes += name.length * 3 + 16 + size(one);
      else bytes += name.length * 3 + 16 + size(v as Buffer | string | undefined);
    }
  }
  return bytes;
}

/**
 * Where to cut `records` into produce requests: the end index of each request, in order. A request
 * holds at most `maxRecords` records and, unless it is a single record, at most `maxBytes` by
 * recordBytesBound. Empty for no records.
 */
export function requestEnds(records: Message[], maxRecords: number, maxBytes = Number.POSITIVE_INFINITY): number[] {
  const ends: number[] = [];
  let start = 0;
  let bytes = 0;
  const bounded = Number.isFinite(maxBytes);
  for (let i = 0; i < records.length; i++) {
    const b = bounded ? recordBytesBound(records[i]) : 0;
    if (i > start && (i - start >= maxRecords || bytes + b > maxBytes)) {
      ends.push(i);
      start = i;
      bytes = 0;
    }
    bytes += b;
  }
  if (records.length > start) ends.push(records.length);
  return ends;
}

export interface PublisherTopics {
  log: string;
  progress: string;
  deadLetter: string;
}

/**
 * What ingest needs of one object version's transactional writer, whichever Kafka client is under it
 * (kafka.client: ObjectPublisher on kafkajs, LibrdkafkaObjectPublisher on librdkafka). The contract
 * is ObjectPublisher's: fence() takes the transactional id over before anything is read, commit() and
 * deadLetter() are one transaction each (aborted and thrown on failure), a fenced writer fails and
 * writes nothing. After a failed transaction a publisher refuses every further write with a
 * PublisherSpentError: the caller takes the version over again with a new publisher (fence, read
 * the ledger), which is also the only safe way on: re-initialising the id in place could fence a
 * process that took the version over meanwhile, and kafkajs cannot go on in place (its idempotent
 * sequence numbers do not advance for a partition a failed request did write, so the broker drops
 * the next transaction's record there as a duplicate: lines committed without their progress).
 * commit() may empty its `records` array once they are handed to the client (the librdkafka
 * publisher does, so that a batch's records do not stay alive until its commit returns): a caller
 * reads what it needs of them before, never after.
 */
export interface VersionPublisher {
  fence(barrierKey: string): Promise<void>;
  commit(records: Message[], progress: ObjectProgress): Promise<void>;
  deadLetter(progress: ObjectProgress, details: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

/** The dead-letter record's value: the reason and the object's id and time, with the caller's details. */
export function deadLetterValue(progress: ObjectProgress, details: Record<string, string>): string {
  return JSON.stringify({ ...details, id: progress.id, reason: progress.reason, at: progress.updatedAt });
}

/** A write to a publisher whose earlier transaction failed (VersionPublisher); retriable through a new publisher. */
export class PublisherSpentError extends LogpipeError {
  constructor(readonly transactionalId: string) {
    super(`the producer of ${transactionalId} failed a transaction and writes no more; the version is taken over again by a new one`, { retriable: true });
    this.name = 'PublisherSpentError';
  }
}

export class ObjectPublisher implements VersionPublisher {
  /** Set by a failed transaction: every later write fails (VersionPublisher). */
  private spent = false;

  private constructor(
    private readonly producer: Producer,
    private readonly transactionalId: string,
    private readonly topics: PublisherTopics,
    private readonly sendChunkRecords: number,
    private readonly maxRequestBytes: number,
  ) {}

  /**
   * Connects a transactional producer for `transactionalId`. Connecting does not fence anything:
   * kafkajs initialises the id (InitProducerId) at the first transaction; call fence() before
   * reading the state this producer resumes from.
   */
  static async open(kafka: Kafka, transactionalId: string, topics: PublisherTopics, options: PublisherOptions = {}): Promise<ObjectPublisher> {
    const sendChunkRecords = options.sendChunkRecords ?? SEND_CHUNK_RECORDS;
    if (!Number.isSafeInteger(sendChunkRecords) || sendChunkRecords <= 0) throw new RangeError(`sendChunkRecords must be a whole number > 0, got ${sendChunkRecords}`);
    const maxRequestBytes = options.maxRequestBytes ?? Number.POSITIVE_INFINITY;
    if (!(maxRequestBytes > 0)) throw new RangeError(`maxRequestBytes must be > 0, got ${maxRequestBytes}`);
    const producer = kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: options.transactionTimeoutMs ?? 60_000,
      // The DefaultPartitioner's partitions, computed once per key rather than once per record.
      createPartitioner: createCachingPartitioner,
    });
    await producer.connect();
    return new ObjectPublisher(producer, transactionalId, topics, sendChunkRecords, maxRequestBytes);
  }

  /**
   * Takes the transactional id over: the first transaction initialises it, which fences any older
   * producer holding it (a crashed, paused or partitioned instance: its next send or commit fails)
   * and completes that producer's open transaction (the broker aborts it, or finishes a commit it
   * had started) before it answers. The transaction commits a barrier record, the tombstone
   * `barrierKey` on the progress topic, which CompactedTopicView.syncThrough waits to read back.
   */
  async fence(barrierKey: string): Promise<void> {
    await this.once(() => commitBarrier(this.producer, this.topics.progress, barrierKey));
  }

  /**
   * Commits `records` and `progress` atomically; on failure the transaction is aborted and the error
   * thrown. The records go in requests of at most sendChunkRecords and maxRequestBytes (requestEnds),
   * one after another (so their order within a partition holds), the progress record with the last;
   * all in one transaction.
   */
  async commit(records: Message[], progress: ObjectProgress): Promise<void> {
    await this.once(() => this.commitOnce(records, progress));
  }

  private async commitOnce(records: Message[], progress: ObjectProgress): Promise<void> {
    const tx = await this.producer.transaction();
    try {
      const ends = requestEnds(records, this.sendChunkRecords, this.maxRequestBytes);
      let from = 0;
      for (const end of ends.slice(0, -1)) {
        await tx.send({ acks: -1, topic: this.topics.log, messages: records.slice(from, end) });
        from = end;
      }
      const rest = from === 0 ? records : records.slice(from);
      await tx.sendBatch({
        acks: -1,
        topicMessages: [
          ...(rest.length ? [{ topic: this.topics.log, messages: rest }] : []),
          { topic: this.topics.progress, messages: [{ key: progress.id, value: encodeProgress(progress) }] },
        ],
      });
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => undefined);
      throw err;
    }
  }

  /** Records a permanent failure: a dead-letter record with the reason and the object's final progress. */
  async deadLetter(progress: ObjectProgress, details: Record<string, string>): Promise<void> {
    await this.once(() => this.deadLetterOnce(progress, details));
  }

  private async deadLetterOnce(progress: ObjectProgress, details: Record<string, string>): Promise<void> {
    const tx = await this.producer.transaction();
    try {
      await tx.sendBatch({
        acks: -1,
        topicMessages: [
          { topic: this.topics.deadLetter, messages: [{ key: progress.id, value: deadLetterValue(progress, details) }] },
          { topic: this.topics.progress, messages: [{ key: progress.id, value: encodeProgress(progress) }] },
        ],
      });
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }

  /** Runs one transaction unless an earlier one failed; a failure spends the publisher. */
  private async once(write: () => Promise<void>): Promise<void> {
    if (this.spent) throw new PublisherSpentError(this.transactionalId);
    try {
      await write();
    } catch (err) {
      this.spent = true;
      throw err;
    }
  }
}
