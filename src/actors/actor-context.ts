/**
 * What every actor gets from its creator through comedy's custom parameters: the validated
 * configuration (plain JSON, so an actor can also run in a forked process), the log topic of this
 * run, references to the actors it talks to, and, in-memory only, the process's root logger.
 */
import path from 'node:path';
import type { Actor, ActorRef } from 'comedy';
import type { LogpipeConfig } from '../system/config/config';
import { createLogger, type Logger } from '../system/observability/logging';
import type { Metrics } from '../system/observability/metrics';
import { RestartPolicy } from './restart-policy';
import { type ChildRef, Supervisor } from './supervisor';

/** Named moments at which a test may crash an actor (see ActorParameters.faults). */
export type FaultPoint = 'publisher.commit' | 'streamer.chunk' | 'fetcher.chunk' | 'watcher.request' | 'report.message';

export interface ActorParameters {
  config: LogpipeConfig;
  /** The log topic (kafka.topic, or --topic). */
  topic: string;
  /** Shared root logger; absent in a forked process, which creates its own from the configuration. */
  logger?: Logger;
  /** Actors this one sends to, by role. */
  refs?: Record<string, ActorRef>;
  /**
   * S3WatcherActor: how many ingest workers (FileFetcherActors) to create and supervise; 1 if
   * absent. The pipeline sets it from ingest.workers for `logpipe start` (workerCount).
   */
  workers?: number;
  /** ReportActor: keep committed reports for takeReports() (logpipe report --exit-when-idle). */
  keepReports?: boolean;
  /**
   * The process's metrics, in-memory only (like `logger`): the service's for the actors it creates.
   * Absent in a forked worker, which makes its own, and in one-shot commands that serve no metrics.
   */
  metrics?: Metrics;
  /**
   * In-memory only: how this actor tells its supervisor that it gives up (a child of its own spent
   * its restart budget) when no message of the supervisor is there to fail with it. A forked actor's
   * escalation reaches its supervisor as the answer to the message in flight instead.
   */
  escalate?: (reason: string) => void;
  /**
   * Tests only (in-memory; absent in production): called at the named moments of an actor's work,
   * and throws to crash the actor right there (FoundationDB's "buggify" idea: the crash goes through
   * the same code paths a real one does). Passed on to the actor's children.
   */
  faults?: (point: FaultPoint, detail: string) => void;
}

/** The configuration, topic, the root logger, a child logger named after the actor, and the peers. */
export function actorContext(params: ActorParameters, component: string): { config: LogpipeConfig; topic: string; root: Logger; logger: Logger; refs: Record<string, ActorRef> } {
  const root = params.logger ?? createLogger(params.config.log);
  return { config: params.config, topic: params.topic, root, logger: root.child({ component }), refs: params.refs ?? {} };
}

/**
 * The comedy module path of an actor in src/actors (dist/actors once built). comedy treats a path
 * starting with "//" as absolute (one "/" means relative to the application root), and a forked
 * process loads the actor by this path.
 */
export function actorModule(name: string): string {
  return `/${path.join(__dirname, '..', 'actors', name)}`;
}

/** The restart policy of one parent → child link, from the configuration (the same for every link). */
export function restartPolicy(config: LogpipeConfig): RestartPolicy {
  const { workerRestartDelayMs, workerMaxRestarts, workerRestartWindowMs } = config.ingest;
  return new RestartPolicy({ initialDelayMs: workerRestartDelayMs, maxRestarts: workerMaxRestarts, windowMs: workerRestartWindowMs });
}

export interface SupervisedChildOptions {
  /**
   * The child's comedy configuration. Without `mode`, comedy takes the mode from the actor system's
   * configuration (actorModes, given to comedy by createActorSystem).
   */
  childConfig: { mode?: 'in-memory' | 'forked'; customParameters: ActorParameters };
  /** Whether the child runs in this process: then it gets an `escalate` callback (a function cannot cross to a forked one). */
  inProcess: boolean;
  config: LogpipeConfig;
  log: Logger;
  onEscalate?: (reason: string) => void;
  /** How long creating an instance may take before it counts as a crash (CHILD_START_TIMEOUT_MS if absent). */
  startTimeoutMs?: number;
  /** A message sent to an instance before destroying it (a graceful stop its destroy() cannot do, because comedy destroys its children first). */
  stopMessage?: string;
}

/**
 * Creates the child actor `name` (a module of src/actors) under `parent` with comedy createChild,
 * supervised by the one strategy of supervisor.ts: every restart creates a new instance under the
 * same parent. Rejects when the first instance cannot be created.
 */
export async function createSupervisedChild(parent: Pick<Actor, 'createChild'>, name: string, options: SupervisedChildOptions): Promise<Supervisor> {
  const { childConfig, config, log } = options;
  let supervisor: Supervisor | undefined;
  const customParameters: ActorParameters = options.inProcess ? { ...childConfig.customParameters, escalate: (reason) => supervisor?.escalate(reason) } : childConfig.customParameters;
  const create = async (signal: AbortSignal): Promise<ChildRef> => {
    const creating = parent.createChild(actorModule(name), { ...childConfig, customParameters });
    const ref = await startedWithin(creating, options.startTimeoutMs ?? CHILD_START_TIMEOUT_MS, className(name), { signal, onGiveUp: () => forgetPendingChild(parent, creating) });
    return {
      sendAndReceive: (topic, ...args) => ref.sendAndReceive(topic, ...args) as Promise<unknown>,
      destroy: async () => {
        releaseCrashedActor(ref);
        if (options.stopMessage) await ref.sendAndReceive(options.stopMessage).catch(() => undefined);
        await ref.destroy();
      },
    };
  };
  supervisor = new Supervisor({ child: className(name), create, policy: restartPolicy(config), log, ...(options.onEscalate ? { onEscalate: options.onEscalate } : {}) });
  return supervisor.start();
}

/**
 * How long comedy's createChild may take. comedy 2.1.7 never settles it when a forked child's
 * process dies while starting (a SIGKILL before the child answered its create message: only a
 * fork error rejects it), and the supervisor would wait for that instance for ever, with every
 * call to the child (fault scenario R14). A forked worker starts in 1–3 s here, under load in 10.
 */
export const CHILD_START_TIMEOUT_MS = 30_000;

/**
 * `creating`, or a rejection after `ms` (the supervisor counts it as a crash and creates another
 * instance) or as soon as `signal` aborts (its supervisor is being destroyed); either way
 * `onGiveUp` is called once, and an instance that still arrives later is destroyed, so no process
 * is left behind.
 */
export async function startedWithin<T extends { destroy(): Promise<void> | void }>(
  creating: Promise<T>,
  ms: number,
  child: string,
  options: { signal?: AbortSignal; onGiveUp?: () => void } = {},
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let late = false;
  let onAbort: (() => void) | undefined;
  const givenUp = new Promise<never>((_, reject) => {
    const giveUp = (why: string): void => {
      if (late) return;
      late = true;
      options.onGiveUp?.();
      reject(new Error(`${child} ${why}`));
    };
    timer = setTimeout(() => giveUp(`did not start within ${ms} ms (its process may have died while starting)`), ms);
    onAbort = () => giveUp('was being started when its supervisor was destroyed');
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  creating.then((ref) => (late ? void Promise.resolve(ref.destroy()).catch(() => undefined) : undefined), () => undefined);
  try {
    return await Promise.race([creating, givenUp]);
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Lets a parent's destroy go on without a child whose start was given up (startedWithin). comedy
 * 2.1.7's Actor.destroy() first waits for every promise in its `childPromises`, the pending
 * createChild among them, which for a forked child killed while it started never settles: the
 * parent, and with it the whole shutdown, would wait for ever (seen as R14's shutdowns that ran
 * out of time). Removing that promise is what comedy itself does once a creation settles.
 */
export function forgetPendingChild(parent: unknown, creating: Promise<unknown>): void {
  const actor = parent as { childPromises?: unknown };
  if (Array.isArray(actor.childPromises)) actor.childPromises = actor.childPromises.filter((p) => p !== creating);
}

/** The class name of an actor module: file-fetcher-actor → FileFetcherActor (comedy's actor name). */
function className(module: string): string {
  return module.replace(/(^|-)([a-z0-9])/g, (_m, _dash: string, c: string) => c.toUpperCase());
}

/**
 * comedy's per-actor configuration (its `config` option, keyed by actor class name): the modes the
 * configuration sets. Only the FileFetcherActor (the ingest worker, with its streamer and publisher
 * as in-memory children) may be forked; every other actor is in-memory (comedy's default), because
 * it shares the process's logger and metrics.
 */
export function actorModes(config: LogpipeConfig): Record<string, { mode: 'in-memory' | 'forked' }> {
  return { FileFetcherActor: { mode: config.ingest.workerMode } };
}

/**
 * comedy 2.1.7 leaves a crashed forked actor's 1-second response-timeout interval running (it is
 * cleared only when the child answers the destroy message, which a dead process never does), and that
 * interval keeps this process alive after everything else stopped. Cleared here for a crashed actor.
 */
function releaseCrashedActor(ref: ActorRef): void {
  const actor = (ref as unknown as { getWrapped?: () => { getState?: () => string; timeoutWorkerInterval?: NodeJS.Timeout } }).getWrapped?.();
  if (actor?.getState?.() === 'crashed' && actor.timeoutWorkerInterval) clearInterval(actor.timeoutWorkerInterval);
}
