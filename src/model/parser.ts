/**
 * Turns the lines of one object (an S3 object or a local file) into log entries: level, event time,
 * message, and the entry's raw lines. Pure: no I/O, and it never throws on input.
 *
 * - The format is configured or detected (`auto`) from the object's first lines.
 * - Formats without a date take it from the object's name (`YYYY-MM-DD`), else its LastModified
 *   time; a time going backwards by more than 12 hours rolls the date to the next day.
 * - With `multiline` on, a line that does not start an entry (a stack trace's `\tat ...`) joins the
 *   entry before it; the entry counts once. An entry is split into parts of at most `maxEntryBytes`;
 *   only part 0 counts, so a runaway trace cannot hold unbounded memory.
 * - A line with no recognisable level is UNPARSED: counted, never dropped. An entry without a time of
 *   its own takes the time of the entry before it, or the object's date for the first.
 */
import { AUTO_CANDIDATES, builtinFormat, type FormatName, type Header, type LineFormat, newHeader, regexFormat, TimeKind } from './formats';
import { type Level, normalizeLevel } from './levels';
import { DAY_MS, DayClock, dateFromName, Zone } from './time';

export interface ParserOptions {
  format: FormatName | 'auto';
  /** Required for format 'regex'. */
  regex?: string;
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

/**
 * Where a parser stands after its last emitted entry: enough to resume the object from the line
 * after it (byte offset kept by the caller) with the same format, date and inherited time.
 */
export interface ParserCheckpoint {
  format: FormatName | undefined;
  dayMs: number;
  lastTodMs: number;
  lastTimeMs: number;
  /** Lines covered by the entries emitted so far. */
  lines: number;
  /** Set when the last emitted entry was a part of a larger entry whose next part has begun. */
  continuing?: Omit<LogEntry, 'text' | 'firstLine' | 'lineCount'>;
}

/** How many lines `auto` looks at before choosing. */
export const DETECT_LINES = 64;
const MAX_MESSAGE = 500;

interface Building {
  entry: LogEntry;
  lines: string[];
  size: number;
}

/** Validates options and builds the format; throws an Error naming the bad option. */
export function resolveFormat(options: ParserOptions): LineFormat | undefined {
  if (options.format === 'auto') return undefined;
  if (options.format === 'regex') {
    if (!options.regex) throw new Error('parser format "regex" needs a regex with named groups (?<time>...) and (?<level>...)');
    return regexFormat(options.regex);
  }
  return builtinFormat(options.format);
}

/** Picks the candidate format that reads the most of `lines`; a header with a level scores 2, without 1. */
export function detectFormat(lines: readonly string[]): LineFormat {
  const h = newHeader();
  let best = AUTO_CANDIDATES[0];
  let bestScore = 0;
  for (const format of AUTO_CANDIDATES) {
    let score = 0;
    for (const line of lines) {
      if (format.header(line, h)) score += normalizeLevel(h.levelText) ? 2 : 1;
    }
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
  private readonly clock: DayClock;
  private readonly multiline: boolean;
  private readonly maxEntryBytes: number;
  /** Local midnight of the object's date, "as if UTC", for syslog's missing year. */
  private readonly localDay: number;
  private lastTime: number;
  private lineNo = 0;
  private emittedLines = 0;
  // The clock and inherited time right after the last emitted entry, as numbers: set on every
  // entry, so no object is allocated there (that cost the parser most of its speed).
  private emittedDayMs: number;
  private emittedLastTodMs: number;
  private emittedLastTimeMs: number;
  private continuing: ParserCheckpoint['continuing'];
  private current: Building | undefined;

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
      this.lastTime = this.zone.toUtc(named);
    } else {
      // The local date of LastModified: shift by the zone's offset at that instant.
      const local = modified + (modified - this.zone.toUtc(modified));
      this.localDay = local - (((local % DAY_MS) + DAY_MS) % DAY_MS);
      this.lastTime = modified;
    }
    this.clock = new DayClock(this.localDay, this.zone);
    this.emittedDayMs = this.clock.dayMs;
    this.emittedLastTodMs = this.clock.lastTodMs;
    this.emittedLastTimeMs = this.lastTime;
  }

  /**
   * The state after the last emitted entry. A pending entry (not yet emitted) is not included: a
   * resumed parser reads it again from its first line. Call between push() calls.
   */
  checkpoint(): ParserCheckpoint {
    return {
      format: this.format?.name,
      dayMs: this.emittedDayMs,
      lastTodMs: this.emittedLastTodMs,
      lastTimeMs: this.emittedLastTimeMs,
      lines: this.emittedLines,
      ...(this.continuing ? { continuing: this.continuing } : {}),
    };
  }

  /**
   * Continues from a checkpoint of the same object: the next push() is line `lines + 1`. A
   * checkpoint's format overrides the configured one (auto chose it from the object's start).
   */
  restore(cp: ParserCheckpoint, options: ParserOptions): void {
    if (cp.format !== undefined) this.format = cp.format === 'regex' ? resolveFormat({ ...options, format: 'regex' }) : builtinFormat(cp.format);
    this.clock.state = { dayMs: cp.dayMs, lastTodMs: cp.lastTodMs };
    this.lastTime = cp.lastTimeMs;
    this.lineNo = cp.lines;
    this.emittedLines = cp.lines;
    this.emittedDayMs = cp.dayMs;
    this.emittedLastTodMs = cp.lastTodMs;
    this.emittedLastTimeMs = cp.lastTimeMs;
    this.continuing = cp.continuing;
    if (cp.continuing) this.current = { entry: { ...cp.continuing, text: '', firstLine: cp.lines + 1, lineCount: 0 }, lines: [], size: 0 };
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

  /** Ends the object: emits the last entry. */
  end(): void {
    if (this.format === undefined) this.decide();
    this.flush();
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
      if (hasTime) this.lastTime = this.resolveTime(h);
      this.current = {
        entry: {
          level: level ?? 'UNPARSED',
          levelText: level ? h.levelText : '',
          timeMs: this.lastTime,
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
      };
      return;
    }
    const cur = this.current;
    if (this.multiline && cur) {
      if (cur.size > 0 && cur.size + 1 + line.length > this.maxEntryBytes) {
        // The entry so far goes out as it is; the rest continues in a further part. The checkpoint
        // taken while that part is emitted (a batch may end there) must already name the part
        // that follows, or a resumed parser reads the rest of the entry as UNPARSED lines.
        const next: LogEntry = { ...cur.entry, firstLine: lineNo, lineCount: 0, part: cur.entry.part + 1, text: '' };
        const { text: _t, firstLine: _f, lineCount: _c, ...template } = next;
        this.flush(template);
        this.current = { entry: next, lines: [], size: 0 };
      }
      this.append(line);
      return;
    }
    this.flush();
    this.continuing = undefined;
    this.emitted(1);
    this.emit({
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
    });
  }

  /** Appends a continuation line to the current entry. */
  private append(line: string): void {
    const cur = this.current!;
    cur.size += (cur.lines.length > 0 ? 1 : 0) + line.length;
    cur.lines.push(line);
    cur.entry.lineCount++;
  }

  /** Emits the current entry; `next`: the part that continues it, recorded in the checkpoint. */
  private flush(next?: ParserCheckpoint['continuing']): void {
    const cur = this.current;
    if (!cur) return;
    this.current = undefined;
    // A part restored from a checkpoint that got no further line has nothing to emit.
    if (cur.lines.length === 0) return;
    this.continuing = next;
    cur.entry.text = cur.lines.length === 1 ? cur.lines[0] : cur.lines.join('\n');
    this.emitted(cur.entry.lineCount);
    this.emit(cur.entry);
  }

  /** Advances the checkpoint past an entry of `lines` lines: the clock and inherited time stand right after it. */
  private emitted(lines: number): void {
    this.emittedLines += lines;
    this.emittedDayMs = this.clock.dayMs;
    this.emittedLastTodMs = this.clock.lastTodMs;
    this.emittedLastTimeMs = this.lastTime;
  }

  private resolveTime(h: Header): number {
    switch (h.timeKind) {
      case TimeKind.TimeOfDay:
        return this.clock.at(h.time);
      case TimeKind.Utc:
        return h.time;
      case TimeKind.Local:
        return this.zone.toUtc(h.time);
      case TimeKind.LocalNoYear: {
        // Syslog has no year: take the object's; a date far after the object's is last year's.
        const d = new Date(h.time);
        const year = new Date(this.localDay).getUTCFullYear();
        const tod = h.time % DAY_MS;
        let local = Date.UTC(year, d.getUTCMonth(), d.getUTCDate()) + tod;
        if (local > this.localDay + 31 * DAY_MS) local = Date.UTC(year - 1, d.getUTCMonth(), d.getUTCDate()) + tod;
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
