/**
 * The transaction coordinator, as the code relies on it:
 * - InitProducerId with a transactional id bumps its epoch, which fences every older producer of
 *   that id (kafkajs sends it at the first transaction(), not at connect()). An open transaction of
 *   the id is aborted first: the coordinator answers CONCURRENT_TRANSACTIONS (kafkajs retries)
 *   until the abort markers are written.
 * - A request with an older epoch fails with INVALID_PRODUCER_EPOCH (what a Kafka 4 broker answers
 *   kafkajs's old request versions, checked by the contract suite).
 * - EndTxn answers once the outcome is decided; the markers (and the transaction's consumer
 *   offsets) are written afterwards, a step of their own: until then the partitions' last stable
 *   offset stays where it was, and a new transaction of the id gets CONCURRENT_TRANSACTIONS.
 * - A transaction open longer than its timeout is aborted by the coordinator (checked every 10 s,
 *   like transaction.abort.timed.out.transaction.cleanup.interval.ms), with an epoch bump.
 * - TxnOffsetCommit is checked against the producer epoch only: kafkajs sends v0/v1, which carry no
 *   consumer generation or member id, and a broker accepts such transactional commits whatever the
 *   group's generation (a zombie consumer whose producer is not fenced commits its offsets).
 */
import { protocolError } from './errors';
import type { PartitionLog } from './log';

type TxnState = 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort';

interface TxnMeta {
  transactionalId: string;
  producerId: number;
  epoch: number;
  state: TxnState;
  timeoutMs: number;
  startedMs: number;
  partitions: Set<string>;
  /** Consumer group → "topic\0partition" → offset, committed with the transaction. */
  offsets: Map<string, Map<string, number>>;
}

export interface TxnEnv {
  now(): number;
  partition(topic: string, partition: number): PartitionLog;
  /** Runs `fn` as a later step of the broker's own. */
  later(label: string, fn: () => void): void;
  commitGroupOffsets(groupId: string, offsets: Map<string, number>): void;
  trace(line: string): void;
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
const splitTp = (key: string): [string, number] => {
  const [t, p] = key.split('\u0000');
  return [t, Number(p)];
};

export class TransactionCoordinator {
  private readonly txns = new Map<string, TxnMeta>();
  private nextProducerId = 1000;

  constructor(private readonly env: TxnEnv) {}

  /** InitProducerId. Without a transactional id: a fresh idempotent producer id. */
  initProducerId(transactionalId: string | undefined, timeoutMs: number): { producerId: number; producerEpoch: number } {
    if (transactionalId === undefined) return { producerId: this.nextProducerId++, producerEpoch: 0 };
    let meta = this.txns.get(transactionalId);
    if (!meta) {
      meta = { transactionalId, producerId: this.nextProducerId++, epoch: 0, state: 'Empty', timeoutMs, startedMs: 0, partitions: new Set(), offsets: new Map() };
      this.txns.set(transactionalId, meta);
      this.env.trace(`txn ${short(transactionalId)}: producer ${meta.producerId} epoch 0`);
      return { producerId: meta.producerId, producerEpoch: meta.epoch };
    }
    if (meta.state === 'Ongoing') {
      meta.epoch++;
      this.env.trace(`txn ${short(transactionalId)}: new owner, open transaction aborted, epoch ${meta.epoch}`);
      this.complete(meta, false);
      throw protocolError('CONCURRENT_TRANSACTIONS');
    }
    if (meta.state !== 'Empty') throw protocolError('CONCURRENT_TRANSACTIONS');
    meta.epoch++;
    meta.timeoutMs = timeoutMs;
    this.env.trace(`txn ${short(transactionalId)}: epoch ${meta.epoch} (older owners fenced)`);
    return { producerId: meta.producerId, producerEpoch: meta.epoch };
  }

  addPartitions(transactionalId: string, producerId: number, epoch: number, partitions: Array<{ topic: string; partition: number }>): void {
    const meta = this.check(transactionalId, producerId, epoch);
    this.begin(meta);
    for (const { topic, partition } of partitions) {
      this.env.partition(topic, partition); // throws for an unknown partition
      meta.partitions.add(tpKey(topic, partition));
    }
  }

  addOffsets(transactionalId: string, producerId: number, epoch: number, _groupId: string): void {
    const meta = this.check(transactionalId, producerId, epoch);
    this.begin(meta);
  }

  /** TxnOffsetCommit (group coordinator side): held with the transaction until its commit marker. */
  txnOffsetCommit(transactionalId: string, producerId: number, epoch: number, groupId: string, offsets: Array<{ topic: string; partition: number; offset: number }>): void {
    const meta = this.check(transactionalId, producerId, epoch);
    if (meta.state !== 'Ongoing') throw protocolError('INVALID_TXN_STATE');
    const held = meta.offsets.get(groupId) ?? new Map<string, number>();
    for (const o of offsets) held.set(tpKey(o.topic, o.partition), o.offset);
    meta.offsets.set(groupId, held);
  }

  /** Whether a produce of this producer to this partition is accepted. */
  checkProduce(transactionalId: string, producerId: number, epoch: number, topic: string, partition: number): void {
    const meta = this.check(transactionalId, producerId, epoch);
    if (meta.state !== 'Ongoing' || !meta.partitions.has(tpKey(topic, partition))) throw protocolError('INVALID_TXN_STATE');
  }

  endTxn(transactionalId: string, producerId: number, epoch: number, commit: boolean): void {
    const meta = this.check(transactionalId, producerId, epoch);
    if (meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort') throw protocolError('CONCURRENT_TRANSACTIONS');
    if (meta.state !== 'Ongoing') throw protocolError('INVALID_TXN_STATE');
    this.env.trace(`txn ${short(transactionalId)}: ${commit ? 'commit' : 'abort'} decided (epoch ${epoch})`);
    this.complete(meta, commit);
  }

  /** Aborts transactions open longer than their timeout (the coordinator's periodic check). */
  expire(): void {
    const now = this.env.now();
    for (const meta of this.txns.values()) {
      if (meta.state !== 'Ongoing' || now - meta.startedMs <= meta.timeoutMs) continue;
      meta.epoch++;
      this.env.trace(`txn ${short(meta.transactionalId)}: timed out after ${now - meta.startedMs} ms, aborted, epoch ${meta.epoch}`);
      this.complete(meta, false);
    }
  }

  /** The transactional ids with a transaction open or being completed (for the oracle and traces). */
  openTransactions(): string[] {
    return [...this.txns.values()].filter((m) => m.state !== 'Empty').map((m) => m.transactionalId);
  }

  private check(transactionalId: string, producerId: number, epoch: number): TxnMeta {
    const meta = this.txns.get(transactionalId);
    if (!meta || meta.producerId !== producerId || epoch < meta.epoch) throw protocolError('INVALID_PRODUCER_EPOCH');
    return meta;
  }

  private begin(meta: TxnMeta): void {
    if (meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort') throw protocolError('CONCURRENT_TRANSACTIONS');
    if (meta.state === 'Empty') {
      meta.state = 'Ongoing';
      meta.startedMs = this.env.now();
    }
  }

  /** Decides the outcome now; the markers and offsets follow as a step of their own. */
  private complete(meta: TxnMeta, commit: boolean): void {
    meta.state = commit ? 'PrepareCommit' : 'PrepareAbort';
    const partitions = [...meta.partitions];
    const offsets = meta.offsets;
    const epoch = meta.epoch;
    this.env.later(`markers ${short(meta.transactionalId)} ${commit ? 'commit' : 'abort'}`, () => {
      const now = this.env.now();
      for (const key of partitions) {
        const [topic, partition] = splitTp(key);
        this.env.partition(topic, partition).mark(meta.producerId, epoch, commit, now);
      }
      if (commit) for (const [groupId, held] of offsets) this.env.commitGroupOffsets(groupId, held);
      meta.partitions = new Set();
      meta.offsets = new Map();
      meta.state = 'Empty';
      this.env.trace(`txn ${short(meta.transactionalId)}: ${commit ? 'commit' : 'abort'} markers written`);
    });
  }
}

function short(transactionalId: string): string {
  return transactionalId.length > 40 ? `${transactionalId.slice(0, 37)}...` : transactionalId;
}
