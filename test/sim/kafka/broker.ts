/**
 * An in-memory single-node Kafka broker: topics and partition logs, the transaction coordinator,
 * the group coordinator, Fetch and ListOffsets (latest, and by timestamp) with both isolation levels. Requests are plain
 * method calls; the clients (client.ts) carry them over the simulated network (World.request).
 * Its own timers (transaction timeouts, session expiry, rebalance timeouts) belong to no process.
 */
import { currentOwner } from '../runtime/clock';
import type { World } from '../runtime/world';
import { protocolError } from './errors';
import { GroupCoordinator } from './groups';
import { type NewRecord, PartitionLog, type ReadResult } from './log';
import { TransactionCoordinator } from './transactions';

export interface TopicSpec {
  topic: string;
  numPartitions?: number;
  configEntries?: Array<{ name: string; value: string }>;
}

interface Topic {
  name: string;
  partitions: PartitionLog[];
  config: Record<string, string>;
}

const TXN_CHECK_INTERVAL_MS = 10_000;
const SESSION_CHECK_INTERVAL_MS = 1_000;

export class FakeBroker {
  private readonly topics = new Map<string, Topic>();
  readonly txns: TransactionCoordinator;
  readonly groups: GroupCoordinator;
  /** Fetches waiting for records (long poll), woken by any append. */
  private readonly pollers = new Set<() => void>();

  constructor(readonly world: World) {
    this.txns = new TransactionCoordinator({
      now: () => world.now,
      partition: (t, p) => this.partition(t, p),
      later: (label, fn) => world.later(label, fn),
      commitGroupOffsets: (groupId, offsets) => this.groups.commitOffsets(groupId, offsets),
      trace: (line) => world.trace(line),
    });
    this.groups = new GroupCoordinator({
      now: () => world.now,
      partitionsOf: (topic) => this.topics.get(topic)?.partitions.length ?? 0,
      timer: (ms, fn) => this.timer(ms, fn),
      trace: (line) => world.trace(line),
    });
    this.every(TXN_CHECK_INTERVAL_MS, () => this.txns.expire());
    this.every(SESSION_CHECK_INTERVAL_MS, () => this.groups.expireSessions());
  }

  /** CreateTopics: false when every topic existed already (kafkajs's answer). */
  createTopics(specs: TopicSpec[]): boolean {
    let created = false;
    for (const s of specs) {
      if (this.topics.has(s.topic)) continue;
      const log = (): PartitionLog => {
        const l = new PartitionLog();
        l.onAppend = () => this.wakePollers();
        return l;
      };
      this.topics.set(s.topic, { name: s.topic, partitions: Array.from({ length: s.numPartitions ?? 1 }, log), config: Object.fromEntries((s.configEntries ?? []).map((e) => [e.name, e.value])) });
      created = true;
    }
    return created;
  }

  topicNames(): string[] {
    return [...this.topics.keys()];
  }

  partitionCount(topic: string): number {
    const t = this.topics.get(topic);
    if (!t) throw protocolError('UNKNOWN_TOPIC_OR_PARTITION');
    return t.partitions.length;
  }

  partition(topic: string, partition: number): PartitionLog {
    const p = this.topics.get(topic)?.partitions[partition];
    if (!p) throw protocolError('UNKNOWN_TOPIC_OR_PARTITION');
    return p;
  }

  /** Produce, one record batch per partition. Transactional batches are checked against the coordinator. */
  produce(
    producer: { transactionalId?: string; producerId: number; producerEpoch: number },
    perPartition: Array<{ topic: string; partition: number; records: Array<Omit<NewRecord, 'producerId' | 'producerEpoch' | 'transactional'>> }>,
  ): Array<{ topic: string; partition: number; baseOffset: number }> {
    const tid = producer.transactionalId;
    for (const p of perPartition) {
      this.partition(p.topic, p.partition);
      if (tid !== undefined) this.txns.checkProduce(tid, producer.producerId, producer.producerEpoch, p.topic, p.partition);
    }
    return perPartition.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      baseOffset: this.partition(p.topic, p.partition).append(
        p.records.map((r) => ({ ...r, producerId: producer.producerId, producerEpoch: producer.producerEpoch, transactional: tid !== undefined })),
      ),
    }));
  }

  /** Fetch from one partition (see PartitionLog.read). */
  fetch(topic: string, partition: number, offset: number, readCommitted: boolean, maxBatches?: number): ReadResult {
    return this.partition(topic, partition).read(offset, readCommitted, maxBatches);
  }

  /** ListOffsets latest: the last stable offset for read_committed (kafkajs's admin), the high watermark otherwise. */
  latestOffset(topic: string, partition: number, readCommitted: boolean): number {
    const p = this.partition(topic, partition);
    return readCommitted ? p.lastStableOffset : p.highWatermark;
  }

  /**
   * ListOffsets by timestamp (offsets-for-times): the earliest offset whose record timestamp is at
   * or after `timestampMs`, whatever came before it in time order (records need not be appended in
   * time order), transaction markers and aborted records included as on a real broker; -1 when
   * there is none below the isolation level's limit (a real broker answers no offset, and kafkajs's
   * admin then substitutes that limit). Timestamps are the producer's (CreateTime, the producing
   * process's clock) on data records and the coordinator's on markers.
   */
  offsetForTimestamp(topic: string, partition: number, timestampMs: number, readCommitted: boolean): number {
    const p = this.partition(topic, partition);
    const limit = readCommitted ? p.lastStableOffset : p.highWatermark;
    for (let i = 0; i < limit; i++) if (Number(p.records[i].timestamp) >= timestampMs) return i;
    return -1;
  }

  /** Resolves at the next append anywhere, or after `ms` of broker time (a long poll). */
  waitForRecords(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.pollers.delete(done);
        cancel();
        resolve();
      };
      const cancel = this.timer(ms, done);
      this.pollers.add(done);
    });
  }

  private wakePollers(): void {
    for (const p of [...this.pollers]) p();
  }

  /** A broker timer: it belongs to no process, so it fires whatever happens to the clients. */
  private timer(ms: number, fn: () => void): () => void {
    const handle = currentOwner.exit(() => this.world.clock.setTimeout(fn, ms));
    return () => this.world.clock.clear(handle);
  }

  private every(ms: number, fn: () => void): void {
    currentOwner.exit(() => this.world.clock.setInterval(fn, ms));
  }
}
