/**
 * The Kafka port (port.ts) on librdkafka's own API (@confluentinc/kafka-javascript's node-rdkafka
 * style `KafkaConsumer` and `Producer`, not its KafkaJS-compatible layer, which makes a promise per
 * record): kafka.client = librdkafka. Consumers read batches with `consume(n)`; producers are
 * librdkafka's transactional producers; admin calls stay on kafkajs (`admin` below).
 *
 * How the kafkajs contract of port.ts is kept:
 * - read_committed, no offset commits or stores of the consumer's own (offsets go with transactions);
 * - a partition's records of one `consume(n)` call go to `eachBatch` together, in order; a batch from
 *   before the last rebalance is stale;
 * - END_BATCH_PROCESS after each batch, and with `batchSize` 0 when the consumer's position (which
 *   librdkafka moves past transaction markers and aborted records) went beyond the last record;
 * - GROUP_JOIN after each assignment (assigned in the rebalance callback, at the offsets seek() asked
 *   for, if any), REBALANCING at a revocation, HEARTBEAT when librdkafka's statistics show the group
 *   steady (see HeartbeatFromStats), CRASH (never restarted: SupervisedConsumer replaces the instance)
 *   when `consume` or `eachBatch` fails, STOP at disconnect;
 * - initTransactions (which fences the id's previous owner) runs at the first transaction, not at
 *   connect; sendOffsets passes the live consumer of the group (its group metadata: generation and
 *   member, so a zombie member's offsets are refused too).
 */
import type { Admin, ConsumerConfig, ConsumerRunConfig, EachBatchPayload, IHeaders, KafkaMessage, ProducerConfig } from 'kafkajs';
import type { Logger } from '../observability/logging';
import { forwardLibrdkafkaLogs, fromLibrdkafka, KeyBuffers, librdkafkaCall, toLibrdkafkaHeaders, type LibrdkafkaClient, type LibrdkafkaErrorLike, type LibrdkafkaGlobalConfig, type LibrdkafkaHeader, type LibrdkafkaModule, type LibrdkafkaProducer, type NodeCallback } from './librdkafka';
import { CONSUMER_EVENTS, type ConsumerPort, type KafkaPort, type ProducerPort, type TransactionPort } from './port';

type Config = LibrdkafkaGlobalConfig;

/** A record as the binding's consume() hands it out (its index.d.ts, Message). */
export interface LibrdkafkaMessage {
  topic: string;
  partition: number;
  offset: number;
  value: Buffer | null;
  size: number;
  key?: Buffer | string | null;
  timestamp?: number;
  headers?: LibrdkafkaHeader[];
}

interface TopicPartition {
  topic: string;
  partition: number;
  offset?: number;
}

/** The part of the binding's KafkaConsumer (lib/kafka-consumer.js) the port uses. */
interface RdConsumer extends LibrdkafkaClient {
  on(event: 'event.stats', listener: (stats: { message: string }) => void): this;
  on(event: 'partition.eof', listener: (eof: TopicPartition & { offset: number }) => void): this;
  on(event: 'event.log', listener: (log: { severity: number; fac: string; message: string }) => void): this;
  on(event: 'event.error', listener: (err: LibrdkafkaErrorLike) => void): this;
  on(event: 'ready' | 'disconnected', listener: (...args: unknown[]) => void): this;
  connect(options: Record<string, unknown>, cb: NodeCallback): void;
  subscribe(topics: string[]): this;
  assign(assignments: TopicPartition[]): this;
  unassign(): this;
  seek(toppar: TopicPartition & { offset: number }, timeoutMs: number, cb: NodeCallback): this;
  position(toppars: TopicPartition[]): Array<TopicPartition & { offset: number }>;
  setDefaultConsumeTimeout(timeoutMs: number): void;
  consume(count: number, cb: (err: LibrdkafkaErrorLike | null, messages: LibrdkafkaMessage[]) => void): void;
}

/** The binding's Producer with the transaction call the shared typing (librdkafka/api.ts) leaves out. */
interface RdProducer extends LibrdkafkaProducer {
  sendOffsetsToTransaction(offsets: Array<TopicPartition & { offset: number }>, consumer: RdConsumer, timeoutMs: number, cb: NodeCallback): void;
}
type RdMessage = LibrdkafkaMessage;

/** Records one `consume` call asks for at most (a batch of kafkajs's size at the bench's 117-byte lines is 8,000–9,000). */
export const CONSUME_BATCH = 5_000;

const EVENTS = CONSUMER_EVENTS;

type Listener = (event: { id: string; type: string; timestamp: number; payload: unknown }) => void;

const ERR_ASSIGN_PARTITIONS = -175;
const ERR_REVOKE_PARTITIONS = -174;

/** A failure of the binding as logpipe's error (retriable or not, fromLibrdkafka); anything else as an Error. */
function asError(err: unknown, action: string): Error {
  const e = fromLibrdkafka(err, action);
  return e instanceof Error ? e : new Error(String(e));
}

/** librdkafka's message as kafkajs's: offsets and timestamps as strings, headers as an object. */
export function toKafkaMessage(m: RdMessage): KafkaMessage {
  let headers: Record<string, Buffer> | undefined;
  if (m.headers) {
    headers = {};
    for (const h of m.headers) for (const k in h) headers[k] = Buffer.isBuffer(h[k]) ? (h[k] as Buffer) : Buffer.from(h[k] as string);
  }
  const key = m.key === undefined || m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(String(m.key));
  return { key, value: m.value, offset: String(m.offset), timestamp: String(m.timestamp ?? -1), attributes: 0, headers, size: m.size } as KafkaMessage;
}

/**
 * When the group is known to be healthy: librdkafka reports no heartbeat, only statistics (every
 * second here). HEARTBEAT is emitted when the group has been steady ('up', join state 'steady') over
 * statistics spanning more than a heartbeat interval with no gap: after a pause of the process (a gap
 * between two statistics), librdkafka sends its next heartbeat within an interval, and a failed one
 * leaves the steady state, so steadiness a full interval after the gap means a heartbeat succeeded.
 */
export class HeartbeatFromStats {
  private steadySince: number | undefined;
  private last: number | undefined;
  constructor(private readonly intervalMs: number, private readonly heartbeatIntervalMs: number) {}

  /** One statistics event at `nowMs`: whether it proves the membership. */
  observe(nowMs: number, state: string | undefined, joinState: string | undefined): boolean {
    const gap = this.last !== undefined && nowMs - this.last > 2 * this.intervalMs;
    this.last = nowMs;
    if (state !== 'up' || joinState !== 'steady' || gap) {
      this.steadySince = state === 'up' && joinState === 'steady' ? nowMs : undefined;
      return false;
    }
    this.steadySince ??= nowMs;
    return nowMs - this.steadySince > this.heartbeatIntervalMs;
  }
}

const STATS_INTERVAL_MS = 1_000;
/** How long a consumer that found nothing waits before it asks again (librdkafka keeps fetching meanwhile). */
const IDLE_POLL_MS = 20;
const HEARTBEAT_INTERVAL_MS = 3_000;

class RdConsumerPort {
  readonly events = EVENTS;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly consumer: RdConsumer;
  private topic: string | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  /**
   * Revocations so far. A batch is stale when one came while it was fetched: its partition may be
   * another member's now, and the assignment that follows resumes from the group's committed offsets,
   * so dropping it loses nothing. An assignment alone does not make a batch stale: the first batch
   * of a new assignment arrives in the consume call that served the assignment (counting those as
   * stale dropped the first 5,000 records of a partition for good, as the position had moved on).
   */
  private revocations = 0;
  private readonly seeks = new Map<number, number>();
  /** Next offset to report per partition (END_BATCH_PROCESS), this assignment. */
  private readonly reported = new Map<number, number>();
  private assigned: number[] = [];
  /** Partition ends reached by the consume call in hand (partition.eof), next offsets. */
  private readonly ends = new Map<number, number>();
  private readonly heartbeat = new HeartbeatFromStats(STATS_INTERVAL_MS, HEARTBEAT_INTERVAL_MS);

  constructor(
    rd: LibrdkafkaModule,
    global: Config,
    private readonly config: ConsumerConfig,
    private readonly registry: Map<string, RdConsumer>,
    log: Logger,
  ) {
    this.consumer = new rd.KafkaConsumer(
      {
        ...global,
        'group.id': config.groupId,
        'enable.auto.commit': false,
        'enable.auto.offset.store': false,
        'isolation.level': config.readUncommitted ? 'read_uncommitted' : 'read_committed',
        'session.timeout.ms': config.sessionTimeout ?? 30_000,
        'heartbeat.interval.ms': HEARTBEAT_INTERVAL_MS,
        'fetch.wait.max.ms': config.maxWaitTimeInMs ?? 500,
        'statistics.interval.ms': STATS_INTERVAL_MS,
        'partition.assignment.strategy': 'range',
        // The end of a partition, in order with its records: the only report of a read past an
        // aborted transaction at the end (position() stays at the last record handed out).
        'enable.partition.eof': true,
        rebalance_cb: (err: LibrdkafkaErrorLike, assignment: TopicPartition[]) => this.onRebalance(err, assignment),
      },
      // Every consumer of the port reads from the beginning where its group has no offset (subscribe).
      // A topic setting: the binding ignores it among the global ones.
      { 'auto.offset.reset': 'earliest' },
    ) as RdConsumer;
    forwardLibrdkafkaLogs(this.consumer, log);
    // consume() blocks a thread of libuv's pool (4 by default) for its whole timeout, and the stage
    // has four consumers: with the fetch wait as timeout they held the pool, and every transaction
    // call, file write and DNS lookup queued behind them (130 ms more per email settle). So consume
    // takes what is there and returns at once; an empty answer waits in JavaScript (IDLE_POLL_MS).
    this.consumer.setDefaultConsumeTimeout(0);
    // Emitted by consume() before its callback, so every end seen belongs to the call in hand.
    this.consumer.on('partition.eof', (e: TopicPartition & { offset: number }) => {
      if (e.topic === this.topic) this.ends.set(e.partition, Math.max(e.offset, this.ends.get(e.partition) ?? -1));
    });
    this.consumer.on('event.stats', (e: { message: string }) => {
      try {
        const cgrp = (JSON.parse(e.message) as { cgrp?: { state?: string; join_state?: string } }).cgrp;
        if (this.heartbeat.observe(Date.now(), cgrp?.state, cgrp?.join_state)) this.emit(EVENTS.HEARTBEAT, { groupId: this.config.groupId });
      } catch {
        // statistics are advice: an unreadable one proves nothing
      }
    });
  }

  on(event: string, listener: Listener): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  private emit(type: string, payload: unknown): void {
    for (const l of this.listeners.get(type) ?? []) l({ id: '', type, timestamp: Date.now(), payload });
  }

  private onRebalance(err: LibrdkafkaErrorLike, assignment: TopicPartition[]): void {
    this.reported.clear();
    try {
      if (err.code === ERR_ASSIGN_PARTITIONS) {
        this.consumer.assign(assignment.map((tp) => (this.seeks.has(tp.partition) ? { ...tp, offset: this.seeks.get(tp.partition)! } : tp)));
        this.assigned = assignment.filter((tp) => tp.topic === this.topic).map((tp) => tp.partition);
        this.emit(EVENTS.GROUP_JOIN, { groupId: this.config.groupId, memberAssignment: { [this.topic ?? '']: this.assigned } });
      } else if (err.code === ERR_REVOKE_PARTITIONS) {
        this.revocations++;
        this.assigned = [];
        this.emit(EVENTS.REBALANCING, { groupId: this.config.groupId });
        this.consumer.unassign();
      }
    } catch (e) {
      this.crash(asError(e, 'follow a rebalance'));
    }
  }

  async connect(): Promise<void> {
    await librdkafkaCall('connect a consumer', (cb) => this.consumer.connect({ timeout: 30_000 }, cb));
    this.registry.set(this.config.groupId, this.consumer);
  }

  async subscribe(s: { topic: string | RegExp; fromBeginning?: boolean } | { topics: Array<string | RegExp> }): Promise<void> {
    const topic = 'topic' in s ? s.topic : s.topics[0];
    if (typeof topic !== 'string') throw new Error('the librdkafka port subscribes to one named topic');
    // auto.offset.reset is a topic setting fixed at creation; every consumer of ours reads from the beginning.
    if ('fromBeginning' in s && s.fromBeginning === false) throw new Error('the librdkafka port reads from the beginning only');
    this.topic = topic;
    this.consumer.subscribe([topic]);
  }

  seek({ partition, offset }: { topic: string; partition: number; offset: string }): void {
    this.seeks.set(partition, Number(offset));
    if (this.assigned.includes(partition)) {
      this.consumer.seek({ topic: this.topic!, partition, offset: Number(offset) }, 0, () => undefined);
      this.reported.set(partition, Number(offset));
    }
  }

  async run(run: ConsumerRunConfig): Promise<void> {
    if (!run.eachBatch) throw new Error('the librdkafka port runs eachBatch only');
    this.running = true;
    this.loop = this.consume(run.eachBatch);
  }

  private consumeOnce(): Promise<RdMessage[]> {
    return new Promise((resolve, reject) => this.consumer.consume(CONSUME_BATCH, (err, messages) => (err ? reject(asError(err, 'consume')) : resolve(messages))));
  }

  private async consume(eachBatch: NonNullable<ConsumerRunConfig['eachBatch']>): Promise<void> {
    while (this.running) {
      try {
        const generation = this.revocations;
        this.ends.clear();
        const messages = await this.consumeOnce();
        if (!this.running) return;
        if (messages.length === 0 && this.ends.size === 0) {
          await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
          continue;
        }
        // One batch per partition, each in offset order (one call returns several partitions' runs).
        const byPartition = new Map<number, KafkaMessage[]>();
        for (const m of messages) {
          if (m.topic !== this.topic) continue;
          let list = byPartition.get(m.partition);
          if (!list) byPartition.set(m.partition, (list = []));
          list.push(toKafkaMessage(m));
        }
        // As kafkajs's, a batch's lastOffset covers the transaction markers read after its last record.
        const reached = this.reached();
        for (const [partition, list] of byPartition) {
          if (!this.running) return;
          const stale = (): boolean => generation !== this.revocations;
          if (stale()) break;
          const last = String(Math.max(Number(list[list.length - 1].offset), (reached.get(partition) ?? 0) - 1));
          const payload = {
            batch: { topic: this.topic!, partition, highWatermark: '-1', messages: list, isEmpty: () => false, firstOffset: () => list[0].offset, lastOffset: () => last, offsetLag: () => '0', offsetLagLow: () => '0' },
            resolveOffset: () => undefined,
            heartbeat: async () => undefined,
            pause: () => () => undefined,
            commitOffsetsIfNecessary: async () => undefined,
            uncommittedOffsets: () => ({ topics: [] }),
            isRunning: () => this.running,
            isStale: stale,
          } as unknown as EachBatchPayload;
          await eachBatch(payload);
          if (stale()) break;
          this.reported.set(partition, Number(last) + 1);
          this.emit(EVENTS.END_BATCH_PROCESS, { topic: this.topic, partition, batchSize: list.length, firstOffset: list[0].offset, lastOffset: last, highWatermark: '-1', offsetLag: '0', offsetLagLow: '0', duration: 0 });
        }
        if (generation === this.revocations) this.reportPositions(reached);
      } catch (err) {
        if (!this.running) return;
        this.crash(asError(err, 'consume'));
        return;
      }
    }
  }

  /**
   * How far each assigned partition has been read by the consume call in hand (next offsets): its
   * position or the end it reached, whichever is further. Every record below was handed out in
   * this call or before.
   */
  private reached(): Map<number, number> {
    const reached = new Map(this.ends);
    if (this.assigned.length === 0) return reached;
    for (const tp of this.consumer.position(this.assigned.map((partition) => ({ topic: this.topic!, partition })))) {
      if (typeof tp.offset === 'number' && tp.offset >= 0) reached.set(tp.partition, Math.max(tp.offset, reached.get(tp.partition) ?? -1));
    }
    return reached;
  }

  /** A partition read past its last record (markers, aborted records): END_BATCH_PROCESS with no record. */
  private reportPositions(reached: Map<number, number>): void {
    for (const [partition, offset] of reached) {
      if (!this.assigned.includes(partition) || offset <= (this.reported.get(partition) ?? 0)) continue;
      this.reported.set(partition, offset);
      this.emit(EVENTS.END_BATCH_PROCESS, { topic: this.topic, partition, batchSize: 0, firstOffset: String(offset - 1), lastOffset: String(offset - 1), highWatermark: '-1', offsetLag: '0', offsetLagLow: '0', duration: 0 });
    }
  }

  private crash(error: Error): void {
    this.running = false;
    this.emit(EVENTS.CRASH, { error, groupId: this.config.groupId, restart: false });
  }

  async disconnect(): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    await this.loop?.catch(() => undefined);
    if (this.registry.get(this.config.groupId) === this.consumer) this.registry.delete(this.config.groupId);
    if (this.consumer.isConnected()) await librdkafkaCall('disconnect a consumer', (cb) => this.consumer.disconnect(cb)).catch(() => undefined);
    if (wasRunning) this.emit(EVENTS.STOP, null);
  }

  /** The librdkafka consumer (for sendOffsetsToTransaction). */
  get client(): RdConsumer {
    return this.consumer;
  }
}

class RdTransaction implements TransactionPort {
  constructor(
    private readonly producer: RdProducer,
    private readonly registry: Map<string, RdConsumer>,
    private readonly timeoutMs: number,
  ) {}

  async send(record: { topic: string; messages: Array<{ key?: Buffer | string | null; value: Buffer | string | null; headers?: IHeaders; partition?: number; timestamp?: string }> }): Promise<never[]> {
    // Keys and header values NUL-safe (records.ts): the binding passes a string on as a C string,
    // which ends at its first NUL byte (a barrier key begins with one: it arrived empty).
    const keys = new KeyBuffers();
    for (const m of record.messages) {
      const value = m.value === null ? null : Buffer.isBuffer(m.value) ? m.value : Buffer.from(m.value);
      this.producer.produce(record.topic, m.partition ?? null, value, keys.of(m.key), m.timestamp === undefined ? null : Number(m.timestamp), undefined, toLibrdkafkaHeaders(m.headers));
    }
    // Delivery is confirmed by commitTransaction, which flushes and fails if any record failed.
    return [];
  }

  async sendOffsets({ consumerGroupId, topics }: { consumerGroupId: string; topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> }): Promise<void> {
    const consumer = this.registry.get(consumerGroupId);
    if (!consumer) throw Object.assign(new Error(`no consumer of group ${consumerGroupId} in this process: its offsets cannot go with the transaction`), { retriable: true });
    const offsets = topics.flatMap(({ topic, partitions }) => partitions.map(({ partition, offset }) => ({ topic, partition, offset: Number(offset) })));
    await librdkafkaCall('send offsets to the transaction', (cb) => this.producer.sendOffsetsToTransaction(offsets, consumer, this.timeoutMs, cb));
  }

  async commit(): Promise<void> {
    await librdkafkaCall('commit the transaction', (cb) => this.producer.commitTransaction(this.timeoutMs, cb));
  }

  async abort(): Promise<void> {
    await librdkafkaCall('abort the transaction', (cb) => this.producer.abortTransaction(this.timeoutMs, cb));
  }
}

class RdProducerPort implements ProducerPort {
  private readonly producer: RdProducer;
  private initialised = false;

  constructor(rd: LibrdkafkaModule, global: Config, config: ProducerConfig, private readonly registry: Map<string, RdConsumer>, private readonly timeoutMs: number, log: Logger) {
    if (!config.transactionalId) throw new Error('the librdkafka port makes transactional producers only');
    this.producer = new rd.Producer(
      {
        ...global,
        'transactional.id': config.transactionalId,
        'enable.idempotence': true,
        // kafkajs's DefaultPartitioner (Java's): a key lands on the same partition whichever client wrote it.
        partitioner: 'murmur2_random',
        'linger.ms': 5,
        // A transaction begun right after the previous commit gets CONCURRENT_TRANSACTIONS from the
        // coordinator until that commit's markers are written (a few ms); librdkafka retries it after
        // retry.backoff.ms, 100 ms by default, which made every one of the stage's back-to-back
        // transactions (an email settle each) take over 100 ms.
        'retry.backoff.ms': 10,
        ...(config.transactionTimeout ? { 'transaction.timeout.ms': config.transactionTimeout } : {}),
      },
      {},
    ) as RdProducer;
    forwardLibrdkafkaLogs(this.producer, log);
  }

  async connect(): Promise<void> {
    await librdkafkaCall('connect a transactional producer', (cb) => this.producer.connect({ timeout: 30_000 }, cb));
  }

  async transaction(): Promise<TransactionPort> {
    // Fencing happens here, at the first transaction (port.ts): takeOver may refuse before it.
    if (!this.initialised) {
      await librdkafkaCall('initialise transactions (fencing the previous owner)', (cb) => this.producer.initTransactions(this.timeoutMs, cb));
      this.initialised = true;
    }
    await librdkafkaCall('begin a transaction', (cb) => this.producer.beginTransaction(cb));
    return new RdTransaction(this.producer, this.registry, this.timeoutMs);
  }

  async disconnect(): Promise<void> {
    if (this.producer.isConnected()) await librdkafkaCall('disconnect a producer', (cb) => this.producer.disconnect(cb)).catch(() => undefined);
  }
}

/**
 * The port on librdkafka. `global`: librdkafka's global settings for the configured cluster
 * (bootstrap.servers, security, client.id); `admin`: the kafkajs admin the port hands out.
 * Consumers of one group id are one per port at a time (sendOffsets finds the group's consumer here).
 */
export function rdkafkaPort(rd: LibrdkafkaModule, global: Config, admin: () => Admin, log: Logger, o: { transactionTimeoutMs?: number } = {}): KafkaPort {
  const registry = new Map<string, RdConsumer>();
  const timeoutMs = o.transactionTimeoutMs ?? 30_000;
  return {
    consumer: (config) => new RdConsumerPort(rd, global, config, registry, log) as unknown as ConsumerPort,
    producer: (config) => new RdProducerPort(rd, global, config ?? {}, registry, timeoutMs, log),
    admin,
  };
}
