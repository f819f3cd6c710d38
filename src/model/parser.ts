/**
 * Turns the lines of one object (an S3 object or a local file) into log entries: level, event time,
 * message, and the entry's raw lines. Pure: no I/O, and it never throws on input.
 *
 * - The format is configured or detected (`auto`) from the object's first lines.
 * - Formats without a date take it from the object's name (`YYYY-MM-DD`), else its LastModified
 *   time, then each line the date that puts it at most MAX_BACKWARD_MS (10 minutes) behind the
 *   latest line before it and less than a day ahead (DayResolver, `time.ts`); no such line is
 *   dated after the object's LastModified (the end of its second: S3 keeps it to the second). A file named for a date that opens in the last minutes before midnight
 *   is a daily file rolled by the wall clock, opening with the day before's last lines, when a line
 *   past midnight follows (within the hold bound below); else those lines are on the name's date.
 * - With `multiline` on, a line that does not start an entry (a stack trace's `\tat ...`) joins the
 *   entry before it; the entry counts once. An entry is split into parts of at most `maxEntryBytes`;
 *   only part 0 counts, so a runaway trace cannot hold unbounded memory.
 * - A line with no recognisable level is UNPARSED: counted, never dropped. An entry without a time of
 *   its own takes the time of the entry before it. Entries before the object's first timed entry are
 *   held back and take its time; past HELD_MAX_ENTRIES or `maxEntryBytes` of them, or at the end of
 *   an object without any time, they take the object's date (named) or LastModified. Never the clock.
 */
import { AUTO_CANDIDATES, builtinFormat, FORMAT_NAMES, type FormatName, type Header, type LineFormat, newHeader, regexFormat } from './formats';
import { type Level, normalizeLevel } from './levels';
import { DAY_MS, DayResolver, dateFromName, Zone } from './time';
import { compileTimePattern, TimeKind } from './time-pattern';

export interface ParserOptions {
  format: FormatName | 'auto';
  /** Required for format 'regex'. */
  regex?: string;
  /**
   * Format 'regex' only: the time pattern (time-pattern.ts, e.g. `yy/MM/dd HH:mm:ss`) that reads its
   * `time` group, or `date + ' ' + time` when it also has a `date` group. '' is the same as absent.
   */
  timeFormat?: string;
  /** Zone of times written without one; default UTC. */
  zone?: string;
  /** Join continuation lines to the entry before them; default true. */
  multiline?: boolean;
  /** Largest entry part, in UTF-16 code units of its text; default 1 MiB. */
  maxEntryBytes?: number;
}

export interface ObjectInfo {
  /** Object key or file path; a `YYYY-MM-DD` in it dates time-only lines. */
  name: string;
  /** S3 LastModified or the file's mtime, used when the name has no date. */
  lastModifiedMs?: number;
}

export interface LogEntry {
  level: Level;
  /** The level word as written, e.g. 'FATAL' for level ERROR; '' when UNPARSED. */
  levelText: string;
  /** Event time, UTC epoch ms. */
  timeMs: number;
  /** False when the time was inherited (no time on the line). */
  hasTime: boolean;
  /** The first line's message, trimmed, at most 500 characters. */
  message: string;
  /** The entry's lines joined with '\n', exactly as read (a trailing '\r' removed). */
  text: string;
  /** 1-based number of the entry's first line in the object. */
  firstLine: number;
  lineCount: number;
  /** 0 for an entry; 1, 2, ... for the further parts of an entry larger than maxEntryBytes. */
  part: number;
  /** The format that read the object (the detected one for `auto`). */
  format: FormatName;
}

/** The part of a split entry that continues it, as recorded in a checkpoint. */
export type EntryPart = Omit<LogEntry, 'text' | 'firstLine' | 'lineCount'>;

/**
 * Where a parser stands after its last emitted entry: enough to resume the object from the line
 * after it (byte offset kept by the caller) with the same format, dates and inherited time. Plain
 * JSON (the progress topic stores it); absent numbers are omitted, never NaN or null.
 */
export interface ParserCheckpoint {
  /** 2 for this layout. Checkpoints without it were written by the day-counter parser (v1). */
  v?: 2;
  format: FormatName | undefined;
  /** The running reference of DayResolver: the latest event time so far (UTC ms); absent before the first timed entry. */
  refMs?: number;
  /** The last emitted entry's time, inherited by an entry without one; absent before the first timed entry. */
  lastTimeMs?: number;
  /** Lines covered by the entries emitted so far. */
  lines: number;
  /** Set when the last emitted entry was a part of a larger entry whose next part has begun. */
  continuing?: EntryPart;
  /** v1 only: the day counter's date (local midnight, as if UTC) and last time of day (-1: none). */
  dayMs?: number;
  lastTodMs?: number;
}

/** How many lines `auto` looks at before choosing. */
export const DETECT_LINES = 64;
/** Longest ERROR message kept (UTF-16 units): the `message` header and the report's message tables. */
export const MAX_MESSAGE = 500;
/**
 * Most entries held back before the object's first timed entry (a banner, a preamble), and again
 * while the start of a daily file waits for a line past midnight. With `maxEntryBytes` of text for
 * each, this bounds the parser's memory and the streamer's raw lines.
 */
export const HELD_MAX_ENTRIES = 1000;

interface Building {
  entry: LogEntry;
  lines: string[];
  size: number;
  /** The header's time of day, when that is the time it has; else -1. */
  tod: number;
}

interface Held {
  entry: LogEntry;
  next: EntryPart | undefined;
  tod: number;
}

/**
 * Validates options and builds the format (undefined for `auto`); throws an Error naming the bad
 * option: a regex that is missing or invalid, an invalid `timeFormat`, or a `timeFormat` with a
 * format other than `regex` (the built-in formats read their own times).
 */
export function resolveFormat(options: ParserOptions): LineFormat | undefined {
  const timeFormat = options.timeFormat === '' ? undefined : options.timeFormat;
  if (timeFormat !== undefined && options.format !== 'regex') {
    throw new Error(`parser timeFormat ${JSON.stringify(timeFormat)} is for format "regex" only (format is "${options.format}"): the built-in formats read their own times`);
  }
  if (options.format === 'auto') return undefined;
  if (options.format === 'regex') {
    if (!options.regex) throw new Error('parser format "regex" needs a regex with named groups (?<time>...) and (?<level>...)');
    if (timeFormat !== undefined) {
      try {
        compileTimePattern(timeFormat);
      } catch (err) {
        throw new Error(`parser timeFormat: ${(err as Error).message}`);
      }
    }
    return regexFormat(options.regex, timeFormat);
  }
  const format = (FORMAT_NAMES as readonly string[]).includes(options.format) ? builtinFormat(options.format) : undefined;
  if (!format) throw new Error(`unknown parser format ${JSON.stringify(options.format)}: expected auto, ${FORMAT_NAMES.join(', ')}`);
  return format;
}

/** How well `format` reads `lines`: each header with a level scores 2, without one 1. */
export function scoreFormat(format: LineFormat, lines: readonly string[]): number {
  const h = newHeader();
  let score = 0;
  for (const line of lines) {
    if (format.header(line, h)) score += normalizeLevel(h.levelText) ? 2 : 1;
  }
  return score;
}

/**
 * Picks the candidate format that reads the most of `lines` (scoreFormat), the earlier candidate
 * on a tie. Runs once per object: the chosen format alone reads every line after.
 */
export function detectFormat(lines: readonly string[]): LineFormat {
  let best = AUTO_CANDIDATES[0];
  let bestScore = 0;
  for (const format of AUTO_CANDIDATES) {
    const score = scoreFormat(format, lines);
    if (score > bestScore) {
      best = format;
      bestScore = score;
    }
  }
  // Nothing recognised: the original's format, under which every line is UNPARSED.
  return bestScore > 0 ? best : builtinFormat('logback');
}

export class ObjectParser {
  private format: LineFormat | undefined;
  private readonly pending: string[] = [];
  private readonly header: Header = newHeader();
  private readonly zone: Zone;
  private readonly days: DayResolver;
  private readonly multiline: boolean;
  private readonly maxEntryBytes: number;
  /** Local midnight of the object's date, "as if UTC", for syslog's missing year. */
  private readonly localDay: number;
  /** The time of entries when the object has no timed entry to take one from. */
  private readonly fallbackMs: number;
  /**
   * The latest a line without a year may be (UTC): the object's upload plus a day of slack for a
   * zone set wrong; without a known upload, 31 days after the object's date. A date after it is
   * last year's.
   */
  private readonly noYearLatestMs: number;
  /** The latest event time so far (NaN: none yet). */
  private refMs = NaN;
  /** The last timed entry's time, inherited by entries without one (NaN: none yet). */
  private lastTime = NaN;
  private lineNo = 0;
  private emittedLines = 0;
  // The reference and inherited time right after the last emitted entry, as numbers: set on
  // every entry, so no object is allocated there (that cost the parser most of its speed).
  private emittedRefMs = NaN;
  private emittedLastTimeMs = NaN;
  private continuing: EntryPart | undefined;
  private current: Building | undefined;
  /** Entries whose time is not settled yet: before the first timed entry, or in a rolled start. */
  private held: Held[] = [];
  /** Text held before the first timed entry. */
  private heldSize = 0;
  /**
   * While a daily file's start may be the day before's (a rolled start), the index in `held` of
   * its first timed entry; -1 otherwise. Entries from there on carry tentative times (the day
   * before) until a line past midnight confirms them or the bound or the end refutes them.
   */
  private rolledFrom = -1;
  private rolledSize = 0;
  /** The running reference of the tentative times. */
  private rolledRefMs = NaN;

  /**
   * @param emit receives each entry once it is complete (when the next entry starts, or at end()).
   * Throws only for invalid options (unknown zone, bad regex), never for input.
   */
  constructor(object: ObjectInfo, options: ParserOptions, private readonly emit: (entry: LogEntry) => void) {
    this.format = resolveFormat(options);
    this.zone = new Zone(options.zone ?? 'UTC');
    this.multiline = options.multiline ?? true;
    this.maxEntryBytes = options.maxEntryBytes ?? 1024 * 1024;
    const named = dateFromName(object.name);
    const modified = object.lastModifiedMs ?? Date.now();
    if (named !== undefined) {
      this.localDay = named;
      this.fallbackMs = this.zone.toUtc(named);
    } else {
      const local = this.zone.toLocal(modified);
      this.localDay = local - (((local % DAY_MS) + DAY_MS) % DAY_MS);
      this.fallbackMs = modified;
    }
    // A LastModified before the named date is not the upload of that day's file (a copy that kept
    // an old mtime, a test's 0): the name wins and nothing bounds the dates.
    // S3 keeps LastModified to the second (Last-Modified is an HTTP date): lines written in the
    // second of the upload are after it. The bound is the end of that second.
    const latestMs = named === undefined || modified >= this.fallbackMs ? modified - (((modified % 1000) + 1000) % 1000) + 999 : Infinity;
    this.days = new DayResolver(this.zone, { dayMs: this.localDay, named: named !== undefined, latestMs });
    this.noYearLatestMs = Number.isFinite(latestMs) ? latestMs + DAY_MS : this.zone.toUtc(this.localDay) + 31 * DAY_MS;
  }

  /**
   * The state after the last emitted entry. A pending entry (not yet emitted, or held back) is not
   * included: a resumed parser reads it again from its first line. Call between push() calls, or
   * from the emit callback (after the entry it receives).
   */
  checkpoint(): ParserCheckpoint {
    const cp: ParserCheckpoint = { v: 2, format: this.format?.name, lines: this.emittedLines };
    if (this.emittedRefMs === this.emittedRefMs) cp.refMs = this.emittedRefMs;
    if (this.emittedLastTimeMs === this.emittedLastTimeMs) cp.lastTimeMs = this.emittedLastTimeMs;
    if (this.continuing) cp.continuing = this.continuing;
    return cp;
  }

  /**
   * Continues from a checkpoint of the same object: the next push() is line `lines + 1`. A
   * checkpoint's format overrides the configured one (auto chose it from the object's start). A v1
   * checkpoint (no `v`) resumes with its last time of day as the reference and its inherited time.
   */
  restore(cp: ParserCheckpoint, options: ParserOptions): void {
    if (cp.format !== undefined) this.format = cp.format === 'regex' ? resolveFormat({ ...options, format: 'regex' }) : builtinFormat(cp.format);
    const num = (x: unknown): number => (typeof x === 'number' ? x : NaN);
    if (cp.v === undefined) {
      const dayMs = num(cp.dayMs);
      const tod = num(cp.lastTodMs);
      this.refMs = tod >= 0 ? this.zone.toUtc(dayMs + tod) : NaN;
      this.lastTime = num(cp.lastTimeMs);
    } else {
      this.refMs = num(cp.refMs);
      this.lastTime = num(cp.lastTimeMs);
    }
    this.lineNo = cp.lines;
    this.emittedLines = cp.lines;
    this.emittedRefMs = this.refMs;
    this.emittedLastTimeMs = this.lastTime;
    this.continuing = cp.continuing;
    if (cp.continuing) this.current = { entry: { ...cp.continuing, text: '', firstLine: cp.lines + 1, lineCount: 0 }, lines: [], size: 0, tod: -1 };
  }

  /** Feeds the next line (without its '\n'; a trailing '\r' is removed here). */
  push(line: string): void {
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (this.format === undefined) {
      this.pending.push(line);
      if (this.pending.length >= DETECT_LINES) this.decide();
      return;
    }
    this.handle(line, this.format);
  }

  /** Ends the object: emits the last entry and every held one (a rolled start unconfirmed is on the name's date). */
  end(): void {
    if (this.format === undefined) this.decide();
    this.flush();
    if (this.rolledFrom >= 0) this.settleRolledStart(false);
    if (this.held.length > 0) this.giveUpWaiting();
  }

  /** The format in use; undefined while `auto` is still collecting lines. */
  get formatName(): FormatName | undefined {
    return this.format?.name;
  }

  private decide(): void {
    const format = detectFormat(this.pending);
    this.format = format;
    for (const line of this.pending.splice(0)) this.handle(line, format);
  }

  private handle(line: string, format: LineFormat): void {
    const lineNo = ++this.lineNo;
    const h = this.header;
    if (format.header(line, h)) {
      this.flush();
      const level = normalizeLevel(h.levelText);
      const hasTime = h.timeKind !== TimeKind.None;
      const tod = h.timeKind === TimeKind.TimeOfDay ? h.time : -1;
      let timeMs = this.lastTime;
      if (hasTime) timeMs = this.timed(h, tod);
      this.current = {
        entry: {
          level: level ?? 'UNPARSED',
          levelText: level ? h.levelText : '',
          // An entry without a time gets the inherited one when it is delivered.
          timeMs,
          hasTime,
          message: messageOf(line, h.messageStart),
          text: line,
          firstLine: lineNo,
          lineCount: 1,
          part: 0,
          format: format.name,
        },
        lines: [line],
        size: line.length,
        tod,
      };
      return;
    }
    const cur = this.current;
    if (this.multiline && cur) {
      if (cur.size > 0 && cur.size + 1 + line.length > this.maxEntryBytes) {
        // The entry so far goes out as it is; the rest continues in a further part. The checkpoint
        // taken while that part is emitted (a batch may end there) must already name the part
        // that follows, or a resumed parser reads the rest of the entry as UNPARSED lines.
        const { text: _t, firstLine: _f, lineCount: _c, ...template } = { ...cur.entry, part: cur.entry.part + 1 };
        this.flush(template);
        // After flush(): settling held entries may have given the template its time.
        this.current = { entry: { ...template, firstLine: lineNo, lineCount: 0, text: '' }, lines: [], size: 0, tod: -1 };
      }
      this.append(line);
      return;
    }
    this.flush();
    this.deliver(
      -1,
      {
        level: 'UNPARSED',
        levelText: '',
        timeMs: this.lastTime,
        hasTime: false,
        message: messageOf(line, 0),
        text: line,
        firstLine: lineNo,
        lineCount: 1,
        part: 0,
        format: format.name,
      },
      undefined,
    );
  }

  /** Appends a continuation line to the current entry. */
  private append(line: string): void {
    const cur = this.current!;
    cur.size += (cur.lines.length > 0 ? 1 : 0) + line.length;
    cur.lines.push(line);
    cur.entry.lineCount++;
  }

  /** Completes the current entry; `next`: the part that continues it, recorded in the checkpoint. */
  private flush(next?: EntryPart): void {
    const cur = this.current;
    if (!cur) return;
    this.current = undefined;
    // A part restored from a checkpoint that got no further line has nothing to emit.
    if (cur.lines.length === 0) return;
    cur.entry.text = cur.lines.length === 1 ? cur.lines[0] : cur.lines.join('\n');
    this.deliver(cur.tod, cur.entry, next);
  }

  /**
   * The time of a header that has one. Settles held entries it decides: the first timed entry
   * gives its time to those before it; a line past midnight confirms a rolled start.
   */
  private timed(h: Header, tod: number): number {
    if (this.rolledFrom >= 0) {
      const t = tod >= 0 ? this.days.at(tod, this.rolledRefMs) : this.timeOf(h);
      if (this.zone.toLocal(t) < this.localDay) {
        if (!(t <= this.rolledRefMs)) this.rolledRefMs = t;
        return t;
      }
      this.settleRolledStart(true);
      return this.advance(t);
    }
    if (tod >= 0 && this.refMs !== this.refMs && this.days.mayBeRolledStart(tod)) {
      // Held from here on, with tentative times, until a line past midnight or the bound.
      const t = this.days.at(tod, NaN, true);
      this.rolledFrom = this.held.length;
      this.rolledSize = 0;
      this.rolledRefMs = t;
      return t;
    }
    const t = this.timeOf(h);
    // Before lastTime and refMs move: the held entries' checkpoints stand before this entry.
    if (this.held.length > 0) this.release(t);
    return this.advance(t);
  }

  /** The time `t` becomes the inherited time and joins the reference. */
  private advance(t: number): number {
    this.lastTime = t;
    if (!(t <= this.refMs)) this.refMs = t;
    return t;
  }

  /** Emits a complete entry, or holds it back while its time (or that of the entry before) is not settled. */
  private deliver(tod: number, entry: LogEntry, next: EntryPart | undefined): void {
    if (this.rolledFrom >= 0) {
      this.held.push({ entry, next, tod });
      this.rolledSize += entry.text.length + 1;
      if (this.held.length - this.rolledFrom >= HELD_MAX_ENTRIES || this.rolledSize > this.maxEntryBytes) this.settleRolledStart(false);
      return;
    }
    // NaN: no timed entry yet.
    if (this.lastTime !== this.lastTime) {
      this.held.push({ entry, next, tod });
      this.heldSize += entry.text.length + 1;
      if (this.held.length >= HELD_MAX_ENTRIES || this.heldSize > this.maxEntryBytes) this.giveUpWaiting();
      return;
    }
    if (!entry.hasTime) {
      entry.timeMs = this.lastTime;
      if (next) next.timeMs = this.lastTime;
    }
    this.send(entry, next);
  }

  /**
   * The held entries take the object's time, and so does every later entry until one has a time
   * of its own; a checkpoint from here on carries that time, so a resumed parser does the same.
   */
  private giveUpWaiting(): void {
    this.lastTime = this.fallbackMs;
    this.release(this.fallbackMs);
  }

  /**
   * Ends a rolled start: `confirmed`, its tentative times (the day before's) stand; else they are
   * dated again from the name's date. Emits every held entry.
   */
  private settleRolledStart(confirmed: boolean): void {
    const held = this.held;
    const from = this.rolledFrom;
    this.rolledFrom = -1;
    if (!confirmed) {
      let ref = this.refMs;
      for (let i = from; i < held.length; i++) {
        const e = held[i].entry;
        if (!e.hasTime || e.part > 0) continue;
        const t = held[i].tod >= 0 ? this.days.at(held[i].tod, ref) : e.timeMs;
        e.timeMs = t;
        if (!(t <= ref)) ref = t;
      }
    }
    this.release(held[from].entry.timeMs);
  }

  /**
   * Emits the held entries in order. A timed entry keeps its time and moves the reference; the
   * further parts of an entry take its time; an entry without a time inherits, or takes `first`
   * when no timed entry came before it (the checkpoint then still stands before any).
   */
  private release(first: number): void {
    const held = this.held;
    this.held = [];
    this.heldSize = 0;
    this.rolledSize = 0;
    for (const { entry, next } of held) {
      if (!entry.hasTime) entry.timeMs = this.lastTime === this.lastTime ? this.lastTime : first;
      else if (entry.part > 0) entry.timeMs = this.lastTime;
      else this.advance(entry.timeMs);
      if (next) next.timeMs = entry.timeMs;
      this.send(entry, next);
    }
  }

  /** Emits an entry; the checkpoint moves past it (to the current reference and inherited time). */
  private send(entry: LogEntry, next: EntryPart | undefined): void {
    this.continuing = next;
    this.emittedLines += entry.lineCount;
    this.emittedRefMs = this.refMs;
    this.emittedLastTimeMs = this.lastTime;
    this.emit(entry);
  }

  /** The event time of a header with a time; changes no state. */
  private timeOf(h: Header): number {
    switch (h.timeKind) {
      case TimeKind.TimeOfDay:
        return this.days.at(h.time, this.refMs);
      case TimeKind.Utc:
        return h.time;
      case TimeKind.Local:
        return this.zone.toUtc(h.time);
      case TimeKind.LocalNoYear: {
        // Syslog has no year: take the object's, unless that puts the line after the object was
        // written (noYearLatestMs): then it is last year's. ('Dec 10' in an object uploaded on 5 December.)
        const d = new Date(h.time);
        const year = new Date(this.localDay).getUTCFullYear();
        const tod = h.time % DAY_MS;
        let local = Date.UTC(year, d.getUTCMonth(), d.getUTCDate()) + tod;
        if (this.zone.toUtc(local) > this.noYearLatestMs) local = Date.UTC(year - 1, d.getUTCMonth(), d.getUTCDate()) + tod;
        return this.zone.toUtc(local);
      }
      default:
        return this.lastTime;
    }
  }
}

/** The message of a header line: from `start`, trimmed, at most MAX_MESSAGE characters. */
export function messageOf(line: string, start: number): string {
  const end = Math.min(line.length, start + MAX_MESSAGE * 2);
  const m = line.slice(start, end).trim();
  return m.length > MAX_MESSAGE ? m.slice(0, MAX_MESSAGE) : m;
}

/** Parses a whole text (tests, small files): every entry in order. */
export function parseText(text: string, object: ObjectInfo, options: ParserOptions): LogEntry[] {
  const out: LogEntry[] = [];
  const parser = new ObjectParser(object, options, (e) => out.push(e));
  const lines = text.split('\n');
  // A final newline ends the last line; it does not start an empty one.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) parser.push(line);
  parser.end();
  return out;
}
