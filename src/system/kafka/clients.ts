/**
 * Factories for the Kafka and AWS clients: the one place that turns the configuration into a kafkajs
 * client or an AWS SDK client, so endpoints, credentials, TLS/SASL and logging stay consistent.
 * Actors call them when they start (a forked worker has to make its own clients), commands and the
 * service when they need one; the plain modules of src/ingest and src/report receive clients through
 * their constructors and create none. Two clients are made elsewhere on purpose: the Lambda's SSM
 * client (src/lambda/handler.ts: configured from the Lambda's environment, not this schema) and the
 * local stack's readiness probe (src/devstack/kafka.ts: the plaintext broker it has just started).
 */
import { assertKafkajsPatched } from './kafkajs-patch';
import fs from 'node:fs';
import { Kafka, type RetryOptions } from 'kafkajs';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SESClient } from '@aws-sdk/client-ses';
import { kafkaClientOf, type LogpipeConfig } from '../config/config';
import { kafkaSecurityOptions, signMskIamToken } from '../config/kafka-security';
import { kafkaLogCreator, kafkaLogLevel, type Logger } from '../observability/logging';
import { librdkafkaConfigFor, loadLibrdkafka } from './librdkafka';
import type { KafkaPort } from './port';
import { rdkafkaPort } from './rdkafka-port';

/**
 * A kafkajs client for the configured brokers, logging through `logger`. `clientIdSuffix` tells
 * this client apart in broker logs; `retry` replaces kafkajs's default (5 retries with backoff, about
 * 6 s), which also governs connecting. TLS and SASL come from kafka.ssl.* and kafka.sasl.*
 * (kafka-security.ts); every Kafka client of the service is made here, so none connects without them.
 * Throws an Error naming the key when a certificate file cannot be read.
 */
export function createKafka(config: LogpipeConfig, logger: Logger, options: { clientIdSuffix?: string; retry?: RetryOptions } = {}): Kafka {
  // Every read of ours is read_committed; an unpatched kafkajs would expose aborted records (kafkajs-patch.ts).
  assertKafkajsPatched();
  const security = kafkaSecurityOptions(config.kafka, { readFile: (file) => fs.readFileSync(file), awsRegion: config.aws.region, mskIamToken: signMskIamToken });
  return new Kafka({
    clientId: config.kafka.clientId + (options.clientIdSuffix ?? ''),
    ...(options.retry ? { retry: options.retry } : {}),
    ...security,
    brokers: config.kafka.brokers,
    connectionTimeout: config.kafka.connectionTimeoutMs,
    requestTimeout: config.kafka.requestTimeoutMs,
    logLevel: kafkaLogLevel(config.log.level),
    logCreator: kafkaLogCreator(logger),
  });
}

/**
 * The clients of the report stage and the compacted-topic readers (port.ts) on the report stage's
 * library (kafkaClientOf: report.kafkaClient, else kafka.client): kafkajs's `Kafka` itself, or librdkafka's consumers and transactional producers
 * (rdkafka-port.ts) with kafkajs's admin. Throws a PermanentError when that is librdkafka and
 * its package cannot be loaded (librdkafka/load.ts).
 */
export function createKafkaPort(config: LogpipeConfig, logger: Logger, options: { clientIdSuffix?: string; retry?: RetryOptions } = {}): KafkaPort {
  const kafka = createKafka(config, logger, options);
  if (kafkaClientOf(config, 'report') !== 'librdkafka') return kafka;
  return rdkafkaPort(loadLibrdkafka(), librdkafkaConfigFor(config, { clientIdSuffix: options.clientIdSuffix }), () => kafka.admin(), logger, { transactionTimeoutMs: config.kafka.requestTimeoutMs });
}

type AwsClientConfig = {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  requestChecksumCalculation: 'WHEN_REQUIRED';
  responseChecksumValidation: 'WHEN_REQUIRED';
};

/** Options shared by the AWS clients; an empty endpoint or key falls back to the SDK's defaults. */
function awsOptions(config: LogpipeConfig, endpoint: string): AwsClientConfig {
  const { region, accessKeyId, secretAccessKey } = config.aws;
  return {
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
    // S3-compatible stores (moto among them) reject or mangle the SDK's default CRC checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

export function createS3(config: LogpipeConfig): S3Client {
  return new S3Client({ ...awsOptions(config, config.aws.endpoint), forcePathStyle: config.aws.forcePathStyle });
}

export function createSqs(config: LogpipeConfig): SQSClient {
  return new SQSClient(awsOptions(config, config.aws.endpoint));
}

export function createSsm(config: LogpipeConfig): SSMClient {
  return new SSMClient(awsOptions(config, config.aws.endpoint));
}

export function createSes(config: LogpipeConfig): SESClient {
  return new SESClient(awsOptions(config, config.ses.endpoint));
}

/**
 * Consumer options for the long-running consumers (the report stage's, the compacted-topic
 * readers): kafkajs never restarts them itself; SupervisedConsumer (supervised-consumer.ts) replaces
 * a crashed instance with a new one. kafkajs's own restart could not be stopped: a consumer stopped
 * while kafkajs was restarting it (its runner not running yet) joined the group anyway and held
 * partitions nobody processed, and kafkajs gave up some crashes it deemed non-retriable
 * ("Failed to find group coordinator" during a broker restart) for good.
 */
export const NEVER_RESTART = { retry: { restartOnFailure: async (): Promise<boolean> => false } } as const;
