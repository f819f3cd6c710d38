/**
 * The families `auto` knows, on sample lines of our own (test/fixtures/formats/<name>.log, one
 * object each; <name>.expected.json gives the format, the object's name and zone, and for every
 * entry its event time in UTC, level and line count). Objects whose lines lack a date or year take
 * them from the name; LastModified is 2026-11-20T12:00:00Z for all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../system/config/paths';
import { AUTO_CANDIDATES, builtinFormat, FORMAT_NAMES, type FormatName, newHeader } from './formats';
import { normalizeLevel } from './levels';
import { detectFormat, type LogEntry, ObjectParser, parseText, type ParserCheckpoint, scoreFormat } from './parser';

interface Expected {
  format: FormatName;
  object: string;
  zone: string;
  entries: [string, string, number][];
}

const DIR = path.join(packageRoot(), 'test', 'fixtures', 'formats');
const FIXTURES = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.log'))
  .map((f) => f.slice(0, -4))
  .sort();
const LAST_MODIFIED = Date.UTC(2026, 10, 20, 12);

function load(name: string): { text: string; lines: string[]; expected: Expected } {
  const text = fs.readFileSync(path.join(DIR, `${name}.log`), 'utf8');
  const expected = JSON.parse(fs.readFileSync(path.join(DIR, `${name}.expected.json`), 'utf8')) as Expected;
  return { text, lines: text.split('\n').slice(0, -1), expected };
}

const summary = (entries: LogEntry[]): [string, string, number][] => entries.map((e) => [new Date(e.timeMs).toISOString(), e.level, e.lineCount]);

describe('fixtures', () => {
  it('cover every built-in format but regex', () => {
    const covered = new Set(FIXTURES.map((name) => load(name).expected.format));
    expect([...covered].sort()).toEqual(FORMAT_NAMES.filter((f) => f !== 'regex').sort());
  });
});

describe.each(FIXTURES)('%s', (name) => {
  const { text, lines, expected } = load(name);
  const object = { name: expected.object, lastModifiedMs: LAST_MODIFIED };

  it(`auto detects ${expected.format} and reads every entry's time, level and lines`, () => {
    const entries = parseText(text, object, { format: 'auto', zone: expected.zone });
    expect(entries.map((e) => e.format)).toEqual(entries.map(() => expected.format));
    expect(summary(entries)).toEqual(expected.entries);
  });

  it('its format configured by name reads the same', () => {
    expect(summary(parseText(text, object, { format: expected.format, zone: expected.zone }))).toEqual(expected.entries);
  });

  it('one line is enough to tell the family (as report records do with their first line)', () => {
    expect(detectFormat([lines[0]]).name).toBe(expected.format);
  });

  // A tie is broken by AUTO_CANDIDATES' order; this lists each format that reads a family as well
  // as its own, so that a new overlap is a decision, not an accident.
  it('no other candidate reads it as well, except the declared wider formats', () => {
    const own = scoreFormat(builtinFormat(expected.format as Exclude<FormatName, 'regex'>), lines);
    const rivals = AUTO_CANDIDATES.filter((f) => f.name !== expected.format && scoreFormat(f, lines) >= own).map((f) => f.name);
    expect(rivals).toEqual(WIDER[name] ?? []);
    const order = AUTO_CANDIDATES.map((f) => f.name);
    for (const rival of rivals) expect(order.indexOf(rival)).toBeGreaterThan(order.indexOf(expected.format));
  });

  it('resumes from a checkpoint after any entry with the same entries', () => {
    const all = parseText(text, object, { format: 'auto', zone: expected.zone });
    for (let k = 1; k < all.length; k++) {
      let cp: ParserCheckpoint | undefined;
      const first: LogEntry[] = [];
      const p1 = new ObjectParser(object, { format: 'auto', zone: expected.zone }, (e) => {
        first.push(e);
        if (first.length === k) cp = JSON.parse(JSON.stringify(p1.checkpoint())) as ParserCheckpoint;
      });
      for (const line of lines) p1.push(line);
      p1.end();
      expect(cp?.format).toBe(expected.format);
      const rest: LogEntry[] = [];
      const p2 = new ObjectParser(object, { format: 'auto', zone: expected.zone }, (e) => rest.push(e));
      p2.restore(cp!, { format: 'auto', zone: expected.zone });
      for (const line of lines.slice(cp!.lines)) p2.push(line);
      p2.end();
      expect(summary([...first.slice(0, k), ...rest])).toEqual(summary(all));
    }
  });
});

/** By fixture: formats that read its lines as well as its own format (a wider shape); they come later in AUTO_CANDIDATES. */
const WIDER: Record<string, FormatName[]> = {
  // `2026-11-20 10:00:00,001 - name - INFO - msg`: a log4j date-time with the level among the next words.
  python: ['log4j'],
  // `2026-11-20 10:00:00, Info  CBS  msg`: the same.
  cbs: ['log4j'],
  // `2026/11/20 10:00:00 [error] 1#1: msg`: Go's log with a level word first.
  nginx: ['golog'],
};

describe('messages', () => {
  it.each<[string, string]>([
    ['[2026-11-20T10:00:01,200][WARN ][o.e.c.DiskMonitor] [node-a] high disk watermark', 'high disk watermark'],
    ['[Fri Nov 20 10:00:01.000001 2026] [core:error] [pid 901:tid 141] [client 10.9.8.7:51000] AH00037: denied', '[client 10.9.8.7:51000] AH00037: denied'],
    ['2026/11/20 10:00:01 [error] 102#102: *7 open() failed', '*7 open() failed'],
    ['11-20 10:00:00.400  4242  4250 W NotesSync: server answered 503', 'server answered 503'],
    ['2026-11-20 11:00:02,500 - worker.jobs - ERROR - job 18 failed', 'job 18 failed'],
    ['ERROR:export.s3:upload failed', 'upload failed'],
    ['261120 100001 149 WARN dfs.DataNode$Receiver: slow block receiver', 'slow block receiver'],
    ['2026-11-20 10:00:02, Warning               CBS    Failed to open package file', 'Failed to open package file'],
    ['<165>1 2026-11-20T11:00:01.000+01:00 relay-1 mailer 411 ID48 [origin ip="10.0.0.1"][meta note="a \\] b"] delivered 12', 'delivered 12'],
    ['<12>1 2026-11-20T10:00:02Z relay-1 mailer - - - deferred', 'deferred'],
    ['time="2026-11-20T10:00:00Z" level=info msg="server started" port=8080', 'server started" port=8080'],
    ['2026/11/20 10:00:00.250000 main.go:30: ERROR: cannot reach collector', 'cannot reach collector'],
    ['- 1795168802 2026.11.20 R22-M1 2026-11-20-02.00.02.000001 R22-M1 RAS MMCS WARNING fan speed low', 'fan speed low'],
    ['[2026-11-20 10:00:00,001] INFO [Broker id=2] joined (kafka.server.Broker)', '[Broker id=2] joined (kafka.server.Broker)'],
  ])('%s', (line, message) => {
    expect(parseText(line, { name: 'a.2026-11-20.log' }, { format: 'auto' })[0].message).toBe(message);
  });
});

describe('levels', () => {
  it('one-letter levels (logcat) are read where a format puts a level letter', () => {
    expect(['V', 'D', 'I', 'W', 'E', 'F', 'A'].map((l) => normalizeLevel(l))).toEqual(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'ERROR', 'ERROR']);
    expect(normalizeLevel('e')).toBeUndefined();
  });

  it('a one-letter word is not a level where a format looks among words', () => {
    const h = newHeader();
    expect(builtinFormat('log4j').header('2026-11-20 10:00:00,000 A user logged in', h)).toBe(true);
    expect(h.levelText).toBe('');
    expect(builtinFormat('syslog').header('Nov 20 10:00:00 host app: I am here', h)).toBe(true);
    expect(h.levelText).toBe('');
  });

  it.each([
    ['trace3', 'TRACE'],
    ['dpanic', 'ERROR'],
  ])('%s is %s', (word, level) => {
    expect(normalizeLevel(word)).toBe(level);
  });
});
