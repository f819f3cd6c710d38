/**
 * The report stage's one way of writing to Kafka: a task's transactional producer, the lock its
 * transactions take turns on, the take-over that fences the task's previous owner, and the commit
 * (begin → send/sendOffsets → commit; abort on error) after which a failed task never commits again.
 * Every task of the stage (partition tasks, the merge task, the email settles) writes through it.
 */
import { Partitioners } from 'kafkajs';
import { commitBarrier, type CompactedTopicView } from '../system/kafka/compacted-view';
import type { KafkaPort, ProducerPort, TransactionPort } from '../system/kafka/port';

/** Runs `fn` after every earlier call on the same lock has settled. */
export class Lock {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** A task's producer: transactional under `transactionalId` (derived from the group, topic and partition), idempotent, one request in flight. */
export function transactionalProducer(kafka: KafkaPort, transactionalId: string): ProducerPort {
  return kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
}

/**
 * Takes a task's state key over with its transactional producer: connects, fences the previous
 * owner (the first transaction initialises the id, which fails that owner's next commit and
 * completes its open transaction), commits a barrier on the state topic and reads the topic up to
 * it. Resolves with the task's last committed state. Fencing must come first: state read before
 * it could be overtaken by the previous owner's next commit (a batch counted twice, or records
 * skipped when the group's offset moved on with a commit the restored state does not have).
 *
 * `beforeFence` runs right before the fencing transaction and may throw to refuse it (then nothing
 * was fenced). On any failure the producer is disconnected and the error rethrown. `alsoPrefix`:
 * keys under it are taken over too (released from the view's hold, as `key` is).
 */
export async function takeOver<T>(producer: ProducerPort, view: CompactedTopicView<T>, stateTopic: string, key: string, o: { alsoPrefix?: string; beforeFence?: () => void } = {}): Promise<T | undefined> {
  try {
    await producer.connect();
    await view.syncThrough((barrier) => {
      o.beforeFence?.();
      return commitBarrier(producer, stateTopic, barrier);
    });
  } catch (err) {
    await producer.disconnect().catch(() => undefined);
    throw err;
  }
  view.release(key);
  if (o.alsoPrefix !== undefined) view.releasePrefix(o.alsoPrefix);
  return view.get(key);
}

/**
 * One task's transactional writer. A commit that fails (fenced by a new owner, an outage, an
 * outcome unknown) drops the writer for good: after it, the task's memory holds what no commit
 * covers, and the commit may even have landed, so the task must be re-opened from the state topic
 * (takeOver) instead. `onFailure` runs once the aborted transaction is done (the owner forgets the
 * task there); every later commit rejects with `droppedError()` before it begins.
 */
export class TransactionalWriter {
  /** The task's transactions and its producer's release take turns on it. */
  readonly lock = new Lock();
  /** Set when the task is dropped (failed commit, partition revoked): it never commits again. */
  dropped = false;

  constructor(
    readonly producer: ProducerPort,
    private readonly droppedError: () => Error,
    private readonly onFailure: () => void,
  ) {}

  /**
   * One transaction: `write` sends records and offsets with `txn`, then it commits. Rejects as
   * `write` or the commit did (after the abort and onFailure), or with droppedError if dropped.
   * A failure to begin (no transaction yet) leaves the writer usable, as nothing was written.
   */
  async commit(write: (txn: TransactionPort) => Promise<void>): Promise<void> {
    if (this.dropped) throw this.droppedError();
    const txn = await this.producer.transaction();
    try {
      await write(txn);
      await txn.commit();
    } catch (err) {
      this.dropped = true;
      await txn.abort().catch(() => undefined);
      this.onFailure();
      throw err;
    }
  }

  /** Drops the writer at once (the caller holds the lock or needs none) and releases its producer; never rejects. */
  dropNow(): Promise<void> {
    this.dropped = true;
    return this.producer.disconnect().catch(() => undefined);
  }

  /** Drops the writer once the transaction in hand (if any) is done, and releases its producer. */
  dropAfterWork(): Promise<void> {
    return this.lock.run(async () => {
      this.dropped = true;
      await this.producer.disconnect();
    });
  }

  /** Releases the producer once the transaction in hand is done (stopping: nothing commits after). */
  disconnectAfterWork(): Promise<void> {
    return this.lock.run(() => this.producer.disconnect());
  }
}
