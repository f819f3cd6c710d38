/**
 * Stage 2 of the report stage, the merge task (consumer group `<groupId>-merge` on the one-partition
 * partials topic, so one process at a time merges). Per batch, in one transaction: the merged
 * reports of the windows that closed (report topic, key = window id), the merge state with its
 * input offset (state topic, key `merge <group> <topic>`), a record per alert email to send (key
 * `email <group> <topic> <window id>`), and the consumer offset. After the commit the stage writes
 * the report files (idempotent rewrites) and the outbox sends the emails (email-outbox.ts).
 *
 * Opened like a partition task by taking its state key (and the email keys) over: the previous
 * owner is fenced first, then the last committed state and pending emails are restored.
 */
import type { KafkaMessage } from 'kafkajs';
import { decodePartial, type PartialRecord, WindowMerger } from './merge';
import { reportDocument, type ReportDocument } from './render';
import { type AlertDecision, type AlertRules, decideAlert } from './rules';
import type { EmailState, MergeTaskState, PendingEmail, TaskContextBase } from './state';
import { takeOver, transactionalProducer, TransactionalWriter } from './transaction';
import type { WindowReport } from './window';

/** A window report committed by the merge task, with its alert decision and the document written. */
export interface Published {
  report: WindowReport;
  decision: AlertDecision;
  doc: ReportDocument;
}

/** What the merge task needs of its stage. */
export interface MergeTaskContext extends TaskContextBase {
  /** report.topic: the merged window reports. */
  reportTopic: string;
  windowSizeMs: number;
  rules: AlertRules;
  /** The log topic's end offsets (high watermarks) per partition. */
  logEnds: () => Promise<Map<number, number>>;
  /** A commit failed: the stage drops the task (it is re-opened from its committed state). */
  onFailure: () => void;
}

export class MergeTask {
  private constructor(
    private readonly ctx: MergeTaskContext,
    readonly writer: TransactionalWriter,
    readonly merger: WindowMerger,
    public state: MergeTaskState,
    /** Alert emails committed and not yet settled, by window id. */
    readonly emails: Map<string, PendingEmail>,
  ) {}

  /** Takes the merge task and its pending emails over (fencing the previous owner) and restores them. */
  static async open(ctx: MergeTaskContext): Promise<MergeTask> {
    const producer = transactionalProducer(ctx.kafka, `${ctx.transactionalIdPrefix}-report-merge-${ctx.groupId}-${ctx.topic}`);
    const emailPrefix = ctx.keys.emailPrefix();
    const saved = await takeOver(producer, ctx.state, ctx.stateTopic, ctx.keys.merge(), { alsoPrefix: emailPrefix, beforeFence: ctx.beforeFence });
    const state: MergeTaskState = saved?.kind === 'merge' ? saved : { kind: 'merge', merger: new WindowMerger(ctx.windowSizeMs).snapshot(), nextOffset: 0, lastAlertStartMs: null };
    const emails = new Map<string, PendingEmail>(Object.entries(state.emails ?? {}));
    for (const key of ctx.state.keysWithPrefix(emailPrefix)) {
      const value = ctx.state.get(key);
      if (value?.kind === 'email') emails.set(key.slice(emailPrefix.length), value.pending);
    }
    const merger = new WindowMerger(ctx.windowSizeMs, state.merger);
    ctx.log.info('report merge task opened', { nextOffset: state.nextOffset, pendingEmails: emails.size });
    const writer = new TransactionalWriter(producer, () => new Error('report merge task was dropped; it is re-opened from its committed state'), ctx.onFailure);
    const task = new MergeTask(ctx, writer, merger, state, emails);
    if (state.emails) {
      // A state written before pending emails had records of their own: they get theirs now.
      const { emails: legacy, ...rest } = state;
      await task.commit(rest, [], undefined, new Map(Object.entries(legacy)));
    }
    return task;
  }

  /** Runs `fn` after the task's transaction in hand (every change of the task goes through it). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.writer.lock.run(fn);
  }

  /**
   * Merges a batch of the partials topic (records below the state's next offset are skipped, and
   * so are other groups' and log topics' partials) and commits the windows it closed with their
   * alert decisions and emails. Call under run(). Resolves with what was committed.
   */
  async mergeBatch(messages: KafkaMessage[]): Promise<Published[]> {
    const closed: WindowReport[] = [];
    let nextOffset = this.state.nextOffset;
    // Idle claims are checked against the log topic's end offsets before these partials can close
    // a window on their strength (WindowMerger.observeEnds): a partition with records its owner
    // has not counted yet (its commit failed, or the upload is not fetched yet) holds windows open.
    if (this.merger.hasIdleClaims()) this.merger.observeEnds(await this.ctx.logEnds());
    const prefix = this.ctx.keys.partialPrefix();
    for (const m of messages) {
      const offset = Number(m.offset);
      if (offset < nextOffset) continue;
      nextOffset = offset + 1;
      // The partials topic is shared by every group and log topic; this merger takes its own.
      if (m.key?.toString().startsWith(prefix) !== true) continue;
      let partial: PartialRecord;
      try {
        partial = decodePartial(m.value);
      } catch (err) {
        this.ctx.log.error('skipping an unreadable partial record', { offset, error: (err as Error).message });
        continue;
      }
      closed.push(...this.merger.apply(partial));
    }
    const emails = new Map<string, PendingEmail>();
    let lastAlertStartMs = this.state.lastAlertStartMs ?? undefined;
    const published: Published[] = [];
    for (const report of closed) {
      const decision = decideAlert(report, this.ctx.rules, lastAlertStartMs);
      lastAlertStartMs = decision.lastAlertStartMs;
      published.push({ report, decision, doc: reportDocument(report, decision) });
      if (decision.alert) emails.set(report.id, { report, decision, record: undefined });
    }
    const next: MergeTaskState = { kind: 'merge', merger: this.merger.snapshot(), nextOffset, lastAlertStartMs: lastAlertStartMs ?? null };
    await this.commit(next, published.map((p) => p.doc), nextOffset, emails);
    return published;
  }

  /**
   * Settles one alert email (call under run()): deletes its record (`pending` undefined: the
   * provider answered, or it is not to be sent) or replaces it (a failure to retry), in a
   * transaction of its own.
   */
  settle(id: string, pending: PendingEmail | undefined): Promise<void> {
    return this.commit(undefined, [], undefined, new Map([[id, pending]]));
  }

  /**
   * One transaction of the merge task: the reports of the windows that closed, the merge state with
   * its input offset, and the records of the alert emails that became due (or, with no `next`, only
   * email changes: a settled email's tombstone or its updated retry record). On failure the task is
   * dropped and re-opened from the state topic.
   */
  async commit(next: MergeTaskState | undefined, docs: ReportDocument[], offset: number | undefined, emails: Map<string, PendingEmail | undefined>): Promise<void> {
    const { keys, groupId, topic } = this.ctx;
    const encoded = next && Buffer.from(JSON.stringify(next));
    const emailRecords = [...emails].map(([id, pending]) => ({ key: keys.email(id), pending, value: pending ? Buffer.from(JSON.stringify({ kind: 'email', pending } satisfies EmailState)) : null }));
    await this.writer.commit(async (txn) => {
      if (docs.length) await txn.send({ topic: this.ctx.reportTopic, messages: docs.map((d) => ({ key: d.id, value: JSON.stringify(d), headers: { group: groupId, topic } })) });
      const stateRecords = [...(encoded ? [{ key: keys.merge(), value: encoded }] : []), ...emailRecords.map(({ key, value }) => ({ key, value }))];
      if (stateRecords.length) await txn.send({ topic: this.ctx.stateTopic, messages: stateRecords });
      if (offset !== undefined) await txn.sendOffsets({ consumerGroupId: `${groupId}-merge`, topics: [{ topic: this.ctx.partialsTopic, partitions: [{ partition: 0, offset: String(offset) }] }] });
    });
    if (next && encoded) {
      this.state = next;
      this.ctx.state.set(keys.merge(), next, encoded);
    }
    const prefix = keys.emailPrefix();
    for (const { key, pending, value } of emailRecords) {
      const id = key.slice(prefix.length);
      if (pending && value) {
        this.emails.set(id, pending);
        this.ctx.state.set(key, { kind: 'email', pending }, value);
      } else {
        this.emails.delete(id);
        this.ctx.state.set(key, undefined, null);
      }
    }
  }
}
