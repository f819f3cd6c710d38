/**
 * Supervision of the ingest worker (the FileFetcherActor subtree) when it runs in a process of its
 * own. The supervisor stands in for the worker's actor reference: messages go to the current worker;
 * when its process dies, the calls in flight fail (the watcher retries their objects from committed
 * progress, and dead-letters an object after ingest.maxAttempts), and a new worker is created after
 * the RestartPolicy's delay. Messages sent while it restarts wait for the new worker. When the restart
 * budget is spent, `onGiveUp` is called once and every later message fails with the reason.
 *
 * A crash is recognised by comedy's error for a forked actor whose process exited ("Actor crashed.")
 * and for a message to such an actor ("Actor crashed, no interaction possible."); comedy 2.1.7 emits
 * no event for it, so it is noticed by the first message that fails. Errors of the worker's own
 * handlers pass through unchanged.
 */
import type { Logger } from '../observability/logging';
import type { RestartPolicy } from './restart-policy';

export interface WorkerRef {
  sendAndReceive(topic: string, ...args: unknown[]): Promise<unknown>;
  destroy(): Promise<void>;
}

export interface SupervisorDeps {
  create: () => Promise<WorkerRef>;
  policy: RestartPolicy;
  log: Logger;
  onGiveUp: (reason: string) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const CRASHED = /^Actor crashed\b/;

export function isWorkerCrash(err: unknown): boolean {
  return err instanceof Error && CRASHED.test(err.message);
}

export class WorkerSupervisor {
  /** Resolves to the worker messages should go to (the next one while restarting). */
  private ready: Promise<WorkerRef> | undefined;
  private current: WorkerRef | undefined;
  private stopped = false;
  private restarts = 0;

  constructor(private readonly deps: SupervisorDeps) {}

  async start(): Promise<void> {
    this.current = await this.deps.create();
    this.ready = Promise.resolve(this.current);
  }

  /** Restarts so far (for metrics and tests). */
  get restartCount(): number {
    return this.restarts;
  }

  async sendAndReceive(topic: string, ...args: unknown[]): Promise<unknown> {
    if (!this.ready) throw new Error('the ingest worker was not started');
    const worker = await this.ready;
    try {
      return await worker.sendAndReceive(topic, ...args);
    } catch (err) {
      if (isWorkerCrash(err)) this.crashed(worker);
      throw err;
    }
  }

  async destroy(): Promise<void> {
    this.stopped = true;
    const worker = await this.ready?.catch(() => undefined);
    await worker?.destroy().catch(() => undefined);
  }

  /** Handles the crash of `worker` once, however many calls report it. */
  private crashed(worker: WorkerRef): void {
    if (worker !== this.current || this.stopped) return;
    this.current = undefined;
    const { policy, log, now = Date.now, sleep = (ms) => new Promise((r) => setTimeout(r, ms)) } = this.deps;
    const decision = policy.onCrash(now());
    void worker.destroy().catch(() => undefined);
    if (!decision.restart) {
      const reason = `the ingest worker ${decision.reason}`;
      log.error('ingest worker crashed; giving up', { reason });
      this.ready = Promise.reject(new Error(reason));
      this.ready.catch(() => undefined);
      this.deps.onGiveUp(reason);
      return;
    }
    log.warn('ingest worker crashed; restarting', { delayMs: decision.delayMs, recentCrashes: decision.recent });
    this.ready = (async () => {
      await sleep(decision.delayMs);
      if (this.stopped) throw new Error('the service is shutting down');
      const next = await this.deps.create();
      this.restarts++;
      this.current = next;
      log.info('ingest worker restarted', { restarts: this.restarts });
      return next;
    })();
    // A failed create counts as another crash of the worker.
    this.ready.catch((err: unknown) => {
      if (this.stopped) return;
      log.error('could not restart the ingest worker', { error: err instanceof Error ? err.message : String(err) });
      const placeholder: WorkerRef = { sendAndReceive: () => Promise.reject(err), destroy: () => Promise.resolve() };
      this.current = placeholder;
      this.crashed(placeholder);
    });
  }
}
