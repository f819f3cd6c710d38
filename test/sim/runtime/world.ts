/**
 * The simulated world: virtual time, the processes, and the network between them and the services
 * (the fake Kafka broker, the in-memory S3). Every request is two scheduled steps, its arrival at the
 * service and its answer's arrival back, and fast-check's scheduler picks which pending step happens
 * next: that is where interleavings come from. Time moves only when no step is pending, to the next
 * timer (World.step). Faults are armed on the world and hit matching requests.
 */
import type { Scheduler } from 'fast-check';
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import { VirtualClock } from './clock';
import type { SimProcess } from './process';

/** How a fault hits a request. */
export type FaultKind =
  /** The request never reaches the service; the caller gets an outage error. */
  | 'fail'
  /** The service applies the request, then the answer is lost; the caller gets an outage error (outcome unknown). */
  | 'lost'
  /** The request waits, unanswered, until release() (a stuck connection). */
  | 'hang';

export interface FaultSpec {
  kind: FaultKind;
  /** Only requests of this process (by name); any process when absent. */
  process?: string;
  /** Only requests of this API (the label's first word, e.g. 'EndTxn', 'Produce', 'GetObject'). */
  api?: string;
  /** Matching requests it hits before it is spent (default 1). */
  times?: number;
}

interface ArmedFault extends FaultSpec {
  left: number;
  release?: () => void;
  released?: Promise<void>;
}

/**
 * LOGPIPE_SIM_VERBOSE=1 (for replaying one failure): processes trace their info logs too, and a
 * failure report carries the whole trace.
 */
export const VERBOSE = process.env.LOGPIPE_SIM_VERBOSE === '1';

/** How long a kafkajs client keeps retrying an unreachable broker before it gives up (default retry options). */
export const CLIENT_RETRY_SPAN_MS = 6_000;

export interface WorldOptions {
  scheduler: Scheduler;
  seed: number;
  startMs?: number;
  /** How many trace lines to keep for a failure report. */
  traceLines?: number;
}

export class World {
  readonly clock: VirtualClock;
  readonly scheduler: Scheduler;
  private readonly faults: ArmedFault[] = [];
  private readonly traceLines: string[] = [];
  private readonly traceLimit: number;
  /** Scheduled steps released so far (a measure of a run's size). */
  steps = 0;
  /** Until when every request fails (a broker restart or network outage), and when it began. */
  private outageUntil = -1;
  private outageFrom = -1;
  /** Every fault that hit a request, in order (the checks use it to allow for repeated emails). */
  readonly faultLog: Array<{ atMs: number; process: string; label: string; kind: FaultKind | 'outage' }> = [];
  private uninstall: (() => void) | undefined;

  constructor(o: WorldOptions) {
    this.scheduler = o.scheduler;
    this.clock = new VirtualClock(o.startMs ?? Date.UTC(2024, 2, 1, 12, 0, 0), o.seed);
    this.traceLimit = VERBOSE ? 1_000_000 : (o.traceLines ?? 400);
  }

  get now(): number {
    return this.clock.now;
  }

  /** Installs the virtual clock over the globals; call dispose() when the run is over. */
  install(): void {
    this.uninstall ??= this.clock.install();
  }

  dispose(): void {
    this.uninstall?.();
    this.uninstall = undefined;
  }

  /** Records an event for the failure report (the last traceLines are kept). */
  trace(line: string): void {
    this.traceLines.push(`${(this.clock.now % 10_000_000).toString().padStart(7)} ${line}`);
    if (this.traceLines.length > this.traceLimit * 2) this.traceLines.splice(0, this.traceLines.length - this.traceLimit);
  }

  traceTail(): string[] {
    return this.traceLines.slice(-this.traceLimit);
  }

  /** Arms a fault; returns a function that releases requests it holds (kind 'hang') and disarms it. */
  inject(spec: FaultSpec): () => void {
    const fault: ArmedFault = { ...spec, left: spec.times ?? 1 };
    if (spec.kind === 'hang') fault.released = new Promise<void>((r) => (fault.release = r));
    this.faults.push(fault);
    return () => {
      fault.left = 0;
      fault.release?.();
    };
  }

  /**
   * An outage of `ms` from now (a broker restart): requests arriving meanwhile wait it out as
   * kafkajs's retries do, or fail if it lasts longer than they retry (CLIENT_RETRY_SPAN_MS);
   * requests already at the broker when it begins are applied and their answers lost, which the
   * caller only notices (outcome unknown) if the outage outlasts its retries.
   */
  outage(ms: number): void {
    this.outageFrom = this.clock.now;
    this.outageUntil = this.clock.now + ms;
    this.trace(`OUTAGE for ${ms} ms`);
  }

  /** Releases every held request and disarms every fault. */
  releaseAll(): void {
    this.outageUntil = -1;
    for (const f of this.faults) {
      f.left = 0;
      f.release?.();
    }
    this.faults.length = 0;
  }

  /**
   * One request of `proc` to a service: waits while the process is paused (never returns if it is
   * crashed), takes a scheduled step to arrive, applies `apply` (the service's state change, which
   * may itself wait), takes a step for the answer to come back, and passes the gate again.
   * `outage` makes the error a fault throws (default: kafkajs's, once its retries are spent).
   */
  async request<T>(proc: SimProcess, label: string, apply: () => T | Promise<T>, outage: () => Error = outageError): Promise<T> {
    const g0 = proc.gate();
    if (g0) await g0;
    await this.scheduler.schedule(Promise.resolve(), `${proc.name} ${label}`);
    this.steps++;
    const arrivedMs = this.clock.now;
    if (arrivedMs < this.outageUntil) {
      // kafkajs retries an unreachable broker for a while: a short outage only delays the request.
      this.faultLog.push({ atMs: arrivedMs, process: proc.name, label, kind: 'outage' });
      if (this.outageUntil - arrivedMs > CLIENT_RETRY_SPAN_MS) {
        await this.outageDelay(proc);
        throw outage();
      }
      await this.sleep(proc, this.outageUntil - arrivedMs);
    }
    const fault = this.takeFault(proc, label);
    if (fault) this.faultLog.push({ atMs: arrivedMs, process: proc.name, label, kind: fault.kind });
    if (fault?.kind === 'hang') {
      this.trace(`${proc.name} ${label}: held (fault)`);
      await fault.released;
    }
    if (fault?.kind === 'fail') {
      this.trace(`${proc.name} ${label}: failed before the service (fault)`);
      await this.outageDelay(proc);
      throw outage();
    }
    const result = await apply();
    if (this.outageFrom >= arrivedMs && this.clock.now < this.outageUntil) {
      // The answer is lost; the client's retries get it (the same outcome) if the broker is back in time.
      this.faultLog.push({ atMs: this.clock.now, process: proc.name, label, kind: 'outage' });
      if (this.outageUntil - this.clock.now > CLIENT_RETRY_SPAN_MS) {
        this.trace(`${proc.name} ${label}: applied, answer lost (outage)`);
        await this.outageDelay(proc);
        throw outage();
      }
      await this.sleep(proc, this.outageUntil - this.clock.now);
    }
    if (fault?.kind === 'lost') {
      this.trace(`${proc.name} ${label}: applied, answer lost (fault)`);
      await this.outageDelay(proc);
      throw outage();
    }
    await this.scheduler.schedule(Promise.resolve(), `${proc.name} ${label} ✓`);
    this.steps++;
    const g1 = proc.gate();
    if (g1) await g1;
    return result;
  }

  /** A service's own asynchronous step (e.g. the transaction coordinator writing markers). */
  later(label: string, fn: () => void): void {
    void this.scheduler.schedule(Promise.resolve(), label).then(() => {
      this.steps++;
      fn();
    });
  }

  /** Waits `ms` of virtual time as `proc` (its timer: it waits out a pause, and dies with a crash). */
  sleep(proc: SimProcess, ms: number): Promise<void> {
    return proc.run(() => new Promise<void>((resolve) => this.clock.setTimeout(() => resolve(), ms)));
  }

  /** Lets every microtask and immediate settle (real macrotask turn). */
  settle(): Promise<void> {
    return new Promise<void>((resolve) => setImmediate(resolve));
  }

  /**
   * One step of the world: releases one pending request step if there is any (the scheduler picks
   * which), else fires the next timer due by `untilMs`. Resolves false when there is nothing left
   * to do by then.
   */
  async step(untilMs: number): Promise<boolean> {
    await this.settle();
    if (this.scheduler.count() > 0) {
      await this.scheduler.waitOne();
      return true;
    }
    return this.clock.fireNext(untilMs);
  }

  /** Runs the world for `ms` of virtual time (or until nothing at all is left to do). */
  async runFor(ms: number, maxSteps = 200_000): Promise<void> {
    const until = this.clock.now + ms;
    for (let i = 0; i < maxSteps; i++) if (!(await this.step(until))) return;
    throw new Error(`the world did not settle within ${maxSteps} steps (a busy loop?)`);
  }

  /** Runs the world until `done()` holds, or fails after `limitMs` of virtual time. */
  async runUntil(done: () => boolean, limitMs: number, what: string, maxSteps = 400_000): Promise<void> {
    const until = this.clock.now + limitMs;
    for (let i = 0; i < maxSteps; i++) {
      await this.settle();
      if (done()) return;
      if (!(await this.step(until))) {
        await this.settle();
        if (done()) return;
        throw new Error(`timed out after ${limitMs} ms of virtual time waiting for ${what}`);
      }
    }
    throw new Error(`gave up after ${maxSteps} steps waiting for ${what}`);
  }

  private takeFault(proc: SimProcess, label: string): ArmedFault | undefined {
    const api = label.split(' ', 1)[0];
    for (const f of this.faults) {
      if (f.left <= 0) continue;
      if (f.process !== undefined && f.process !== proc.name) continue;
      if (f.api !== undefined && f.api !== api) continue;
      f.left--;
      return f;
    }
    return undefined;
  }

  private outageDelay(proc: SimProcess): Promise<void> {
    return this.sleep(proc, CLIENT_RETRY_SPAN_MS);
  }
}

/** What a kafkajs client throws once its retries against an unreachable broker are spent. */
export function outageError(): Error {
  const cause = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092', { broker: '127.0.0.1:9092', code: 'ECONNREFUSED' } as never);
  return new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 4_000 } as never);
}
