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
