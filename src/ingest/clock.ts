import { sleepMs } from '../system/errors/retry';

/**
 * Time as ingest's queue and triggers see it: read the time, wait, and run something later, all
 * through one injected object, so that retries, backoff and polling intervals are testable without
 * real delays (ManualClock). Nothing in the queue or the triggers reads the time any other way.
 */
export interface Clock {
  /** Epoch ms. */
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts (it never rejects): the shape retry() takes. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `fn` once after `ms`; the returned function cancels it (a no-op once it ran). */
  schedule(ms: number, fn: () => void): () => void;
}

/** The real clock: Date.now and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: sleepMs,
  schedule: (ms, fn) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

/**
 * A clock that moves only when told (for tests): advance(ms) runs the callbacks that fall due, in
 * the order of their due times (then of scheduling), each with now() at its own due time.
 */
export class ManualClock implements Clock {
  private readonly timers: Array<{ at: number; seq: number; fn: () => void }> = [];
  private seq = 0;

  constructor(private time = 0) {}

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = (): void => {
        cancel();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const cancel = this.schedule(ms, done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  schedule(ms: number, fn: () => void): () => void {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      const i = this.timers.indexOf(timer);
      if (i >= 0) this.timers.splice(i, 1);
    };
  }

  /** Moves time forward by `ms`, running every callback due by then. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const next = this.nextTimer();
      if (!next || next.at > until) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.time = Math.max(this.time, next.at);
      next.fn();
    }
    this.time = until;
  }

  /** The delays from now of the callbacks waiting, soonest first. */
  pending(): number[] {
    return this.timers.map((t) => t.at - this.time).sort((a, b) => a - b);
  }

  private nextTimer(): { at: number; seq: number; fn: () => void } | undefined {
    let best: (typeof this.timers)[number] | undefined;
    for (const t of this.timers) if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best;
  }
}
