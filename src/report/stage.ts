/**
 * The report stage on Kafka: log topic → per-partition windows → partials → merged window reports,
 * report files and alert emails, exactly once. The pure logic lives in window.ts, merge.ts, rules.ts,
 * render.ts and email.ts. The parts that move records and state through Kafka transactions:
 * partition-task.ts (stage 1), merge-task.ts (stage 2), email-outbox.ts (the emails),
 * report-files.ts, ingesting-partitions.ts (partitions held open by an ingest in progress), and
 * transaction.ts (the one transaction helper and the take-over every task uses). This module
 * coordinates them: the two consumer groups, the tick, which tasks this process holds, and when it
 * doubts its memberships.
 *
 * Stage 1, partition tasks (consumer group `report.groupId` on the log topic). One WindowAggregator
 * per assigned partition. Per fetched batch, in one transaction with the partition's own
 * transactional producer: the windows it closed as a partial record (partials topic), the
 * task's state with the next input offset (state topic, key `task <group> <topic> <partition>`, and a
 * record per open window the batch counted into: TaskState layout 2), and the consumer offset
 * (sendOffsets). A tick per second, and one report.idleCloseMs after the latest batch, closes windows
 * of idle partitions and marks a partition idle once it has nothing left to read and no record came
 * for report.idleCloseMs.
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
import { type Admin, type EachBatchPayload, KafkaJSNonRetriableError } from 'kafkajs';
import type { KafkaPort } from '../system/kafka/port';
import { NEVER_RESTART } from '../system/kafka/clients';
import { SupervisedConsumer } from '../system/kafka/supervised-consumer';
import type { Ledger } from '../ingest/ledger';
import { LogpipeError } from '../system/errors/errors';
import type { CompactedTopicView } from '../system/kafka/compacted-view';
import type { LogpipeConfig } from '../system/config/config';
import type { Logger } from '../system/observability/logging';
import { ensureReportTopics } from '../system/kafka/topics';
import { Metrics } from '../system/observability/metrics';
import type { RetryPolicy } from './email';
import { EmailOutbox } from './email-outbox';
import { IngestingPartitions, ingestingLedger } from './ingesting-partitions';
import { MergeTask, type MergeTaskContext, type Published } from './merge-task';
import { PartitionTask, type PartitionTaskContext } from './partition-task';
import type { RecentWindow } from './recent-windows';
import type { ReportDocument } from './render';
import { ReportFileWriter, writeReportFiles } from './report-files';
import { type AlertRules, resolveAlertRules } from './rules';
import { StageMetrics } from './stage-metrics';
import { ReportKeys, stateView, type StateValue } from './state';
import type { EmailTransport } from './transport';
import { resolveWindowOptions, type WindowOptions } from './window';


/** The log topic does not exist yet; start() may be tried again once something creates it. */
export class LogTopicMissingError extends LogpipeError {
  constructor(readonly topic: string) {
    super(`the log topic "${topic}" does not exist yet: the first ingest into it creates it`, { retriable: true });
    this.name = 'LogTopicMissingError';
  }
}
export interface ReportStageOptions {
  kafka: KafkaPort;
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
  /**
   * Writes one window's report files (writeReportFiles, the default). The simulations pass one that
   * keeps nothing: real file I/O would outlive a simulated crash and is not under the simulation's
   * schedule.
   */
  writeReportFiles?: typeof writeReportFiles;
}

export interface ReportStageStatus {
  partitions: Array<{ partition: number; nextOffset: number; idle: boolean; open: number }>;
  merge: { assigned: boolean; open: string[]; pendingEmails: number; caughtUp: boolean };
  windowsReported: number;
  emailsSent: number;
  emailsFailed: number;
  late: number;
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

/**
 * Fetch sizes of the log-topic consumer. Every fetched batch of a partition is one transaction
 * (partial, state, offsets: several round trips to the broker), so the batch size sets how often a
 * backlog waits for a commit: with kafkajs's 1 MiB per partition the 450,000-line bench topic (one
 * partition) took about 110 transactions and 6-8 s to count on the loaded 2-core machine, with
 * 4 MiB 1.4-3.7 s at about 60 MiB more peak RSS (16 MiB: no faster, 200 MiB more). docs/benchmarks.md,
 * "Report stage at its consumer's speed".
 */
const LOG_FETCH_BYTES = { maxBytesPerPartition: 4 * 1024 * 1024, maxBytes: 16 * 1024 * 1024 };

/** How long a dropped merge task waits for the email in flight to be settled (dropMergeTask). */
const EMAIL_SETTLE_GRACE_MS = 30_000;


export class ReportStage {
  private readonly admin: Admin;
  private readonly keys: ReportKeys;
  private readonly state: CompactedTopicView<StateValue>;
  /** The ingest ledger (progress topic): objects still being ingested keep their partitions from going idle. */
  private readonly ledger: Ledger;
  /** Partitions an object still being ingested writes to (from the ledger): not idle. */
  private readonly ingesting: IngestingPartitions;
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
  /** A tick was asked for while one ran: onTick runs once more when it ends. */
  private tickAgain = false;
  /**
   * Fires a tick report.idleCloseMs after the latest log batch: the moment its partition may go
   * idle. Without it the partition waited for the next 1 s tick, up to a second more between an
   * upload and its alert (docs/benchmarks.md, "Upload → email latency").
   */
  private idleTimer: NodeJS.Timeout | undefined;
  /** When the tick timer last fired (a paused process fires none). */
  private lastTimerMs: number | undefined;
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
  private readonly stats = { windowsReported: 0, late: 0 };
  private readonly metrics: StageMetrics;
  private readonly outbox: EmailOutbox;
  /** Report files, written after their commit without holding up the consumers. */
  private readonly files: ReportFileWriter;
  private readonly taskContext: PartitionTaskContext;
  private readonly mergeContext: MergeTaskContext;

  constructor(private readonly o: ReportStageOptions) {
    const r = o.config.report;
    this.admin = o.kafka.admin();
    this.log = o.log;
    this.now = o.now ?? Date.now;
    this.keys = new ReportKeys(r.groupId, o.topic);
    // The state topic holds the tasks of every group and log topic; this stage reads only its own.
    this.state = stateView(o.kafka, r.stateTopic, this.keys, o.log, o.config.kafka.topicProfile !== 'msk-serverless');
    // Read from ingestStallMs (and the clock skew) before now: the stage asks it nothing but
    // inProgress(now − ingestStallMs), which older records cannot change (ingestingLedger).
    this.ledger = ingestingLedger(o.kafka, o.config.kafka.progressTopic, o.log, { stallMs: r.ingestStallMs, now: this.now, compactionAdvice: o.config.kafka.topicProfile !== 'msk-serverless' });
    this.ingesting = new IngestingPartitions(this.admin, this.ledger, this.now);
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
    this.files = new ReportFileWriter(r.dir, o.topic, o.log, o.writeReportFiles);
    this.metrics = new StageMetrics(o.metrics ?? new Metrics(), o.topic, r.emailTo.length > 0, this.now);
    // The first transaction of a take-over fences the key's other owners. A process that has just
    // woken from a stall (its I/O callbacks run before its timers notice) may be taking over on the
    // word of an assignment it lost meanwhile: fencing now aborted its replacement's settle of an
    // email already sent, and the email went out again (simulation
    // paused-reporter-resumes-after-takeover, seed 794627684). The tick retries once the group
    // has confirmed this process's membership.
    const beforeFence = (): void => {
      if (this.stalled(this.now())) throw new LogpipeError('not taking a report task over right after a stall; waiting for the group to confirm this process', { retriable: true });
    };
    const common = { kafka: o.kafka, transactionalIdPrefix: o.config.kafka.transactionalIdPrefix, groupId: r.groupId, topic: o.topic, partialsTopic: r.partialsTopic, stateTopic: r.stateTopic, keys: this.keys, state: this.state, log: o.log, beforeFence };
    this.taskContext = {
      ...common,
      windowOptions: this.windowOptions,
      now: this.now,
      partitionCount: () => this.partitionCount,
      onFailure: (partition) => this.forgetTask(partition),
      onLate: () => this.stats.late++,
    };
    this.mergeContext = {
      ...common,
      reportTopic: r.topic,
      windowSizeMs: this.windowOptions.sizeMs,
      rules: this.rules,
      logEnds: async () => new Map((await this.admin.fetchTopicOffsets(this.o.topic)).map((o) => [o.partition, Number(o.high)])),
      onFailure: () => this.dropMergeTask(),
    };
    this.outbox = new EmailOutbox({
      transport: o.transport,
      log: o.log,
      now: this.now,
      retry: this.retry,
      from: r.emailFrom,
      to: r.emailTo,
      groupId: r.groupId,
      topic: o.topic,
      mergeTask: () => this.merge(),
      stopped: () => this.stopped,
      mayStart: () => this.mergeAssigned && !this.mergeMembershipInDoubt,
      stillHolds: () => this.mergeTask !== undefined && this.mergeAssigned && !this.mergeMembershipInDoubt && !this.stalled(this.now()),
      onOutcome: (id, outcome) => this.metrics.countEmail(id, outcome),
    });
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
      create: () => this.o.kafka.consumer({ groupId: this.r.groupId, readUncommitted: false, maxWaitTimeInMs: 250, ...LOG_FETCH_BYTES, sessionTimeout: SESSION_TIMEOUT_MS, ...NEVER_RESTART }),
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
          this.metrics.forgetLag(this.assigned);
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
    this.tick = setInterval(() => this.onTimer(false), TICK_MS);
  }

  /**
   * A timer fired (the 1 s tick, or the idle timer): first the stall check, then the tick. Every
   * timer goes through it: after a pause, whichever timer fires first must see the pause before
   * the tick acts on the old assignment (the idle timer's deadline may be the earlier one).
   * @param again see onTick
   */
  private onTimer(again: boolean): void {
    const now = this.now();
    if (this.stalled(now)) {
      this.log.warn('the process did not run for longer than the session timeout; reporting waits until its group membership is confirmed', { pausedMs: now - (this.lastTimerMs ?? now) });
      this.membershipInDoubt = true;
      this.mergeMembershipInDoubt = true;
      this.dropAllTasks();
      this.dropMergeTask();
    }
    this.lastTimerMs = now;
    void this.onTick(again);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.tick) clearInterval(this.tick);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.outbox.stop();
    // The two groups are left at once (each leave is a round trip to the coordinator): no batch of
    // either runs after both have stopped, which is all the writers' disconnect below needs.
    await Promise.all([this.consumer?.stop(), this.mergeConsumer?.stop()]);
    const tasks = await Promise.all([...this.tasks.values()].map((t) => t.catch(() => undefined)));
    await Promise.all(tasks.map((t) => t && t.writer.disconnectAfterWork().catch(() => undefined)));
    const merge = await this.mergeTask?.catch(() => undefined);
    if (merge) await merge.writer.disconnectAfterWork().catch(() => undefined);
    // Files of reports already committed: written before stop() returns (nothing queues more now).
    await this.files.drain();
    await Promise.all([this.state.stop(), this.ledger.stop(), this.admin.disconnect()].map((p) => p.catch(() => undefined)));
  }

  /**
   * True when this process owns every log-topic partition and the merge task, every partition is
   * idle, the merger has read every partial and holds no open window, every committed report's files
   * are written, and no email is waiting: what `logpipe report --exit-when-idle` waits for.
   */
  async idle(): Promise<boolean> {
    if (this.partitionCount === 0 || this.assigned.size !== this.partitionCount || !this.mergeAssigned || !this.mergeCaughtUp || !this.mergeTask || this.files.pending > 0) return false;
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
      if (task) partitions.push({ partition, nextOffset: task.state.nextOffset, idle: task.state.sentIdle, open: task.aggregator.openWindows });
    }
    const merge = await this.mergeTask?.catch(() => undefined);
    return {
      partitions: partitions.sort((a, b) => a.partition - b.partition),
      merge: { assigned: this.mergeAssigned, open: merge?.merger.describe().open ?? [], pendingEmails: merge ? merge.emails.size : 0, caughtUp: this.mergeCaughtUp },
      windowsReported: this.stats.windowsReported,
      emailsSent: this.outbox.stats.emailsSent,
      emailsFailed: this.outbox.stats.emailsFailed,
      late: this.stats.late,
    };
  }

  // ---- stage 1: partition tasks (partition-task.ts) ------------------------------------------

  private async onLogBatch({ batch, heartbeat, resolveOffset, isRunning, isStale }: EachBatchPayload): Promise<void> {
    this.refuseIfStopped();
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const fetchedMs = this.now();
    const task = await this.task(batch.partition);
    await task.run(() => task.countBatch(batch.messages));
    // Debug, one line per fetched batch: when records reached the stage and how long counting and
    // its transaction took (the latency breakdown of `npm run bench`).
    this.log.debug('log batch counted', { partition: batch.partition, records: batch.messages.length, lastOffset: Number(batch.lastOffset()), ms: this.now() - fetchedMs });
    this.fetched.set(batch.partition, Number(batch.lastOffset()) + 1);
    resolveOffset(batch.lastOffset());
    this.tickWhenQuiet();
    await heartbeat();
  }

  /**
   * (Re)arms the idle timer: one timer for the stage, pushed back by every batch, so a steady stream
   * adds no ticks. The tick it fires is the ordinary one (same checks, same lock), only earlier.
   */
  private tickWhenQuiet(): void {
    if (this.stopped) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    // A few ms past the deadline: the task's quiet check compares against the same clock.
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      this.onTimer(true);
    }, this.r.idleCloseMs + 5);
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

  private task(partition: number): Promise<PartitionTask> {
    let t = this.tasks.get(partition);
    if (!t) {
      t = PartitionTask.open(this.taskContext, partition);
      this.tasks.set(partition, t);
      t.catch(() => this.tasks.delete(partition));
    }
    return t;
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
    void t?.then((task) => task.writer.dropNow()).catch(() => undefined);
  }

  private async dropUnassigned(): Promise<void> {
    for (const partition of [...this.tasks.keys()]) {
      if (this.assigned.has(partition)) continue;
      const task = await this.tasks.get(partition)?.catch(() => undefined);
      if (task) await task.run(async () => this.forgetTask(partition));
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
      void t.then((task) => task.writer.dropAfterWork()).catch(() => undefined);
    }
  }

  /** @param again when a tick is running, run once more after it (the idle timer's tick must not be lost; the 1 s timer's may). */
  private async onTick(again = false): Promise<void> {
    if (this.stopped) return;
    if (this.ticking) {
      if (again) this.tickAgain = true;
      return;
    }
    this.ticking = true;
    try {
      const assigned = this.membershipInDoubt ? [] : [...this.assigned];
      if (assigned.length > 0) {
        const high = new Map((await this.admin.fetchTopicOffsets(this.o.topic)).map((o) => [o.partition, Number(o.high)]));
        this.partitionCount = Math.max(this.partitionCount, high.size);
        const committed = await this.committedOffsets();
        const ingesting = await this.ingesting.partitions(this.o.topic, this.partitionCount, this.r.ingestStallMs);
        for (const partition of assigned) {
          if (this.stopped) return;
          // The awaits above may have outlasted this process's membership: a task is opened (which
          // fences its other owners) only for a partition that is still this process's.
          if (this.membershipInDoubt || !this.assigned.has(partition)) continue;
          const task = await this.task(partition);
          await task.run(async () => {
            const next = Math.max(task.state.nextOffset, this.fetched.get(partition) ?? -1, committed.get(partition) ?? 0);
            this.metrics.setLag(partition, (high.get(partition) ?? 0) - next);
            await task.tick({ next, high: high.get(partition) ?? 0, ingesting, idleCloseMs: this.r.idleCloseMs });
          });
        }
      }
      if (!this.mergeMembershipInDoubt) {
        await this.checkMergeCaughtUp();
        await this.outbox.sendDue();
      }
    } catch (err) {
      if (!this.stopped) this.log.warn('report tick failed; retrying on the next', { error: err instanceof Error ? err.message : String(err) });
    } finally {
      this.ticking = false;
      if (this.tickAgain && !this.stopped) {
        this.tickAgain = false;
        // Through the stall check: this tick's awaits may have spanned a pause.
        this.onTimer(false);
      }
    }
  }

  /** The group's committed offsets on the log topic (a partition without records has none). */
  private async committedOffsets(): Promise<Map<number, number>> {
    const [entry] = await this.admin.fetchOffsets({ groupId: this.r.groupId, topics: [this.o.topic] });
    return new Map((entry?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]));
  }

  /**
   * The log topic's partition count. A topic that does not exist yet is a state to wait in, not a
   * failure: the first ingest creates it (LogTopicMissingError, at once, instead of the client's own
   * metadata retries).
   */
  private async countPartitions(): Promise<number> {
    if (!(await this.admin.listTopics()).includes(this.o.topic)) throw new LogTopicMissingError(this.o.topic);
    const offsets = await this.admin.fetchTopicOffsets(this.o.topic);
    return offsets.length;
  }

  // ---- stage 2: the merge task (merge-task.ts) -----------------------------------------------

  private async onPartialsBatch({ batch, heartbeat, resolveOffset, isRunning, isStale }: EachBatchPayload): Promise<void> {
    this.refuseIfStopped();
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const task = await this.merge();
    const committed = await task.run(() => task.mergeBatch(batch.messages));
    resolveOffset(batch.lastOffset());
    await heartbeat();
    this.mergeCaughtUp = false;
    for (const p of committed) this.published(p);
    if (committed.some((p) => p.decision.alert)) void this.outbox.sendDue();
  }

  /** After a report is committed: the count, its files (queued, see ReportFileWriter), then the callback. */
  private published({ report, decision, doc }: Published): void {
    this.stats.windowsReported++;
    this.metrics.countReport(report, decision);
    this.log.info('window reported', { window: doc.id, total: doc.total, ERROR: doc.counts.ERROR, alert: doc.alert.alert, late: doc.late });
    void this.files.enqueue(report, decision).then(() => this.o.onReport?.(doc));
  }

  private merge(): Promise<MergeTask> {
    if (!this.mergeTask) {
      this.mergeTask = MergeTask.open(this.mergeContext);
      this.mergeTask.catch(() => (this.mergeTask = undefined));
    }
    return this.mergeTask;
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
    const inFlight = this.stopped ? undefined : this.outbox.inFlight;
    void t
      ?.then(async (task) => {
        if (inFlight) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([inFlight, new Promise<void>((resolve) => (timer = setTimeout(resolve, EMAIL_SETTLE_GRACE_MS)))]);
          clearTimeout(timer);
        }
        await task.writer.dropAfterWork();
      })
      .catch(() => undefined);
  }

  private async checkMergeCaughtUp(): Promise<void> {
    if (!this.mergeAssigned || this.mergeMembershipInDoubt) return;
    const task = await this.merge();
    const [high] = await this.admin.fetchTopicOffsets(this.r.partialsTopic);
    this.mergeCaughtUp = Math.max(task.state.nextOffset, this.partialsFetched) >= Number(high?.high ?? 0);
  }

  /** The windows published lately with their alert and email state (for the dashboard), oldest first. */
  recentWindows(): RecentWindow[] {
    return this.metrics.recentWindows();
  }
}
