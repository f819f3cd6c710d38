/**
 * logpipe's Kafka configuration as librdkafka's global configuration: the one mapping both the
 * ingest publisher and the report stage's clients use, so brokers, TLS, SASL and timeouts mean the
 * same on kafkajs and librdkafka. Pure apart from the injected file reader and MSK token signer
 * (the same deps as kafka-security.ts), so it is tested without a network or the native module.
 */
import type { LogpipeConfig, LogLevel } from '../../config/config';
import type { KafkaSecurityDeps } from '../../config/kafka-security';
import type { LibrdkafkaGlobalConfig } from './api';

/** The configuration this module reads. */
export type LibrdkafkaConnectionConfig = Pick<LogpipeConfig['kafka'], 'brokers' | 'clientId' | 'connectionTimeoutMs' | 'requestTimeoutMs' | 'ssl' | 'sasl'>;

export interface LibrdkafkaGlobalConfigOptions {
  /** Appended to kafka.clientId, telling this client apart in broker logs (as createKafka's). */
  clientIdSuffix?: string;
  /** log.level: librdkafka logs at this level and above (its syslog levels). */
  logLevel?: LogLevel;
}

/** librdkafka's log levels are syslog's. */
export const SYSLOG_LEVELS: Record<LogLevel, number> = { error: 3, warn: 4, info: 6, debug: 7 };

/** The SASL mechanism names librdkafka expects for logpipe's kafka.sasl.mechanism. */
const SASL_MECHANISM_NAMES = { 'scram-sha-512': 'SCRAM-SHA-512', 'scram-sha-256': 'SCRAM-SHA-256', plain: 'PLAIN', 'aws-msk-iam': 'OAUTHBEARER' } as const;

/** The token the binding's oauthbearer_token_refresh_cb resolves with (lifetime: ms since the epoch). */
export interface OauthbearerToken {
  tokenValue: string;
  lifetime: number;
  principal: string;
}

/**
 * librdkafka's global configuration for a validated logpipe configuration (config.ts has checked
 * the combinations). Reads the certificate files now, so a client never starts with a file it cannot
 * read; throws an Error naming the key and the path otherwise. Certificates are always verified
 * (enable.ssl.certificate.verification and the broker's host name): there is no option to turn that off.
 *
 * Timeouts: kafka.connectionTimeoutMs is socket.connection.setup.timeout.ms (librdkafka's floor:
 * 1000), kafka.requestTimeoutMs is socket.timeout.ms. Callers add their role's properties
 * (transactional.id, group.id, isolation.level, ...) on top.
 */
export function librdkafkaGlobalConfig(kafka: LibrdkafkaConnectionConfig, deps: KafkaSecurityDeps, options: LibrdkafkaGlobalConfigOptions = {}): LibrdkafkaGlobalConfig {
  const { ssl, sasl } = kafka;
  const out: LibrdkafkaGlobalConfig = {
    'bootstrap.servers': kafka.brokers.join(','),
    'client.id': kafka.clientId + (options.clientIdSuffix ?? ''),
    'socket.connection.setup.timeout.ms': Math.min(Math.max(kafka.connectionTimeoutMs, 1000), 2_147_483_647),
    'socket.timeout.ms': Math.min(Math.max(kafka.requestTimeoutMs, 10), 300_000),
    log_level: SYSLOG_LEVELS[options.logLevel ?? 'warn'],
  };
  const saslOn = sasl.mechanism !== 'none';
  out['security.protocol'] = ssl.enabled ? (saslOn ? 'sasl_ssl' : 'ssl') : saslOn ? 'sasl_plaintext' : 'plaintext';
  if (ssl.enabled) {
    const read = (key: string, file: string): string => {
      try {
        return deps.readFile(file).toString('utf8');
      } catch (err) {
        throw new Error(`cannot read ${key} "${file}": ${(err as Error).message}`);
      }
    };
    // With a CA file only that CA is trusted (as with kafkajs); without one, the system's roots,
    // which `probe` finds also for a statically linked prebuilt binary.
    if (ssl.caFile) out['ssl.ca.pem'] = read('kafka.ssl.caFile', ssl.caFile);
    else out['ssl.ca.location'] = 'probe';
    if (ssl.certFile) out['ssl.certificate.pem'] = read('kafka.ssl.certFile', ssl.certFile);
    if (ssl.keyFile) out['ssl.key.pem'] = read('kafka.ssl.keyFile', ssl.keyFile);
    if (ssl.keyPassword) out['ssl.key.password'] = ssl.keyPassword;
    out['enable.ssl.certificate.verification'] = true;
    out['ssl.endpoint.identification.algorithm'] = 'https';
  }
  switch (sasl.mechanism) {
    case 'none':
      break;
    case 'scram-sha-512':
    case 'scram-sha-256':
    case 'plain':
      out['sasl.mechanisms'] = SASL_MECHANISM_NAMES[sasl.mechanism];
      out['sasl.username'] = sasl.username;
      out['sasl.password'] = sasl.password;
      break;
    case 'aws-msk-iam': {
      const region = sasl.region || deps.awsRegion;
      out['sasl.mechanisms'] = SASL_MECHANISM_NAMES[sasl.mechanism];
      // librdkafka asks again before the token's lifetime ends (at 80% of it), so an expired token
      // is never reused; a failure is reported to librdkafka, which asks again later.
      out.oauthbearer_token_refresh_cb = async (): Promise<OauthbearerToken> => {
        try {
          const token = await deps.mskIamToken(region);
          return { tokenValue: token.token, lifetime: token.expiryTime, principal: '' };
        } catch (err) {
          throw new Error(`kafka.sasl.mechanism aws-msk-iam: cannot sign a token for ${region} with the AWS default credential chain: ${(err as Error).message}`);
        }
      };
      break;
    }
  }
  return out;
}
