import { PassThrough } from 'node:stream';
import { Counter, Registry } from 'prom-client';
import type { ObjectMeta, ObjectRef } from '../ingest/object-ref';
import { createLogger } from '../system/observability/logging';
import type { MetricsSnapshot } from '../system/observability/metrics';
import type { IngestOutcome } from './file-fetcher-actor';
import { RestartPolicy } from './restart-policy';
import S3WatcherActor from './s3-watcher-actor';
import { type ChildRef, Supervisor } from './supervisor';
import { watcherTestSettings } from './watcher-test-settings';
import { pooledFetcher, runningSlots, workerCount, WorkerPool } from './worker-pool';

const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));
const ref = (key: string): ObjectRef => ({ kind: 's3', bucket: 'b', key });
const meta = (key: string): ObjectMeta => ({ id: `s3://b/${key}#v1`, name: key, size: 1, lastModifiedMs: 0, version: 'v1', versionId: 'v1', gzipHint: false });
const outcome = (key: string): IngestOutcome => ({ id: key, object: key, status: 'ingested', lines: 1, entries: 1, records: 1, bytes: 1, resumed: false, seconds: 0 });

/** A worker whose ingests stay pending until released; `crash()` makes it answer like a dead forked process. */
function fakeWorker(name: string, log_: string[]) {
  const pending: Array<{ key: string; resolve: (o: IngestOutcome) => void; reject: (e: Error) => void }> = [];
  let dead = false;
  const w = {
    name,
    pending,
    destroyed: false,
    crash() {
      dead = true;
      for (const p of pending.splice(0)) p.reject(new Error('Actor crashed, no interaction possible.'));
    },
    sendAndReceive: (topic: string, ...args: unknown[]): Promise<unknown> => {
      if (dead) return Promise.reject(new Error('Actor crashed, no interaction possible.'));
      const key = (args[0] as { key?: string } | undefined)?.key ?? '';
      if (topic === 'resolve') return Promise.resolve({ meta: meta(key) });
      if (topic === 'ingest') {
        log_.push(`${name}:${key}`);
        return new Promise((resolve, reject) => pending.push({ key, resolve, reject }));
      }
      if (topic === 'usage') return Promise.resolve({ pid: name.length, peakRssBytes: name === 'w1' ? 300 : 100 });
      if (topic === 'activity') return Promise.resolve(pending.map((p) => ({ id: p.key, object: p.key })));
      if (topic === 'stop') return Promise.resolve(undefined);
      return Promise.reject(new Error(`unexpected ${topic}`));
    },
    destroy: async () => {
      w.destroyed = true;
    },
  };
  return w;
}

describe('WorkerPool', () => {
  it('deals each call to the worker with the fewest calls in flight, the lowest index on a tie', async () => {
    const calls: string[] = [];
    const workers = ['w0', 'w1', 'w2'].map((n) => fakeWorker(n, calls));
    const pool = new WorkerPool(workers);
    const a = pool.deal('ingest', ref('a'));
    const b = pool.deal('ingest', ref('b'));
    const c = pool.deal('ingest', ref('c'));
    await tick();
    expect(calls).toEqual(['w0:a', 'w1:b', 'w2:c']);
    expect(pool.load()).toEqual([1, 1, 1]);
    workers[1]!.pending[0]!.resolve(outcome('b'));
    await expect(b).resolves.toEqual(outcome('b'));
    // The idle one gets the next object, not the next in turn.
    void pool.deal('ingest', ref('d'));
    await tick();
    expect(calls.at(-1)).toBe('w1:d');
    workers[0]!.pending[0]!.reject(new Error('broker down'));
    await expect(a).rejects.toThrow('broker down');
    expect(pool.load()).toEqual([0, 1, 1]);
    void c;
  });

  it('refuses to be empty', () => {
    expect(() => new WorkerPool([])).toThrow('at least one worker');
  });

  it('workerCount: one in-memory; forked, ingest.workers or the cores when it is 0', () => {
    expect(workerCount({ workerMode: 'in-memory', workers: 0 }, 8)).toBe(1);
    expect(workerCount({ workerMode: 'in-memory', workers: 1 }, 8)).toBe(1);
    expect(workerCount({ workerMode: 'forked', workers: 0 }, 8)).toBe(8);
    expect(workerCount({ workerMode: 'forked', workers: 3 }, 8)).toBe(3);
    expect(workerCount({ workerMode: 'forked', workers: 0 }, 0)).toBe(1);
  });

  it('runningSlots: parallelObjects, at least one object per worker', () => {
    expect(runningSlots(2, 1)).toBe(2);
    expect(runningSlots(2, 4)).toBe(4);
    expect(runningSlots(6, 4)).toBe(6);
  });
});

describe('pooledFetcher', () => {
  it('broadcasts stop, activity and usage; answers from the workers that are up', async () => {
    const calls: string[] = [];
    const workers = ['w0', 'w1', 'w2'].map((n) => fakeWorker(n, calls));
    const fetcher = pooledFetcher(new WorkerPool(workers));
    // Their answers do not matter here: crashed below.
    void fetcher.sendAndReceive('ingest', ref('a')).catch(() => undefined);
    void fetcher.sendAndReceive('ingest', ref('b')).catch(() => undefined);
    await tick();
    workers[2]!.crash();
    await expect(fetcher.sendAndReceive('activity')).resolves.toEqual([
      { id: 'a', object: 'a' },
      { id: 'b', object: 'b' },
    ]);
    await expect(fetcher.sendAndReceive('usage')).resolves.toEqual({ pid: 2, peakRssBytes: 300, workers: [{ pid: 2, peakRssBytes: 100 }, { pid: 2, peakRssBytes: 300 }] });
    await expect(fetcher.sendAndReceive('stop')).resolves.toBeUndefined();
    for (const w of workers) w.crash();
    await expect(fetcher.sendAndReceive('stop')).rejects.toThrow('Actor crashed');
  });

  it('sums the workers\' metrics metric by metric', async () => {
    const snapshot = async (n: number): Promise<MetricsSnapshot> => {
      const registry = new Registry();
      new Counter({ name: 'lines_total', help: 'lines', registers: [registry] }).inc(n);
      return registry.getMetricsAsJSON();
    };
    const worker = (n: number) => ({ sendAndReceive: () => snapshot(n) });
    const merged = (await pooledFetcher(new WorkerPool([worker(3), worker(4)])).sendAndReceive('metrics')) as MetricsSnapshot;
    expect(merged.find((m) => m.name === 'lines_total')?.values[0]?.value).toBe(7);
  });

  // A worker being restarted has no running ingest (its calls failed with the crash); a stop that
  // waited for its new instance could wait out the start timeout (R14's slow shutdowns).
  it.each([1, 2])('stop destroys the workers being restarted instead of waiting for them (a pool of %i)', async (size) => {
    const restarting = { running: false, sendAndReceive: jest.fn(() => new Promise<unknown>(() => undefined)), destroy: jest.fn(async () => undefined) };
    const up = { running: true, sendAndReceive: jest.fn(async () => undefined), destroy: jest.fn(async () => undefined) };
    const fetcher = pooledFetcher(new WorkerPool(size === 1 ? [restarting] : [up, restarting]));
    await expect(fetcher.sendAndReceive('stop')).resolves.toBeUndefined();
    expect(restarting.sendAndReceive).not.toHaveBeenCalled();
    expect(restarting.destroy).toHaveBeenCalledTimes(1);
    expect(up.sendAndReceive).toHaveBeenCalledTimes(size === 1 ? 0 : 1);
    expect(up.destroy).not.toHaveBeenCalled();
  });

  it('passes every call of a pool of one straight to its worker', async () => {
    const w = { sendAndReceive: jest.fn(async (topic: string) => topic) };
    const fetcher = pooledFetcher(new WorkerPool([w]));
    await expect(fetcher.sendAndReceive('usage')).resolves.toBe('usage');
    expect(w.sendAndReceive).toHaveBeenCalledWith('usage');
  });
});

// Issue 17: several supervised workers under the watcher. A crash of one restarts that worker only;
// its object is retried (on an idle worker) while the others' objects go on.
describe('S3WatcherActor with several supervised workers', () => {
  it('restarts only the crashed worker; its object is retried and every object finishes once', async () => {
    const calls: string[] = [];
    const instances: Array<Array<ReturnType<typeof fakeWorker>>> = [[], [], []];
    const supervisors = await Promise.all(
      instances.map((list, n) =>
        new Supervisor({
          child: `FileFetcherActor ${n}`,
          create: async (): Promise<ChildRef> => {
            const w = fakeWorker(`w${n}.${list.length}`, calls);
            list.push(w);
            return w;
          },
          policy: new RestartPolicy({ initialDelayMs: 0, maxRestarts: 3, windowMs: 60_000 }),
          log,
          sleep: async () => undefined,
        }).start(),
      ),
    );
    const watcher = new S3WatcherActor();
    watcher.init({ topic: 't', fetcher: pooledFetcher(new WorkerPool(supervisors)) as never, settings: watcherTestSettings({ parallelObjects: runningSlots(1, 3) }), log, random: () => 0 });
    const done = ['a', 'b', 'c'].map((k) => watcher.ingest(ref(k)));
    for (let i = 0; i < 5; i++) await tick();
    expect(calls).toEqual(['w0.0:a', 'w1.0:b', 'w2.0:c']);
    instances[1]![0]!.crash();
    // The retry waits out its backoff (0 with this jitter), then goes to the restarted worker 1, the only idle one.
    for (let i = 0; i < 20 && calls.length < 4; i++) await new Promise((r) => setTimeout(r, 5));
    expect(calls[3]).toBe('w1.1:b');
    expect(supervisors.map((s) => s.restartCount)).toEqual([0, 1, 0]);
    expect(instances.map((list) => list.length)).toEqual([1, 2, 1]);
    expect(instances[1]![0]!.destroyed).toBe(true);
    instances[0]![0]!.pending[0]!.resolve(outcome('a'));
    instances[1]![1]!.pending[0]!.resolve(outcome('b'));
    instances[2]![0]!.pending[0]!.resolve(outcome('c'));
    await expect(Promise.all(done)).resolves.toEqual([outcome('a'), outcome('b'), outcome('c')]);
    expect(calls.filter((c) => c.endsWith(':b'))).toHaveLength(2);
    await watcher.destroy();
  });
});
