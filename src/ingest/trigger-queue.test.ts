/**
 * The ingest queue's promises (see trigger-queue.ts), on a ManualClock and a fake worker whose
 * attempts stay pending until the test ends them. Property tests print their seed and path on
 * failure (fast-check); LOGPIPE_FC_SEED=<seed> LOGPIPE_FC_PATH=<path> replays one,
 * LOGPIPE_FC_RUNS=<n> runs more.
 */
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { ManualClock } from './clock';
import { objectId, type ObjectMeta, type ObjectRef } from './object-ref';
import { RECENT_OBJECTS, RECENT_OBJECTS_MS, RETRY_BASE_MS, RETRY_CAP_MS, TriggerQueue, type JobOutcome, type QueueSettings, type Trigger } from './trigger-queue';
import { createLogger } from '../system/observability/logging';
import { Metrics } from '../system/observability/metrics';

const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
const fcParams = (runs: number): fc.Parameters<unknown> => {
  const seed = process.env.LOGPIPE_FC_SEED === undefined ? undefined : Number(process.env.LOGPIPE_FC_SEED);
  const path = process.env.LOGPIPE_FC_PATH;
  return { numRuns: Number(process.env.LOGPIPE_FC_RUNS ?? runs), ...(seed !== undefined ? { seed, ...(path ? { path } : {}) } : {}) };
};

interface Outcome extends JobOutcome {
  key: string;
}

const ref = (key: string, versionId?: string): ObjectRef => ({ kind: 's3', bucket: 'b', key, ...(versionId ? { versionId } : {}) });
const keyOf = (r: ObjectRef): string => (r.kind === 's3' ? r.key : r.path);
const outcome = (key: string, status: Outcome['status'] = 'ingested', reason?: string): Outcome => ({ key, status, lines: 1, bytes: 10, ...(reason ? { reason } : {}) });
/** Every object has one version, v1: a request with or without the versionId names the same version. */
const meta = (r: ObjectRef): ObjectMeta => ({ id: objectId(r, 'v1'), name: keyOf(r), size: 10, lastModifiedMs: 0, version: 'v1', versionId: 'v1', etag: 'e1', gzipHint: false });
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Attempt {
  key: string;
  version: string;
  resolve(o: Outcome): void;
  reject(e: Error): void;
}

/** The fake worker: ingests stay pending in `running` until resolved or rejected; checks one ingest per version at a time. */
function world(settings: Partial<QueueSettings> = {}, opts: { random?: () => number; abandonFails?: () => boolean; beyondLimit?: (err: unknown) => boolean } = {}) {
  const clock = new ManualClock(1_000_000);
  const running: Attempt[] = [];
  const started: string[] = [];
  const abandoned: string[] = [];
  const resolved: string[] = [];
  const violations: string[] = [];
  const metrics = new Metrics();
  const s: QueueSettings = { parallelObjects: 2, maxQueuedObjects: 3, maxAttempts: 3, ...settings };
  const queue = new TriggerQueue<Outcome>({
    settings: s,
    clock,
    log,
    metrics,
    random: opts.random ?? (() => 0.5),
    ...(opts.beyondLimit ? { beyondLimit: opts.beyondLimit } : {}),
    onResolved: (r, m) => resolved.push(`${keyOf(r)} ${m.version}`),
    worker: {
      resolve: async (r) => ({ meta: meta(r) }),
      ingest: (r, m) =>
        new Promise<Outcome>((resolve, reject) => {
          const version = m?.id ?? meta(r).id;
          if (running.some((a) => a.version === version)) violations.push(`${version} ingested twice at once`);
          if (running.length >= s.parallelObjects && !opts.beyondLimit) violations.push(`more than ${s.parallelObjects} running`);
          const attempt: Attempt = {
            key: keyOf(r),
            version,
            resolve: (o) => (running.splice(running.indexOf(attempt), 1), resolve(o)),
            reject: (e) => (running.splice(running.indexOf(attempt), 1), reject(e)),
          };
          running.push(attempt);
          started.push(keyOf(r));
        }),
      abandon: async (r, reason) => {
        if (opts.abandonFails?.()) throw new Error('dead-letter topic unreachable');
        abandoned.push(`${keyOf(r)}: ${reason}`);
        return outcome(keyOf(r), 'dead-letter', reason);
      },
    },
  });
  return { clock, queue, running, started, abandoned, resolved, violations, metrics, settings: s };
}

const brokerDown = (): Error => Object.assign(new Error('broker down'), { name: 'KafkaJSConnectionError' });

describe('TriggerQueue', () => {
  it('queues a new object, merges requests for a queued or running one, and starts a new job once it finished', async () => {
    const w = world();
    const answers: Outcome[] = [];
    expect(w.queue.offer(ref('a'), 'api', (o) => answers.push(o))).toEqual({ id: 's3://b/a', status: 'queued' });
    expect(w.queue.offer(ref('a'), 'sqs', (o) => answers.push(o))).toEqual({ id: 's3://b/a', status: 'merged' });
    await flush();
    // Running, and now known by its version: a request naming the version merges too.
    expect(w.queue.offer(ref('a', 'v1'), 'sqs', (o) => answers.push(o))).toEqual({ id: 's3://b/a?versionId=v1', status: 'merged' });
    expect(w.started).toEqual(['a']);
    w.running[0].resolve(outcome('a'));
    await flush();
    expect(answers).toEqual([outcome('a'), outcome('a'), outcome('a')]);
    expect(w.queue.offer(ref('a'), 'listing').status).toBe('queued');
  });

  it('a job whose version resolves to that of a queued or running job merges into it before the worker ingests', async () => {
    const w = world({ parallelObjects: 2 });
    const answers: string[] = [];
    w.queue.offer(ref('a', 'v1'), 'sqs', (o) => answers.push(`first ${o.status}`));
    w.queue.offer(ref('a'), 'api', (o) => answers.push(`second ${o.status}`));
    await flush();
    expect(w.started).toEqual(['a']);
    expect(w.queue.pending()).toBe(1);
    w.running[0].resolve(outcome('a'));
    await flush();
    expect(answers).toEqual(['first ingested', 'second ingested']);
    expect(w.violations).toEqual([]);
  });

  it('a listing request keyed by the ETag it saw merges with one for the same ETag', async () => {
    const w = world({ parallelObjects: 0 });
    expect(w.queue.offer(ref('a'), 'listing', undefined, 'etag1').status).toBe('queued');
    expect(w.queue.offer(ref('a'), 'listing', undefined, 'etag1').status).toBe('merged');
    expect(w.queue.offer(ref('a'), 'listing', undefined, 'etag2').status).toBe('queued');
    // The version id "null" is no version key: such an object is known by its ETag or name.
    expect(w.queue.offer(ref('a', 'null'), 'sqs').status).toBe('queued');
  });

  it('answers busy when maxQueuedObjects wait; running and retry-waiting jobs leave room', async () => {
    const w = world({ parallelObjects: 1, maxQueuedObjects: 1 });
    w.queue.offer(ref('running'), 'api');
    await flush();
    expect(w.queue.offer(ref('waiting'), 'api').status).toBe('queued');
    expect(w.queue.full()).toBe(true);
    expect(w.queue.offer(ref('overflow'), 'api')).toEqual({ id: 's3://b/overflow', status: 'busy', reason: '1 objects are waiting (ingest.maxQueuedObjects)' });
    // A merge needs no room.
    expect(w.queue.offer(ref('waiting'), 'sqs').status).toBe('merged');
    w.running[0].reject(brokerDown());
    await flush();
    // "running" waits for its retry, "waiting" runs: room again.
    expect(w.started).toEqual(['running', 'waiting']);
    expect(w.queue.offer(ref('next'), 'api').status).toBe('queued');
    expect(w.queue.pending()).toBe(3);
  });

  it('retries a failed attempt after a jittered backoff, at the back of the queue, keeping its version', async () => {
    const w = world({ parallelObjects: 1, maxQueuedObjects: 10 }, { random: () => 0.25 });
    w.queue.offer(ref('a'), 'api');
    w.queue.offer(ref('b'), 'api');
    await flush();
    w.running[0].reject(brokerDown());
    await flush();
    expect(w.clock.pending()).toEqual([Math.round(0.25 * RETRY_BASE_MS * 2)]);
    expect(w.queue.view().map((j) => [j.id, j.status, j.reason])).toEqual([
      ['s3://b/a', 'failed', 'KafkaJSConnectionError: broker down'],
      ['s3://b/b', 'running', undefined],
    ]);
    w.queue.offer(ref('c'), 'api');
    w.clock.advance(250);
    await flush();
    w.running[0].resolve(outcome('b'));
    await flush();
    // a went to the back, behind c; its second attempt did not resolve again.
    expect(w.started).toEqual(['a', 'b', 'c']);
    w.running[0].resolve(outcome('c'));
    await flush();
    expect(w.started).toEqual(['a', 'b', 'c', 'a']);
    expect(w.resolved).toEqual(['a v1', 'b v1', 'c v1']);
  });

  // Issue 17 (R14): a worker process SIGKILLed mid-object leaves its transaction open on the
  // progress topic, which holds back the take-over reads of the objects that took its slot; only
  // the object's own retry (or the transaction timeout) ends it. The retry must not queue behind them.
  it('retries an attempt whose worker died beyond parallelObjects; other failures wait for a slot', async () => {
    const died = (err: unknown): boolean => err instanceof Error && err.name === 'WorkerDied';
    const w = world({ parallelObjects: 1, maxQueuedObjects: 5 }, { beyondLimit: died });
    for (const k of ['a', 'b', 'c']) w.queue.offer(ref(k), 'api');
    await flush();
    expect(w.started).toEqual(['a']);
    w.running[0].reject(Object.assign(new Error('worker process died'), { name: 'WorkerDied' }));
    await flush();
    // b took the slot and waits (for a's transaction, in the real world).
    expect(w.started).toEqual(['a', 'b']);
    w.clock.advance(RETRY_CAP_MS);
    await flush();
    expect(w.started).toEqual(['a', 'b', 'a']);
    expect(w.running.map((r) => r.key)).toEqual(['b', 'a']);
    // An ordinary failure of b goes to the back and waits for a slot: c (queued first) runs after a.
    w.running[0].reject(brokerDown());
    await flush();
    w.clock.advance(RETRY_CAP_MS);
    await flush();
    expect(w.running.map((r) => r.key)).toEqual(['a']);
    w.running[0].resolve(outcome('a'));
    await flush();
    expect(w.running.map((r) => r.key)).toEqual(['c']);
  });

  it('abandons an object to the dead-letter topic after maxAttempts, and retries the abandon if it fails', async () => {
    let abandonFails = true;
    const w = world({ maxAttempts: 2 }, { abandonFails: () => abandonFails });
    const answers: Outcome[] = [];
    w.queue.offer(ref('flaky'), 'cli', (o) => answers.push(o));
    for (let attempt = 1; attempt <= 3; attempt++) {
      await flush();
      expect(w.started).toHaveLength(attempt);
      w.running[0].reject(brokerDown());
      await flush();
      if (attempt === 2) abandonFails = false;
      w.clock.advance(RETRY_CAP_MS);
    }
    await flush();
    expect(w.abandoned).toEqual(['flaky: gave up after 3 attempts: KafkaJSConnectionError: broker down']);
    expect(answers).toEqual([outcome('flaky', 'dead-letter', 'gave up after 3 attempts: KafkaJSConnectionError: broker down')]);
    expect(w.queue.pending()).toBe(0);
  });

  it('stop refuses requests, cancels waiting retries, starts nothing more and waits for running attempts', async () => {
    const w = world({ parallelObjects: 1 });
    const answers: Outcome[] = [];
    w.queue.offer(ref('a'), 'api', (o) => answers.push(o));
    w.queue.offer(ref('b'), 'api');
    w.queue.offer(ref('c'), 'api');
    await flush();
    w.running[0].reject(brokerDown());
    await flush();
    expect(w.clock.pending()).toHaveLength(1);
    const stopped = w.queue.stop();
    expect(w.clock.pending()).toEqual([]);
    expect(w.queue.offer(ref('d'), 'api')).toMatchObject({ status: 'busy', reason: 'the service is shutting down' });
    let done = false;
    void stopped.then(() => (done = true));
    await flush();
    expect(done).toBe(false);
    // The worker stops the running attempt: its object resumes on the next start, its waiters are not answered.
    w.running[0].reject(new Error('ingest stopped: the service is shutting down'));
    await stopped;
    expect(w.started).toEqual(['a', 'b']);
    expect(answers).toEqual([]);
  });

  it('keeps finished objects for an hour, at most RECENT_OBJECTS, newest first; duplicates are not kept', async () => {
    const w = world({ parallelObjects: 1, maxQueuedObjects: 100 });
    const t0 = w.clock.now();
    w.queue.offer(ref('dup'), 'api');
    await flush();
    w.running[0].resolve(outcome('dup', 'duplicate'));
    await flush();
    expect(w.queue.recent()).toEqual([]);
    for (let i = 0; i < RECENT_OBJECTS + 1; i++) {
      w.queue.offer(ref(`k${i}`), 'api');
      await flush();
      w.clock.advance(1000);
      w.running[0].resolve(i === 0 ? outcome('k0', 'dead-letter', 'corrupt gzip') : outcome(`k${i}`));
      await flush();
    }
    const recent = w.queue.recent();
    expect(recent).toHaveLength(RECENT_OBJECTS);
    expect(recent[0]).toEqual({ id: `s3://b/k${RECENT_OBJECTS}`, status: 'ingested', lines: 1, bytes: 10, totalBytes: 10, startedMs: t0 + RECENT_OBJECTS * 1000, finishedMs: t0 + (RECENT_OBJECTS + 1) * 1000 });
    expect(recent.at(-1)!.id).toBe('s3://b/k1');
    w.clock.advance(RECENT_OBJECTS_MS);
    expect(w.queue.recent().map((o) => o.id)).toEqual([`s3://b/k${RECENT_OBJECTS}`]);
    w.clock.advance(1);
    expect(w.queue.recent()).toEqual([]);
  });
});

/** One step of a random schedule: a request, the end of a running attempt, or time passing. */
type Step =
  | { kind: 'offer'; key: number; named: boolean; via: Trigger }
  | { kind: 'end'; which: number; how: 'ingested' | 'duplicate' | 'dead-letter' | 'fail' }
  | { kind: 'advance'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('offer' as const), key: fc.nat(3), named: fc.boolean(), via: fc.constantFrom<Trigger>('api', 'sqs', 'listing', 'cli') }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('end' as const), which: fc.nat(5), how: fc.constantFrom('ingested' as const, 'duplicate' as const, 'dead-letter' as const, 'fail' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 70_000 }) }) },
);

describe('TriggerQueue under random schedules', () => {
  // Duplicates of one version never run at once, the limits hold at every step, every accepted
  // request's waiter is answered exactly once with its version's outcome, and busy is answered
  // exactly when a new object finds maxQueuedObjects waiting.
  it('one ingest per version at a time, within parallelObjects and maxQueuedObjects, every waiter answered once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ parallelObjects: fc.integer({ min: 1, max: 3 }), maxQueuedObjects: fc.integer({ min: 1, max: 4 }), maxAttempts: fc.integer({ min: 1, max: 3 }) }),
        fc.array(step, { minLength: 1, maxLength: 40 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        async (settings, steps, jitter) => {
          const w = world(settings, { random: () => jitter });
          const answers = new Map<number, Outcome[]>();
          let requests = 0;
          let accepted = 0;
          for (const s of steps) {
            if (s.kind === 'offer') {
              const n = requests++;
              const wasFull = w.queue.full();
              const answer = w.queue.offer(ref(`k${s.key}`, s.named ? 'v1' : undefined), s.via, (o) => answers.set(n, [...(answers.get(n) ?? []), o]));
              if (answer.status === 'busy') expect(wasFull).toBe(true);
              if (answer.status === 'queued') expect(wasFull).toBe(false);
              if (answer.status !== 'busy') accepted++;
            } else if (s.kind === 'end' && w.running.length > 0) {
              const a = w.running[s.which % w.running.length];
              if (s.how === 'fail') a.reject(brokerDown());
              else a.resolve(outcome(a.key, s.how));
            } else if (s.kind === 'advance') {
              w.clock.advance(s.ms);
            }
            await flush();
            expect(w.violations).toEqual([]);
            expect(w.queue.running()).toBeLessThanOrEqual(settings.parallelObjects);
            expect(w.queue.view().filter((j) => j.status === 'queued').length).toBeLessThanOrEqual(settings.maxQueuedObjects);
          }
          // Drain: every attempt succeeds from now on, and every retry falls due.
          for (let i = 0; i < 100 && w.queue.pending() > 0; i++) {
            for (const a of [...w.running]) a.resolve(outcome(a.key));
            w.clock.advance(RETRY_CAP_MS);
            await flush();
          }
          expect(w.queue.pending()).toBe(0);
          expect(w.violations).toEqual([]);
          expect([...answers.values()].every((list) => list.length === 1)).toBe(true);
          expect(answers.size).toBe(accepted);
          for (const [, [o]] of answers) expect(['ingested', 'duplicate', 'dead-letter']).toContain(o.status);
        },
      ),
      fcParams(200),
    );
  });

  // Without failures, objects start in the order they were queued, parallelObjects at a time.
  it('distinct objects start in arrival order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 30 }), async (parallelObjects, schedule) => {
        const w = world({ parallelObjects, maxQueuedObjects: 100 });
        const queued: string[] = [];
        let next = 0;
        // true: a new object arrives; false: the oldest running attempt ends.
        for (const arrive of schedule) {
          if (arrive) {
            const key = `o${next++}`;
            if (w.queue.offer(ref(key), 'api').status === 'queued') queued.push(key);
          } else if (w.running.length > 0) {
            w.running[0].resolve(outcome(w.running[0].key));
          }
          await flush();
        }
        while (w.running.length > 0) {
          w.running[0].resolve(outcome(w.running[0].key));
          await flush();
        }
        expect(w.started).toEqual(queued);
      }),
      fcParams(200),
    );
  });

  // Attempt n waits a full-jitter backoff of up to 500 ms × 2^n, at most 60 s; after maxAttempts
  // failures the object is abandoned once, with the last error; each failure is counted.
  it('retry delays follow the backoff and the object is abandoned after maxAttempts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 10 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), async (maxAttempts, jitter) => {
        const w = world({ parallelObjects: 1, maxAttempts }, { random: () => jitter });
        const answers: Outcome[] = [];
        w.queue.offer(ref('x'), 'api', (o) => answers.push(o));
        for (let attempt = 1; attempt <= maxAttempts; attempt++) {
          await flush();
          expect(w.started).toHaveLength(attempt);
          w.running[0].reject(brokerDown());
          await flush();
          if (attempt < maxAttempts) {
            const delay = Math.round(jitter * Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** attempt));
            expect(w.clock.pending()).toEqual([delay]);
            if (delay > 0) {
              w.clock.advance(delay - 1);
              await flush();
              expect(w.started).toHaveLength(attempt);
            }
            w.clock.advance(delay > 0 ? 1 : 0);
          }
        }
        await flush();
        expect(w.clock.pending()).toEqual([]);
        expect(w.abandoned).toEqual([`x: gave up after ${maxAttempts} attempts: KafkaJSConnectionError: broker down`]);
        expect(answers.map((o) => o.status)).toEqual(['dead-letter']);
        const text = await w.metrics.registry.metrics();
        expect(text).toContain(`logpipe_ingest_attempt_failures_total ${maxAttempts - 1}`);
      }),
      fcParams(100),
    );
  });
});
