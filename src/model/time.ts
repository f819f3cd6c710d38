/**
 * Time arithmetic for log lines, allocation-free on the hot path: fixed-position digit parsing,
 * dates from object names, zone conversion and the day clock of formats that carry no date.
 */

export const DAY_MS = 86_400_000;

const digit = (s: string, i: number): number => {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1000;
};
const two = (s: string, i: number): number => digit(s, i) * 10 + digit(s, i + 1);

/**
 * Parses `HH:mm:ss`, optionally followed by `.SSS` or `,SSS` (1 to 9 fraction digits, read to ms),
 * at `at`. Returns milliseconds since midnight and the index after the time, or -1 when the text is
 * not a valid time.
 */
export function parseTimeOfDay(s: string, at: number): { ms: number; end: number } | -1 {
  if (s.length < at + 8 || s.charCodeAt(at + 2) !== 58 || s.charCodeAt(at + 5) !== 58) return -1;
  const h = two(s, at);
  const m = two(s, at + 3);
  const sec = two(s, at + 6);
  if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60) return -1;
  let ms = 0;
  let end = at + 8;
  const sep = s.charCodeAt(end);
  if ((sep === 46 || sep === 44) && digit(s, end + 1) >= 0) {
    end++;
    let scale = 100;
    while (end < s.length && digit(s, end) >= 0) {
      if (scale >= 1) ms += digit(s, end) * scale;
      scale /= 10;
      end++;
    }
    ms = Math.floor(ms);
  }
  return { ms: ((h * 60 + m) * 60 + Math.min(sec, 59)) * 1000 + ms, end };
}

/** Parses `yyyy-MM-dd` at `at`: the UTC epoch ms of that midnight, or NaN. */
export function parseDate(s: string, at: number): number {
  if (s.length < at + 10 || s.charCodeAt(at + 4) !== 45 || s.charCodeAt(at + 7) !== 45) return NaN;
  const y = two(s, at) * 100 + two(s, at + 2);
  const mo = two(s, at + 5);
  const d = two(s, at + 8);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31) return NaN;
  const ms = Date.UTC(y, mo - 1, d);
  // Date.UTC rolls 2026-02-31 over into March; such a date is not a date.
  return new Date(ms).getUTCDate() === d ? ms : NaN;
}

/**
 * The date an object's name carries: the last `YYYY-MM-DD` in it (the original generator writes
 * `LogFileGenerator.YYYY-MM-DD.log`), as the UTC epoch ms of that midnight; undefined if none.
 */
export function dateFromName(name: string): number | undefined {
  const re = /(\d{4}-\d{2}-\d{2})/g;
  let found: number | undefined;
  for (let m = re.exec(name); m; m = re.exec(name)) {
    const ms = parseDate(m[1], 0);
    if (!Number.isNaN(ms)) found = ms;
  }
  return found;
}

/**
 * Converts between UTC and the wall-clock time of a zone. "UTC" (the default) costs nothing; an
 * IANA zone ("Europe/Berlin") is resolved through Intl once per hour of time and cached, and exactly
 * (to the second) within an hour that holds a change of offset.
 */
export class Zone {
  readonly isUtc: boolean;
  private readonly format: Intl.DateTimeFormat | undefined;
  /** Offset (ms) at the start of each UTC hour, by hour number. */
  private readonly hourly = new Map<number, number>();

  /** Throws a RangeError naming the zone if Intl does not know it. */
  constructor(readonly name: string) {
    this.isUtc = name === 'UTC' || name === 'Etc/UTC' || name === 'Z';
    if (!this.isUtc) {
      try {
        this.format = new Intl.DateTimeFormat('en-US', {
          timeZone: name,
          hourCycle: 'h23',
          year: 'numeric',
          month: 'numeric',
          day: 'numeric',
          hour: 'numeric',
          minute: 'numeric',
          second: 'numeric',
        });
      } catch {
        throw new RangeError(`unknown time zone "${name}": expected UTC or an IANA name such as Europe/Berlin`);
      }
    }
  }

  /**
   * UTC epoch ms of a local wall-clock time given as "epoch ms as if local were UTC". A time that
   * occurs twice (clocks going back) gives one of the two; use toUtcNear() to choose.
   */
  toUtc(localMs: number): number {
    if (this.isUtc) return localMs;
    const guess = localMs - this.offsetAt(localMs);
    return localMs - this.offsetAt(guess);
  }

  /**
   * Like toUtc(), but of the two instants a local time names when clocks go back, the one nearer
   * `nearMs` (the later on a tie). A local time skipped when clocks go forward is read with the
   * offset before the change (02:30 becomes 03:30 where 02:00 jumps to 03:00).
   */
  toUtcNear(localMs: number, nearMs: number): number {
    if (this.isUtc) return localMs;
    // No zone changes its offset twice within two days: the offsets a day before and after are
    // the only candidates.
    const before = localMs - this.offsetAt(localMs - DAY_MS);
    const after = localMs - this.offsetAt(localMs + DAY_MS);
    if (before === after) return before;
    const beforeFits = before + this.offsetAt(before) === localMs;
    const afterFits = after + this.offsetAt(after) === localMs;
    if (beforeFits && afterFits) return Math.abs(before - nearMs) < Math.abs(after - nearMs) ? before : after;
    if (afterFits) return after;
    return before;
  }

  /**
   * Of the instants a local time names (two when clocks go back), the earliest at or after
   * `fromMs`; NaN when none is, and for a local time skipped when clocks go forward (no clock
   * shows it).
   */
  toUtcFrom(localMs: number, fromMs: number): number {
    let first = localMs;
    let second = localMs;
    if (!this.isUtc) {
      const before = localMs - this.offsetAt(localMs - DAY_MS);
      const after = localMs - this.offsetAt(localMs + DAY_MS);
      const beforeFits = before + this.offsetAt(before) === localMs;
      const afterFits = after + this.offsetAt(after) === localMs;
      if (!beforeFits && !afterFits) return NaN;
      first = beforeFits ? (afterFits ? Math.min(before, after) : before) : after;
      second = beforeFits ? (afterFits ? Math.max(before, after) : before) : after;
    }
    return first >= fromMs ? first : second >= fromMs ? second : NaN;
  }

  /** Local wall-clock time ("epoch ms as if local were UTC") of a UTC instant. */
  toLocal(utcMs: number): number {
    return this.isUtc ? utcMs : utcMs + this.offsetAt(utcMs);
  }

  /** The zone's offset from UTC (ms) at a UTC instant. */
  offsetAt(utcMs: number): number {
    if (this.isUtc) return 0;
    const hour = Math.floor(utcMs / 3_600_000);
    const start = this.hourStart(hour);
    // Most changes happen on the hour; some (Australia/Lord_Howe, older rules) within one.
    return start === this.hourStart(hour + 1) ? start : this.exactOffset(Math.floor(utcMs / 1000) * 1000);
  }

  private hourStart(hour: number): number {
    let offset = this.hourly.get(hour);
    if (offset === undefined) {
      offset = this.exactOffset(hour * 3_600_000);
      if (this.hourly.size > 10_000) this.hourly.clear();
      this.hourly.set(hour, offset);
    }
    return offset;
  }

  private exactOffset(utcMs: number): number {
    const parts = this.format!.formatToParts(new Date(utcMs));
    let y = 0;
    let mo = 0;
    let d = 0;
    let h = 0;
    let mi = 0;
    let sec = 0;
    for (const p of parts) {
      if (p.type === 'year') y = Number(p.value);
      else if (p.type === 'month') mo = Number(p.value);
      else if (p.type === 'day') d = Number(p.value);
      else if (p.type === 'hour') h = Number(p.value);
      else if (p.type === 'minute') mi = Number(p.value);
      else if (p.type === 'second') sec = Number(p.value);
    }
    return Date.UTC(y, mo - 1, d, h, mi, sec) - utcMs;
  }
}

/**
 * How far a time-of-day line may be behind the latest line before it (the reference) and keep its
 * date: lines written a few minutes out of order, as threads or buffered appenders write them. A
 * line further back than this is read as ahead of the reference, by up to a day less this much
 * (DayResolver). The disorder is bounded backwards; silences forward can be long.
 */
export const MAX_BACKWARD_MS = 10 * 60_000;

/**
 * How long before midnight the first time-of-day line of a file named for a date may be and still
 * be the previous day's. logback's time-based rolling starts the day's file with the first line
 * written after midnight by the wall clock, so a file may open with lines stamped just before it;
 * their delay is the disorder the rules below tolerate (MAX_BACKWARD_MS). Whether such a start is
 * the day before is the parser's to decide (see ObjectParser): it looks ahead for a line past
 * midnight.
 */
export const ROLLED_START_MS = 10 * 60_000;

/** Where the dates of an object's time-of-day lines start and end. */
export interface DayAnchor {
  /** The object's date: its local midnight as "epoch ms as if local were UTC". */
  dayMs: number;
  /** True when the date comes from the object's name (a daily file), false when from LastModified. */
  named: boolean;
  /** No line is dated later than this (UTC epoch ms: the end of the second of the object's LastModified); Infinity for none. */
  latestMs: number;
}

/**
 * The date of lines that carry only a time of day. A line takes the first instant, at or after
 * the object's running reference (the latest event time so far) less MAX_BACKWARD_MS, at which the
 * zone's clock shows its time: where the offset does not change, the date that puts it in
 * [reference - MAX_BACKWARD_MS, reference + 24 h - MAX_BACKWARD_MS). Lines a few minutes out of
 * order around midnight keep their day, a line after a silence of many hours is ahead of the lines
 * before it, and nothing accumulates: disorder never moves later lines. The first line, with no
 * reference yet, takes the object's date, or the day before when the caller says so (a rolled
 * daily file's start, see mayBeRolledStart()). A line never lands after `latestMs`: it moves back
 * by whole days.
 *
 * Exact when every line is at most MAX_BACKWARD_MS behind the reference and, ahead of it, its time
 * does not show earlier from reference - MAX_BACKWARD_MS on: less than 24 h - MAX_BACKWARD_MS
 * ahead, less the change where clocks go forward in between (22 h 50 min for an hour); and a time
 * that occurs twice when clocks go back is read as its first pass unless that is more than
 * MAX_BACKWARD_MS behind the reference. The rule compares instants, so a change of offset between
 * two lines is read right.
 */
export class DayResolver {
  private readonly dayMs: number;
  private readonly latestMs: number;
  // References in [spanFrom, spanTo) have every candidate instant where the zone's offset is
  // `spanOffset` (`spanFixed`), or not: there, dates are plain arithmetic, as in UTC. Checked once
  // per day of references; three conversions per line cost a zoned parser 40% of its speed.
  private spanFrom = -Infinity;
  private spanTo = Infinity;
  private spanFixed = true;
  private spanOffset = 0;
  // The local day holding the last reference seen: most lines share it, and a floating-point
  // remainder per line cost the parser a tenth of its speed.
  private refDayStart = 0;
  private refDayEnd = -1;

  constructor(
    private readonly zone: Zone,
    private readonly anchor: DayAnchor,
  ) {
    this.dayMs = anchor.dayMs - (((anchor.dayMs % DAY_MS) + DAY_MS) % DAY_MS);
    this.latestMs = anchor.latestMs;
    if (!zone.isUtc) this.spanTo = this.spanFrom;
  }

  /**
   * True when a first line at `todMs` may open a daily file rolled by the wall clock, so be the
   * day before the name's: the object is named for a date and the line lies in its last
   * ROLLED_START_MS.
   */
  mayBeRolledStart(todMs: number): boolean {
    return this.anchor.named && todMs >= DAY_MS - ROLLED_START_MS;
  }

  /**
   * Event time (UTC epoch ms) of a line whose time of day is `todMs` (ms since local midnight),
   * given the reference `refMs` (UTC epoch ms; NaN before the object's first timed line). Without a
   * reference, the object's date, or the day before with `dayBefore`. The result depends on the
   * arguments only.
   */
  at(todMs: number, refMs: number, dayBefore = false): number {
    let utc: number;
    if (refMs !== refMs) {
      const local = this.dayMs + todMs - (dayBefore ? DAY_MS : 0);
      // A local time that occurs twice: the first.
      utc = this.zone.toUtcNear(local, local - DAY_MS);
    } else if (refMs >= this.spanFrom && refMs < this.spanTo ? this.spanFixed : this.span(refMs)) {
      const refLocal = refMs + this.spanOffset;
      if (refLocal < this.refDayStart || refLocal >= this.refDayEnd) {
        this.refDayStart = refLocal - (((refLocal % DAY_MS) + DAY_MS) % DAY_MS);
        this.refDayEnd = this.refDayStart + DAY_MS;
      }
      utc = this.refDayStart + todMs - this.spanOffset;
      const d = utc - refMs;
      if (d >= DAY_MS - MAX_BACKWARD_MS) utc -= DAY_MS;
      else if (d < -MAX_BACKWARD_MS) utc += DAY_MS;
    } else {
      const from = refMs - MAX_BACKWARD_MS;
      const refLocal = this.zone.toLocal(refMs);
      const local = refLocal - (((refLocal % DAY_MS) + DAY_MS) % DAY_MS) + todMs;
      // The same time the day before, on the day and after: a day of wall-clock time apart, 22 to
      // 26 hours of UTC. The first at or after `from` (the day before when the line is just behind
      // the reference across midnight); two days on only if a change of offset puts the next day's
      // before `from`.
      utc = NaN;
      for (let day = -1; day <= 2 && utc !== utc; day++) utc = this.zone.toUtcFrom(local + day * DAY_MS, from);
    }
    return utc > this.latestMs ? this.notAfter(todMs, utc, refMs) : utc;
  }

  /**
   * Whether the zone's offset is one and the same wherever the candidates of a reference near
   * `refMs` can lie (within 48 hours of it): looks 61 hours either side, hour by hour, and keeps
   * the answer for references within 12 hours.
   */
  private span(refMs: number): boolean {
    const hour = Math.floor(refMs / 3_600_000);
    const offset = this.zone.offsetAt(hour * 3_600_000);
    let fixed = true;
    for (let h = hour - 61; h <= hour + 61 && fixed; h++) fixed = this.zone.offsetAt(h * 3_600_000) === offset;
    this.spanFrom = (hour - 12) * 3_600_000;
    this.spanTo = (hour + 12) * 3_600_000;
    this.spanFixed = fixed;
    this.spanOffset = offset;
    this.refDayEnd = -Infinity;
    return fixed;
  }

  /**
   * The latest day on which time of day `todMs` is not after anchor.latestMs, given `utc`, one
   * after it; of a repeated hour, the pass nearer `refMs` (the first without a reference).
   */
  private notAfter(todMs: number, utc: number, refMs: number): number {
    const latest = this.latestMs;
    if (this.zone.isUtc) return utc - Math.ceil((utc - latest) / DAY_MS) * DAY_MS;
    const local = this.zone.toLocal(latest);
    let day = local - (((local % DAY_MS) + DAY_MS) % DAY_MS) + todMs;
    for (;;) {
      const u = this.zone.toUtcNear(day, refMs === refMs ? refMs : day - DAY_MS);
      if (u <= latest) return u;
      day -= DAY_MS;
    }
  }
}
