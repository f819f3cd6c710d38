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
  return new WindowRecordReader().read(m, arrivalMs);
}

const LEVEL_BYTES = LEVELS.map((level) => ({ level, bytes: Buffer.from(level) }));

/** The level a header value names exactly, without decoding it to a string; undefined for anything else. */
function levelOfBytes(v: Buffer): Level | undefined {
  for (const { level, bytes } of LEVEL_BYTES) {
    if (v.length !== bytes.length) continue;
    let i = 0;
    while (i < v.length && v[i] === bytes[i]) i++;
    if (i === v.length) return level;
  }
  return undefined;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * windowRecordOf for a stream of records, without a string per record for what repeats: the key
 * of the previous record is reused when the bytes are the same (a partition's records come one
 * object at a time), and the ingest `level` header is matched as bytes. Same results as
 * windowRecordOf; one reader per batch or partition.
 */
export class WindowRecordReader {
  private lastKey: Buffer | null = null;
  private lastSource = '';

  read(m: LogTopicMessage, arrivalMs: number): WindowRecord | undefined {
    const rawFlags = m.headers?.flags;
    if (rawFlags !== undefined) {
      const flags = header(m, 'flags');
      if (flags && /(^|,)part=[1-9]/.test(flags)) return undefined;
    }
    const timeMs = m.headers?.[EVENT_TIME_HEADER] === undefined ? Number(m.timestamp) : eventTimeOf(m);
    const raw = m.headers?.level;
    const first = Array.isArray(raw) ? raw[0] : raw;
    let level = first === undefined ? undefined : Buffer.isBuffer(first) ? levelOfBytes(first) : (LEVELS as readonly string[]).includes(first) ? (first as Level) : undefined;
    let message: string | undefined;
    if (level === undefined) {
      const parsed = parseFirstLine(m.value);
      level = parsed.level;
      message = parsed.message;
    } else if (level === 'ERROR') {
      message = header(m, 'message') ?? parseFirstLine(m.value).message;
    }
    return { timeMs, arrivalMs, level, source: this.sourceOf(m.key), message: level === 'ERROR' ? message ?? '' : '' };
  }

  private sourceOf(key: Buffer | null | undefined): string {
    if (!key) return '';
    if (this.lastKey === null || !sameBytes(key, this.lastKey)) {
      this.lastKey = key;
      this.lastSource = key.toString();
    }
    return this.lastSource;
  }
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
