/**
 * Time patterns in the language of logback's and log4j's `%d{...}` (Java's SimpleDateFormat
 * letters), compiled once into a matcher that reads a line with charCode reads and allocates
 * nothing: `yyyy-MM-dd HH:mm:ss,SSS`, `yy/MM/dd HH:mm:ss`, `EEE MMM dd HH:mm:ss yyyy`,
 * `dd/MMM/yyyy:HH:mm:ss Z`, `'T'` for quoted text, and the special patterns `epoch` (seconds, with
 * an optional fraction) and `epochMillis`. What the text holds decides how its time is read:
 * a full date is local (Utc when the pattern has a zone), a month and day without a year take the
 * object's year, and a time without a date takes the object's date (see TimeKind).
 */

/** How a header's time is to be read (Header.time in formats.ts). */
export const enum TimeKind {
  /** The line has no time. */
  None = 0,
  /** Milliseconds since local midnight; the date comes from the object. */
  TimeOfDay = 1,
  /** UTC epoch milliseconds. */
  Utc = 2,
  /** Local date and time as epoch milliseconds "as if the zone were UTC"; needs the zone. */
  Local = 3,
  /**
   * Local month, day and time in the object's year, as for Local in the year NO_YEAR (a leap
   * year, so that 29 February survives until the object's year is known).
   */
  LocalNoYear = 4,
}

/** The year that LocalNoYear times are written in: a leap year. */
export const NO_YEAR = 1972;

/** Where a matcher writes its result (formats.ts's Header has these fields). */
export interface TimeFields {
  time: number;
  timeKind: TimeKind;
}

/** A compiled pattern. */
export interface TimePattern {
  /** The pattern as written. */
  readonly source: string;
  /** The kind of time its matches give (Utc for a zone or epoch; Local, LocalNoYear or TimeOfDay). */
  readonly kind: TimeKind;
  /**
   * Reads the pattern at `at` in `s`: on success writes `out.time` and `out.timeKind` and returns
   * the index after the match; else returns -1 and leaves `out` alone. Never throws, allocates nothing.
   */
  match(s: string, at: number, out: TimeFields): number;
}

const enum Op {
  /** A literal character (n: its code). A blank in the pattern matches one or more blanks. */
  Char,
  Blank,
  Year4,
  Year2,
  /** Month as 1 or 2 digits (M), exactly 2 (MM), a name's first three letters (MMM), a full name (MMMM). */
  Month1,
  Month2,
  MonthAbbr,
  MonthName,
  Day1,
  Day2,
  Hour1,
  Hour2,
  /** Clock hours 1–12 (h, hh); need `a`. */
  Hour12a,
  Hour12b,
  Minute1,
  Minute2,
  Second1,
  Second2,
  /** Fraction of a second, exactly n digits. */
  Fraction,
  /** Day-of-week name (EEE, EEEE): letters, not checked against the date. */
  DayName,
  AmPm,
  /** An offset: Z, +hh, +hhmm or +hh:mm (any of them, whichever zone letter was written). */
  Zone,
}

interface Step {
  op: Op;
  /** Char: the code; Fraction: the digit count; Zone: the letter count for formatting; X: 1, Z: 0. */
  n: number;
}

const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
/** Three lower-case letters packed into a number → month index. */
const MONTH_BY_ABBR = new Map(MONTH_NAMES.map((m, i) => [(m.charCodeAt(0) << 16) | (m.charCodeAt(1) << 8) | m.charCodeAt(2), i]));

const LETTERS = 'y M d H h m s S E a Z X';

/** Letter → the ops for its counts (index = count - 1); undefined for a count that is not allowed. */
const OPS: Record<string, (Op | undefined)[]> = {
  y: [undefined, Op.Year2, undefined, Op.Year4],
  M: [Op.Month1, Op.Month2, Op.MonthAbbr, Op.MonthName],
  d: [Op.Day1, Op.Day2],
  H: [Op.Hour1, Op.Hour2],
  h: [Op.Hour12a, Op.Hour12b],
  m: [Op.Minute1, Op.Minute2],
  s: [Op.Second1, Op.Second2],
  E: [undefined, undefined, Op.DayName, Op.DayName],
  a: [Op.AmPm],
  Z: [Op.Zone],
  X: [Op.Zone, Op.Zone, Op.Zone],
};

const isLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isBlank = (c: number): boolean => c === 32 || c === 9;

/**
 * Compiles a pattern. Throws an Error naming the pattern and what is wrong with it: an unknown
 * letter, a count a letter does not take (`yyy`), an unclosed quote, `h` without `a`, a date
 * without a month or day, a zone without a full date.
 */
export function compileTimePattern(pattern: string): TimePattern {
  const fail = (why: string): never => {
    throw new Error(`invalid time pattern ${JSON.stringify(pattern)}: ${why} (pattern letters: ${LETTERS}; 'text' in single quotes; or epoch, epochMillis)`);
  };
  if (pattern === 'epoch' || pattern === 'epochMillis') return epochPattern(pattern);
  if (pattern.length === 0) fail('it is empty');
  const steps: Step[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < pattern.length; ) {
    const c = pattern.charCodeAt(i);
    if (c === 39) {
      // 'text', '' for a quote.
      if (pattern.charCodeAt(i + 1) === 39) {
        steps.push({ op: Op.Char, n: 39 });
        i += 2;
        continue;
      }
      const close = pattern.indexOf("'", i + 1);
      if (close < 0) fail(`the quote at ${i} is not closed`);
      for (let j = i + 1; j < close; j++) steps.push(literal(pattern.charCodeAt(j)));
      i = close + 1;
      continue;
    }
    if (!isLetter(c)) {
      const step = literal(c);
      // A run of blanks matches one or more blanks: columns padded with spaces.
      if (!(step.op === Op.Blank && steps.length > 0 && steps[steps.length - 1].op === Op.Blank)) steps.push(step);
      i++;
      continue;
    }
    const letter = pattern[i];
    let count = 1;
    while (pattern[i + count] === letter) count++;
    if (letter === 'S') {
      if (count > 9) fail(`'S' takes 1 to 9 letters (fraction digits), not ${count}, at ${i}`);
      steps.push({ op: Op.Fraction, n: count });
    } else {
      const ops = OPS[letter];
      if (!ops) fail(`unknown pattern letter '${letter}' at ${i}`);
      const op = ops[count - 1];
      if (op === undefined) fail(`'${letter}' does not take ${count} letters, at ${i}`);
      steps.push({ op: op!, n: letter === 'X' ? count : 0 });
    }
    seen.add(letter);
    i += count;
  }
  const hasDate = seen.has('M') || seen.has('d');
  if (hasDate && !(seen.has('M') && seen.has('d'))) fail('a date needs both a month (M) and a day (d)');
  if (seen.has('y') && !hasDate) fail('a year (y) needs a month (M) and a day (d)');
  if (!hasDate && !seen.has('H') && !seen.has('h')) fail('it has neither a date nor an hour');
  if (seen.has('h') !== seen.has('a')) fail("clock hours (h) and AM/PM (a) go together");
  const hasZone = seen.has('Z') || seen.has('X');
  if (hasZone && !seen.has('y')) fail('a zone (Z, X) needs a full date with a year (y)');
  const kind = hasZone ? TimeKind.Utc : seen.has('y') ? TimeKind.Local : hasDate ? TimeKind.LocalNoYear : TimeKind.TimeOfDay;
  return new CompiledPattern(pattern, kind, steps);
}

function literal(c: number): Step {
  return isBlank(c) ? { op: Op.Blank, n: 32 } : { op: Op.Char, n: c };
}

/** Reads 1 or 2 digits (`min`..`max` of them) at `i`: value * 16 + count, or -1 (packed: no allocation). */
function digits(s: string, i: number, min: number, max: number): number {
  let v = 0;
  let n = 0;
  while (n < max) {
    const d = s.charCodeAt(i + n) - 48;
    if (!(d >= 0 && d <= 9)) break;
    v = v * 10 + d;
    n++;
  }
  return n < min ? -1 : v * 16 + n;
}

class CompiledPattern implements TimePattern {
  private readonly ops: Int32Array;
  private readonly args: Int32Array;

  constructor(
    readonly source: string,
    readonly kind: TimeKind,
    readonly steps: readonly Step[],
  ) {
    this.ops = Int32Array.from(steps, (s) => s.op);
    this.args = Int32Array.from(steps, (s) => s.n);
  }

  match(s: string, at: number, out: TimeFields): number {
    const ops = this.ops;
    const args = this.args;
    let year = NO_YEAR;
    let month = 0;
    let day = 1;
    let hour = 0;
    let pm = -1;
    let minute = 0;
    let second = 0;
    let ms = 0;
    let offsetMin = 0;
    let i = at;
    for (let k = 0; k < ops.length; k++) {
      let r = 0;
      switch (ops[k]) {
        case Op.Char:
          if (s.charCodeAt(i) !== args[k]) return -1;
          i++;
          continue;
        case Op.Blank:
          if (!isBlank(s.charCodeAt(i))) return -1;
          while (isBlank(s.charCodeAt(++i)));
          continue;
        case Op.Year4:
          r = digits(s, i, 4, 4);
          if (r < 0) return -1;
          year = r >> 4;
          break;
        case Op.Year2:
          r = digits(s, i, 2, 2);
          if (r < 0) return -1;
          // Two-digit years: 00–69 are 2000–2069, 70–99 are 1970–1999.
          year = (r >> 4) + ((r >> 4) < 70 ? 2000 : 1900);
          break;
        case Op.Month1:
        case Op.Month2:
          r = digits(s, i, ops[k] === Op.Month1 ? 1 : 2, 2);
          if (r < 0) return -1;
          month = (r >> 4) - 1;
          if (month < 0 || month > 11) return -1;
          break;
        case Op.MonthAbbr:
        case Op.MonthName: {
          const m = MONTH_BY_ABBR.get(((s.charCodeAt(i) | 32) << 16) | ((s.charCodeAt(i + 1) | 32) << 8) | (s.charCodeAt(i + 2) | 32));
          if (m === undefined) return -1;
          month = m;
          if (ops[k] === Op.MonthAbbr) {
            i += 3;
          } else {
            const name = MONTH_NAMES[m];
            for (let j = 3; j < name.length; j++) if ((s.charCodeAt(i + j) | 32) !== name.charCodeAt(j)) return -1;
            i += name.length;
          }
          continue;
        }
        case Op.Day1:
          r = digits(s, i, 1, 2);
          if (r < 0) return -1;
          day = r >> 4;
          break;
        case Op.Day2:
          r = digits(s, i, 2, 2);
          if (r < 0) return -1;
          day = r >> 4;
          break;
        case Op.Hour1:
        case Op.Hour2:
        case Op.Hour12a:
        case Op.Hour12b: {
          const op = ops[k];
          r = digits(s, i, op === Op.Hour1 || op === Op.Hour12a ? 1 : 2, 2);
          if (r < 0) return -1;
          hour = r >> 4;
          if (op === Op.Hour12a || op === Op.Hour12b ? hour < 1 || hour > 12 : hour > 23) return -1;
          break;
        }
        case Op.Minute1:
        case Op.Minute2:
          r = digits(s, i, ops[k] === Op.Minute1 ? 1 : 2, 2);
          if (r < 0 || r >> 4 > 59) return -1;
          minute = r >> 4;
          break;
        case Op.Second1:
        case Op.Second2:
          r = digits(s, i, ops[k] === Op.Second1 ? 1 : 2, 2);
          // 60: a leap second, read as 59 (as parseTimeOfDay does).
          if (r < 0 || r >> 4 > 60) return -1;
          second = Math.min(r >> 4, 59);
          break;
        case Op.Fraction: {
          const n = args[k];
          let v = 0;
          for (let j = 0; j < n; j++) {
            const d = s.charCodeAt(i + j) - 48;
            if (!(d >= 0 && d <= 9)) return -1;
            if (j < 3) v = v * 10 + d;
          }
          ms = n >= 3 ? v : n === 2 ? v * 10 : v * 100;
          i += n;
          continue;
        }
        case Op.DayName: {
          const start = i;
          while (isLetter(s.charCodeAt(i))) i++;
          if (i - start < 3) return -1;
          continue;
        }
        case Op.AmPm: {
          const a = s.charCodeAt(i) | 32;
          if ((a !== 97 && a !== 112) || (s.charCodeAt(i + 1) | 32) !== 109) return -1;
          pm = a === 112 ? 1 : 0;
          i += 2;
          continue;
        }
        case Op.Zone: {
          const c = s.charCodeAt(i);
          if (c === 90 || c === 122) {
            offsetMin = 0;
            i++;
            continue;
          }
          if (c !== 43 && c !== 45) return -1;
          const h = digits(s, i + 1, 2, 2);
          if (h < 0) return -1;
          i += 3;
          let m = 0;
          const colon = s.charCodeAt(i) === 58 ? 1 : 0;
          const mm = digits(s, i + colon, 2, 2);
          if (mm >= 0) {
            m = mm >> 4;
            i += colon + 2;
          }
          offsetMin = (c === 45 ? -1 : 1) * ((h >> 4) * 60 + m);
          continue;
        }
      }
      i += r & 15;
    }
    if (pm >= 0) hour = (hour % 12) + (pm === 1 ? 12 : 0);
    const tod = ((hour * 60 + minute) * 60 + second) * 1000 + ms;
    const kind = this.kind;
    if (kind === TimeKind.TimeOfDay) {
      out.time = tod;
    } else {
      const date = Date.UTC(year, month, day);
      // Date.UTC rolls 31 April over into May: such a date is not a date.
      if (new Date(date).getUTCDate() !== day) return -1;
      out.time = date + tod - offsetMin * 60_000;
    }
    out.timeKind = kind;
    return i;
  }
}

/** `epoch`: seconds with an optional fraction; `epochMillis`: milliseconds. Both UTC. */
function epochPattern(source: 'epoch' | 'epochMillis'): TimePattern {
  const seconds = source === 'epoch';
  return {
    source,
    kind: TimeKind.Utc,
    match(s, at, out) {
      let i = at;
      let v = 0;
      for (let d = s.charCodeAt(i) - 48; d >= 0 && d <= 9; d = s.charCodeAt(++i) - 48) v = v * 10 + d;
      // At most 16 digits: beyond that a double is no longer exact, and no epoch is that long.
      if (i === at || i - at > 16) return -1;
      let frac = 0;
      if (seconds && s.charCodeAt(i) === 46) {
        let scale = 100;
        for (let d = s.charCodeAt(++i) - 48; d >= 0 && d <= 9; d = s.charCodeAt(++i) - 48) {
          frac += d * scale;
          scale /= 10;
        }
        frac = Math.floor(frac);
      }
      out.time = seconds ? v * 1000 + frac : v;
      out.timeKind = TimeKind.Utc;
      return i;
    },
  };
}

const pad = (v: number, n: number): string => String(v).padStart(n, '0');

/**
 * Writes an instant with a pattern (the inverse of match, for tests and generators): `localMs` is
 * the wall-clock time "as if UTC"; `offsetMin` the zone's offset, written where the pattern has a
 * zone. For `epoch` and `epochMillis`, `localMs` is the instant.
 */
export function formatTime(pattern: TimePattern, localMs: number, offsetMin = 0): string {
  if (pattern.source === 'epoch') return (localMs / 1000).toFixed(3).replace(/\.?0+$/, '');
  if (pattern.source === 'epochMillis') return String(localMs);
  const d = new Date(localMs);
  let out = '';
  for (const { op, n } of (pattern as CompiledPattern).steps) {
    switch (op) {
      case Op.Char: out += String.fromCharCode(n); break;
      case Op.Blank: out += ' '; break;
      case Op.Year4: out += pad(d.getUTCFullYear(), 4); break;
      case Op.Year2: out += pad(d.getUTCFullYear() % 100, 2); break;
      case Op.Month1: out += String(d.getUTCMonth() + 1); break;
      case Op.Month2: out += pad(d.getUTCMonth() + 1, 2); break;
      case Op.MonthAbbr: out += MONTH_NAMES[d.getUTCMonth()].slice(0, 1).toUpperCase() + MONTH_NAMES[d.getUTCMonth()].slice(1, 3); break;
      case Op.MonthName: out += MONTH_NAMES[d.getUTCMonth()][0].toUpperCase() + MONTH_NAMES[d.getUTCMonth()].slice(1); break;
      case Op.Day1: out += String(d.getUTCDate()); break;
      case Op.Day2: out += pad(d.getUTCDate(), 2); break;
      case Op.Hour1: out += String(d.getUTCHours()); break;
      case Op.Hour2: out += pad(d.getUTCHours(), 2); break;
      case Op.Hour12a: out += String(d.getUTCHours() % 12 || 12); break;
      case Op.Hour12b: out += pad(d.getUTCHours() % 12 || 12, 2); break;
      case Op.Minute1: out += String(d.getUTCMinutes()); break;
      case Op.Minute2: out += pad(d.getUTCMinutes(), 2); break;
      case Op.Second1: out += String(d.getUTCSeconds()); break;
      case Op.Second2: out += pad(d.getUTCSeconds(), 2); break;
      case Op.Fraction: out += (pad(d.getUTCMilliseconds(), 3) + '000000').slice(0, n); break;
      case Op.DayName: out += DAY_NAMES[d.getUTCDay()].slice(0, 3); break;
      case Op.AmPm: out += d.getUTCHours() < 12 ? 'AM' : 'PM'; break;
      case Op.Zone: {
        const sign = offsetMin < 0 ? '-' : '+';
        const hh = pad(Math.floor(Math.abs(offsetMin) / 60), 2);
        const mm = pad(Math.abs(offsetMin) % 60, 2);
        out += n === 0 ? `${sign}${hh}${mm}` : offsetMin === 0 ? 'Z' : n === 1 ? `${sign}${hh}${mm === '00' ? '' : mm}` : n === 2 ? `${sign}${hh}${mm}` : `${sign}${hh}:${mm}`;
        break;
      }
    }
  }
  return out;
}
