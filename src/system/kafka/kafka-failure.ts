/**
 * Kafka connection failures that waiting cannot fix: the broker refused the credentials, its listener
 * does not offer the configured SASL mechanism, or its TLS certificate cannot be verified. The one-shot commands end on them with a message naming the setting
 * to change; `logpipe start` stops on them (exit 1) instead of reporting "not ready" forever.
 */
import { KafkaJSProtocolError, KafkaJSSASLAuthenticationError } from 'kafkajs';
import type { LogpipeConfig } from '../config/config';
import { causeChain, isCertificateFailure } from '../errors/errors';

export type KafkaFailureKind = 'authentication' | 'mechanism' | 'certificate';

/** Which of the two failures `err` is, or undefined for anything a retry may cure (a broker down, a timeout). */
export function kafkaFailureKind(err: unknown): KafkaFailureKind | undefined {
  const errors = causeChain(err);
  if (errors.some((e) => e instanceof KafkaJSSASLAuthenticationError)) return 'authentication';
  if (errors.some((e) => e instanceof KafkaJSProtocolError && (e as KafkaJSProtocolError & { type?: string }).type === 'UNSUPPORTED_SASL_MECHANISM')) return 'mechanism';
  if (isCertificateFailure(err)) return 'certificate';
  return undefined;
}

/**
 * A message for an authentication, mechanism or certificate failure: what happened at which brokers, the
 * client's reason, and the keys to check (never their secret values). undefined for other failures.
 */
export function explainKafkaFailure(err: unknown, kafka: Pick<LogpipeConfig['kafka'], 'brokers' | 'ssl' | 'sasl'>): string | undefined {
  const kind = kafkaFailureKind(err);
  const reason = err instanceof Error ? err.message : String(err);
  const at = kafka.brokers.join(',');
  if (kind === 'authentication') {
    const { mechanism, username } = kafka.sasl;
    const fix =
      mechanism === 'aws-msk-iam'
        ? 'check that the AWS credentials in use (the default credential chain, e.g. the instance role) are allowed kafka-cluster:Connect on the cluster and that kafka.sasl.region is the cluster\'s (docs/deploy-aws.md)'
        : 'check kafka.sasl.username and kafka.sasl.password (LOGPIPE_KAFKA_SASL_USERNAME, LOGPIPE_KAFKA_SASL_PASSWORD) and kafka.sasl.mechanism';
    const who = mechanism === 'aws-msk-iam' || !username ? '' : ` user "${username}"`;
    return `Kafka authentication failed at ${at} (SASL ${mechanism}${who}): ${reason}; ${fix}. Not retried: the same credentials fail again`;
  }
  if (kind === 'mechanism') {
    return (
      `the Kafka listener at ${at} does not offer SASL ${kafka.sasl.mechanism}: ${reason}; set kafka.sasl.mechanism (LOGPIPE_KAFKA_SASL_MECHANISM) ` +
      'to one it offers, or point kafka.brokers at the listener that offers it (on MSK: 9096 SASL/SCRAM, 9098 IAM). Not retried: the listener will not change'
    );
  }
  if (kind === 'certificate') {
    const trust = kafka.ssl.caFile ? `kafka.ssl.caFile "${kafka.ssl.caFile}"` : 'the system CAs (kafka.ssl.caFile is "")';
    return (
      `the TLS certificate of Kafka at ${at} cannot be verified against ${trust}: ${reason}; ` +
      'set kafka.ssl.caFile (LOGPIPE_KAFKA_SSL_CA_FILE) to the PEM of the CA that signed the broker certificates, and connect by a name or address the certificate lists. Not retried: the same certificate fails again'
    );
  }
  return undefined;
}
