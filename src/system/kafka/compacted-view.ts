/**
 * An in-memory view of a compacted Kafka topic: every record read with read_committed from the
 * beginning, the latest value per key kept (a null value deletes the key). Every process reads all
 * of it in a consumer group of its own (nothing committed), so what one instance commits is known to
 * all. Used for the ingest ledger and the report stage's state changelog.
 */
import crypto from 'node:crypto';
import type { KafkaPort, ProducerPort } from './port';
import { NEVER_RESTART } from './clients';
import type { Logger } from '../observability/logging';
import { SupervisedConsumer } from './supervised-consumer';
import { checkCompaction, compactionCommand } from './topics';

export interface CompactedViewOptions<T = unknown> {
  /**
   * The keys this view holds. Records of other keys are skipped without being decoded: for a topic
   * shared by many owners (the report state of every group and log topic), whose other records
   * this process never reads. Default: every key.
   */
  keep?: (key: string) => boolean;
  /**
   * Whether to hold a decoded value: one not retained removes its key, as a tombstone would. For a
   * reader that needs only the live part of a topic whose records stay forever (the report stage's
   * ledger needs objects in progress, not the done ones of every object ever ingested), so that its
   * memory and scans follow what is live. Default: every value.
   */
  retain?: (value: T) => boolean;
  /**
   * Whether start() warns when the topic's settings keep Kafka from compacting it (default true).
   * Off under kafka.topicProfile msk-serverless: the cluster refuses those settings and compacts on
   * its own terms, so the warning could never be acted on.
   */
  compactionAdvice?: boolean;
  /**
   * Where the first start begins reading: each partition at its first record whose timestamp is at
   * or after this epoch ms (Kafka's offsets-for-times lookup), instead of the topic's beginning. For
   * a reader whose records older than a horizon cannot matter to it (the ingest ledger, see
   * docs/ingest.md, "Ledger horizon"): start-up then reads what is live, not the whole history.
   * startOffsets() gives the offsets chosen. Default: the beginning.
   */
  fromTimestampMs?: number;
}

/**
 * Keys of barrier records (see syncThrough): tombstones that start with a NUL byte, which no key of
 * ours does, so every reader deletes a key that never existed, and compaction removes them later.
 */
export const BARRIER_KEY_PREFIX = '\u0000barrier ';

/** Whether a record key is a barrier's (readers of these topics skip them). */
export function isBarrierKey(key: string): boolean {
  return key.startsWith(BARRIER_KEY_PREFIX);
}

/**
 * Commits one tombstone under `key` to `topic` in a transaction of its own: the fence-then-barrier
 * step of a transactional producer taking over its id (ObjectPublisher.fence, the report stage's task take-over).
 */
export async function commitBarrier(producer: ProducerPort, topic: string, key: string): Promise<void> {
  const tx = await producer.transaction();
  try {
    await tx.send({ acks: -1, topic, messages: [{ key, value: null }] });
    await tx.commit();
  } catch (err) {
    await tx.abort().catch(() => undefined);
    throw err;
  }
}

export class CompactedTopicView<T> {
  /** The latest value per key as the consumer has read the topic (what every process agrees on). */
  protected readonly entries = new Map<string, T>();
  /**
   * Values this process committed that the consumer has not read back yet, with their bytes. get()
   * answers with them, so that reading back this process's own older commits never shows an older
   * value; once the consumer reads the exact bytes, the pin goes (and the value is not decoded again).
   * A pin is only this process's word: release() drops it when an owner takes a key over.
   */
  private readonly pinned = new Map<string, { bytes: Buffer | null; value: T | undefined }>();
  /** Next offset to read, per partition, as far as the consumer has processed. */
  private readonly positions = new Map<number, number>();
  private consumer: SupervisedConsumer | undefined;
  /** Barrier keys this process wrote and waits to read back, with what to call when it does. */
  private readonly barriers = new Map<string, () => void>();
  /** Where the first start began reading, per partition (options.fromTimestampMs); empty from the beginning. */
  private readonly firstOffsets = new Map<number, number>();

  /**
   * @param decode the value of a record, or undefined to ignore the record (it is logged); null
   *   values (tombstones) delete their key without calling it.
   */
  constructor(
    private readonly kafka: KafkaPort,
    readonly topic: string,
    protected readonly log: Logger,
    private readonly decode: (key: string, value: Buffer) => T | undefined,
    private readonly groupPrefix: string,
    private readonly options: CompactedViewOptions<T> = {},
  ) {}

  /**
   * Starts reading the topic from the beginning; resolves once the consumer runs. Also checks, in
   * the background, that the topic's settings let Kafka compact it (checkCompaction): a topic
   * created before logpipe set them, or by hand, keeps every record ever written, and every start
   * reads them all; a warning names the settings and the command that fixes them.
   */
  async start(): Promise<void> {
    if (this.options.compactionAdvice !== false) void this.warnIfNotCompacted();
    if (this.options.fromTimestampMs !== undefined && this.positions.size === 0) await this.seekByTimestamp(this.options.fromTimestampMs);
    const groupId = `${this.groupPrefix}-${crypto.randomUUID()}`;
    this.consumer = new SupervisedConsumer({
      name: `compacted-topic reader (${this.topic})`,
      log: this.log,
      create: () => this.kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 100, ...NEVER_RESTART }),
      setup: async (consumer) => {
        await consumer.connect();
        await consumer.subscribe({ topic: this.topic, fromBeginning: true });
        consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
          // Also fired for batches of transaction markers only, which carry no message.
          this.positions.set(payload.partition, Number(payload.lastOffset) + 1);
        });
        await consumer.run({
          autoCommit: false,
          // A batch at a time, in one synchronous loop: eachMessage awaits a promise per record, and
          // reading a long topic whole at start is mostly per-record work (docs/benchmarks.md,
          // start-up). The loop also never stops half-way through a batch, so the position set at
          // END_BATCH_PROCESS is always one the view has applied every record below.
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) this.apply(message.key, message.value);
          },
        });
        // Nothing is committed, so a replacement instance would start at the beginning again and
        // read every record again (and hand out older values while it does):
        // it continues where the previous instance stopped instead.
        for (const [partition, offset] of this.positions) consumer.seek({ topic: this.topic, partition, offset: String(offset) });
      },
    });
    await this.consumer.start();
  }

  /**
   * Whether the consumer has read every partition up to `ends` (next offsets, e.g. the topic's last
   * stable offsets as ListOffsets gave them): the view then holds everything committed before those
   * offsets were asked for. A partition the consumer never reached counts as read up to offset 0.
   */
  hasReadUpTo(ends: ReadonlyMap<number, number>): boolean {
    for (const [partition, end] of ends) if ((this.positions.get(partition) ?? 0) < end) return false;
    return true;
  }

  /** One record read from the topic, in topic order. */
  private apply(rawKey: Buffer | null, value: Buffer | null): void {
    const key = rawKey?.toString() ?? '';
    if (isBarrierKey(key)) {
      this.barriers.get(key)?.();
      return;
    }
    if (this.options.keep && !this.options.keep(key)) return;
    const own = this.pinned.get(key);
    if (value === null) {
      if (own && own.bytes === null) this.pinned.delete(key);
      this.entries.delete(key);
      return;
    }
    if (own?.value !== undefined && own.bytes?.equals(value)) {
      // This process's own commit, read back: its value is known, and decoding large report
      // state records again cost a third of the report stage's CPU (docs/benchmarks.md).
      this.pinned.delete(key);
      this.hold(key, own.value);
      return;
    }
    const decoded = this.decode(key, value);
    if (decoded === undefined) this.log.warn('ignoring an unreadable record', { topic: this.topic, key });
    else this.hold(key, decoded);
  }

  private hold(key: string, value: T): void {
    if (this.options.retain && !this.options.retain(value)) this.entries.delete(key);
    else this.entries.set(key, value);
  }

  /** The key's value: this process's own latest commit while it is not read back, else the topic's. */
  get(key: string): T | undefined {
    const own = this.pinned.get(key);
    return own ? own.value : this.entries.get(key);
  }

  /** The keys starting with `prefix` that hold a value (as get() sees them). */
  keysWithPrefix(prefix: string): string[] {
    const keys = new Set<string>();
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) keys.add(key);
    for (const key of this.pinned.keys()) if (key.startsWith(prefix)) keys.add(key);
    return [...keys].filter((key) => this.get(key) !== undefined);
  }

  /**
   * Records a value this process committed, so it is known before the consumer reads it back, and
   * older records of the key read meanwhile do not replace it. `bytes`: the record's value exactly as
   * committed (reading them back ends the pin, without decoding them again); `undefined` and `null`
   * for a tombstone this process committed.
   */
  set(key: string, value: T, bytes: Buffer): void;
  set(key: string, value: undefined, bytes: null): void;
  set(key: string, value: T | undefined, bytes: Buffer | null): void {
    this.pinned.set(key, { bytes, value });
  }

  /**
   * Forgets this process's own pins of `keys`: call it after syncThrough when taking keys over, so
   * that the values read from the topic (the previous owner's last commits) are what get() answers.
   */
  release(...keys: string[]): void {
    for (const key of keys) this.pinned.delete(key);
  }

  /** release() for every key starting with `prefix`. */
  releasePrefix(prefix: string): void {
    for (const key of [...this.pinned.keys()]) if (key.startsWith(prefix)) this.pinned.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Resolves once the consumer has read everything committed to the topic before `writeBarrier`'s
   * record. The caller writes that record (a tombstone under `key`, see BARRIER_KEY_PREFIX) with the
   * transactional producer that has just fenced the key's previous owner, in a committed transaction.
   *
   * Why a barrier rather than the topic's end offset: the end a read_committed reader can reach is
   * the last stable offset, which another writer's open transaction holds back; an earlier owner's
   * last commit may lie past it. Fencing first completes that owner's transaction; the barrier,
   * written after, is read only once everything before it is decided, so the state restored is the
   * latest committed one, whatever other writers are doing.
   */
  async syncThrough(writeBarrier: (key: string) => Promise<void>, timeoutMs = 120_000): Promise<void> {
    const key = `${BARRIER_KEY_PREFIX}${crypto.randomUUID()}`;
    let timer: NodeJS.Timeout | undefined;
    const read = new Promise<void>((resolve, reject) => {
      this.barriers.set(key, resolve);
      timer = setTimeout(() => reject(Object.assign(new Error(`${this.topic} not read up to this process's barrier within ${timeoutMs} ms`), { retriable: true })), timeoutMs);
    });
    read.catch(() => undefined);
    try {
      await writeBarrier(key);
      await read;
    } finally {
      clearTimeout(timer);
      this.barriers.delete(key);
    }
    this.log.debug('compacted topic read up to a barrier', { topic: this.topic, keys: this.entries.size });
  }

  /** The offsets the first start began reading at, per partition (empty: from the beginning). */
  startOffsets(): ReadonlyMap<number, number> {
    return this.firstOffsets;
  }

  /**
   * Sets the positions to the first offset at or after `timestampMs` in every partition, so that the
   * seek in start() begins there (and hasReadUpTo counts the skipped records as read).
   */
  private async seekByTimestamp(timestampMs: number): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const { partition, offset } of await admin.fetchTopicOffsetsByTimestamp(this.topic, timestampMs)) {
        this.positions.set(partition, Number(offset));
        this.firstOffsets.set(partition, Number(offset));
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** See start(). Never throws: the check is advice (a client without DescribeConfigs rights gets no warning). */
  private async warnIfNotCompacted(): Promise<void> {
    try {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        const problems = await checkCompaction(admin, this.topic);
        if (problems.length) {
          this.log.warn('compacted topic keeps superseded records: every start reads its whole history (docs/operations.md, compacted topics)', {
            topic: this.topic,
            settings: Object.fromEntries(problems.map((p) => [p.name, { is: p.value, want: p.wanted }])),
            fix: compactionCommand(this.topic),
          });
        }
      } finally {
        await admin.disconnect();
      }
    } catch (err) {
      this.log.debug('could not check the settings of a compacted topic', { topic: this.topic, error: err instanceof Error ? err.message : String(err) });
    }
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = undefined;
  }
}
