/**
 * kafkajs's consumer against the fake broker, following its runner and consumer group closely
 * where the code depends on them:
 * - run() joins the group and resolves; a failed join crashes the consumer instead of rejecting.
 * - The fetch loop: one Fetch for all assigned partitions from the resolved (or committed, or
 *   earliest/latest) offsets; each partition's batch is handled in turn: eachBatch / eachMessage,
 *   START_/END_BATCH_PROCESS around it, a heartbeat after it. A batch with only control or aborted
 *   records is not handed to the handler; kafkajs resolves it itself and emits the events, with
 *   lastOffset covering the markers.
 * - Heartbeats go out at most every heartbeatInterval, only from the fetch loop or the handler's
 *   heartbeat(): a busy or paused member is noticed late. A heartbeat that finds a rebalance
 *   throws; the loop rejoins, resolved offsets are forgotten, the next fetch starts from the
 *   group's committed offsets.
 * - Any other error from the loop (a handler's included) is retried with kafkajs's backoff from the
 *   same offsets; once retries run out, or for a non-retriable error, the consumer crashes: it
 *   leaves the group, emits CRASH (restart decided by retry.restartOnFailure, only for errors that
 *   are retriable at their root), and a restart is a new group instance: seeks are lost.
 * - seek() applies before the next fetch; isStale() is true for a batch whose partition has a
 *   seek pending.
 * Not modelled: pause/resume, commitOffsets/autoCommit, several brokers.
 */
import { EventEmitter } from 'node:events';
import { KafkaJSError, KafkaJSNonRetriableError } from 'kafkajs';
import type { ClientContext } from './client';
import { isProtocolError } from './errors';
import { FakeBatch, type FakeMessage } from './batch';
import { RETRY_DEFAULTS, withRetry, type RetryOptions } from './retry';
import { CONSUMER_EVENTS } from '../../../src/system/kafka/port';


export interface FakeConsumerConfig {
  groupId: string;
  readUncommitted?: boolean;
  maxWaitTimeInMs?: number;
  sessionTimeout?: number;
  rebalanceTimeout?: number;
  heartbeatInterval?: number;
  retry?: RetryOptions & { restartOnFailure?: (e: Error) => Promise<boolean> };
  maxBytes?: number;
  maxBytesPerPartition?: number;
  minBytes?: number;
  /**
   * The simulation's shortcut: an idle fetch waits for records up to this long (at least
   * maxWaitTimeInMs). kafkajs polls every maxWaitTimeInMs, but only heartbeats every
   * heartbeatInterval, so waiting up to that long changes nothing anyone observes and spares the
   * simulation most of an idle consumer's requests.
   */
  idleFetchMs?: number;
}


export interface RunConfig {
  autoCommit?: boolean;
  eachBatchAutoResolve?: boolean;
  partitionsConsumedConcurrently?: number;
  eachBatch?: (payload: EachBatchArgs) => Promise<void>;
  eachMessage?: (payload: { topic: string; partition: number; message: FakeMessage; heartbeat(): Promise<void>; pause(): () => void }) => Promise<void>;
}

export interface EachBatchArgs {
  batch: FakeBatch;
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  pause(): () => void;
  commitOffsetsIfNecessary(): Promise<void>;
  uncommittedOffsets(): unknown;
  isRunning(): boolean;
  isStale(): boolean;
}

const isRebalancing = (e: unknown): boolean => isProtocolError(e, 'REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION') || (e as { type?: string })?.type === 'NOT_COORDINATOR_FOR_GROUP';

let eventIds = 0;

export class FakeConsumer {
  readonly events = CONSUMER_EVENTS;
  private readonly emitter = new EventEmitter();
  private readonly topics = new Map<string, { fromBeginning: boolean }>();
  private runner: GroupRunner | undefined;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly ctx: ClientContext, private readonly config: FakeConsumerConfig) {
    this.emitter.setMaxListeners(0);
  }

  on(eventName: string, listener: (event: { id: number; type: string; timestamp: number; payload: never }) => unknown): () => void {
    if (!Object.values(CONSUMER_EVENTS).includes(eventName as never)) throw new KafkaJSNonRetriableError(`Event name should be one of ${Object.keys(CONSUMER_EVENTS).join(', ')}`);
    // kafkajs calls listeners synchronously, in order, when it emits; a listener's rejection is only logged.
    const wrapped = (event: { id: number; type: string; timestamp: number; payload: never }): void => {
      try {
        void Promise.resolve(listener(event)).catch(() => undefined);
      } catch {
        // logged by kafkajs, ignored
      }
    };
    this.emitter.on(eventName, wrapped);
    return () => this.emitter.off(eventName, wrapped);
  }

  emit(type: string, payload: unknown): void {
    this.emitter.emit(type, { id: ++eventIds, type, timestamp: Date.now(), payload: payload as never });
  }

  async connect(): Promise<void> {
    await this.ctx.request('Metadata (consumer)', () => undefined);
    this.emit(CONSUMER_EVENTS.CONNECT, {});
  }

  async subscribe(o: { topic?: string; topics?: string[]; fromBeginning?: boolean }): Promise<void> {
    const names = o.topics ?? (o.topic !== undefined ? [o.topic] : []);
    await this.ctx.request(`Metadata ${names.join(',')}`, () => names.forEach((t) => this.ctx.broker.partitionCount(t)));
    for (const t of names) this.topics.set(t, { fromBeginning: o.fromBeginning === true });
  }

  async run(config: RunConfig = {}): Promise<void> {
    if (this.runner) return;
    await this.start(config);
  }

  seek(o: { topic: string; partition: number; offset: string }): void {
    if (!this.runner) throw new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first');
    this.runner.seek(o.topic, o.partition, Number(o.offset));
  }

  async disconnect(): Promise<void> {
    try {
      await this.stop();
      await this.ctx.request('Disconnect (consumer)', () => undefined);
      this.emit(CONSUMER_EVENTS.DISCONNECT, {});
    } catch {
      // kafkajs swallows errors here
    }
  }

  async stop(): Promise<void> {
    const r = this.runner;
    if (r) {
      await r.stop();
      this.runner = undefined;
      this.emit(CONSUMER_EVENTS.STOP, {});
    }
    // kafkajs's stop() clears the restart timer, with or without a runner, before disconnect()
    // sends anything: a disconnect during an outage must not let a scheduled restart through.
    if (this.restartTimer) clearTimeout(this.restartTimer);
  }

  pause(): void {
    throw new Error('pause() is not modelled by the fake consumer');
  }

  resume(): void {
    throw new Error('resume() is not modelled by the fake consumer');
  }

  private async start(config: RunConfig): Promise<void> {
    const runner = new GroupRunner(this.ctx, this.config, this.topics, config, (type, payload) => this.emit(type, payload), (e) => this.onCrash(e, config));
    this.runner = runner;
    await runner.start();
  }

  private async onCrash(e: Error, config: RunConfig): Promise<void> {
    await this.disconnect();
    const root = rootCause(e) as { retriable?: boolean };
    const retriable = e.name === 'KafkaJSNumberOfRetriesExceeded' || root.retriable === true;
    const restartOnFailure = this.config.retry?.restartOnFailure;
    const restart = retriable && (!restartOnFailure || (await restartOnFailure(e).catch(() => true)));
    this.emit(CONSUMER_EVENTS.CRASH, { error: e, groupId: this.config.groupId, restart });
    this.ctx.world.trace(`${this.ctx.clientId} (${this.config.groupId}) crashed: ${e.message}${restart ? '; restarting' : ''}`);
    if (restart) {
      const retryTime = (e as { retryTime?: number }).retryTime || this.config.retry?.initialRetryTime || RETRY_DEFAULTS.initialRetryTime;
      this.restartTimer = setTimeout(() => void this.start(config), retryTime);
    }
  }
}

function rootCause(e: unknown): unknown {
  const c = (e as { cause?: unknown })?.cause;
  return c ? rootCause(c) : e;
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** kafkajs's ConsumerGroup and Runner for one run of a consumer (a crash-restart makes a new one). */
class GroupRunner {
  private memberId = '';
  private generationId = -1;
  private assigned: Array<{ topic: string; partitions: number[] }> = [];
  /** Next offset to fetch per partition, once resolved (or sought). */
  private resolved = new Map<string, number>();
  /** The group's committed offset per partition, fetched once per generation (-1: none, then the default). */
  private committed = new Map<string, number>();
  private readonly seeks = new Map<string, number>();
  private running = false;
  private consuming = false;
  private consumingStopped: Array<() => void> = [];
  private lastHeartbeatMs: number;
  private readonly readCommitted: boolean;
  private readonly maxWaitMs: number;
  private readonly heartbeatIntervalMs: number;

  constructor(
    private readonly ctx: ClientContext,
    private readonly config: FakeConsumerConfig,
    private readonly topics: Map<string, { fromBeginning: boolean }>,
    private readonly run: RunConfig,
    private readonly emit: (type: string, payload: unknown) => void,
    private readonly onCrash: (e: Error) => Promise<void>,
  ) {
    this.readCommitted = config.readUncommitted !== true;
    this.maxWaitMs = config.maxWaitTimeInMs ?? 5_000;
    this.heartbeatIntervalMs = config.heartbeatInterval ?? 3_000;
    this.lastHeartbeatMs = Date.now();
  }

  seek(topic: string, partition: number, offset: number): void {
    this.seeks.set(tpKey(topic, partition), offset);
  }

  async start(): Promise<void> {
    if (this.running) return;
    try {
      await this.ctx.request('Metadata (group)', () => undefined);
      await this.joinAndSync();
    } catch (e) {
      await this.onCrash(e as Error);
      return;
    }
    this.running = true;
    this.scheduleLoop();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    try {
      await this.waitForConsumer();
      if (this.memberId) {
        const memberId = this.memberId;
        await this.ctx.request(`LeaveGroup ${this.config.groupId}`, () => this.ctx.broker.groups.leave(this.config.groupId, memberId));
        this.memberId = '';
      }
    } catch {
      // kafkajs ignores errors while stopping
    }
  }

  private waitForConsumer(): Promise<void> {
    if (!this.consuming) return Promise.resolve();
    return new Promise<void>((resolve) => this.consumingStopped.push(resolve));
  }

  private setConsuming(v: boolean): void {
    this.consuming = v;
    if (!v) {
      const waiting = this.consumingStopped;
      this.consumingStopped = [];
      for (const w of waiting) w();
    }
  }

  private async joinAndSync(): Promise<void> {
    const started = Date.now();
    await withRetry(
      (ms) => this.ctx.sleep(ms),
      async (bail) => {
        try {
          const topics = [...this.topics.keys()];
          const memberId = this.memberId;
          const r = await this.ctx.request(`JoinGroup ${this.config.groupId}`, () =>
            this.ctx.broker.groups.join(this.config.groupId, memberId, this.ctx.clientId, topics, this.config.sessionTimeout ?? 30_000, this.config.rebalanceTimeout ?? 60_000),
          );
          this.memberId = r.memberId;
          this.generationId = r.generationId;
          this.assigned = Object.entries(r.assignment).map(([topic, partitions]) => ({ topic, partitions }));
          this.resolved = new Map();
          this.committed = new Map();
          this.lastHeartbeatMs = Date.now();
          this.emit(CONSUMER_EVENTS.GROUP_JOIN, {
            groupId: this.config.groupId,
            memberId: r.memberId,
            leaderId: r.leaderId,
            isLeader: r.leaderId === r.memberId,
            memberAssignment: r.assignment,
            groupProtocol: 'RoundRobinAssigner',
            duration: Date.now() - started,
          });
        } catch (e) {
          if (isRebalancing(e)) throw new KafkaJSError(e as Error);
          if (isProtocolError(e, 'UNKNOWN_MEMBER_ID')) {
            this.memberId = '';
            throw new KafkaJSError(e as Error);
          }
          bail(e);
        }
      },
      this.config.retry,
    );
  }

  /** kafkajs's scheduleFetchManager: the loop under a retrier; rebalances rejoin, the rest is retried, then crashes. */
  private scheduleLoop(): void {
    if (!this.running) {
      this.setConsuming(false);
      return;
    }
    this.setConsuming(true);
    withRetry(
      (ms) => this.ctx.sleep(ms),
      async () => {
        if (!this.running) return;
        try {
          await this.loop();
        } catch (e) {
          if (isRebalancing(e)) {
            this.emit(CONSUMER_EVENTS.REBALANCING, { groupId: this.config.groupId, memberId: this.memberId });
            await this.joinAndSync();
            return;
          }
          if (isProtocolError(e, 'UNKNOWN_MEMBER_ID')) {
            this.memberId = '';
            await this.joinAndSync();
            return;
          }
          throw e;
        }
      },
      this.config.retry,
    )
      .then(() => this.scheduleLoop())
      .catch((e: Error) => {
        // kafkajs's order: onCrash starts first (its disconnect, still seeing the runner running,
        // leaves the group once the loop has stopped consuming), then the loop stops.
        void this.onCrash(e);
        this.setConsuming(false);
        this.running = false;
      });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const batches = await this.fetch();
      if (batches.length === 0) {
        await this.heartbeat();
        continue;
      }
      for (const batch of batches) await this.handleBatch(batch);
    }
  }

  private async heartbeat(): Promise<void> {
    if (!this.memberId || Date.now() < this.lastHeartbeatMs + this.heartbeatIntervalMs) return;
    const { memberId, generationId } = this;
    await this.ctx.request(`Heartbeat ${this.config.groupId} gen ${generationId}`, () => this.ctx.broker.groups.heartbeat(this.config.groupId, memberId, generationId));
    this.lastHeartbeatMs = Date.now();
    this.emit(CONSUMER_EVENTS.HEARTBEAT, { groupId: this.config.groupId, memberId, groupGenerationId: generationId });
  }

  private async fetch(): Promise<FakeBatch[]> {
    if (!this.running) return [];
    const parts = this.assigned.flatMap(({ topic, partitions }) => partitions.map((partition) => ({ topic, partition, key: tpKey(topic, partition) })));
    for (const p of parts) {
      const seek = this.seeks.get(p.key);
      if (seek === undefined) continue;
      this.seeks.delete(p.key);
      this.resolved.set(p.key, seek);
    }
    const unknown = parts.filter((p) => !this.resolved.has(p.key) && !this.committed.has(p.key));
    if (unknown.length) {
      const groupId = this.config.groupId;
      const fetched = await this.ctx.request(`OffsetFetch ${groupId}`, () => unknown.map((p) => this.ctx.broker.groups.committedOffset(groupId, p.topic, p.partition)));
      const defaults = await this.ctx.request('ListOffsets (consumer defaults)', () =>
        unknown.map((p) => (this.topics.get(p.topic)?.fromBeginning ? 0 : this.ctx.broker.latestOffset(p.topic, p.partition, this.readCommitted))),
      );
      unknown.forEach((p, i) => this.committed.set(p.key, fetched[i] >= 0 ? fetched[i] : defaults[i]));
    }
    if (parts.length === 0) {
      await this.ctx.sleep(this.maxWaitMs);
      return [];
    }
    const requests = parts.map((p) => ({ ...p, offset: this.resolved.get(p.key) ?? this.committed.get(p.key)! }));
    const waitMs = Math.max(this.maxWaitMs, this.config.idleFetchMs ?? this.ctx.idleFetchMs);
    const broker = this.ctx.broker;
    const read = (): Array<ReturnType<typeof broker.fetch>> => requests.map((r) => broker.fetch(r.topic, r.partition, r.offset, this.readCommitted, this.ctx.fetchMaxBatches));
    const label = `Fetch ${this.config.groupId} ${requests.map((r) => `${r.topic}/${r.partition}@${r.offset}`).join(',')}`;
    const results = await this.ctx.request(label, async () => {
      let rs = read();
      if (rs.every((r) => r.records.length === 0)) {
        await broker.waitForRecords(waitMs);
        rs = read();
      }
      return rs;
    });
    return requests
      .map((r, i) => ({ r, res: results[i] }))
      .filter(({ r, res }) => res.records.length > 0 && !this.seeks.has(r.key))
      .map(({ r, res }) => new FakeBatch(r.topic, r.partition, r.offset, res.records, res.abortedTransactions, res.highWatermark));
  }

  private resolveOffset(topic: string, partition: number, offset: string): void {
    this.resolved.set(tpKey(topic, partition), Number(offset) + 1);
  }

  private async handleBatch(batch: FakeBatch): Promise<void> {
    if (!this.running) return;
    const payload = {
      topic: batch.topic,
      partition: batch.partition,
      highWatermark: batch.highWatermark,
      offsetLag: batch.offsetLag(),
      offsetLagLow: batch.offsetLagLow(),
      batchSize: batch.messages.length,
      firstOffset: batch.firstOffset(),
      lastOffset: batch.lastOffset(),
    };
    const started = Date.now();
    if (batch.isEmptyDueToFiltering()) {
      this.emit(CONSUMER_EVENTS.START_BATCH_PROCESS, payload);
      this.resolveOffset(batch.topic, batch.partition, batch.lastOffset());
      this.emit(CONSUMER_EVENTS.END_BATCH_PROCESS, { ...payload, duration: Date.now() - started });
      await this.heartbeat();
      return;
    }
    if (batch.isEmpty()) {
      await this.heartbeat();
      return;
    }
    this.emit(CONSUMER_EVENTS.START_BATCH_PROCESS, payload);
    const { topic, partition } = batch;
    const key = tpKey(topic, partition);
    const pause = (): (() => void) => {
      throw new Error('pause() is not modelled by the fake consumer');
    };
    if (this.run.eachMessage) {
      for (const message of batch.messages) {
        if (!this.running || this.seeks.has(key)) break;
        await this.run.eachMessage({ topic, partition, message, heartbeat: () => this.heartbeat(), pause });
        this.resolveOffset(topic, partition, message.offset);
        await this.heartbeat();
      }
    } else if (this.run.eachBatch) {
      const lastMessage = batch.messages[batch.messages.length - 1];
      await this.run.eachBatch({
        batch,
        resolveOffset: (offset) => this.resolveOffset(topic, partition, lastMessage && Number(offset) === Number(lastMessage.offset) ? batch.lastOffset() : offset),
        heartbeat: () => this.heartbeat(),
        pause,
        commitOffsetsIfNecessary: async () => undefined,
        uncommittedOffsets: () => ({ topics: [] }),
        isRunning: () => this.running,
        isStale: () => this.seeks.has(key),
      });
      if (this.run.eachBatchAutoResolve !== false) this.resolveOffset(topic, partition, batch.lastOffset());
    }
    this.emit(CONSUMER_EVENTS.END_BATCH_PROCESS, { ...payload, duration: Date.now() - started });
    await this.heartbeat();
  }
}
