/**
 * What every actor gets from its creator through comedy's custom parameters: the validated
 * configuration (plain JSON, so an actor can also run in a forked process), the log topic of this
 * run, references to the actors it talks to, and, in-memory only, the process's root logger.
 */
import path from 'node:path';
import type { ActorRef } from 'comedy';
import type { LogpipeConfig } from '../system/config/config';
import { createLogger, type Logger } from '../system/observability/logging';
import type { Metrics } from '../system/observability/metrics';

export interface ActorParameters {
  config: LogpipeConfig;
  /** The log topic (kafka.topic, or --topic). */
  topic: string;
  /** Shared root logger; absent in a forked process, which creates its own from the configuration. */
  logger?: Logger;
  /** Actors this one sends to, by role. */
  refs?: Record<string, ActorRef>;
  /** ReportActor: keep committed reports for takeReports() (logpipe report --exit-when-idle). */
  keepReports?: boolean;
  /**
   * The process's metrics, in-memory only (like `logger`): the service's for the actors it creates.
   * Absent in a forked worker, which makes its own, and in one-shot commands that serve no metrics.
   */
  metrics?: Metrics;
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
