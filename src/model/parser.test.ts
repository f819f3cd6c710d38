import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../system/paths';
import { detectFormat, type LogEntry, type ObjectInfo, ObjectParser, parseText, type ParserOptions } from './parser';

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
    expect(one('10:00:00.000 [m] INFO x - y', { format: 'logback' }, { name: 'x.2026-02-31.log', lastModifiedMs: Date.UTC(2026, 4, 2) }).timeMs).toBe(Date.UTC(2026, 4, 2, 10));
  });

  it('rolls to the next day when the clock goes backwards by more than 12 hours, not for small jitter', () => {
    const text = ['23:59:59.900 [m] INFO a - 1', '23:59:59.800 [m] INFO a - jitter', '00:00:00.100 [m] INFO a - 2', '13:00:00.000 [m] INFO a - 3', '00:30:00.000 [m] INFO a - 4'].join('\n');
    const times = parseText(text, named, { format: 'logback' }).map((e) => e.timeMs);
    expect(times).toEqual([at('23:59:59.900'), at('23:59:59.800'), at('00:00:00.100', DAY + 86_400_000), at('13:00:00', DAY + 86_400_000), at('00:30:00', DAY + 2 * 86_400_000)]);
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
      if (options.format === 'logback' && cut >= 3) expect(cp.lines).toBeGreaterThan(0);
    }
    }
  });
});
