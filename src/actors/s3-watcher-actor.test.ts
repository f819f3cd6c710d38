import { PassThrough } from 'node:stream';
import { createLogger } from '../system/logging';
import type { IngestOutcome } from './file-fetcher-actor';
import S3WatcherActor, { type WatcherSettings } from './s3-watcher-actor';
import type { ObjectRef } from '../ingest/object-ref';

const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
const settings = (over: Partial<WatcherSettings> = {}): WatcherSettings => ({
  parallelObjects: 1,
  maxQueuedObjects: 10,
  maxAttempts: 3,
  sqsQueueUrl: '',
  sqsWaitSeconds: 0,
  visibilityTimeoutSeconds: 30,
  listings: [],
  listIntervalMs: 1000,
  ...over,
});
const ref = (key: string): ObjectRef => ({ kind: 's3', bucket: 'b', key });
const outcome = (key: string, status: IngestOutcome['status'] = 'ingested'): IngestOutcome => ({ id: key, object: key, status, lines: 1, entries: 1, records: 1, bytes: 1, resumed: false, seconds: 0 });

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
