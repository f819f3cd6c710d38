/**
 * Line formats. Each format recognises the first line of an entry (its "header") and reads the
 * time, the level word and where the message starts. Parsers write into a caller-owned Header so the
 * hot path allocates nothing but the level substring. A format never throws on input.
 */
import { normalizeLevel } from './levels';
import { parseDate, parseTimeOfDay } from './time';

export const FORMAT_NAMES = ['logback', 'log4j', 'iso8601', 'syslog', 'json', 'regex'] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];

/** How Header.time is to be read. */
export const enum TimeKind {
  /** The line has no time. */
  None = 0,
  /** Milliseconds since local midnight; the date comes from the object. */
  TimeOfDay = 1,
  /** UTC epoch milliseconds. */
  Utc = 2,
  /** Local date and time as epoch milliseconds "as if the zone were UTC"; needs the zone. */
  Local = 3,
  /** Local month, day and time in the object's year (syslog), as for Local with year 1970. */
  LocalNoYear = 4,
}

export interface Header {
  time: number;
  timeKind: TimeKind;
  /** The level word as written ('' when none was found). */
  levelText: string;
  /** Index in the line where the message starts. */
  messageStart: number;
}

export function newHeader(): Header {
  return { time: 0, timeKind: TimeKind.None, levelText: '', messageStart: 0 };
}

export interface LineFormat {
  readonly name: FormatName;
  /** True when `line` starts an entry; fills `out`. */
  header(line: string, out: Header): boolean;
}

const SPACE = 32;
const TAB = 9;

function skipBlanks(s: string, i: number): number {
  let c = s.charCodeAt(i);
  while (c === SPACE || c === TAB) c = s.charCodeAt(++i);
  return i;
}

function tokenEnd(s: string, i: number): number {
  let c = s.charCodeAt(i);
  while (i < s.length && c !== SPACE && c !== TAB) c = s.charCodeAt(++i);
  return i;
}

/** Where the message starts after the level: past a logger name and " - " when there is one nearby. */
function messageAfter(s: string, i: number): number {
  i = skipBlanks(s, i);
  if (s.charCodeAt(i) === 45 && s.charCodeAt(i + 1) === SPACE) return i + 2;
  const dash = s.indexOf(' - ', i);
  return dash >= 0 && dash - i <= 200 ? dash + 3 : i;
}

const TRIM_CHARS = new Set([91, 93, 40, 41, 60, 62, 124, 58, 44, 59]); // [ ] ( ) < > | : , ;

/**
 * Looks for a level word among the first `maxTokens` tokens from `i` (brackets, pipes, colons and a
 * `level=` prefix stripped). Sets out.levelText and out.messageStart; returns whether one was found.
 */
function findLevel(s: string, i: number, out: Header, maxTokens = 4): boolean {
  for (let t = 0; t < maxTokens && i < s.length; t++) {
    i = skipBlanks(s, i);
    const end = tokenEnd(s, i);
    let a = i;
    let b = end;
    while (a < b && TRIM_CHARS.has(s.charCodeAt(a))) a++;
    while (b > a && TRIM_CHARS.has(s.charCodeAt(b - 1))) b--;
    let word = s.slice(a, b);
    const eq = word.indexOf('=');
    if (eq >= 0) word = word.slice(eq + 1).replace(/^["']|["']$/g, '');
    if (normalizeLevel(word)) {
      out.levelText = word;
      out.messageStart = messageAfter(s, end);
      return true;
    }
    i = end;
  }
  out.levelText = '';
  return false;
}

/** `HH:mm:ss.SSS [thread] LEVEL logger - message` and `HH:mm:ss.SSS [thread] LEVEL - message` (logback). */
export const logback: LineFormat = {
  name: 'logback',
  header(s, out) {
    const t = parseTimeOfDay(s, 0);
    if (t === -1) return false;
    out.time = t.ms;
    out.timeKind = TimeKind.TimeOfDay;
    let i = skipBlanks(s, t.end);
    if (s.charCodeAt(i) === 91) {
      // Thread names may hold spaces and brackets; the thread ends at the first "] ".
      const close = s.indexOf('] ', i);
      i = close >= 0 ? close + 2 : s.length;
      i = skipBlanks(s, i);
    }
    const end = tokenEnd(s, i);
    const word = s.slice(i, end);
    if (normalizeLevel(word)) {
      out.levelText = word;
      out.messageStart = messageAfter(s, end);
    } else if (!findLevel(s, i, out, 3)) {
      out.messageStart = i;
    }
    return true;
  },
};

/**
 * `yyyy-MM-dd?HH:mm:ss[.,]SSS` followed by an optional zone (`Z`, `+01:00`, `+0100`). Sets the time
 * in `out` and returns the index after it, or -1.
 */
function dateTime(s: string, sep: 'T' | ' ', out: Header): number {
  const day = parseDate(s, 0);
  if (Number.isNaN(day)) return -1;
  const c = s.charCodeAt(10);
  if (sep === 'T' ? c !== 84 && c !== 116 : c !== SPACE) return -1;
  const t = parseTimeOfDay(s, 11);
  if (t === -1) return -1;
  let i = t.end;
  const z = s.charCodeAt(i);
  if (z === 90 || z === 122) {
    out.time = day + t.ms;
    out.timeKind = TimeKind.Utc;
    return i + 1;
  }
  if (z === 43 || z === 45) {
    const m = /^([+-])(\d{2}):?(\d{2})\b/.exec(s.slice(i, i + 6));
    if (m) {
      const offset = (Number(m[2]) * 60 + Number(m[3])) * 60_000 * (m[1] === '+' ? 1 : -1);
      out.time = day + t.ms - offset;
      out.timeKind = TimeKind.Utc;
      return i + m[0].length;
    }
  }
  out.time = day + t.ms;
  out.timeKind = TimeKind.Local;
  return i;
}

/** A format whose lines start with a date-time (`sep` between date and time), then a level nearby. */
function dateTimeFormat(name: 'log4j' | 'iso8601', sep: 'T' | ' '): LineFormat {
  return {
    name,
    header(s, out) {
      const i = dateTime(s, sep, out);
      if (i < 0) return false;
      if (!findLevel(s, i, out)) out.messageStart = skipBlanks(s, i);
      return true;
    },
  };
}

/** log4j's common layouts: `yyyy-MM-dd HH:mm:ss,SSS LEVEL ...`, with thread, logger or brackets around. */
export const log4j: LineFormat = dateTimeFormat('log4j', ' ');

/** ISO-8601 timestamps, with zone or local: `2026-11-26T05:50:06.123Z LEVEL ...`. */
export const iso8601: LineFormat = dateTimeFormat('iso8601', 'T');

const MONTHS = new Map(['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'].map((m, i) => [m, i]));

/** BSD syslog: `Mmm dd HH:mm:ss host app[pid]: message`; the level, if any, is a word early in the message. */
export const syslog: LineFormat = {
  name: 'syslog',
  header(s, out) {
    const month = MONTHS.get(s.slice(0, 3).toLowerCase());
    if (month === undefined || s.charCodeAt(3) !== SPACE) return false;
    const d1 = s.charCodeAt(4) === SPACE ? 0 : s.charCodeAt(4) - 48;
    const d2 = s.charCodeAt(5) - 48;
    if (d1 < 0 || d1 > 3 || d2 < 0 || d2 > 9 || s.charCodeAt(6) !== SPACE) return false;
    const day = d1 * 10 + d2;
    const t = parseTimeOfDay(s, 7);
    if (day < 1 || day > 31 || t === -1) return false;
    out.time = Date.UTC(1970, month, day) + t.ms;
    out.timeKind = TimeKind.LocalNoYear;
    // host, then "app[pid]:"; the message follows the first token ending in ':'.
    let i = skipBlanks(s, t.end);
    i = skipBlanks(s, tokenEnd(s, i));
    const colon = s.indexOf(': ', i);
    const messageStart = colon >= 0 && colon - i < 128 ? colon + 2 : i;
    if (!findLevel(s, messageStart, out, 3)) out.messageStart = messageStart;
    return true;
  },
};

/** Numeric levels of pino and bunyan. */
function numericLevel(n: number): string {
  if (n >= 50) return n >= 60 ? 'FATAL' : 'ERROR';
  if (n >= 40) return 'WARN';
  if (n >= 30) return 'INFO';
  return n >= 20 ? 'DEBUG' : 'TRACE';
}

/** Epoch numbers below 1e11 are seconds (until the year 5138), the rest milliseconds. */
function epochMs(n: number): number {
  return n < 1e11 ? Math.round(n * 1000) : Math.round(n);
}

/** A time given as text: ISO-8601 (local when it has no zone), or epoch digits. */
function textTime(text: string, out: Header): boolean {
  if (/^\d+(\.\d+)?$/.test(text)) {
    out.time = epochMs(Number(text));
    out.timeKind = TimeKind.Utc;
    return true;
  }
  const probe = newHeader();
  if (dateTime(text, 'T', probe) > 0 || dateTime(text, ' ', probe) > 0) {
    out.time = probe.time;
    out.timeKind = probe.timeKind;
    return true;
  }
  return false;
}

/** One JSON object per line with a level (`level`, `severity`, `lvl`) and a time (`time`, `timestamp`, `@timestamp`). */
export const json: LineFormat = {
  name: 'json',
  header(s, out) {
    const i = skipBlanks(s, 0);
    if (s.charCodeAt(i) !== 123) return false;
    let obj: unknown;
    try {
      obj = JSON.parse(s);
    } catch {
      return false;
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return false;
    const o = obj as Record<string, unknown>;
    const level = o.level ?? o.severity ?? o.lvl;
    out.levelText = typeof level === 'string' ? level : typeof level === 'number' ? numericLevel(level) : '';
    const time = o.time ?? o.timestamp ?? o['@timestamp'];
    out.timeKind = TimeKind.None;
    if (typeof time === 'number' && Number.isFinite(time)) {
      out.time = epochMs(time);
      out.timeKind = TimeKind.Utc;
    } else if (typeof time === 'string') {
      textTime(time, out);
    }
    const message = o.msg ?? o.message;
    out.messageStart = typeof message === 'string' ? Math.max(0, s.indexOf(JSON.stringify(message).slice(1, -1))) : 0;
    return true;
  },
};

/**
 * A user-supplied regular expression with named groups `time` and `level`, and optionally `date`
 * (yyyy-MM-dd) and `message`. Throws at construction when the expression is invalid or lacks a group.
 */
export function regexFormat(source: string): LineFormat {
  let re: RegExp;
  try {
    re = new RegExp(source);
  } catch (err) {
    throw new Error(`invalid parser regex ${JSON.stringify(source)}: ${(err as Error).message}`);
  }
  for (const group of ['time', 'level']) {
    if (!source.includes(`(?<${group}>`)) throw new Error(`parser regex ${JSON.stringify(source)} needs a named group (?<${group}>...)`);
  }
  return {
    name: 'regex',
    header(s, out) {
      const m = re.exec(s);
      if (!m?.groups) return false;
      const { time = '', level = '', date, message } = m.groups;
      const tod = parseTimeOfDay(time, 0);
      if (tod !== -1 && tod.end === time.length) {
        const day = date === undefined ? NaN : parseDate(date, 0);
        out.time = Number.isNaN(day) ? tod.ms : day + tod.ms;
        out.timeKind = Number.isNaN(day) ? TimeKind.TimeOfDay : TimeKind.Local;
      } else if (!textTime(time, out)) {
        out.timeKind = TimeKind.None;
      }
      out.levelText = level;
      out.messageStart = message !== undefined ? Math.max(0, s.indexOf(message, m.index)) : m.index + m[0].length;
      return true;
    },
  };
}

/** The built-in formats that `auto` chooses among, most specific first (the order breaks ties). */
export const AUTO_CANDIDATES: readonly LineFormat[] = [json, iso8601, log4j, logback, syslog];

export function builtinFormat(name: Exclude<FormatName, 'regex'>): LineFormat {
  return { logback, log4j, iso8601, syslog, json }[name];
}
