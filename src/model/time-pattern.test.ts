import fc from 'fast-check';
import { compileTimePattern, formatTime, NO_YEAR, TimeKind, type TimeFields } from './time-pattern';

function read(pattern: string, text: string): (TimeFields & { end: number }) | undefined {
  const out: TimeFields = { time: NaN, timeKind: TimeKind.None };
  const end = compileTimePattern(pattern).match(text, 0, out);
  return end < 0 ? undefined : { ...out, end };
}

describe('compileTimePattern: the patterns of logback and log4j configs', () => {
  it.each<[string, string, number, TimeKind]>([
    ['yyyy-MM-dd HH:mm:ss,SSS', '2026-11-20 10:00:01,234', Date.UTC(2026, 10, 20, 10, 0, 1, 234), TimeKind.Local],
    ['yy/MM/dd HH:mm:ss', '17/06/09 20:10:40', Date.UTC(2017, 5, 9, 20, 10, 40), TimeKind.Local],
    ['yyMMdd HHmmss', '081109 203615', Date.UTC(2008, 10, 9, 20, 36, 15), TimeKind.Local],
    ['EEE MMM dd HH:mm:ss yyyy', 'Sun Dec 04 04:47:44 2005', Date.UTC(2005, 11, 4, 4, 47, 44), TimeKind.Local],
    ['MM-dd HH:mm:ss.SSS', '03-17 16:13:38.811', Date.UTC(NO_YEAR, 2, 17, 16, 13, 38, 811), TimeKind.LocalNoYear],
    ['MMM d HH:mm:ss', 'Dec  4 04:47:44', Date.UTC(NO_YEAR, 11, 4, 4, 47, 44), TimeKind.LocalNoYear],
    ['MM-dd HH:mm:ss', '02-29 01:00:00', Date.UTC(NO_YEAR, 1, 29, 1), TimeKind.LocalNoYear],
    ['yyyy-MM-dd-HH.mm.ss.SSSSSS', '2005-06-03-15.42.50.675872', Date.UTC(2005, 5, 3, 15, 42, 50, 675), TimeKind.Local],
    ['dd/MMM/yyyy:HH:mm:ss Z', '10/Oct/2026:13:55:36 -0700', Date.UTC(2026, 9, 10, 20, 55, 36), TimeKind.Utc],
    ["yyyy-MM-dd'T'HH:mm:ss.SSSXXX", '2026-11-20T10:00:00.500+01:00', Date.UTC(2026, 10, 20, 9, 0, 0, 500), TimeKind.Utc],
    ["yyyy-MM-dd'T'HH:mm:ssXXX", '2026-11-20T10:00:00Z', Date.UTC(2026, 10, 20, 10), TimeKind.Utc],
    ['dd-MMM-yyyy HH:mm:ss.SSS', '20-nov-2026 10:00:00.123', Date.UTC(2026, 10, 20, 10, 0, 0, 123), TimeKind.Local],
    ['d MMMM yyyy h:mm a', '5 December 2026 1:05 PM', Date.UTC(2026, 11, 5, 13, 5), TimeKind.Local],
    ['hh:mm:ss a', '12:00:00 am', 0, TimeKind.TimeOfDay],
    ['HH:mm:ss.SSS', '21:06:44.473', ((21 * 60 + 6) * 60 + 44) * 1000 + 473, TimeKind.TimeOfDay],
    ["HH:mm:ss '''x'''", "21:06:44 'x'", ((21 * 60 + 6) * 60 + 44) * 1000, TimeKind.TimeOfDay],
    ['yyyyMMdd-HH:mm:ss:SSS', '20261120-10:00:00:606', Date.UTC(2026, 10, 20, 10, 0, 0, 606), TimeKind.Local],
    ['MM.dd HH:mm:ss', '11.20 10:00:00', Date.UTC(NO_YEAR, 10, 20, 10), TimeKind.LocalNoYear],
    ['epoch', '1795672206.5', 1795672206500, TimeKind.Utc],
    ['epoch', '1795672206', 1795672206000, TimeKind.Utc],
    ['epochMillis', '1795672206123', 1795672206123, TimeKind.Utc],
  ])('%s reads %s', (pattern, text, time, timeKind) => {
    expect(read(pattern, text)).toEqual({ time, timeKind, end: text.length });
    expect(compileTimePattern(pattern).kind).toBe(timeKind);
  });

  it('matches at an offset and stops where the pattern ends', () => {
    const out: TimeFields = { time: 0, timeKind: TimeKind.None };
    expect(compileTimePattern('yy/MM/dd HH:mm:ss').match('x 17/06/09 20:10:40 INFO a', 2, out)).toBe(19);
  });

  it.each([
    ['yyyy-MM-dd', '2026-02-30'],
    ['yyyy-MM-dd', '2026-13-01'],
    ['HH:mm:ss', '24:00:00'],
    ['HH:mm:ss', '10:60:00'],
    ['HH:mm:ss,SSS', '10:00:00,12'],
    ['MMM dd', 'Foo 12'],
    ['yyMMdd HHmmss', '08110 203615'],
    ['dd/MMM/yyyy:HH:mm:ss Z', '10/Oct/2026:13:55:36 0700'],
    ['epoch', 'x1'],
    ['HH:mm:ss', ''],
  ])('%s does not read %s', (pattern, text) => {
    expect(read(pattern, text)).toBeUndefined();
  });

  it.each([
    ['yyyy-MM-dd HH:mm:ss,SSQ', "unknown pattern letter 'Q' at 22"],
    ['yyy-MM-dd', "'y' does not take 3 letters, at 0"],
    ["HH:mm 'x", 'the quote at 6 is not closed'],
    ['HH:mm:ss Z', 'a zone (Z, X) needs a full date'],
    ['yyyy-MM HH', 'a date needs both a month (M) and a day (d)'],
    ['hh:mm', 'clock hours (h) and AM/PM (a) go together'],
    ['mm:ss', 'it has neither a date nor an hour'],
    ['', 'it is empty'],
  ])('rejects %j naming the pattern and what is wrong', (pattern, why) => {
    expect(() => compileTimePattern(pattern)).toThrow(`invalid time pattern ${JSON.stringify(pattern)}: ${why}`);
  });
});

describe('formatTime then match gives the instant back (property)', () => {
  const PATTERNS = [
    'yyyy-MM-dd HH:mm:ss,SSS',
    'yy/MM/dd HH:mm:ss',
    'yyMMdd HHmmss',
    'EEE MMM dd HH:mm:ss yyyy',
    'EEE MMM dd HH:mm:ss.SSSSSS yyyy',
    'MM-dd HH:mm:ss.SSS',
    'yyyy-MM-dd-HH.mm.ss.SSSSSS',
    'dd/MMM/yyyy:HH:mm:ss Z',
    "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "yyyy-MM-dd'T'HH:mm:ss.SSX",
    'dd-MMMM-yyyy hh:mm:ss.S a',
    'd/M/yyyy H:m:s',
    'HH:mm:ss.SSS',
    'yyyy/MM/dd HH:mm:ss.SSSSSS',
  ];
  // Two-digit years read as 1970–2069: instants in that range.
  const instants = fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2069, 11, 31, 23, 59, 59, 999) });
  const offsets = fc.integer({ min: -14 * 60, max: 14 * 60 });

  /** What the pattern keeps of a local time: no sub-pattern precision, no missing year or date. */
  function expected(pattern: string, local: number, offsetMin: number): number {
    const fractionDigits = /S+/.exec(pattern)?.[0].length ?? 0;
    const unit = fractionDigits >= 3 ? 1 : fractionDigits === 2 ? 10 : fractionDigits === 1 ? 100 : 1000;
    let t = local - (local % unit);
    const d = new Date(t);
    if (!pattern.includes('y')) t = pattern.includes('M') ? Date.UTC(NO_YEAR, d.getUTCMonth(), d.getUTCDate()) + (t % 86_400_000) : t % 86_400_000;
    return /[ZX]/.test(pattern) ? t - offsetMin * 60_000 : t;
  }

  it.each(PATTERNS)('%s', (pattern) => {
    const compiled = compileTimePattern(pattern);
    fc.assert(
      fc.property(instants, offsets, (local, offsetMin) => {
        // A 29 February without a year is 29 February of NO_YEAR; other dates keep month and day.
        const text = formatTime(compiled, local, offsetMin);
        const out: TimeFields = { time: NaN, timeKind: TimeKind.None };
        expect(compiled.match(`${text} INFO x`, 0, out)).toBe(text.length);
        expect(out).toEqual({ time: expected(pattern, local, offsetMin), timeKind: compiled.kind });
      }),
      { numRuns: 300 },
    );
  });

  it.each(['epoch', 'epochMillis'])('%s', (pattern) => {
    const compiled = compileTimePattern(pattern);
    fc.assert(
      fc.property(instants, (ms) => {
        const out: TimeFields = { time: NaN, timeKind: TimeKind.None };
        const text = formatTime(compiled, ms);
        expect(compiled.match(text, 0, out)).toBe(text.length);
        expect(out).toEqual({ time: ms, timeKind: TimeKind.Utc });
      }),
    );
  });
});
