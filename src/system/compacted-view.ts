/**
 * An in-memory view of a compacted Kafka topic: every record read with read_committed from the
 * beginning, the latest value per key kept (a null value deletes the key). Every process reads all
 * of it in a consumer group of its own (nothing committed), so what one instance commits is known to
 * all. Used for the ingest ledger and the report stage's state changelog.
 */
import crypto from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { ALWAYS_RESTART } from './clients';
import type { Logger } from './logging';

export interface OffsetsAdmin {
  fetchTopicOffsets(topic: string): Promise<Array<{ partition: number; offset: string }>>;
}

export class CompactedTopicView<T> {
  protected readonly entries = new Map<string, T>();
  /** Next offset to read, per partition, as far as the consumer has processed. */
  private readonly positions = new Map<number, number>();
  private consumer: Consumer | undefined;
  private readonly waiters = new Set<() => void>();

  /**
   * @param decode the value of a record, or undefined to ignore the record (it is logged); null
   *   values (tombstones) delete their key without calling it.
   */
  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
    protected readonly log: Logger,
    private readonly decode: (key: string, value: Buffer) => T | undefined,
    private readonly groupPrefix: string,
  ) {}

  /** Starts reading the topic from the beginning; resolves once the consumer runs. */
  async start(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: `${this.groupPrefix}-${crypto.randomUUID()}`, readUncommitted: false, maxWaitTimeInMs: 100, ...ALWAYS_RESTART });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => this.log.error('compacted-topic reader crashed; it rejoins after a backoff', { topic: this.topic, error: payload.error?.message }));
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      // Also fired for batches of transaction markers only, which carry no message.
      this.positions.set(payload.partition, Number(payload.lastOffset) + 1);
      for (const wake of this.waiters) wake();
    });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const key = message.key?.toString() ?? '';
        if (message.value === null) {
          this.entries.delete(key);
          return;
        }
        const value = this.decode(key, message.value);
        if (value === undefined) this.log.warn('ignoring an unreadable record', { topic: this.topic, key });
        else this.entries.set(key, value);
      },
    });
  }

  get(key: string): T | undefined {
    return this.entries.get(key);
  }

  /** Records a value this process committed, so it is known before the consumer reads it back. */
  set(key: string, value: T): void {
    this.entries.set(key, value);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Resolves once everything committed to the topic before this call has been read. Used after a
   * producer has fenced older writers, so their last commits are known.
   */
  async syncToEnd(admin: OffsetsAdmin, timeoutMs = 60_000): Promise<void> {
    const targets = (await admin.fetchTopicOffsets(this.topic)).map((o) => ({ partition: o.partition, offset: Number(o.offset) }));
    const done = (): boolean => targets.every((t) => t.offset === 0 || (this.positions.get(t.partition) ?? 0) >= t.offset);
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw Object.assign(new Error(`${this.topic} not read to its end within ${timeoutMs} ms`), { retriable: true });
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, 200);
        this.waiters.add(wake);
      });
    }
    this.log.debug('compacted topic read to its end', { topic: this.topic, keys: this.entries.size });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }
}
