import type { Admin } from 'kafkajs';
import type { LogpipeConfig } from '../system/config';
import { COMPACTION_SETTINGS, createTopics } from '../system/topics';

/**
 * Creates the ingest topics if missing: the log topic (configured partitions and replication), the
 * compacted progress topic (one partition: the ledger is read whole by every instance; with
 * COMPACTION_SETTINGS, so that what it reads is bounded by the live records) and the
 * dead-letter topic. Existing topics are left as they are. Rejects naming the topic and the reason
 * when the broker refuses one (see createTopics).
 *
 * A batch of one source goes to one partition as one record batch, so the log topic accepts
 * messages (record batches) of a batch's size plus room for one maximal entry; the broker's
 * default of 1 MiB would reject them. Record timestamps are event times from the logs, which may
 * lie far in the past or (clock skew, zones) in the future: Kafka 4 rejects timestamps more than an
 * hour ahead by default, so the log topic accepts any.
 */
const ANY_TIME = '9223372036854775807';

export async function ensureIngestTopics(admin: Admin, config: Pick<LogpipeConfig, 'kafka' | 'ingest' | 'parser'>, logTopic = config.kafka.topic): Promise<void> {
  const { kafka, ingest, parser } = config;
  const maxMessageBytes = ingest.batchMaxBytes + Math.max(ingest.maxLineBytes, parser.maxEntryBytes) + 1024 * 1024;
  const existing = new Set(await admin.listTopics());
  const wanted = [
    { topic: logTopic, numPartitions: kafka.topicPartitions, replicationFactor: kafka.replicationFactor, configEntries: [
        { name: 'max.message.bytes', value: String(maxMessageBytes) },
        { name: 'message.timestamp.before.max.ms', value: ANY_TIME },
        { name: 'message.timestamp.after.max.ms', value: ANY_TIME },
      ],
    },
    { topic: kafka.progressTopic, numPartitions: 1, replicationFactor: kafka.replicationFactor, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, ...COMPACTION_SETTINGS] },
    { topic: kafka.deadLetterTopic, numPartitions: 1, replicationFactor: kafka.replicationFactor },
  ].filter((t) => !existing.has(t.topic));
  await createTopics(admin, wanted);
}
