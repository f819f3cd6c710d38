/**
 * kafkajs's producer against the fake broker, with the behaviour the code relies on:
 * - connect() does not touch the transactional id (an idempotent producer gets a plain producer id);
 *   the first transaction() sends InitProducerId with it, which fences older owners.
 * - The transaction state machine (READY → TRANSACTING → COMMITTING/ABORTING → READY) with
 *   kafkajs's guards: after a failed commit the producer stays COMMITTING and every later
 *   transaction() fails ("Cannot call beginTransaction in state COMMITTING"), and the failed
 *   transaction's abort() fails with "Cannot continue to use transaction once ended".
 * - commit()/abort() of a transaction that sent nothing send no EndTxn.
 * - send errors: retriable ones (CONCURRENT_TRANSACTIONS) retried, INVALID_PRODUCER_EPOCH raw.
 */
import { type ICustomPartitioner, KafkaJSError, KafkaJSNonRetriableError, type Message, Partitioners, type PartitionMetadata } from 'kafkajs';
import type { ClientContext } from './client';
import { isProtocolError } from './errors';
import { withRetry, type RetryOptions } from './retry';

export interface FakeProducerConfig {
  transactionalId?: string;
  idempotent?: boolean;
  maxInFlightRequests?: number;
  transactionTimeout?: number;
  createPartitioner?: ICustomPartitioner;
  retry?: RetryOptions;
  allowAutoTopicCreation?: boolean;
}

interface TopicMessages {
  topic: string;
  messages: Message[];
}

type TxnState = 'UNINITIALIZED' | 'READY' | 'TRANSACTING' | 'COMMITTING' | 'ABORTING';

const VALID: Record<TxnState, TxnState[]> = {
  UNINITIALIZED: ['READY'],
  READY: ['READY', 'TRANSACTING'],
  TRANSACTING: ['COMMITTING', 'ABORTING'],
  COMMITTING: ['READY'],
  ABORTING: ['READY'],
};

export interface FakeTransaction {
  send(record: { topic: string; messages: Message[]; acks?: number }): Promise<unknown>;
  sendBatch(batch: { topicMessages: TopicMessages[]; acks?: number }): Promise<unknown>;
  sendOffsets(o: { consumerGroupId: string; topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  isActive(): boolean;
}

export class FakeProducer {
  readonly events = { CONNECT: 'producer.connect', DISCONNECT: 'producer.disconnect', REQUEST: 'producer.network.request', REQUEST_TIMEOUT: 'producer.network.request_timeout', REQUEST_QUEUE_SIZE: 'producer.network.request_queue_size' };
  private status: 'disconnected' | 'connected' | 'disconnecting' = 'disconnected';
  private readonly partitioner: ReturnType<ICustomPartitioner>;
  private plainId: { producerId: number; producerEpoch: number } | undefined;
  private state: TxnState = 'UNINITIALIZED';
  private producerId = -1;
  private epoch = 0;
  private partitions = new Set<string>();
  private offsetsAdded = false;

  constructor(private readonly ctx: ClientContext, private readonly config: FakeProducerConfig) {
    this.partitioner = (config.createPartitioner ?? Partitioners.DefaultPartitioner)();
  }

  on(): () => void {
    return () => undefined;
  }

  async connect(): Promise<void> {
    await this.ctx.request('Metadata', () => undefined);
    this.status = 'connected';
    if ((this.config.idempotent || this.config.transactionalId) && !this.plainId) {
      this.plainId = await this.ctx.request('InitProducerId (idempotent)', () => this.ctx.broker.txns.initProducerId(undefined, 0));
    }
  }

  async disconnect(): Promise<void> {
    this.status = 'disconnecting';
    await this.ctx.request('Disconnect', () => undefined).catch(() => undefined);
    this.status = 'disconnected';
  }

  /** A non-transactional send (idempotent or not). */
  async send(record: { topic: string; messages: Message[]; acks?: number }): Promise<unknown> {
    return this.sendBatch({ topicMessages: [{ topic: record.topic, messages: record.messages }] });
  }

  async sendBatch(batch: { topicMessages: TopicMessages[]; acks?: number }): Promise<unknown> {
    this.checkConnection();
    const id = this.plainId ?? { producerId: -1, producerEpoch: 0 };
    return this.produce(batch.topicMessages, { producerId: id.producerId, producerEpoch: id.producerEpoch });
  }

  async transaction(): Promise<FakeTransaction> {
    const tid = this.config.transactionalId;
    if (!tid) throw new KafkaJSNonRetriableError('Must provide transactional id for transactional producer');
    if (this.state === 'TRANSACTING') {
      throw new KafkaJSNonRetriableError('There is already an ongoing transaction for this producer. Please end the transaction before beginning another.');
    }
    if (this.producerId === -1) await this.initProducerId(tid);
    this.guard('beginTransaction', ['READY']);
    this.transition('TRANSACTING');
    let ended = false;
    const isActive = (): boolean => this.state === 'TRANSACTING' && !ended;
    const guarded =
      <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
      async (...a: A): Promise<R> => {
        if (!isActive()) throw new KafkaJSNonRetriableError('Cannot continue to use transaction once ended');
        return fn(...a);
      };
    return {
      send: guarded(async (record) => this.produceInTxn(tid, [{ topic: record.topic, messages: record.messages }])),
      sendBatch: guarded(async (batch) => this.produceInTxn(tid, batch.topicMessages)),
      sendOffsets: guarded(async ({ consumerGroupId, topics }) => {
        this.guard('sendOffsets', ['TRANSACTING']);
        const pid = this.producerId;
        const epoch = this.epoch;
        await this.ctx.request(`AddOffsetsToTxn ${consumerGroupId}`, () => this.ctx.broker.txns.addOffsets(tid, pid, epoch, consumerGroupId));
        this.offsetsAdded = true;
        const offsets = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: Number(p.offset) })));
        await withRetry(
          (ms) => this.ctx.sleep(ms),
          async (bail) => {
            try {
              await this.ctx.request(`TxnOffsetCommit ${consumerGroupId} ${offsets.map((o) => `${o.topic}/${o.partition}@${o.offset}`).join(',')}`, () =>
                this.ctx.broker.txns.txnOffsetCommit(tid, pid, epoch, consumerGroupId, offsets),
              );
            } catch (e) {
              if (isProtocolError(e, 'UNKNOWN_TOPIC_OR_PARTITION')) throw e;
              bail(e);
            }
          },
          this.config.retry,
        );
      }),
      commit: guarded(async () => {
        await this.endTxn(tid, true);
        ended = true;
      }),
      abort: guarded(async () => {
        await this.endTxn(tid, false);
        ended = true;
      }),
      isActive,
    };
  }

  private async initProducerId(tid: string): Promise<void> {
    this.guard('initProducerId', ['UNINITIALIZED', 'READY']);
    const timeout = this.config.transactionTimeout ?? 60_000;
    const r = await withRetry(
      (ms) => this.ctx.sleep(ms),
      async (bail) => {
        try {
          return await this.ctx.request(`InitProducerId ${tid}`, () => this.ctx.broker.txns.initProducerId(tid, timeout));
        } catch (e) {
          if (isProtocolError(e, 'CONCURRENT_TRANSACTIONS')) throw e;
          return bail(e);
        }
      },
      this.config.retry,
    );
    this.transition('READY');
    this.producerId = r.producerId;
    this.epoch = r.producerEpoch;
  }

  private async endTxn(tid: string, commit: boolean): Promise<void> {
    this.guard(commit ? 'commit' : 'abort', ['TRANSACTING']);
    this.transition(commit ? 'COMMITTING' : 'ABORTING');
    if (this.partitions.size === 0 && !this.offsetsAdded) {
      this.transition('READY');
      return;
    }
    const pid = this.producerId;
    const epoch = this.epoch;
    await this.ctx.request(`EndTxn ${commit ? 'commit' : 'abort'} ${tid}`, () => this.ctx.broker.txns.endTxn(tid, pid, epoch, commit));
    this.transition('READY');
  }

  private async produceInTxn(tid: string, topicMessages: TopicMessages[]): Promise<unknown> {
    this.checkConnection();
    return this.produce(topicMessages, { transactionalId: tid, producerId: this.producerId, producerEpoch: this.epoch });
  }

  private async produce(topicMessages: TopicMessages[], id: { transactionalId?: string; producerId: number; producerEpoch: number }): Promise<unknown> {
    const perPartition = new Map<string, { topic: string; partition: number; records: Array<{ key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer>; timestamp: string }> }>();
    for (const { topic, messages } of topicMessages) {
      const count = this.ctx.broker.partitionCount(topic);
      const partitionMetadata: PartitionMetadata[] = Array.from({ length: count }, (_, i) => ({ partitionErrorCode: 0, partitionId: i, leader: 1, replicas: [1], isr: [1], offlineReplicas: [] }));
      for (const message of messages) {
        if (message.value === undefined) throw new KafkaJSNonRetriableError(`Invalid message without value for topic "${topic}"`);
        const partition = typeof message.partition === 'number' ? message.partition : this.partitioner({ topic, partitionMetadata, message });
        const key = `${topic}\u0000${partition}`;
        let entry = perPartition.get(key);
        if (!entry) perPartition.set(key, (entry = { topic, partition, records: [] }));
        entry.records.push({ key: toBuffer(message.key), value: toBuffer(message.value), headers: toHeaders(message.headers), timestamp: message.timestamp ?? String(Date.now()) });
      }
    }
    const batches = [...perPartition.values()];
    return withRetry(
      (ms) => this.ctx.sleep(ms),
      async (bail) => {
        try {
          const tid = id.transactionalId;
          if (tid !== undefined) {
            const added = batches.filter((b) => !this.partitions.has(`${b.topic}\u0000${b.partition}`)).map((b) => ({ topic: b.topic, partition: b.partition }));
            if (added.length) {
              await this.ctx.request(`AddPartitionsToTxn ${added.map((a) => `${a.topic}/${a.partition}`).join(',')}`, () => this.ctx.broker.txns.addPartitions(tid, id.producerId, id.producerEpoch, added));
              for (const a of added) this.partitions.add(`${a.topic}\u0000${a.partition}`);
            }
          }
          const label = `Produce ${batches.map((b) => `${b.topic}/${b.partition}×${b.records.length}`).join(',')}`;
          const result = await this.ctx.request(label, () => this.ctx.broker.produce(id, batches));
          return result.map((r) => ({ topicName: r.topic, partition: r.partition, errorCode: 0, baseOffset: String(r.baseOffset), logAppendTime: '-1', logStartOffset: '0' }));
        } catch (e) {
          if ((e as { retriable?: boolean }).retriable) throw e;
          return bail(e);
        }
      },
      this.config.retry,
    );
  }

  private checkConnection(): void {
    if (this.status === 'disconnecting') throw new KafkaJSNonRetriableError("The producer is disconnecting; therefore, it can't safely accept messages anymore");
    if (this.status === 'disconnected') throw new KafkaJSError('The producer is disconnected');
  }

  private guard(method: string, legal: TxnState[]): void {
    if (!legal.includes(this.state)) throw new KafkaJSNonRetriableError(`Transaction state exception: Cannot call "${method}" in state "${this.state}"`);
  }

  private transition(to: TxnState): void {
    if (!VALID[this.state].includes(to)) throw new KafkaJSNonRetriableError(`Transaction state exception: Invalid transition ${this.state} --> ${to}`);
    this.state = to;
    if (to === 'READY') {
      this.partitions = new Set();
      this.offsetsAdded = false;
    }
  }
}

function toBuffer(v: Buffer | string | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  return Buffer.isBuffer(v) ? v : Buffer.from(v);
}

function toHeaders(h: Message['headers']): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(h ?? {})) {
    if (v === undefined) continue;
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = Buffer.isBuffer(first) ? first : Buffer.from(String(first));
  }
  return out;
}
