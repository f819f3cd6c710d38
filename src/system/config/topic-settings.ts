/**
 * The settings logpipe gives the topics it creates, and the size bounds its records must respect.
 * Pure: no Kafka. src/ingest/topics.ts and ensureReportTopics (src/system/kafka/topics.ts) create topics
 * from these settings; that module checks existing topics against them; the configuration
 * refuses bounds that cannot fit at start-up (topicSettingsProblems).
 *
 * Profiles (kafka.topicProfile):
 * - `standard`: any Kafka. The log topic accepts record timestamps of any age
 *   (message.timestamp.before/after.max.ms = Long.MAX: record timestamps are event times, and Kafka 4
 *   refuses timestamps more than an hour ahead by default); the report state and partials topics
 *   accept 16 MiB records.
 * - `msk-serverless`: only topic settings Amazon MSK Serverless accepts (cleanup.policy at creation,
 *   max.message.bytes up to 8 MiB, retention.*, compression.type, message.timestamp.type and
 *   message.timestamp.difference.max.ms; the latter was removed in Kafka 4, so it cannot be relied
 *   on either). No message.timestamp setting: log records carry their ingest time as the record
 *   timestamp and the event time in the EVENT_TIME_HEADER header, which the report stage reads
 *   (src/report/records.ts). Any timestamp check a broker makes passes then, and time-based
 *   retention counts from ingest, not from the lines' (possibly old) event times.
 */
import { MAX_MESSAGE } from '../../model/parser';
import { TOP_ERRORS } from '../../report/window';

export const TOPIC_PROFILES = ['standard', 'msk-serverless'] as const;
export type TopicProfile = (typeof TOPIC_PROFILES)[number];

/** Long.MAX as Kafka writes it: "no limit" for message.timestamp.*.max.ms. */
export const ANY_TIME = '9223372036854775807';
/** The largest max.message.bytes MSK Serverless accepts (its documented maximum). */
export const MSK_SERVERLESS_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
/** max.message.bytes of the report state and partials topics when nothing caps it. */
export const REPORT_TOPIC_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Header of a log record carrying the entry's event time (epoch ms, decimal) when the record timestamp is the ingest time. */
export const EVENT_TIME_HEADER = 'time';

/**
 * Room for a record batch's own framing (61 bytes of batch header; the rest is margin). A request's
 * records to one partition form one record batch, which the broker compares with max.message.bytes.
 */
export const BATCH_OVERHEAD_BYTES = 1024;
/**
 * The most a log record adds to its value: its key (the source: an S3 key, at most 1,024 bytes) and
 * its headers: object (the object id `s3://bucket/key#version`: bucket 63, key 1,024, version id or
 * ETag 1,024 allowed), line, level, flags and time (under 100 together), message (at most MAX_MESSAGE UTF-16 units, 3 bytes
 * each in UTF-8), their names and the record's varints (under 200). Rounded up.
 */
export const MAX_RECORD_OVERHEAD_BYTES = 8 * 1024;
/**
 * How many windows at the configured bounds a report state or partials record must hold. A partition
 * task's state holds its open windows and the closed ones not yet sent, a partial the windows one
 * commit closed, the merge state the windows waiting for every partition: usually one to three.
 */
export const WINDOWS_PER_RECORD = 4;

export interface TopicLimits {
  profile: TopicProfile;
  /** Largest max.message.bytes logpipe may set on a topic; 0 for the profile's own limit. */
  topicMaxMessageBytes: number;
}

/** Settings the sizing depends on (a subset of LogpipeConfig, so that this module stays pure). */
export interface SizingConfig {
  kafka: TopicLimits;
  ingest: { batchMaxBytes: number; maxLineBytes: number };
  parser: { maxEntryBytes: number };
  report: { maxErrorMessages: number };
}

/** The cap on max.message.bytes: kafka.topicMaxMessageBytes if set, else the profile's (none for standard). */
export function messageBytesCap(kafka: TopicLimits): number {
  if (kafka.topicMaxMessageBytes > 0) return kafka.topicMaxMessageBytes;
  return kafka.profile === 'msk-serverless' ? MSK_SERVERLESS_MAX_MESSAGE_BYTES : Number.POSITIVE_INFINITY;
}

/** The largest record value ingest writes: a truncated line or a (part of a) multi-line entry. */
export function maxLogValueBytes(config: Pick<SizingConfig, 'ingest' | 'parser'>): number {
  return Math.max(config.ingest.maxLineBytes, config.parser.maxEntryBytes);
}

/**
 * max.message.bytes of the log topic logpipe creates: a whole batch (batchMaxBytes of values plus the
 * entry that crossed it) with 1 MiB for the records' keys and headers, capped (messageBytesCap).
 * Under a cap the publisher splits a batch into requests that fit (logRequestBytes).
 */
export function logTopicMessageBytes(config: Pick<SizingConfig, 'kafka' | 'ingest' | 'parser'>): number {
  return Math.min(config.ingest.batchMaxBytes + maxLogValueBytes(config) + 1024 * 1024, messageBytesCap(config.kafka));
}

/** max.message.bytes of the report state and partials topics logpipe creates. */
export function reportTopicMessageBytes(kafka: TopicLimits): number {
  return Math.min(REPORT_TOPIC_MESSAGE_BYTES, messageBytesCap(kafka));
}

/** The most one log record takes in a record batch: the largest value and MAX_RECORD_OVERHEAD_BYTES. */
export function maxLogRecordBytes(config: Pick<SizingConfig, 'ingest' | 'parser'>): number {
  return maxLogValueBytes(config) + MAX_RECORD_OVERHEAD_BYTES;
}

/**
 * The byte budget of one produce request of log records on a topic whose max.message.bytes is
 * `topicMessageBytes` (see ObjectPublisher's maxRequestBytes).
 */
export function logRequestBytes(topicMessageBytes: number): number {
  return topicMessageBytes - BATCH_OVERHEAD_BYTES;
}

/**
 * An upper bound of one window's JSON in a report state or partials record: its fixed fields (2 KiB:
 * counts, ids, times) and its tracked ERROR messages (report.maxErrorMessages, plus the TOP_ERRORS
 * of the top list) of at most MAX_MESSAGE UTF-16 units, 3 bytes each in UTF-8, with 40 bytes of JSON
 * around each. Per-source counts are not included: their number is not bounded by the configuration
 * (about 230 bytes per source with a 60-byte name). Measured: a window with 1,000 distinct 500-character
 * ASCII messages and 1,000 sources takes 763 kB (this bound says 1.55 MB for it).
 */
export function windowBytesBound(maxErrorMessages: number): number {
  return 2048 + (maxErrorMessages + TOP_ERRORS) * (MAX_MESSAGE * 3 + 40);
}

/** The largest report.maxErrorMessages for which WINDOWS_PER_RECORD windows fit in `messageBytes`. */
export function maxErrorMessagesFor(messageBytes: number): number {
  return Math.max(0, Math.floor((messageBytes / WINDOWS_PER_RECORD - 2048) / (MAX_MESSAGE * 3 + 40)) - TOP_ERRORS);
}

/**
 * Configurations whose records cannot fit the topics logpipe would create; one line per problem,
 * naming the keys to change, and where the named key's value came from when `origin` says. Empty
 * when everything fits.
 */
export function topicSettingsProblems(config: SizingConfig, origin?: (key: string) => string): string[] {
  const problems: string[] = [];
  const from = (key: string): string => (origin ? ` (${origin(key)})` : '');
  const { kafka, report } = config;
  const limitKeys = `kafka.topicProfile ${kafka.profile}${kafka.topicMaxMessageBytes > 0 ? `, kafka.topicMaxMessageBytes ${kafka.topicMaxMessageBytes}` : ''}`;
  const logBytes = logTopicMessageBytes(config);
  const record = maxLogRecordBytes(config);
  if (record + BATCH_OVERHEAD_BYTES > logBytes) {
    const key = config.ingest.maxLineBytes >= config.parser.maxEntryBytes ? 'ingest.maxLineBytes' : 'parser.maxEntryBytes';
    problems.push(
      `invalid configuration value for "${key}": ${maxLogValueBytes(config)}${from(key)}; a log record of that size with its key and headers (${record} bytes) ` +
        `does not fit the log topic's max.message.bytes ${logBytes} (${limitKeys}); ` +
        `ingest.maxLineBytes and parser.maxEntryBytes must be at most ${logBytes - MAX_RECORD_OVERHEAD_BYTES - BATCH_OVERHEAD_BYTES}`,
    );
  }
  const reportBytes = reportTopicMessageBytes(kafka);
  if (WINDOWS_PER_RECORD * windowBytesBound(report.maxErrorMessages) > reportBytes) {
    problems.push(
      `invalid configuration value for "report.maxErrorMessages": ${report.maxErrorMessages}${from('report.maxErrorMessages')}; ${WINDOWS_PER_RECORD} windows with that many ` +
        `${MAX_MESSAGE}-character ERROR messages (${WINDOWS_PER_RECORD} x ${windowBytesBound(report.maxErrorMessages)} bytes) do not fit the report state ` +
        `and partials topics' max.message.bytes ${reportBytes} (${limitKeys}); it must be at most ${maxErrorMessagesFor(reportBytes)}`,
    );
  }
  if (kafka.topicMaxMessageBytes > MSK_SERVERLESS_MAX_MESSAGE_BYTES && kafka.profile === 'msk-serverless') {
    problems.push(
      `invalid configuration value for "kafka.topicMaxMessageBytes": ${kafka.topicMaxMessageBytes}${from('kafka.topicMaxMessageBytes')}; kafka.topicProfile is msk-serverless, ` +
        `which accepts max.message.bytes up to ${MSK_SERVERLESS_MAX_MESSAGE_BYTES}`,
    );
  }
  return problems;
}

/** A topic's effective settings as describeConfigs reports them (name → value). */
export type TopicConfigValues = ReadonlyMap<string, string>;

const PROFILE_HINT = 'set kafka.topicProfile to msk-serverless (LOGPIPE_KAFKA_TOPIC_PROFILE: records carry their ingest time, the event time goes in a header)';

/**
 * Checks an existing log topic: its records (maxLogRecordBytes) must fit its max.message.bytes, and
 * under the standard profile, where record timestamps are event times, it must accept timestamps of
 * any age: otherwise the broker refuses a batch holding a line dated too far ahead or back
 * (INVALID_TIMESTAMP, not retriable) and that object does not get ingested. Returns one line per
 * problem (empty when the topic fits): reasons to refuse the start.
 */
export function checkLogTopic(topic: string, values: TopicConfigValues, config: Pick<SizingConfig, 'kafka' | 'ingest' | 'parser'>): string[] {
  const problems: string[] = [];
  const limit = Number(values.get('max.message.bytes'));
  const record = maxLogRecordBytes(config);
  if (Number.isFinite(limit) && record + BATCH_OVERHEAD_BYTES > limit) {
    problems.push(
      `topic "${topic}" has max.message.bytes ${limit}: a log record of ingest.maxLineBytes / parser.maxEntryBytes ${maxLogValueBytes(config)} bytes ` +
        `with its key and headers (${record}) would not fit; raise the topic's max.message.bytes to at least ${record + BATCH_OVERHEAD_BYTES} or lower those keys`,
    );
  }
  if (config.kafka.profile !== 'msk-serverless' && values.get('message.timestamp.type') !== 'LogAppendTime') {
    const bounded = ['message.timestamp.after.max.ms', 'message.timestamp.before.max.ms', 'message.timestamp.difference.max.ms'].filter((name) => {
      const v = values.get(name);
      return v !== undefined && v !== ANY_TIME;
    });
    if (bounded.length) {
      problems.push(
        `topic "${topic}" refuses record timestamps beyond ${bounded.map((n) => `${n}=${values.get(n)}`).join(', ')}; under kafka.topicProfile standard record timestamps ` +
          `are the lines' event times, so a batch with a line dated further ahead or back would be refused (INVALID_TIMESTAMP); ` +
          `set the topic's ${bounded.join(' and ')} to ${ANY_TIME}, or ${PROFILE_HINT}`,
      );
    }
  }
  return problems;
}

/**
 * Checks an existing report state or partials topic: WINDOWS_PER_RECORD windows at the configured
 * bounds must fit its max.message.bytes. A refusal rather than a warning: a state record the broker
 * refuses (MESSAGE_TOO_LARGE) stops the report stage at that commit, on every retry. Returns one
 * line per problem, empty when the topic fits.
 */
export function checkReportTopic(topic: string, values: TopicConfigValues, config: Pick<SizingConfig, 'report'>): string[] {
  const problems: string[] = [];
  const limit = Number(values.get('max.message.bytes'));
  const need = WINDOWS_PER_RECORD * windowBytesBound(config.report.maxErrorMessages);
  if (Number.isFinite(limit) && need > limit) {
    problems.push(
      `topic "${topic}" has max.message.bytes ${limit}: ${WINDOWS_PER_RECORD} report windows with report.maxErrorMessages ${config.report.maxErrorMessages} ` +
        `take up to ${need} bytes; raise the topic's max.message.bytes to at least ${need} or lower report.maxErrorMessages to at most ${maxErrorMessagesFor(limit)}`,
    );
  }
  return problems;
}
