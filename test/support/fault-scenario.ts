/**
 * The fixture of a fault scenario (test/faults/*.test.ts): what every scenario sets up and tears
 * down, so that a scenario file holds its fault and its checks only.
 *
 * Call faultScenario('R2') once at a test file's top level. It gives the stack's configuration and
 * clients, names of the scenario's own (bucket, log topic, report group: unique per run, so runs on
 * one stack never see each other's data), a temporary folder, and readers of what the service
 * committed for those names (ledger, log topic, window reports). Every `logpipe start` it starts is
 * stopped in its afterAll (continued first if a scenario paused it), and all their logs go to one
 * file, $TMPDIR/<topic>.service.log, for a failure's post-mortem; cleanups a scenario registers
 * (an emulator, a proxy) run after that, last registered first.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Kafka } from 'kafkajs';
import { createCachingPartitioner } from '../../src/ingest/partitioner';
import type { ObjectProgress } from '../../src/ingest/progress';
import { createKafka, createS3, createSqs } from '../../src/system/kafka/clients';
import type { LogpipeConfig } from '../../src/system/config/config';
import { createBucket } from './aws';
import { resumeTree, ScenarioRecorder, versionEntries } from './exactly-once';
import { quietLogger, readTopic, type ReadRecord, testConfig, uniqueName } from './helpers';
import { recordScenario, type ScenarioRow } from './reliability';
import { committedReports, type CommittedReports, ledgerEntries, ledgerOutcomes, type ServiceProcess, startServiceProcess } from './service';

export interface FaultScenario {
  /** The scenario's id in docs/reliability.md (R1, R1b, …). */
  readonly id: string;
  readonly config: LogpipeConfig;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly kafka: Kafka;
  /** `faults-<id>-…`: a bucket, a log topic and a report group of this run's own. */
  readonly bucket: string;
  readonly topic: string;
  readonly group: string;
  /** A fresh temporary folder. */
  readonly dir: string;
  /** Every `logpipe start` started through start(), oldest first. */
  readonly services: readonly ServiceProcess[];
  /**
   * `logpipe start` with LOGPIPE_KAFKA_TOPIC = `topic` and `env` over it (see startServiceProcess);
   * stopped by the fixture's afterAll unless the scenario stopped it.
   */
  start(env?: NodeJS.ProcessEnv, args?: string[]): Promise<ServiceProcess>;
  /**
   * The report stage's settings for this scenario: its group, report files and (unless `env`
   * names another transport) the file outbox in `dir`; windows close after `idleCloseMs` without
   * new lines. `env` goes over them.
   */
  reportEnv(idleCloseMs: number, env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** Creates the bucket: with versioning on (and with `notify`, an SQS queue of its ObjectCreated events, whose URL it returns). Once. */
  createBucket(o?: { versioned?: boolean; notify?: boolean }): Promise<string | undefined>;
  /** PutObject into the bucket (created plain on first use); returns the version id S3 gave, if any. */
  upload(key: string, body: Buffer | string): Promise<string | undefined>;
  /** The latest ledger entry of each object of the bucket ingested into `topic`, by key. */
  ledger(): Promise<Map<string, ObjectProgress>>;
  /** ledger() once every key of `keys` has a final entry (done or dead-letter); throws after `timeoutMs`. */
  outcomes(keys: string[], timeoutMs: number): Promise<Map<string, ObjectProgress>>;
  /** The latest ledger entry of each object version, by `key#version`. */
  versions(topic?: string): Promise<Map<string, ObjectProgress>>;
  /** The log topic's records (see readTopic for when it stops reading). */
  readLog(expected: number, idleMs?: number, timeoutMs?: number): Promise<ReadRecord[]>;
  /** The window reports the scenario's group committed for its log topic. */
  reports(): Promise<CommittedReports>;
  /** The log-topic partition ingest's partitioner gives `key` (the service creates kafka.topicPartitions). */
  partitionOf(key: string): number;
  /** Appends a row to docs/reliability.md under the scenario's id. */
  record(row: Omit<ScenarioRow, 'id'>): void;
  /** A row recorded once the outcome is known, or as a FAIL if the body throws first. */
  recorder(row: Omit<ScenarioRow, 'id' | 'result'>): ScenarioRecorder;
  /** Runs `fn` in the afterAll, after the services stopped (last registered first). */
  cleanup(fn: () => Promise<unknown> | unknown): void;
}

/** The fixture of scenario `id`; `timeoutMs` is the file's test timeout (scenarios run for minutes). */
export function faultScenario(id: string, o: { timeoutMs?: number } = {}): FaultScenario {
  jest.setTimeout(o.timeoutMs ?? 600_000);
  const config = testConfig();
  const s3 = createS3(config);
  const sqs = createSqs(config);
  const kafka = createKafka(config, quietLogger().logger);
  const name = `faults-${id.toLowerCase()}`;
  const bucket = uniqueName(name);
  const topic = uniqueName(`${name}-lines`);
  const group = uniqueName(`${name}-report`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `logpipe-${id.toLowerCase()}-`));
  const services: ServiceProcess[] = [];
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  let bucketMade: Promise<string | undefined> | undefined;

  afterAll(async () => {
    for (const s of services) {
      // A paused process (SIGSTOP) would ignore SIGTERM until continued.
      if (s.child.exitCode === null && s.child.signalCode === null) resumeTree(s.child.pid!);
      await s.stop();
    }
    if (services.length) {
      const file = path.join(os.tmpdir(), `${topic}.service.log`);
      fs.writeFileSync(file, services.map((s, i) => `==== run ${i + 1}\n${s.log()}`).join('\n'));
      process.stderr.write(`[${id}] service logs: ${file}\n`);
    }
    for (const fn of cleanups.reverse()) await fn();
    s3.destroy();
    sqs.destroy();
  });

  const scenario: FaultScenario = {
    id,
    config,
    s3,
    sqs,
    kafka,
    bucket,
    topic,
    group,
    dir,
    services,
    async start(env = {}, args = []) {
      const service = await startServiceProcess({ LOGPIPE_KAFKA_TOPIC: topic, ...env }, args);
      services.push(service);
      return service;
    },
    reportEnv: (idleCloseMs, env = {}) => ({
      LOGPIPE_REPORT_GROUP_ID: group,
      LOGPIPE_REPORT_DIR: path.join(dir, 'reports'),
      LOGPIPE_REPORT_EMAIL_TRANSPORT: 'file',
      LOGPIPE_REPORT_OUTBOX_DIR: path.join(dir, 'outbox'),
      LOGPIPE_REPORT_IDLE_CLOSE_MS: String(idleCloseMs),
      ...env,
    }),
    createBucket(opts = {}) {
      bucketMade ??= createBucket(s3, bucket, { versioned: opts.versioned, sqs: opts.notify ? sqs : undefined });
      return bucketMade;
    },
    async upload(key, body) {
      await scenario.createBucket();
      const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      return put.VersionId && put.VersionId !== 'null' ? put.VersionId : undefined;
    },
    ledger: () => ledgerEntries(kafka, config.kafka.progressTopic, topic, bucket),
    outcomes: (keys, timeoutMs) => ledgerOutcomes(kafka, config.kafka.progressTopic, topic, bucket, keys, timeoutMs),
    versions: (logTopic = topic) => versionEntries(kafka, config.kafka.progressTopic, logTopic, bucket),
    readLog: (expected, idleMs, timeoutMs) => readTopic(kafka, topic, expected, idleMs, timeoutMs),
    reports: () => committedReports(kafka, config.report.topic, group, topic),
    partitionOf(key) {
      const partitionMetadata = Array.from({ length: config.kafka.topicPartitions }, (_, i) => ({ partitionErrorCode: 0, partitionId: i, leader: 0, replicas: [0], isr: [0] }));
      return createCachingPartitioner()({ topic, partitionMetadata, message: { key, value: null } });
    },
    record: (row) => recordScenario({ id, ...row }),
    recorder: (row) => new ScenarioRecorder({ id, ...row }),
    cleanup: (fn) => void cleanups.push(fn),
  };
  return scenario;
}
