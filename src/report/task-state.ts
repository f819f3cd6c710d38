/**
 * The state a report partition task keeps on the state topic, and how it is read back: the task
 * record and, since layout 2, one record per open window (see TaskState). Pure: the stage
 * (stage.ts) moves the records through Kafka transactions.
 */
import type { WindowResult, WindowState } from './window';

/**
 * What the state topic holds for a partition task (key `task <group> <topic> <partition>`).
 *
 * Layout 2: `window` holds no open windows; each open window is a record of its own (TaskWindowState,
 * key `task <group> <topic> <partition> <window start ms>`), rewritten in the transaction of a batch
 * that counted into it and deleted (a tombstone) in the one that closed or handed it out. A batch
 * then writes the few windows it touched instead of every open one: a backlog is held open until its
 * partition catches up, and serialising all of it on every batch (676 KB per commit, 51 MB for the
 * 450,000-line bench topic) was most of what the stage added to reading (docs/benchmarks.md).
 * Without `layout` (states written before): every open window is in `window.open`; such a state is
 * read as before, and the task's first commit writes its windows as records of their own.
 */
export interface TaskState {
  kind: 'task';
  layout?: 2;
  window: WindowState;
  /** Next log-topic offset to count; -1 before the first record. */
  nextOffset: number;
  /** Horizon and idle flag of the last partial sent, to send one only when something changed. */
  sentHorizon: number | null;
  sentIdle: boolean;
  /** With sentIdle: the offset the partition was read up to when it was judged idle (PartialRecord.idleThrough). */
  sentIdleThrough?: number;
}

/** One open window of a partition task (TaskState layout 2), as a result with late = 0. */
export interface TaskWindowState {
  kind: 'task-window';
  window: WindowResult;
}

/** What a task restores from: the aggregator state, and which window records its first commit must write. */
export interface RestoredTaskState {
  /** The aggregator state to restore, open windows included; undefined without a task record (a fresh task). */
  window: WindowState | undefined;
  /**
   * For the first commit: `all` rewrites every open window as a record of its own (a state of
   * layout 1, whose windows were in the task record); `stale` lists window-record keys to delete
   * (records the task record does not account for: under a layout-1 or missing task record they
   * can only be left over from elsewhere). Undefined when there is nothing to do.
   */
  rewrite: { all: boolean; stale: string[] } | undefined;
}

/**
 * Puts a task's state together from its task record (`saved`, undefined if none) and the records
 * under its window prefix (key and decoded value; a deleted or unreadable one as undefined). Layout
 * 2: the open windows are the window records, in start order. Layout 1 (no `layout`): the task
 * record's own `window.open`, and every window record is stale. Throws nothing; the aggregator's
 * restore() validates what it is given.
 */
export function restoredWindowState(saved: TaskState | undefined, windowRecords: Array<[string, { kind: string } | undefined]>): RestoredTaskState {
  const present = windowRecords.filter(([, v]) => v !== undefined);
  if (saved?.layout === 2) {
    const open = present
      .map(([, v]) => v)
      .filter((v): v is TaskWindowState => v?.kind === 'task-window')
      .map((v) => v.window)
      .sort((a, b) => a.startMs - b.startMs);
    return { window: { ...saved.window, open }, rewrite: undefined };
  }
  const stale = present.map(([k]) => k);
  if (saved) return { window: saved.window, rewrite: { all: true, stale } };
  return { window: undefined, rewrite: stale.length ? { all: false, stale } : undefined };
}
