/**
 * Stage 2 of the report stage: merges the partial results of the per-partition window aggregators
 * into one report per window, and decides when a window is complete. Pure: no I/O and no clock;
 * closing is driven by the partials alone, so a replay of the same partials gives the same reports.
 *
 * Stage 1 runs one WindowAggregator per log-topic partition (see mergeWindowResults in window.ts).
 * Whenever a partition task processes records or goes idle it emits a PartialRecord: the windows its
 * aggregator just closed, the aggregator's horizon, and whether the partition is idle. One active
 * WindowMerger is fed those partials in order.
 *
 * Closing. The merger remembers per partition the highest horizon reported (a horizon only moves
 * forward) and the latest idle flag. An idle flag is a claim about the log topic: the partition was
 * read up to `idleThrough` and nothing followed. It holds only while the partition's end offset (as
 * the stage last observed it, observeEnds) is no greater: a partition idle by its last word but with
 * records behind it, which its owner has not counted yet (a commit failed and the task recounts, a
 * new upload not yet fetched), is not idle, so windows wait for its horizon instead of closing
 * without its records and making them late. A partition's effective horizon is +infinity while it is idle,
 * else its horizon (-infinity for none yet, and for a partition never heard from). The merge horizon
 * H is the minimum over partitions 0..N-1 of the effective horizons, N the partition count; H only
 * moves forward, and every window ending at or before H is closed, so a window closes once every
 * partition is past it or idle. +infinity (all N partitions idle) is never stored: it closes every
 * open window, and H becomes the highest end closed (unchanged if nothing was open). So when a
 * partition resumes, its new windows merge normally; and every report ever returned ends at or
 * before H, which is why a window id is reported at most once.
 *
 * N is the highest partition count any partial carried: Kafka partition counts only grow, so a
 * smaller count comes from a task with stale metadata and must not make the merger ignore the new
 * partitions (that would close windows before their data is in). A new partition blocks closing until
 * it reports or is idle.
 *
 * Late. A window in a partial that ends at or before H when the partial arrives (it closed without
 * this partition: the partition was idle, or is new, or repeats itself) is not merged: its `total`
 * and its own `late` go to a pending-late count, reported in the `late` of the next window that
 * closes (kept in the state until one does). A merged window keeps the sum of its partials' `late`.
 * So every record is reported exactly once, in a window's `total` or in some `late`.
 *
 * Exactness. Merging is a sum (mergeWindowResults): the merger does not deduplicate, so a partition
 * that sent the same window twice would count it twice. The partition task contract (each window
 * closed once per partition, partials written exactly once, see mergeWindowResults) is what makes the
 * sums exact. With exactly-once partials the reports do not depend on the order in which partitions'
 * partials interleave, as long as no window becomes late; down to the order of keys and list entries.
 */
import { emptyCounts, LEVELS } from '../model/levels';
import { mergeWindowResults, toReport, windowId, windowStart, type WindowReport, type WindowResult } from './window';

/** What a partition task emits (stage 1), the merger's input; JSON on the wire. */
export interface PartialRecord {
  version: 1;
  /** The log-topic partition whose aggregator this is. */
  partition: number;
  /** The log topic's partition count as the task last read it (topic metadata); >= 1, > partition. */
  partitions: number;
  /** The windows the partition's aggregator closed since its previous partial; maybe none. */
  windows: WindowResult[];
  /** The aggregator's horizon: every window ending at or before it is closed for this partition; null if none closed yet. */
  closedUntilMs: number | null;
  /** The partition is caught up (no lag) and had no record for idleCloseMs. */
  idle: boolean;
  /**
   * With idle: the log-topic offset the partition was read up to (the next offset to read) when it
   * was judged idle; the claim stands while the partition's end offset is no greater. Absent in
   * partials of older versions: their idle flag stands until the partition's next partial.
   */
  idleThrough?: number;
}

/** What the merger knows of one partition. */
export interface PartitionProgress {
  partition: number;
  /** The highest horizon the partition reported; null if none (or never heard from). */
  closedUntilMs: number | null;
  /** The latest idle flag; false for a partition never heard from. */
  idle: boolean;
  /** The latest idle partial's idleThrough (see PartialRecord). */
  idleThrough?: number;
  /** The highest end offset of the partition observed (observeEnds); absent before the first. */
  end?: number;
}

/** The serialisable state of a WindowMerger (JSON-safe: no Infinity, no Map, no undefined). */
export interface MergeState {
  version: 1;
  sizeMs: number;
  /** N: the highest partition count seen; 0 before the first partial. */
  partitions: number;
  /** The merge horizon H (never +infinity, see the module comment); null while it is -infinity. */
  closedUntilMs: number | null;
  /** Late records not yet reported with a closed window. */
  pendingLate: number;
  /** Every partition heard from, by partition number. */
  progress: PartitionProgress[];
  /** Open windows as merged partial results (late = the sum of their partials' late), in start order. */
  open: WindowResult[];
}

/** describe(): for metrics and tests. */
export interface MergeDescription {
  /** Open window ids in start order. */
  open: string[];
  /** The merge horizon H; null while -infinity. */
  closedUntilMs: number | null;
  /** Partitions 0..N-1, never-heard-from ones included (they block closing). */
  partitions: PartitionProgress[];
  pendingLate: number;
}

/** Serialises a partial as JSON. Throws an Error naming the problem if it is not a valid partial. */
export function encodePartial(p: PartialRecord): Buffer {
  const problem = partialProblem(p);
  if (problem !== undefined) throw new Error(`partial record: ${problem}`);
  return Buffer.from(JSON.stringify(p));
}

/**
 * Parses and validates a partial record value. Throws an Error naming what is wrong: no value, bad
 * JSON, a missing or ill-typed field (windows included), partition out of range, partitions < 1.
 * Unknown fields are tolerated (the merger does not keep them).
 */
export function decodePartial(value: Buffer | null): PartialRecord {
  if (value === null) throw new Error('partial record: no value (null)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (err) {
    throw new Error(`partial record: not JSON (${(err as Error).message})`);
  }
  const problem = partialProblem(parsed);
  if (problem !== undefined) throw new Error(`partial record: ${problem}`);
  return parsed as PartialRecord;
}

interface Progress {
  /** -Infinity for none. */
  closedUntilMs: number;
  idle: boolean;
  idleThrough?: number;
  end?: number;
}

/** Whether a partition's idle claim stands: idle, and nothing written beyond what it was read up to. */
function idleStands(s: Progress): boolean {
  return s.idle && (s.idleThrough === undefined || s.end === undefined || s.end <= s.idleThrough);
}

/** Merges partials into final window reports; see the module comment for closing and lateness. */
export class WindowMerger {
  readonly sizeMs: number;
  private partitionCount = 0;
  private closedUntilMs = -Infinity;
  private pendingLate = 0;
  private progress = new Map<number, Progress>();
  /** By start time. Invariant: every open window ends after closedUntilMs. */
  private open = new Map<number, WindowResult>();

  /**
   * @param sizeMs the window size of the partition tasks' aggregators.
   * @param state a snapshot() to continue from.
   * Throws a RangeError naming the problem for a bad sizeMs, or a state of another version or window
   * size, or a malformed state.
   */
  constructor(sizeMs: number, state?: MergeState) {
    if (!Number.isSafeInteger(sizeMs) || sizeMs <= 0) throw new RangeError(`merger sizeMs must be a whole number > 0, got ${show(sizeMs)}`);
    this.sizeMs = sizeMs;
    if (state !== undefined) this.restore(state);
  }

  /**
   * Applies one partial; returns the windows this closes (possibly none), in start order. Throws an
   * Error, leaving the merger unchanged, for a malformed partial, or one holding a window of another
   * size (a configuration mismatch between the partition tasks and the merger: nothing would line up).
   */
  apply(p: PartialRecord): WindowReport[] {
    const problem = partialProblem(p);
    if (problem !== undefined) throw new Error(`partial record: ${problem}`);
    const other = p.windows.find((w) => w.sizeMs !== this.sizeMs);
    if (other) {
      throw new Error(
        `partial record of partition ${p.partition}: window ${other.id} has sizeMs ${other.sizeMs}, this merger merges sizeMs ${this.sizeMs}` +
          ' (the partition tasks and the merger must use the same window size)',
      );
    }
    // Lateness is judged against H as it was when the partial arrived, before the partial moves it.
    for (const w of p.windows) {
      if (w.endMs <= this.closedUntilMs) {
        this.pendingLate += w.total + w.late;
        continue;
      }
      // Folding from an empty result normalises the first partial like later ones (fresh objects,
      // fixed key order, unknown fields dropped), so the output does not depend on which came first.
      this.open.set(w.startMs, mergeWindowResults(this.open.get(w.startMs) ?? emptyResult(w), w));
    }
    const known = this.progress.get(p.partition);
    const next: Progress = { closedUntilMs: Math.max(known?.closedUntilMs ?? -Infinity, p.closedUntilMs ?? -Infinity), idle: p.idle };
    if (p.idle && p.idleThrough !== undefined) next.idleThrough = p.idleThrough;
    if (known?.end !== undefined) next.end = known.end;
    this.progress.set(p.partition, next);
    this.partitionCount = Math.max(this.partitionCount, p.partitions);
    return this.closeUntil(this.mergeHorizon());
  }

  /**
   * Records the log topic's end offsets (the offset after the last record a read_committed reader can
   * see, per partition) as the stage observed them: an idle partition with an end beyond its
   * idleThrough has records its owner has not counted, and holds windows open until its next
   * partial. Ends only move forward; partitions never heard from are ignored (they hold windows
   * anyway). Never closes a window: it can only take idleness away.
   */
  observeEnds(ends: ReadonlyMap<number, number>): void {
    for (const [partition, end] of ends) {
      const s = this.progress.get(partition);
      if (s && Number.isSafeInteger(end) && end >= 0 && !(end <= (s.end ?? -1))) s.end = end;
    }
  }

  /** Whether an idle claim depends on the end offsets (observeEnds is worth calling before apply). */
  hasIdleClaims(): boolean {
    for (const s of this.progress.values()) if (s.idle && s.idleThrough !== undefined) return true;
    return false;
  }

  /**
   * Closes everything still open now, as if every partition were idle (`--exit-when-idle` shutdown
   * once all inputs are done). Late partials arriving afterwards go with the next window that closes.
   */
  closeAll(): WindowReport[] {
    return this.closeUntil(Infinity);
  }

  /** The whole state as a JSON-safe value; `new WindowMerger(sizeMs, state)` continues from it. */
  snapshot(): MergeState {
    return {
      version: 1,
      sizeMs: this.sizeMs,
      partitions: this.partitionCount,
      closedUntilMs: finiteOrNull(this.closedUntilMs),
      pendingLate: this.pendingLate,
      progress: [...this.progress]
        .sort(([a], [b]) => a - b)
        .map(([partition, s]) => ({
          partition,
          closedUntilMs: finiteOrNull(s.closedUntilMs),
          idle: s.idle,
          ...(s.idleThrough === undefined ? {} : { idleThrough: s.idleThrough }),
          ...(s.end === undefined ? {} : { end: s.end }),
        })),
      open: this.startOrder().map((start) => cloneResult(this.open.get(start) as WindowResult)),
    };
  }

  describe(): MergeDescription {
    const partitions: PartitionProgress[] = [];
    for (let partition = 0; partition < this.partitionCount; partition++) {
      const s = this.progress.get(partition);
      partitions.push({ partition, closedUntilMs: finiteOrNull(s?.closedUntilMs ?? -Infinity), idle: s ? idleStands(s) : false });
    }
    return {
      open: this.startOrder().map((start) => windowId(this.sizeMs, start)),
      closedUntilMs: finiteOrNull(this.closedUntilMs),
      partitions,
      pendingLate: this.pendingLate,
    };
  }

  /** min over partitions 0..N-1 of their effective horizons; +Infinity when all are idle. */
  private mergeHorizon(): number {
    let min = Infinity;
    let heard = 0;
    // Over the partitions heard from, not 0..N-1: N comes from the input and may be large.
    for (const [partition, s] of this.progress) {
      if (partition >= this.partitionCount) continue;
      heard++;
      if (!idleStands(s)) min = Math.min(min, s.closedUntilMs);
    }
    return heard < this.partitionCount ? -Infinity : min;
  }

  /** Moves H to `untilMs` (never back; +Infinity: past every open window) and closes what it passed. */
  private closeUntil(untilMs: number): WindowReport[] {
    const starts = this.startOrder();
    if (untilMs === Infinity) {
      if (starts.length === 0) return [];
      untilMs = starts[starts.length - 1] + this.sizeMs;
    }
    if (untilMs <= this.closedUntilMs) return [];
    this.closedUntilMs = untilMs;
    const closed: WindowReport[] = [];
    for (const start of starts) {
      if (start + this.sizeMs > untilMs) break;
      const r = this.open.get(start) as WindowResult;
      this.open.delete(start);
      closed.push(toReport({ ...r, late: r.late + this.pendingLate }));
      this.pendingLate = 0;
    }
    return closed;
  }

  private startOrder(): number[] {
    return [...this.open.keys()].sort((a, b) => a - b);
  }

  private restore(state: MergeState): void {
    const s = state as unknown;
    if (!isObject(s) || s.version !== 1) throw new RangeError(`merge state version ${show(isObject(s) ? s.version : s)} is not supported (expected 1)`);
    if (s.sizeMs !== this.sizeMs) throw new RangeError(`merge state is for sizeMs ${show(s.sizeMs)}; this merger uses sizeMs ${this.sizeMs}`);
    const problem = stateProblem(s, this.sizeMs);
    if (problem !== undefined) throw new RangeError(`merge state: ${problem}`);
    this.partitionCount = state.partitions;
    this.closedUntilMs = state.closedUntilMs ?? -Infinity;
    this.pendingLate = state.pendingLate;
    this.progress = new Map(
      state.progress.map((p) => {
        const s: Progress = { closedUntilMs: p.closedUntilMs ?? -Infinity, idle: p.idle };
        if (p.idleThrough !== undefined) s.idleThrough = p.idleThrough;
        if (p.end !== undefined) s.end = p.end;
        return [p.partition, s];
      }),
    );
    this.open = new Map(state.open.map((r) => [r.startMs, cloneResult(r)]));
  }
}

/** A result of `w`'s window with nothing in it: the neutral element of mergeWindowResults. */
function emptyResult(w: WindowResult): WindowResult {
  return {
    id: w.id,
    sizeMs: w.sizeMs,
    startMs: w.startMs,
    endMs: w.endMs,
    counts: emptyCounts(),
    total: 0,
    sources: {},
    topErrors: [],
    firstEventMs: Infinity,
    lastEventMs: -Infinity,
    late: 0,
    future: 0,
    errorMessages: [],
    maxErrorMessages: w.maxErrorMessages,
  };
}

function cloneResult(r: WindowResult): WindowResult {
  return JSON.parse(JSON.stringify(r)) as WindowResult;
}

function finiteOrNull(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

// Validation. Each check returns the first problem as a phrase, or undefined; callers choose the
// error type (Error for input records, RangeError for a constructor argument).

type Problem = string | undefined;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function isTimeOrNull(v: unknown): v is number | null {
  return v === null || (typeof v === 'number' && Number.isFinite(v));
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const text = typeof v === 'number' ? String(v) : JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function partialProblem(v: unknown): Problem {
  if (!isObject(v)) return `must be a JSON object, got ${show(v)}`;
  if (v.version !== 1) return `version must be 1, got ${show(v.version)}`;
  const { partitions, partition, windows } = v;
  if (!Number.isSafeInteger(partitions) || (partitions as number) < 1) return `partitions must be a whole number >= 1, got ${show(partitions)}`;
  if (!isCount(partition)) return `partition must be a whole number >= 0, got ${show(partition)}`;
  if (partition >= (partitions as number)) return `partition ${partition} is out of range for ${show(partitions)} partitions`;
  if (!isTimeOrNull(v.closedUntilMs)) return `closedUntilMs must be a finite number or null, got ${show(v.closedUntilMs)}`;
  if (typeof v.idle !== 'boolean') return `idle must be true or false, got ${show(v.idle)}`;
  if (v.idleThrough !== undefined && !isCount(v.idleThrough)) return `idleThrough must be a whole number >= 0 when present, got ${show(v.idleThrough)}`;
  if (!Array.isArray(windows)) return `windows must be a list, got ${show(windows)}`;
  for (let i = 0; i < windows.length; i++) {
    const problem = resultProblem(windows[i], `windows[${i}]`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function resultProblem(v: unknown, at: string): Problem {
  if (!isObject(v)) return `${at} must be a window result object, got ${show(v)}`;
  const { sizeMs, startMs } = v;
  if (!Number.isSafeInteger(sizeMs) || (sizeMs as number) <= 0) return `${at}.sizeMs must be a whole number > 0, got ${show(sizeMs)}`;
  const size = sizeMs as number;
  if (!Number.isSafeInteger(startMs) || windowStart(startMs as number, size) !== startMs) return `${at}.startMs must be a whole multiple of sizeMs ${size}, got ${show(startMs)}`;
  const start = startMs as number;
  if (v.endMs !== start + size) return `${at}.endMs must be startMs + sizeMs = ${start + size}, got ${show(v.endMs)}`;
  if (v.id !== windowId(size, start)) return `${at}.id must be "${windowId(size, start)}", got ${show(v.id)}`;
  for (const key of ['late', 'maxErrorMessages'] as const) if (!isCount(v[key])) return `${at}.${key} must be a whole number >= 0, got ${show(v[key])}`;
  for (const key of ['firstEventMs', 'lastEventMs'] as const) {
    if (typeof v[key] !== 'number' || !Number.isFinite(v[key])) return `${at}.${key} must be a finite number, got ${show(v[key])}`;
  }
  const counts = countsProblem(v, at);
  if (counts !== undefined) return counts;
  if (!isObject(v.sources)) return `${at}.sources must be an object, got ${show(v.sources)}`;
  for (const [name, s] of Object.entries(v.sources)) {
    const where = `${at}.sources[${JSON.stringify(name)}]`;
    const problem = isObject(s) ? countsProblem(s, where) : `${where} must be an object, got ${show(s)}`;
    if (problem !== undefined) return problem;
  }
  return errorsProblem(v.topErrors, `${at}.topErrors`) ?? errorsProblem(v.errorMessages, `${at}.errorMessages`);
}

/** `counts` (every level) and `total` of a CountsWithTotal. */
function countsProblem(v: Record<string, unknown>, at: string): Problem {
  if (!isCount(v.total)) return `${at}.total must be a whole number >= 0, got ${show(v.total)}`;
  const { counts } = v;
  if (!isObject(counts)) return `${at}.counts must be an object, got ${show(counts)}`;
  for (const level of LEVELS) if (!isCount(counts[level])) return `${at}.counts.${level} must be a whole number >= 0, got ${show(counts[level])}`;
  return undefined;
}

function errorsProblem(v: unknown, at: string): Problem {
  if (!Array.isArray(v)) return `${at} must be a list, got ${show(v)}`;
  for (let i = 0; i < v.length; i++) {
    const e: unknown = v[i];
    if (!isObject(e) || typeof e.message !== 'string' || !isCount(e.count)) return `${at}[${i}] must be { message: string, count: whole number >= 0 }, got ${show(e)}`;
  }
  return undefined;
}

/** The rest of a state whose version and sizeMs are right. */
function stateProblem(s: Record<string, unknown>, sizeMs: number): Problem {
  const { partitions, closedUntilMs, progress, open } = s;
  if (!isCount(partitions)) return `partitions must be a whole number >= 0, got ${show(partitions)}`;
  if (!isTimeOrNull(closedUntilMs)) return `closedUntilMs must be a finite number or null, got ${show(closedUntilMs)}`;
  if (!isCount(s.pendingLate)) return `pendingLate must be a whole number >= 0, got ${show(s.pendingLate)}`;
  if (!Array.isArray(progress)) return `progress must be a list, got ${show(progress)}`;
  const seen = new Set<number>();
  for (const [i, p] of progress.entries()) {
    if (
      !isObject(p) ||
      !isCount(p.partition) ||
      seen.has(p.partition) ||
      !isTimeOrNull(p.closedUntilMs) ||
      typeof p.idle !== 'boolean' ||
      (p.idleThrough !== undefined && !isCount(p.idleThrough)) ||
      (p.end !== undefined && !isCount(p.end))
    ) {
      return `progress[${i}] must be { partition: a whole number >= 0 listed once, closedUntilMs: number or null, idle: boolean, idleThrough?: offset, end?: offset }, got ${show(p)}`;
    }
    seen.add(p.partition);
  }
  if (!Array.isArray(open)) return `open must be a list, got ${show(open)}`;
  const starts = new Set<number>();
  for (const [i, r] of open.entries()) {
    const problem = resultProblem(r, `open[${i}]`);
    if (problem !== undefined) return problem;
    const w = r as WindowResult;
    if (w.sizeMs !== sizeMs) return `open[${i}] has sizeMs ${w.sizeMs}, expected ${sizeMs}`;
    if (starts.has(w.startMs)) return `open[${i}]: window ${w.id} is listed twice`;
    if (closedUntilMs !== null && w.endMs <= closedUntilMs) return `open[${i}]: window ${w.id} ends at or before closedUntilMs ${closedUntilMs}, so it cannot be open`;
    starts.add(w.startMs);
  }
  return undefined;
}
