/**
 * The ingest workers of one process as the S3WatcherActor uses them (issue 17: every core): each
 * worker is a supervised FileFetcherActor subtree (its own forked process under ingest.workerMode
 * "forked"), and the pool deals each call to the least busy one. Plain: the workers come in.
 *
 * Promises:
 * - **Dealt to the least busy worker.** A dealt call goes to the worker with the fewest dealt calls
 *   still in flight (the lowest index on a tie) and counts there until it settles, so with at least
 *   as many running objects as workers (the watcher's slots) a new object starts on an idle worker.
 * - **One version is never in two workers at once**: not this pool's doing. The TriggerQueue runs
 *   one job per object version and starts its ingest only after the previous attempt settled, so
 *   an attempt retried after its worker crashed may land on another worker, never beside the first.
 *   And the transactional id is the version's (transactionalIdFor), not the worker's: whichever
 *   worker takes a version over fences every earlier writer of it, a dead incarnation included,
 *   and two workers writing different versions never fence each other.
 * - **Crashes stay in their worker.** Each worker has its own Supervisor (restart budget, backoff,
 *   escalation); a call that met a crash fails with that worker's error, and the other workers go on.
 * - Broadcasts (each(): stop, activity, metrics, usage) ask every worker and give back every
 *   settled answer in worker order; a worker that is down or restarting gives its error there.
 */
import { AggregatorRegistry } from 'prom-client';
import type { MetricsSnapshot } from '../system/observability/metrics';

/** One worker as the pool uses it: a Supervisor (supervisor.ts), or a plain object in tests. */
export interface PoolWorker {
  sendAndReceive(topic: string, ...args: unknown[]): Promise<unknown>;
  /** false while the worker is being restarted (Supervisor.running); absent = always up. */
  readonly running?: boolean;
  /** Supervisor.destroy: for a worker being restarted when the pool is stopped. */
  destroy?(): Promise<void>;
}

export class WorkerPool<W extends PoolWorker = PoolWorker> {
  private readonly inFlight: number[];

  /** Throws when `workers` is empty: a pool deals to at least one worker. */
  constructor(readonly workers: readonly W[]) {
    if (workers.length === 0) throw new Error('an ingest worker pool needs at least one worker');
    this.inFlight = workers.map(() => 0);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Dealt calls in flight per worker (for views and tests). */
  load(): number[] {
    return [...this.inFlight];
  }

  /** Sends one call to the least busy worker (see the file comment) and passes its answer or error on. */
  async deal(topic: string, ...args: unknown[]): Promise<unknown> {
    const i = this.leastBusy();
    this.inFlight[i]++;
    try {
      return await this.workers[i]!.sendAndReceive(topic, ...args);
    } finally {
      this.inFlight[i]--;
    }
  }

  /** Sends the same call to every worker; resolves with every settled answer, in worker order. Never rejects. */
  each(topic: string, ...args: unknown[]): Promise<PromiseSettledResult<unknown>[]> {
    return Promise.allSettled(this.workers.map((w) => w.sendAndReceive(topic, ...args)));
  }

  private leastBusy(): number {
    let best = 0;
    for (let i = 1; i < this.inFlight.length; i++) if (this.inFlight[i]! < this.inFlight[best]!) best = i;
    return best;
  }
}

/**
 * How many ingest workers `logpipe start` runs: one in-memory (several in one process would share
 * its core; the configuration refuses workers > 1 there); forked, ingest.workers, or `cores` (the
 * machine's, os.availableParallelism()) when it is 0. One-shot commands run one worker whatever this says.
 */
export function workerCount(settings: { workerMode: 'in-memory' | 'forked'; workers: number }, cores: number): number {
  if (settings.workerMode === 'in-memory') return 1;
  return settings.workers > 0 ? settings.workers : Math.max(1, cores);
}

/**
 * Objects the watcher's queue runs at once: ingest.parallelObjects, but at least one per worker,
 * so that no worker idles while objects wait.
 */
export function runningSlots(parallelObjects: number, workers: number): number {
  return Math.max(parallelObjects, workers);
}

/**
 * The pool as one fetcher port for the watcher (WatcherPorts['fetcher']): object work (resolve,
 * ingest, abandon) and ledger queries (known: every worker reads the same progress topic) are
 * dealt; stop, activity, usage and metrics ask every worker:
 * - stop asks the workers that are running to stop and resolves once they answered. A worker
 *   being restarted has nothing running (its calls failed with the crash) and is destroyed at once
 *   instead: its restart abandoned and the calls waiting for it failed, where waiting for its new
 *   instance could take the whole start timeout (R14's slow shutdowns). Rejects only when every
 *   worker failed.
 * - activity: the running objects of the workers that answered.
 * - usage: one worker's `{ pid, peakRssBytes }` as it is; of several, the largest peak with its pid
 *   and `workers`, every answer.
 * - metrics: one worker's snapshot as it is; several summed metric by metric (prom-client's
 *   AggregatorRegistry, as the service merges a worker's into its own); rejects when none answered.
 */
export function pooledFetcher(pool: WorkerPool): PoolWorker {
  const answered = async (topic: string, ...args: unknown[]): Promise<unknown[]> => {
    const settled = await pool.each(topic, ...args);
    const values = settled.filter((s): s is PromiseFulfilledResult<unknown> => s.status === 'fulfilled').map((s) => s.value);
    if (values.length === 0) throw (settled[0] as PromiseRejectedResult).reason;
    return values;
  };
  return {
    async sendAndReceive(topic: string, ...args: unknown[]): Promise<unknown> {
      if (topic === 'stop') {
        const settled = await Promise.allSettled(pool.workers.map((w) => (w.running === false ? (w.destroy?.() ?? Promise.resolve()) : w.sendAndReceive('stop'))));
        if (settled.every((s) => s.status === 'rejected')) throw (settled[0] as PromiseRejectedResult).reason;
        return undefined;
      }
      if (pool.size === 1) return pool.deal(topic, ...args);
      switch (topic) {
        case 'activity':
          return (await pool.each('activity')).flatMap((s) => (s.status === 'fulfilled' ? (s.value as unknown[]) : []));
        case 'usage': {
          const all = (await answered('usage')) as Array<{ pid: number; peakRssBytes: number }>;
          const top = all.reduce((a, b) => (b.peakRssBytes > a.peakRssBytes ? b : a));
          return { pid: top.pid, peakRssBytes: top.peakRssBytes, workers: all };
        }
        case 'metrics': {
          const snapshots = (await answered('metrics')) as MetricsSnapshot[];
          return AggregatorRegistry.aggregate(snapshots).getMetricsAsJSON();
        }
        default:
          return pool.deal(topic, ...args);
      }
    },
  };
}
