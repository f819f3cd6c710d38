import type { Command } from 'commander';
import { startService } from '../../system/runtime/service';
import { contextFromCommand } from '../context';

/**
 * How long a shutdown may take before the process exits anyway. Nothing is lost by exiting: what
 * was not committed is aborted by Kafka (the transactional ids fence it at the next start).
 */
const SHUTDOWN_TIMEOUT_MS = 30_000;

/**
 * After a clean stop everything is committed or aborted, and the process should end. A timer a
 * library leaves behind must not hold it (kafkajs kept one alive for ~10 minutes after a broker
 * outage in the fault suite, R2), nor systemd's stop or a rolling restart with it.
 */
const EXIT_GRACE_MS = 1_000;

/** `logpipe start`: runs the service until SIGINT or SIGTERM, then shuts down cleanly. */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the logpipe service (actor system and control server on control.host:control.port) until SIGINT/SIGTERM')
    .action(async (_opts: unknown, command: Command) => {
      const { loaded, logger } = contextFromCommand(command);
      const service = await startService(loaded.config, logger);
      const failure = await new Promise<Error | undefined>((resolve) => {
        const stop = (err: Error | undefined): void => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          const deadline = setTimeout(() => {
            logger.error('shutdown did not finish in time; exiting anyway (Kafka aborts what was not committed)', { component: 'cli', timeoutMs: SHUTDOWN_TIMEOUT_MS });
            process.exit(1);
          }, SHUTDOWN_TIMEOUT_MS);
          void service.stop().then(() => {
            clearTimeout(deadline);
            resolve(err);
          });
        };
        const onSignal = (signal: NodeJS.Signals): void => {
          logger.info('signal received', { component: 'cli', signal });
          stop(undefined);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        void service.fatal.then(stop);
      });
      setTimeout(() => process.exit(process.exitCode ?? (failure ? 1 : 0)), EXIT_GRACE_MS).unref();
      if (failure) throw failure;
    });
}
