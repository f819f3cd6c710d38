/**
 * Writes one object's batches to Kafka exactly once: a transactional, idempotent producer (acks=all)
 * whose transactional id is derived from the object version, so that the broker fences any other
 * process ingesting the same version. Each batch's records and the object's progress are one
 * transaction; a consumer reading read_committed sees every line once, whatever crashes.
 */
import { type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';
import { encodeProgress, type ObjectProgress } from './progress';

export interface PublisherTopics {
  log: string;
  progress: string;
  deadLetter: string;
}

export class ObjectPublisher {
  private constructor(
    private readonly producer: Producer,
    private readonly topics: PublisherTopics,
  ) {}

  /**
   * Connects a transactional producer for `transactionalId`; connecting initialises the id, which
   * fences any older producer that still holds it (a crashed or slow instance).
   */
  static async open(kafka: Kafka, transactionalId: string, topics: PublisherTopics, transactionTimeoutMs = 60_000): Promise<ObjectPublisher> {
    const producer = kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: transactionTimeoutMs,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    return new ObjectPublisher(producer, topics);
  }

  /** Commits `records` and `progress` atomically; on failure the transaction is aborted and the error thrown. */
  async commit(records: Message[], progress: ObjectProgress): Promise<void> {
    const tx = await this.producer.transaction();
    try {
      await tx.sendBatch({
        acks: -1,
        topicMessages: [
          ...(records.length ? [{ topic: this.topics.log, messages: records }] : []),
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
    const tx = await this.producer.transaction();
    try {
      await tx.sendBatch({
        acks: -1,
        topicMessages: [
          { topic: this.topics.deadLetter, messages: [{ key: progress.id, value: JSON.stringify({ ...details, id: progress.id, reason: progress.reason, at: progress.updatedAt }) }] },
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
}
