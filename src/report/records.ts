/**
 * From a log-topic record to what the window aggregator counts. The ingest stage stamps every record
 * with a `level` header and ERROR records with a `message` header; records written by other
 * producers (kcat, an application) have no such headers, and their first line is parsed here with
 * the format detected from that line alone.
 *
 * Event time: the record timestamp, or the `time` header where the ingest stage put it there
 * (eventTimeOf).
 *
 * A log entry split into parts (flags `part=N`, N >= 1, for entries over parser.maxEntryBytes) counts
 * once: the continuation parts are not counted.
 */
import { newHeader } from '../model/formats';
import { LEVELS, type Level, normalizeLevel } from '../model/levels';
import { detectFormat, messageOf } from '../model/parser';
import { EVENT_TIME_HEADER } from '../system/config/topic-settings';
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
  const timeMs = eventTimeOf(m);
  let level = header(m, 'level') as Level | undefined;
  let message = header(m, 'message');
  if (level === undefined || !(LEVELS as readonly string[]).includes(level)) {
    const parsed = parseFirstLine(m.value);
    level = parsed.level;
    message = parsed.message;
  }
  return { timeMs, arrivalMs, level, source, message: level === 'ERROR' ? message ?? parseFirstLine(m.value).message : '' };
}

/**
 * A record's event time, epoch ms: its EVENT_TIME_HEADER header when that holds a whole number (the
 * ingest stage under kafka.topicProfile msk-serverless, whose record timestamp is the ingest time),
 * else its record timestamp (the ingest stage otherwise, and other producers).
 */
export function eventTimeOf(m: LogTopicMessage): number {
  const h = header(m, EVENT_TIME_HEADER);
  if (h !== undefined && /^-?\d{1,16}$/.test(h)) return Number(h);
  return Number(m.timestamp);
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
