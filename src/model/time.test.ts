import { DayResolver, dateFromName, MAX_BACKWARD_MS, parseDate, parseTimeOfDay, ROLLED_START_MS, Zone } from './time';

describe('parseTimeOfDay', () => {
  // Every row has three cells: a shorter row would make jest pass `done` as the third argument.
  it.each<[string, number, number]>([
    ['21:06:44.473', ((21 * 60 + 6) * 60 + 44) * 1000 + 473, 12],
    ['21:06:44,4', ((21 * 60 + 6) * 60 + 44) * 1000 + 400, 10],
    ['00:00:00', 0, 8],
    ['23:59:59.999999999', 86_399_999, 18],
    ['24:00:00.000', -1, 0],
    ['12:60:00.000', -1, 0],
    ['1:00:00.000', -1, 0],
    ['12:00', -1, 0],
    ['ab:cd:ef.ghi', -1, 0],
  ])('%s', (text, ms, end) => {
    const r = parseTimeOfDay(text, 0);
    if (ms === -1) expect(r).toBe(-1);
    else expect(r).toEqual({ ms, end });
  });
});

describe('dates', () => {
  it('parseDate rejects impossible dates', () => {
    expect(parseDate('2026-11-26', 0)).toBe(Date.UTC(2026, 10, 26));
    expect(parseDate('2026-02-29', 0)).toBeNaN();
    expect(parseDate('2028-02-29', 0)).toBe(Date.UTC(2028, 1, 29));
    expect(parseDate('2026-00-10', 0)).toBeNaN();
  });

  it('dateFromName takes the last valid YYYY-MM-DD', () => {
    expect(dateFromName('LogFileGenerator.2026-11-26.log')).toBe(Date.UTC(2026, 10, 26));
    expect(dateFromName('2025-01-01/app.2026-03-04.log')).toBe(Date.UTC(2026, 2, 4));
    expect(dateFromName('app.2026-13-04.log')).toBeUndefined();
    expect(dateFromName('app.log')).toBeUndefined();
  });
});

describe('Zone', () => {
  it('UTC is the identity', () => {
    expect(new Zone('UTC').toUtc(123)).toBe(123);
  });

  // Europe/Berlin: CET (+1) in winter, CEST (+2) from 2026-03-29 02:00 local.
  it('converts local wall-clock time across a DST change', () => {
    const z = new Zone('Europe/Berlin');
    expect(z.toUtc(Date.UTC(2026, 2, 29, 1, 30))).toBe(Date.UTC(2026, 2, 29, 0, 30));
    expect(z.toUtc(Date.UTC(2026, 2, 29, 3, 30))).toBe(Date.UTC(2026, 2, 29, 1, 30));
    expect(z.toUtc(Date.UTC(2026, 6, 1, 12))).toBe(Date.UTC(2026, 6, 1, 10));
  });

  it('names an unknown zone', () => {
    expect(() => new Zone('Nowhere/Land')).toThrow('unknown time zone "Nowhere/Land"');
  });
});

describe('Zone offsets and repeated hours', () => {
  // Australia/Lord_Howe moves by 30 minutes, and in October not on a UTC hour: 2026-10-04 02:00
  // local (+10:30) becomes 02:30 (+11:00) at 15:30Z. The offset read at the start of each hour
  // was 30 minutes off for the half hour after the change.
  it('knows the offset exactly within an hour that holds a change', () => {
    const z = new Zone('Australia/Lord_Howe');
    expect(z.offsetAt(Date.UTC(2026, 9, 3, 15, 29, 59))).toBe(10.5 * 3_600_000);
    expect(z.offsetAt(Date.UTC(2026, 9, 3, 15, 30))).toBe(11 * 3_600_000);
    expect(z.toLocal(Date.UTC(2026, 9, 3, 15, 29, 59, 999))).toBe(Date.UTC(2026, 9, 4, 1, 59, 59, 999));
  });

  // Europe/Berlin, 2026-10-25: 03:00 CEST goes back to 02:00 CET, so 02:00-03:00 happens twice.
  it('toUtcNear picks, of a repeated local time, the instant nearer the reference', () => {
    const z = new Zone('Europe/Berlin');
    const local = Date.UTC(2026, 9, 25, 2, 30);
    const first = Date.UTC(2026, 9, 25, 0, 30);
    const second = Date.UTC(2026, 9, 25, 1, 30);
    expect(z.toUtcNear(local, first - 60_000)).toBe(first);
    expect(z.toUtcNear(local, second + 60_000)).toBe(second);
    expect(z.toUtcNear(local, Date.UTC(2026, 9, 25, 1, 5))).toBe(second);
    // Not repeated: the only instant, whatever the reference.
    expect(z.toUtcNear(Date.UTC(2026, 9, 25, 12), 0)).toBe(Date.UTC(2026, 9, 25, 11));
    // Skipped when clocks go forward (2026-03-29 02:00 → 03:00): read with the offset before.
    expect(z.toUtcNear(Date.UTC(2026, 2, 29, 2, 30), 0)).toBe(Date.UTC(2026, 2, 29, 1, 30));
  });

  it('toUtcFrom gives, of the instants a local time names, the earliest at or after a bound', () => {
    const z = new Zone('Europe/Berlin');
    const local = Date.UTC(2026, 9, 25, 2, 30); // 00:30Z and 01:30Z
    expect(z.toUtcFrom(local, Date.UTC(2026, 9, 24))).toBe(Date.UTC(2026, 9, 25, 0, 30));
    expect(z.toUtcFrom(local, Date.UTC(2026, 9, 25, 0, 31))).toBe(Date.UTC(2026, 9, 25, 1, 30));
    expect(z.toUtcFrom(local, Date.UTC(2026, 9, 25, 1, 31))).toBeNaN();
    expect(z.toUtcFrom(Date.UTC(2026, 9, 25, 12), 0)).toBe(Date.UTC(2026, 9, 25, 11));
    // Skipped when clocks go forward: no clock shows it.
    expect(z.toUtcFrom(Date.UTC(2026, 2, 29, 2, 30), 0)).toBeNaN();
    expect(new Zone('UTC').toUtcFrom(5, 5)).toBe(5);
    expect(new Zone('UTC').toUtcFrom(5, 6)).toBeNaN();
  });
});

describe('DayResolver (a window from MAX_BACKWARD_MS behind the reference to a day ahead)', () => {
  const DAY = Date.UTC(2026, 10, 26);
  const H = 3_600_000;
  const utc = new Zone('UTC');
  const named = new DayResolver(utc, { dayMs: DAY, named: true, latestMs: Infinity });

  it('MAX_BACKWARD_MS is ten minutes', () => {
    expect(MAX_BACKWARD_MS).toBe(10 * 60_000);
  });

  it('dates a time of day in [reference - MAX_BACKWARD_MS, reference + 24 h - MAX_BACKWARD_MS)', () => {
    expect(named.at(23 * H, DAY + 22 * H)).toBe(DAY + 23 * H);
    expect(named.at(1 * H, DAY + 22 * H)).toBe(DAY + 25 * H); // 3 h on: past midnight
    expect(named.at(23 * H + 55 * 60_000, DAY + 24 * H + 1000)).toBe(DAY + 23 * H + 55 * 60_000); // 5 min back: before midnight
    const ref = DAY + 22 * H;
    expect(named.at(22 * H - MAX_BACKWARD_MS, ref)).toBe(ref - MAX_BACKWARD_MS); // the window's start
    expect(named.at(22 * H - MAX_BACKWARD_MS - 1, ref)).toBe(ref + 86_400_000 - MAX_BACKWARD_MS - 1); // its last ms
    expect(named.at(9 * H, DAY + 22 * H)).toBe(DAY + 33 * H); // 11 h on
  });

  // The nearest-day rule dated a line after a silence of 12 hours or more a day early: an app that
  // logged at 08:00 and next at 21:00 got 21:00 of the day before. Disorder is bounded backwards
  // (lines a few minutes late); forward silences can be long.
  it('a line after a long silence is ahead of the reference, not a day back', () => {
    expect(named.at(21 * H, DAY + 8 * H)).toBe(DAY + 21 * H);
    expect(named.at(11 * H, DAY + 22 * H)).toBe(DAY + 35 * H); // 11 h back is 13 h on
    expect(named.at(7 * H + 55 * 60_000, DAY + 8 * H)).toBe(DAY + 7 * H + 55 * 60_000); // 5 min late: kept back
    expect(named.at(7 * H + 45 * 60_000, DAY + 8 * H)).toBe(DAY + 31 * H + 45 * 60_000); // 15 min back is 23 h 45 min on
  });

  // Issue 15 item 1: the day counter moved on at every jump back and forth across midnight.
  it('lines out of order across midnight keep their day, and later lines are not moved', () => {
    const tods = [23 * H, 86_399_900, 100, 86_399_950, 200];
    let ref = NaN;
    const times = tods.map((t) => {
      const at = named.at(t, ref);
      ref = Number.isNaN(ref) ? at : Math.max(ref, at);
      return at;
    });
    expect(times).toEqual([DAY + 23 * H, DAY + 86_399_900, DAY + 86_400_100, DAY + 86_399_950, DAY + 86_400_200]);
  });

  // Issue 15 item 2: logback rolls by the wall clock; the day's file may open with the last lines
  // stamped before midnight. The parser decides; the resolver dates such a start the day before.
  it('a rolled start: the last minutes before midnight of a file named for a date, dated the day before on request', () => {
    expect(named.mayBeRolledStart(86_399_950)).toBe(true);
    expect(named.mayBeRolledStart(86_400_000 - ROLLED_START_MS)).toBe(true);
    expect(named.mayBeRolledStart(86_400_000 - ROLLED_START_MS - 1)).toBe(false);
    expect(named.at(86_399_950, NaN, true)).toBe(DAY - 50);
    expect(named.at(86_399_950, NaN)).toBe(DAY + 86_399_950);
    expect(named.at(0, NaN)).toBe(DAY);
    // Dated by LastModified, not by name: never a rolled start.
    expect(new DayResolver(utc, { dayMs: DAY, named: false, latestMs: Infinity }).mayBeRolledStart(86_399_950)).toBe(false);
  });

  // Issue 15 item 3: a line is never later than the object holding it.
  it('never dates a line after latestMs (LastModified): it moves back by whole days', () => {
    const lm = DAY + 30_000; // uploaded at 00:00:30
    const byModified = new DayResolver(utc, { dayMs: DAY, named: false, latestMs: lm });
    expect(byModified.at(23 * H + 58 * 60_000, NaN)).toBe(DAY - 2 * 60_000);
    expect(byModified.at(10_000, NaN)).toBe(DAY + 10_000);
    expect(byModified.at(40_000, DAY + 10_000)).toBe(DAY - 86_400_000 + 40_000);
    expect(byModified.at(10 * H, DAY + 3 * 86_400_000)).toBe(DAY - 14 * H);
  });

  it('in a zone, compares instants: across a change of offset and through a repeated hour', () => {
    const berlin = new Zone('Europe/Berlin');
    const day = Date.UTC(2026, 9, 25); // 02:00-03:00 local twice
    const r = new DayResolver(berlin, { dayMs: day, named: true, latestMs: Infinity });
    // 02:59:59 CEST (00:59:59Z), then 02:00:01 local: the second 02:00, one second... later.
    expect(r.at(2 * H + 1000, Date.UTC(2026, 9, 25, 0, 59, 59))).toBe(Date.UTC(2026, 9, 25, 1, 0, 1));
    // 02:55 local after 02:59:59 CEST: four minutes out of order, still the first pass.
    expect(r.at(2 * H + 55 * 60_000, Date.UTC(2026, 9, 25, 0, 59, 59))).toBe(Date.UTC(2026, 9, 25, 0, 55));
    // Midnight in CET after the change.
    expect(r.at(5 * 60_000, Date.UTC(2026, 9, 25, 22, 58))).toBe(Date.UTC(2026, 9, 25, 23, 5));
  });

  it('in a zone, a long silence across a change of offset, and a repeated time: the first instant from the window on', () => {
    const berlin = new Zone('Europe/Berlin');
    // 2026-03-29 02:00 CET becomes 03:00 CEST (01:00Z): 01:30 CET, then 21:00 CEST 18.5 h later.
    const spring = new DayResolver(berlin, { dayMs: Date.UTC(2026, 2, 29), named: true, latestMs: Infinity });
    expect(spring.at(21 * H, Date.UTC(2026, 2, 29, 0, 30))).toBe(Date.UTC(2026, 2, 29, 19));
    const autumn = new DayResolver(berlin, { dayMs: Date.UTC(2026, 9, 25), named: true, latestMs: Infinity });
    // 02:30 after 23:00 CEST the evening before: both passes lie ahead; the first.
    expect(autumn.at(2 * H + 30 * 60_000, Date.UTC(2026, 9, 24, 21))).toBe(Date.UTC(2026, 9, 25, 0, 30));
    // 02:30 after 02:50 CEST: the first pass is 20 minutes back, more than MAX_BACKWARD_MS; the second.
    expect(autumn.at(2 * H + 30 * 60_000, Date.UTC(2026, 9, 25, 0, 50))).toBe(Date.UTC(2026, 9, 25, 1, 30));
  });
});
