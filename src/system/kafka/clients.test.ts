import { PassThrough } from 'node:stream';
import { Kafka } from 'kafkajs';
import { loadConfig } from '../config/config';
import { createLogger } from '../observability/logging';
import { createKafkaPort } from './clients';

const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
const configWith = (env: NodeJS.ProcessEnv) => loadConfig({ env }).config;

describe('createKafkaPort: the report stage on its own client', () => {
  it('is kafkajs itself when report.kafkaClient is kafkajs, whatever kafka.client says', () => {
    expect(createKafkaPort(configWith({ LOGPIPE_KAFKA_CLIENT: 'librdkafka', LOGPIPE_REPORT_KAFKA_CLIENT: 'kafkajs' }), log)).toBeInstanceOf(Kafka);
  });

  it('is librdkafka when report.kafkaClient says so (or names the package when it is missing)', () => {
    let port: unknown;
    try {
      port = createKafkaPort(configWith({ LOGPIPE_REPORT_KAFKA_CLIENT: 'librdkafka' }), log);
    } catch (err) {
      expect(String(err)).toContain('@confluentinc/kafka-javascript');
      return;
    }
    expect(port).not.toBeInstanceOf(Kafka);
  });

  it('follows kafka.client when the report stage has no client of its own', () => {
    expect(createKafkaPort(configWith({ LOGPIPE_INGEST_KAFKA_CLIENT: 'librdkafka' }), log)).toBeInstanceOf(Kafka);
  });
});
