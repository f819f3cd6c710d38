/**
 * Where `logpipe demo` sends the service's logs. The demo's own lines (windows, emails, the summary)
 * are for people, on stdout. The service's structured logs are for operators: every entry at
 * log.level goes to a JSON-lines file, one object per line as `logpipe start` writes them (nothing
 * is lost when the terminal shows less). The terminal gets one short human line per warning or
 * error, whatever stderr is (a terminal, a pipe to `tee`, a CI log): a JSON object between the
 * demo's lines is unreadable there, and its fields are in the file. Colour only on a TTY.
 */
import fs from 'node:fs';
import path from 'node:path';
import winston from 'winston';
import type { LogLevel } from '../system/config/config';
import { createLogger, type Logger } from '../system/observability/logging';

export interface DemoLoggerOptions {
  /** Level of the file (log.level); the terminal shows warn and error only. */
  level: LogLevel;
  /** The JSON-lines file; appended to, its folder created. */
  file: string;
  /** The terminal's stream (stderr). */
  console: NodeJS.WritableStream;
  /** Whether `console` is a terminal: colour on. */
  isTTY: boolean;
}

const COLOURS: Record<string, string> = { error: '\x1b[31m', warn: '\x1b[33m' };

/**
 * The terminal's line for one log entry: `HH:MM:SS warning [component] message (see FILE)`; an
 * `error` field's message is added, other fields stay in the file.
 */
export function consoleLine(entry: { level: string; message: unknown; component?: unknown; error?: unknown }, file: string, colour: boolean, now = new Date()): string {
  const word = entry.level === 'warn' ? 'warning' : entry.level;
  const paint = colour && COLOURS[entry.level] ? (s: string): string => `${COLOURS[entry.level]}${s}\x1b[0m` : (s: string): string => s;
  const where = entry.component ? ` [${String(entry.component)}]` : '';
  const err = entry.error;
  const reason = err instanceof Error ? err.message : typeof err === 'string' ? err : err && typeof err === 'object' && 'message' in err ? String((err as { message: unknown }).message) : undefined;
  return `${now.toISOString().slice(11, 19)} ${paint(word)}${where} ${String(entry.message)}${reason ? `: ${reason.split('\n')[0]}` : ''}  (see ${file})`;
}

/** The demo's root logger: JSON lines to `file` at `level`, warnings and errors as human lines to `console`. */
export function createDemoLogger(o: DemoLoggerOptions): Logger {
  fs.mkdirSync(path.dirname(o.file), { recursive: true });
  const logger = createLogger({ level: o.level, format: 'json', stream: fs.createWriteStream(o.file, { flags: 'a' }) });
  // A transport's format gets a copy of the entry after the logger's format (timestamp, errors).
  const human = winston.format.printf((info) => consoleLine(info as Parameters<typeof consoleLine>[0], o.file, o.isTTY));
  logger.add(new winston.transports.Stream({ stream: o.console, level: 'warn', format: human }));
  return logger;
}
