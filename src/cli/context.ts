/**
 * What every command needs before it does anything: the validated configuration (global options
 * applied) and the root logger. Also the single place that turns an error into an exit code.
 */
import type { Command } from 'commander';
import { ConfigError, loadConfig, type LoadedConfig } from '../system/config/config';
import { createLogger, type Logger } from '../system/observability/logging';
import { GeneratorOptionError } from '../generator/options';

export interface GlobalOptions {
  config?: string;
  brokers?: string;
}

/**
 * Loads the configuration with the global options applied. `--brokers` goes through the same
 * validation as LOGPIPE_KAFKA_BROKERS, so a bad list is reported the same way.
 */
export function loadFromCommand(command: Command, extraFile?: string): LoadedConfig {
  const opts = command.optsWithGlobals<GlobalOptions>();
  const env = { ...process.env };
  if (opts.brokers === undefined) return loadConfig({ file: extraFile ?? opts.config, env });
  env.LOGPIPE_KAFKA_BROKERS = opts.brokers;
  try {
    return loadConfig({ file: extraFile ?? opts.config, env });
  } catch (err) {
    // The value came from the command line, not from the environment: say so.
    if (err instanceof ConfigError) throw new ConfigError(err.lines.map((l) => l.replace('(from env LOGPIPE_KAFKA_BROKERS)', '(from --brokers)')));
    throw err;
  }
}

export function contextFromCommand(command: Command): { loaded: LoadedConfig; logger: Logger } {
  const loaded = loadFromCommand(command);
  const logger = createLogger(loaded.config.log);
  return { loaded, logger };
}

/** A bad command line found after parsing (a missing option, values that contradict each other). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** 2 for configuration and usage problems (nothing was attempted), 1 for everything else. */
export function exitCodeOf(err: unknown): number {
  return err instanceof ConfigError || err instanceof UsageError || err instanceof GeneratorOptionError ? 2 : 1;
}

/** One line per problem, prefixed with the program name; no stack trace for expected failures. */
export function formatFailure(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message
    .split('\n')
    .map((line, i) => (i === 0 || err instanceof ConfigError ? `logpipe: ${line}` : line))
    .join('\n');
}
