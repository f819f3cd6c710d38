/**
 * An in-memory view of a compacted Kafka topic: every record read with read_committed from the
 * beginning, the latest value per key kept (a null value deletes the key). Every process reads all
 * of it in a consumer group of its own (nothing committed), so what one instance commits is known to
 * all. Used for the ingest ledger and the report stage's state changelog.
 */
import crypto from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { ALWAYS_RESTART } from './clients';
import type { Logger } from './logging';
import { SupervisedConsumer } from './supervised-consumer';

export interface OffsetsAdmin {
  fetchTopicOffsets(topic: string): Promise<Array<{ partition: number; offset: string }>>;
}

export interface CompactedViewOptions {
  /**
   * The keys this view holds. Records of other keys are skipped without being decoded: for a topic
   * shared by many owners (the report state of every group and log topic), whose other records
   * this process never reads. Default: every key.
   */
  keep?: (key: string) => boolean;
}

export class CompactedTopicView<T> {
  protected readonly entries = new Map<string, T>();
  /** Per key, the last value set() with its bytes: when the consumer reads those bytes back, they are not decoded again. */
  private readonly written = new Map<string, { bytes: Buffer; value: T }>();
  /** Next offset to read, per partition, as far as the consumer has processed. */
  private readonly positions = new Map<number, number>();
  private consumer: SupervisedConsumer | undefined;
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
    private readonly options: CompactedViewOptions = {},
  ) {}

  /** Starts reading the topic from the beginning; resolves once the consumer runs. */
  async start(): Promise<void> {
    const groupId = `${this.groupPrefix}-${crypto.randomUUID()}`;
    this.consumer = new SupervisedConsumer({
      name: `compacted-topic reader (${this.topic})`,
      log: this.log,
      create: () => this.kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 100, ...ALWAYS_RESTART }),
      setup: async (consumer) => {
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
            if (this.options.keep && !this.options.keep(key)) return;
            if (message.value === null) {
              this.entries.delete(key);
              return;
            }
            const own = this.written.get(key);
            if (own && own.bytes.equals(message.value)) {
              // This process's own commit, read back: its value is known, and decoding large report
              // state records again cost a third of the report stage's CPU (docs/benchmarks.md).
              this.written.delete(key);
              this.entries.set(key, own.value);
              return;
            }
            const value = this.decode(key, message.value);
            if (value === undefined) this.log.warn('ignoring an unreadable record', { topic: this.topic, key });
            else this.entries.set(key, value);
          },
        });
        // Nothing is committed, so a replacement instance would start at the beginning again and
        // briefly hand out older values (and syncToEnd would trust positions it has not reached):
        // it continues where the previous instance stopped instead.
        for (const [partition, offset] of this.positions) consumer.seek({ topic: this.topic, partition, offset: String(offset) });
      },
    });
    await this.consumer.start();
  }

  get(key: string): T | undefined {
    return this.entries.get(key);
  }

  /**
   * Records a value this process committed, so it is known before the consumer reads it back.
   * `bytes`, the record's value exactly as committed, spares decoding it when it is read back.
   */
  set(key: string, value: T, bytes?: Buffer): void {
    this.entries.set(key, value);
    if (bytes) this.written.set(key, { bytes, value });
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
    await this.consumer?.stop();
    this.consumer = undefined;
  }
}
