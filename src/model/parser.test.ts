import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../system/config/paths';
import { detectFormat, HELD_MAX_ENTRIES, type LogEntry, type ObjectInfo, ObjectParser, parseText, type ParserCheckpoint, type ParserOptions } from './parser';

const DAY = Date.UTC(2026, 10, 26);
const at = (hms: string, day = DAY): number => day + (Date.parse(`1970-01-01T${hms}Z`) as number);
const named: ObjectInfo = { name: 'logs/host-1/LogFileGenerator.2026-11-26.log' };

function one(line: string, options: ParserOptions = { format: 'auto' }, object = named): LogEntry {
  const entries = parseText(line, object, options);
  expect(entries).toHaveLength(1);
  return entries[0];
}

describe('sampleLogfile.txt (as written by the original LogFileGenerator)', () => {
  const file = path.join(packageRoot(), 'test', 'fixtures', 'sampleLogfile.txt');
  const text = fs.readFileSync(file, 'utf8');

  it('has 11 lines, the last without a newline and ending in a non-ASCII character', () => {
    expect(text.endsWith('\n')).toBe(false);
    expect(text.charCodeAt(text.length - 1)).toBeGreaterThan(127);
  });

  it('counts 3 ERROR, 2 DEBUG, 5 INFO, 1 WARN', () => {
    const entries = parseText(text, { name: 'sampleLogfile.txt', lastModifiedMs: Date.UTC(2021, 9, 30, 23) }, { format: 'auto' });
    const counts: Record<string, number> = {};
    for (const e of entries) counts[e.level] = (counts[e.level] ?? 0) + 1;
    expect(counts).toEqual({ ERROR: 3, DEBUG: 2, INFO: 5, WARN: 1 });
    expect(entries.every((e) => e.format === 'logback')).toBe(true);
    // No date in the name: the date is LastModified's.
    expect(entries[0].timeMs).toBe(Date.UTC(2021, 9, 30, 21, 6, 44, 473));
    expect(entries[0].message.startsWith('kXawk/r%&^')).toBe(true);
    expect(entries[10].text.endsWith('Ndb*TH\u201d')).toBe(true);
  });
});

describe('formats', () => {
  it.each<[string, string, ParserOptions['format'], string, string, number, string]>([
    ['logback', '21:06:44.473 [main] ERROR HelperUtils.Parameters$ - boom', 'logback', 'ERROR', 'ERROR', at('21:06:44.473'), 'boom'],
    ['logback, padded level', '21:06:44.496 [pool-1 thread-2] INFO  a.b.C - hello world', 'logback', 'INFO', 'INFO', at('21:06:44.496'), 'hello world'],
    ['logback without logger', '05:00:00.001 [main] WARN - disk low', 'logback', 'WARN', 'WARN', at('05:00:00.001'), 'disk low'],
    ['logback, thread holding "] ": the level is found a token later', '05:00:00.001 [a] b] DEBUG x - m', 'logback', 'DEBUG', 'DEBUG', at('05:00:00.001'), 'm'],
    ['log4j comma millis', '2026-11-25 23:59:59,999 ERROR [main] com.x.Y - failed', 'log4j', 'ERROR', 'ERROR', Date.UTC(2026, 10, 25, 23, 59, 59, 999), 'failed'],
    ['log4j thread first', '2026-11-25 10:00:00,000 [http-nio-8080-exec-1] WARN  com.x.Y - slow', 'log4j', 'WARN', 'WARN', Date.UTC(2026, 10, 25, 10), 'slow'],
    ['log4j FATAL counts as ERROR', '2026-11-25 10:00:00.5 FATAL boom', 'log4j', 'ERROR', 'FATAL', Date.UTC(2026, 10, 25, 10, 0, 0, 500), 'boom'],
    ['ISO Z', '2026-11-26T05:50:06.123Z ERROR api: timeout', 'iso8601', 'ERROR', 'ERROR', Date.UTC(2026, 10, 26, 5, 50, 6, 123), 'api: timeout'],
    ['ISO offset', '2026-11-26T06:50:06+01:00 [WARNING] queue full', 'iso8601', 'WARN', 'WARNING', Date.UTC(2026, 10, 26, 5, 50, 6), 'queue full'],
    ['ISO offset without colon', '2026-11-26T00:50:06.000-0500 level=info started', 'iso8601', 'INFO', 'info', Date.UTC(2026, 10, 26, 5, 50, 6), 'started'],
    ['syslog', 'Nov 26 05:50:06 web-1 app[123]: ERROR payment failed', 'syslog', 'ERROR', 'ERROR', Date.UTC(2026, 10, 26, 5, 50, 6), 'payment failed'],
    ['syslog single-digit day', 'Nov  6 05:50:06 web-1 sshd: <crit> out of memory', 'syslog', 'ERROR', 'crit', Date.UTC(2026, 10, 6, 5, 50, 6), 'out of memory'],
    ['JSON level/time ISO', '{"time":"2026-11-26T05:50:06.123Z","level":"error","msg":"db down"}', 'json', 'ERROR', 'error', Date.UTC(2026, 10, 26, 5, 50, 6, 123), 'db down"}'],
    ['JSON severity/@timestamp epoch ms', '{"@timestamp":1795672206123,"severity":"CRITICAL","message":"x"}', 'json', 'ERROR', 'CRITICAL', 1795672206123, 'x"}'],
    ['JSON lvl/timestamp epoch s', '{"timestamp":1795672206.5,"lvl":"Warning"}', 'json', 'WARN', 'Warning', 1795672206500, ''],
    ['JSON pino numeric level', '{"level":50,"time":1795672206123,"msg":"m"}', 'json', 'ERROR', 'ERROR', 1795672206123, 'm"}'],
  ])('%s', (_what, line, format, level, levelText, timeMs, message) => {
    for (const f of [format, 'auto'] as const) {
      const e = one(line, { format: f });
      expect({ level: e.level, levelText: e.levelText, timeMs: e.timeMs, format: e.format }).toEqual({ level, levelText, timeMs, format });
      expect(message.startsWith(e.message) || e.message.startsWith(message.replace(/"}$/, ''))).toBe(true);
    }
  });

  it('a user regex with named groups time, level and date', () => {
    const options: ParserOptions = { format: 'regex', regex: '^(?<date>\\d{4}-\\d{2}-\\d{2})\\|(?<time>[\\d:.]+)\\|(?<level>\\w+)\\|(?<message>.*)$' };
    const e = one('2026-11-20|08:00:01.250|SEVERE|disk failed', options);
    expect([e.level, e.levelText, e.timeMs, e.message]).toEqual(['ERROR', 'SEVERE', Date.UTC(2026, 10, 20, 8, 0, 1, 250), 'disk failed']);
    // Without a date group the date comes from the object, as for logback.
    const tod = one('x 08:00:01 INFO y', { format: 'regex', regex: '^x (?<time>\\S+) (?<level>\\S+)' });
    expect([tod.level, tod.timeMs]).toEqual(['INFO', at('08:00:01')]);
  });

  it('rejects a regex without the named groups, or an invalid one, naming it', () => {
    expect(() => parseText('', named, { format: 'regex', regex: '(?<time>x)' })).toThrow('needs a named group (?<level>...)');
    expect(() => parseText('', named, { format: 'regex', regex: '(?<time>' })).toThrow(/invalid parser regex/);
    expect(() => parseText('', named, { format: 'regex' })).toThrow(/needs a regex/);
  });

  describe('regex with timeFormat', () => {
    it('reads date + " " + time with the pattern (Spark-style yy/MM/dd), in the zone', () => {
      const options: ParserOptions = { format: 'regex', regex: '^(?<date>\\S+) (?<time>\\S+) (?<level>\\w+) (?<message>.*)$', timeFormat: 'yy/MM/dd HH:mm:ss', zone: 'Europe/Berlin' };
      const e = one('26/11/20 11:00:01 WARN executor.X: lost', options);
      expect([e.level, e.timeMs, e.message]).toEqual(['WARN', Date.UTC(2026, 10, 20, 10, 0, 1), 'executor.X: lost']);
    });

    it('reads the time group alone: epoch, a time of day (date from the object), a month and day (year from the object)', () => {
      const regex = '^(?<time>.+?) \\| (?<level>\\w+)';
      expect(one('1795168800.5 | ERROR', { format: 'regex', regex, timeFormat: 'epoch' }).timeMs).toBe(Date.UTC(2026, 10, 20, 10, 0, 0, 500));
      expect(one('081109 203615 | INFO', { format: 'regex', regex, timeFormat: 'yyMMdd HHmmss' }).timeMs).toBe(Date.UTC(2008, 10, 9, 20, 36, 15));
      expect(one('7:05:00 PM | INFO', { format: 'regex', regex, timeFormat: 'h:mm:ss a' }).timeMs).toBe(at('19:05:00'));
      expect(one('Nov 26 10:00:00.5 | INFO', { format: 'regex', regex, timeFormat: 'MMM dd HH:mm:ss.S' }).timeMs).toBe(Date.UTC(2026, 10, 26, 10, 0, 0, 500));
    });

    it('a time the pattern does not read in full leaves the entry without a time of its own (it inherits)', () => {
      const entries = parseText('10:00:00 | INFO\n10:00:01,5 | WARN\n', named, { format: 'regex', regex: '^(?<time>.+?) \\| (?<level>\\w+)', timeFormat: 'HH:mm:ss' });
      expect(entries.map((e) => [e.level, e.hasTime, e.timeMs])).toEqual([
        ['INFO', true, at('10:00:00')],
        ['WARN', false, at('10:00:00')],
      ]);
    });

    it('rejects an invalid pattern naming the option, the pattern and the letter; and a timeFormat without format regex', () => {
      expect(() => parseText('', named, { format: 'regex', regex: '(?<time>\\S+) (?<level>\\S+)', timeFormat: 'yyyy-MM-dd HH:mm:ss,SSQ' })).toThrow(
        `parser timeFormat: invalid time pattern "yyyy-MM-dd HH:mm:ss,SSQ": unknown pattern letter 'Q' at 22`,
      );
      expect(() => parseText('', named, { format: 'log4j', timeFormat: 'yy/MM/dd HH:mm:ss' })).toThrow('parser timeFormat "yy/MM/dd HH:mm:ss" is for format "regex" only (format is "log4j")');
      expect(() => parseText('', named, { format: 'auto', timeFormat: '' })).not.toThrow();
    });

    it('a checkpoint of a regex object restores with the same pattern', () => {
      const options: ParserOptions = { format: 'regex', regex: '^(?<time>\\S+) (?<level>\\w+)', timeFormat: 'yyMMdd-HHmmss' };
      const seen: LogEntry[] = [];
      const q = new ObjectParser(named, options, (e) => seen.push(e));
      q.restore({ v: 2, format: 'regex', lines: 0 }, options);
      q.push('261120-100000 ERROR');
      q.end();
      expect(seen[0].timeMs).toBe(Date.UTC(2026, 10, 20, 10));
    });
  });

  // Times without a year were kept in 1970, which has no 29 February: the line came out on 1 March.
  it('a 29 February without a year (syslog, logcat) stays on 29 February of the object\'s leap year', () => {
    const leap: ObjectInfo = { name: 'hosts/a/messages.2028-02-29.log' };
    expect(one('Feb 29 10:00:00 host app: INFO x', { format: 'auto' }, leap).timeMs).toBe(Date.UTC(2028, 1, 29, 10));
    expect(one('02-29 10:00:00.000  1  2 I Tag: x', { format: 'auto' }, leap).timeMs).toBe(Date.UTC(2028, 1, 29, 10));
  });

  it('rejects an unknown format, naming it', () => {
    expect(() => parseText('', named, { format: 'xml' as ParserOptions['format'] })).toThrow('unknown parser format "xml"');
  });

  it('rejects an unknown zone, naming it', () => {
    expect(() => parseText('', named, { format: 'logback', zone: 'Mars/Olympus' })).toThrow('unknown time zone "Mars/Olympus"');
  });
});

describe('levels', () => {
  it.each([
    ['fatal', 'ERROR'], ['Critical', 'ERROR'], ['SEVERE', 'ERROR'], ['warning', 'WARN'], ['Warn', 'WARN'],
    ['trace', 'TRACE'], ['debug', 'DEBUG'], ['info', 'INFO'], ['LOUD', 'UNPARSED'], ['constructor', 'UNPARSED'],
  ])('%s → %s, keeping the original word', (word, level) => {
    const e = one(`2026-11-26 10:00:00,000 ${word} message`, { format: 'log4j' });
    expect(e.level).toBe(level);
    expect(e.levelText).toBe(level === 'UNPARSED' ? '' : word);
  });
});

describe('event time', () => {
  it('takes the date from any YYYY-MM-DD in the name, else LastModified', () => {
    expect(one('10:00:00.000 [m] INFO x - y', { format: 'logback' }, { name: 'a/2026-01-31-app.log' }).timeMs).toBe(Date.UTC(2026, 0, 31, 10));
    expect(one('10:00:00.000 [m] INFO x - y', { format: 'logback' }, { name: 'app.log', lastModifiedMs: Date.UTC(2026, 4, 2, 23, 59) }).timeMs).toBe(Date.UTC(2026, 4, 2, 10));
    // Not a date: 2026-02-31.
    expect(one('10:00:00.000 [m] INFO x - y', { format: 'logback' }, { name: 'x.2026-02-31.log', lastModifiedMs: Date.UTC(2026, 4, 2, 12) }).timeMs).toBe(Date.UTC(2026, 4, 2, 10));
  });

  const logback = (tods: string[]): string => tods.map((t, i) => `${t} [m] INFO a - ${i}`).join('\n');

  // Issue 15 item 1: the day counter moved the date on at every jump back across midnight and took
  // the last line as its reference: the third line came out a day late, the rest two days late.
  it('dates each line on the day nearest the object so far: out-of-order lines across midnight keep their day', () => {
    const text = logback(['22:00:00.000', '23:59:59.900', '00:00:00.100', '23:59:59.950', '00:00:00.200', '23:59:59.990', '00:00:01.000', '12:00:00.000']);
    expect(parseText(text, named, { format: 'logback' }).map((e) => e.timeMs)).toEqual([
      at('22:00'), at('23:59:59.900'), at('00:00:00.100', DAY + 86_400_000), at('23:59:59.950'), at('00:00:00.200', DAY + 86_400_000),
      at('23:59:59.990'), at('00:00:01', DAY + 86_400_000), at('12:00:00', DAY + 86_400_000),
    ]);
  });

  // The nearest-day rule dated a line after a silence of 12 hours or more a day early (the day
  // counter before it got these right): lines are at most MAX_BACKWARD_MS late, silences any length.
  it('a line after a long silence is dated ahead of the lines before it, not a day back', () => {
    expect(parseText(logback(['08:00:00.000', '21:00:00.000']), named, { format: 'logback' }).map((e) => e.timeMs)).toEqual([at('08:00'), at('21:00')]);
    // Dated by LastModified: the same, and still no later than LastModified.
    const byModified = { name: 'app.log', lastModifiedMs: Date.UTC(2026, 10, 26, 21, 0, 5) };
    expect(parseText(logback(['08:00:00.000', '07:55:00.000', '21:00:00.000']), byModified, { format: 'logback' }).map((e) => e.timeMs)).toEqual([at('08:00'), at('07:55'), at('21:00')]);
    // Across midnight: 22:00, then 20:00 the next day (22 hours on).
    expect(parseText(logback(['22:00:00.000', '20:00:00.000', '19:55:00.000']), named, { format: 'logback' }).map((e) => e.timeMs)).toEqual([
      at('22:00'), at('20:00', DAY + 86_400_000), at('19:55', DAY + 86_400_000),
    ]);
  });

  // Issue 15 item 1, as reported: a 60,000-line daily file crossing midnight with a few hundred ms
  // of disorder came out with half its lines 1 to 4 days late.
  it('a 60,000-line file crossing midnight with a few hundred ms of disorder: every time exact', () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const truth: number[] = [];
    let t = Date.UTC(2026, 10, 20, 23, 40);
    for (let i = 0; i < 60_000; i++) truth.push((t += Math.floor(rand() * 50)) - Math.floor(rand() * 400));
    expect(truth[truth.length - 1]).toBeGreaterThan(Date.UTC(2026, 10, 21));
    const tod = (ms: number): string => new Date(ms).toISOString().slice(11, 23);
    const entries = parseText(logback(truth.map(tod)), { name: 'logs/LogFileGenerator.2026-11-20.log', lastModifiedMs: Date.UTC(2026, 10, 21, 1) }, { format: 'logback' });
    expect(entries.map((e) => e.timeMs)).toEqual(truth);
  });

  // Issue 15 item 2: logback's time-based rolling rolls by the wall clock.
  it("a daily file that opens with the previous day's last lines dates them on that day", () => {
    const text = logback(['23:59:59.950', '23:59:59.990', '00:00:00.010', '23:59:59.999', '00:00:05.000']);
    const day2 = Date.UTC(2026, 0, 2);
    expect(parseText(text, { name: 'LogFileGenerator.2026-01-02.log' }, { format: 'logback' }).map((e) => e.timeMs)).toEqual([
      day2 - 50, day2 - 10, day2 + 10, day2 - 1, day2 + 5000,
    ]);
  });

  // The generator (and any writer that starts late in the day and rolls at midnight) writes a file
  // named for its own date that opens in its last minutes and never passes midnight.
  it('a file named for a date that opens in its last minutes stays on that date when no line passes midnight', () => {
    const text = ['no time', ...logback(['23:55:00.000', '23:59:00.000', '23:58:00.000', '23:59:59.999']).split('\n')].join('\n');
    const entries = parseText(text, named, { format: 'logback', multiline: false });
    expect(entries.map((e) => e.timeMs)).toEqual([at('23:55'), at('23:55'), at('23:59'), at('23:58'), at('23:59:59.999')]);
    // Nor past the hold bound: held entries are settled then, on the name's date.
    const many = Array.from({ length: HELD_MAX_ENTRIES + 1 }, (_, i) => `23:55:${String(i % 60).padStart(2, '0')}.000 [m] INFO a - ${i}`);
    const times = parseText([...many, '00:00:01.000 [m] INFO a - next day'].join('\n'), named, { format: 'logback' }).map((e) => e.timeMs);
    expect(times[0]).toBe(at('23:55'));
    expect(times[times.length - 1]).toBe(at('00:00:01', DAY + 86_400_000));
  });

  // Issue 15 item 3: dated by LastModified's date alone, lines written just before an upload
  // shortly after midnight came out a day after their own upload.
  it('no line is later than the object holding it (LastModified)', () => {
    const modified = Date.UTC(2026, 10, 27, 0, 0, 30);
    const entries = parseText(logback(['23:58:00.000', '23:59:59.000', '00:00:10.000']), { name: 'app.log', lastModifiedMs: modified }, { format: 'logback' });
    expect(entries.map((e) => e.timeMs)).toEqual([at('23:58:00'), at('23:59:59'), Date.UTC(2026, 10, 27, 0, 0, 10)]);
    // A line after LastModified moves back by whole days.
    expect(parseText(logback(['00:00:10.000', '00:00:40.000']), { name: 'app.log', lastModifiedMs: modified }, { format: 'logback' }).map((e) => e.timeMs)).toEqual([
      Date.UTC(2026, 10, 27, 0, 0, 10), Date.UTC(2026, 10, 26, 0, 0, 40),
    ]);
    // Also for a named file once LastModified is on or after its date.
    expect(one('10:00:00.000 [m] INFO a - b', { format: 'logback' }, { name: 'x.2026-11-26.log', lastModifiedMs: Date.UTC(2026, 10, 26, 9) }).timeMs).toBe(at('10:00', DAY - 86_400_000));
    // A LastModified before the named date does not describe this object: the name wins.
    expect(one('10:00:00.000 [m] INFO a - b', { format: 'logback' }, { name: 'x.2026-11-26.log', lastModifiedMs: 0 }).timeMs).toBe(at('10:00'));
  });

  // S3 keeps LastModified to the second (HeadObject's Last-Modified header): an object uploaded
  // at 06:27:10.700 says 06:27:10, and its lines of 06:27:10.500 were moved back a whole day (the
  // demo's uploads, cut at the wall clock, lost a few lines of each to the day before).
  it('LastModified bounds lines to the end of its second: S3 keeps it to the second', () => {
    const modified = Date.UTC(2026, 10, 26, 6, 27, 10);
    const entries = parseText(logback(['06:27:09.000', '06:27:10.500', '06:27:10.999', '06:27:11.000']), { name: 'app.log', lastModifiedMs: modified }, { format: 'logback' });
    expect(entries.map((e) => e.timeMs)).toEqual([at('06:27:09'), at('06:27:10.500'), at('06:27:10.999'), at('06:27:11', DAY - 86_400_000)]);
    const named2 = { name: 'x.2026-11-26.log', lastModifiedMs: modified };
    expect(parseText(logback(['06:27:10.500']), named2, { format: 'logback' }).map((e) => e.timeMs)).toEqual([at('06:27:10.500')]);
  });

  it('interprets zone-less times in the configured zone, and leaves zoned ones alone', () => {
    const berlin = { format: 'auto', zone: 'Europe/Berlin' } as const;
    // 26 Nov: CET, UTC+1.
    expect(one('10:00:00.000 [m] INFO a - b', berlin).timeMs).toBe(Date.UTC(2026, 10, 26, 9));
    expect(one('2026-07-01 10:00:00,000 INFO b', berlin).timeMs).toBe(Date.UTC(2026, 6, 1, 8));
    expect(one('2026-07-01T10:00:00Z INFO b', berlin).timeMs).toBe(Date.UTC(2026, 6, 1, 10));
  });

  it('dates syslog lines in the object year, or the year before when the month is far ahead', () => {
    expect(one('Dec 31 23:00:00 h app: INFO x', { format: 'syslog' }, { name: 'syslog-2027-01-01.log' }).timeMs).toBe(Date.UTC(2026, 11, 31, 23));
    expect(one('Jan  1 01:00:00 h app: INFO x', { format: 'syslog' }, { name: 'syslog-2027-01-01.log' }).timeMs).toBe(Date.UTC(2027, 0, 1, 1));
  });

  // Conformance against loghub's OpenSSH sample: 'Dec 10' lines in an object uploaded on 5 December
  // took the object's year, days after the upload, and counted as future-dated.
  it('dates a line without a year in the year that puts it before the object was uploaded (a day of slack for a wrong zone)', () => {
    const uploaded = { name: 'auth.log', lastModifiedMs: Date.UTC(2026, 11, 5, 10) };
    expect(one('Dec 10 06:55:46 h sshd[24200]: INFO x', { format: 'syslog' }, uploaded).timeMs).toBe(Date.UTC(2025, 11, 10, 6, 55, 46));
    expect(one('Dec  5 09:00:00 h sshd[1]: INFO x', { format: 'syslog' }, uploaded).timeMs).toBe(Date.UTC(2026, 11, 5, 9));
    expect(one('Dec  5 22:00:00 h sshd[1]: INFO x', { format: 'syslog' }, uploaded).timeMs).toBe(Date.UTC(2026, 11, 5, 22));
    expect(one('Dec  6 11:00:00 h sshd[1]: INFO x', { format: 'syslog' }, uploaded).timeMs).toBe(Date.UTC(2025, 11, 6, 11));
    expect(one('Feb 28 00:00:00 h sshd[1]: INFO x', { format: 'syslog' }, uploaded).timeMs).toBe(Date.UTC(2026, 1, 28));
    // In a zone: the bound is compared in UTC.
    expect(one('Dec  5 17:00:00 h sshd[1]: INFO x', { format: 'syslog', zone: 'America/Los_Angeles' }, uploaded).timeMs).toBe(Date.UTC(2026, 11, 6, 1));
  });
});

// Issue 15 item 4: entries without a time of their own were stamped with the ingest clock, and one
// leading banner line made the rest of its object late.
describe('entries without a time of their own', () => {
  const opts: ParserOptions = { format: 'logback', multiline: false };

  it('inherit the time of the entry before them', () => {
    const entries = parseText(['10:00:00.000 [m] INFO a - 1', 'no time', '10:00:05.000 [m] INFO a - 2', 'again'].join('\n'), named, opts);
    expect(entries.map((e) => [e.timeMs, e.hasTime])).toEqual([[at('10:00'), true], [at('10:00'), false], [at('10:00:05'), true], [at('10:00:05'), false]]);
  });

  it("before the object's first timed entry take that entry's time", () => {
    const entries = parseText(['  .   ____  banner', ' :: Spring Boot ::', '10:00:00.000 [m] INFO a - up', 'x'].join('\n'), named, opts);
    expect(entries.map((e) => [e.level, e.timeMs, e.firstLine])).toEqual([['UNPARSED', at('10:00'), 1], ['UNPARSED', at('10:00'), 2], ['INFO', at('10:00'), 3], ['UNPARSED', at('10:00'), 4]]);
    // Held back until then, and emitted in order.
    const seen: number[] = [];
    const p = new ObjectParser(named, opts, (e) => seen.push(e.firstLine));
    p.push('banner');
    p.push('banner');
    expect(seen).toEqual([]);
    p.push('10:00:00.000 [m] INFO a - up');
    expect(seen).toEqual([1, 2]);
  });

  it("in an object with no time at all take the object's date, or LastModified when its name has none", () => {
    expect(parseText('a\nb', named, opts).map((e) => e.timeMs)).toEqual([DAY, DAY]);
    expect(parseText('a\nb', { name: 'app.log', lastModifiedMs: 123_456 }, opts).map((e) => e.timeMs)).toEqual([123_456, 123_456]);
  });

  it(`are held back at most ${HELD_MAX_ENTRIES} entries or maxEntryBytes of text, then take the object's date`, () => {
    const lines = [...Array.from({ length: HELD_MAX_ENTRIES + 5 }, (_, i) => `preamble ${i}`), '10:00:00.000 [m] INFO a - late start'];
    const entries = parseText(lines.join('\n'), named, opts);
    expect(entries.slice(0, HELD_MAX_ENTRIES + 5).every((e) => e.timeMs === DAY)).toBe(true);
    expect(entries[entries.length - 1].timeMs).toBe(at('10:00'));
    const seen: number[] = [];
    const p = new ObjectParser(named, { ...opts, maxEntryBytes: 100 }, (e) => seen.push(e.timeMs));
    for (let i = 0; i < 3; i++) p.push('x'.repeat(30));
    expect(seen).toEqual([]);
    p.push('x'.repeat(30));
    expect(seen).toEqual([DAY, DAY, DAY, DAY]);
    // From then on, entries without a time inherit that time as they come.
    p.push('y');
    p.push('10:00:00.000 [m] INFO a - up');
    p.push('z');
    expect(seen).toEqual([DAY, DAY, DAY, DAY, DAY, at('10:00'), at('10:00')]);
  });
});

describe('multi-line entries', () => {
  const trace = [
    '10:00:00.000 [main] ERROR a.B - request failed',
    'java.lang.IllegalStateException: boom',
    '\tat a.B.c(B.java:10)',
    'Caused by: java.io.IOException: reset',
    '\t... 3 more',
    '10:00:01.000 [main] INFO a.B - next',
  ].join('\n');

  it('joins continuation lines to the entry before; the entry counts once and keeps its lines', () => {
    const entries = parseText(trace, named, { format: 'logback' });
    expect(entries.map((e) => [e.level, e.lineCount, e.firstLine])).toEqual([['ERROR', 5, 1], ['INFO', 1, 6]]);
    expect(entries[0].text).toBe(trace.split('\n').slice(0, 5).join('\n'));
    expect(entries[0].message).toBe('request failed');
  });

  it('with multiline off, every line is an entry and continuation lines are UNPARSED with the time before them', () => {
    const entries = parseText(trace, named, { format: 'logback', multiline: false });
    expect(entries.map((e) => e.level)).toEqual(['ERROR', 'UNPARSED', 'UNPARSED', 'UNPARSED', 'UNPARSED', 'INFO']);
    expect(entries[2].timeMs).toBe(at('10:00:00'));
    expect(entries[2].hasTime).toBe(false);
  });

  it('lines before the first entry are UNPARSED entries of their own', () => {
    const entries = parseText(`garbage\n${trace}`, named, { format: 'logback' });
    expect(entries.map((e) => [e.level, e.lineCount])).toEqual([['UNPARSED', 1], ['ERROR', 5], ['INFO', 1]]);
  });

  it('splits an entry larger than maxEntryBytes into parts; only part 0 is a new entry', () => {
    const long = ['10:00:00.000 [m] ERROR a - x', ...Array.from({ length: 100 }, (_, i) => `\tat frame${i}`)].join('\n');
    const entries = parseText(long, named, { format: 'logback', maxEntryBytes: 200 });
    expect(entries.length).toBeGreaterThan(5);
    expect(entries.filter((e) => e.part === 0)).toHaveLength(1);
    expect(entries.every((e) => e.level === 'ERROR' && e.text.length <= 200)).toBe(true);
    expect(entries.reduce((n, e) => n + e.lineCount, 0)).toBe(101);
    expect(entries.map((e) => e.text).join('\n')).toBe(long);
  });
});

describe('robustness: never throws, never drops a line', () => {
  const cases: Array<[string, string]> = [
    ['CRLF', '10:00:00.000 [m] INFO a - b\r\n10:00:01.000 [m] WARN a - c\r\n'],
    ['trailing spaces and tabs', '10:00:00.000\t[m]\tINFO\ta - b   \t\n'],
    ['non-ASCII', '10:00:00.000 [поток] ERROR логгер - сообщение ✓ 日本語\n'],
    ['invalid UTF-8 (decoded with replacement characters)', Buffer.from([0x31, 0x30, 0x3a, 0xff, 0xfe, 0x0a, 0xc3, 0x28, 0x0a]).toString('utf8')],
    ['binary', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131) % 256)).toString('latin1')],
    ['empty lines', '\n\n\n'],
    ['lone brackets and separators', '[\n]\n{\n- \n:: \n12:34\n12:34:56\n2026-13-45 10:00:00,000 INFO x\n'],
    ['truncated JSON', '{"level":"error","time":\n{"level":\n'],
    ['a 10 MB line', `10:00:00.000 [m] ERROR a - ${'x'.repeat(10 * 1024 * 1024)}\n`],
  ];

  it.each(cases)('%s', (_what, text) => {
    for (const format of ['auto', 'logback', 'log4j', 'iso8601', 'syslog', 'json'] as const) {
      for (const multiline of [true, false]) {
        const lines = text.split('\n');
        if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
        const entries = parseText(text, named, { format, multiline });
        expect(entries.reduce((n, e) => n + e.lineCount, 0)).toBe(lines.length);
        for (const e of entries) expect(Number.isFinite(e.timeMs)).toBe(true);
      }
    }
  });

  it('keeps CRLF lines parseable and strips only the \\r', () => {
    const entries = parseText('10:00:00.000 [m] INFO a - b  \r\n', named, { format: 'logback' });
    expect(entries[0].text).toBe('10:00:00.000 [m] INFO a - b  ');
    expect(entries[0].level).toBe('INFO');
  });

  it('a 10 MB line keeps a bounded message', () => {
    const e = one(`10:00:00.000 [m] ERROR a - ${'x'.repeat(10 * 1024 * 1024)}`, { format: 'logback' });
    expect(e.message.length).toBe(500);
  });
});

describe('auto detection', () => {
  it.each([
    ['logback', '10:00:00.000 [m] INFO a - b'],
    ['log4j', '2026-11-26 10:00:00,000 INFO b'],
    ['iso8601', '2026-11-26T10:00:00.000Z INFO b'],
    ['syslog', 'Nov 26 10:00:00 host app: INFO b'],
    ['json', '{"level":"info","time":1}'],
  ])('recognises %s', (format, line) => {
    expect(detectFormat([line, line, 'continuation'])).toMatchObject({ name: format });
  });

  it('looks at the first lines only once, then streams', () => {
    const seen: LogEntry[] = [];
    const parser = new ObjectParser(named, { format: 'auto' }, (e) => seen.push(e));
    parser.push('2026-11-26T10:00:00.000Z INFO b');
    expect(parser.formatName).toBeUndefined();
    parser.end();
    expect(parser.formatName).toBe('iso8601');
    expect(seen).toHaveLength(1);
  });
});

describe('checkpoint and restore', () => {
  // Ingest resumes an object after a crash from its last committed entry; the resumed parser must
  // give the same entries as an uninterrupted one, across a midnight roll-over and with `auto`.
  it('a parser resumed from any checkpoint emits what an uninterrupted one does', () => {
    const lines = [
      '23:59:58.000 [m] INFO a - 1',
      '\tat x',
      'plain garbage',
      '23:59:59.500 [m] ERROR a - 2',
      '00:00:00.100 [m] WARN a - 3',
      '\tat y',
      '\tat z',
      '00:00:01.000 [m] DEBUG a - 4',
    ];
    for (const options of [{ format: 'logback', maxEntryBytes: 40 }, { format: 'auto' }] as ParserOptions[]) {
    const all = parseText(lines.join('\n'), named, options);
    for (let cut = 1; cut < lines.length; cut++) {
      const first: LogEntry[] = [];
      const a = new ObjectParser(named, options, (e) => first.push(e));
      lines.slice(0, cut).forEach((l) => a.push(l));
      const cp = a.checkpoint();
      const rest: LogEntry[] = [];
      const b = new ObjectParser(named, options, (e) => rest.push(e));
      b.restore(JSON.parse(JSON.stringify(cp)), options);
      lines.slice(cp.lines).forEach((l) => b.push(l));
      b.end();
      expect([...first, ...rest]).toEqual(all);
      // The object opens in its name's last minutes: held until line 5 passes midnight.
      if (options.format === 'logback' && cut >= 6) expect(cp.lines).toBeGreaterThan(0);
    }
    }
  });
});

describe('checkpoints of earlier versions', () => {
  // Progress records in the compacted topic outlive a deployment: an object interrupted under the
  // day-counter parser (checkpoint without `v`) resumes with its last time of day as the reference.
  it('a v1 checkpoint (day counter) resumes with its day and inherited time', () => {
    const v1: ParserCheckpoint = { format: 'logback', dayMs: DAY, lastTodMs: 86_399_000, lastTimeMs: at('23:59:59'), lines: 1 };
    const out: LogEntry[] = [];
    const p = new ObjectParser(named, { format: 'logback', multiline: false }, (e) => out.push(e));
    p.restore(JSON.parse(JSON.stringify(v1)), { format: 'logback' });
    for (const line of ['no time', '23:59:58.000 [m] INFO a - late', '00:00:01.000 [m] INFO a - next day']) p.push(line);
    p.end();
    expect(out.map((e) => [e.firstLine, e.timeMs])).toEqual([[2, at('23:59:59')], [3, at('23:59:58')], [4, at('00:00:01', DAY + 86_400_000)]]);
    expect(p.checkpoint()).toEqual({ v: 2, format: 'logback', refMs: at('00:00:01', DAY + 86_400_000), lastTimeMs: at('00:00:01', DAY + 86_400_000), lines: 4 });
  });

  it('a v1 checkpoint taken before any time of day', () => {
    const out: LogEntry[] = [];
    const p = new ObjectParser(named, { format: 'logback' }, (e) => out.push(e));
    p.restore({ format: undefined, dayMs: 0, lastTodMs: -1, lastTimeMs: DAY, lines: 0 }, { format: 'logback' });
    p.push('23:59:59.900 [m] INFO a - rolled');
    p.push('00:00:00.100 [m] INFO a - past midnight');
    p.end();
    expect(out.map((e) => e.timeMs)).toEqual([at('23:59:59.900', DAY - 86_400_000), at('00:00:00.100')]);
  });
});
