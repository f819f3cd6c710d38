/**
 * Stage 1 of the report stage, one partition task: the WindowAggregator of one log-topic partition
 * this process owns. Per fetched batch, in one transaction with the partition's own transactional
 * producer: the windows it closed as a partial record (partials topic), the task's state (state
 * topic: the task record `task <group> <topic> <partition>` with the next input offset, and a record
 * per open window the batch counted into, TaskState layout 2), and the consumer offset (sendOffsets). The stage's tick closes windows of idle partitions and marks a partition
 * idle once it has nothing left to read and no record came for report.idleCloseMs (tick()).
 *
 * Opened by taking its state keys over (takeOver: fences the previous owner, then restores the last
 * committed state: the task record and the window records it lists, restoreTaskWindows). The state carries the next input offset: records below it, fetched again
 * because the group's committed offset lagged a fenced commit, are skipped.
 */
import type { KafkaMessage } from 'kafkajs';
import { encodePartial, type PartialRecord } from './merge';
import { WindowRecordReader } from './records';
import { restoreTaskWindows, TASK_STATE_LAYOUT, type StateValue, type TaskContextBase, type TaskState, type TaskWindowHead, type TaskWindowState } from './state';
import { takeOver, transactionalProducer, TransactionalWriter } from './transaction';
import { WindowAggregator, type WindowOptions } from './window';

/** What a partition task needs of its stage. */
export interface PartitionTaskContext extends TaskContextBase {
  windowOptions: WindowOptions;
  now: () => number;
  /** The log topic's partition count as last seen (a partial carries it). */
  partitionCount: () => number;
  /** A commit of this task failed: the stage forgets it (it is re-opened from its committed state). */
  onFailure: (partition: number) => void;
  /** Counts a late record. */
  onLate: () => void;
}

/** What the tick knows about a partition when it calls PartitionTask.tick. */
export interface PartitionProgress {
  /** How far the partition is read: the task's next offset, the consumer's fetch position or the group's committed offset, whichever is furthest. */
  next: number;
  /** The partition's high watermark. */
  high: number;
  /** Partitions an object in progress writes to (IngestingPartitions); undefined: any may be. */
  ingesting: Set<number> | undefined;
  /** report.idleCloseMs. */
  idleCloseMs: number;
}

export class PartitionTask {
  private constructor(
    private readonly ctx: PartitionTaskContext,
    readonly partition: number,
    readonly writer: TransactionalWriter,
    readonly aggregator: WindowAggregator,
    public state: TaskState,
    public lastRecordMs: number,
    /** Open window start → the commit that last wrote its record (TaskWindowHead.open). */
    private readonly windowCommits: Map<number, number>,
    /**
     * For the next commit: write every open window's record though unchanged (a layout-1 state,
     * whose windows were in the task record), and delete these window records (ones the task
     * record does not list). Cleared by the first commit.
     */
    private rewrite: { all: boolean; stale: string[] } | undefined,
  ) {}

  /** Takes the partition's task over (fencing its previous owner) and restores its last committed state. */
  static async open(ctx: PartitionTaskContext, partition: number): Promise<PartitionTask> {
    const producer = transactionalProducer(ctx.kafka, `${ctx.transactionalIdPrefix}-report-${ctx.groupId}-${ctx.topic}-${partition}`);
    const windowPrefix = ctx.keys.taskWindowPrefix(partition);
    const saved = await takeOver(producer, ctx.state, ctx.stateTopic, ctx.keys.task(partition), { beforeFence: ctx.beforeFence, alsoPrefix: windowPrefix });
    const aggregator = new WindowAggregator(ctx.windowOptions, ctx.now);
    let state: TaskState;
    let restored;
    try {
      // The task record and the window records it lists, read as one committed snapshot (restoreTaskWindows).
      const windowRecords = ctx.state.keysWithPrefix(windowPrefix).map((k): [string, StateValue | undefined] => [k, ctx.state.get(k)]);
      restored = restoreTaskWindows(saved?.kind === 'task' ? saved : undefined, windowRecords, (start) => ctx.keys.taskWindow(partition, start));
      if (saved?.kind === 'task' && restored.window) {
        aggregator.restore(restored.window);
        state = saved;
      } else {
        state = { kind: 'task', window: headOf(aggregator, new Map()), nextOffset: -1, sentHorizon: null, sentIdle: false, commit: 0 };
      }
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
    const rewrite = restored.rewriteAll || restored.stale.length > 0 ? { all: restored.rewriteAll, stale: restored.stale } : undefined;
    ctx.log.info('report partition task opened', { partition, nextOffset: state.nextOffset, restored: saved?.kind === 'task', openWindows: aggregator.openWindows, commit: restored.commit });
    const writer = new TransactionalWriter(
      producer,
      () => new Error(`report task of partition ${partition} was dropped; it is re-opened from its committed state`),
      () => ctx.onFailure(partition),
    );
    return new PartitionTask(ctx, partition, writer, aggregator, state, ctx.now(), new Map(restored.windowCommits), rewrite);
  }

  /** Runs `fn` after the task's transaction in hand (every change of the task goes through it). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.writer.lock.run(fn);
  }

  /**
   * Counts a fetched batch (records below the state's next offset are skipped) and commits it with
   * the windows it closed. Call under run(). Rejects if the commit failed (the task is dropped).
   */
  async countBatch(messages: KafkaMessage[]): Promise<void> {
    // The state object is shared with the state view (what set() stored, or what open()
    // restored): counting works on a copy, so that a failed commit, which forgets the task, leaves
    // the view's committed nextOffset as it was. (Moving it in place made a re-opened task skip
    // the records of the aborted transaction: R2 lost lines after a broker restart.)
    this.state = { ...this.state };
    const before = this.state.nextOffset;
    const arrival = this.ctx.now();
    let counted = 0;
    let future: { count: number; first: { source: string; timeMs: number } } | undefined;
    const reader = new WindowRecordReader();
    for (const m of messages) {
      const offset = Number(m.offset);
      if (offset < this.state.nextOffset) continue;
      const record = reader.read(m, arrival);
      if (record) {
        const outcome = this.aggregator.add(record);
        if (outcome.late) this.ctx.onLate();
        if (outcome.future) (future ??= { count: 0, first: { source: record.source, timeMs: record.timeMs } }).count++;
      }
      this.state.nextOffset = offset + 1;
      counted++;
    }
    if (future) {
      this.ctx.log.warn('future-dated records counted at their source\'s newest believable time (see report.futureSkewMs)', {
        partition: this.partition,
        records: future.count,
        source: future.first.source,
        eventTime: new Date(future.first.timeMs).toISOString(),
        readAt: new Date(arrival).toISOString(),
      });
    }
    if (counted > 0) {
      this.lastRecordMs = this.ctx.now();
      // Counted and committed with no await between that could fail: a failed heartbeat here left
      // counts in memory that no commit covered.
      await this.commit(false, { from: before });
    }
  }

  /**
   * The tick's part for this partition (call under run()): closes windows up to the watermark once
   * the partition is caught up, decides whether it is idle (caught up, quiet for idleCloseMs, no
   * object in progress writes to it), and commits when a partial is due.
   */
  async tick(p: PartitionProgress): Promise<void> {
    const caughtUp = p.next >= p.high;
    const quiet = this.ctx.now() - this.lastRecordMs >= p.idleCloseMs;
    const idle = caughtUp && quiet && p.ingesting !== undefined && !p.ingesting.has(this.partition);
    const agg = this.aggregator;
    if (caughtUp) agg.closeToWatermark();
    // poll() inside commit also closes by the wall clock: processing time, or idleness.
    const clockCloses = agg.openWindows > 0 && (this.ctx.windowOptions.mode === 'processing' || idle);
    // An idle partition read further than its last idle partial said (records or
    // transaction markers the merger would otherwise take as uncounted) says so again.
    const claimMoved = idle && this.state.sentIdle && p.next !== this.state.sentIdleThrough;
    if (idle !== this.state.sentIdle || claimMoved || agg.closedWindows > 0 || agg.closedUntil !== this.state.sentHorizon || clockCloses) {
      await this.commit(idle, { idle }, p.next);
    }
  }

  /**
   * Commits the task's closed windows, state and offset; on failure the task is dropped (it is
   * restored from the state topic).
   * @param idleThrough with idle: the offset the partition is read up to (the merger takes the
   *   partition as idle only while nothing lies beyond it).
   */
  async commit(idle: boolean, why: { from?: number; idle?: boolean }, idleThrough?: number): Promise<void> {
    // An idle partition hands out its open windows without closing them: more of their records may
    // come with the next upload, and the merger sums the pieces (closing stays with the merger).
    const closed = idle ? this.aggregator.flushOpen() : this.aggregator.poll();
    // The open windows go as records of their own, only those counted into since the last commit
    // (TaskState layout 2). Taking the changes (and moving windowCommits) before the commit is
    // safe: a failed commit forgets the whole task, which is re-opened from the state topic.
    const commitNo = (this.state.commit ?? 0) + 1;
    const changes = this.aggregator.takeChanges({ all: this.rewrite?.all });
    for (const start of changes.removed) this.windowCommits.delete(start);
    for (const w of changes.open) this.windowCommits.set(w.startMs, commitNo);
    const head = headOf(this.aggregator, this.windowCommits);
    const horizonMoved = head.closedUntilMs !== this.state.sentHorizon;
    const through = idle ? idleThrough : undefined;
    const partial: PartialRecord | undefined =
      closed.length > 0 || horizonMoved || idle !== this.state.sentIdle || through !== this.state.sentIdleThrough
        ? { version: 1, partition: this.partition, partitions: this.ctx.partitionCount(), windows: closed, closedUntilMs: head.closedUntilMs, idle, ...(through === undefined ? {} : { idleThrough: through }) }
        : undefined;
    const next: TaskState = { ...this.state, window: head, commit: commitNo, sentHorizon: partial ? head.closedUntilMs : this.state.sentHorizon, sentIdle: partial ? idle : this.state.sentIdle };
    if (partial) {
      if (through === undefined) delete next.sentIdleThrough;
      else next.sentIdleThrough = through;
    }
    const key = this.ctx.keys.task(this.partition);
    const encoded = Buffer.from(JSON.stringify(next));
    const windowRecords: Array<{ key: string; value: TaskWindowState | undefined; bytes: Buffer | null }> = [
      ...(this.rewrite?.stale ?? []).map((k) => ({ key: k, value: undefined, bytes: null })),
      ...changes.removed.map((start) => ({ key: this.ctx.keys.taskWindow(this.partition, start), value: undefined, bytes: null })),
      ...changes.open.map((window) => {
        const value: TaskWindowState = { kind: 'task-window', commit: commitNo, window };
        return { key: this.ctx.keys.taskWindow(this.partition, window.startMs), value, bytes: Buffer.from(JSON.stringify(value)) };
      }),
    ];
    const { partialsTopic, stateTopic, groupId, topic } = this.ctx;
    const nextOffset = this.state.nextOffset;
    await this.writer.commit(async (txn) => {
      if (partial) await txn.send({ topic: partialsTopic, messages: [{ key: this.ctx.keys.partial(this.partition), value: encodePartial(partial) }] });
      // One transaction: the task record and the window records it lists commit together or not at all.
      await txn.send({ topic: stateTopic, messages: [...windowRecords.map((w) => ({ key: w.key, value: w.bytes })), { key, value: encoded }] });
      if (nextOffset >= 0) {
        await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: this.partition, offset: String(nextOffset) }] }] });
      }
    });
    this.state = next;
    this.rewrite = undefined;
    for (const w of windowRecords) {
      if (w.value && w.bytes) this.ctx.state.set(w.key, w.value, w.bytes);
      else this.ctx.state.set(w.key, undefined, null);
    }
    this.ctx.state.set(key, next, encoded);
    if (partial && (closed.length > 0 || idle)) this.ctx.log.debug('partial committed', { partition: this.partition, windows: closed.map((w) => w.id), idle, ...why });
  }
}

/** The task record's window part (layout 2): the aggregator's state without its open windows, which `commits` lists. */
function headOf(aggregator: WindowAggregator, commits: ReadonlyMap<number, number>): TaskWindowHead {
  const { version: _v, open: _open, ...rest } = aggregator.snapshot({ open: false });
  return { ...rest, version: TASK_STATE_LAYOUT, open: [...commits].sort((a, b) => a[0] - b[0]) };
}
