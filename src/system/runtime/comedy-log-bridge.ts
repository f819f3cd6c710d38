/**
 * Logger implementation for comedy: comedy calls error/warn/info/debug with loose arguments, the
 * first of an actor's being its name; they are joined into one message under component "comedy".
 *
 * comedy loads it by module path (this module exports the class itself, as comedy requires) and
 * sends the path and `loggerParams` to every forked process, so the parameters are plain JSON: the
 * logging configuration, from which a forked process builds its own root logger. In the process that
 * creates the actor system, the bridge writes to that process's root logger instead, handed over
 * through `ComedyLogBridge.handOver()` for the synchronous duration of `createSystem`.
 */
import { createLogger, joinArgs, type Logger, type LoggerOptions } from '../observability/logging';

class ComedyLogBridge {
  private static handedOver: Logger | undefined;

  /** Runs `create` (which constructs an actor system) with `logger` as the bridge's root logger. */
  static handOver<T>(logger: Logger, create: () => T): T {
    ComedyLogBridge.handedOver = logger;
    try {
      return create();
    } finally {
      ComedyLogBridge.handedOver = undefined;
    }
  }

  private readonly log: Logger;

  constructor(params: { log?: Pick<LoggerOptions, 'level' | 'format'>; logger?: Logger }) {
    const root = params.logger ?? ComedyLogBridge.handedOver ?? createLogger({ level: params.log?.level ?? 'info', format: params.log?.format ?? 'json' });
    this.log = root.child({ component: 'comedy' });
  }

  error(...args: unknown[]): void {
    this.log.error(joinArgs(args));
  }

  warn(...args: unknown[]): void {
    this.log.warn(joinArgs(args));
  }

  info(...args: unknown[]): void {
    this.log.info(joinArgs(args));
  }

  debug(...args: unknown[]): void {
    this.log.debug(joinArgs(args));
  }
}

export = ComedyLogBridge;
