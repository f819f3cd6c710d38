/**
 * Time arithmetic for log lines, allocation-free on the hot path: fixed-position digit parsing,
 * dates from object names, zone conversion and the day clock of formats that carry no date.
 */

export const DAY_MS = 86_400_000;
const HALF_DAY_MS = DAY_MS / 2;

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
 * The date of lines that carry only a time of day. Starts at the object's date; when the time goes
 * backwards by more than 12 hours, the log has crossed midnight and the date moves to the next day.
 */
export class DayClock {
  private day: number;
  private last = -1;

  /** `dayMs`: the object's date as UTC epoch ms of its midnight (local midnight in `zone`). */
  constructor(dayMs: number, private readonly zone: Zone) {
    this.day = dayMs - (dayMs % DAY_MS);
  }

  /** The clock's position, to resume an object where it stopped. */
  /** The current day (epoch ms of its midnight, local) and the last time of day seen (-1: none). */
  get dayMs(): number {
    return this.day;
  }

  get lastTodMs(): number {
    return this.last;
  }

  get state(): { dayMs: number; lastTodMs: number } {
    return { dayMs: this.day, lastTodMs: this.last };
  }

  set state(s: { dayMs: number; lastTodMs: number }) {
    this.day = s.dayMs;
    this.last = s.lastTodMs;
  }

  /** Event time (UTC epoch ms) of a line whose time of day is `todMs`. */
  at(todMs: number): number {
    if (this.last >= 0 && todMs < this.last - HALF_DAY_MS) this.day += DAY_MS;
    this.last = todMs;
    return this.zone.toUtc(this.day + todMs);
  }
}
