/**
 * From a log-topic record to what the window aggregator counts. The ingest stage stamps every record
 * with a `level` header and ERROR records with a `message` header; records written by other
 * producers (kcat, an application) have no such headers, and their first line is parsed here with
 * the format detected from that line alone.
 *
 * A log entry split into parts (flags `part=N`, N >= 1, for entries over parser.maxEntryBytes) counts
 * once: the continuation parts are not counted.
 */
import { newHeader } from '../model/formats';
import { LEVELS, type Level, normalizeLevel } from '../model/levels';
import { detectFormat, messageOf } from '../model/parser';
import type { WindowRecord } from './window';

export interface LogTopicMessage {
  key: Buffer | null;
  value: Buffer | null;
  /** Epoch ms as a string, as kafkajs delivers it. */
  timestamp: string;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

function header(m: LogTopicMessage, name: string): string | undefined {
  const h = m.headers?.[name];
  const v = Array.isArray(h) ? h[0] : h;
  return v === undefined ? undefined : v.toString();
}

/** The record as the aggregator sees it; undefined for a continuation part of a split entry. */
export function windowRecordOf(m: LogTopicMessage, arrivalMs: number): WindowRecord | undefined {
  const flags = header(m, 'flags');
  if (flags && /(^|,)part=[1-9]/.test(flags)) return undefined;
  const source = m.key?.toString() ?? '';
  const timeMs = Number(m.timestamp);
  let level = header(m, 'level') as Level | undefined;
  let message = header(m, 'message');
  if (level === undefined || !(LEVELS as readonly string[]).includes(level)) {
    const parsed = parseFirstLine(m.value);
    level = parsed.level;
    message = parsed.message;
  }
  return { timeMs, arrivalMs, level, source, message: level === 'ERROR' ? message ?? parseFirstLine(m.value).message : '' };
}

/** Level and message of a value's first line, for records without the ingest headers. */
export function parseFirstLine(value: Buffer | null): { level: Level; message: string } {
  if (!value) return { level: 'UNPARSED', message: '' };
  const nl = value.indexOf(10);
  const line = value.subarray(0, nl < 0 ? value.length : nl).toString('utf8').replace(/\r$/, '');
  const format = detectFormat([line]);
  const h = newHeader();
  if (!format.header(line, h)) return { level: 'UNPARSED', message: '' };
  const level = normalizeLevel(h.levelText) ?? 'UNPARSED';
  return { level, message: messageOf(line, h.messageStart) };
}
