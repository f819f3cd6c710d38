/**
 * A simulated OS process: the code of one logpipe instance (its actors, its report stage, its
 * Kafka and S3 clients) runs inside it. Everything the process does to the outside world passes a
 * gate (World.request), so:
 * - crash(): the process stops at its next await point for good (SIGKILL). Requests already sent
 *   may still reach the broker; their answers are lost. Its timers never fire.
 * - pause(): the process stops at its next await point until resume() (SIGSTOP / a long GC / a
 *   network partition); its timers wait too. The rest of the world goes on: its consumer-group
 *   membership expires and another process takes its work over; on resume it carries on where it
 *   stopped, a zombie, and must be fenced.
 */
import { currentOwner, type TimerOwner } from './clock';

export type ProcessStatus = 'running' | 'paused' | 'crashed';

export class SimProcess implements TimerOwner {
  private state: ProcessStatus = 'running';
  private waiting: Array<() => void> = [];

  constructor(readonly name: string) {}

  get status(): ProcessStatus {
    return this.state;
  }

  /** Runs `fn` as this process's code: timers it (and whatever it awaits) creates are this process's. */
  run<T>(fn: () => T): T {
    return currentOwner.run(this, fn);
  }

  /**
   * Undefined when the process may go on at once; otherwise a promise that resolves on resume, or
   * never (crashed). Callers do `const g = p.gate(); if (g) await g;` to keep the fast path cheap.
   */
  gate(): Promise<void> | undefined {
    if (this.state === 'running') return undefined;
    return new Promise<void>((resolve) => {
      if (this.state === 'paused') this.waiting.push(resolve);
      // crashed: never resolves; the chain that awaited it is dropped with the process.
    });
  }

  pause(): void {
    if (this.state === 'running') this.state = 'paused';
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.state = 'running';
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w();
  }

  crash(): void {
    this.state = 'crashed';
    this.waiting = [];
  }
}
