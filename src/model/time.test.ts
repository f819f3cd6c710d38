import { DayClock, dateFromName, parseDate, parseTimeOfDay, Zone } from './time';

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
});

describe('DayClock', () => {
  it('moves to the next day only on a backward jump of more than 12 hours', () => {
    const day = Date.UTC(2026, 10, 26);
    const clock = new DayClock(day, new Zone('UTC'));
    expect(clock.at(23 * 3_600_000)).toBe(day + 23 * 3_600_000);
    expect(clock.at(12 * 3_600_000)).toBe(day + 12 * 3_600_000); // 11 h back: same day
    expect(clock.at(20 * 3_600_000)).toBe(day + 20 * 3_600_000);
    expect(clock.at(1000)).toBe(day + 86_400_000 + 1000); // 20 h back: next day
  });
});
