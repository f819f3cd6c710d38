/**
 * Tumbling-window aggregation of log entries: counts per level and per source, the most frequent
 * ERROR messages, first and last event time, and late records. Pure: no I/O; the wall clock is
 * injected, so idle closing and processing-time windows are testable.
 *
 * Windows are `[start, start + sizeMs)` with `start` a multiple of `sizeMs` (epoch-aligned), so every
 * instance of the service cuts the same windows and partial results merge by window id.
 *
 * Closing, and what "late" means. The aggregator keeps a horizon `closedUntilMs`: every window whose
 * end is at or before it is closed. The horizon only moves forward:
 * - event time: to the watermark on every record, and to the end of the last open window when no
 *   record has arrived for idleCloseMs of wall-clock time. The watermark is per source (the record
 *   key: one object or host): the lowest of the active sources' highest event times, − allowedLatenessMs.
 *   A source is active while its last record is less than sourceIdleMs of wall-clock time old. So
 *   two objects ingested at the same time into one partition, minutes of event time apart and
 *   interleaved batch by batch, close windows at the pace of the one behind, and neither is late;
 *   a source that stopped (its object ingested) stops holding the watermark back after sourceIdleMs;
 * - processing time: to the wall clock, on poll().
 * A record whose window ends at or before the horizon is late: not counted in any window, but added
 * to the `late` figure of the next window that closes. In event-time mode, with no idle close in
 * between, which records are late depends only on the order of the records, not on how they were
 * batched or when poll() ran: a replay of the same records gives the same windows.
 *
 * Future-dated records. A record whose event time is more than futureSkewMs beyond the wall clock
 * when it was read (its arrivalMs) carries a time no clock has reached: a host with a wrong clock or
 * zone. Taken at its word it would poison the partition: the watermark (and, once the partition is
 * idle, the horizon) would jump to its window, and every later record of the present would be late.
 * So such a record does not move the watermark and does not make its source active. Its own time
 * is not believed: like an entry without a time (docs/log-model.md), it is counted at the newest
 * believable time before it, its source's highest event time, else the partition's, else the time
 * it was read (a partition that has seen nothing else). Its levels count toward alerts with its
 * neighbours, not hours or years from now, and no later record of the present or of a backfill
 * becomes late because of it. The window it lands in says how many of its records were placed so,
 * in its `future` figure. Counted at its neighbours' time, it is late like them if their window has
 * closed.
 */
import type { CountsWithTotal } from '../generator/truth';
import { emptyCounts, type Level, type LevelCounts, LEVELS } from '../model/levels';

/** One log entry as the report stage sees it. */
export interface WindowRecord {
  /** Event time (the Kafka record timestamp), epoch ms. */
  timeMs: number;
  /** When the record reached the consumer, epoch ms; windows by it in processing-time mode. */
  arrivalMs: number;
  level: Level;
  /** The record key: object key or host. */
  source: string;
  /** The first line's message; only looked at for ERROR entries. */
  message: string;
}

export type TimeMode = 'event' | 'processing';

export interface WindowOptions {
  mode: TimeMode;
  sizeMs: number;
  /** Event time: how far the watermark trails the highest event time seen. */
  allowedLatenessMs: number;
  /** Event time: close every open window after this much wall-clock time without a record. */
  idleCloseMs: number;
  /**
   * Event time: a source whose last record is older than this (wall clock) no longer holds the
   * watermark back (see the module comment).
   */
  sourceIdleMs: number;
  /** Most distinct ERROR messages tracked per window; see `ErrorCount` for the eviction rule. */
  maxErrorMessages: number;
  /**
   * A record dated more than this beyond its arrivalMs is future-dated (see the module comment):
   * counted at its neighbours' time, never moving the watermark. Applies in both modes (in
   * processing time, where every record counts at its arrival, only the `future` figure shows it).
   */
  futureSkewMs: number;
  /**
   * Event time: whether add() moves the horizon to the watermark. Off, the owner calls
   * closeToWatermark() when it chooses; the report stage does so once a partition is caught up, so
   * a backlog holding several sources' records in the same partition (objects ingested one after
   * another, each starting at the same early time) is counted whole instead of mostly late.
   */
  closeOnAdd: boolean;
}

export const DEFAULT_WINDOW_OPTIONS: Readonly<WindowOptions> = {
  mode: 'event',
  sizeMs: 60_000,
  allowedLatenessMs: 5_000,
  idleCloseMs: 10_000,
  sourceIdleMs: 10_000,
  maxErrorMessages: 1_000,
  futureSkewMs: 300_000,
  closeOnAdd: true,
};

/** How many of the most frequent ERROR messages a report lists. */
export const TOP_ERRORS = 10;

/**
 * An ERROR message and how many entries of the window carried it.
 *
 * Eviction rule: when a window holds more than `maxErrorMessages` distinct ERROR messages, it tracks
 * the ones with the smallest rank, rank = (32-bit FNV-1a hash of the message, then the message). The
 * rank does not depend on counts or arrival order, which buys three properties: the count of every
 * tracked message is exact (a message with a smaller rank than a tracked one was never evicted), the
 * tracked set is a uniform sample of the distinct messages, and merging partial results is exact,
 * commutative and associative. The price: with more distinct messages than the cap, a frequent
 * message can be missing from the top list. ERROR entries whose message is not tracked still count in
 * `counts.ERROR`.
 */
export interface ErrorCount {
  message: string;
  count: number;
}

/** What reports, rules and rendering need of a closed window. */
export interface WindowReport extends CountsWithTotal {
  /** `${sizeMs}@${startMs}`: the key of the report record, and the merge key. */
  id: string;
  sizeMs: number;
  startMs: number;
  endMs: number;
  /** Per source, sorted by name. */
  sources: Record<string, CountsWithTotal>;
  /** The TOP_ERRORS most frequent tracked ERROR messages, most frequent first, then by message. */
  topErrors: ErrorCount[];
  /** Lowest and highest event time of the window's entries (also in processing-time mode). */
  firstEventMs: number;
  lastEventMs: number;
  /** Late records reported with this window (they belong to windows closed earlier). */
  late: number;
  /**
   * Future-dated records counted in this window (already in `counts` and `total`): dated more than
   * futureSkewMs beyond the time they were read, they count at their neighbours' time (module comment).
   */
  future: number;
}

/** A window's (partial) result: the report plus the tracked message table that merging needs. */
export interface WindowResult extends WindowReport {
  /** All tracked ERROR messages, ordered like topErrors; at most maxErrorMessages entries. */
  errorMessages: ErrorCount[];
  maxErrorMessages: number;
}

/** The serialisable state of a WindowAggregator (JSON-safe: no Infinity, no Map). */
export interface WindowState {
  version: 1;
  mode: TimeMode;
  sizeMs: number;
  /** null until the first record (event time). */
  maxEventMs: number | null;
  /**
   * Event time: the highest event time per active source (absent in snapshots of older versions:
   * then the watermark follows maxEventMs until sources are seen again).
   */
  sources?: Array<[string, number]>;
  /** null while no window has closed. */
  closedUntilMs: number | null;
  /** Late records not yet reported with a closed window. */
  pendingLate: number;
  /** Open windows, as results with late = 0, in start order. */
  open: WindowResult[];
  /** Windows closed but not yet returned by poll(), in closing order. */
  closed: WindowResult[];
}

/** What became of one record. */
export interface AddOutcome {
  windowId: string;
  /** True if its window had closed: it is only counted in the next report's `late`. */
  late: boolean;
  /** True if it was future-dated (see the module comment): `windowId` is the window it was counted in, not its own time's. */
  future: boolean;
}

/** The id of the window `[startMs, startMs + sizeMs)`. */
export function windowId(sizeMs: number, startMs: number): string {
  return `${sizeMs}@${startMs}`;
}

/** The start of the window holding `timeMs` (epoch-aligned, also for times before 1970). */
export function windowStart(timeMs: number, sizeMs: number): number {
  return Math.floor(timeMs / sizeMs) * sizeMs;
}

interface Tracked {
  count: number;
  rank: number;
}

interface OpenWindow {
  startMs: number;
  counts: LevelCounts;
  total: number;
  sources: Map<string, CountsWithTotal>;
  errors: Map<string, Tracked>;
  /** The tracked message with the largest rank; undefined when not yet known. */
  evictNext: string | undefined;
  firstEventMs: number;
  lastEventMs: number;
  future: number;
  /** Counted into since the last takeChanges() (or opened since). */
  changed: boolean;
}

/** What changed in the open windows since the last takeChanges(): for state kept as a record per open window. */
export interface WindowChanges {
  /** Open windows counted into since then, in start order, as results with late = 0. */
  open: WindowResult[];
  /** Starts of the windows that left the open set since then (closed or handed out) and are not open again. */
  removed: number[];
}

/**
 * Validates options over the defaults. Throws a RangeError naming the first bad option.
 */
export function resolveWindowOptions(options: Partial<WindowOptions> = {}): WindowOptions {
  const o = { ...DEFAULT_WINDOW_OPTIONS, ...options };
  if (o.mode !== 'event' && o.mode !== 'processing') throw new RangeError(`window mode must be "event" or "processing", got ${String(o.mode)}`);
  const positive: Array<keyof WindowOptions> = ['sizeMs', 'idleCloseMs', 'sourceIdleMs'];
  for (const key of positive) {
    if (!Number.isSafeInteger(o[key]) || (o[key] as number) <= 0) throw new RangeError(`window ${key} must be a whole number > 0, got ${String(o[key])}`);
  }
  const nonNegative: Array<keyof WindowOptions> = ['allowedLatenessMs', 'maxErrorMessages', 'futureSkewMs'];
  for (const key of nonNegative) {
    if (!Number.isSafeInteger(o[key]) || (o[key] as number) < 0) throw new RangeError(`window ${key} must be a whole number >= 0, got ${String(o[key])}`);
  }
  return o;
}

/**
 * Aggregates records into tumbling windows (see the module comment for closing and lateness). One
 * instance per log-topic partition keeps watermarks per partition and makes rebalances simple (see
 * mergeWindowResults).
 */
export class WindowAggregator {
  readonly options: WindowOptions;
  private open = new Map<number, OpenWindow>();
  private closed: WindowResult[] = [];
  private maxEventMs = -Infinity;
  /** Event time: per source, its highest event time and when (wall clock) its last record came. */
  private sources = new Map<string, { maxEventMs: number; seenMs: number }>();
  private closedUntilMs = -Infinity;
  private pendingLate = 0;
  private lastActivityMs: number;
  /** Starts of the windows that left `open` since the last takeChanges(). */
  private removed = new Set<number>();

  /**
   * @param now the wall clock (epoch ms), read on add(), poll() and restore().
   * Throws a RangeError for invalid options.
   */
  constructor(options: Partial<WindowOptions> = {}, private readonly now: () => number = Date.now) {
    this.options = resolveWindowOptions(options);
    this.lastActivityMs = now();
  }

  /**
   * The lowest highest-event-time of the active sources − allowedLatenessMs; with no active source,
   * the highest event time seen − allowedLatenessMs; -Infinity before the first record. Forgets the
   * sources that went idle.
   */
  get watermarkMs(): number {
    const now = this.now();
    let low = Infinity;
    for (const [name, src] of this.sources) {
      if (now - src.seenMs >= this.options.sourceIdleMs) this.sources.delete(name);
      else low = Math.min(low, src.maxEventMs);
    }
    return (Number.isFinite(low) ? low : this.maxEventMs) - this.options.allowedLatenessMs;
  }

  /** Windows holding records and not closed yet. */
  get openWindows(): number {
    return this.open.size;
  }

  /** Closed windows poll() has not returned yet. */
  get closedWindows(): number {
    return this.closed.length;
  }

  /** The horizon: every window ending at or before it is closed; null while none is. */
  get closedUntil(): number | null {
    return Number.isFinite(this.closedUntilMs) ? this.closedUntilMs : null;
  }

  /** Late records that no closed window has carried yet (they go with the next one). */
  get lateUnreported(): number {
    return this.pendingLate;
  }

  /**
   * Counts one record in its window, or as late if that window has closed. In event-time mode this
   * may close windows (the watermark moves); poll() returns them. Throws a RangeError if the
   * record's window time is not a finite number; the aggregator is unchanged then.
   */
  add(record: WindowRecord): AddOutcome {
    const event = this.options.mode === 'event';
    if (!Number.isFinite(record.timeMs) || !Number.isFinite(record.arrivalMs)) {
      throw new RangeError(`record time must be a finite number, got timeMs=${record.timeMs} arrivalMs=${record.arrivalMs}`);
    }
    const future = record.timeMs - record.arrivalMs > this.options.futureSkewMs;
    // The time the record counts at: its arrival (processing time), its own, or for a future-dated
    // one the newest believable time before it (the module comment).
    const placed = !event ? record.arrivalMs : !future ? record.timeMs : this.believableTime(record);
    const { sizeMs } = this.options;
    const startMs = windowStart(placed, sizeMs);
    const id = windowId(sizeMs, startMs);
    this.lastActivityMs = this.now();
    if (event && !future) {
      this.maxEventMs = Math.max(this.maxEventMs, record.timeMs);
      const src = this.sources.get(record.source);
      if (src) {
        src.maxEventMs = Math.max(src.maxEventMs, record.timeMs);
        src.seenMs = this.lastActivityMs;
      } else {
        this.sources.set(record.source, { maxEventMs: record.timeMs, seenMs: this.lastActivityMs });
      }
    }
    if (startMs + sizeMs <= this.closedUntilMs) {
      this.pendingLate++;
      return { windowId: id, late: true, future };
    }
    // A future-dated record's own time is not believed: the window's first/last event time take the time it counted at.
    const eventMs = future ? placed : record.timeMs;
    let w = this.open.get(startMs);
    if (!w) {
      w = newWindow(startMs, eventMs);
      this.open.set(startMs, w);
    }
    w.changed = true;
    w.counts[record.level]++;
    w.total++;
    if (future) w.future++;
    let s = w.sources.get(record.source);
    if (!s) w.sources.set(record.source, (s = { counts: emptyCounts(), total: 0 }));
    s.counts[record.level]++;
    s.total++;
    if (record.level === 'ERROR') track(w, record.message, this.options.maxErrorMessages);
    w.firstEventMs = Math.min(w.firstEventMs, eventMs);
    w.lastEventMs = Math.max(w.lastEventMs, eventMs);
    if (event && this.options.closeOnAdd && !future) this.advance(this.watermarkMs);
    return { windowId: id, late: false, future };
  }

  /**
   * Hands out the open windows' counts so far without closing them: returns them (with the pending
   * late count on the first) and empties them; later records for the same windows are counted anew
   * and handed out again. For a source that pauses (a partition gone idle between uploads) whose
   * counts a merger must see now, while records for those windows may still come: the merger sums
   * the pieces. Also returns (first) what poll() would.
   */
  flushOpen(): WindowResult[] {
    const out = this.poll();
    for (const start of [...this.open.keys()].sort((a, b) => a - b)) {
      const w = this.open.get(start) as OpenWindow;
      this.open.delete(start);
      this.removed.add(start);
      out.push(this.result(w, this.pendingLate));
      this.pendingLate = 0;
    }
    return out;
  }

  /** Event time: moves the horizon to the watermark (what add() does with closeOnAdd); poll() returns what closed. */
  closeToWatermark(): void {
    if (this.options.mode === 'event') this.advance(this.watermarkMs);
  }

  /**
   * Applies the wall clock (processing-time windows whose end the clock reached; in event-time mode
   * every open window once idleCloseMs passed without a record), then returns and forgets every
   * window closed since the last call, in start order within each close. Call it after each batch
   * and on a timer.
   */
  poll(): WindowResult[] {
    const now = this.now();
    if (this.options.mode === 'processing') {
      this.advance(now);
    } else if (this.open.size > 0 && now - this.lastActivityMs >= this.options.idleCloseMs) {
      this.advance(Math.max(...this.open.keys()) + this.options.sizeMs);
    }
    return this.closed.splice(0);
  }

  /**
   * Closes every open window (end of input, `--exit-when-idle`, shutdown) and returns all closed
   * windows not yet returned. Late records arriving afterwards go with the next window that closes.
   */
  closeAll(): WindowResult[] {
    if (this.open.size > 0) this.advance(Math.max(...this.open.keys()) + this.options.sizeMs);
    return this.closed.splice(0);
  }

  /**
   * The whole state as a JSON-safe value; restore() on a fresh aggregator continues from it. With
   * `{ open: false }`, without the open windows (`open: []`): for an owner that keeps them apart,
   * one record per window (takeChanges), and hands them back to restore() in `open`. Building every
   * open window's result is what costs: a backlog held open until its partition catches up made
   * the report stage serialise hundreds of windows per fetched batch.
   */
  snapshot(options: { open?: boolean } = {}): WindowState {
    const withOpen = options.open ?? true;
    return {
      version: 1,
      mode: this.options.mode,
      sizeMs: this.options.sizeMs,
      maxEventMs: Number.isFinite(this.maxEventMs) ? this.maxEventMs : null,
      sources: [...this.sources].map(([name, src]) => [name, src.maxEventMs]),
      closedUntilMs: Number.isFinite(this.closedUntilMs) ? this.closedUntilMs : null,
      pendingLate: this.pendingLate,
      open: withOpen ? [...this.open.values()].sort((a, b) => a.startMs - b.startMs).map((w) => this.result(w, 0)) : [],
      closed: this.closed.map(cloneResult),
    };
  }

  /**
   * The open windows counted into since the last call (all open windows with `{ all: true }`), and
   * the windows that left the open set since then; forgets both. With snapshot({ open: false }),
   * what an owner writes to keep its state as one record per open window: the changed windows
   * rewritten, the removed ones deleted. A restore() starts with nothing changed.
   */
  takeChanges(options: { all?: boolean } = {}): WindowChanges {
    const open: WindowResult[] = [];
    for (const w of [...this.open.values()].sort((a, b) => a.startMs - b.startMs)) {
      if (!w.changed && !options.all) continue;
      w.changed = false;
      open.push(this.result(w, 0));
    }
    const removed = [...this.removed].filter((start) => !this.open.has(start)).sort((a, b) => a - b);
    this.removed.clear();
    return { open, removed };
  }

  /**
   * Replaces the state with a snapshot. The idle timer restarts from now(): the time a process was
   * down is not idleness, so a restart replays its records into the same windows before any idle
   * close. Throws an Error if the snapshot is of another version, mode or window size (its windows
   * would not line up with this aggregator's).
   */
  restore(state: WindowState): void {
    if (state.version !== 1) throw new Error(`window state version ${String(state.version)} is not supported (expected 1)`);
    if (state.mode !== this.options.mode || state.sizeMs !== this.options.sizeMs) {
      throw new Error(`window state is for ${state.mode} time, sizeMs ${state.sizeMs}; this aggregator uses ${this.options.mode} time, sizeMs ${this.options.sizeMs}`);
    }
    this.maxEventMs = state.maxEventMs ?? -Infinity;
    // The sources' idle clocks restart too, like lastActivityMs.
    this.sources = new Map((state.sources ?? []).map(([name, maxEventMs]) => [name, { maxEventMs, seenMs: this.now() }]));
    this.closedUntilMs = state.closedUntilMs ?? -Infinity;
    this.pendingLate = state.pendingLate;
    this.open = new Map(state.open.map((r) => [r.startMs, windowOf(r)]));
    this.removed.clear();
    this.closed = state.closed.map(cloneResult);
    this.lastActivityMs = this.now();
  }

  /** Where a future-dated record counts: its source's highest event time, else the partition's, else its arrival. */
  private believableTime(record: WindowRecord): number {
    const own = this.sources.get(record.source);
    if (own) return own.maxEventMs;
    return Number.isFinite(this.maxEventMs) ? this.maxEventMs : record.arrivalMs;
  }

  /** Moves the horizon to `untilMs` (never back) and closes the windows ending at or before it. */
  private advance(untilMs: number): void {
    if (untilMs <= this.closedUntilMs) return;
    this.closedUntilMs = untilMs;
    // Called on every record in event time: allocate only when a window is due.
    let due: number[] | undefined;
    for (const start of this.open.keys()) if (start + this.options.sizeMs <= untilMs) (due ??= []).push(start);
    if (!due) return;
    for (const start of due.sort((a, b) => a - b)) {
      const w = this.open.get(start) as OpenWindow;
      this.open.delete(start);
      this.removed.add(start);
      this.closed.push(this.result(w, this.pendingLate));
      this.pendingLate = 0;
    }
  }

  private result(w: OpenWindow, late: number): WindowResult {
    const { sizeMs, maxErrorMessages } = this.options;
    const errorMessages = orderErrors([...w.errors].map(([message, t]) => ({ message, count: t.count })));
    return {
      id: windowId(sizeMs, w.startMs),
      sizeMs,
      startMs: w.startMs,
      endMs: w.startMs + sizeMs,
      counts: { ...w.counts },
      total: w.total,
      sources: sortedSources([...w.sources].map(([name, s]) => [name, { counts: { ...s.counts }, total: s.total }])),
      topErrors: errorMessages.slice(0, TOP_ERRORS).map((e) => ({ ...e })),
      firstEventMs: w.firstEventMs,
      lastEventMs: w.lastEventMs,
      late,
      future: w.future,
      errorMessages,
      maxErrorMessages,
    };
  }
}

/**
 * Merges two partial results of the same window (from consumers owning different partitions).
 * Commutative and associative: counts, totals and `late` add up, first/last event time take the
 * minimum/maximum, message tables add up and keep the smallest-ranked min(maxErrorMessages) messages
 * (see ErrorCount: a rank independent of counts keeps the merged counts exact). The output does not
 * depend on the order of the inputs, down to the order of keys and list entries.
 *
 * Merging is a sum, so it must see each partial exactly once. Rebalances keep that true when the
 * partials are per partition: the report stage (stage.ts) runs one WindowAggregator per log-topic
 * partition and, in one transaction with the consumer offset, writes the aggregator's snapshot to the
 * state topic (key `task <group> <topic> <partition>`) and the windows it just closed as one
 * PartialRecord (merge.ts) to the partials topic, keyed `<group> <topic> <partition>`: one record per
 * commit that closed windows or moved the horizon or idle flag, holding every window closed since the
 * previous one, not a record per window. Whichever instance owns
 * the partition when a window closes restores the same state and emits the window once; a partial
 * written before a crash is either committed with its offsets or aborted with them. The merger
 * (merge.ts) sums the partials' windows per window id; exactly-once partials make the sums exact.
 *
 * Throws an Error if the two results belong to different windows.
 */
export function mergeWindowResults(a: WindowResult, b: WindowResult): WindowResult {
  if (a.id !== b.id) throw new Error(`cannot merge results of different windows: ${a.id} and ${b.id}`);
  const counts = emptyCounts();
  for (const level of LEVELS) counts[level] = a.counts[level] + b.counts[level];
  const sources = new Map<string, CountsWithTotal>();
  for (const side of [a.sources, b.sources]) {
    for (const [name, s] of Object.entries(side)) {
      const m = sources.get(name) ?? { counts: emptyCounts(), total: 0 };
      for (const level of LEVELS) m.counts[level] += s.counts[level];
      m.total += s.total;
      sources.set(name, m);
    }
  }
  const maxErrorMessages = Math.min(a.maxErrorMessages, b.maxErrorMessages);
  const table = new Map<string, number>();
  for (const e of [...a.errorMessages, ...b.errorMessages]) table.set(e.message, (table.get(e.message) ?? 0) + e.count);
  const kept = [...table]
    .map(([message, c]) => ({ message, count: c, rank: rankOf(message) }))
    .sort(byRank)
    .slice(0, maxErrorMessages);
  const errorMessages = orderErrors(kept.map(({ message, count: c }) => ({ message, count: c })));
  return {
    id: a.id,
    sizeMs: a.sizeMs,
    startMs: a.startMs,
    endMs: a.endMs,
    counts,
    total: a.total + b.total,
    sources: sortedSources([...sources]),
    topErrors: errorMessages.slice(0, TOP_ERRORS).map((e) => ({ ...e })),
    firstEventMs: Math.min(a.firstEventMs, b.firstEventMs),
    lastEventMs: Math.max(a.lastEventMs, b.lastEventMs),
    late: a.late + b.late,
    // Absent in partials and snapshots written before the figure existed.
    future: (a.future ?? 0) + (b.future ?? 0),
    errorMessages,
    maxErrorMessages,
  };
}

/** The report part of a result, without the message table: what the report record and files carry. */
export function toReport(result: WindowReport): WindowReport {
  const { id, sizeMs, startMs, endMs, counts, total, sources, topErrors, firstEventMs, lastEventMs, late, future } = result;
  return { id, sizeMs, startMs, endMs, counts, total, sources, topErrors, firstEventMs, lastEventMs, late, future: future ?? 0 };
}

function newWindow(startMs: number, timeMs: number): OpenWindow {
  return {
    startMs,
    counts: emptyCounts(),
    total: 0,
    sources: new Map(),
    errors: new Map(),
    evictNext: undefined,
    firstEventMs: timeMs,
    lastEventMs: timeMs,
    future: 0,
    changed: true,
  };
}

function windowOf(r: WindowResult): OpenWindow {
  return {
    startMs: r.startMs,
    counts: { ...r.counts },
    total: r.total,
    sources: new Map(Object.entries(r.sources).map(([name, s]) => [name, { counts: { ...s.counts }, total: s.total }])),
    errors: new Map(r.errorMessages.map((e) => [e.message, { count: e.count, rank: rankOf(e.message) }])),
    evictNext: undefined,
    firstEventMs: r.firstEventMs,
    lastEventMs: r.lastEventMs,
    future: r.future ?? 0,
    changed: false,
  };
}

function cloneResult(r: WindowResult): WindowResult {
  return JSON.parse(JSON.stringify(r)) as WindowResult;
}

/** Counts one ERROR message under the eviction rule of ErrorCount. */
function track(w: OpenWindow, message: string, cap: number): void {
  const known = w.errors.get(message);
  if (known) {
    known.count++;
    return;
  }
  if (cap === 0) return;
  const rank = rankOf(message);
  if (w.errors.size < cap) {
    w.errors.set(message, { count: 1, rank });
    // A known eviction candidate stays right only if the newcomer ranks below it.
    if (w.evictNext !== undefined && byRank({ message, rank }, { message: w.evictNext, rank: (w.errors.get(w.evictNext) as Tracked).rank }) > 0) {
      w.evictNext = message;
    }
    return;
  }
  // The table is full (cap > 0), so it has a largest rank.
  const evict = w.evictNext ?? (largestRank(w.errors) as string);
  w.evictNext = evict;
  if (byRank({ message, rank }, { message: evict, rank: (w.errors.get(evict) as Tracked).rank }) >= 0) return;
  w.errors.delete(evict);
  w.errors.set(message, { count: 1, rank });
  w.evictNext = largestRank(w.errors);
}

function largestRank(errors: Map<string, Tracked>): string | undefined {
  let best: { message: string; rank: number } | undefined;
  for (const [message, t] of errors) {
    if (!best || byRank({ message, rank: t.rank }, best) > 0) best = { message, rank: t.rank };
  }
  return best?.message;
}

/** 32-bit FNV-1a over the UTF-16 code units of `text`. */
function rankOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function byRank(a: { message: string; rank: number }, b: { message: string; rank: number }): number {
  return a.rank - b.rank || compareStrings(a.message, b.message);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Most frequent first, then by message: one order for the same content, whatever the input order. */
function orderErrors(errors: ErrorCount[]): ErrorCount[] {
  return errors.sort((a, b) => b.count - a.count || compareStrings(a.message, b.message));
}

function sortedSources(entries: Array<[string, CountsWithTotal]>): Record<string, CountsWithTotal> {
  return Object.fromEntries(entries.sort(([a], [b]) => compareStrings(a, b)));
}
