/**
 * The ingest ledger: the compacted progress topic read with read_committed into a map of object id →
 * latest progress. Every instance reads all of it, so a version committed anywhere is known
 * everywhere; a `done` entry makes later triggers for that version no-ops.
 */
import crypto from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../system/logging';
import { decodeProgress, type ObjectProgress } from './progress';

export class Ledger {
  private readonly entries = new Map<string, ObjectProgress>();
  /** Next offset to read, per partition, as far as the consumer has processed. */
  private readonly positions = new Map<number, number>();
  private consumer: Consumer | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly log: Logger,
  ) {}

  /** Starts reading the topic from the beginning; resolves once the consumer runs. */
  async start(): Promise<void> {
    // A group of its own: every instance must read every partition; nothing is committed.
    const consumer = this.kafka.consumer({ groupId: `logpipe-ledger-${crypto.randomUUID()}`, readUncommitted: false, maxWaitTimeInMs: 100 });
    this.consumer = consumer;
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
        const progress = decodeProgress(message.value);
        if (progress) this.entries.set(progress.id, progress);
      },
    });
  }

  get(id: string): ObjectProgress | undefined {
    return this.entries.get(id);
  }

  /** Records progress committed by this process, so it is known before the consumer reads it back. */
  remember(progress: ObjectProgress): void {
    const known = this.entries.get(progress.id);
    if (!known || known.status !== 'done') this.entries.set(progress.id, progress);
  }

  /**
   * Resolves once everything committed to the topic before this call has been read. Used after a
   * producer has fenced older writers of an object, so the object's latest progress is known.
   */
  async syncToEnd(admin: { fetchTopicOffsets(topic: string): Promise<Array<{ partition: number; offset: string }>> }, timeoutMs = 60_000): Promise<void> {
    const targets = (await admin.fetchTopicOffsets(this.topic)).map((o) => ({ partition: o.partition, offset: Number(o.offset) }));
    const done = (): boolean => targets.every((t) => t.offset === 0 || (this.positions.get(t.partition) ?? 0) >= t.offset);
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw Object.assign(new Error(`ledger: ${this.topic} not read to its end within ${timeoutMs} ms`), { retriable: true });
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
    this.log.debug('ledger read to end', { topic: this.topic, objects: this.entries.size });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }
}
