import type { Command } from 'commander';
import { startService } from '../../system/service';
import { contextFromCommand } from '../context';

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
          void service.stop().then(() => resolve(err));
        };
        const onSignal = (signal: NodeJS.Signals): void => {
          logger.info('signal received', { component: 'cli', signal });
          stop(undefined);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        void service.fatal.then(stop);
      });
      if (failure) throw failure;
    });
}
