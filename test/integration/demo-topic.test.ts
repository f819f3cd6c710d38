/**
 * Why `logpipe demo` creates its log topic before the service starts: the broker does not create
 * topics on demand, and the report stage reads the log topic's partition count as it starts, so a
 * report stage that won the race with the ingest publisher (which creates the topic as it connects)
 * failed and logged "report stage could not start; retrying" between the demo's lines.
 */
import { createLogTopic } from '../../src/demo/demo';
import { createKafka } from '../../src/system/kafka/clients';
import { quietLogger, testConfig, uniqueName } from '../support/helpers';

const base = testConfig();
const { logger } = quietLogger();
const kafka = createKafka(base, logger, { retry: { retries: 1 } });

describe('the demo\'s log topic', () => {
  it('is missing until the demo creates it, then has kafka.topicPartitions partitions', async () => {
    const config = { ...base, kafka: { ...base.kafka, topic: uniqueName('it-demo-lines') } };
    const admin = kafka.admin();
    await admin.connect();
    try {
      // What the report stage's start-up ran into.
      await expect(admin.fetchTopicOffsets(config.kafka.topic)).rejects.toThrow(/does not host this topic-partition/);
      await createLogTopic(kafka, config, logger);
      expect(await admin.fetchTopicOffsets(config.kafka.topic)).toHaveLength(config.kafka.topicPartitions);
    } finally {
      await admin.disconnect();
    }
  });
});
