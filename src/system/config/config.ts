/**
 * The one configuration schema of logpipe.
 *
 * Sources, lowest precedence first: schema defaults, `config/default.json`, `config/<NODE_ENV>.json`
 * (optional), the file given with `--config`, then `LOGPIPE_*` environment variables. Every key has a
 * doc, a format, a default and an env var; names carry their unit (`...Ms`, `...Bytes`). Defaults
 * point at the local stack (`logpipe dev up`).
 */
import convict from 'convict';
import fs from 'node:fs';
import path from 'node:path';
import { FORMAT_NAMES, type FormatName, regexFormat } from '../../model/formats';
import { type ParserOptions, resolveFormat } from '../../model/parser';
import { type SourceRule, sourceRuleProblems } from '../../ingest/source-rules';
import { Zone } from '../../model/time';
import { LEVELS } from '../../model/levels';
import { packageRoot } from './paths';
import { SASL_MECHANISMS, type KafkaSecurityConfig } from './kafka-security';
import { type SizingConfig, TOPIC_PROFILES, type TopicProfile, topicSettingsProblems } from './topic-settings';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
/** Which Kafka client library talks to the brokers (kafka.client). */
export const KAFKA_CLIENTS = ['kafkajs', 'librdkafka'] as const;
export type KafkaClientKind = (typeof KAFKA_CLIENTS)[number];
export type LogFormat = 'auto' | 'json' | 'pretty';

export interface LogpipeConfig {
  log: { level: LogLevel; format: LogFormat };
  kafka: {
    client: KafkaClientKind;
    brokers: string[];
    clientId: string;
    connectionTimeoutMs: number;
    requestTimeoutMs: number;
    topic: string;
    topicPartitions: number;
    replicationFactor: number;
    progressTopic: string;
    deadLetterTopic: string;
    transactionalIdPrefix: string;
    topicProfile: TopicProfile;
    topicMaxMessageBytes: number;
    ssl: KafkaSecurityConfig['ssl'];
    sasl: KafkaSecurityConfig['sasl'];
  };
  ingest: {
    kafkaClient: KafkaClientKind | '';
    maxLineBytes: number;
    batchMaxRecords: number;
    batchMaxBytes: number;
    maxInFlightBatches: number;
    heapGrowingPercent: number;
    maxSemiSpaceMiB: number;
    ledgerHorizonMs: number;
    maxDecompressedBytes: number;
    retryBudgetMs: number;
    parallelObjects: number;
    maxQueuedObjects: number;
    maxAttempts: number;
    sqsQueueUrl: string;
    sqsWaitSeconds: number;
    visibilityTimeoutSeconds: number;
    listings: string[];
    allowedPrefixes: string[];
    listIntervalMs: number;
    workerMode: 'in-memory' | 'forked';
    workers: number;
    workerRestartDelayMs: number;
    workerMaxRestarts: number;
    workerRestartWindowMs: number;
  };
  aws: {
    region: string;
    endpoint: string;
    accessKeyId: string;
    secretAccessKey: string;
    forcePathStyle: boolean;
  };
  ses: { endpoint: string };
  parser: {
    format: 'auto' | FormatName;
    regex: string;
    /** A logback/log4j-style time pattern; '' leaves the time to the format's own reading. */
    timeFormat: string;
    zone: string;
    /** Formats per source, first match wins (src/ingest/source-rules.ts). */
    sources: SourceRule[];
    multiline: boolean;
    maxEntryBytes: number;
  };
  report: {
    kafkaClient: KafkaClientKind | '';
    enabled: boolean;
    groupId: string;
    topic: string;
    partialsTopic: string;
    stateTopic: string;
    dir: string;
    windowMode: 'event' | 'processing';
    windowSizeMs: number;
    allowedLatenessMs: number;
    futureSkewMs: number;
    idleCloseMs: number;
    ingestStallMs: number;
    maxErrorMessages: number;
    alertThresholds: Record<string, number>;
    alertErrorShare: number;
    alertMinTotal: number;
    realertMs: number;
    emailTransport: 'ses' | 'smtp' | 'file';
    emailFrom: string;
    emailTo: string[];
    smtpUrl: string;
    smtpAllowInsecureAuth: boolean;
    outboxDir: string;
    emailRetryDelayMs: number;
    emailRetryMaxDelayMs: number;
  };
  control: { host: string; port: number; token: string; socket: string; loginMaxAgeSeconds: number; secureCookie: boolean };
  stack: {
    dir: string;
    kafkaPort: number;
    kafkaControllerPort: number;
    kafkaSaslPort: number;
    kafkaHeapBytes: number;
    motoPort: number;
    sesPort: number;
    startTimeoutMs: number;
  };
}

/** Raised for any configuration problem; `lines` holds one human-readable line per problem. */
export class ConfigError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
    this.name = 'ConfigError';
  }
}

const HOST_PORT = /^[A-Za-z0-9.\-_]+:\d{1,5}$/;
/** A bare address: something@domain.tld, no spaces or angle brackets (display names are not used). */
const EMAIL = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/;

// Each custom format throws an Error whose message says what was expected; formatErrors() puts
// the key and the offending value in front of it.
convict.addFormat({
  name: 'host-port-list',
  validate(value: unknown) {
    if (!Array.isArray(value) || value.length === 0) throw new Error('expected a non-empty list of HOST:PORT');
    for (const item of value) {
      if (typeof item !== 'string' || !HOST_PORT.test(item) || Number(item.split(':').pop()) > 65535) {
        throw new Error(`expected HOST:PORT[,HOST:PORT...], "${String(item)}" is not HOST:PORT`);
      }
    }
  },
  coerce: (value: unknown) =>
    typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter((s) => s.length > 0) : value,
});

convict.addFormat({
  name: 'http-url-or-empty',
  validate(value: unknown) {
    if (value === '') return;
    let url: URL;
    try {
      url = new URL(String(value));
    } catch {
      throw new Error('expected an http(s) URL, or "" for the AWS default endpoint');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error('expected an http(s) URL, or "" for the AWS default endpoint');
    }
  },
});

convict.addFormat({
  name: 'time-zone',
  validate(value: unknown) {
    try {
      new Zone(String(value));
    } catch {
      throw new Error('expected UTC or an IANA time zone name such as Europe/Berlin');
    }
  },
});

// Validates the shape only: a list. Each rule is checked with the rest of the parser settings in
// checkCombinations, one line per bad field.
convict.addFormat({
  name: 'source-rules',
  validate(value: unknown) {
    if (typeof value === 'string') {
      let reason = 'it is not a list';
      try {
        JSON.parse(value);
      } catch (err) {
        reason = (err as Error).message;
      }
      throw new Error(`expected a JSON list of rules {"match": ..., "format"?, "regex"?, "timeFormat"?, "zone"?}: ${reason}`);
    }
    if (!Array.isArray(value)) throw new Error('expected a list of rules {"match": ..., "format"?, "regex"?, "timeFormat"?, "zone"?}');
  },
  // The environment variable holds JSON; text that is not a JSON list stays as it is for validate()
  // to name (convict would spread an object over keys of its own).
  coerce: (value: unknown) => {
    if (typeof value !== 'string') return value;
    try {
      const parsed = JSON.parse(value) as unknown;
      return Array.isArray(parsed) ? parsed : value;
    } catch {
      return value;
    }
  },
});

convict.addFormat({
  name: 'sqs-wait-seconds',
  validate(value: unknown) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 20) throw new Error('expected a whole number of seconds from 0 to 20');
  },
  coerce: (value: unknown) => (typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
});

convict.addFormat({
  name: 'bucket-prefix-list',
  validate(value: unknown) {
    if (!Array.isArray(value)) throw new Error('expected a list of BUCKET or BUCKET/PREFIX');
    for (const item of value) {
      if (typeof item !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(item)) {
        throw new Error(`expected BUCKET or BUCKET/PREFIX entries, "${String(item)}" is not one`);
      }
    }
  },
  coerce: (value: unknown) =>
    typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter((s) => s.length > 0) : value,
});

convict.addFormat({
  name: 'non-empty-string',
  validate(value: unknown) {
    if (typeof value !== 'string' || value.trim() === '') throw new Error('expected a non-empty string');
  },
});

convict.addFormat({
  name: 'level-thresholds',
  validate(value: unknown) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected LEVEL:N pairs such as ERROR:1,WARN:100');
    for (const [level, n] of Object.entries(value)) {
      if (!(LEVELS as readonly string[]).includes(level)) throw new Error(`expected LEVEL:N pairs; "${level}" is not one of ${LEVELS.join(', ')}`);
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new Error(`expected LEVEL:N pairs with N a whole number >= 0; ${level} has ${String(n)}`);
    }
  },
  coerce: (value: unknown) => {
    if (typeof value !== 'string') return value;
    const out: Record<string, unknown> = {};
    for (const pair of value.split(',').map((p) => p.trim()).filter(Boolean)) {
      const [level, n] = pair.split(':');
      out[(level ?? '').trim().toUpperCase()] = n !== undefined && /^\s*\d+\s*$/.test(n) ? Number(n) : n;
    }
    return out;
  },
});

convict.addFormat({
  name: 'fraction-or-off',
  validate(value: unknown) {
    if (typeof value !== 'number' || !(value === -1 || (value >= 0 && value < 1))) throw new Error('expected a fraction from 0 to below 1, or -1 for off');
  },
  coerce: (value: unknown) => (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value),
});

convict.addFormat({
  name: 'email-list',
  validate(value: unknown) {
    if (!Array.isArray(value)) throw new Error('expected a list of email addresses');
    for (const item of value) {
      if (typeof item !== 'string' || !EMAIL.test(item)) throw new Error(`expected email addresses separated by commas, "${String(item)}" is not one`);
    }
  },
  coerce: (value: unknown) =>
    typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter((s) => s.length > 0) : value,
});

convict.addFormat({
  name: 'email',
  validate(value: unknown) {
    if (typeof value !== 'string' || !EMAIL.test(value)) throw new Error('expected an email address such as logpipe@example.com');
  },
});

convict.addFormat({
  name: 'smtp-url-or-empty',
  validate(value: unknown) {
    if (value === '') return;
    let url: URL | undefined;
    try {
      url = new URL(String(value));
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname) throw new Error('expected smtp://[user:password@]host[:port] or smtps://..., or ""');
  },
});

/**
 * A control token travels in an HTTP header, a URL query and (hashed) a cookie: a charset that needs
 * no escaping in any of them, and a length that resists guessing. The message never repeats the value.
 */
export const CONTROL_TOKEN = /^[A-Za-z0-9._~+/=-]{16,}$/;

/** sun_path holds 108 bytes with the terminating NUL on Linux. */
const MAX_SOCKET_PATH_BYTES = 107;

convict.addFormat({
  name: 'socket-path-or-empty',
  validate(value: unknown) {
    if (value === '') return;
    if (typeof value !== 'string' || !value.startsWith('/') || /[\x00-\x1f\x7f]/.test(value) || Buffer.byteLength(value) > MAX_SOCKET_PATH_BYTES) {
      throw new Error(`expected "" (no socket) or an absolute path of at most ${MAX_SOCKET_PATH_BYTES} bytes without control characters`);
    }
  },
});

convict.addFormat({
  name: 'control-token',
  validate(value: unknown) {
    if (value === '') return;
    if (typeof value !== 'string' || !CONTROL_TOKEN.test(value)) {
      throw new Error('expected "" (no token) or at least 16 characters of A-Z a-z 0-9 . _ ~ + / = - (e.g. `openssl rand -hex 32`)');
    }
  },
});

// Environment variables arrive as strings; numeric formats turn digits into numbers and leave
// anything else as it is, so validate() reports the original text.
const toNumber = (value: unknown): unknown =>
  typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;

convict.addFormat({
  name: 'positive-int',
  validate(value: unknown) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
      throw new Error('expected a whole number greater than 0');
    }
  },
  coerce: toNumber,
});

convict.addFormat({
  name: 'tcp-port',
  validate(value: unknown) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
      throw new Error('expected a TCP port from 1 to 65535');
    }
  },
  coerce: toNumber,
});

/** A stage's own kafka.client: "" follows kafka.client. */
function stageClient(value: unknown): void {
  if (value !== '' && !KAFKA_CLIENTS.includes(value as KafkaClientKind)) throw new Error(`expected "" (kafka.client's) or one of ${KAFKA_CLIENTS.join(', ')}`);
}

function oneOf<T extends string>(values: readonly T[]) {
  return (value: unknown): void => {
    if (!values.includes(value as T)) throw new Error(`expected one of ${values.join(', ')}`);
  };
}

/** The schema. Exported for `logpipe config --schema`-style tooling and the tests. */
export const schema: convict.Schema<LogpipeConfig> = {
  log: {
    level: {
      doc: 'Lowest log level written (error, warn, info, debug).',
      format: oneOf(['error', 'warn', 'info', 'debug'] as const),
      default: 'info',
      env: 'LOGPIPE_LOG_LEVEL',
    },
    format: {
      doc: 'Log line format: json (one JSON object per line), pretty (for people), auto (pretty on a TTY, else json).',
      format: oneOf(['auto', 'json', 'pretty'] as const),
      default: 'auto',
      env: 'LOGPIPE_LOG_FORMAT',
    },
  },
  kafka: {
    client: {
      doc: 'Kafka client library. kafkajs (pure JavaScript, always installed): every Kafka client of logpipe. librdkafka: the ingest publisher, the report stage\'s consumers and transactional producers and the compacted-topic readers go through librdkafka (package @confluentinc/kafka-javascript, an optional dependency: where its prebuilt binary cannot be downloaded, build it with CKJS_LINKING=dynamic npm install --no-save @confluentinc/kafka-javascript (README); start-up fails naming the package when it is missing); topic administration, the ingest ledger\'s reader and the CLI\'s one-off readers stay on kafkajs. Same exactly-once contract either way; see docs/ingest.md, "The Kafka client". ingest.kafkaClient and report.kafkaClient choose per stage.',
      format: oneOf(KAFKA_CLIENTS),
      default: 'kafkajs',
      env: 'LOGPIPE_KAFKA_CLIENT',
    },
    brokers: {
      doc: 'Bootstrap brokers, HOST:PORT separated by commas.',
      format: 'host-port-list',
      default: ['127.0.0.1:9092'],
      env: 'LOGPIPE_KAFKA_BROKERS',
    },
    clientId: {
      doc: 'Kafka client id; shows in broker logs and quotas.',
      format: 'non-empty-string',
      default: 'logpipe',
      env: 'LOGPIPE_KAFKA_CLIENT_ID',
    },
    connectionTimeoutMs: {
      doc: 'Time to wait for a TCP connection to a broker.',
      format: 'positive-int',
      default: 3000,
      env: 'LOGPIPE_KAFKA_CONNECTION_TIMEOUT_MS',
    },
    requestTimeoutMs: {
      doc: 'Time to wait for a broker to answer a request.',
      format: 'positive-int',
      default: 30_000,
      env: 'LOGPIPE_KAFKA_REQUEST_TIMEOUT_MS',
    },
    topic: {
      doc: 'The log topic: one record per log entry (value = raw bytes, key = source, timestamp = event time; under kafka.topicProfile msk-serverless timestamp = ingest time, event time in the `time` header). Commands take --topic.',
      format: 'non-empty-string',
      default: 'logpipe.lines',
      env: 'LOGPIPE_KAFKA_TOPIC',
    },
    topicPartitions: {
      doc: 'Partitions of the log topic when logpipe creates it (the original used 10).',
      format: 'positive-int',
      default: 10,
      env: 'LOGPIPE_KAFKA_TOPIC_PARTITIONS',
    },
    replicationFactor: {
      doc: 'Replication factor of the topics logpipe creates (1 on the single-node local broker, 3 in production).',
      format: 'positive-int',
      default: 1,
      env: 'LOGPIPE_KAFKA_REPLICATION_FACTOR',
    },
    progressTopic: {
      doc: 'Compacted topic of ingest progress per object version: resume points and the ledger of ingested versions.',
      format: 'non-empty-string',
      default: 'logpipe.ingest-progress',
      env: 'LOGPIPE_KAFKA_PROGRESS_TOPIC',
    },
    deadLetterTopic: {
      doc: 'Topic of objects that could not be ingested, with the reason.',
      format: 'non-empty-string',
      default: 'logpipe.dead-letters',
      env: 'LOGPIPE_KAFKA_DEAD_LETTER_TOPIC',
    },
    transactionalIdPrefix: {
      doc: 'Prefix of the transactional ids of ingest producers (one per object version, shared by all instances).',
      format: 'non-empty-string',
      default: 'logpipe-ingest',
      env: 'LOGPIPE_KAFKA_TRANSACTIONAL_ID_PREFIX',
    },
    topicProfile: {
      doc: 'Which settings logpipe gives the topics it creates, for clusters that limit them. standard: the log topic accepts record timestamps of any age (record timestamp = event time), the report state and partials topics 16 MiB records. msk-serverless: only settings Amazon MSK Serverless accepts (max.message.bytes up to 8 MiB, no message.timestamp setting): log records carry their ingest time as timestamp and the event time in a `time` header, which the report stage reads; batches go in requests that fit the log topic. Start-up refuses sizes that cannot fit (ingest.maxLineBytes, parser.maxEntryBytes, report.maxErrorMessages) and existing topics whose settings would refuse a record. See docs/deploy-aws.md.',
      format: oneOf(TOPIC_PROFILES),
      default: 'standard',
      env: 'LOGPIPE_KAFKA_TOPIC_PROFILE',
    },
    topicMaxMessageBytes: {
      doc: 'Largest max.message.bytes logpipe sets on a topic it creates, for a cluster with its own limit; 0 uses the profile\'s (none for standard, 8 MiB for msk-serverless). Log batches are split into requests that fit.',
      format: 'nat',
      default: 0,
      env: 'LOGPIPE_KAFKA_TOPIC_MAX_MESSAGE_BYTES',
    },
    ssl: {
      enabled: {
        doc: 'Connect to the brokers over TLS (MSK, Confluent Cloud, any SSL or SASL_SSL listener). The broker certificate is always verified, against Node\'s default CAs or kafka.ssl.caFile.',
        format: Boolean,
        default: false,
        env: 'LOGPIPE_KAFKA_SSL_ENABLED',
      },
      caFile: {
        doc: 'PEM file of the CA(s) that signed the broker certificates; when set, only these are trusted. "" trusts Node\'s default CAs (what MSK and Confluent Cloud need).',
        format: String,
        default: '',
        env: 'LOGPIPE_KAFKA_SSL_CA_FILE',
      },
      certFile: {
        doc: 'PEM file of the client certificate for mutual TLS (with keyFile); "" for none.',
        format: String,
        default: '',
        env: 'LOGPIPE_KAFKA_SSL_CERT_FILE',
      },
      keyFile: {
        doc: 'PEM file of the client certificate\'s private key (with certFile); "" for none.',
        format: String,
        default: '',
        env: 'LOGPIPE_KAFKA_SSL_KEY_FILE',
      },
      keyPassword: {
        doc: 'Passphrase of an encrypted keyFile; "" when the key is not encrypted.',
        format: String,
        default: '',
        env: 'LOGPIPE_KAFKA_SSL_KEY_PASSWORD',
        sensitive: true,
      },
    },
    sasl: {
      mechanism: {
        doc: 'SASL authentication: none, scram-sha-512, scram-sha-256, plain (username and password), or aws-msk-iam (Amazon MSK IAM access control: tokens signed with the AWS default credential chain, e.g. the instance role). plain and aws-msk-iam need kafka.ssl.enabled. See docs/deploy-aws.md.',
        format: oneOf(SASL_MECHANISMS),
        default: 'none',
        env: 'LOGPIPE_KAFKA_SASL_MECHANISM',
      },
      username: {
        doc: 'SASL username for scram-sha-512, scram-sha-256 and plain.',
        format: String,
        default: '',
        env: 'LOGPIPE_KAFKA_SASL_USERNAME',
      },
      password: {
        doc: 'SASL password for scram-sha-512, scram-sha-256 and plain.',
        format: String,
        default: '',
        env: 'LOGPIPE_KAFKA_SASL_PASSWORD',
        sensitive: true,
      },
      region: {
        doc: 'For aws-msk-iam: AWS region of the MSK cluster the tokens are signed for; "" uses aws.region.',
        format: String,
        default: '',
        env: 'LOGPIPE_KAFKA_SASL_REGION',
      },
    },
  },
  ingest: {
    kafkaClient: {
      doc: 'Kafka client library of the ingest publisher (what kafka.client says for it; "" follows kafka.client). librdkafka measured about 2.9× kafkajs\'s publishing rate at half its CPU (docs/benchmarks.md), so ingest on librdkafka with the report stage on kafkajs is a combination worth running where the binding is installed.',
      format: stageClient,
      default: '',
      env: 'LOGPIPE_INGEST_KAFKA_CLIENT',
    },
    maxLineBytes: {
      doc: 'Longest line kept whole; longer lines keep their first maxLineBytes bytes and are flagged truncated.',
      format: 'positive-int',
      default: 1024 * 1024,
      env: 'LOGPIPE_INGEST_MAX_LINE_BYTES',
    },
    batchMaxRecords: {
      doc: 'Records per batch (one Kafka transaction with the object progress).',
      format: 'positive-int',
      default: 10_000,
      env: 'LOGPIPE_INGEST_BATCH_MAX_RECORDS',
    },
    batchMaxBytes: {
      doc: 'Bytes of record values per batch.',
      format: 'positive-int',
      default: 4 * 1024 * 1024,
      env: 'LOGPIPE_INGEST_BATCH_MAX_BYTES',
    },
    maxInFlightBatches: {
      doc: 'Batches of one object waiting for their commit before reading pauses (backpressure).',
      format: 'positive-int',
      default: 2,
      env: 'LOGPIPE_INGEST_MAX_IN_FLIGHT_BATCHES',
    },
    heapGrowingPercent: {
      doc: 'How far the heap of the process that ingests may grow past what a full garbage collection found alive, in percent (V8 --heap-growing-percent): it bounds the peak memory of ingest (docs/benchmarks.md, "Ingest memory"); 0 leaves V8 its own factor (up to 4× on hosts with 8 GB or more).',
      format: 'nat',
      default: 100,
      env: 'LOGPIPE_INGEST_HEAP_GROWING_PERCENT',
    },
    maxSemiSpaceMiB: {
      doc: 'Size of each of the two semi-spaces of V8\'s young generation in the processes that only ingest, in MiB (V8 --max-semi-space-size): `logpipe ingest`, which starts itself again with the flag (V8 reads it only at start-up), and the forked workers of `logpipe start` (workerMode "forked"); not the service process itself, which also runs the report stage. 0: the size measured for the ingest stage\'s client (ingest.kafkaClient, else kafka.client), 2 on librdkafka (about 36 MiB off the peak memory of an ingest at the same CPU) and 8 on kafkajs (about 25 MiB off at the same CPU; 2 cost it about 16 % more), see docs/benchmarks.md, "Ingest memory". 16 is V8\'s own default. A --max-semi-space-size in NODE_OPTIONS or on node\'s command line wins.',
      format: 'nat',
      default: 0,
      env: 'LOGPIPE_INGEST_MAX_SEMI_SPACE_MIB',
    },
    ledgerHorizonMs: {
      doc: 'How far back an ingest process reads the progress ledger at start (docs/ingest.md, "Ledger horizon"), so that its start-up and memory follow what was ingested recently, not every version ever ingested. A version modified before the horizon is still ingested once: an explicit trigger looks it up in the older part of the ledger first; listings skip such versions. Must exceed how long a trigger can wait (SQS keeps a message at most 14 days). 0 reads the whole ledger.',
      format: 'nat',
      default: 15 * 24 * 60 * 60 * 1000,
      env: 'LOGPIPE_INGEST_LEDGER_HORIZON_MS',
    },
    maxDecompressedBytes: {
      doc: 'Largest decompressed size of a gzip object; a bigger one is dead-lettered.',
      format: 'positive-int',
      default: 16 * 1024 * 1024 * 1024,
      env: 'LOGPIPE_INGEST_MAX_DECOMPRESSED_BYTES',
    },
    retryBudgetMs: {
      doc: 'How long transient read failures of one object are retried (with backoff, resuming by Range) before it is dead-lettered.',
      format: 'positive-int',
      default: 600_000,
      env: 'LOGPIPE_INGEST_RETRY_BUDGET_MS',
    },
    parallelObjects: {
      doc: 'Objects ingested at the same time by one process.',
      format: 'positive-int',
      default: 2,
      env: 'LOGPIPE_INGEST_PARALLEL_OBJECTS',
    },
    maxQueuedObjects: {
      doc: 'Ingest requests that may wait; beyond it the API answers 503 and SQS messages stay in the queue.',
      format: 'positive-int',
      default: 1000,
      env: 'LOGPIPE_INGEST_MAX_QUEUED_OBJECTS',
    },
    maxAttempts: {
      doc: 'Attempts at an object whose ingest keeps failing (Kafka errors, crashes) before it is dead-lettered.',
      format: 'positive-int',
      default: 20,
      env: 'LOGPIPE_INGEST_MAX_ATTEMPTS',
    },
    workerMode: {
      doc: 'comedy mode of the ingest worker (FileFetcherActor with its LineStreamerActor and KafkaPublisherActor): "in-memory" runs it in the service process; "forked" in a child process of its own, so parsing and producing use a second core while the service process answers the API and runs the report stage.',
      format: oneOf(['in-memory', 'forked'] as const),
      default: 'in-memory',
      env: 'LOGPIPE_INGEST_WORKER_MODE',
    },
    workers: {
      doc: 'Ingest workers of `logpipe start` with workerMode "forked": each a forked process of its own (its own supervised FileFetcherActor subtree), objects dealt to the least busy; 0 = as many as the machine has cores (os.availableParallelism()). workerMode "in-memory" runs one worker (more in one process would not use another core): a value above 1 is refused there. One-shot commands (logpipe ingest) use one worker.',
      format: 'nat',
      default: 0,
      env: 'LOGPIPE_INGEST_WORKERS',
    },
    workerRestartDelayMs: {
      doc: 'Supervision of every actor (the ingest chain and the ReportActor, in-memory or forked; docs/ingest.md): delay before a crashed actor is restarted; doubles with each further crash of it inside workerRestartWindowMs (at most 32 times this).',
      format: 'nat',
      default: 1000,
      env: 'LOGPIPE_INGEST_WORKER_RESTART_DELAY_MS',
    },
    workerMaxRestarts: {
      doc: 'Supervision of every actor: restarts of one actor allowed within workerRestartWindowMs; one more crash escalates to its parent, which is restarted with its children (at the root: the service stops with exit code 1, because an actor that cannot stay up points at a broken host or configuration, which a process supervisor and an operator should see).',
      format: 'positive-int',
      default: 5,
      env: 'LOGPIPE_INGEST_WORKER_MAX_RESTARTS',
    },
    workerRestartWindowMs: {
      doc: 'Supervision of every actor: the sliding window in which workerMaxRestarts counts one actor\'s crashes.',
      format: 'positive-int',
      default: 300000,
      env: 'LOGPIPE_INGEST_WORKER_RESTART_WINDOW_MS',
    },
    sqsQueueUrl: {
      doc: 'SQS queue receiving the bucket\'s S3 event notifications; "" turns the SQS trigger off.',
      format: String,
      default: '',
      env: 'LOGPIPE_INGEST_SQS_QUEUE_URL',
    },
    sqsWaitSeconds: {
      doc: 'Long-polling wait of one SQS receive (0-20 s).',
      format: 'sqs-wait-seconds',
      default: 10,
      env: 'LOGPIPE_INGEST_SQS_WAIT_SECONDS',
    },
    visibilityTimeoutSeconds: {
      doc: 'Visibility timeout of received SQS messages; extended every half of it while their objects stream.',
      format: 'positive-int',
      default: 60,
      env: 'LOGPIPE_INGEST_VISIBILITY_TIMEOUT_SECONDS',
    },
    listings: {
      doc: 'Buckets or bucket/prefix entries listed periodically to catch objects whose events never arrived, comma-separated.',
      format: 'bucket-prefix-list',
      default: [],
      env: 'LOGPIPE_INGEST_LISTINGS',
    },
    allowedPrefixes: {
      doc: 'Allow-list of POST /v1/ingest, comma-separated BUCKET or BUCKET/PREFIX entries (a prefix matches as plain text: logs/ does not match logs-old/): a request for any other object is refused with 403. Empty: every bucket the host can read. install-ec2.sh sets it to the bucket and prefix it lists.',
      format: 'bucket-prefix-list',
      default: [],
      env: 'LOGPIPE_INGEST_ALLOWED_PREFIXES',
    },
    listIntervalMs: {
      doc: 'Time between two listings of the configured prefixes.',
      format: 'positive-int',
      default: 300_000,
      env: 'LOGPIPE_INGEST_LIST_INTERVAL_MS',
    },
  },
  aws: {
    region: {
      doc: 'AWS region of S3, SQS, SSM and SES.',
      format: 'non-empty-string',
      default: 'us-east-1',
      env: 'LOGPIPE_AWS_REGION',
    },
    endpoint: {
      doc: 'Endpoint URL for S3, SQS and SSM; "" uses the AWS default for the region. Defaults to the local moto server.',
      format: 'http-url-or-empty',
      default: 'http://127.0.0.1:5000',
      env: 'LOGPIPE_AWS_ENDPOINT',
    },
    accessKeyId: {
      doc: 'Access key id; "" uses the AWS default credential chain. The default is a fake key for the local emulators.',
      format: String,
      default: 'test',
      env: 'LOGPIPE_AWS_ACCESS_KEY_ID',
      sensitive: true,
    },
    secretAccessKey: {
      doc: 'Secret access key paired with accessKeyId; "" uses the AWS default credential chain.',
      format: String,
      default: 'test',
      env: 'LOGPIPE_AWS_SECRET_ACCESS_KEY',
      sensitive: true,
    },
    forcePathStyle: {
      doc: 'Address S3 buckets by path (needed by moto and most S3-compatible stores).',
      format: Boolean,
      default: true,
      env: 'LOGPIPE_AWS_FORCE_PATH_STYLE',
    },
  },
  ses: {
    endpoint: {
      doc: 'SES endpoint URL; "" uses the AWS default. Defaults to the local SES emulator.',
      format: 'http-url-or-empty',
      default: 'http://127.0.0.1:8005',
      env: 'LOGPIPE_SES_ENDPOINT',
    },
  },
  parser: {
    format: {
      doc: `Log line format: auto (detected per object from its first lines), ${FORMAT_NAMES.join(', ')}. See docs/log-model.md.`,
      format: oneOf(['auto', ...FORMAT_NAMES] as const),
      default: 'auto',
      env: 'LOGPIPE_PARSER_FORMAT',
    },
    regex: {
      doc: 'For format regex: a JavaScript regular expression with named groups (?<time>...) and (?<level>...), optionally (?<date>...) and (?<message>...).',
      format: String,
      default: '',
      env: 'LOGPIPE_PARSER_REGEX',
    },
    timeFormat: {
      doc: 'For format regex: how its time group (date group, a space and time group, when it has both) is written, as a logback/log4j time pattern such as yyyy-MM-dd HH:mm:ss,SSS, yy/MM/dd HH:mm:ss, yyMMdd HHmmss or epochMillis; "" reads it as the regex format does by itself. The other formats read their own times and reject it. See docs/log-model.md.',
      format: String,
      default: '',
      env: 'LOGPIPE_PARSER_TIME_FORMAT',
    },
    zone: {
      doc: 'Time zone of timestamps written without one: UTC or an IANA name such as Europe/Berlin.',
      format: 'time-zone',
      default: 'UTC',
      env: 'LOGPIPE_PARSER_ZONE',
    },
    sources: {
      doc: 'Formats per source: an ordered list of rules {"match", "format", "regex", "timeFormat", "zone"}, all but match optional. The first rule whose match fits an object\'s key (a key prefix such as app1/, or a glob of the whole key such as logs/*/nginx-*.log, ** across slashes; for a local file its absolute path) sets its format, regex, time pattern and zone; a rule without a format takes parser.format with parser.regex and parser.timeFormat, one without a zone parser.zone. Keys no rule matches use the settings above. The environment variable holds JSON. See docs/log-model.md.',
      format: 'source-rules',
      default: [],
      env: 'LOGPIPE_PARSER_SOURCES',
    },
    multiline: {
      doc: 'Join lines that do not start an entry (stack traces) to the entry before them; the entry counts once.',
      format: Boolean,
      default: true,
      env: 'LOGPIPE_PARSER_MULTILINE',
    },
    maxEntryBytes: {
      doc: 'Largest multi-line entry kept together; longer ones are split into parts, counted once.',
      format: 'positive-int',
      default: 1024 * 1024,
      env: 'LOGPIPE_PARSER_MAX_ENTRY_BYTES',
    },
  },
  report: {
    kafkaClient: {
      doc: 'Kafka client library of the report stage\'s consumers, transactional producers and compacted-topic readers (what kafka.client says for them; "" follows kafka.client).',
      format: stageClient,
      default: '',
      env: 'LOGPIPE_REPORT_KAFKA_CLIENT',
    },
    enabled: {
      doc: 'Whether `logpipe start` runs the report stage beside ingest (`logpipe report` runs it alone).',
      format: Boolean,
      default: true,
      env: 'LOGPIPE_REPORT_ENABLED',
    },
    groupId: {
      doc: 'Consumer group of the report stage on the log topic; processes in one group share the partitions and produce one set of reports. The merge stage uses `<groupId>-merge` on the partials topic.',
      format: 'non-empty-string',
      default: 'logpipe-report',
      env: 'LOGPIPE_REPORT_GROUP_ID',
    },
    topic: {
      doc: 'Report topic: one JSON record per closed window, key = window id (the durable truth; files and emails are rendered from it).',
      format: 'non-empty-string',
      default: 'logpipe.reports',
      env: 'LOGPIPE_REPORT_TOPIC',
    },
    partialsTopic: {
      doc: 'Topic carrying each log-topic partition\'s closed windows to the merge stage (one partition).',
      format: 'non-empty-string',
      default: 'logpipe.report-partials',
      env: 'LOGPIPE_REPORT_PARTIALS_TOPIC',
    },
    stateTopic: {
      doc: 'Compacted changelog of the report stage: window state per log-topic partition and the merge state, committed with the consumer offsets.',
      format: 'non-empty-string',
      default: 'logpipe.report-state',
      env: 'LOGPIPE_REPORT_STATE_TOPIC',
    },
    dir: {
      doc: 'Reports directory: <log topic>.<window-start>.json, .csv and .txt per closed window (docs/report.md).',
      format: 'non-empty-string',
      default: 'reports',
      env: 'LOGPIPE_REPORT_DIR',
    },
    windowMode: {
      doc: 'event: windows by event time (the record timestamp, or its `time` header under kafka.topicProfile msk-serverless), closed by the watermark or idleness; processing: windows by arrival time, like the original\'s 60 s Spark batches.',
      format: oneOf(['event', 'processing'] as const),
      default: 'event',
      env: 'LOGPIPE_REPORT_WINDOW_MODE',
    },
    windowSizeMs: {
      doc: 'Length of a tumbling window.',
      format: 'positive-int',
      default: 60000,
      env: 'LOGPIPE_REPORT_WINDOW_SIZE_MS',
    },
    allowedLatenessMs: {
      doc: 'Event time: how far the watermark trails the highest event time seen; records older than it for a closed window count as late.',
      format: 'nat',
      default: 5000,
      env: 'LOGPIPE_REPORT_ALLOWED_LATENESS_MS',
    },
    futureSkewMs: {
      doc: 'Event time: a record dated more than this beyond the wall clock when the report stage reads it is future-dated (a host with a wrong clock or zone). It does not move the watermark; it is counted at its source\'s newest believable time (docs/report.md, Future-dated records), and that window\'s `future` figure (report field, text report, dashboard, metric logpipe_report_future_records_total) says how many such records it holds.',
      format: 'nat',
      default: 300000,
      env: 'LOGPIPE_REPORT_FUTURE_SKEW_MS',
    },
    idleCloseMs: {
      doc: 'Event time: a partition with no new record for this long (and nothing left to read) closes its open windows, so the last window of a burst is reported; also how long a source (object) without a new record keeps holding its partition\'s watermark back.',
      format: 'positive-int',
      default: 10000,
      env: 'LOGPIPE_REPORT_IDLE_CLOSE_MS',
    },
    ingestStallMs: {
      doc: 'Event time: a partition is not idle (see idleCloseMs) while the ingest ledger shows an object of the log topic whose records go to that partition in progress, committed less than this long ago: an ingest stalled by a broker or S3 outage resumes into open windows instead of making its records late. An object left in progress longer stops holding the partition.',
      format: 'positive-int',
      default: 120000,
      env: 'LOGPIPE_REPORT_INGEST_STALL_MS',
    },
    maxErrorMessages: {
      doc: 'Distinct ERROR messages tracked per window for the top-10 list (bounded memory; see docs/report.md).',
      format: 'nat',
      default: 1000,
      env: 'LOGPIPE_REPORT_MAX_ERROR_MESSAGES',
    },
    alertThresholds: {
      doc: 'Alert when a level\'s count in a window is greater than its threshold: LEVEL:N pairs separated by commas. The original\'s rule is ERROR:1 (more than 1 ERROR).',
      format: 'level-thresholds',
      default: { ERROR: 1 },
      env: 'LOGPIPE_REPORT_ALERT_THRESHOLDS',
    },
    alertErrorShare: {
      doc: 'Alert when ERROR / total in a window is greater than this fraction (windows with at least alertMinTotal entries); -1 turns the rule off.',
      format: 'fraction-or-off',
      default: -1,
      env: 'LOGPIPE_REPORT_ALERT_ERROR_SHARE',
    },
    alertMinTotal: {
      doc: 'The ERROR-share rule applies to windows with at least this many entries.',
      format: 'nat',
      default: 0,
      env: 'LOGPIPE_REPORT_ALERT_MIN_TOTAL',
    },
    realertMs: {
      doc: 'Re-alert suppression: a breaching window starting less than this after the previous alerted window is reported but not emailed; 0 emails every breaching window.',
      format: 'nat',
      default: 0,
      env: 'LOGPIPE_REPORT_REALERT_MS',
    },
    emailTransport: {
      doc: 'How alert emails go out: ses (SendRawEmail at ses.endpoint), smtp (smtpUrl), file (an .eml per alert in outboxDir).',
      format: oneOf(['ses', 'smtp', 'file'] as const),
      default: 'ses',
      env: 'LOGPIPE_REPORT_EMAIL_TRANSPORT',
    },
    emailFrom: {
      doc: 'Sender address of alert emails (verified in SES for production).',
      format: 'email',
      default: 'logpipe@example.com',
      env: 'LOGPIPE_REPORT_EMAIL_FROM',
    },
    emailTo: {
      doc: 'Recipients of alert emails, separated by commas.',
      format: 'email-list',
      default: ['oncall@example.com'],
      env: 'LOGPIPE_REPORT_EMAIL_TO',
    },
    smtpUrl: {
      doc: 'For emailTransport smtp: smtp://[user:password@]host[:port] (smtps:// for TLS from the start).',
      format: 'smtp-url-or-empty',
      default: '',
      env: 'LOGPIPE_REPORT_SMTP_URL',
      sensitive: true,
    },
    smtpAllowInsecureAuth: {
      doc: 'For emailTransport smtp with user:password in smtpUrl: false (the default) requires TLS (smtps://, or a relay that accepts STARTTLS) and fails the send, credentials unsent, when the relay offers none; true sends the credentials in cleartext to a relay without TLS (only on a network you trust).',
      format: Boolean,
      default: false,
      env: 'LOGPIPE_REPORT_SMTP_ALLOW_INSECURE_AUTH',
    },
    outboxDir: {
      doc: 'For emailTransport file: directory of the .eml files, one per alerting window.',
      format: 'non-empty-string',
      default: 'outbox',
      env: 'LOGPIPE_REPORT_OUTBOX_DIR',
    },
    emailRetryDelayMs: {
      doc: 'Wait after a failed send before the next attempt; doubles per further failure up to emailRetryMaxDelayMs. Sending never gives up on transient failures.',
      format: 'positive-int',
      default: 1000,
      env: 'LOGPIPE_REPORT_EMAIL_RETRY_DELAY_MS',
    },
    emailRetryMaxDelayMs: {
      doc: 'Longest wait between two attempts at an alert email.',
      format: 'positive-int',
      default: 60000,
      env: 'LOGPIPE_REPORT_EMAIL_RETRY_MAX_DELAY_MS',
    },
  },
  control: {
    host: {
      doc: 'Address the control HTTP server of `logpipe start` binds to; anything but a loopback address (127.0.0.0/8, ::1, localhost) requires control.token.',
      format: 'non-empty-string',
      default: '127.0.0.1',
      env: 'LOGPIPE_CONTROL_HOST',
    },
    port: {
      doc: 'Port of the control HTTP server (health and readiness, ingest requests, metrics, the dashboard).',
      format: 'tcp-port',
      default: 8787,
      env: 'LOGPIPE_CONTROL_PORT',
    },
    token: {
      doc: 'Bearer token of the control API: when set, every request but GET /healthz and GET /readyz needs `Authorization: Bearer <token>` (the dashboard: open `/?token=<token>` once, a cookie keeps it). Required when control.host is not a loopback address. At least 16 characters of A-Z a-z 0-9 . _ ~ + / = -, e.g. from `openssl rand -hex 32`.',
      format: 'control-token',
      default: '',
      env: 'LOGPIPE_CONTROL_TOKEN',
      sensitive: true,
    },
    socket: {
      doc: 'Also serve the control API on this Unix socket (mode 0660: the service\'s user and group, and root); requests on it need no token, the file permissions decide. install-ec2.sh sets /run/logpipe/control.sock (systemd RuntimeDirectory), which shell/trigger.sh uses. "" for none. A socket left by a previous run is replaced; any other file there is an error.',
      format: 'socket-path-or-empty',
      default: '',
      env: 'LOGPIPE_CONTROL_SOCKET',
    },
    loginMaxAgeSeconds: {
      doc: 'Lifetime of a dashboard login (the cookie GET /?token= sets): Max-Age, and the server refuses the cookie after it. POST /logout ends it sooner.',
      format: 'positive-int',
      default: 43200,
      env: 'LOGPIPE_CONTROL_LOGIN_MAX_AGE_SECONDS',
    },
    secureCookie: {
      doc: 'true when browsers reach the dashboard over HTTPS (a TLS-terminating proxy in front of control.host:port): the login cookie gets Secure, so a browser never sends it over plain HTTP. The service does not read X-Forwarded-Proto: a header anyone can send cannot say whether TLS was used.',
      format: Boolean,
      default: false,
      env: 'LOGPIPE_CONTROL_SECURE_COOKIE',
    },
  },
  stack: {
    dir: {
      doc: 'Folder of the local stack (jars, venv, data, pid files, logs); relative paths are relative to the package root.',
      format: 'non-empty-string',
      default: '.stack',
      env: 'LOGPIPE_STACK_DIR',
    },
    kafkaPort: {
      doc: 'Port of the local Kafka broker listener on 127.0.0.1.',
      format: 'tcp-port',
      default: 9092,
      env: 'LOGPIPE_STACK_KAFKA_PORT',
    },
    kafkaControllerPort: {
      doc: 'Port of the local KRaft controller listener on 127.0.0.1 (fixed once the storage is formatted).',
      format: 'tcp-port',
      default: 9093,
      env: 'LOGPIPE_STACK_KAFKA_CONTROLLER_PORT',
    },
    kafkaSaslPort: {
      doc: 'Port of the local broker\'s SASL_SSL listener on 127.0.0.1: SCRAM-SHA-512 over TLS with a CA generated at `logpipe dev up` (docs/local-stack.md).',
      format: 'tcp-port',
      default: 9094,
      env: 'LOGPIPE_STACK_KAFKA_SASL_PORT',
    },
    kafkaHeapBytes: {
      doc: 'Maximum Java heap of the local broker.',
      format: 'positive-int',
      default: 512 * 1024 * 1024,
      env: 'LOGPIPE_STACK_KAFKA_HEAP_BYTES',
    },
    motoPort: {
      doc: 'Port of the local moto server (S3, SQS, SSM) on 127.0.0.1.',
      format: 'tcp-port',
      default: 5000,
      env: 'LOGPIPE_STACK_MOTO_PORT',
    },
    sesPort: {
      doc: 'Port of the local SES emulator on 127.0.0.1.',
      format: 'tcp-port',
      default: 8005,
      env: 'LOGPIPE_STACK_SES_PORT',
    },
    startTimeoutMs: {
      doc: 'How long `logpipe dev up` waits for a service to become ready (first runs also download and install).',
      format: 'positive-int',
      default: 180_000,
      env: 'LOGPIPE_STACK_START_TIMEOUT_MS',
    },
  },
};

export interface LoadOptions {
  /** Extra file, as given with --config; it must exist. */
  file?: string;
  /** Environment to read LOGPIPE_* and NODE_ENV from; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Folder holding default.json and <NODE_ENV>.json; defaults to the package's config/. */
  configDir?: string;
}

export interface LoadedConfig {
  config: LogpipeConfig;
  /** The effective configuration as JSON with sensitive values replaced. */
  redacted(): Record<string, unknown>;
  /** Files that were read, in order. */
  files: string[];
}

/**
 * Loads, merges and strictly validates the configuration.
 * Throws ConfigError naming each bad key, its value, where it came from and what was expected;
 * never returns a partially valid configuration.
 */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const configDir = options.configDir ?? path.join(packageRoot(), 'config');
  const files = [path.join(configDir, 'default.json')];
  const nodeEnv = env.NODE_ENV;
  if (nodeEnv && /^[\w-]+$/.test(nodeEnv)) files.push(path.join(configDir, `${nodeEnv}.json`));
  const present = files.filter((f) => fs.existsSync(f));
  if (options.file) {
    const file = path.resolve(options.file);
    if (!fs.existsSync(file)) throw new ConfigError([`config file ${file} does not exist (given with --config)`]);
    present.push(file);
  }

  const cfg = convict(schema, { env, args: [] });
  const fileData: Array<{ file: string; data: Record<string, unknown> }> = [];
  for (const file of present) {
    const data = readJsonFile(file);
    fileData.push({ file, data });
    cfg.load(data);
  }

  try {
    cfg.validate({ allowed: 'strict' });
  } catch (err) {
    throw new ConfigError(formatErrors((err as Error).message, cfg, env, fileData));
  }
  const config = cfg.getProperties();
  const crossChecks = checkCombinations(config, (key) => originOf(key, env, fileData));
  if (crossChecks.length) throw new ConfigError(crossChecks);
  return {
    config,
    files: present,
    redacted: () => JSON.parse(cfg.toString()) as Record<string, unknown>,
  };
}

/** Rules that involve more than one key. `origin` says where a key's value came from. */
function checkCombinations(config: LogpipeConfig, origin: (key: string) => string): string[] {
  const problems: string[] = [];
  const { parser } = config;
  let formatOk = true;
  if (parser.format === 'regex') {
    try {
      regexFormat(parser.regex);
    } catch (err) {
      formatOk = false;
      problems.push(`invalid configuration value for "parser.regex": ${JSON.stringify(parser.regex)}; parser.format is regex: ${(err as Error).message}`);
    }
  }
  if (formatOk && parser.timeFormat !== '') {
    const options: ParserOptions = { format: parser.format, regex: parser.regex, timeFormat: parser.timeFormat };
    try {
      resolveFormat(options);
    } catch (err) {
      problems.push(`invalid configuration value for "parser.timeFormat": ${JSON.stringify(parser.timeFormat)} (${origin('parser.timeFormat')}); parser.format is ${parser.format}: ${(err as Error).message}`);
    }
  }
  for (const p of sourceRuleProblems(parser)) {
    problems.push(`invalid configuration value for "${p.key}": ${p.value === undefined ? 'not set' : JSON.stringify(p.value)} (${origin('parser.sources')}); ${p.message}`);
  }
  if (config.ingest.workers > 1 && config.ingest.workerMode === 'in-memory') {
    problems.push(`invalid configuration value for "ingest.workers": ${config.ingest.workers} (${origin('ingest.workers')}); ingest.workerMode is in-memory, which runs one worker in the service process (more would not use another core): set ingest.workerMode to forked, or ingest.workers to 0 or 1`);
  }
  problems.push(...kafkaSecurityProblems(config.kafka));
  problems.push(...topicSettingsProblems(sizingOf(config), origin));
  return problems;
}

/**
 * kafka.ssl.* and kafka.sasl.* settings that contradict each other or leave something out. Each line
 * names the key to change; secrets are never repeated.
 */
function kafkaSecurityProblems({ ssl, sasl }: LogpipeConfig['kafka']): string[] {
  const problems: string[] = [];
  const bad = (key: string, value: string, why: string): number => problems.push(`invalid configuration value for "${key}": ${value}; ${why}`);
  if (!ssl.enabled) {
    for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
      if (ssl[key]) bad(`kafka.ssl.${key}`, JSON.stringify(ssl[key]), 'it is set but kafka.ssl.enabled is false; set kafka.ssl.enabled to true (LOGPIPE_KAFKA_SSL_ENABLED) or remove it');
    }
  }
  if (Boolean(ssl.certFile) !== Boolean(ssl.keyFile)) {
    const [set, missing] = ssl.certFile ? ['certFile', 'keyFile'] : ['keyFile', 'certFile'];
    bad(`kafka.ssl.${missing}`, '""', `kafka.ssl.${set} is set; a client certificate needs both kafka.ssl.certFile and kafka.ssl.keyFile`);
  }
  if (ssl.enabled) {
    for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
      const file = ssl[key];
      if (!file) continue;
      try {
        fs.accessSync(file, fs.constants.R_OK);
      } catch (err) {
        bad(`kafka.ssl.${key}`, JSON.stringify(file), `the file cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
    }
  }
  const usesPassword = sasl.mechanism === 'scram-sha-512' || sasl.mechanism === 'scram-sha-256' || sasl.mechanism === 'plain';
  if (usesPassword) {
    if (!sasl.username) bad('kafka.sasl.username', '""', `kafka.sasl.mechanism is ${sasl.mechanism}, which needs a username (LOGPIPE_KAFKA_SASL_USERNAME)`);
    if (!sasl.password) bad('kafka.sasl.password', '""', `kafka.sasl.mechanism is ${sasl.mechanism}, which needs a password (LOGPIPE_KAFKA_SASL_PASSWORD)`);
  } else if (sasl.username || sasl.password) {
    const key = sasl.username ? 'kafka.sasl.username' : 'kafka.sasl.password';
    bad(key, sasl.username ? JSON.stringify(sasl.username) : '[redacted]', `it is set but kafka.sasl.mechanism is ${sasl.mechanism}, which does not use it; set kafka.sasl.mechanism (LOGPIPE_KAFKA_SASL_MECHANISM) or remove it`);
  }
  // PLAIN sends the password as it is, and MSK offers IAM only on its TLS listener.
  if ((sasl.mechanism === 'plain' || sasl.mechanism === 'aws-msk-iam') && !ssl.enabled) {
    bad('kafka.ssl.enabled', 'false', `kafka.sasl.mechanism ${sasl.mechanism} needs TLS: set kafka.ssl.enabled to true (LOGPIPE_KAFKA_SSL_ENABLED)`);
  }
  if (sasl.region && sasl.mechanism !== 'aws-msk-iam') {
    bad('kafka.sasl.region', JSON.stringify(sasl.region), `it is used only by kafka.sasl.mechanism aws-msk-iam (it is ${sasl.mechanism})`);
  }
  return problems;
}

/** The settings topic sizing reads (src/system/config/topic-settings.ts). */
/**
 * The Kafka client library a stage runs on: its own key (ingest.kafkaClient, report.kafkaClient)
 * when set, else kafka.client. Topic administration, the ingest ledger's reader and the CLI's
 * one-off readers are kafkajs whatever this says.
 */
export function kafkaClientOf(config: Pick<LogpipeConfig, 'kafka' | 'ingest' | 'report'>, stage: 'ingest' | 'report'): KafkaClientKind {
  return config[stage].kafkaClient || config.kafka.client;
}

export function sizingOf(config: Pick<LogpipeConfig, 'kafka' | 'ingest' | 'parser' | 'report'>): SizingConfig {
  return {
    kafka: { profile: config.kafka.topicProfile, topicMaxMessageBytes: config.kafka.topicMaxMessageBytes },
    ingest: config.ingest,
    parser: config.parser,
    report: config.report,
  };
}

function readJsonFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`config file ${file} cannot be read: ${(err as Error).message}`]);
  }
  if (text.trim() === '') return {};
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([`config file ${file} is not valid JSON: ${(err as Error).message}`]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([`config file ${file} must hold a JSON object, found ${JSON.stringify(data)}`]);
  }
  return data as Record<string, unknown>;
}

const SENSITIVE = new Set(schemaLeaves().filter((l) => l.sensitive).map((l) => l.key));

/** Rewrites convict's validation output into one line per problem with key, value, origin, expectation. */
function formatErrors(
  message: string,
  cfg: convict.Config<LogpipeConfig>,
  env: NodeJS.ProcessEnv,
  fileData: Array<{ file: string; data: Record<string, unknown> }>,
): string[] {
  return message.split('\n').map((line) => {
    const undeclared = /^configuration param '(.+)' not declared in the schema$/.exec(line);
    if (undeclared) {
      const key = undeclared[1];
      const origin = lastFileDefining(key, fileData);
      const near = nearestKey(key);
      const fix = near ? `did you mean "${near}"?` : 'remove it; `logpipe config` prints every key (docs/configuration.md explains them)';
      return `unknown configuration key "${key}"${origin ? ` in ${origin}` : ''}: not in the schema; ${fix}`;
    }
    const invalid = /^([\w.]+): (.*?)(?:: value was .*)?$/.exec(line);
    if (!invalid) return `invalid configuration: ${line}`;
    const [, key, expected] = invalid;
    const value = SENSITIVE.has(key) ? '[redacted]' : JSON.stringify(cfg.get(key as never));
    return `invalid configuration value for "${key}": ${value} (${originOf(key, env, fileData)}); ${expected}`;
  });
}

/**
 * The schema key an unknown key was probably meant to be: the only key with the same last segment
 * (a key under the wrong section), else the closest by edit distance, within 2 edits (3 for keys of
 * 15 characters or more). undefined when nothing is close.
 */
export function nearestKey(unknown: string): string | undefined {
  const keys = schemaLeaves().map((l) => l.key);
  const leaf = unknown.split('.').pop()?.toLowerCase();
  const sameLeaf = keys.filter((k) => k.split('.').pop()?.toLowerCase() === leaf);
  if (sameLeaf.length === 1) return sameLeaf[0];
  const limit = unknown.length >= 15 ? 3 : 2;
  let best: { key: string; distance: number } | undefined;
  for (const key of keys) {
    const distance = editDistance(unknown.toLowerCase(), key.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { key, distance };
  }
  return best?.key;
}

/** Levenshtein distance: insertions, deletions and substitutions of one character each cost 1. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

function originOf(key: string, env: NodeJS.ProcessEnv, fileData: Array<{ file: string; data: Record<string, unknown> }>): string {
  const envName = envNameOf(key);
  if (envName && env[envName] !== undefined) return `from env ${envName}`;
  const file = lastFileDefining(key, fileData);
  return file ? `from ${file}` : 'default';
}

/** The file that set `key` last (the one whose value counts), if any. */
function lastFileDefining(key: string, fileData: Array<{ file: string; data: Record<string, unknown> }>): string | undefined {
  return fileData.filter((f) => hasPath(f.data, key)).map((f) => f.file).pop();
}

/** One key of the schema with its declaration (doc, format, default, env, sensitive). */
export interface SchemaLeaf {
  key: string;
  doc: string;
  env: string;
  default: unknown;
  sensitive: boolean;
}

/** Every key of the schema, in declaration order. */
export function schemaLeaves(node: Record<string, unknown> = schema as unknown as Record<string, unknown>, prefix = ''): SchemaLeaf[] {
  return Object.entries(node).flatMap(([name, value]) => {
    const item = value as Record<string, unknown>;
    if ('default' in item && 'format' in item) {
      return [{ key: prefix + name, doc: String(item.doc), env: String(item.env), default: item.default, sensitive: item.sensitive === true }];
    }
    return schemaLeaves(item, `${prefix}${name}.`);
  });
}

/** The environment variable that sets a key, or undefined for unknown keys. */
export function envNameOf(key: string): string | undefined {
  return schemaLeaves().find((l) => l.key === key)?.env;
}

function hasPath(data: Record<string, unknown>, key: string): boolean {
  let node: unknown = data;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object' || !(part in node)) return false;
    node = (node as Record<string, unknown>)[part];
  }
  return true;
}
