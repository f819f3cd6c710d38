import { PassThrough } from 'node:stream';
import { systemClock } from '../ingest/clock';
import { createLogger } from '../system/observability/logging';
import { Metrics } from '../system/observability/metrics';
import type { IngestOutcome } from './file-fetcher-actor';
import S3WatcherActor, { type WatcherSettings } from './s3-watcher-actor';
import { watcherTestSettings } from './watcher-test-settings';
import type { ObjectMeta, ObjectRef } from '../ingest/object-ref';

const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
const settings = watcherTestSettings;
const ref = (key: string): ObjectRef => ({ kind: 's3', bucket: 'b', key });
const outcome = (key: string, status: IngestOutcome['status'] = 'ingested'): IngestOutcome => ({ id: key, object: key, status, lines: 1, entries: 1, records: 1, bytes: 1, resumed: false, seconds: 0 });

/** The metadata the fake fetcher resolves an object to: one version per key. */
const meta = (key: string): ObjectMeta => ({ id: `s3://b/${key}#v1`, name: key, size: 1, lastModifiedMs: 0, version: 'v1', versionId: 'v1', gzipHint: false });

/** A fetcher whose ingest calls stay pending until released, recording what it was asked. */
function fakeFetcher() {
  const calls: string[] = [];
  const pending: Array<{ key: string; resolve: (o: IngestOutcome) => void; reject: (e: Error) => void }> = [];
  const abandoned: string[] = [];
  return {
    calls,
    pending,
    abandoned,
    sendAndReceive: (topic: string, r: ObjectRef & { key: string }, reason?: string): Promise<IngestOutcome | undefined> => {
      if (topic === 'known') return Promise.resolve(undefined);
      if (topic === 'resolve') return Promise.resolve({ meta: meta(r.key) }) as never;
      if (topic === 'abandon') {
        abandoned.push(`${r.key}: ${reason}`);
        return Promise.resolve(outcome(r.key, 'dead-letter'));
      }
      calls.push(r.key);
      return new Promise((resolve, reject) => pending.push({ key: r.key, resolve, reject }));
    },
  };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

function watcher(fetcher: ReturnType<typeof fakeFetcher>, over: Partial<WatcherSettings> = {}): S3WatcherActor {
  const w = new S3WatcherActor();
  w.init({ topic: 't', fetcher: fetcher as never, settings: settings(over), log });
  return w;
}

describe('S3WatcherActor', () => {
  // Lambda retries, SQS redelivery and the listing all name the same object: one ingest.
  it('merges requests for an object that is queued or running', async () => {
    const f = fakeFetcher();
    const w = watcher(f);
    expect(w.request({ ref: ref('a'), via: 'api' })).toEqual({ id: 's3://b/a', status: 'queued' });
    expect(w.request({ ref: ref('a'), via: 'sqs' })).toEqual({ id: 's3://b/a', status: 'merged' });
    await tick();
    expect(f.calls).toEqual(['a']);
    f.pending[0].resolve(outcome('a'));
    await tick();
    // Done: a new request is a new attempt (the ledger decides whether there is anything to do).
    expect(w.request({ ref: ref('a'), via: 'listing' }).status).toBe('queued');
  });

  it('ingests at most parallelObjects at once, in arrival order', async () => {
    const f = fakeFetcher();
    const w = watcher(f, { parallelObjects: 2 });
    for (const k of ['a', 'b', 'c']) w.request({ ref: ref(k), via: 'api' });
    await tick();
    expect(f.calls).toEqual(['a', 'b']);
    f.pending[1].resolve(outcome('b'));
    await tick();
    await tick();
    expect(f.calls).toEqual(['a', 'b', 'c']);
  });

  it('answers busy, accepting nothing, when the queue is full', async () => {
    const f = fakeFetcher();
    const w = watcher(f, { parallelObjects: 1, maxQueuedObjects: 1 });
    w.request({ ref: ref('running'), via: 'api' });
    await tick();
    expect(w.request({ ref: ref('waiting'), via: 'api' }).status).toBe('queued');
    expect(w.request({ ref: ref('overflow'), via: 'api' })).toMatchObject({ status: 'busy', reason: expect.stringContaining('ingest.maxQueuedObjects') });
    expect(w.pending()).toBe(2);
  });

  it('retries a failing object with backoff, then abandons it to the dead-letter topic', async () => {
    jest.useFakeTimers();
    try {
      const f = fakeFetcher();
      const w = watcher(f, { maxAttempts: 3 });
      const done = w.ingest(ref('flaky'));
      for (let attempt = 1; attempt <= 3; attempt++) {
        await jest.advanceTimersByTimeAsync(70_000);
        expect(f.calls).toHaveLength(attempt);
        f.pending[attempt - 1].reject(Object.assign(new Error('broker down'), { name: 'KafkaJSConnectionError' }));
        await jest.advanceTimersByTimeAsync(0);
      }
      await expect(done).resolves.toMatchObject({ status: 'dead-letter' });
      expect(f.abandoned).toEqual(['flaky: gave up after 3 attempts: KafkaJSConnectionError: broker down']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('ingest() resolves with the outcome, also for a merged request', async () => {
    const f = fakeFetcher();
    const w = watcher(f);
    const first = w.ingest(ref('x'));
    const second = w.ingest(ref('x'));
    await tick();
    f.pending[0].resolve(outcome('x'));
    await expect(Promise.all([first, second])).resolves.toEqual([outcome('x'), outcome('x')]);
  });
});

describe('S3WatcherActor shutdown', () => {
  it('stops the fetcher, waits for running ingests, and refuses new requests', async () => {
    const f = fakeFetcher();
    const stops: string[] = [];
    const fetcher = {
      sendAndReceive: (topic: string, r: ObjectRef & { key: string }, reason?: string) => {
        if (topic === 'stop') {
          stops.push('stop');
          // The running ingest ends once the fetcher stops reading.
          f.pending[0].reject(new Error('ingest stopped: the service is shutting down'));
          return Promise.resolve();
        }
        return f.sendAndReceive(topic, r, reason);
      },
    };
    const w = new S3WatcherActor();
    w.init({ topic: 't', fetcher: fetcher as never, settings: settings(), log });
    w.request({ ref: ref('a'), via: 'api' });
    await tick();
    await w.destroy();
    expect(stops).toEqual(['stop']);
    expect(f.calls).toEqual(['a']);
    expect(w.request({ ref: ref('b'), via: 'api' })).toMatchObject({ status: 'busy', reason: 'the service is shutting down' });
  });
});

describe('S3WatcherActor activity and metrics', () => {
  const NOW = Date.UTC(2026, 10, 26, 12, 0);

  function activityFetcher(f: ReturnType<typeof fakeFetcher>, running: unknown[]) {
    return { sendAndReceive: (topic: string, r: ObjectRef & { key: string }, reason?: string) => (topic === 'activity' ? Promise.resolve(running) : f.sendAndReceive(topic, r, reason)) };
  }

  // The dashboard's object list: queued, running with the worker's committed progress, finished.
  it('reports queued, running and finished objects; duplicates are not listed', async () => {
    const f = fakeFetcher();
    let now = NOW;
    const w = new S3WatcherActor();
    const running = [{ object: 's3://b/a', lines: 10, bytes: 400, totalBytes: 1000, startedAt: new Date(NOW).toISOString() }];
    w.init({ topic: 't', fetcher: activityFetcher(f, running) as never, settings: settings(), log, clock: { ...systemClock, now: () => now } });
    w.request({ ref: ref('a'), via: 'api' });
    w.request({ ref: ref('b'), via: 'api' });
    await tick();
    expect(await w.activity()).toEqual([
      { id: 's3://b/a', status: 'running', lines: 10, bytes: 400, totalBytes: 1000, startedMs: NOW },
      { id: 's3://b/b', status: 'queued', lines: 0, bytes: 0, totalBytes: null },
    ]);
    now = NOW + 5000;
    f.pending[0].resolve({ ...outcome('a'), lines: 20, bytes: 1000 });
    await tick();
    await tick();
    f.pending[1].resolve({ ...outcome('b', 'dead-letter'), lines: 0, bytes: 0, reason: 'corrupt gzip: unexpected end of file' });
    await tick();
    w.request({ ref: ref('c'), via: 'sqs' });
    await tick();
    f.pending[2].resolve(outcome('c', 'duplicate'));
    await tick();
    expect(await w.activity()).toEqual([
      { id: 's3://b/b', status: 'dead-letter', lines: 0, bytes: 0, totalBytes: null, reason: 'corrupt gzip: unexpected end of file', startedMs: NOW + 5000, finishedMs: NOW + 5000 },
      { id: 's3://b/a', status: 'ingested', lines: 20, bytes: 1000, totalBytes: 1000, startedMs: NOW, finishedMs: NOW + 5000 },
    ]);
    // Finished objects are kept for an hour.
    now = NOW + 5000 + 60 * 60 * 1000 + 1;
    expect(await w.activity()).toEqual([]);
  });

  it('shows a running object without progress when the worker does not answer', async () => {
    jest.useFakeTimers();
    try {
      const f = fakeFetcher();
      const w = new S3WatcherActor();
      const fetcher = { sendAndReceive: (topic: string, r: ObjectRef & { key: string }) => (topic === 'activity' ? new Promise(() => undefined) : f.sendAndReceive(topic, r)) };
      w.init({ topic: 't', fetcher: fetcher as never, settings: settings(), log, clock: { ...systemClock, now: () => NOW } });
      w.request({ ref: ref('a'), via: 'api' });
      await jest.advanceTimersByTimeAsync(0);
      const answer = w.activity();
      await jest.advanceTimersByTimeAsync(2000);
      await expect(answer).resolves.toEqual([{ id: 's3://b/a', status: 'running', lines: 0, bytes: 0, totalBytes: null, startedMs: NOW }]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('counts requests by trigger and answer, outcomes, dead letters by reason and failed attempts', async () => {
    jest.useFakeTimers();
    try {
      const metrics = new Metrics();
      const f = fakeFetcher();
      const w = new S3WatcherActor();
      w.init({ topic: 't', fetcher: f as never, settings: settings({ maxQueuedObjects: 1 }), log, metrics });
      w.request({ ref: ref('a'), via: 'api' });
      w.request({ ref: ref('a'), via: 'sqs' });
      w.request({ ref: ref('b'), via: 'listing' });
      w.request({ ref: ref('c'), via: 'api' });
      await jest.advanceTimersByTimeAsync(0);
      f.pending[0].reject(Object.assign(new Error('broker down'), { name: 'KafkaJSConnectionError' }));
      await jest.advanceTimersByTimeAsync(0);
      expect(w.pending()).toBe(2);
      // b runs while a waits for its retry; then a's retry runs.
      f.pending[1].resolve({ ...outcome('b', 'dead-letter'), reason: 'NoSuchKey: The specified key does not exist.' });
      await jest.advanceTimersByTimeAsync(70_000);
      f.pending[2].resolve(outcome('a'));
      await jest.advanceTimersByTimeAsync(0);
      const text = await metrics.registry.metrics();
      const value = (series: string): number => Number(text.split('\n').find((l) => l.startsWith(`${series} `))?.split(' ')[1]);
      expect(value('logpipe_ingest_requests_total{trigger="api",status="queued"}')).toBe(1);
      expect(value('logpipe_ingest_requests_total{trigger="sqs",status="merged"}')).toBe(1);
      expect(value('logpipe_ingest_requests_total{trigger="listing",status="queued"}')).toBe(1);
      expect(value('logpipe_ingest_requests_total{trigger="api",status="busy"}')).toBe(1);
      expect(value('logpipe_ingest_objects_total{outcome="ingested"}')).toBe(1);
      expect(value('logpipe_ingest_objects_total{outcome="dead-letter"}')).toBe(1);
      expect(value('logpipe_ingest_dead_letters_total{reason="not-found"}')).toBe(1);
      expect(value('logpipe_ingest_attempt_failures_total')).toBe(1);
      expect(value('logpipe_ingest_objects_queued')).toBe(0);
      expect(value('logpipe_ingest_objects_running')).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('S3WatcherActor triggers', () => {
  // The wiring: each configured source feeds the queue under its own trigger name, the SQS message
  // is deleted after its object's outcome, and destroy stops both sources.
  it('starts the configured SQS and listing sources, counts their requests by trigger, and stops them on destroy', async () => {
    const f = fakeFetcher();
    const metrics = new Metrics();
    const sqsCommands: string[] = [];
    let delivered = false;
    let releaseReceive: () => void = () => undefined;
    const blocked = new Promise<void>((r) => (releaseReceive = r));
    const sqs = {
      send: async (command: { constructor: { name: string }; input: { ReceiptHandle?: string } }) => {
        sqsCommands.push(command.constructor.name);
        if (command.constructor.name !== 'ReceiveMessageCommand') return {};
        if (delivered) return blocked.then(() => ({ Messages: [] }));
        delivered = true;
        const body = JSON.stringify({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: { key: 'from-sqs' } } }] });
        return { Messages: [{ Body: body, ReceiptHandle: 'r1' }] };
      },
    };
    const s3 = { send: async () => ({ Versions: [{ Key: 'listed', VersionId: 'v9', IsLatest: true, ETag: '"e"' }], IsTruncated: false }) };
    const w = new S3WatcherActor();
    let stops = 0;
    const fetcher = { sendAndReceive: (topic: string, r: ObjectRef & { key: string }, reason?: string) => (topic === 'stop' ? Promise.resolve(void stops++) : f.sendAndReceive(topic, r, reason)) };
    w.init({ topic: 't', fetcher: fetcher as never, settings: settings({ parallelObjects: 2, sqsQueueUrl: 'q', listings: ['b'], listIntervalMs: 60_000 }), sqs: sqs as never, s3: s3 as never, log, metrics });
    for (let i = 0; i < 20 && f.calls.length < 2; i++) await tick();
    expect(f.calls.sort()).toEqual(['from-sqs', 'listed']);
    f.pending.find((p) => p.key === 'from-sqs')!.resolve(outcome('from-sqs'));
    await tick();
    expect(sqsCommands).toContain('DeleteMessageCommand');
    const text = await metrics.registry.metrics();
    expect(text).toContain('logpipe_ingest_requests_total{trigger="sqs",status="queued"} 1');
    expect(text).toContain('logpipe_ingest_requests_total{trigger="listing",status="queued"} 1');
    const stopping = w.destroy();
    f.pending.find((p) => p.key === 'listed')!.resolve(outcome('listed'));
    releaseReceive();
    await stopping;
    expect(stops).toBe(1);
  });
});
