/**
 * The one supervision strategy of the actor hierarchy, used by every parent for each child it
 * creates (the root for S3WatcherActor and ReportActor, the watcher for its FileFetcherActor, the
 * fetcher for its LineStreamerActor, the streamer for its KafkaPublisherActor), whatever mode the
 * child runs in. A Supervisor stands in for the child's actor reference: messages go to the current
 * child instance.
 *
 * - **What a crash is.** A message to the child fails with: comedy's error for a forked child whose
 *   process died ("Actor crashed."); a programming error (TypeError, RangeError, ReferenceError,
 *   SyntaxError): the child's state can no longer be trusted; an ActorCrashError (an actor says so);
 *   or an EscalationError (the child gave up on a child of its own). Any other error is the
 *   outcome of one piece of work (Kafka down, a bad object) and passes through unchanged: the
 *   caller retries it from committed progress, or dead-letters it.
 * - **Restart with backoff, one for one.** Only the crashed child is restarted (a new instance,
 *   with new children of its own), after RestartPolicy's delay; the call that met the crash, and
 *   every call in flight to the old instance, fail with a ChildRestartError (retriable: true, not
 *   a crash, so the parent's own supervisor does not count it again); calls made during the delay
 *   wait for the new instance.
 * - **Escalation.** More than `maxRestarts` crashes within `windowMs`: the supervisor stops
 *   restarting, `onEscalate` is called once, and this and every later call fail with an
 *   EscalationError. To the grandparent that is a crash of the parent: it restarts the parent, and
 *   with it the whole subtree, within its own budget. At the root, an escalation stops the service.
 * - **What a restart resumes from.** No actor keeps state that matters across a restart: ingest
 *   progress lives in the progress topic (the ledger), report state in Kafka transactions. The
 *   work that failed is retried by whoever asked for it (the watcher's job retries) and resumes
 *   from its last committed batch, so a restart neither loses nor repeats a line.
 *
 * comedy's own `onCrash: 'respawn'` is not used: it exists for forked (and remote) actors only, it
 * respawns at once and for ever (every 15 s after a failed respawn), with no backoff, no budget and
 * no escalation, and the calls in flight to the dead process are never answered. An in-memory
 * child does not crash at all in comedy's sense: a handler's error is just the message's answer.
 */
import { LogpipeError } from '../system/errors/errors';
import type { Logger } from '../system/observability/logging';
import type { RestartPolicy } from './restart-policy';

/** A child as its supervisor uses it: a comedy actor reference, or a plain object in tests. */
export interface ChildRef {
  sendAndReceive(topic: string, ...args: unknown[]): Promise<unknown>;
  destroy(): Promise<void>;
}

const ESCALATED = 'escalated: ';
const CRASH = 'actor crash: ';
const RESTARTING = 'restarting: ';

/**
 * Thrown by an actor whose state can no longer be trusted; its supervisor restarts it. The message
 * carries a prefix, so that it is still recognised after crossing a process boundary (comedy passes
 * only an error's message from a forked actor).
 */
export class ActorCrashError extends LogpipeError {
  constructor(reason: string) {
    super(`${CRASH}${reason}`, { retriable: false });
    this.name = 'ActorCrashError';
  }
}

/** A child crashed more often than its budget allows; its parent gives up on it and fails itself. */
export class EscalationError extends LogpipeError {
  constructor(reason: string) {
    super(`${ESCALATED}${reason}`, { retriable: false });
    this.name = 'EscalationError';
  }
}

/** The call met a crash of the child, which is being restarted: retry the work from committed progress. */
export class ChildRestartError extends LogpipeError {
  constructor(reason: string) {
    super(`${RESTARTING}${reason}`, { retriable: true });
    this.name = 'ChildRestartError';
  }
}

const FORKED_CRASH = /^Actor crashed\b/;
const PROGRAMMING_ERRORS = ['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError'];

/** Whether `err`, the answer of a message to a child, means the child crashed (see the file comment). */
export function isCrash(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (FORKED_CRASH.test(err.message) || err.message.startsWith(CRASH) || isEscalation(err)) return true;
  return PROGRAMMING_ERRORS.includes(err.name);
}

/**
 * Whether `err` is a ChildRestartError (also one that crossed a process boundary, by its message):
 * the call met a crash of the child, whose work (and, for a process that died, its open Kafka
 * transactions) was cut off mid-way.
 */
export function isChildRestart(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith(RESTARTING);
}

/** Whether `err` is an EscalationError, also one that crossed a process boundary (by its message). */
export function isEscalation(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith(ESCALATED);
}

export interface SupervisorOptions {
  /** The child's role, for logs and reasons (e.g. "FileFetcherActor"). */
  child: string;
  /**
   * Creates a new instance of the child (comedy createChild); a failure counts as another crash.
   * `signal` aborts when the supervisor is destroyed: a creation still under way should give up.
   */
  create: (signal: AbortSignal) => Promise<ChildRef>;
  policy: RestartPolicy;
  log: Logger;
  /** Called once when the budget is spent (or escalate() is called); the parent fails with the reason. */
  onEscalate?: (reason: string) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * `work`, or a rejection with `why()` as soon as `signal` aborts; what `work` still gives after that
 * goes to `late` (an instance created too late is destroyed there). The abort listener lives only
 * while `work` is pending, so nothing accumulates on a long-lived signal.
 */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal, why: () => Error, late: (value: T) => void = () => undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let aborted = false;
    const onAbort = (): void => {
      aborted = true;
      reject(why());
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (aborted) late(value);
        else resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

export class Supervisor implements ChildRef {
  /** Resolves to the instance messages should go to (the next one while restarting). */
  private ready: Promise<ChildRef> | undefined;
  private current: ChildRef | undefined;
  private stopped = false;
  private escalated: EscalationError | undefined;
  private restarts = 0;
  /** Aborted by destroy(): a restart under way gives up (its backoff and its creation). */
  private readonly destroying = new AbortController();

  constructor(private readonly options: SupervisorOptions) {}

  /** Creates the first instance; rejects if that fails (a child that cannot start is a start-up error). */
  async start(): Promise<this> {
    this.current = await this.options.create(this.destroying.signal);
    this.ready = Promise.resolve(this.current);
    return this;
  }

  /** Restarts so far (for metrics and tests). */
  get restartCount(): number {
    return this.restarts;
  }

  /**
   * Whether an instance is up to take calls: false while a restart is under way, after an
   * escalation and after destroy(). A call now would wait for the next instance; a stop need not
   * (nothing runs in a child being restarted: its calls failed with the crash).
   */
  get running(): boolean {
    return this.current !== undefined && !this.stopped && !this.escalated;
  }

  /** The reason this supervisor gave up, once it has. */
  get escalation(): string | undefined {
    return this.escalated?.message;
  }

  /**
   * Sends to the current instance and passes its answer on. A crash fails the call with a
   * ChildRestartError (or an EscalationError once the budget is spent) and restarts the child.
   */
  async sendAndReceive(topic: string, ...args: unknown[]): Promise<unknown> {
    if (!this.ready) throw new Error(`${this.options.child} was not started`);
    let child: ChildRef;
    try {
      child = await this.ready;
    } catch (err) {
      // A new instance that could not be created is another crash (being handled: crashed() runs
      // from the failed create); to the caller, like the crash it waited out: retry the work.
      if (isEscalation(err) || this.stopped) throw err;
      throw new ChildRestartError(`${this.options.child} could not be restarted (${err instanceof Error ? err.message : String(err)}); trying again`);
    }
    try {
      return await child.sendAndReceive(topic, ...args);
    } catch (err) {
      if (!isCrash(err) || this.stopped) throw err;
      throw this.crashed(child, (err as Error).message);
    }
  }

  /**
   * Gives up on the child at once, as if its budget were spent: for a failure its parent learns of
   * outside a message (a forked child's escalation callback cannot cross processes; an in-memory
   * one can).
   */
  escalate(reason: string): void {
    if (this.escalated || this.stopped) return;
    this.giveUp(reason);
  }

  /**
   * Destroys the current instance. A restart under way is not waited for: calls waiting for its
   * instance fail at once (a ChildRestartError: their work resumes from committed progress), its
   * creation is told to give up (the `create` signal), and the instance, if one still comes, is
   * destroyed as it does (the restart checks `stopped`). Waiting could take the whole start
   * timeout (CHILD_START_TIMEOUT_MS) for a forked child killed while it starts. Idempotent.
   */
  async destroy(): Promise<void> {
    this.stopped = true;
    this.destroying.abort();
    const child = this.current;
    this.current = undefined;
    await child?.destroy().catch(() => undefined);
  }

  /** Handles the crash of `child` once, however many calls report it; returns the error for the caller. */
  private crashed(child: ChildRef, reason: string): Error {
    if (this.escalated) return this.escalated;
    if (child !== this.current) return new ChildRestartError(`${this.options.child} crashed (${reason}); it has been restarted`);
    this.current = undefined;
    const { policy, log, child: name, now = Date.now, sleep = (ms) => new Promise((r) => setTimeout(r, ms)) } = this.options;
    const decision = policy.onCrash(now());
    void child.destroy().catch(() => undefined);
    if (!decision.restart) return this.giveUp(`${name} ${decision.reason}; last: ${reason}`);
    log.warn('child actor crashed; restarting it', { child: name, delayMs: decision.delayMs, recentCrashes: decision.recent, error: reason });
    this.ready = (async () => {
      // Both waits end at once when the supervisor is destroyed, and with them the calls waiting
      // for this restart (a ChildRestartError: their work resumes from committed progress).
      const signal = this.destroying.signal;
      const destroyed = (): Error => new ChildRestartError(`${name} is being destroyed`);
      await unlessAborted(sleep(decision.delayMs), signal, destroyed);
      if (this.stopped) throw destroyed();
      const next = await unlessAborted(this.options.create(signal), signal, destroyed, (late) => void late.destroy().catch(() => undefined));
      this.restarts++;
      this.current = next;
      log.info('child actor restarted', { child: name, restarts: this.restarts });
      return next;
    })();
    // A failed create counts as another crash of the child.
    this.ready.catch((err: unknown) => {
      if (this.stopped || this.escalated) return;
      log.error('could not restart a child actor', { child: name, error: err instanceof Error ? err.message : String(err) });
      const placeholder: ChildRef = { sendAndReceive: () => Promise.reject(err), destroy: () => Promise.resolve() };
      this.current = placeholder;
      this.crashed(placeholder, err instanceof Error ? err.message : String(err));
    });
    return new ChildRestartError(`${name} crashed (${reason}); restarting it in ${decision.delayMs} ms`);
  }

  private giveUp(reason: string): EscalationError {
    const error = new EscalationError(reason);
    this.escalated = error;
    this.options.log.error('child actor keeps crashing; escalating', { child: this.options.child, reason });
    const previous = this.current;
    this.current = undefined;
    void previous?.destroy().catch(() => undefined);
    this.ready = Promise.reject(error);
    this.ready.catch(() => undefined);
    this.options.onEscalate?.(reason);
    return error;
  }
}
