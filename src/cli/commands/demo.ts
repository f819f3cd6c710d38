import path from 'node:path';
import type { Command } from 'commander';
import { runDemo } from '../../demo/demo';
import { createDemoLogger } from '../../demo/log';
import { summaryLines } from '../../demo/summary';
import { stackDir } from '../../devstack/stack';
import { loadFromCommand, UsageError } from '../context';

interface DemoCliOptions {
  duration?: string;
  hosts: string;
  cycleSeconds: string;
}

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${name} must be a whole number greater than 0, got "${value}"`);
  return n;
}

/**
 * `logpipe demo` (what `npm run demo` runs): the whole pipeline on the local stack. Prints windows
 * and emails as they happen on stdout; the service's own logs go as JSON lines to
 * <stack.dir>/logs/demo.log, and its warnings and errors also to stderr as one readable line each
 * (src/demo/log.ts).
 */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the whole pipeline locally: simulated hosts upload logs, the AWS chain triggers ingest, windows and alert emails appear (Ctrl-C stops)')
    .option('--duration <seconds>', 'stop after this many seconds and print a summary; exit 1 if no alert email arrived')
    .option('--hosts <n>', 'simulated hosts', '3')
    .option('--cycle-seconds <s>', 'seconds between two uploads of a host (the original: 20 minutes)', '10')
    .action(async (opts: DemoCliOptions, command: Command) => {
      const loaded = loadFromCommand(command);
      const durationSeconds = opts.duration === undefined ? undefined : positiveInt('--duration', opts.duration);
      const logFile = path.join(stackDir(loaded.config), 'logs', 'demo.log');
      const logger = createDemoLogger({ level: loaded.config.log.level, file: logFile, console: process.stderr, isTTY: process.stderr.isTTY === true });
      let interrupt: () => void = () => undefined;
      const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
      const onSignal = (): void => {
        process.stdout.write('Stopping ...\n');
        interrupt();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const summary = await runDemo(loaded.config, logger, {
          durationSeconds,
          hosts: positiveInt('--hosts', opts.hosts),
          cycleSeconds: positiveInt('--cycle-seconds', opts.cycleSeconds),
          print: (line) => process.stdout.write(`${line}\n`),
          logFile,
          interrupted,
        });
        logger.info('demo finished', { component: 'demo', ...summary });
        process.stdout.write(`\n${summaryLines(summary).join('\n')}\n`);
        if (durationSeconds !== undefined && summary.emails === 0) {
          process.stderr.write('logpipe demo: no alert email arrived in the SES emulator during the run\n');
          process.exitCode = 1;
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
