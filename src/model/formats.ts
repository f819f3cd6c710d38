/**
 * Line formats. Each format recognises the first line of an entry (its "header") and reads the
 * time, the level word and where the message starts. Parsers write into a caller-owned Header so the
 * hot path allocates nothing but the level substring. A format never throws on input.
 */
import { normalizeLevel } from './levels';
import { parseDate, parseTimeOfDay } from './time';
import { compileTimePattern, NO_YEAR, TimeKind, type TimePattern } from './time-pattern';

export { TimeKind } from './time-pattern';

/**
 * Every format by name: `parser.format`, a checkpoint's format, the format logged per object.
 * A name, once released, is never removed or renamed: checkpoints carry it.
 */
export const FORMAT_NAMES = [
  'logback',
  'log4j',
  'iso8601',
  'syslog',
  'json',
  'regex',
  'python',
  'logcat',
  'apache',
  'nginx',
  'hdfs',
  'cbs',
  'logfmt',
  'golog',
  'bgl',
  'klog',
] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];

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

/** A level written as a word (two letters or more: a one-letter word is not a level here). */
function isLevelWord(word: string): boolean {
  return word.length > 1 && normalizeLevel(word) !== undefined;
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
    if (isLevelWord(word)) {
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
    if (isLevelWord(word)) {
      out.levelText = word;
      out.messageStart = messageAfter(s, end);
    } else if (!findLevel(s, i, out, 3)) {
      out.messageStart = i;
    }
    return true;
  },
};

/**
 * `yyyy-MM-dd?HH:mm:ss[.,]SSS` at `at`, followed by an optional zone (`Z`, `+01:00`, `+0100`).
 * Sets the time in `out` and returns the index after it, or -1.
 */
function dateTime(s: string, sep: 'T' | ' ', out: Header, at = 0): number {
  const day = parseDate(s, at);
  if (Number.isNaN(day)) return -1;
  const c = s.charCodeAt(at + 10);
  if (sep === 'T' ? c !== 84 && c !== 116 : c !== SPACE) return -1;
  const t = parseTimeOfDay(s, at + 11);
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

const SPARK_TIME = compileTimePattern('yy/MM/dd HH:mm:ss');
const TOMCAT_TIME = compileTimePattern('dd-MMM-yyyy HH:mm:ss.SSS');

/**
 * log4j's and logback's common layouts: a date-time, then a level within the next four words
 * (thread, logger, ` - `, brackets around), and the message. The date-time is
 * `yyyy-MM-dd HH:mm:ss[,.]SSS` (log4j, logback, Hadoop, ZooKeeper's `... - INFO  [thread] - msg`,
 * OpenStack), optionally in brackets (Kafka's `[2026-11-20 10:00:00,123] INFO msg (kafka.X)`),
 * `yy/MM/dd HH:mm:ss` (Spark's and Hadoop's console layout) or `dd-MMM-yyyy HH:mm:ss.SSS` (Tomcat).
 * Any of them may follow a source name (afterSource).
 */
export const log4j: LineFormat = {
  name: 'log4j',
  header(s, out) {
    let at = s.charCodeAt(0) === 91 ? 1 : 0;
    let i = dateTime(s, ' ', out, at);
    if (i < 0) {
      const source = afterSource(s);
      if (source > 0) i = dateTime(s, ' ', out, (at = source));
    }
    if (i < 0) {
      const c = s.charCodeAt(at + 2);
      const pattern = c === 47 ? SPARK_TIME : c === 45 ? TOMCAT_TIME : undefined;
      i = pattern === undefined ? -1 : pattern.match(s, at, out);
      if (i < 0) return false;
    }
    if (at === 1 && s.charCodeAt(i) === 93) i++;
    if (!findLevel(s, i, out)) out.messageStart = skipBlanks(s, i);
    return true;
  },
};

/**
 * ISO-8601 timestamps, with zone or local: `2026-11-26T05:50:06.123Z LEVEL ...` (zap's console
 * encoder, rsyslog's precise timestamps), also in brackets (Elasticsearch's
 * `[2026-11-20T10:00:00,123][WARN ][o.e.c.r.a] [node] msg`), also after a source name (afterSource).
 */
export const iso8601: LineFormat = {
  name: 'iso8601',
  header(s, out) {
    let at = s.charCodeAt(0) === 91 ? 1 : 0;
    let i = dateTime(s, 'T', out, at);
    if (i < 0) {
      const source = afterSource(s);
      if (source > 0) i = dateTime(s, 'T', out, (at = source));
    }
    if (i < 0) return false;
    if (at === 1 && s.charCodeAt(i) === 93) {
      i++;
      if (s.charCodeAt(i) === 91 && elasticsearch(s, i, out)) return true;
    }
    if (!findLevel(s, i, out)) out.messageStart = skipBlanks(s, i);
    return true;
  },
};

/** Elasticsearch's `[LEVEL ][component] [node] message` at `i`; false when the brackets hold no level. */
function elasticsearch(s: string, i: number, out: Header): boolean {
  const close = s.indexOf(']', i);
  if (close < 0 || close - i > 12) return false;
  const word = s.slice(i + 1, close).trim();
  if (!isLevelWord(word)) return false;
  out.levelText = word;
  let m = close + 1;
  for (let bracket = 0; bracket < 2; bracket++) {
    m = skipBlanks(s, m);
    if (s.charCodeAt(m) !== 91) break;
    const end = s.indexOf('] ', m);
    if (end < 0) break;
    m = end + 2;
  }
  out.messageStart = skipBlanks(s, m);
  return true;
}

/**
 * Where a line continues after a source name that a collector put before it: a file name
 * (`nova-api.log.1 2026-...`, as in log collections that concatenate files), a container's
 * (`web-1  | 2026-...`, docker compose) or a pod's (`[pod/web-1/app] 2026-...`, kubectl --prefix).
 * The name is one word of at most 100 characters that does not start with a digit; -1 when the
 * line does not start so.
 */
function afterSource(s: string): number {
  const c = s.charCodeAt(0);
  if ((c >= 48 && c <= 57) || c === SPACE || c === TAB || s.length === 0) return -1;
  const end = tokenEnd(s, 0);
  if (end > 100 || end >= s.length) return -1;
  let i = skipBlanks(s, end);
  if (s.charCodeAt(i) === 124) i = skipBlanks(s, i + 1);
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? i : -1;
}

/** Syslog severities 0–7, as their keywords. */
const SEVERITIES = ['EMERG', 'ALERT', 'CRIT', 'ERR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'];

/**
 * Syslog, RFC 3164 (BSD: `Mmm dd HH:mm:ss host app[pid]: message`, the year from the object) and
 * RFC 5424 (`<34>1 2026-11-20T10:00:00.123Z host app 123 ID47 [sd] message`, zone as written). With
 * a `<PRI>` the level is its severity; without one, a level word early in the message.
 */
export const syslog: LineFormat = {
  name: 'syslog',
  header(s, out) {
    let i = 0;
    let pri = -1;
    if (s.charCodeAt(0) === 60) {
      pri = 0;
      for (i = 1; i <= 4; i++) {
        const d = s.charCodeAt(i) - 48;
        if (!(d >= 0 && d <= 9)) break;
        pri = pri * 10 + d;
      }
      if (i === 1 || s.charCodeAt(i) !== 62 || pri > 191) return false;
      i++;
      if (s.charCodeAt(i) === 49 && s.charCodeAt(i + 1) === SPACE) return rfc5424(s, i + 2, pri, out);
    }
    const month = monthAt(s, i);
    if (month < 0 || s.charCodeAt(i + 3) !== SPACE) return false;
    const d1 = s.charCodeAt(i + 4) === SPACE ? 0 : s.charCodeAt(i + 4) - 48;
    const d2 = s.charCodeAt(i + 5) - 48;
    if (d1 < 0 || d1 > 3 || d2 < 0 || d2 > 9 || s.charCodeAt(i + 6) !== SPACE) return false;
    const day = d1 * 10 + d2;
    const t = parseTimeOfDay(s, i + 7);
    if (day < 1 || day > 31 || t === -1) return false;
    out.time = Date.UTC(NO_YEAR, month, day) + t.ms;
    out.timeKind = TimeKind.LocalNoYear;
    // host, then "app[pid]:"; the message follows the first token ending in ':'.
    i = skipBlanks(s, t.end);
    i = skipBlanks(s, tokenEnd(s, i));
    const colon = s.indexOf(': ', i);
    const messageStart = colon >= 0 && colon - i < 128 ? colon + 2 : i;
    if (pri >= 0) {
      out.levelText = SEVERITIES[pri & 7];
      out.messageStart = messageStart;
    } else if (!findLevel(s, messageStart, out, 3)) out.messageStart = messageStart;
    return true;
  },
};

/** RFC 5424 after `<PRI>1 `: TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG. */
function rfc5424(s: string, i: number, pri: number, out: Header): boolean {
  if (s.charCodeAt(i) === 45 && s.charCodeAt(i + 1) === SPACE) {
    // "-": no time.
    out.timeKind = TimeKind.None;
    i += 2;
  } else {
    i = dateTime(s, 'T', out, i);
    if (i < 0 || s.charCodeAt(i) !== SPACE) return false;
  }
  for (let field = 0; field < 4; field++) i = skipBlanks(s, tokenEnd(s, skipBlanks(s, i)));
  // Structured data: "-" or one or more [id key="value" ...] elements; values escape ']' as '\]'.
  if (s.charCodeAt(i) === 91) {
    let quoted = false;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 92) i++;
      else if (c === 34) quoted = !quoted;
      else if (c === 93 && !quoted && s.charCodeAt(i + 1) !== 91) {
        i++;
        break;
      }
    }
  } else if (s.charCodeAt(i) === 45) i++;
  i = skipBlanks(s, i);
  // A UTF-8 byte order mark may start the message.
  if (s.charCodeAt(i) === 0xfeff) i++;
  out.levelText = SEVERITIES[pri & 7];
  out.messageStart = i;
  return true;
}

/** The month (0–11) whose English abbreviation is at `i`, any case; -1 when none. */
function monthAt(s: string, i: number): number {
  return MONTH_KEYS.get(((s.charCodeAt(i) | 32) << 16) | ((s.charCodeAt(i + 1) | 32) << 8) | (s.charCodeAt(i + 2) | 32)) ?? -1;
}
const MONTH_KEYS = new Map('jan feb mar apr may jun jul aug sep oct nov dec'.split(' ').map((m, i) => [(m.charCodeAt(0) << 16) | (m.charCodeAt(1) << 8) | m.charCodeAt(2), i]));

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

/**
 * One JSON object per line with a level (`level`, `severity`, `lvl`, `log.level`; pino's and
 * bunyan's numbers too) and a time (`time`, `ts`, `timestamp`, `@timestamp`: epoch s or ms, or ISO).
 */
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
    const level = o.level ?? o.severity ?? o.lvl ?? o['log.level'];
    out.levelText = typeof level === 'string' ? level : typeof level === 'number' ? numericLevel(level) : '';
    const time = o.time ?? o.ts ?? o.timestamp ?? o['@timestamp'];
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
 * logfmt (`time=2026-11-20T10:00:00Z level=info msg="started" port=80`: logrus's text output,
 * go-kit's `ts=`, Grafana's `t=`): key=value pairs, values quoted when they hold blanks. A line is a
 * header when it starts with a key and holds a time (`time`, `ts`, `t`, `timestamp`) or a level
 * (`level`, `lvl`, `severity`); the message is `msg`'s or `message`'s value.
 */
export const logfmt: LineFormat = {
  name: 'logfmt',
  header(s, out) {
    if (!isKeyChar(s.charCodeAt(0))) return false;
    let found = false;
    out.timeKind = TimeKind.None;
    out.levelText = '';
    out.messageStart = 0;
    let i = 0;
    while (i < s.length) {
      const keyStart = i;
      while (isKeyChar(s.charCodeAt(i))) i++;
      const keyEnd = i;
      if (s.charCodeAt(i) !== 61) {
        // A bare word: allowed after the first pair (a flag), not before.
        if (keyStart === 0) return false;
        i = skipBlanks(s, tokenEnd(s, i));
        continue;
      }
      i++;
      let valueStart = i;
      let valueEnd: number;
      if (s.charCodeAt(i) === 34) {
        valueStart = ++i;
        while (i < s.length && s.charCodeAt(i) !== 34) i += s.charCodeAt(i) === 92 ? 2 : 1;
        valueEnd = Math.min(i, s.length);
        i++;
      } else {
        i = tokenEnd(s, i);
        valueEnd = i;
      }
      const keyLength = keyEnd - keyStart;
      const k0 = s.charCodeAt(keyStart);
      if (keyLength <= 9 && (k0 === 116 || k0 === 108 || k0 === 115 || k0 === 109)) {
        const key = s.slice(keyStart, keyEnd);
        if (key === 'time' || key === 'ts' || key === 't' || key === 'timestamp') {
          found = textTime(s.slice(valueStart, valueEnd), out) || found;
        } else if (key === 'level' || key === 'lvl' || key === 'severity') {
          out.levelText = s.slice(valueStart, valueEnd);
          found = true;
        } else if (key === 'msg' || key === 'message') {
          out.messageStart = valueStart;
        }
      }
      i = skipBlanks(s, i);
    }
    return found;
  },
};

/** A character of a logfmt key: letters, digits, `_`, `.`, `-`, `@`. */
function isKeyChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45 || c === 64;
}

const PYTHON_LEVELS = new Set(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL', 'WARN', 'FATAL']);

/**
 * Python's logging: the cookbook's `%(asctime)s - %(name)s - %(levelname)s - %(message)s`
 * (`2026-11-20 10:00:00,123 - app.db - ERROR - msg`, local) and basicConfig's default
 * `%(levelname)s:%(name)s:%(message)s` (`ERROR:root:msg`, no time: such entries take the time
 * before them, or the object's).
 */
export const python: LineFormat = {
  name: 'python',
  header(s, out) {
    const c = s.charCodeAt(0);
    if (c >= 48 && c <= 57) {
      const i = dateTime(s, ' ', out);
      if (i < 0 || s.charCodeAt(i) !== SPACE || s.charCodeAt(i + 1) !== 45 || s.charCodeAt(i + 2) !== SPACE) return false;
      const nameEnd = s.indexOf(' - ', i + 3);
      const levelEnd = nameEnd < 0 ? -1 : s.indexOf(' - ', nameEnd + 3);
      if (levelEnd < 0 || levelEnd - nameEnd > 12) return false;
      const word = s.slice(nameEnd + 3, levelEnd);
      if (!PYTHON_LEVELS.has(word)) return false;
      out.levelText = word;
      out.messageStart = levelEnd + 3;
      return true;
    }
    const colon = s.indexOf(':');
    if (colon < 4 || colon > 8) return false;
    const word = s.slice(0, colon);
    const nameEnd = s.indexOf(':', colon + 1);
    if (!PYTHON_LEVELS.has(word) || nameEnd < 0 || s.charCodeAt(colon + 1) === SPACE) return false;
    out.time = 0;
    out.timeKind = TimeKind.None;
    out.levelText = word;
    out.messageStart = nameEnd + 1;
    return true;
  },
};

const LOGCAT_TIME = compileTimePattern('MM-dd HH:mm:ss.SSS');
const LOGCAT_TIME_YEAR = compileTimePattern('yyyy-MM-dd HH:mm:ss.SSS');

/**
 * Android logcat's threadtime layout: `03-17 16:13:38.811  1702  2395 D Tag: msg` (no year: the
 * object's), also with a year; pid, tid, then a level letter V D I W E F A.
 */
export const logcat: LineFormat = {
  name: 'logcat',
  header(s, out) {
    let i = LOGCAT_TIME.match(s, 0, out);
    if (i < 0) i = LOGCAT_TIME_YEAR.match(s, 0, out);
    if (i < 0) return false;
    // pid and tid, each after blanks.
    for (let field = 0; field < 2; field++) {
      const start = skipBlanks(s, i);
      if (start === i) return false;
      i = digitsEnd(s, start);
      if (i === start) return false;
    }
    const at = skipBlanks(s, i);
    if (at === i) return false;
    i = at;
    const letter = s.charCodeAt(i);
    if (letter < 65 || letter > 90 || s.charCodeAt(i + 1) !== SPACE || !normalizeLevel(s[i])) return false;
    out.levelText = s[i];
    const colon = s.indexOf(': ', i + 2);
    out.messageStart = colon >= 0 && colon - i < 128 ? colon + 2 : i + 2;
    return true;
  },
};

/** The index after the digits at `i` (`i` when there are none). */
function digitsEnd(s: string, i: number): number {
  let c = s.charCodeAt(i);
  while (c >= 48 && c <= 57) c = s.charCodeAt(++i);
  return i;
}

const APACHE_TIME = compileTimePattern('EEE MMM dd HH:mm:ss yyyy');
const APACHE_TIME_US = compileTimePattern('EEE MMM dd HH:mm:ss.SSSSSS yyyy');

/**
 * Apache httpd's error log: `[Sun Dec 04 04:47:44 2005] [notice] msg` (2.2) and
 * `[Sun Dec 04 04:47:44.123456 2005] [core:error] [pid 1] msg` (2.4), local time.
 */
export const apache: LineFormat = {
  name: 'apache',
  header(s, out) {
    if (s.charCodeAt(0) !== 91) return false;
    let i = APACHE_TIME.match(s, 1, out);
    if (i < 0) i = APACHE_TIME_US.match(s, 1, out);
    if (i < 0 || s.charCodeAt(i) !== 93 || s.charCodeAt(i + 1) !== SPACE || s.charCodeAt(i + 2) !== 91) return false;
    const close = s.indexOf(']', i + 3);
    if (close < 0 || close - i > 40) return false;
    // [module:level] in 2.4.
    const colon = s.lastIndexOf(':', close);
    out.levelText = s.slice(colon > i + 3 ? colon + 1 : i + 3, close);
    let m = skipBlanks(s, close + 1);
    if (s.startsWith('[pid ', m)) {
      const end = s.indexOf(']', m);
      if (end > 0) m = skipBlanks(s, end + 1);
    }
    out.messageStart = m;
    return true;
  },
};

const SLASH_TIME = compileTimePattern('yyyy/MM/dd HH:mm:ss');
const SLASH_TIME_US = compileTimePattern('yyyy/MM/dd HH:mm:ss.SSSSSS');

/** nginx's error log: `2026/11/20 10:00:00 [error] 123#0: *5 msg`, local time. */
export const nginx: LineFormat = {
  name: 'nginx',
  header(s, out) {
    const t = SLASH_TIME.match(s, 0, out);
    if (t < 0 || s.charCodeAt(t) !== SPACE || s.charCodeAt(t + 1) !== 91) return false;
    const close = s.indexOf('] ', t + 2);
    if (close < 0 || close - t > 10) return false;
    // pid#tid:
    const pidStart = close + 2;
    const pidEnd = digitsEnd(s, pidStart);
    if (pidEnd === pidStart || s.charCodeAt(pidEnd) !== 35) return false;
    const tidEnd = digitsEnd(s, pidEnd + 1);
    if (tidEnd === pidEnd + 1 || s.charCodeAt(tidEnd) !== 58) return false;
    out.levelText = s.slice(t + 2, close);
    out.messageStart = skipBlanks(s, tidEnd + 1);
    return true;
  },
};

/**
 * Go's standard log: `2026/11/20 10:00:00 msg`, also with microseconds and a `file.go:12:`
 * prefix, local time. It writes no level: a level word opening the message (`[ERROR]`, `WARN:`)
 * is taken, else the entry is UNPARSED.
 */
export const golog: LineFormat = {
  name: 'golog',
  header(s, out) {
    let i = SLASH_TIME_US.match(s, 0, out);
    if (i < 0) i = SLASH_TIME.match(s, 0, out);
    if (i < 0 || (i < s.length && s.charCodeAt(i) !== SPACE)) return false;
    i = skipBlanks(s, i);
    // file.go:123: (log.Lshortfile, log.Llongfile)
    const end = tokenEnd(s, i);
    if (end > i + 4 && s.charCodeAt(end - 1) === 58 && s.lastIndexOf('.go:', end) > i) i = skipBlanks(s, end);
    if (!findLevel(s, i, out, 1)) out.messageStart = i;
    return true;
  },
};

const KLOG_TIME = compileTimePattern('MMdd HH:mm:ss.SSSSSS');

/**
 * glog and klog (Kubernetes components, many Go and C++ servers):
 * `E1120 10:00:00.123456    4321 server.go:88] msg`: a level letter I W E F, month and day (the
 * object's year), time in microseconds, thread id, file:line.
 */
export const klog: LineFormat = {
  name: 'klog',
  header(s, out) {
    const c = s.charCodeAt(0);
    if (c !== 73 && c !== 87 && c !== 69 && c !== 70) return false;
    const i = KLOG_TIME.match(s, 1, out);
    if (i < 0 || s.charCodeAt(i) !== SPACE) return false;
    const close = s.indexOf('] ', i);
    if (close < 0 || close - i > 200) return false;
    out.levelText = s[0];
    out.messageStart = close + 2;
    return true;
  },
};

const HDFS_TIME = compileTimePattern('yyMMdd HHmmss');

/** HDFS's (Hadoop 0.x) layout: `081109 203615 148 INFO dfs.DataNode: msg`, local time. */
export const hdfs: LineFormat = {
  name: 'hdfs',
  header(s, out) {
    let i = HDFS_TIME.match(s, 0, out);
    if (i < 0 || s.charCodeAt(i) !== SPACE) return false;
    const pid = i + 1;
    i = digitsEnd(s, pid);
    if (i === pid || s.charCodeAt(i) !== SPACE) return false;
    const end = tokenEnd(s, i + 1);
    const word = s.slice(i + 1, end);
    out.levelText = isLevelWord(word) ? word : '';
    const colon = s.indexOf(': ', end);
    out.messageStart = colon >= 0 && colon - end < 128 ? colon + 2 : skipBlanks(s, end);
    return true;
  },
};

const CBS_TIME = compileTimePattern("yyyy-MM-dd HH:mm:ss', '");

/** Windows CBS and DISM logs: `2016-09-28 04:30:30, Info                  CBS    msg`, local time. */
export const cbs: LineFormat = {
  name: 'cbs',
  header(s, out) {
    let i = CBS_TIME.match(s, 0, out);
    if (i < 0) return false;
    const end = tokenEnd(s, i);
    const word = s.slice(i, end);
    out.levelText = isLevelWord(word) ? word : '';
    // The component (CBS, CSI, DISM) in its column, then the message.
    i = skipBlanks(s, tokenEnd(s, skipBlanks(s, end)));
    out.messageStart = i;
    return true;
  },
};

const BGL_TIME = compileTimePattern('yyyy-MM-dd-HH.mm.ss.SSSSSS');
const THUNDERBIRD_TIME = compileTimePattern('MMM d HH:mm:ss');

/**
 * Blue Gene/L RAS logs (the Usenix 2007 supercomputer logs): `- 1795168800 2026.11.20 R10-M0-N4
 * 2026-11-20-02.00.00.123456 R10-M0-N4 RAS KERNEL FATAL msg`: alert label (`-` for none), epoch
 * seconds, date, node, local time, node, type, component, level. The time is the epoch's (UTC, no
 * zone needed) with the local time's milliseconds. The same logs of Thunderbird and Spirit carry a
 * syslog line after the node (`- 1795168800 2026.11.20 tb-7 Nov 20 02:00:00 tb-7/tb-7 sshd[1]: msg`):
 * the epoch's time, a level word early in the message if any.
 */
export const bgl: LineFormat = {
  name: 'bgl',
  header(s, out) {
    let i = tokenEnd(s, 0);
    if (i === 0 || i > 16 || s.charCodeAt(i) !== SPACE) return false;
    const epochStart = i + 1;
    i = digitsEnd(s, epochStart);
    if (i - epochStart < 9 || i - epochStart > 10 || s.charCodeAt(i) !== SPACE) return false;
    const seconds = Number(s.slice(epochStart, i));
    // yyyy.MM.dd, then the node.
    if (s.charCodeAt(i + 5) !== 46 || s.charCodeAt(i + 8) !== 46 || s.charCodeAt(i + 11) !== SPACE) return false;
    i = tokenEnd(s, i + 12);
    if (s.charCodeAt(i) !== SPACE) return false;
    const t = BGL_TIME.match(s, i + 1, out);
    if (t < 0) {
      // Thunderbird's and Spirit's shape: a syslog line (`Nov 9 12:01:01 host/host app[1]: msg`) after the node.
      const n = THUNDERBIRD_TIME.match(s, i + 1, out);
      if (n < 0) return false;
      out.time = seconds * 1000;
      out.timeKind = TimeKind.Utc;
      const colon = s.indexOf(': ', n);
      const messageStart = colon >= 0 && colon - n < 128 ? colon + 2 : skipBlanks(s, n);
      if (!findLevel(s, messageStart, out, 3)) out.messageStart = messageStart;
      return true;
    }
    out.time = seconds * 1000 + (out.time % 1000);
    out.timeKind = TimeKind.Utc;
    // node, type, component, then the level.
    i = t;
    for (let field = 0; field < 3; field++) i = tokenEnd(s, skipBlanks(s, i));
    const start = skipBlanks(s, i);
    const end = tokenEnd(s, start);
    const word = s.slice(start, end);
    out.levelText = isLevelWord(word) ? word : '';
    out.messageStart = skipBlanks(s, end);
    return true;
  },
};

/**
 * A user-supplied regular expression with named groups `time` and `level`, and optionally `date`
 * and `message`. Without `timeFormat`, `time` is `HH:mm:ss[.SSS]` (with `date` as yyyy-MM-dd before
 * it), ISO-8601 or epoch digits. With `timeFormat` (a time pattern, time-pattern.ts), `time` is read
 * with it; when the expression also has a `date` group, the text read is `date + ' ' + time`, so the
 * pattern describes both (`yy/MM/dd HH:mm:ss`). The pattern must read the whole text, or the entry
 * has no time of its own. Throws at construction when the expression or pattern is invalid or a
 * group is missing.
 */
export function regexFormat(source: string, timeFormat?: string): LineFormat {
  let re: RegExp;
  try {
    re = new RegExp(source);
  } catch (err) {
    throw new Error(`invalid parser regex ${JSON.stringify(source)}: ${(err as Error).message}`);
  }
  for (const group of ['time', 'level']) {
    if (!source.includes(`(?<${group}>`)) throw new Error(`parser regex ${JSON.stringify(source)} needs a named group (?<${group}>...)`);
  }
  const pattern: TimePattern | undefined = timeFormat === undefined ? undefined : compileTimePattern(timeFormat);
  return {
    name: 'regex',
    header(s, out) {
      const m = re.exec(s);
      if (!m?.groups) return false;
      const { time = '', level = '', date, message } = m.groups;
      if (pattern !== undefined) {
        const text = date !== undefined && date !== '' ? `${date} ${time}` : time;
        const end = pattern.match(text, 0, out);
        if (end < 0 || skipBlanks(text, end) < text.length) out.timeKind = TimeKind.None;
      } else {
        const tod = parseTimeOfDay(time, 0);
        if (tod !== -1 && tod.end === time.length) {
          const day = date === undefined ? NaN : parseDate(date, 0);
          out.time = Number.isNaN(day) ? tod.ms : day + tod.ms;
          out.timeKind = Number.isNaN(day) ? TimeKind.TimeOfDay : TimeKind.Local;
        } else if (!textTime(time, out)) {
          out.timeKind = TimeKind.None;
        }
      }
      out.levelText = level;
      out.messageStart = message !== undefined ? Math.max(0, s.indexOf(message, m.index)) : m.index + m[0].length;
      return true;
    },
  };
}

/**
 * The built-in formats that `auto` chooses among. The order breaks ties: a format that reads a
 * narrower shape comes before one that also reads it (python and cbs before log4j, nginx before
 * golog), so that each family's lines get their own format.
 */
export const AUTO_CANDIDATES: readonly LineFormat[] = [json, logfmt, syslog, apache, python, cbs, iso8601, log4j, logcat, hdfs, nginx, golog, bgl, klog, logback];

const BUILTIN: Record<Exclude<FormatName, 'regex'>, LineFormat> = { logback, log4j, iso8601, syslog, json, python, logcat, apache, nginx, hdfs, cbs, logfmt, golog, bgl, klog };

/** The built-in format of a name (a checkpoint's, a configured one). */
export function builtinFormat(name: Exclude<FormatName, 'regex'>): LineFormat {
  return BUILTIN[name];
}
