/**
 * The `logpipe` command line (started by main.ts). Conventions shared by every command: `--config
 * FILE` adds a configuration file, `--brokers HOST:PORT,...` overrides kafka.brokers. Exit codes: 0
 * success, 1 failure at run time, 2 bad configuration or usage.
 */
import { Command, CommanderError } from 'commander';
import { registerConfigCommand } from './commands/config';
import { registerDemoCommand } from './commands/demo';
import { registerDevCommand } from './commands/dev';
import { registerGenerateCommand } from './commands/generate';
import { registerIngestCommand } from './commands/ingest';
import { registerTriggerCommand } from './commands/trigger';
import { registerUploadCommand } from './commands/upload';
import { registerReportCommand } from './commands/report';
import { registerStartCommand } from './commands/start';
import { exitCodeOf, formatFailure } from './context';

export function buildProgram(): Command {
  const program = new Command('logpipe')
    .description('Stream log files from S3 into Kafka, count log levels in 60-second windows, email a report when errors spike.')
    .option('-c, --config <file>', 'configuration file merged over config/default.json and config/<NODE_ENV>.json')
    .option('--brokers <list>', 'Kafka bootstrap brokers HOST:PORT[,HOST:PORT...] (overrides kafka.brokers)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerStartCommand(program);
  registerIngestCommand(program);
  registerReportCommand(program);
  registerTriggerCommand(program);
  registerUploadCommand(program);
  registerGenerateCommand(program);
  registerConfigCommand(program);
  registerDevCommand(program);
  registerDemoCommand(program);
  return program;
}

/** Runs the command line `argv` (process.argv); sets process.exitCode. */
export async function main(argv: string[]): Promise<void> {
  // logpipe targets Node 20 (see README); the AWS SDK's notice that its 2027 releases need Node 22
  // would otherwise print on every command. Set the variable to "false" to see it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // `logpipe ... | head` closes stdout early; that is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are "errors" with exit code 0; usage errors were already printed.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    process.stderr.write(`${formatFailure(err)}\n`);
    process.exitCode = exitCodeOf(err);
  }
}

