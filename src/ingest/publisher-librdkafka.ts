/**
 * ObjectPublisher's contract on librdkafka (kafka.client librdkafka), through the binding's own
 * API: records are queued with produce() (no promise, no encoder of ours per record) and the
 * transaction's commit flushes them. Same guarantees as publisher.ts: a transactional, idempotent
 * producer (acks=all) per object version, its records and progress in one transaction, fencing of
 * any older producer of the version before its state is read, a fenced producer failing without
 * writing.
 */
import type { Message } from 'kafkajs';
import { encodeProgress, type ObjectProgress } from './progress';
import { deadLetterValue, PublisherSpentError, type PublisherTopics, type VersionPublisher } from './publisher';
import { fromLibrdkafka, KeyBuffers, librdkafkaCall, type LibrdkafkaGlobalConfig, type LibrdkafkaModule, type LibrdkafkaProducer, toLibrdkafkaHeaders } from '../system/kafka/librdkafka';

export interface LibrdkafkaPublisherOptions {
  /** The transaction timeout the broker enforces (transaction.timeout.ms). */
  transactionTimeoutMs?: number;
  /**
   * Bytes of one record batch (librdkafka's batch.size and message.max.bytes): the log topic's
   * budget from ensureIngestTopics, as ObjectPublisher's maxRequestBytes. A record larger than it is
   * refused (MSG_SIZE_TOO_LARGE, permanent), as the broker would refuse it from kafkajs.
   */
  maxRequestBytes?: number;
  /** How long initTransactions and commitTransaction may take (default 60 s, or the transaction timeout if longer). */
  operationTimeoutMs?: number;
}

/** librdkafka's bounds of message.max.bytes. */
const MESSAGE_MAX_BYTES = { min: 1000, max: 1_000_000_000 };
/** The request size when no budget is given (tests, tools): the broker's socket.request.max.bytes is 100 MiB. */
const DEFAULT_MESSAGE_MAX_BYTES = 64 << 20;
/** linger.ms of the publisher's producer (librdkafkaProducerConfig). */
export const LINGER_MS = 100;

/**
 * The producer's configuration on top of the connection's (librdkafkaGlobalConfig): transactions,
 * idempotence, acks from all in-sync replicas, the Java client's partitioner (what kafkajs's
 * DefaultPartitioner computes, so a source's records land on the same partition with either client),
 * and batches bounded by the log topic's budget. No delivery reports: commitTransaction fails when
 * any record of the transaction was not delivered, which is all the publisher needs.
 */
export function librdkafkaProducerConfig(connection: LibrdkafkaGlobalConfig, transactionalId: string, options: LibrdkafkaPublisherOptions = {}): LibrdkafkaGlobalConfig {
  const budget = options.maxRequestBytes;
  if (budget !== undefined && !(budget > 0)) throw new RangeError(`maxRequestBytes must be > 0, got ${budget}`);
  const bytes = budget === undefined || !Number.isFinite(budget) ? DEFAULT_MESSAGE_MAX_BYTES : Math.floor(budget);
  const messageMaxBytes = Math.min(Math.max(bytes, MESSAGE_MAX_BYTES.min), MESSAGE_MAX_BYTES.max);
  return {
    ...connection,
    'transactional.id': transactionalId,
    'enable.idempotence': true,
    acks: -1,
    'transaction.timeout.ms': options.transactionTimeoutMs ?? 60_000,
    partitioner: 'murmur2_random',
    'message.max.bytes': messageMaxBytes,
    'batch.size': Math.min(messageMaxBytes, bytes),
    // Room for a whole batch of ingest.batchMaxRecords (default 10,000) and more; a full queue is
    // waited out (produceAll), not an error.
    'queue.buffering.max.messages': 1_000_000,
    // No record is visible before its transaction commits, and the commit sends whatever is queued
    // at once (it does not wait out linger.ms), so lingering costs no latency: it only lets
    // librdkafka fill its batches (batch.size, batch.num.messages) instead of sending 5 ms slivers
    // of a transaction (its default). Measured: about 5 % less CPU per line; 0 ms cost 25 % more
    // (docs/benchmarks.md, "Ingest throughput").
    'linger.ms': LINGER_MS,
    dr_cb: false,
  };
}

/** librdkafka's code for a full local queue (RD_KAFKA_RESP_ERR__QUEUE_FULL). */
const QUEUE_FULL = -184;

export class LibrdkafkaObjectPublisher implements VersionPublisher {
  /** Whether initTransactions has succeeded (the id is ours; older producers are fenced). */
  private initialised = false;
  /** Set by a failed transaction: every later write fails (VersionPublisher). */
  private spent = false;
  private readonly keys = new KeyBuffers();

  private constructor(
    private readonly producer: LibrdkafkaProducer,
    private readonly transactionalId: string,
    private readonly topics: PublisherTopics,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Connects a transactional producer for `transactionalId` on `connection` (librdkafkaConfigFor).
   * Connecting does not fence anything: initTransactions runs at fence() or the first transaction.
   * Rejects with a classified error (fromLibrdkafka) when it cannot connect.
   */
  static async open(rdkafka: LibrdkafkaModule, connection: LibrdkafkaGlobalConfig, transactionalId: string, topics: PublisherTopics, options: LibrdkafkaPublisherOptions = {}, onClient?: (producer: LibrdkafkaProducer) => void): Promise<LibrdkafkaObjectPublisher> {
    const config = librdkafkaProducerConfig(connection, transactionalId, options);
    const producer = new rdkafka.Producer(config);
    onClient?.(producer);
    try {
      await librdkafkaCall('connect the producer', (cb) => producer.connect({}, cb));
    } catch (err) {
      // Its threads would keep trying the brokers otherwise.
      await librdkafkaCall('disconnect the producer', (cb) => producer.disconnect(cb)).catch(() => undefined);
      throw err;
    }
    const timeoutMs = Math.max(options.operationTimeoutMs ?? 60_000, options.transactionTimeoutMs ?? 0);
    return new LibrdkafkaObjectPublisher(producer, transactionalId, topics, timeoutMs);
  }

  /**
   * Takes the transactional id over: initTransactions fences any older producer holding it (its
   * next produce or commit fails, fatal) and waits until the broker has completed that producer's
   * open transaction; then a barrier, the tombstone `barrierKey` on the progress topic, commits in
   * a transaction of its own (CompactedTopicView.syncThrough waits to read it back).
   */
  async fence(barrierKey: string): Promise<void> {
    await this.transaction('commit the barrier', () => this.produce(this.topics.progress, barrierKey, null));
  }

  /**
   * Commits `records` and `progress` atomically, the records in their order; on failure the
   * transaction is aborted and the error thrown. Empties `records` once all are queued: produce()
   * copies each record's key, value and headers into librdkafka's queue, and a batch's JS records
   * (a third of those alive in an ingest) would otherwise live until the commit returns: 5–10 MiB
   * off the peak RSS (docs/benchmarks.md, "Ingest memory"). A failed transaction does not need
   * them: the publisher is spent and the version resumes from its last commit.
   */
  async commit(records: Message[], progress: ObjectProgress): Promise<void> {
    await this.transaction('commit a batch', async () => {
      await this.produceAll(records);
      records.length = 0;
      await this.produce(this.topics.progress, progress.id, encodeProgress(progress));
    });
  }

  /** Records a permanent failure: a dead-letter record with the reason and the object's final progress. */
  async deadLetter(progress: ObjectProgress, details: Record<string, string>): Promise<void> {
    await this.transaction('commit a dead letter', async () => {
      await this.produce(this.topics.deadLetter, progress.id, Buffer.from(deadLetterValue(progress, details)));
      await this.produce(this.topics.progress, progress.id, encodeProgress(progress));
    });
  }

  async close(): Promise<void> {
    await librdkafkaCall('disconnect the producer', (cb) => this.producer.disconnect(cb));
  }

  /** One transaction around `body`: initialised first if needed, committed, or aborted and the error thrown (classified). */
  private async transaction(action: string, body: () => Promise<void>): Promise<void> {
    if (this.spent) throw new PublisherSpentError(this.transactionalId);
    try {
      await this.transactionOnce(action, body);
    } catch (err) {
      this.spent = true;
      throw err;
    }
  }

  private async transactionOnce(action: string, body: () => Promise<void>): Promise<void> {
    if (!this.initialised) {
      await librdkafkaCall('initialise the transactional id', (cb) => this.producer.initTransactions(this.timeoutMs, cb));
      this.initialised = true;
    }
    await librdkafkaCall('begin a transaction', (cb) => this.producer.beginTransaction(cb));
    try {
      await body();
      await librdkafkaCall(action, (cb) => this.producer.commitTransaction(this.timeoutMs, cb));
    } catch (err) {
      // A fenced or otherwise fatal producer cannot abort; its transaction is the broker's to abort.
      await librdkafkaCall('abort the transaction', (cb) => this.producer.abortTransaction(this.timeoutMs, cb)).catch(() => undefined);
      throw fromLibrdkafka(err, action);
    }
  }

  /** Queues the log records in order, waiting out a full local queue. */
  private async produceAll(records: Message[]): Promise<void> {
    const topic = this.topics.log;
    const producer = this.producer;
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      const value = r.value == null ? null : typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      const key = this.keys.of(r.key);
      const partition = r.partition ?? null;
      const timestamp = r.timestamp === undefined ? null : Number(r.timestamp);
      const headers = toLibrdkafkaHeaders(r.headers);
      try {
        producer.produce(topic, partition, value, key, timestamp, undefined, headers);
      } catch (err) {
        if ((err as { code?: number }).code !== QUEUE_FULL) throw err;
        await this.drain();
        i--; // the same record again
      }
    }
  }

  /** Queues one record (a progress, a dead letter, a barrier), waiting out a full local queue once. */
  private async produce(topic: string, key: string, value: Buffer | null): Promise<void> {
    const keyBytes = Buffer.from(key, 'utf8');
    try {
      this.producer.produce(topic, null, value, keyBytes, null, undefined);
    } catch (err) {
      if ((err as { code?: number }).code !== QUEUE_FULL) throw err;
      await this.drain();
      this.producer.produce(topic, null, value, keyBytes, null, undefined);
    }
  }

  /** Waits until what is queued has been sent (within the transaction: nothing is committed). */
  private drain(): Promise<void> {
    return librdkafkaCall('send the queued records', (cb) => this.producer.flush(this.timeoutMs, cb));
  }
}
