/**
 * Structured logging for every part of logpipe: winston, one JSON object per line on stdout, or a
 * readable line per event when stdout is a TTY (format `auto`). Components log through a child
 * logger carrying `component`; errors go in a field named `error`.
 *
 * kafkajs and comedy have their own loggers; kafkaLogCreator() and ComedyLogBridge (../runtime/comedy-log-bridge.ts) route them here so
 * that nothing is printed beside the structured stream.
 */
import util from 'node:util';
import winston from 'winston';
import type { LogEntry as KafkaLogEntry, logCreator } from 'kafkajs';
import { logLevel as KafkaLogLevel } from 'kafkajs';
import type { LogFormat, LogLevel } from '../config/config';

export type Logger = winston.Logger;

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  stream?: NodeJS.WritableStream;
  /** Whether the output is a terminal; decides `auto`. Defaults to process.stdout.isTTY. */
  isTTY?: boolean;
}

/** Creates the root logger. Call once per process and hand out children with `child({component})`. */
export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.format === 'pretty' || (options.format === 'auto' && (options.isTTY ?? process.stdout.isTTY === true));
  const format = pretty
    ? winston.format.combine(winston.format.errors({ stack: false }), winston.format.timestamp({ format: 'HH:mm:ss.SSS' }), prettyLine())
    : winston.format.combine(winston.format.errors({ stack: true }), winston.format.timestamp(), serializeErrors(), winston.format.json());
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  return winston.createLogger({ level: options.level, format, transports: [transport] });
}

/** Turns an `error` field holding an Error into {message, name, code, stack} so JSON keeps it. */
const serializeErrors = winston.format((info) => {
  const err = (info as Record<string, unknown>).error;
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code;
    (info as Record<string, unknown>).error = {
      name: err.name,
      message: err.message,
      ...(typeof code === 'string' ? { code } : {}),
      stack: err.stack,
    };
  }
  return info;
});

const LEVEL_COLOURS: Record<string, string> = { error: '\x1b[31m', warn: '\x1b[33m', info: '\x1b[32m', debug: '\x1b[90m' };

function prettyLine(): winston.Logform.Format {
  return winston.format.printf((info) => {
    const { level, message, timestamp, component, ...rest } = info as Record<string, unknown>;
    const fields = Object.entries(rest)
      .filter(([k]) => typeof k === 'string')
      .map(([k, v]) => `${k}=${v instanceof Error ? v.message : typeof v === 'string' ? v : util.inspect(v, { breakLength: Infinity, depth: 3 })}`)
      .join(' ');
    const colour = LEVEL_COLOURS[String(level)] ?? '';
    const reset = colour ? '\x1b[0m' : '';
    const where = component ? ` [${String(component)}]` : '';
    return `${String(timestamp)} ${colour}${String(level).padEnd(5)}${reset}${where} ${String(message)}${fields ? `  ${fields}` : ''}`;
  });
}

const KAFKA_LEVELS: Record<number, LogLevel> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/** kafkajs's numeric level matching a winston level, for the client's `logLevel` option. */
export function kafkaLogLevel(level: LogLevel): KafkaLogLevel {
  return { error: KafkaLogLevel.ERROR, warn: KafkaLogLevel.WARN, info: KafkaLogLevel.INFO, debug: KafkaLogLevel.DEBUG }[level];
}

/**
 * The level an entry is logged at. kafkajs logs every error response of the protocol layer
 * (namespace Connection, "Response ...") at ERROR, including retriable ones such as "coordinator
 * loading" on a fresh broker, and logs each retry it schedules (a `retryCount` field) at ERROR too.
 * The operation's final failure is logged again by the layer above and thrown to the caller, so
 * these become debug and warn.
 */
export function kafkaEntryLevel(namespace: string, level: number, log: { message: string; retryCount?: unknown }): LogLevel {
  const mapped = KAFKA_LEVELS[level] ?? 'info';
  if (mapped !== 'error') return mapped;
  if (namespace === 'Connection' && log.message.startsWith('Response ')) return 'debug';
  // Right after a commit the broker may still be writing its markers; a new transaction's first
  // send is refused with CONCURRENT_TRANSACTIONS and retried. Routine on every transactional producer.
  if (log.retryCount !== undefined && /concurrent operation on the same transaction|CONCURRENT_TRANSACTIONS/.test(log.message)) return 'debug';
  if (log.retryCount !== undefined) return 'warn';
  return mapped;
}

/** A kafkajs logCreator writing through `logger` with component "kafkajs" and the kafkajs namespace. */
export function kafkaLogCreator(logger: Logger): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }: KafkaLogEntry) => {
      const { message, timestamp: _ignored, logger: _name, ...fields } = log as KafkaLogEntry['log'] & { logger?: string };
      child.log(kafkaEntryLevel(namespace, level, log), message, { namespace, ...fields });
    };
}

/** comedy's loose log arguments as one message: strings as they are, errors with their stack, the rest inspected. */
export function joinArgs(args: unknown[]): string {
  return args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.stack ?? a.message : util.inspect(a, { depth: 4, breakLength: Infinity }))).join(' ');
}
