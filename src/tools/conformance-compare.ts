/**
 * The pure half of the conformance check (`npm run conformance`, scripts/conformance.ts): reads an
 * oracle (a loghub-style `<System>_2k.log_structured.csv`: every line's date, time and level, written
 * by someone else) into per-minute level counts, compares them with the window reports `logpipe
 * report` printed for the same log, explains a difference, and renders the table. No I/O.
 *
 * Minutes are the pipeline's 60 s event-time windows read in UTC: the harness runs with the default
 * `parser.zone` (UTC), so a time the log writes without a zone is read as UTC wall-clock time, and
 * the oracle's wall-clock time is that same minute.
 */
import { emptyCounts, type Level, LEVELS, type LevelCounts, normalizeLevel } from '../model/levels';
import { parseCsvWithHeader } from './csv';

/** Counts of one minute: per level and in all. */
export interface MinuteCounts {
  counts: LevelCounts;
  total: number;
}

/** What the oracle says about one system. */
export interface Oracle {
  /** Rows of the CSV: the log's lines. */
  lines: number;
  /** Rows whose level column holds a level word normalizeLevel knows (logcat letters spelt out). */
  withLevel: number;
  /** Whether every row's date has a year; when not, minutes are compared as month-day-time. */
  yearKnown: boolean;
  /** Rows whose date and time could not be read; they are in no minute (and never match). */
  untimed: number;
  /** Level words the level column holds that are no level (e.g. Linux's host name), with counts. */
  otherLevelWords: Record<string, number>;
  /** Expected counts per minute key (see minuteKey); lines without a level count as UNPARSED. */
  minutes: Map<string, MinuteCounts>;
}

/** A point in time as the oracle writes it, in UTC wall-clock fields; no year when the log has none. */
export interface Stamp {
  year?: number;
  /** 1–12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** Android logcat's one-letter priorities, spelt out so that normalizeLevel reads them. */
const LOGCAT_LETTERS: Record<string, string> = { V: 'VERBOSE', D: 'DEBUG', I: 'INFO', W: 'WARN', E: 'ERROR', F: 'FATAL' };

/**
 * The level of an oracle's level word: normalizeLevel's (the pipeline's own mapping), after
 * spelling out a logcat letter; undefined for a word that is no level.
 */
export function oracleLevel(word: string): Exclude<Level, 'UNPARSED'> | undefined {
  const w = word.trim();
  return normalizeLevel(w) ?? (LOGCAT_LETTERS[w] ? normalizeLevel(LOGCAT_LETTERS[w]) : undefined);
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * The key of a minute: `2011-03-07 11:22`, or `03-07 11:22` (month-day-time) when the year is
 * not compared. Keys order as their minutes do within a year.
 */
export function minuteKey(s: Stamp, withYear: boolean): string {
  const md = `${pad(s.month)}-${pad(s.day)} ${pad(s.hour)}:${pad(s.minute)}`;
  return withYear ? `${s.year === undefined ? '????' : pad(s.year, 4)}-${md}` : md;
}

/** The UTC fields of an epoch-ms instant (a window's start). */
export function stampOfMs(ms: number): Stamp {
  const d = new Date(ms);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes() };
}

/** `yy` as a year: loghub's two-digit years are all of this century. */
const century = (yy: string): number => 2000 + Number(yy);

function monthOfName(name: string | undefined): number | undefined {
  if (!name) return undefined;
  const i = MONTHS.indexOf(name.trim().slice(0, 3).toLowerCase());
  return i < 0 || name.trim().length > 9 ? undefined : i + 1;
}

/** A value that holds a whole date-time (one column): Apache, BGL, HealthApp, Proxifier, epochs. */
function fullStamp(value: string): Stamp | undefined {
  let m = /^[A-Za-z]{3} ([A-Za-z]{3}) +(\d{1,2}) (\d{2}):(\d{2}):\d{2}(?:\.\d+)? (\d{4})$/.exec(value); // EEE MMM dd HH:mm:ss yyyy
  if (m) {
    const month = monthOfName(m[1]);
    return month ? { year: Number(m[5]), month, day: Number(m[2]), hour: Number(m[3]), minute: Number(m[4]) } : undefined;
  }
  m = /^(\d{4})-(\d{2})-(\d{2})-(\d{2})\.(\d{2})\.\d{2}(?:\.\d+)?$/.exec(value); // yyyy-MM-dd-HH.mm.ss.SSSSSS
  if (m) return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: Number(m[4]), minute: Number(m[5]) };
  m = /^(\d{4})(\d{2})(\d{2})-(\d{1,2}):(\d{1,2}):\d{1,2}(?::\d+)?$/.exec(value); // yyyyMMdd-HH:mm:ss:SSS
  if (m) return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: Number(m[4]), minute: Number(m[5]) };
  m = /^(\d{2})\.(\d{2}) (\d{2}):(\d{2}):\d{2}$/.exec(value); // MM.dd HH:mm:ss (no year)
  if (m) return { month: Number(m[1]), day: Number(m[2]), hour: Number(m[3]), minute: Number(m[4]) };
  m = /^(\d{9,10})$/.exec(value); // epoch seconds
  if (m) return stampOfMs(Number(m[1]) * 1000);
  return undefined;
}

/** A time of day: `HH:mm:ss`, with `.SSS`, `,SSS` or `:SSS`; HDFS's `HHmmss`. */
function timeOfDay(value: string): { hour: number; minute: number } | undefined {
  const m = /^(\d{1,2}):(\d{2}):\d{2}(?:[.,:]\d+)?$/.exec(value) ?? /^(\d{2})(\d{2})\d{2}$/.exec(value);
  return m ? { hour: Number(m[1]), minute: Number(m[2]) } : undefined;
}

/** A date column: `yyyy-MM-dd`, `yyyy.MM.dd`, Spark's `yy/MM/dd`, HDFS's `yyMMdd`, Android's `MM-dd`. */
function calendarDate(value: string): Pick<Stamp, 'year' | 'month' | 'day'> | undefined {
  let m = /^(\d{4})[-./](\d{1,2})[-./](\d{1,2})$/.exec(value);
  if (m) return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  m = /^(\d{2})\/(\d{2})\/(\d{2})$/.exec(value) ?? /^(\d{2})(\d{2})(\d{2})$/.exec(value);
  if (m) return { year: century(m[1]), month: Number(m[2]), day: Number(m[3]) };
  m = /^(\d{2})-(\d{2})$/.exec(value);
  if (m) return { month: Number(m[1]), day: Number(m[2]) };
  return undefined;
}

/**
 * The date and time of one oracle row, from its columns by name and value shape (loghub's columns
 * differ per system): a `Timestamp` of epoch seconds; else a `Time` holding a whole date-time; else a `Time` of day with a `Date`
 * (`yyyy-MM-dd`, `yyyy.MM.dd`, `yy/MM/dd`, `yyMMdd`, `MM-dd`), or with a month name (`Month`, or
 * `Date` when that is a name, as OpenSSH's) and a day (`Day`, or `Date`). Undefined when none fits.
 */
export function rowStamp(row: Record<string, string>): Stamp | undefined {
  // An epoch `Timestamp` (BGL, Thunderbird) is the instant the line states, and the pipeline reads
  // it as such; their `Time` is the site's wall clock (US Pacific, daylight saving time included)
  // and names no zone.
  const epoch = (row.Timestamp ?? '').trim();
  if (/^\d{9,10}$/.test(epoch)) return stampOfMs(Number(epoch) * 1000);
  const time = (row.Time ?? '').trim();
  const full = fullStamp(time);
  if (full) return full;
  const tod = timeOfDay(time);
  if (!tod) return undefined;
  const date = row.Date === undefined ? undefined : calendarDate(row.Date.trim());
  if (date) return { ...date, ...tod };
  const month = monthOfName(row.Month) ?? monthOfName(row.Date);
  const dayText = (row.Day ?? (monthOfName(row.Date) ? undefined : row.Date) ?? '').trim();
  if (!month || !/^\d{1,2}$/.test(dayText)) return undefined;
  return { month, day: Number(dayText), ...tod };
}

/** Reads an oracle CSV (text) into expected per-minute counts. Throws CsvError for malformed CSV. */
export function readOracle(csv: string): Oracle {
  const { columns, rows } = parseCsvWithHeader(csv);
  const levelColumn = columns.includes('Level') ? 'Level' : undefined;
  const stamps = rows.map(rowStamp);
  const yearKnown = stamps.every((s) => s === undefined || s.year !== undefined) && stamps.some((s) => s !== undefined);
  const minutes = new Map<string, MinuteCounts>();
  const otherLevelWords: Record<string, number> = {};
  let withLevel = 0;
  let untimed = 0;
  rows.forEach((row, i) => {
    const word = levelColumn ? row[levelColumn].trim() : '';
    const level = oracleLevel(word);
    if (level) withLevel++;
    else if (word !== '') otherLevelWords[word] = (otherLevelWords[word] ?? 0) + 1;
    const stamp = stamps[i];
    if (!stamp) {
      untimed++;
      return;
    }
    const key = minuteKey(stamp, yearKnown);
    const m = minutes.get(key) ?? { counts: emptyCounts(), total: 0 };
    m.counts[level ?? 'UNPARSED']++;
    m.total++;
    minutes.set(key, m);
  });
  return { lines: rows.length, withLevel, yearKnown, untimed, otherLevelWords, minutes };
}

/** The part of a window report (ReportDocument, src/report/render.ts) the comparison reads. */
export interface WindowCounts {
  startMs: number;
  sizeMs: number;
  counts: LevelCounts;
  total: number;
  late: number;
  /** Future-dated entries (report.futureSkewMs beyond the clock when read), counted at a believable time, not their own; absent from reports of versions without it. */
  future?: number;
}

/** What the pipeline counted, per minute key; `late` entries are in no window's counts. */
export interface Observed {
  minutes: Map<string, MinuteCounts>;
  entries: number;
  late: number;
  /** Entries counted as future-dated: in another window than their time's. */
  future: number;
  /** Windows that are not one minute long (the comparison needs report.windowSizeMs 60000). */
  otherSizes: number;
}

/** Sums window reports into minutes keyed as the oracle's (month-day-time when it has no year). */
export function observedMinutes(windows: readonly WindowCounts[], withYear: boolean): Observed {
  const minutes = new Map<string, MinuteCounts>();
  let entries = 0;
  let late = 0;
  let future = 0;
  let otherSizes = 0;
  for (const w of windows) {
    if (w.sizeMs !== 60_000) otherSizes++;
    const key = minuteKey(stampOfMs(w.startMs), withYear);
    const m = minutes.get(key) ?? { counts: emptyCounts(), total: 0 };
    for (const level of LEVELS) m.counts[level] += w.counts[level];
    m.total += w.total;
    minutes.set(key, m);
    entries += w.total;
    late += w.late;
    future += w.future ?? 0;
  }
  return { minutes, entries, late, future, otherSizes };
}

/** The outcome of one system's comparison. */
export interface Comparison {
  /** Minutes the oracle or the pipeline has lines in. */
  minutes: number;
  /** Of them, minutes whose counts agree: per level, or in total for a system without levels. */
  minutesExact: number;
  /** Oracle lines the pipeline counted in their minute with their level (in total, without levels). */
  matched: number;
  /** Oracle lines that were not: lines − matched. */
  differing: number;
}

/**
 * Compares expected and observed minutes. With `byLevel`, a line matches when the pipeline counted
 * one of its minute and level; without it (a system whose lines have no level), when it counted
 * one of its minute at all.
 */
export function compareMinutes(oracle: Oracle, observed: Observed, byLevel: boolean): Comparison {
  const keys = new Set([...oracle.minutes.keys(), ...observed.minutes.keys()]);
  let minutesExact = 0;
  let matched = 0;
  for (const key of keys) {
    const e = oracle.minutes.get(key);
    const o = observed.minutes.get(key);
    const eTotal = e?.total ?? 0;
    const oTotal = o?.total ?? 0;
    if (byLevel) {
      let exact = eTotal === oTotal;
      for (const level of LEVELS) {
        const a = e?.counts[level] ?? 0;
        const b = o?.counts[level] ?? 0;
        matched += Math.min(a, b);
        if (a !== b) exact = false;
      }
      if (exact) minutesExact++;
    } else {
      matched += Math.min(eTotal, oTotal);
      if (eTotal === oTotal) minutesExact++;
    }
  }
  return { minutes: keys.size, minutesExact, matched, differing: oracle.lines - matched };
}

export type Verdict = 'exact' | 'MISS' | 'no level';

/** `exact`: a system with levels whose every minute and line matched, nothing late or untimed. */
export function verdictOf(oracle: Oracle, observed: Observed, c: Comparison): Verdict {
  if (oracle.withLevel === 0) return 'no level';
  return c.minutesExact === c.minutes && c.differing === 0 && observed.late === 0 && observed.entries === oracle.lines ? 'exact' : 'MISS';
}

/** Extra facts about a run the hints use, from ingest's summary. */
export interface RunFacts {
  /** The format `auto` chose, when ingest said. */
  format?: string;
  /** When the run happened (epoch ms): entries dated near it took the clock's time. */
  ranAtMs: number;
}

/** Shifts every minute key of a map by whole hours (keys with a year only). */
function shifted(minutes: Map<string, MinuteCounts>, hours: number): Map<string, MinuteCounts> {
  const out = new Map<string, MinuteCounts>();
  for (const [key, m] of minutes) {
    const ms = Date.parse(`${key.replace(' ', 'T')}:00Z`) + hours * 3_600_000;
    out.set(minuteKey(stampOfMs(ms), true), m);
  }
  return out;
}

/** Re-keys minutes to a coarser key (dropping the year, or the date). */
function rekeyed(minutes: Map<string, MinuteCounts>, key: (k: string) => string): Map<string, MinuteCounts> {
  const out = new Map<string, MinuteCounts>();
  for (const [k, m] of minutes) {
    const to = key(k);
    const acc = out.get(to) ?? { counts: emptyCounts(), total: 0 };
    for (const level of LEVELS) acc.counts[level] += m.counts[level];
    acc.total += m.total;
    out.set(to, acc);
  }
  return out;
}

const allExact = (oracle: Oracle, expected: Map<string, MinuteCounts>, observed: Map<string, MinuteCounts>, byLevel: boolean): boolean => {
  const c = compareMinutes({ ...oracle, minutes: expected }, { minutes: observed, entries: 0, late: 0, future: 0, otherSizes: 0 }, byLevel);
  return c.minutes > 0 && c.minutesExact === c.minutes;
};

/**
 * Why a system missed, as short phrases for the parser's authors (empty when it did not): entries
 * vs lines (continuation lines joined, or lines split), levels not read, entries dated at the run's
 * clock, late entries, and whether the counts agree once the year, the date or a whole-hour zone
 * offset is set aside. Heuristics: they point where to look, the table is the verdict.
 */
export function diagnose(oracle: Oracle, observed: Observed, facts: RunFacts): string[] {
  const hints: string[] = [];
  const byLevel = oracle.withLevel > 0;
  if (observed.otherSizes > 0) hints.push(`${observed.otherSizes} windows are not 60 s long (report.windowSizeMs)`);
  if (facts.format !== undefined && /unparsed|none|unknown/i.test(facts.format)) hints.push(`detection: no format chosen (${facts.format})`);
  if (observed.entries + observed.late !== oracle.lines) {
    const joined = observed.entries + observed.late < oracle.lines;
    hints.push(`entries: ${observed.entries + observed.late} for ${oracle.lines} lines (${joined ? 'lines joined to the entry before: continuation lines' : 'more entries than lines'})`);
  }
  let unparsed = 0;
  for (const m of observed.minutes.values()) unparsed += m.counts.UNPARSED;
  const expectedUnparsed = oracle.lines - oracle.withLevel;
  if (byLevel && unparsed === observed.entries && observed.entries > 0) hints.push(`level: every entry UNPARSED (${facts.format ? `auto chose ${facts.format} but` : 'the format'} recognised no line: detection, or no built-in format fits)`);
  else if (byLevel && unparsed > expectedUnparsed) hints.push(`level: ${unparsed - expectedUnparsed} more UNPARSED entries than lines without a level`);
  if (byLevel && unparsed === expectedUnparsed) {
    // Levels are read; do the counts per level agree in total?
    const sum = (ms: Map<string, MinuteCounts>): LevelCounts => {
      const c = emptyCounts();
      for (const m of ms.values()) for (const l of LEVELS) c[l] += m.counts[l];
      return c;
    };
    const e = sum(oracle.minutes);
    const o = sum(observed.minutes);
    const off = LEVELS.filter((l) => e[l] !== o[l]).map((l) => `${l} ${o[l]}/${e[l]}`);
    if (off.length > 0 && observed.late === 0 && observed.entries === oracle.lines) hints.push(`level: totals per level differ (counted/expected: ${off.join(', ')})`);
  }
  let atClock = 0;
  // Window keys carry the year only when the oracle has one; the clock check needs the window start.
  for (const [key, m] of observed.minutes) {
    const ms = Date.parse(`${oracle.yearKnown ? key.replace(' ', 'T') : `${new Date(facts.ranAtMs).getUTCFullYear()}-${key.replace(' ', 'T')}`}:00Z`);
    if (Math.abs(ms - facts.ranAtMs) < 86_400_000) atClock += m.total;
  }
  if (atClock > 0) hints.push(`time: ${atClock} entries dated within a day of the run (the clock's time or the object's date, not the line's)`);
  if (observed.late > 0) hints.push(`late: ${observed.late} entries counted late (in no window)`);
  if (observed.future > 0) hints.push(`future: ${observed.future} entries future-dated (beyond the clock when read), counted at their source's newest believable time, not their own: a year or date taken from the object put them ahead?`);
  if (oracle.untimed > 0) hints.push(`oracle: ${oracle.untimed} rows whose date or time the harness cannot read`);
  const c = compareMinutes(oracle, observed, byLevel);
  if (c.minutesExact !== c.minutes && atClock === 0) {
    if (oracle.yearKnown) {
      const noYear = (k: string): string => k.slice(5);
      if (allExact(oracle, rekeyed(oracle.minutes, noYear), rekeyed(observed.minutes, noYear), byLevel)) hints.push('year: exact when the year is set aside');
      else {
        const hours = [...Array(29).keys()].map((h) => h - 14).filter((h) => h !== 0 && allExact(oracle, shifted(oracle.minutes, h), observed.minutes, byLevel));
        if (hours.length > 0) hints.push(`zone: exact when the oracle is moved by ${hours[0] > 0 ? '+' : ''}${hours[0]} h`);
      }
    }
    const timeOnly = (k: string): string => k.slice(-5);
    if (!hints.some((h) => /^(year|zone):/.test(h)) && allExact(oracle, rekeyed(oracle.minutes, timeOnly), rekeyed(observed.minutes, timeOnly), byLevel)) {
      hints.push('date: exact when only the time of day is compared (the day is wrong)');
    }
  }
  return hints;
}

/** One row of the conformance table. */
export interface SystemResult {
  system: string;
  lines: number;
  withLevel: number;
  comparison: Comparison;
  format: string;
  verdict: Verdict;
  hints: string[];
  /** Set instead of a comparison when the run failed (ingest or report exited non-zero). */
  error?: string;
}

/** The comparison of one system end to end, from the oracle CSV and the report windows. */
export function compareSystem(system: string, csv: string, windows: readonly WindowCounts[], facts: RunFacts): SystemResult {
  const oracle = readOracle(csv);
  const observed = observedMinutes(windows, oracle.yearKnown);
  const comparison = compareMinutes(oracle, observed, oracle.withLevel > 0);
  const verdict = verdictOf(oracle, observed, comparison);
  const hints = verdict === 'exact' || (verdict === 'no level' && comparison.minutesExact === comparison.minutes && comparison.differing === 0) ? [] : diagnose(oracle, observed, facts);
  const words = Object.entries(oracle.otherLevelWords);
  if (words.length > 0 && oracle.withLevel === 0) hints.unshift(`the Level column holds no level word (${words.slice(0, 3).map(([w, n]) => `${w}×${n}`).join(', ')})`);
  return { system, lines: oracle.lines, withLevel: oracle.withLevel, comparison, format: facts.format ?? '?', verdict, hints };
}

/** The markdown table of results, then one line per hint, for the terminal and docs/log-model.md. */
export function renderTable(results: readonly SystemResult[]): string {
  const head = '| system | lines | with level | minutes | minutes exact | counts matched / differing | format (`auto`) | verdict |\n|---|--:|--:|--:|--:|--:|---|---|';
  const rows = results.map((r) =>
    r.error
      ? `| ${r.system} | ${r.lines} | ${r.withLevel} | | | | ${r.format} | failed: ${r.error.replace(/\|/g, '\\|').slice(0, 120)} |`
      : `| ${r.system} | ${r.lines} | ${r.withLevel} | ${r.comparison.minutes} | ${r.comparison.minutesExact} | ${r.comparison.matched} / ${r.comparison.differing} | ${r.format} | ${r.verdict} |`,
  );
  const notes = results.filter((r) => r.hints.length > 0).map((r) => `- ${r.system}: ${r.hints.join('; ')}`);
  return [head, ...rows].join('\n') + (notes.length > 0 ? `\n\n${notes.join('\n')}` : '') + '\n';
}
