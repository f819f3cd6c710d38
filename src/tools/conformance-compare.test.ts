import { emptyCounts, type Level } from '../model/levels';
import { compareMinutes, compareSystem, diagnose, minuteKey, observedMinutes, oracleLevel, readOracle, renderTable, rowStamp, type WindowCounts } from './conformance-compare';

const MIN = 60_000;

/** A one-minute window report with the given counts. */
function win(iso: string, counts: Partial<Record<Level, number>>, late = 0): WindowCounts {
  const c = { ...emptyCounts(), ...counts };
  return { startMs: Date.parse(iso), sizeMs: MIN, counts: c, total: Object.values(c).reduce((a, b) => a + b, 0), late };
}

describe('rowStamp: the date and time of an oracle row, per loghub layout', () => {
  // Invented values in each system's shape (loghub's own data is not redistributed here).
  it.each<[string, Record<string, string>, string]>([
    ['Android Date MM-dd, Time with ms', { Date: '05-21', Time: '09:08:07.654' }, '05-21 09:08'],
    ['HDFS yyMMdd and HHmmss', { Date: '081109', Time: '203615' }, '2008-11-09 20:36'],
    ['Hadoop time with a comma', { Date: '2021-04-07', Time: '09:12:33,456' }, '2021-04-07 09:12'],
    ['Spark yy/MM/dd', { Date: '19/02/11', Time: '07:05:09' }, '2019-02-11 07:05'],
    ['Apache, one column', { Time: 'Mon Mar 07 11:22:33 2011' }, '2011-03-07 11:22'],
    ['BGL yyyy-MM-dd-HH.mm.ss.SSSSSS (its Date column is ignored)', { Date: '2011.03.07', Time: '2011-03-07-11.22.33.123456' }, '2011-03-07 11:22'],
    // The instant, not the site's wall clock (03:22 Pacific standard time).
    ['BGL with its epoch Timestamp', { Timestamp: '1299496953', Date: '2011.03.07', Time: '2011-03-07-03.22.33.123456' }, '2011-03-07 11:22'],
    ['HealthApp yyyyMMdd-HH:mm:ss:SSS', { Time: '20190405-06:07:08:009' }, '2019-04-05 06:07'],
    ['Proxifier MM.dd, no year', { Time: '11.02 08:09:10' }, '11-02 08:09'],
    ['HPC epoch seconds, as UTC', { Time: '1299496953' }, '2011-03-07 11:22'],
    ['Linux Month + Date', { Month: 'Aug', Date: '3', Time: '04:05:06' }, '08-03 04:05'],
    ['OpenSSH Date holding the month + Day', { Date: 'Nov', Day: '21', Time: '13:14:15' }, '11-21 13:14'],
    ['yyyy.MM.dd beside Month and Day', { Date: '2012.09.30', Month: 'Sep', Day: '30', Time: '12:01:01' }, '2012-09-30 12:01'],
  ])('%s', (_name, row, key) => {
    const s = rowStamp(row);
    expect(s).toBeDefined();
    expect(minuteKey(s!, s!.year !== undefined)).toBe(key);
  });

  it.each<[string, Record<string, string>]>([
    ['no Time column', { Date: '2021-04-07' }],
    ['a time of day and no date', { Time: '09:08:07' }],
    ['a day that is no number', { Month: 'Aug', Date: 'x', Time: '04:05:06' }],
  ])('is undefined for %s', (_name, row) => {
    expect(rowStamp(row)).toBeUndefined();
  });
});

describe('oracleLevel', () => {
  it('maps through normalizeLevel, spelling out logcat letters', () => {
    expect(['Info', 'notice', 'Warning', 'FATAL', 'D', 'V', 'E', 'W', 'I'].map(oracleLevel)).toEqual(['INFO', 'INFO', 'WARN', 'ERROR', 'DEBUG', 'TRACE', 'ERROR', 'WARN', 'INFO']);
    // Linux's "Level" column holds the host name.
    expect(oracleLevel('gw7')).toBeUndefined();
    expect(oracleLevel('')).toBeUndefined();
  });
});

const HADOOP_LIKE = ['LineId,Date,Time,Level', '1,2021-04-07,"18:01:47,978",INFO', '2,2021-04-07,"18:01:59,001",WARN', '3,2021-04-07,"18:02:00,000",ERROR', ''].join('\n');

describe('readOracle', () => {
  it('counts lines per minute and level; a year makes it part of the key', () => {
    const o = readOracle(HADOOP_LIKE);
    expect(o).toMatchObject({ lines: 3, withLevel: 3, yearKnown: true, untimed: 0 });
    expect(o.minutes.get('2021-04-07 18:01')).toEqual({ counts: { ...emptyCounts(), INFO: 1, WARN: 1 }, total: 2 });
    expect(o.minutes.get('2021-04-07 18:02')?.counts.ERROR).toBe(1);
  });

  it('counts lines whose level column is no level word as UNPARSED and names the words', () => {
    const o = readOracle('LineId,Month,Date,Time,Level\n1,Aug,3,04:05:06,gw7\n2,Aug,3,04:05:07,gw7\n');
    expect(o).toMatchObject({ withLevel: 0, yearKnown: false, otherLevelWords: { gw7: 2 } });
    expect(o.minutes.get('08-03 04:05')).toEqual({ counts: { ...emptyCounts(), UNPARSED: 2 }, total: 2 });
  });
});

describe('compareMinutes and compareSystem', () => {
  it('is exact when every minute agrees per level', () => {
    const r = compareSystem('H', HADOOP_LIKE, [win('2021-04-07T18:01:00Z', { INFO: 1, WARN: 1 }), win('2021-04-07T18:02:00Z', { ERROR: 1 })], { ranAtMs: Date.parse('2026-12-05T08:00:00Z'), format: 'log4j' });
    expect(r).toMatchObject({ verdict: 'exact', format: 'log4j', hints: [], comparison: { minutes: 2, minutesExact: 2, matched: 3, differing: 0 } });
  });

  it('counts a line in the wrong level or minute as differing', () => {
    const o = readOracle(HADOOP_LIKE);
    const c = compareMinutes(o, observedMinutes([win('2021-04-07T18:01:00Z', { INFO: 2 }), win('2021-04-07T18:03:00Z', { ERROR: 1 })], true), true);
    expect(c).toEqual({ minutes: 3, minutesExact: 0, matched: 1, differing: 2 });
  });

  it('compares month-day-time when the log has no year (the pipeline takes it from the object)', () => {
    const csv = 'LineId,Date,Time,Level\n1,03-17,16:13:38.811,D\n2,03-17,16:14:00.000,E\n';
    const r = compareSystem('A', csv, [win('2026-03-17T16:13:00Z', { DEBUG: 1 }), win('2026-03-17T16:14:00Z', { ERROR: 1 })], { ranAtMs: Date.parse('2026-12-05T08:00:00Z') });
    expect(r.verdict).toBe('exact');
  });

  it('is a MISS when entries were late, even if the minutes agree otherwise', () => {
    const r = compareSystem('H', HADOOP_LIKE, [win('2021-04-07T18:01:00Z', { INFO: 1, WARN: 1 }), win('2021-04-07T18:02:00Z', {}, 1)], { ranAtMs: 0 });
    expect(r.verdict).toBe('MISS');
    expect(r.hints.join('\n')).toMatch(/late: 1 entries/);
  });

  it('reports a system without levels as "no level", compared on totals per minute', () => {
    const r = compareSystem('L', 'LineId,Month,Date,Time,Level\n1,Aug,3,04:05:06,gw7\n', [win('2026-08-03T04:05:00Z', { UNPARSED: 1 })], { ranAtMs: 0 });
    expect(r).toMatchObject({ verdict: 'no level', comparison: { minutesExact: 1, matched: 1 } });
  });
});

describe('diagnose', () => {
  const ranAtMs = Date.parse('2026-12-05T08:00:00Z');

  it('names lines read as UNPARSED at the run time (nothing recognised)', () => {
    const o = readOracle(HADOOP_LIKE);
    const hints = diagnose(o, observedMinutes([win('2026-12-05T07:59:00Z', { UNPARSED: 3 })], true), { ranAtMs });
    expect(hints.join('\n')).toMatch(/every entry UNPARSED/);
    expect(hints.join('\n')).toMatch(/time: 3 entries dated within a day of the run/);
  });

  it('names continuation lines joined into the entry before', () => {
    const hints = diagnose(readOracle(HADOOP_LIKE), observedMinutes([win('2021-04-07T18:01:00Z', { INFO: 1 }), win('2021-04-07T18:02:00Z', { ERROR: 1 })], true), { ranAtMs });
    expect(hints.join('\n')).toMatch(/entries: 2 for 3 lines \(lines joined/);
  });

  it('finds a wrong year and a whole-hour zone offset', () => {
    const o = readOracle(HADOOP_LIKE);
    const year = diagnose(o, observedMinutes([win('2026-04-07T18:01:00Z', { INFO: 1, WARN: 1 }), win('2026-04-07T18:02:00Z', { ERROR: 1 })], true), { ranAtMs: 0 });
    expect(year).toContain('year: exact when the year is set aside');
    const zone = diagnose(o, observedMinutes([win('2021-04-07T16:01:00Z', { INFO: 1, WARN: 1 }), win('2021-04-07T16:02:00Z', { ERROR: 1 })], true), { ranAtMs: 0 });
    expect(zone).toContain('zone: exact when the oracle is moved by -2 h');
  });

  it('names future-dated entries (a year from the object that puts lines after the upload)', () => {
    const hints = diagnose(readOracle(HADOOP_LIKE), observedMinutes([{ ...win('2021-04-07T18:01:00Z', { INFO: 1, WARN: 1 }), future: 2 }], true), { ranAtMs: 0 });
    expect(hints.join('\n')).toMatch(/future: 2 entries future-dated/);
  });

  it('names level totals that differ when everything was read', () => {
    const hints = diagnose(readOracle(HADOOP_LIKE), observedMinutes([win('2021-04-07T18:01:00Z', { INFO: 2 }), win('2021-04-07T18:02:00Z', { ERROR: 1 })], true), { ranAtMs: 0 });
    expect(hints.join('\n')).toMatch(/level: totals per level differ \(counted\/expected: WARN 0\/1, INFO 2\/1\)/);
  });
});

describe('renderTable', () => {
  it('renders one row per system and the hints below', () => {
    const ok = compareSystem('Hadoop', HADOOP_LIKE, [win('2021-04-07T18:01:00Z', { INFO: 1, WARN: 1 }), win('2021-04-07T18:02:00Z', { ERROR: 1 })], { ranAtMs: 0, format: 'log4j' });
    const miss = compareSystem('Other', HADOOP_LIKE, [win('2026-12-05T07:59:00Z', { UNPARSED: 3 })], { ranAtMs: Date.parse('2026-12-05T08:00:00Z') });
    const text = renderTable([ok, miss]);
    expect(text).toContain('| Hadoop | 3 | 3 | 2 | 2 | 3 / 0 | log4j | exact |');
    expect(text).toContain('| Other | 3 | 3 | 3 | 0 | 0 / 3 | ? | MISS |');
    expect(text).toMatch(/\n- Other: level: every entry UNPARSED/);
  });
});
