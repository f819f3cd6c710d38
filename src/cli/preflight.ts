/**
 * Checks a one-shot command makes before it starts work, so that a wrong address or a missing bucket
 * ends it within seconds with a message saying what happened and what to do. (`logpipe start` and
 * `logpipe report` without --exit-when-idle wait for Kafka instead, logging each retry, but end too
 * when the brokers refuse the credentials or the certificate: see kafka-failure.ts.)
 */
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { LogpipeConfig } from '../system/config/config';
import { createKafka } from '../system/kafka/clients';
import { explainKafkaFailure } from '../system/kafka/kafka-failure';
import type { Logger } from '../system/observability/logging';

/** How long the S3 check waits for an answer: a black-holed endpoint would otherwise hang the command. */
export const S3_CHECK_TIMEOUT_MS = 20_000;

/** A check failed; the message names the address tried and what to do. Exit code 1 (run time). */
export class PreflightError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreflightError';
  }
}

/**
 * The message for brokers that did not answer: the addresses tried, the client's reason, the fix.
 * With TLS or SASL configured it also names the likeliest cause, a listener of another kind: a TLS
 * client on a PLAINTEXT port (or the reverse) sees its connection closed, like a broker going away.
 */
export function kafkaUnreachableMessage(brokers: readonly string[], reason: string, security?: Pick<LogpipeConfig['kafka'], 'ssl' | 'sasl'>): string {
  const secured = security && (security.ssl.enabled || security.sasl.mechanism !== 'none');
  const listener = secured
    ? `; with kafka.ssl.enabled ${String(security.ssl.enabled)} and kafka.sasl.mechanism ${security.sasl.mechanism}, the brokers must be those of the matching listener (e.g. on MSK: 9094 TLS, 9096 SASL/SCRAM, 9098 IAM)`
    : '';
  return (
    `cannot reach Kafka at ${brokers.join(',')}: ${reason}; check that the brokers are running and that ` +
    `kafka.brokers is right (--brokers or LOGPIPE_KAFKA_BROKERS)${listener}; for the local stack run \`npm run dev:up\``
  );
}

/**
 * Connects an admin client once (kafkajs's default retries, about 10 s for a refused connection) and
 * returns it connected. Throws PreflightError naming the brokers when they do not answer, and naming
 * the settings to check when they refuse the credentials or present a certificate that cannot be verified.
 */
export async function connectKafkaAdmin(config: LogpipeConfig, logger: Logger): Promise<import('kafkajs').Admin> {
  const admin = createKafka(config, logger).admin();
  try {
    await admin.connect();
  } catch (err) {
    await admin.disconnect().catch(() => undefined);
    throw new PreflightError(explainKafkaFailure(err, config.kafka) ?? kafkaUnreachableMessage(config.kafka.brokers, (err as Error).message, config.kafka));
  }
  return admin;
}

/**
 * For the long-running commands, which wait for a broker that is down: one connection attempt that
 * throws PreflightError only when the brokers answer and refuse the credentials or the certificate
 * (waiting cannot fix those); any other outcome returns and the command waits as before.
 */
export async function checkKafkaSecurity(config: LogpipeConfig, logger: Logger): Promise<void> {
  const admin = createKafka(config, logger, { clientIdSuffix: '-check', retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
  } catch (err) {
    const explained = explainKafkaFailure(err, config.kafka);
    if (explained) throw new PreflightError(explained);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Where S3 requests go, for messages: the configured endpoint, or AWS itself in the region. */
export function s3Location(config: LogpipeConfig): string {
  return config.aws.endpoint ? `${config.aws.endpoint} (aws.endpoint)` : `AWS S3 in ${config.aws.region} (aws.region)`;
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** The message for an S3 endpoint that did not answer. */
export function s3UnreachableMessage(config: LogpipeConfig, reason: string): string {
  const fix = config.aws.endpoint
    ? 'check aws.endpoint (LOGPIPE_AWS_ENDPOINT; "" for AWS itself); for the local stack run `npm run dev:up`'
    : 'check the network and aws.region (LOGPIPE_AWS_REGION)';
  return `cannot reach S3 at ${s3Location(config)}: ${reason}; ${fix}`;
}

/** The message for a bucket S3 does not know; `fix` says what to do (it differs per command). */
export function bucketMissingMessage(config: LogpipeConfig, bucket: string, fix: string): string {
  return `bucket "${bucket}" does not exist at ${s3Location(config)}; ${fix}`;
}

/**
 * Asks S3 whether `bucket` exists (HeadBucket). Throws PreflightError when S3 answers 404 or does not
 * answer at all. Any other answer passes: a 403 comes from credentials allowed to read objects but
 * not to list the bucket (the EC2 role may list only under a prefix), and the ingest itself then
 * reports what it meets.
 */
export async function requireBucket(s3: S3Client, config: LogpipeConfig, bucket: string, fix: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: AbortSignal.timeout(S3_CHECK_TIMEOUT_MS) });
  } catch (err) {
    const status = statusOf(err);
    if (status === 404) throw new PreflightError(bucketMissingMessage(config, bucket, fix));
    if (status === undefined) {
      const e = err as Error;
      const reason = e.name === 'TimeoutError' || e.name === 'AbortError' ? `no answer within ${S3_CHECK_TIMEOUT_MS / 1000} s` : e.message;
      throw new PreflightError(s3UnreachableMessage(config, reason));
    }
  }
}

/**
 * Turns an S3 error met while writing to `bucket` into a message with the fix, or returns undefined
 * for errors that have nothing to add (they are reported as they are).
 */
export function explainS3Error(err: unknown, config: LogpipeConfig, bucket: string, fix: string): string | undefined {
  const e = err as { name?: string; message?: string };
  if (e.name === 'NoSuchBucket' || (statusOf(err) === 404 && e.name === 'NotFound')) return bucketMissingMessage(config, bucket, fix);
  if (statusOf(err) === undefined && /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET|socket hang up/.test(`${(err as { code?: string }).code ?? ''} ${e.message ?? ''}`)) {
    return s3UnreachableMessage(config, e.message ?? String(err));
  }
  return undefined;
}
