#!/usr/bin/env node
/**
 * The `logpipe` command line. Conventions shared by every command: `--config FILE` adds a
 * configuration file, `--brokers HOST:PORT,...` overrides kafka.brokers. Exit codes: 0 success,
 * 1 failure at run time, 2 bad configuration or usage.
 */
import { Command, CommanderError } from 'commander';
import { exitCodeOf, formatFailure } from './context';

type Register = (program: Command) => void;

/**
 * Every command, in --help order, each loaded only when asked for: a command's module pulls in what
 * it runs (an ingest the AWS SDK's S3 client, kafkajs and the actors; the report stage nodemailer and
 * SES; `dev` the local stack), and a process that loaded them all carried about 8 MiB of modules it
 * never used (docs/benchmarks.md, "Ingest memory"). `require` rather than `import()` keeps
 * buildProgram synchronous for the generated CLI reference.
 */
const COMMANDS: Record<string, () => Register> = {
  start: () => (require('./commands/start') as typeof import('./commands/start')).registerStartCommand,
  ingest: () => (require('./commands/ingest') as typeof import('./commands/ingest')).registerIngestCommand,
  report: () => (require('./commands/report') as typeof import('./commands/report')).registerReportCommand,
  trigger: () => (require('./commands/trigger') as typeof import('./commands/trigger')).registerTriggerCommand,
  upload: () => (require('./commands/upload') as typeof import('./commands/upload')).registerUploadCommand,
  generate: () => (require('./commands/generate') as typeof import('./commands/generate')).registerGenerateCommand,
  config: () => (require('./commands/config') as typeof import('./commands/config')).registerConfigCommand,
  dev: () => (require('./commands/dev') as typeof import('./commands/dev')).registerDevCommand,
  demo: () => (require('./commands/demo') as typeof import('./commands/demo')).registerDemoCommand,
};

/** The global options that take a value (see buildProgram): their value is not a command name. */
const VALUE_OPTIONS = new Set(['-c', '--config', '--brokers']);

/**
 * The command `argv` (process.argv: node, script, args...) runs, when it names one of COMMANDS
 * before any other word; undefined otherwise (no command, `help`, --help alone, a misspelt name),
 * when the whole program is needed to answer.
 */
export function commandOf(argv: readonly string[]): string | undefined {
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') return undefined;
    if (VALUE_OPTIONS.has(arg)) {
      i++; // its value
      continue;
    }
    if (arg.startsWith('-')) continue;
    return Object.hasOwn(COMMANDS, arg) ? arg : undefined;
  }
  return undefined;
}

/** The program with every command, or with `only` (a key of COMMANDS) alone. */
export function buildProgram(only?: string): Command {
  const program = new Command('logpipe')
    .description('Stream log files from S3 into Kafka, count log levels in 60-second windows, email a report when errors spike.')
    .option('-c, --config <file>', 'configuration file merged over config/default.json and config/<NODE_ENV>.json')
    .option('--brokers <list>', 'Kafka bootstrap brokers HOST:PORT[,HOST:PORT...] (overrides kafka.brokers)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const [name, load] of Object.entries(COMMANDS)) if (only === undefined || name === only) load()(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  // logpipe targets Node 20 (see README); the AWS SDK's notice that its 2027 releases need Node 22
  // would otherwise print on every command. Set the variable to "false" to see it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // `logpipe ... | head` closes stdout early; that is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  // Only the modules of the command being run (COMMANDS).
  const program = buildProgram(commandOf(argv));
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

if (require.main === module) void main(process.argv);
