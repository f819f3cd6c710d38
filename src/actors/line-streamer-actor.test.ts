import { PassThrough } from 'node:stream';
import type { Message } from 'kafkajs';
import type { ObjectProgress } from '../ingest/progress';
import * as streamerModule from '../ingest/streamer';
import { createLogger } from '../system/observability/logging';
import { Metrics } from '../system/observability/metrics';
import LineStreamerActor from './line-streamer-actor';

const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
const DATA = Buffer.from(['10:00:00.000 [m] INFO a - 1', '10:00:01.000 [m] INFO a - 2', '10:00:02.000 [m] WARN a - 3'].join('\n') + '\n');
const object = { id: 'o', context: { source: 'k', headers: { object: 's3://b/k#v' }, name: 'x.2026-11-26.log', lastModifiedMs: 0 } };

function actor(commits: Array<{ records: Message[]; progress: ObjectProgress }>, delayMs = 0, metrics?: Metrics): LineStreamerActor {
  const a = new LineStreamerActor();
  a.init({
    publisher: {
      sendAndReceive: async (_t: 'commit', _id: string, records: Message[], progress: ObjectProgress) => {
        await new Promise((r) => setTimeout(r, delayMs));
        commits.push({ records, progress });
      },
    } as never,
    options: { parser: { format: 'logback' }, maxLineBytes: 1024, batchMaxRecords: 2, batchMaxBytes: 1 << 20, maxInFlight: 1 },
    log,
    now: () => 0,
    metrics,
  });
  return a;
}

describe('LineStreamerActor', () => {
  it('commits batches with the object progress; the last one is done and end() returns it', async () => {
    const commits: Array<{ records: Message[]; progress: ObjectProgress }> = [];
    const a = actor(commits);
    a.begin(object);
    await a.chunk('o', DATA);
    const last = await a.end('o');
    expect(commits.map((c) => [c.records.length, c.progress.status, c.progress.records, c.progress.lines])).toEqual([
      [2, 'in-progress', 2, 2],
      [1, 'done', 3, 3],
    ]);
    expect(last).toEqual(commits[1].progress);
    await expect(a.abort('o')).resolves.toBeUndefined();
  });

  // Issue 14 item 1: a second begin for a version replaced the first streamer, and both byte
  // streams fed one parser (records that were not whole lines).
  it('refuses to begin an object it is streaming already, and begins it again once ended', async () => {
    const commits: Array<{ records: Message[]; progress: ObjectProgress }> = [];
    const a = actor(commits);
    a.begin(object);
    expect(() => a.begin(object)).toThrow(/already being streamed/);
    await a.chunk('o', DATA);
    await a.end('o');
    expect(() => a.begin(object)).not.toThrow();
    await a.abort('o');
  });

  it('continues the record count of a resumed object', async () => {
    const commits: Array<{ records: Message[]; progress: ObjectProgress }> = [];
    const a = actor(commits);
    const firstLine = DATA.indexOf(10) + 1;
    a.begin({ ...object, resume: { id: 'o', status: 'in-progress', byteOffset: firstLine, lines: 1, entries: 1, records: 1, parser: { format: 'logback', dayMs: Date.UTC(2026, 10, 26), lastTodMs: 36_000_000, lastTimeMs: 0, lines: 1 }, updatedAt: '' } });
    await a.chunk('o', DATA.subarray(firstLine));
    const last = await a.end('o');
    expect(last).toMatchObject({ status: 'done', records: 3, lines: 3, byteOffset: DATA.length });
  });

  // A record's timestamp is its entry's event time, never the clock (issue 15 item 4): the
  // streamer gets no clock; the actor's clock stamps only the progress record's updatedAt.
  it('hands the streamer the object without a clock', async () => {
    const Real = streamerModule.LineStreamer;
    const made = jest.spyOn(streamerModule, 'LineStreamer').mockImplementation((...args) => new Real(...args));
    try {
      const commits: Array<{ records: Message[]; progress: ObjectProgress }> = [];
      const a = actor(commits);
      a.begin(object);
      expect(made).toHaveBeenCalledTimes(1);
      expect(made.mock.calls[0][0]).toStrictEqual(object.context);
      await a.chunk('o', DATA);
      await a.end('o');
      expect(commits.map((c) => c.progress.updatedAt)).toEqual([new Date(0).toISOString(), new Date(0).toISOString()]);
    } finally {
      made.mockRestore();
    }
  });

  it('rejects messages for an object it does not stream', async () => {
    await expect(actor([]).chunk('nope', DATA)).rejects.toThrow('object nope is not being streamed');
  });

  // The backpressure gauge: batches cut and not yet committed, back to 0 once the object ends.
  it('reports the batches in flight while the publisher is slow, and none after the end', async () => {
    const metrics = new Metrics();
    const inFlight = async (): Promise<number> => (await metrics.batchesInFlight.get()).values[0]?.value ?? 0;
    const a = actor([], 50, metrics);
    a.begin(object);
    await a.chunk('o', DATA);
    // batchMaxRecords 2: one batch cut and still being committed.
    expect(await inFlight()).toBe(1);
    await a.end('o');
    await new Promise((r) => setImmediate(r));
    expect(await inFlight()).toBe(0);
  });
});
