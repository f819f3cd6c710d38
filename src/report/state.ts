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
import type { WindowReport, WindowState } from './window';

/** What the state topic holds for a partition task. */
export interface TaskState {
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

export type StateValue = TaskState | MergeTaskState | EmailState;

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
    return v && (v.kind === 'task' || v.kind === 'merge' || v.kind === 'email') ? v : undefined;
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
