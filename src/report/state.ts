/**
 * What the report stage keeps on the state topic (compacted, shared by every group and log topic)
 * and the keys it uses there and on the partials topic. Group ids and topic names cannot contain
 * spaces, so the keys of different groups and log topics never collide.
 */
import type { KafkaPort } from '../system/kafka/port';
import { CompactedTopicView } from '../system/kafka/compacted-view';
import type { Logger } from '../system/observability/logging';
import type { AlertDecision } from './rules';
import type { SendRecord } from './email';
import type { MergeState } from './merge';
import { LogpipeError } from '../system/errors/errors';
import type { WindowReport, WindowResult, WindowState } from './window';

/**
 * What the state topic holds for a partition task (key `task <group> <topic> <partition>`).
 *
 * Two layouts, told apart by `window.version`:
 * - 1 (written before issue 17): `window` is the aggregator's whole WindowState, every open window
 *   in `window.open`. Read; never written.
 * - 2 (TASK_STATE_LAYOUT): `window` is a TaskWindowHead, the aggregator's state without its open
 *   windows. Each open window is a record of its own (TaskWindowState, key `task <group> <topic>
 *   <partition> <window start ms>`), rewritten only in the transaction of a batch that counted into
 *   it and deleted (a tombstone) in the one that closed or handed it out: a backlog held open until
 *   its partition catches up cost its whole JSON on every fetched batch (docs/benchmarks.md). The
 *   head lists the open windows with the commit that last wrote each (`open`), and the task record
 *   counts its commits (`commit`): the task record and the window records it lists are read back as
 *   one committed snapshot, and a window record it does not list (left by any writer but this
 *   task's committed transactions) is never counted into the task (restoreTaskWindows).
 *
 * A version 1 reader (logpipe before layout 2) fails loudly on layout 2 (WindowAggregator.restore:
 * "window state version 2 is not supported") instead of taking it for a task with no open windows;
 * this version refuses any layout above TASK_STATE_LAYOUT the same way (docs/report.md, rollback).
 */
export interface TaskState {
  kind: 'task';
  window: WindowState | TaskWindowHead;
  /** Next log-topic offset to count; -1 before the first record. */
  nextOffset: number;
  /** Horizon and idle flag of the last partial sent, to send one only when something changed. */
  sentHorizon: number | null;
  sentIdle: boolean;
  /** With sentIdle: the offset the partition was read up to when it was judged idle (PartialRecord.idleThrough). */
  sentIdleThrough?: number;
  /** Layout 2: the number of this task's commits so far, this one included (0 for a state not committed yet). */
  commit?: number;
}

/** The task-state layout this version writes (TaskState). */
export const TASK_STATE_LAYOUT = 2;

/** Layout 2: the aggregator's state without its open windows, and which window records hold them. */
export interface TaskWindowHead extends Omit<WindowState, 'version' | 'open'> {
  version: typeof TASK_STATE_LAYOUT;
  /** The open windows as [start ms, the task commit that last wrote its record], in start order. */
  open: Array<[number, number]>;
}

/** Layout 2: one open window of a partition task, written by the task's commit number `commit`. */
export interface TaskWindowState {
  kind: 'task-window';
  commit: number;
  /** The window as a result with late = 0. */
  window: WindowResult;
}

/** What a task restores from its task record and the window records under its prefix. */
export interface RestoredTask {
  /** The aggregator's whole state (open windows included); undefined without a task record. */
  window: WindowState | undefined;
  /** Open window start → the commit that last wrote its record (what the next task record lists). */
  windowCommits: Map<number, number>;
  /** The task's commit count as restored. */
  commit: number;
  /** Layout 1: every open window must be written as a record of its own on the first commit. */
  rewriteAll: boolean;
  /** Window-record keys under the task's prefix that the task record does not list: deleted on the first commit. */
  stale: string[];
}

/**
 * A task's state as one committed snapshot: the task record `saved` (undefined if none) and the
 * records under the task's window prefix (`windowRecords`: key, decoded value or undefined for a
 * deleted or unreadable one; `windowKey(start)` names a window's key).
 *
 * Layout 2: the open windows are exactly the ones the task record lists, each from the record
 * written by the commit it names. A listed window whose record is missing or from another commit
 * means the view does not hold one committed snapshot (the task record and its window records are
 * written in one transaction): it throws rather than restore counts that are not the committed
 * ones. Records not listed are stale: never counted, deleted on the first commit. (The revert of
 * d6ac9c9: a window record of an aborted transaction, exposed by kafkajs's read_committed filter
 * before patches/kafkajs+2.2.4.patch, was restored into a task whose committed record had no open
 * window, and the batch counted again into it: a WARN counted twice.)
 * Layout 1: the task record's own windows; every window record is stale.
 * Throws on a layout above TASK_STATE_LAYOUT (written by a newer logpipe: refused, never read as empty).
 */
export function restoreTaskWindows(saved: TaskState | undefined, windowRecords: Array<[string, StateValue | undefined]>, windowKey: (startMs: number) => string): RestoredTask {
  const present = windowRecords.filter(([, v]) => v !== undefined);
  if (!saved) return { window: undefined, windowCommits: new Map(), commit: 0, rewriteAll: false, stale: present.map(([k]) => k) };
  const version = (saved.window as { version?: unknown }).version;
  if (version === 1) {
    return { window: saved.window as WindowState, windowCommits: new Map(), commit: saved.commit ?? 0, rewriteAll: true, stale: present.map(([k]) => k) };
  }
  if (version !== TASK_STATE_LAYOUT) {
    throw new LogpipeError(
      `report task state layout ${String(version)} is not supported (this version reads layouts 1 and ${TASK_STATE_LAYOUT}): it was written by a newer logpipe; run that version (docs/report.md, "Task-state layouts")`,
      { retriable: false },
    );
  }
  const head = saved.window as TaskWindowHead;
  const records = new Map(present);
  const listed = new Set<string>();
  const open: WindowResult[] = [];
  for (const [start, commit] of head.open) {
    const key = windowKey(start);
    listed.add(key);
    const r = records.get(key);
    if (r?.kind !== 'task-window' || r.commit !== commit || r.window.startMs !== start) {
      throw new LogpipeError(
        `report task state is not one committed snapshot: its record lists the window at ${start} from commit ${commit}, the state topic has ${r?.kind === 'task-window' ? `commit ${r.commit}` : 'no such record'}; not restoring it`,
        { retriable: true },
      );
    }
    open.push(r.window);
  }
  const { open: _listed, version: _v, ...rest } = head;
  return {
    window: { ...rest, version: 1, open },
    windowCommits: new Map(head.open),
    commit: saved.commit ?? 0,
    rewriteAll: false,
    stale: present.map(([k]) => k).filter((k) => !listed.has(k)),
  };
}

export interface PendingEmail {
  report: WindowReport;
  decision: AlertDecision;
  record: SendRecord | undefined;
}

/** What the state topic holds for the merge task (its pending emails are records of their own). */
export interface MergeTaskState {
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
export interface EmailState {
  kind: 'email';
  pending: PendingEmail;
}

export type StateValue = TaskState | TaskWindowState | MergeTaskState | EmailState;

/** The keys of one group's report over one log topic. */
/** What every task of the report stage needs of its stage: the clients, names and state view they share. */
export interface TaskContextBase {
  kafka: KafkaPort;
  /** kafka.transactionalIdPrefix. */
  transactionalIdPrefix: string;
  /** report.groupId: the log-topic consumer group (the merge group is `<groupId>-merge`). */
  groupId: string;
  /** The log topic. */
  topic: string;
  partialsTopic: string;
  stateTopic: string;
  keys: ReportKeys;
  state: CompactedTopicView<StateValue>;
  log: Logger;
  /** Runs right before the take-over fences the previous owner; throws to refuse (see takeOver). */
  beforeFence: () => void;
}

export class ReportKeys {
  private readonly taskPrefix: string;
  private readonly mergeKey: string;

  constructor(
    readonly groupId: string,
    readonly topic: string,
  ) {
    this.taskPrefix = `task ${groupId} ${topic} `;
    this.mergeKey = `merge ${groupId} ${topic}`;
  }

  /** State topic: a partition task's state. */
  task(partition: number): string {
    return `${this.taskPrefix}${partition}`;
  }

  /** State topic: one open window of a partition task (TaskState layout 2): the task's key, a space, the window start. */
  taskWindow(partition: number, startMs: number): string {
    return `${this.taskWindowPrefix(partition)}${startMs}`;
  }

  taskWindowPrefix(partition: number): string {
    return `${this.taskPrefix}${partition} `;
  }

  /** State topic: the merge task's state. */
  merge(): string {
    return this.mergeKey;
  }

  /** State topic: a pending alert email (emailPrefix() + window id). */
  email(windowId: string): string {
    return `${this.emailPrefix()}${windowId}`;
  }

  emailPrefix(): string {
    return `email ${this.groupId} ${this.topic} `;
  }

  /** Partials topic: every partial of this group and log topic starts with it. */
  partialPrefix(): string {
    return `${this.groupId} ${this.topic} `;
  }

  partial(partition: number): string {
    return `${this.partialPrefix()}${partition}`;
  }

  /** Whether a state-topic key is this stage's (the view keeps only those). */
  owns(key: string): boolean {
    return key === this.mergeKey || key.startsWith(this.taskPrefix) || key.startsWith(this.emailPrefix());
  }
}

/** A state record's value, or undefined for what this version cannot read (another kind, not JSON). */
export function decodeState(value: Buffer): StateValue | undefined {
  try {
    const v = JSON.parse(value.toString('utf8')) as StateValue;
    return v && (v.kind === 'task' || v.kind === 'task-window' || v.kind === 'merge' || v.kind === 'email') ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The state topic as this stage reads it: its own keys only (the topic holds the tasks of every group and log topic). */
export function stateView(kafka: KafkaPort, stateTopic: string, keys: ReportKeys, log: Logger, compactionAdvice: boolean): CompactedTopicView<StateValue> {
  return new CompactedTopicView<StateValue>(kafka, stateTopic, log, (_key, value) => decodeState(value), 'logpipe-report-state', {
    keep: (key) => keys.owns(key),
    compactionAdvice,
  });
}
