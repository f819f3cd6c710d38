import v8 from 'node:v8';
import type { ParserOptions } from '../model/parser';
import { type Batch, LineStreamer, type StreamerOptions } from './streamer';

const options = (over: Partial<StreamerOptions> = {}): StreamerOptions => ({
  parser: { format: 'logback' } as ParserOptions,
  maxLineBytes: 1024,
  batchMaxRecords: 2,
  batchMaxBytes: 1 << 20,
  maxInFlight: 1,
  ...over,
});
const ctx = { source: 'logs/a.log', headers: { object: 's3://b/logs/a.log#v1' }, name: 'LogFileGenerator.2026-11-26.log', lastModifiedMs: 0 };
const LOG = ['10:00:00.000 [m] INFO a - one', '10:00:01.000 [m] ERROR a - two', '\tat x.y(Z.java:1)', 'not a header', '10:00:02.000 [m] WARN a - three'].join('\n') + '\n';

async function run(text: string | Buffer, opts = options(), chunk = 7): Promise<Batch[]> {
  const batches: Batch[] = [];
  const s = new LineStreamer(ctx, opts, async (b) => {
    batches.push(b);
  });
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  for (let i = 0; i < bytes.length; i += chunk) await s.push(bytes.subarray(i, i + chunk));
  await s.end();
  return batches;
}

describe('LineStreamer', () => {
  it('turns entries into records with raw bytes, key, event time and the provenance header', async () => {
    const batches = await run(LOG);
    const records = batches.flatMap((b) => b.records);
    expect(records.map((r) => (r.value as Buffer).toString())).toEqual(['10:00:00.000 [m] INFO a - one', '10:00:01.000 [m] ERROR a - two\n\tat x.y(Z.java:1)\nnot a header', '10:00:02.000 [m] WARN a - three']);
    expect(records.map((r) => r.timestamp)).toEqual([String(Date.UTC(2026, 10, 26, 10)), String(Date.UTC(2026, 10, 26, 10, 0, 1)), String(Date.UTC(2026, 10, 26, 10, 0, 2))]);
    expect(records[1]).toEqual(expect.objectContaining({ key: 'logs/a.log', headers: { object: 's3://b/logs/a.log#v1', line: '2', level: 'ERROR', message: 'two' } }));
    expect(records.map((r) => r.headers?.level)).toEqual(['INFO', 'ERROR', 'WARN']);
    expect(records[0].headers).not.toHaveProperty('message');
  });

  // Memory: the records of the batches in flight are most of an ingest's live heap; headers with a
  // hidden class each (what a spread of the context's headers literal made on Node 20) cost about
  // 250 bytes more per record (docs/benchmarks.md, "Ingest memory").
  it('gives the headers of every record with the same header names one hidden class', async () => {
    v8.setFlagsFromString('--allow-natives-syntax');
    const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;
    const lines = Array.from({ length: 50 }, (_, i) => `10:00:${String(i).padStart(2, '0')}.000 [m] INFO a - line ${i}`);
    const records = (await run(lines.join('\n') + '\n', options({ batchMaxRecords: 1000 }), 64)).flatMap((b) => b.records);
    expect(records).toHaveLength(50);
    const headers = records.map((r) => r.headers as object);
    expect(headers.filter((h) => !haveSameMap(h, headers[0]))).toEqual([]);
  });

  // kafka.topicProfile msk-serverless: a topic that refuses timestamps over an hour ahead must get the
  // ingest time as record timestamp, and the event time must still reach the report stage.
  it('with eventTime header, puts the event time in the time header and leaves the record timestamp to the producer', async () => {
    const records = (await run(LOG, options({ eventTime: 'header' }))).flatMap((b) => b.records);
    expect(records.map((r) => r.timestamp)).toEqual([undefined, undefined, undefined]);
    expect(records.map((r) => r.headers?.time)).toEqual([String(Date.UTC(2026, 10, 26, 10)), String(Date.UTC(2026, 10, 26, 10, 0, 1)), String(Date.UTC(2026, 10, 26, 10, 0, 2))]);
    expect(records[1].headers).toEqual({ object: 's3://b/logs/a.log#v1', line: '2', level: 'ERROR', message: 'two', time: String(Date.UTC(2026, 10, 26, 10, 0, 1)) });
  });

  it('cuts batches by record count and by bytes; the last batch is marked, progress is at entry boundaries', async () => {
    const batches = await run(LOG);
    expect(batches.map((b) => [b.records.length, b.last, b.byteOffset, b.lines])).toEqual([
      [2, false, Buffer.byteLength(LOG.split('\n').slice(0, 4).join('\n')) + 1, 4],
      [1, true, Buffer.byteLength(LOG), 5],
    ]);
    const byBytes = await run(LOG, options({ batchMaxRecords: 1000, batchMaxBytes: 10 }));
    expect(byBytes.map((b) => b.records.length)).toEqual([1, 1, 1, 0]);
  });

  it('keeps raw bytes exactly, flags truncated and unparsed records', async () => {
    const text = Buffer.concat([Buffer.from('garbage \xff\n', 'latin1'), Buffer.from(`10:00:00.000 [m] INFO a - ${'x'.repeat(100)}\n`)]);
    const records = (await run(text, options({ maxLineBytes: 40, parser: { format: 'logback', multiline: false } }))).flatMap((b) => b.records);
    expect(records[0].value).toEqual(Buffer.from('garbage \xff', 'latin1'));
    expect(records[0]).toMatchObject({ timestamp: String(Date.UTC(2026, 10, 26, 10)), headers: { flags: 'unparsed' } });
    expect((records[1].value as Buffer).length).toBe(40);
    expect(records[1].headers).toMatchObject({ flags: 'truncated' });
  });

  // Issue 15 item 4: records of entries without a time were stamped with the ingest clock, so one
  // leading banner line moved the source's maximum event time to "now" and made the rest late.
  it('stamps every record with an event time, never the clock: a banner takes the first timed entry\'s time', async () => {
    const text = ['=== app v1.2 ===', 'starting', ...LOG.trimEnd().split('\n'), 'trailing'].join('\n');
    const records = (await run(text, options({ parser: { format: 'logback', multiline: false } }))).flatMap((b) => b.records);
    const t = (s: number): string => String(Date.UTC(2026, 10, 26, 10, 0, s));
    expect(records.map((r) => [r.timestamp, r.headers?.line])).toEqual([
      [t(0), '1'], [t(0), '2'], [t(0), '3'], [t(1), '4'], [t(1), '5'], [t(1), '6'], [t(2), '7'], [t(2), '8'],
    ]);
  });

  it('resuming from any committed batch yields the remaining records exactly once', async () => {
    const all = (await run(LOG, options({ batchMaxRecords: 1 }))).flatMap((b) => b.records.map((r) => r.value!.toString()));
    const batches = await run(LOG, options({ batchMaxRecords: 1 }));
    for (const committed of batches) {
      const before = batches.slice(0, batches.indexOf(committed) + 1).flatMap((b) => b.records.map((r) => r.value!.toString()));
      const rest: Batch[] = [];
      const s = new LineStreamer(ctx, options({ batchMaxRecords: 1 }), async (b) => void rest.push(b), { byteOffset: committed.byteOffset, lines: committed.lines, entries: committed.entries, parser: committed.parser });
      await s.push(Buffer.from(LOG).subarray(committed.byteOffset));
      await s.end();
      expect([...before, ...rest.flatMap((b) => b.records.map((r) => r.value!.toString()))]).toEqual(all);
    }
  });

  // Backpressure: with one batch in flight, push() does not return while the sink holds a batch.
  it('a slow sink holds the streamer', async () => {
    let release: () => void = () => undefined;
    const held: Batch[] = [];
    const s = new LineStreamer(ctx, options({ batchMaxRecords: 1, maxInFlight: 1 }), (b) => {
      held.push(b);
      return new Promise<void>((r) => (release = r));
    });
    let pushed = false;
    const p = s.push(Buffer.from(LOG)).then(() => (pushed = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(pushed).toBe(false);
    expect(held).toHaveLength(1);
    for (let i = 0; i < 5 && !pushed; i++) {
      release();
      await new Promise((r) => setTimeout(r, 5));
    }
    await p;
    expect(pushed).toBe(true);
  });

  it('a sink failure reaches the caller and stops later batches', async () => {
    const seen: Batch[] = [];
    const s = new LineStreamer(ctx, options({ batchMaxRecords: 1, maxInFlight: 3 }), async (b) => {
      seen.push(b);
      throw new Error('broker down');
    });
    await expect(s.push(Buffer.from(LOG)).then(() => s.end())).rejects.toThrow('broker down');
    expect(seen).toHaveLength(1);
  });
});

// Formats per source (issue 15): the options chosen for an object travel in its context and read
// all of it, the lines after a resume included; the streamer's own options are the fallback.
describe('LineStreamer with parser options of the object', () => {
  const LOG4J = ['2026-11-26 10:00:00,000 INFO [main] a.B - one', '2026-11-26 10:00:01,000 ERROR [main] a.B - two', '2026-11-26 10:00:02,000 WARN [main] a.B - three'].join('\n') + '\n';
  const object = { ...ctx, name: 'spark/app.log', parser: { format: 'log4j', zone: 'Europe/Berlin' } as ParserOptions };
  const levels = (batches: Batch[]): unknown[] => batches.flatMap((b) => b.records.map((r) => [r.headers?.level, r.timestamp]));
  const berlin = (s: number): string => String(Date.UTC(2026, 10, 26, 9, 0, s));

  it('reads with the context\'s options instead of the streamer\'s', async () => {
    const batches: Batch[] = [];
    const s = new LineStreamer(object, options({ batchMaxRecords: 1 }), async (b) => void batches.push(b));
    await s.push(Buffer.from(LOG4J));
    await s.end();
    expect(levels(batches)).toEqual([['INFO', berlin(0)], ['ERROR', berlin(1)], ['WARN', berlin(2)]]);
    expect(batches[batches.length - 1].parser.format).toBe('log4j');
  });

  it('a resumed object keeps reading with them', async () => {
    const first: Batch[] = [];
    const s = new LineStreamer(object, options({ batchMaxRecords: 1 }), async (b) => void first.push(b));
    await s.push(Buffer.from(LOG4J));
    await s.end();
    const committed = first[0];
    const rest: Batch[] = [];
    const resumed = new LineStreamer(object, options({ batchMaxRecords: 1 }), async (b) => void rest.push(b), { byteOffset: committed.byteOffset, lines: committed.lines, entries: committed.entries, parser: committed.parser });
    await resumed.push(Buffer.from(LOG4J).subarray(committed.byteOffset));
    await resumed.end();
    expect(levels(rest)).toEqual([['ERROR', berlin(1)], ['WARN', berlin(2)]]);
  });
});

describe('LineStreamer.settle', () => {
  // A producer must not be closed while a batch of the object is still being committed.
  it('waits for the batches in flight and sends no new one', async () => {
    let release: () => void = () => undefined;
    const sent: Batch[] = [];
    const s = new LineStreamer(ctx, options({ batchMaxRecords: 1, maxInFlight: 5 }), (b) => {
      sent.push(b);
      return new Promise<void>((r) => (release = r));
    });
    await s.push(Buffer.from(LOG));
    let settled = false;
    const done = s.settle().then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    release();
    await done;
    expect(sent).toHaveLength(1);
  });
});
