/**
 * Factories for the clients every component shares: one place that turns configuration into a
 * kafkajs client or an AWS SDK client, so endpoints, credentials and logging stay consistent.
 * Components receive these clients through their constructors; none creates its own.
 */
import { Kafka, type RetryOptions } from 'kafkajs';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SESClient } from '@aws-sdk/client-ses';
import type { LogpipeConfig } from './config';
import { kafkaLogCreator, kafkaLogLevel, type Logger } from './logging';

/**
 * A kafkajs client for the configured brokers, logging through `logger`. `clientIdSuffix` tells
 * this client apart in broker logs; `retry` replaces kafkajs's default (5 retries with backoff, about
 * 6 s), which also governs connecting.
 */
export function createKafka(config: LogpipeConfig, logger: Logger, options: { clientIdSuffix?: string; retry?: RetryOptions } = {}): Kafka {
  return new Kafka({
    clientId: config.kafka.clientId + (options.clientIdSuffix ?? ''),
    ...(options.retry ? { retry: options.retry } : {}),
    brokers: config.kafka.brokers,
    connectionTimeout: config.kafka.connectionTimeoutMs,
    requestTimeout: config.kafka.requestTimeoutMs,
    logLevel: kafkaLogLevel(config.log.level),
    logCreator: kafkaLogCreator(logger),
  });
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
 * Consumer retry options for the long-running consumers (report stage, compacted views). kafkajs
 * restarts a crashed consumer only when it deems the error retriable; once its retries are spent
 * (a broker down for longer than they last) the consumer would stay stopped and the stage with it.
 * With this, kafkajs restarts them after its backoff whenever it deems the error retriable; the
 * crashes it does not restart (e.g. "Failed to find group coordinator" during a broker restart) are
 * handled by SupervisedConsumer (supervised-consumer.ts), which replaces the instance.
 */
export const ALWAYS_RESTART = { retry: { restartOnFailure: async (): Promise<boolean> => true } } as const;
