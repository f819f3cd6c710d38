import { type LogTopicMessage, WindowRecordReader, windowRecordOf } from './records';

const msg = (value: string, headers: Record<string, string> = {}, key = 'app.log') => ({ key: Buffer.from(key), value: Buffer.from(value), timestamp: '1700000000000', headers });

describe('windowRecordOf', () => {
  it('takes level and message from the ingest headers', () => {
    expect(windowRecordOf(msg('whatever', { level: 'ERROR', message: 'disk full' }), 5)).toEqual({ timeMs: 1_700_000_000_000, arrivalMs: 5, level: 'ERROR', source: 'app.log', message: 'disk full' });
    expect(windowRecordOf(msg('x', { level: 'INFO' }), 5)).toMatchObject({ level: 'INFO', message: '' });
  });

  // kafka.topicProfile msk-serverless: the record timestamp is the ingest time; windows must follow the event time.
  it('takes the event time from the time header when it holds a whole number, else from the record timestamp', () => {
    expect(windowRecordOf(msg('x', { level: 'INFO', time: '1577836800000' }), 5)).toMatchObject({ timeMs: 1_577_836_800_000 });
    expect(windowRecordOf(msg('x', { level: 'INFO', time: '-5' }), 5)).toMatchObject({ timeMs: -5 });
    for (const bad of ['', 'soon', '1.5', '2026-11-26T10:00:00Z', '1e12']) {
      expect(windowRecordOf(msg('x', { level: 'INFO', time: bad }), 5)).toMatchObject({ timeMs: 1_700_000_000_000 });
    }
  });

  it('parses the first line of records without headers (another producer)', () => {
    expect(windowRecordOf(msg('10:00:01.000 [main] ERROR a.B - it broke\n\tat x'), 1)).toMatchObject({ level: 'ERROR', message: 'it broke' });
    expect(windowRecordOf(msg('2026-11-26T10:00:00Z WARN something odd'), 1)).toMatchObject({ level: 'WARN' });
    expect(windowRecordOf(msg('\u0000\u0001 binary'), 1)).toMatchObject({ level: 'UNPARSED' });
    expect(windowRecordOf({ key: null, value: null, timestamp: '7' }, 1)).toEqual({ timeMs: 7, arrivalMs: 1, level: 'UNPARSED', source: '', message: '' });
  });

  it('an unknown level header falls back to parsing', () => {
    expect(windowRecordOf(msg('10:00:01.000 [main] DEBUG a.B - hi', { level: 'LOUD' }), 1)).toMatchObject({ level: 'DEBUG' });
  });

  it('counts a split entry once: continuation parts are skipped', () => {
    expect(windowRecordOf(msg('rest of a huge entry', { level: 'ERROR', flags: 'part=1' }), 1)).toBeUndefined();
    expect(windowRecordOf(msg('rest', { level: 'ERROR', flags: 'truncated,part=12' }), 1)).toBeUndefined();
    expect(windowRecordOf(msg('head', { level: 'ERROR', message: 'm', flags: 'truncated' }), 1)).toMatchObject({ level: 'ERROR' });
  });
});

describe('WindowRecordReader', () => {
  // The report stage reads a batch with one reader, which reuses the previous key's string and
  // matches the level header as bytes: it must give what windowRecordOf gives record by record.
  it('gives the same records as windowRecordOf over a batch of Buffer headers, repeated and changing keys', () => {
    const b = (v: string): Buffer => Buffer.from(v);
    const batch: LogTopicMessage[] = [
      { key: b('a.log'), value: b('x'), timestamp: '1', headers: { level: b('INFO') } },
      { key: b('a.log'), value: b('x'), timestamp: '2', headers: { level: b('ERROR'), message: b('disk full') } },
      { key: b('a.log'), value: b('10:00:01.000 [main] ERROR a.B - it broke'), timestamp: '3', headers: { level: b('ERROR') } },
      { key: b('b.log'), value: b('10:00:01.000 [main] WARN a.B - hm'), timestamp: '4', headers: { level: b('LOUD') } },
      { key: b('b.log'), value: b('10:00:01.000 [main] DEBUG a.B - hm'), timestamp: '5', headers: { level: b('INFO ') } },
      { key: b('b.log'), value: b('rest'), timestamp: '6', headers: { level: b('ERROR'), flags: b('truncated,part=2') } },
      { key: b('b.lo'), value: b('x'), timestamp: '7', headers: { level: b('TRACE'), flags: b('truncated') } },
      { key: b('a.log'), value: b('x'), timestamp: '8', headers: { level: [b('WARN'), b('INFO')] } },
      { key: null, value: b('x'), timestamp: '9', headers: { level: b('UNPARSED') } },
      { key: b('a.log'), value: null, timestamp: '10' },
      { key: b('a.log'), value: b('x'), timestamp: '11', headers: { level: 'DEBUG' } },
    ];
    const reader = new WindowRecordReader();
    const read = batch.map((m) => reader.read(m, 42));
    expect(read).toEqual(batch.map((m) => windowRecordOf(m, 42)));
    expect(read.map((r) => r && [r.source, r.level, r.message])).toEqual([
      ['a.log', 'INFO', ''],
      ['a.log', 'ERROR', 'disk full'],
      ['a.log', 'ERROR', 'it broke'],
      ['b.log', 'WARN', ''],
      ['b.log', 'DEBUG', ''],
      undefined,
      ['b.lo', 'TRACE', ''],
      ['a.log', 'WARN', ''],
      ['', 'UNPARSED', ''],
      ['a.log', 'UNPARSED', ''],
      ['a.log', 'DEBUG', ''],
    ]);
  });
});
