/**
 * The report stage on Kafka: log topic → per-partition windows → partials → merged window reports,
 * report files and alert emails, exactly once. The pure logic lives in window.ts, merge.ts, rules.ts,
 * render.ts and email.ts; this module moves records and state through Kafka transactions.
 *
 * Stage 1, partition tasks (consumer group `report.groupId` on the log topic). One WindowAggregator
 * per assigned partition. Per fetched batch, in one transaction with the partition's own
 * transactional producer: the windows it closed as a partial record (partials topic), the
 * aggregator's snapshot with the next input offset (state topic, key `task <group> <topic> <partition>`), and
 * the consumer offset (sendOffsets). A tick per second closes windows of idle partitions and marks a
 * partition idle once it has nothing left to read and no record came for report.idleCloseMs.
 *
 * Stage 2, the merge task (consumer group `<groupId>-merge` on the one-partition partials topic, so
 * one process at a time merges). Per batch, in one transaction: the merged reports of the windows
 * that closed (report topic, key = window id), the merge state with its input offset (state topic,
 * key `merge <group> <topic>`), a record per alert email to send (key `email <group> <topic>
 * <window id>`), and the consumer offset. After the commit: report files (idempotent rewrites) and
 * the emails.
 *
 * Exactly once across crashes and rebalances. The transactional id of a task is derived from the
 * group, topic and partition. A task's new owner first fences the old one (its first transaction,
 * which commits a barrier record: the old owner's next commit fails, and its open transaction is
 * completed before the broker answers), then reads the state topic up to that barrier and restores
 * the task from the last committed state. The state carries the next input offset: records below
 * it, fetched again because the group's committed offset lagged a fenced commit, are skipped. So
 * every record is counted once, and every partial and report is written once.
 *
 * Email is at-least-once: an alert's email record is committed with its report, the email is sent
 * after the commit, and its record is deleted in a transaction of its own as soon as the provider
 * accepted it. A crash between a send and that deletion resends that one email, with the same
 * Message-ID; no other. Transient failures are retried with backoff for as long as it takes; a
 * permanent failure is logged and dropped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Admin, type EachBatchPayload, type Kafka, KafkaJSNonRetriableError, Partitioners, type Producer } from 'kafkajs';
import { NEVER_RESTART } from '../system/kafka/clients';
import { SupervisedConsumer } from '../system/kafka/supervised-consumer';
import { Ledger } from '../ingest/ledger';
import { commitBarrier, CompactedTopicView } from '../system/kafka/compacted-view';
import type { LogpipeConfig } from '../system/config/config';
import type { Logger } from '../system/observability/logging';
import { checkReportTopic, reportTopicMessageBytes } from '../system/config/topic-settings';
import { compactionSettingsFor, ensureTopics } from '../system/kafka/topics';
import { Metrics } from '../system/observability/metrics';
import { type AlertEmail, buildAlertEmail, decideSend, recordSend, type RetryPolicy, type SendRecord } from './email';
import { decodePartial, encodePartial, type MergeState, type PartialRecord, WindowMerger } from './merge';
import { RecentWindows, type RecentWindow } from './recent-windows';
import { windowRecordOf } from './records';
import { renderCsv, renderJson, renderText, reportDocument, reportFileNames, type ReportDocument } from './render';
import { type AlertDecision, type AlertRules, decideAlert, resolveAlertRules } from './rules';
import type { EmailTransport } from './transport';
import { resolveWindowOptions, WindowAggregator, type WindowOptions, type WindowReport, type WindowState } from './window';

/** What the state topic holds for a partition task. */
interface TaskState {
  kind: 'task';
  window: WindowState;
  /** Next log-topic offset to count; -1 before the first record. */
  nextOffset: number;
  /** Horizon and idle flag of the last partial sent, to send one only when something changed. */
  sentHorizon: number | null;
  sentIdle: boolean;
  /** With sentIdle: the offset the partition was read up to when it was judged idle (PartialRecord.idleThrough). */
  sentIdleThrough?: number;
}

interface PendingEmail {
  report: WindowReport;
  decision: AlertDecision;
  record: SendRecord | undefined;
}

/** What the state topic holds for the merge task (its pending emails are records of their own). */
interface MergeTaskState {
  kind: 'merge';
  merger: MergeState;
  nextOffset: number;
  lastAlertStartMs: number | null;
  /** Pending emails as states written before they had records of their own; read, never written. */
  emails?: Record<string, PendingEmail>;
}

/**
 * A pending alert email: one record per window on the state topic (key `email <group> <topic>
 * <window id>`), written with the window's report and deleted (a tombstone) once the provider
 * accepted or refused the email. One small record per email, so each send is settled on its own in
 * a transaction of constant size: a crash repeats at most the email it was sending.
 */
interface EmailState {
  kind: 'email';
  pending: PendingEmail;
}

type StateValue = TaskState | MergeTaskState | EmailState;

export interface ReportStageOptions {
  kafka: Kafka;
  config: LogpipeConfig;
  /** The log topic (kafka.topic or --topic). */
  topic: string;
  transport: EmailTransport;
  log: Logger;
  /** Called after a window's report is committed (and its files written). */
  onReport?: (doc: ReportDocument) => void;
  now?: () => number;
  /** Lag, windows, late records, alerts and emails are counted here; a registry of its own if absent. */
  metrics?: Metrics;
}

export interface ReportStageStatus {
  partitions: Array<{ partition: number; nextOffset: number; idle: boolean; open: number }>;
  merge: { assigned: boolean; open: string[]; pendingEmails: number; caughtUp: boolean };
  windowsReported: number;
  emailsSent: number;
  emailsFailed: number;
  late: number;
}

/** Runs `fn` after every earlier call on the same lock has settled. */
class Lock {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

interface Published {
  report: WindowReport;
  decision: AlertDecision;
  doc: ReportDocument;
}

interface PartitionTask {
  partition: number;
  producer: Producer;
  aggregator: WindowAggregator;
  state: TaskState;
  lastRecordMs: number;
  lock: Lock;
  /** Set when the task is forgotten (failed commit, partition revoked): it never commits again. */
  dropped?: boolean;
}

interface MergeTask {
  producer: Producer;
  merger: WindowMerger;
  state: MergeTaskState;
  /** Alert emails committed and not yet settled, by window id. */
  emails: Map<string, PendingEmail>;
  lock: Lock;
  /** Set when the task is dropped (failed commit, partition revoked): it never commits again. */
  dropped?: boolean;
}

const TICK_MS = 1_000;
/**
 * The consumers' session timeout (kafkajs's default, set explicitly so that the tick agrees): a
 * process that did not tick for this long (paused by GC, SIGSTOP, a slow disk) has been evicted
 * from its groups, and its assignment is no longer its own until it joins again.
 */
const SESSION_TIMEOUT_MS = 30_000;
/**
 * How long without the tick timer firing makes a process doubt its memberships: half the session
 * timeout, since the broker counts from the last heartbeat (every 3 s), and a healthy process fires
 * the timer every second.
 */
const STALL_DOUBT_MS = SESSION_TIMEOUT_MS / 2;

/** How long a dropped merge task waits for the email in flight to be settled (dropMergeTask). */
const EMAIL_SETTLE_GRACE_MS = 30_000;


export class ReportStage {
  private readonly admin: Admin;
  private readonly state: CompactedTopicView<StateValue>;
  /** The ingest ledger (progress topic): objects still being ingested keep their partitions from going idle. */
  private readonly ledger: Ledger;
  /** The progress topic's end offsets at the previous tick (partitionsBeingIngested). */
  private ledgerEndsBefore: Map<number, number> | undefined;
  private readonly windowOptions: WindowOptions;
  private readonly rules: AlertRules;
  private readonly retry: RetryPolicy;
  private readonly now: () => number;
  private readonly log: Logger;
  private consumer: SupervisedConsumer | undefined;
  private mergeConsumer: SupervisedConsumer | undefined;
  private readonly tasks = new Map<number, Promise<PartitionTask>>();
  private assigned = new Set<number>();
  private mergeTask: Promise<MergeTask> | undefined;
  private mergeAssigned = false;
  private mergeCaughtUp = false;
  private partitionCount = 0;
  /**
   * How far each consumer has read, transaction markers included (END_BATCH_PROCESS also fires for
   * batches of markers only). A partition is caught up when this reaches its high watermark: the
   * offset after the last record is not enough, as a committed transaction ends with a marker.
   */
  private readonly fetched = new Map<number, number>();
  private partialsFetched = 0;
  private tick: NodeJS.Timeout | undefined;
  private ticking = false;
  /** When the tick timer last fired (a paused process fires none). */
  private lastTimerMs: number | undefined;
  /** Resolves when the email being sent has been settled (or its settle failed): dropMergeTask waits for it. */
  private emailInFlight: Promise<void> | undefined;
  /**
   * Set when the process did not run for a session timeout (the tick timer did not fire: paused by
   * GC, SIGSTOP, a slow disk): it has been evicted from its groups unless a heartbeat since says
   * otherwise, so the tick acts on no partition until a heartbeat succeeds or the groups are joined
   * again. Acting on the old assignment would reopen tasks that are another member's now and fence it.
   */
  private membershipInDoubt = false;
  /** The same for the merge consumer's group (its own heartbeat or join confirms it). */
  private mergeMembershipInDoubt = false;
  private stopped = false;
  private emailTimer: NodeJS.Timeout | undefined;
  private sending = false;
  /**
   * Emails the provider accepted or refused for good whose settle has not committed yet (it failed:
   * an outage, the merge task dropped). If the merge task comes back to this process, they are settled
   * without being sent again; only a crash (which forgets this) or another owner repeats one.
   */
  private readonly answered = new Set<string>();
  private readonly stats = { windowsReported: 0, emailsSent: 0, emailsFailed: 0, late: 0 };
  private readonly metrics: Metrics;
  /** Partitions with a consumer-lag series, removed when the partition goes to another member. */
  private readonly lagged = new Set<number>();
  private readonly recent: RecentWindows;

  constructor(private readonly o: ReportStageOptions) {
    const r = o.config.report;
    this.admin = o.kafka.admin();
    this.log = o.log;
    this.now = o.now ?? Date.now;
    // The state topic holds the tasks of every group and log topic; this stage reads only its own.
    const taskPrefix = this.taskKey(0).replace(/0$/, '');
    const mergeKey = this.mergeKey();
    const emailPrefix = this.emailKey('');
    this.state = new CompactedTopicView<StateValue>(o.kafka, r.stateTopic, o.log, (_key, value) => decodeState(value), 'logpipe-report-state', {
      keep: (key) => key === mergeKey || key.startsWith(taskPrefix) || key.startsWith(emailPrefix),
      compactionAdvice: o.config.kafka.topicProfile !== 'msk-serverless',
    });
    this.ledger = new Ledger(o.kafka, o.config.kafka.progressTopic, o.log, { inProgressOnly: true, compactionAdvice: o.config.kafka.topicProfile !== 'msk-serverless' });
    this.windowOptions = resolveWindowOptions({
      mode: r.windowMode,
      sizeMs: r.windowSizeMs,
      allowedLatenessMs: r.allowedLatenessMs,
      futureSkewMs: r.futureSkewMs,
      // Idleness is the stage's (flushOpen on the tick), not the aggregator's: an aggregator's own
      // idle close would close its windows for good and make the next upload's records late.
      idleCloseMs: Number.MAX_SAFE_INTEGER,
      // Two objects ingested at once into one partition interleave there batch by batch, minutes of
      // event time apart: the watermark follows the one behind until it has been quiet this long.
      sourceIdleMs: r.idleCloseMs,
      maxErrorMessages: r.maxErrorMessages,
      // Windows close on the tick once the partition is caught up (see WindowOptions.closeOnAdd).
      closeOnAdd: false,
    });
    this.rules = resolveAlertRules({
      thresholds: r.alertThresholds,
      errorShare: r.alertErrorShare < 0 ? undefined : r.alertErrorShare,
      minTotal: r.alertMinTotal,
      realertMs: r.realertMs,
    });
    this.retry = { initialDelayMs: r.emailRetryDelayMs, maxDelayMs: r.emailRetryMaxDelayMs };
    this.metrics = o.metrics ?? new Metrics();
    this.recent = new RecentWindows(r.emailTo.length > 0, o.topic);
  }

  private get r(): LogpipeConfig['report'] {
    return this.o.config.report;
  }

  /**
   * Connects and joins both consumer groups. stop() may be called while this runs (a shutdown while
   * Kafka is slow or a busy group rebalances): start() then rejects at its next step instead of
   * creating what stop() has already passed.
   */
  async start(): Promise<void> {
    const step = async <T>(p: Promise<T>): Promise<T> => {
      const value = await p;
      if (this.stopped) throw new Error('report stage stopped while starting');
      return value;
    };
    await step(this.admin.connect());
    await step(ensureReportTopics(this.admin, this.o.config, this.log));
    this.partitionCount = await step(this.countPartitions());
    await step(this.state.start());
    await step(this.ledger.start());

    this.consumer = new SupervisedConsumer({
      name: 'log-topic consumer',
      log: this.log,
      create: () => this.o.kafka.consumer({ groupId: this.r.groupId, readUncommitted: false, maxWaitTimeInMs: 250, sessionTimeout: SESSION_TIMEOUT_MS, ...NEVER_RESTART }),
      setup: async (consumer) => {
        // Out of the group (a rebalance began, or the consumer crashed or stopped): no partition is
        // this process's until the next GROUP_JOIN. The tick must not reopen tasks of an old
        // assignment: that fences their new owners, and a window is reported late or never.
        for (const event of [consumer.events.REBALANCING, consumer.events.CRASH, consumer.events.STOP]) consumer.on(event, () => this.leaveLogGroup());
        consumer.on(consumer.events.HEARTBEAT, () => (this.membershipInDoubt = false));
        consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
          // Batches of transaction markers or aborted records only (filtered to nothing, never handed
          // to eachBatch): nothing to count up to their end. A batch with records moves `fetched` in
          // onLogBatch once counted and committed; one skipped as stale must not (the partition
          // would look caught up and close windows before its records were counted).
          if (payload.topic === this.o.topic && payload.batchSize === 0) this.fetched.set(payload.partition, Number(payload.lastOffset) + 1);
        });
        consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
          this.membershipInDoubt = false;
          this.runningSince();
          // A new generation starts from the group's committed offsets: what was fetched before says nothing.
          this.fetched.clear();
          this.assigned = new Set(payload.memberAssignment[this.o.topic] ?? []);
          this.log.info('log-topic partitions assigned', { partitions: [...this.assigned] });
          this.forgetLag();
          void this.dropUnassigned();
        });
        await consumer.connect();
        await consumer.subscribe({ topic: this.o.topic, fromBeginning: true });
        await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (p) => this.onLogBatch(p) });
      },
    });
    await step(this.consumer.start());

    this.mergeConsumer = new SupervisedConsumer({
      name: 'partials consumer',
      log: this.log,
      create: () => this.o.kafka.consumer({ groupId: `${this.r.groupId}-merge`, readUncommitted: false, maxWaitTimeInMs: 250, sessionTimeout: SESSION_TIMEOUT_MS, ...NEVER_RESTART }),
      setup: async (merge) => {
        // As for the partition tasks (leaveLogGroup): no merge task is kept across a group join.
        for (const event of [merge.events.REBALANCING, merge.events.CRASH, merge.events.STOP]) {
          merge.on(event, () => {
            this.mergeAssigned = false;
            this.dropMergeTask();
          });
        }
        merge.on(merge.events.HEARTBEAT, () => (this.mergeMembershipInDoubt = false));
        merge.on(merge.events.END_BATCH_PROCESS, ({ payload }) => {
          this.partialsFetched = Number(payload.lastOffset) + 1;
        });
        merge.on(merge.events.GROUP_JOIN, ({ payload }) => {
          this.mergeMembershipInDoubt = false;
          this.runningSince();
          this.mergeAssigned = (payload.memberAssignment[this.r.partialsTopic] ?? []).includes(0);
          this.mergeCaughtUp = false;
          if (!this.mergeAssigned) this.dropMergeTask();
        });
        await merge.connect();
        await merge.subscribe({ topic: this.r.partialsTopic, fromBeginning: true });
        await merge.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (p) => this.onPartialsBatch(p) });
      },
    });
    await step(this.mergeConsumer.start());

    this.runningSince();
    this.tick = setInterval(() => {
      const now = this.now();
      if (this.stalled(now)) {
        this.log.warn('the process did not run for longer than the session timeout; reporting waits until its group membership is confirmed', { pausedMs: now - (this.lastTimerMs ?? now) });
        this.membershipInDoubt = true;
        this.mergeMembershipInDoubt = true;
        this.dropAllTasks();
        this.dropMergeTask();
      }
      this.lastTimerMs = now;
      void this.onTick();
    }, TICK_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.tick) clearInterval(this.tick);
    if (this.emailTimer) clearTimeout(this.emailTimer);
    await this.consumer?.stop();
    await this.mergeConsumer?.stop();
    const tasks = await Promise.all([...this.tasks.values()].map((t) => t.catch(() => undefined)));
    await Promise.all(tasks.map((t) => t && t.lock.run(() => t.producer.disconnect()).catch(() => undefined)));
    const merge = await this.mergeTask?.catch(() => undefined);
    if (merge) await merge.lock.run(() => merge.producer.disconnect()).catch(() => undefined);
    await this.state.stop().catch(() => undefined);
    await this.ledger.stop().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
  }

  /**
   * True when this process owns every log-topic partition and the merge task, every partition is
   * idle, the merger has read every partial and holds no open window, and no email is waiting: what
   * `logpipe report --exit-when-idle` waits for.
   */
  async idle(): Promise<boolean> {
    if (this.partitionCount === 0 || this.assigned.size !== this.partitionCount || !this.mergeAssigned || !this.mergeCaughtUp || !this.mergeTask) return false;
    for (let p = 0; p < this.partitionCount; p++) {
      const task = await this.tasks.get(p);
      if (!task || !task.state.sentIdle) return false;
    }
    const merge = await this.mergeTask;
    return merge.merger.describe().open.length === 0 && merge.emails.size === 0;
  }

  async status(): Promise<ReportStageStatus> {
    const partitions = [];
    for (const [partition, t] of this.tasks) {
      const task = await t.catch(() => undefined);
      if (task) partitions.push({ partition, nextOffset: task.state.nextOffset, idle: task.state.sentIdle, open: task.aggregator.snapshot().open.length });
    }
    const merge = await this.mergeTask?.catch(() => undefined);
    return {
      partitions: partitions.sort((a, b) => a.partition - b.partition),
      merge: { assigned: this.mergeAssigned, open: merge?.merger.describe().open ?? [], pendingEmails: merge ? merge.emails.size : 0, caughtUp: this.mergeCaughtUp },
      ...this.stats,
    };
  }

  // Keys on the shared topics: group ids and topic names cannot contain spaces.
  private taskKey(partition: number): string {
    return `task ${this.r.groupId} ${this.o.topic} ${partition}`;
  }

  private mergeKey(): string {
    return `merge ${this.r.groupId} ${this.o.topic}`;
  }

  private emailKey(windowId: string): string {
    return `email ${this.r.groupId} ${this.o.topic} ${windowId}`;
  }

  private partialKeyPrefix(): string {
    return `${this.r.groupId} ${this.o.topic} `;
  }

  private partialKey(partition: number): string {
    return `${this.partialKeyPrefix()}${partition}`;
  }

  // ---- stage 1: partition tasks -------------------------------------------------------------

  private async onLogBatch({ batch, heartbeat, resolveOffset, isRunning, isStale }: EachBatchPayload): Promise<void> {
    this.refuseIfStopped();
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const task = await this.task(batch.partition);
    await task.lock.run(async () => {
      // The state object is shared with the state view (what set() stored, or what openTask
      // restored): counting works on a copy, so that a failed commit, which forgets the task, leaves
      // the view's committed nextOffset as it was. (Moving it in place made a re-opened task skip
      // the records of the aborted transaction: R2 lost lines after a broker restart.)
      task.state = { ...task.state };
      const before = task.state.nextOffset;
      const arrival = this.now();
      let counted = 0;
      let future: { count: number; first: { source: string; timeMs: number } } | undefined;
      for (const m of batch.messages) {
        const offset = Number(m.offset);
        if (offset < task.state.nextOffset) continue;
        const record = windowRecordOf(m, arrival);
        if (record) {
          const outcome = task.aggregator.add(record);
          if (outcome.late) this.stats.late++;
          if (outcome.future) (future ??= { count: 0, first: { source: record.source, timeMs: record.timeMs } }).count++;
        }
        task.state.nextOffset = offset + 1;
        counted++;
      }
      if (future) {
        this.log.warn('future-dated records counted at their source\'s newest believable time (see report.futureSkewMs)', {
          partition: batch.partition,
          records: future.count,
          source: future.first.source,
          eventTime: new Date(future.first.timeMs).toISOString(),
          readAt: new Date(arrival).toISOString(),
        });
      }
      if (counted > 0) {
        task.lastRecordMs = this.now();
        // Counted and committed with no await between that could fail: a failed heartbeat here left
        // counts in memory that no commit covered.
        await this.commitTask(task, false, { from: before });
      }
    });
    this.fetched.set(batch.partition, Number(batch.lastOffset()) + 1);
    resolveOffset(batch.lastOffset());
    await heartbeat();
  }

  /**
   * A batch for a stopped stage comes from a consumer that outlived stop(): kafkajs's restart after
   * a crash creates a runner that stop() cannot stop while its group join is in progress (runner.stop
   * returns at once for a runner not yet running), and it then consumes with nobody holding it.
   * Returning without resolving made that consumer fetch the same batch again at once, forever (a
   * busy loop; before, the stopped stage counted and committed what it was given). A non-retriable
   * error ends it for good: kafkajs does not retry it, and does not restart a consumer for it.
   */
  private refuseIfStopped(): void {
    if (this.stopped) throw new KafkaJSNonRetriableError('report stage stopped: this consumer outlived it');
  }

  /** Commits the task's closed windows, state and offset; on failure forgets the task (it is restored from the state topic). */
  /**
   * @param idleThrough with idle: the offset the partition is read up to (the merger takes the
   *   partition as idle only while nothing lies beyond it).
   */
  private async commitTask(task: PartitionTask, idle: boolean, why: { from?: number; idle?: boolean }, idleThrough?: number): Promise<void> {
    // An idle partition hands out its open windows without closing them: more of their records may
    // come with the next upload, and the merger sums the pieces (closing stays with the merger).
    const closed = idle ? task.aggregator.flushOpen() : task.aggregator.poll();
    const snapshot = task.aggregator.snapshot();
    const horizonMoved = snapshot.closedUntilMs !== task.state.sentHorizon;
    const through = idle ? idleThrough : undefined;
    const partial: PartialRecord | undefined =
      closed.length > 0 || horizonMoved || idle !== task.state.sentIdle || through !== task.state.sentIdleThrough
        ? { version: 1, partition: task.partition, partitions: this.partitionCount, windows: closed, closedUntilMs: snapshot.closedUntilMs, idle, ...(through === undefined ? {} : { idleThrough: through }) }
        : undefined;
    const next: TaskState = { ...task.state, window: snapshot, sentHorizon: partial ? snapshot.closedUntilMs : task.state.sentHorizon, sentIdle: partial ? idle : task.state.sentIdle };
    if (partial) {
      if (through === undefined) delete next.sentIdleThrough;
      else next.sentIdleThrough = through;
    }
    const key = this.taskKey(task.partition);
    const encoded = Buffer.from(JSON.stringify(next));
    if (task.dropped) throw new Error(`report task of partition ${task.partition} was dropped; it is re-opened from its committed state`);
    const txn = await task.producer.transaction();
    try {
      if (partial) await txn.send({ topic: this.r.partialsTopic, messages: [{ key: this.partialKey(task.partition), value: encodePartial(partial) }] });
      await txn.send({ topic: this.r.stateTopic, messages: [{ key, value: encoded }] });
      if (task.state.nextOffset >= 0) {
        await txn.sendOffsets({ consumerGroupId: this.r.groupId, topics: [{ topic: this.o.topic, partitions: [{ partition: task.partition, offset: String(task.state.nextOffset) }] }] });
      }
      await txn.commit();
    } catch (err) {
      task.dropped = true;
      await txn.abort().catch(() => undefined);
      this.forgetTask(task.partition);
      throw err;
    }
    task.state = next;
    this.state.set(key, next, encoded);
    if (partial && (closed.length > 0 || idle)) this.log.debug('partial committed', { partition: task.partition, windows: closed.map((w) => w.id), idle, ...why });
  }

  private task(partition: number): Promise<PartitionTask> {
    let t = this.tasks.get(partition);
    if (!t) {
      t = this.openTask(partition);
      this.tasks.set(partition, t);
      t.catch(() => this.tasks.delete(partition));
    }
    return t;
  }

  private async openTask(partition: number): Promise<PartitionTask> {
    const prefix = this.o.config.kafka.transactionalIdPrefix;
    const producer = this.o.kafka.producer({ transactionalId: `${prefix}-report-${this.r.groupId}-${this.o.topic}-${partition}`, idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    const saved = await this.takeOver(producer, this.taskKey(partition));
    const aggregator = new WindowAggregator(this.windowOptions, this.now);
    let state: TaskState;
    if (saved?.kind === 'task') {
      aggregator.restore(saved.window);
      state = saved;
    } else {
      state = { kind: 'task', window: aggregator.snapshot(), nextOffset: -1, sentHorizon: null, sentIdle: false };
    }
    this.log.info('report partition task opened', { partition, nextOffset: state.nextOffset, restored: saved?.kind === 'task' });
    return { partition, producer, aggregator, state, lastRecordMs: this.now(), lock: new Lock() };
  }

  /**
   * Takes a task's state key over with its transactional producer: connects, fences the previous
   * owner (the first transaction initialises the id, which fails that owner's next commit and
   * completes its open transaction), commits a barrier on the state topic and reads the topic up to
   * it. Resolves with the task's last committed state. Fencing must come first: state read before
   * it could be overtaken by the previous owner's next commit (a batch counted twice, or records
   * skipped when the group's offset moved on with a commit the restored state does not have).
   */
  private async takeOver(producer: Producer, key: string, alsoPrefix?: string): Promise<StateValue | undefined> {
    try {
      await producer.connect();
      await this.state.syncThrough((barrier) => {
        // The first transaction fences the key's other owners. A process that has just woken from
        // a stall (its I/O callbacks run before its timers notice) may be taking over on the word
        // of an assignment it lost meanwhile: fencing now aborted its replacement's settle of an
        // email already sent, and the email went out again (simulation
        // paused-reporter-resumes-after-takeover, seed 794627684). The tick retries once the group
        // has confirmed this process's membership.
        if (this.stalled(this.now())) throw Object.assign(new Error('not taking a report task over right after a stall; waiting for the group to confirm this process'), { retriable: true });
        return commitBarrier(producer, this.r.stateTopic, barrier);
      });
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
    this.state.release(key);
    if (alsoPrefix !== undefined) this.state.releasePrefix(alsoPrefix);
    return this.state.get(key);
  }

  /**
   * Forgets a task: a caller that still holds it (a tick or batch waiting on its lock) must not
   * commit with it, since after a failed commit its memory holds counts no commit covers, and the
   * failed commit's outcome may be unknown (committed after all): the task is re-opened from the
   * state topic instead.
   */
  private forgetTask(partition: number): void {
    const t = this.tasks.get(partition);
    this.tasks.delete(partition);
    void t
      ?.then((task) => {
        task.dropped = true;
        return task.producer.disconnect();
      })
      .catch(() => undefined);
  }

  private async dropUnassigned(): Promise<void> {
    for (const partition of [...this.tasks.keys()]) {
      if (this.assigned.has(partition)) continue;
      const task = await this.tasks.get(partition)?.catch(() => undefined);
      if (task) await task.lock.run(async () => this.forgetTask(partition));
    }
  }

  // ---- the tick: idleness, processing-time windows, emails -----------------------------------

  /**
   * Whether the process has just woken from a stall (the tick timer did not fire for STALL_DOUBT_MS):
   * checked by the timer, and before each email is sent, since an email loop paused mid-way resumes
   * before any timer fires.
   */
  private stalled(now: number): boolean {
    return this.lastTimerMs !== undefined && now - this.lastTimerMs >= STALL_DOUBT_MS;
  }

  /**
   * Gives stalled() its first reference before the tick timer has fired: the first group join (or
   * the timer's creation, if earlier). A process paused between its join and its first tick woke
   * up believing in the old assignment, opened the merge task (fencing its new owner mid-settle)
   * and sent an email that owner had just sent (simulation: report, seed -886584952). Never moved
   * forward here: a join handled after a pause must not hide the pause.
   */
  private runningSince(): void {
    this.lastTimerMs ??= this.now();
  }

  /**
   * This process holds no log-topic partition until its consumer joins the group again, and keeps
   * no task: another member may own a partition in between and move its state on (fencing this
   * process's task), and a task kept across the join would hold older state, never commit and hold
   * the merger back forever. A new generation reopens its tasks from the state topic.
   */
  private leaveLogGroup(): void {
    this.assigned = new Set();
    this.fetched.clear();
    this.dropAllTasks();
  }

  /** Forgets every task now; each producer is released once the batch in hand (if any) is done. */
  private dropAllTasks(): void {
    for (const [partition, t] of [...this.tasks]) {
      this.tasks.delete(partition);
      void t
        .then((task) =>
          task.lock.run(async () => {
            task.dropped = true;
            await task.producer.disconnect();
          }),
        )
        .catch(() => undefined);
    }
  }

  private async onTick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      const assigned = this.membershipInDoubt ? [] : [...this.assigned];
      if (assigned.length > 0) {
        const high = new Map((await this.admin.fetchTopicOffsets(this.o.topic)).map((o) => [o.partition, Number(o.high)]));
        this.partitionCount = Math.max(this.partitionCount, high.size);
        const committed = await this.committedOffsets();
        const ingesting = await this.partitionsBeingIngested();
        for (const partition of assigned) {
          if (this.stopped) return;
          // The awaits above may have outlasted this process's membership: a task is opened (which
          // fences its other owners) only for a partition that is still this process's.
          if (this.membershipInDoubt || !this.assigned.has(partition)) continue;
          const task = await this.task(partition);
          await task.lock.run(async () => {
            const next = Math.max(task.state.nextOffset, this.fetched.get(partition) ?? -1, committed.get(partition) ?? 0);
            const caughtUp = next >= (high.get(partition) ?? 0);
            this.setLag(partition, (high.get(partition) ?? 0) - next);
            const quiet = this.now() - task.lastRecordMs >= this.r.idleCloseMs;
            const idle = caughtUp && quiet && ingesting !== undefined && !ingesting.has(partition);
            const agg = task.aggregator;
            if (caughtUp) agg.closeToWatermark();
            // poll() inside commitTask also closes by the wall clock: processing time, or idleness.
            const clockCloses = agg.openWindows > 0 && (this.windowOptions.mode === 'processing' || idle);
            // An idle partition read further than its last idle partial said (records or
            // transaction markers the merger would otherwise take as uncounted) says so again.
            const claimMoved = idle && task.state.sentIdle && next !== task.state.sentIdleThrough;
            if (idle !== task.state.sentIdle || claimMoved || agg.closedWindows > 0 || agg.closedUntil !== task.state.sentHorizon || clockCloses) {
              await this.commitTask(task, idle, { idle }, next);
            }
          });
        }
      }
      if (!this.mergeMembershipInDoubt) {
        await this.checkMergeCaughtUp();
        await this.sendDueEmails();
      }
    } catch (err) {
      if (!this.stopped) this.log.warn('report tick failed; retrying on the next', { error: err instanceof Error ? err.message : String(err) });
    } finally {
      this.ticking = false;
    }
  }

  /**
   * Partitions of the log topic that an object in progress in the ingest ledger writes to (its key's
   * partition), with a commit less than report.ingestStallMs old. Such a partition is not idle even
   * when caught up and quiet: its object resumes after an outage, and closing its windows now would
   * make the rest of their records late (fault scenario R2 on a slow machine: ingest came back more
   * than idleCloseMs after the report stage did). An object is in the ledger from its start record
   * (KafkaPublisherActor.begin), before its first batch; one not started yet holds nothing.
   *
   * Undefined (any partition may be) while this process's ledger view has not read the progress
   * topic up to where it ended one tick ago (the first tick: where it ends now): its consumer was
   * replaced after an outage, or it is still reading the topic at start-up. Judging from a view
   * behind the ingest could let a partition go idle while its object was in progress. Not "up to
   * where it ends now": under continuous ingest the view is always a few records behind the end of
   * the moment, and no partition would ever go idle.
   */
  private async partitionsBeingIngested(): Promise<Set<number> | undefined> {
    const ends = new Map((await this.admin.fetchTopicOffsets(this.ledger.topic)).map((o) => [o.partition, Number(o.high)]));
    const required = this.ledgerEndsBefore ?? ends;
    this.ledgerEndsBefore = ends;
    if (!this.ledger.hasReadUpTo(required)) return undefined;
    const out = new Set<number>();
    if (this.partitionCount === 0) return out;
    const partitionMetadata = Array.from({ length: this.partitionCount }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    const partitioner = Partitioners.DefaultPartitioner();
    for (const source of this.ledger.inProgress(this.o.topic, this.now() - this.r.ingestStallMs).keys()) {
      out.add(partitioner({ topic: this.o.topic, partitionMetadata, message: { key: source, value: null } }));
    }
    return out;
  }

  /** The group's committed offsets on the log topic (a partition without records has none). */
  private async committedOffsets(): Promise<Map<number, number>> {
    const [entry] = await this.admin.fetchOffsets({ groupId: this.r.groupId, topics: [this.o.topic] });
    return new Map((entry?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]));
  }

  private async countPartitions(): Promise<number> {
    const offsets = await this.admin.fetchTopicOffsets(this.o.topic);
    return offsets.length;
  }

  // ---- stage 2: the merge task ---------------------------------------------------------------

  private async onPartialsBatch({ batch, heartbeat, resolveOffset, isRunning, isStale }: EachBatchPayload): Promise<void> {
    this.refuseIfStopped();
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const task = await this.merge();
    const committed: Published[] = [];
    await task.lock.run(async () => {
      const closed: WindowReport[] = [];
      let nextOffset = task.state.nextOffset;
      // Idle claims are checked against the log topic's end offsets before these partials can close
      // a window on their strength (WindowMerger.observeEnds): a partition with records its owner
      // has not counted yet (its commit failed, or the upload is not fetched yet) holds windows open.
      if (task.merger.hasIdleClaims()) {
        const ends = await this.admin.fetchTopicOffsets(this.o.topic);
        task.merger.observeEnds(new Map(ends.map((o) => [o.partition, Number(o.high)])));
      }
      for (const m of batch.messages) {
        const offset = Number(m.offset);
        if (offset < nextOffset) continue;
        nextOffset = offset + 1;
        // The partials topic is shared by every group and log topic; this merger takes its own.
        if (m.key?.toString().startsWith(this.partialKeyPrefix()) !== true) continue;
        let partial: PartialRecord;
        try {
          partial = decodePartial(m.value);
        } catch (err) {
          this.log.error('skipping an unreadable partial record', { offset, error: (err as Error).message });
          continue;
        }
        closed.push(...task.merger.apply(partial));
      }
      const emails = new Map<string, PendingEmail>();
      let lastAlertStartMs = task.state.lastAlertStartMs ?? undefined;
      const published: Published[] = [];
      for (const report of closed) {
        const decision = decideAlert(report, this.rules, lastAlertStartMs);
        lastAlertStartMs = decision.lastAlertStartMs;
        published.push({ report, decision, doc: reportDocument(report, decision) });
        if (decision.alert) emails.set(report.id, { report, decision, record: undefined });
      }
      const next: MergeTaskState = { kind: 'merge', merger: task.merger.snapshot(), nextOffset, lastAlertStartMs: lastAlertStartMs ?? null };
      await this.commitMerge(task, next, published.map((p) => p.doc), nextOffset, emails);
      committed.push(...published);
    });
    resolveOffset(batch.lastOffset());
    await heartbeat();
    this.mergeCaughtUp = false;
    for (const p of committed) this.published(p);
    if (committed.some((p) => p.decision.alert)) void this.sendDueEmails();
  }

  /**
   * One transaction of the merge task: the reports of the windows that closed, the merge state with
   * its input offset, and the records of the alert emails that became due (or, with no `next`, only
   * email changes: a settled email's tombstone or its updated retry record). On failure the task is
   * dropped and re-opened from the state topic.
   */
  private async commitMerge(task: MergeTask, next: MergeTaskState | undefined, docs: ReportDocument[], offset: number | undefined, emails: Map<string, PendingEmail | undefined>): Promise<void> {
    const encoded = next && Buffer.from(JSON.stringify(next));
    const emailRecords = [...emails].map(([id, pending]) => ({ key: this.emailKey(id), pending, value: pending ? Buffer.from(JSON.stringify({ kind: 'email', pending } satisfies EmailState)) : null }));
    if (task.dropped) throw new Error('report merge task was dropped; it is re-opened from its committed state');
    const txn = await task.producer.transaction();
    try {
      if (docs.length) await txn.send({ topic: this.r.topic, messages: docs.map((d) => ({ key: d.id, value: JSON.stringify(d), headers: { group: this.r.groupId, topic: this.o.topic } })) });
      const stateRecords = [...(encoded ? [{ key: this.mergeKey(), value: encoded }] : []), ...emailRecords.map(({ key, value }) => ({ key, value }))];
      if (stateRecords.length) await txn.send({ topic: this.r.stateTopic, messages: stateRecords });
      if (offset !== undefined) await txn.sendOffsets({ consumerGroupId: `${this.r.groupId}-merge`, topics: [{ topic: this.r.partialsTopic, partitions: [{ partition: 0, offset: String(offset) }] }] });
      await txn.commit();
    } catch (err) {
      task.dropped = true;
      await txn.abort().catch(() => undefined);
      this.dropMergeTask();
      throw err;
    }
    if (next && encoded) {
      task.state = next;
      this.state.set(this.mergeKey(), next, encoded);
    }
    for (const { key, pending, value } of emailRecords) {
      const id = key.slice(this.emailKey('').length);
      if (pending && value) {
        task.emails.set(id, pending);
        this.state.set(key, { kind: 'email', pending }, value);
      } else {
        task.emails.delete(id);
        this.state.set(key, undefined, null);
      }
    }
  }

  /** After a report is committed: its files, the callback, the count. */
  private published({ report, decision, doc }: Published): void {
    this.stats.windowsReported++;
    this.countReport(report, decision);
    try {
      writeReportFiles(this.r.dir, report, decision, this.o.topic);
    } catch (err) {
      this.log.error('could not write report files; the report topic has the report', { window: doc.id, dir: this.r.dir, error: (err as Error).message });
    }
    this.log.info('window reported', { window: doc.id, total: doc.total, ERROR: doc.counts.ERROR, alert: doc.alert.alert, late: doc.late });
    this.o.onReport?.(doc);
  }

  private merge(): Promise<MergeTask> {
    if (!this.mergeTask) {
      this.mergeTask = this.openMerge();
      this.mergeTask.catch(() => (this.mergeTask = undefined));
    }
    return this.mergeTask;
  }

  private async openMerge(): Promise<MergeTask> {
    const prefix = this.o.config.kafka.transactionalIdPrefix;
    const producer = this.o.kafka.producer({ transactionalId: `${prefix}-report-merge-${this.r.groupId}-${this.o.topic}`, idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    const saved = await this.takeOver(producer, this.mergeKey(), this.emailKey(''));
    const state: MergeTaskState = saved?.kind === 'merge' ? saved : { kind: 'merge', merger: new WindowMerger(this.windowOptions.sizeMs).snapshot(), nextOffset: 0, lastAlertStartMs: null };
    const emails = new Map<string, PendingEmail>(Object.entries(state.emails ?? {}));
    for (const key of this.state.keysWithPrefix(this.emailKey(''))) {
      const value = this.state.get(key);
      if (value?.kind === 'email') emails.set(key.slice(this.emailKey('').length), value.pending);
    }
    const merger = new WindowMerger(this.windowOptions.sizeMs, state.merger);
    this.log.info('report merge task opened', { nextOffset: state.nextOffset, pendingEmails: emails.size });
    const task: MergeTask = { producer, merger, state, emails, lock: new Lock() };
    if (state.emails) {
      // A state written before pending emails had records of their own: they get theirs now.
      const { emails: legacy, ...rest } = state;
      await this.commitMerge(task, rest, [], undefined, new Map(Object.entries(legacy)));
    }
    return task;
  }

  /** Drops the merge task; like forgetTask, whoever still holds it cannot commit with it. */
  private dropMergeTask(): void {
    const t = this.mergeTask;
    this.mergeTask = undefined;
    // An email in flight is settled first, in its one transaction (it commits unless the merge
    // partition's new owner has fenced this producer already, and then the new owner reads it):
    // dropping the task at once failed that settle, and the new owner sent the email again with no
    // crash at all (simulation: rejoin-after-a-missed-generation, seed 1487398797). No new email
    // starts meanwhile: mergeTask is unset and mergeAssigned false. The wait is bounded (a provider
    // that never answers must not keep the producer connected forever), and stop() does not wait.
    const inFlight = this.stopped ? undefined : this.emailInFlight;
    void t
      ?.then(async (task) => {
        if (inFlight) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([inFlight, new Promise<void>((resolve) => (timer = setTimeout(resolve, EMAIL_SETTLE_GRACE_MS)))]);
          clearTimeout(timer);
        }
        await task.lock.run(async () => {
          task.dropped = true;
          await task.producer.disconnect();
        });
      })
      .catch(() => undefined);
  }

  private async checkMergeCaughtUp(): Promise<void> {
    if (!this.mergeAssigned || this.mergeMembershipInDoubt) return;
    const task = await this.merge();
    const [high] = await this.admin.fetchTopicOffsets(this.r.partialsTopic);
    this.mergeCaughtUp = Math.max(task.state.nextOffset, this.partialsFetched) >= Number(high?.high ?? 0);
  }

  // ---- emails --------------------------------------------------------------------------------

  /**
   * Sends the alert emails that are due, one at a time, and settles each in a transaction of its
   * own right after the provider answered (its record deleted, or updated with the failure for a
   * retry): a crash repeats at most the email in flight. A failed settle stops the round; the
   * emails left are retried on the next tick.
   */
  private async sendDueEmails(): Promise<void> {
    if (this.sending || this.stopped || !this.mergeAssigned || this.mergeMembershipInDoubt) return;
    this.sending = true;
    try {
      const task = await this.merge();
      const settle = (id: string, pending: PendingEmail | undefined): Promise<void> => task.lock.run(() => this.commitMerge(task, undefined, [], undefined, new Map([[id, pending]])));
      let soonest: number | undefined;
      for (const [id, pending] of [...task.emails]) {
        // The merge task may have gone to another member during the last settle (a rebalance): its
        // new owner sends what is pending; sending it here too repeats it with no crash at all.
        if (this.stopped || task.dropped || this.mergeTask === undefined || !this.mergeAssigned || this.mergeMembershipInDoubt || this.stalled(this.now())) return;
        if (this.answered.has(id)) {
          // The provider answered it in this process; only its settle failed (an outage, a dropped
          // task). Settle it now instead of sending it again.
          await this.settleOrWarn(settle(id, undefined), id);
          continue;
        }
        const decision = decideSend(pending.decision, pending.record, this.now(), this.retry);
        if (decision.action === 'wait') {
          soonest = Math.min(soonest ?? Infinity, decision.untilMs);
          continue;
        }
        if (decision.action === 'skip') {
          await settle(id, undefined);
          continue;
        }
        const email = await buildAlertEmail({ from: this.r.emailFrom, to: this.r.emailTo, report: pending.report, decision: pending.decision, date: new Date(this.now()), scope: scopeOf(this.r.groupId), topic: this.o.topic });
        if (this.stopped || task.dropped || this.mergeTask === undefined || !this.mergeAssigned || this.mergeMembershipInDoubt || this.stalled(this.now())) return;
        let landed!: () => void;
        this.emailInFlight = new Promise<void>((resolve) => (landed = resolve));
        try {
          await this.sendAndSettle(id, pending, email, settle, (untilMs) => (soonest = Math.min(soonest ?? Infinity, untilMs)));
        } finally {
          this.emailInFlight = undefined;
          landed();
        }
      }
      if (soonest !== undefined && !this.stopped) {
        if (this.emailTimer) clearTimeout(this.emailTimer);
        this.emailTimer = setTimeout(() => void this.sendDueEmails(), Math.max(0, soonest - this.now()));
      }
    } catch (err) {
      if (!this.stopped) this.log.warn('sending alert emails failed; retrying on the next tick', { error: err instanceof Error ? err.message : String(err) });
    } finally {
      this.sending = false;
    }
  }

  /** Sends one due email and settles it (see sendDueEmails); `retryAt` learns when a transient failure may be retried. */
  private async sendAndSettle(id: string, pending: PendingEmail, email: AlertEmail, settle: (id: string, pending: PendingEmail | undefined) => Promise<void>, retryAt: (untilMs: number) => void): Promise<void> {
    const outcome = await this.o.transport.send(email, { from: this.r.emailFrom, to: this.r.emailTo });
    const record = recordSend(pending.record, email.idempotencyKey, this.now(), outcome.ok ? outcome : { ok: false, error: outcome.error });
    this.countEmail(id, outcome.ok ? 'sent' : outcome.transient ? 'failed-transient' : 'failed-permanent');
    if (outcome.ok || !outcome.transient) this.answered.add(id);
    if (outcome.ok) {
      this.stats.emailsSent++;
      this.log.info('alert email sent', { window: id, transport: this.o.transport.describe(), messageId: email.messageId, providerMessageId: outcome.providerMessageId });
      await this.settleOrWarn(settle(id, undefined), id);
    } else if (!outcome.transient) {
      this.stats.emailsFailed++;
      this.log.error('alert email rejected; not retried', { window: id, error: outcome.error });
      await this.settleOrWarn(settle(id, undefined), id);
    } else {
      this.log.warn('alert email failed; will retry', { window: id, failures: record.failures, error: outcome.error });
      await settle(id, { ...pending, record });
      const d = decideSend(pending.decision, record, this.now(), this.retry);
      if (d.action === 'wait') retryAt(d.untilMs);
    }
  }

  /** Awaits the settle of an email the provider answered; if it fails, says so (this process settles it later without sending it), and rethrows. */
  private async settleOrWarn(settled: Promise<void>, id: string): Promise<void> {
    try {
      await settled;
      this.answered.delete(id);
    } catch (err) {
      this.log.warn('could not record a sent alert email; it is recorded later, and sent again only if another process takes the alerts over first (same Message-ID)', { window: id, error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  }

  /** The windows published lately with their alert and email state (for the dashboard), oldest first. */
  recentWindows(): RecentWindow[] {
    return this.recent.list();
  }

  // ---- metrics -------------------------------------------------------------------------------

  /** Consumer lag of an assigned partition, from the offsets the tick fetched anyway. */
  private setLag(partition: number, lag: number): void {
    this.metrics.consumerLag.set({ topic: this.o.topic, partition: String(partition) }, Math.max(0, lag));
    this.lagged.add(partition);
  }

  /** Drops the lag series of partitions no longer assigned here (another member reports them). */
  private forgetLag(): void {
    for (const partition of this.lagged) {
      if (this.assigned.has(partition)) continue;
      this.metrics.consumerLag.remove({ topic: this.o.topic, partition: String(partition) });
      this.lagged.delete(partition);
    }
  }

  private countReport(report: WindowReport, decision: AlertDecision): void {
    this.metrics.windowsClosed.inc();
    if (report.late > 0) this.metrics.lateRecords.inc(report.late);
    if (report.future > 0) this.metrics.futureRecords.inc(report.future);
    if (decision.alert) this.metrics.alerts.inc({ decision: 'alert' });
    else if (decision.suppressed !== undefined) this.metrics.alerts.inc({ decision: 'suppressed' });
    this.recent.add(report, decision, this.now());
  }

  private countEmail(id: string, outcome: 'sent' | 'failed-transient' | 'failed-permanent'): void {
    this.metrics.emails.inc({ outcome });
    if (outcome === 'sent') this.recent.email(id, 'sent');
    else if (outcome === 'failed-permanent') this.recent.email(id, 'failed');
  }
}


/** An idempotency scope from the group id: the characters email.ts allows. */
function scopeOf(groupId: string): string {
  return groupId.replace(/[^A-Za-z0-9_-]/g, '_');
}

function decodeState(value: Buffer): StateValue | undefined {
  try {
    const v = JSON.parse(value.toString('utf8')) as StateValue;
    return v && (v.kind === 'task' || v.kind === 'merge' || v.kind === 'email') ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `<topic token>.<window-start>.json`, `.csv` and `.txt` (reportFileNames; each via a temporary file and a rename). */
export function writeReportFiles(dir: string, report: WindowReport, decision: AlertDecision, topic: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const names = reportFileNames(report, topic);
  const files: Array<[string, string]> = [
    [names.json, renderJson(report, decision)],
    [names.csv, renderCsv(report)],
    [names.txt, renderText(report, decision)],
  ];
  for (const [name, content] of files) {
    const target = path.join(dir, name);
    const tmp = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, target);
  }
}

/**
 * Creates the report topics if missing: partials (one partition: one merger at a time), the state
 * changelog (compacted, one partition: read whole by every process) and the report topic.
 * A state record holds a window snapshot, so it may be larger than the broker's 1 MiB default: both
 * topics get reportTopicMessageBytes (16 MiB, or the cap of kafka.topicProfile /
 * kafka.topicMaxMessageBytes). Existing partials and state topics are checked: if
 * WINDOWS_PER_RECORD windows at report.maxErrorMessages could not fit, it rejects naming the topic
 * and the keys (checkReportTopic). `log` gets a warning when their settings cannot be read.
 */
export async function ensureReportTopics(admin: Admin, config: Pick<LogpipeConfig, 'kafka' | 'report'>, log?: Logger): Promise<void> {
  const { kafka, report } = config;
  const compaction = compactionSettingsFor(kafka.topicProfile);
  const big = { name: 'max.message.bytes', value: String(reportTopicMessageBytes({ profile: kafka.topicProfile, topicMaxMessageBytes: kafka.topicMaxMessageBytes })) };
  await ensureTopics(
    admin,
    [
      { topic: report.partialsTopic, numPartitions: 1, replicationFactor: kafka.replicationFactor, configEntries: [big], check: (values) => checkReportTopic(report.partialsTopic, values, config) },
      { topic: report.stateTopic, numPartitions: 1, replicationFactor: kafka.replicationFactor, configEntries: [big, { name: 'cleanup.policy', value: 'compact' }, ...compaction], check: (values) => checkReportTopic(report.stateTopic, values, config) },
      { topic: report.topic, numPartitions: 1, replicationFactor: kafka.replicationFactor },
      // The ingest ledger, read for objects still being ingested (created here too for `logpipe
      // report` on a cluster nothing was ingested into yet; as src/ingest/topics.ts creates it).
      { topic: kafka.progressTopic, numPartitions: 1, replicationFactor: kafka.replicationFactor, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, ...compaction] },
    ],
    log,
  );
}
