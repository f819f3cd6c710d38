/**
 * Small pieces every librdkafka client of logpipe needs: its configuration from LogpipeConfig (files
 * read, MSK IAM signer attached), its log lines in logpipe's log, and its callbacks as promises with
 * errors classified.
 */
import fs from 'node:fs';
import type { LogpipeConfig } from '../../config/config';
import { signMskIamToken } from '../../config/kafka-security';
import type { Logger } from '../../observability/logging';
import type { LibrdkafkaClient, LibrdkafkaGlobalConfig, NodeCallback } from './api';
import { fromLibrdkafka } from './errors';
import { librdkafkaGlobalConfig } from './global-config';

/**
 * librdkafka's global configuration for this service's configuration: the counterpart of
 * createKafka (clients.ts) for kafka.client librdkafka. Throws an Error naming the key when a
 * certificate file cannot be read.
 */
export function librdkafkaConfigFor(config: LogpipeConfig, options: { clientIdSuffix?: string } = {}): LibrdkafkaGlobalConfig {
  return librdkafkaGlobalConfig(config.kafka, { readFile: (file) => fs.readFileSync(file), awsRegion: config.aws.region, mskIamToken: signMskIamToken }, { clientIdSuffix: options.clientIdSuffix, logLevel: config.log.level });
}

/** syslog severity (librdkafka's) → logpipe's level. */
function levelOf(severity: number): 'error' | 'warn' | 'info' | 'debug' {
  return severity <= 3 ? 'error' : severity === 4 ? 'warn' : severity <= 6 ? 'info' : 'debug';
}

/**
 * Sends `client`'s log lines and client-wide errors to `logger`. Client-wide errors (a broker down,
 * _ALL_BROKERS_DOWN) are logged at warn: librdkafka keeps reconnecting by itself, and an operation
 * that cannot complete fails on its own callback, which callers handle.
 */
export function forwardLibrdkafkaLogs(client: LibrdkafkaClient, logger: Logger): void {
  client.on('event.log', (log) => logger.log(levelOf(log.severity), 'librdkafka', { facility: log.fac, detail: log.message }));
  client.on('event.error', (err) => logger.warn('librdkafka client error', { code: err.code, error: err.message, fatal: err.isFatal === true }));
}

/** Calls a callback-style method of the binding; rejects with fromLibrdkafka(err, action). */
export function librdkafkaCall(action: string, f: (cb: NodeCallback) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      f((err) => (err ? reject(fromLibrdkafka(err, action)) : resolve()));
    } catch (err) {
      reject(fromLibrdkafka(err, action));
    }
  });
}
