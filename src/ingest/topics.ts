import type { Admin } from 'kafkajs';
import { type LogpipeConfig, sizingOf } from '../system/config/config';
import type { Logger } from '../system/observability/logging';
import { ANY_TIME, checkLogTopic, logRequestBytes, logTopicMessageBytes } from '../system/config/topic-settings';
import { compactionSettingsFor, ensureTopics } from '../system/kafka/topics';

/**
 * Creates the ingest topics if missing: the log topic (configured partitions and replication), the
 * compacted progress topic (one partition: the ledger is read whole by every instance; with
 * compactionSettingsFor the profile, so that what it reads is bounded by the live records) and the
 * dead-letter topic. Existing topics keep their settings, but an existing log topic is checked: a
 * record that could not fit it, or (profile standard) a timestamp limit, refuses the start (see
 * checkLogTopic). Rejects naming the topic and the reason when the broker refuses one (see
 * createTopics).
 *
 * A batch of one source goes to one partition, in requests of at most the returned byte budget
 * (ObjectPublisher's maxRequestBytes); the log topic is created to take a whole batch plus one
 * maximal entry where the profile allows (logTopicMessageBytes), since the broker's default of 1 MiB
 * would reject them. Profile standard: record timestamps are event times from the logs, which may
 * lie far in the past or (clock skew, zones) in the future, and Kafka 4 rejects timestamps more than
 * an hour ahead by default, so the log topic accepts any. Profile msk-serverless: no timestamp
 * setting (the records carry their ingest time; src/system/config/topic-settings.ts).
 *
 * Resolves with the byte budget of one produce request of log records, from the log topic's actual
 * max.message.bytes (or logpipe's own value when the settings cannot be read).
 */
export async function ensureIngestTopics(admin: Admin, config: Pick<LogpipeConfig, 'kafka' | 'ingest' | 'parser' | 'report'>, logTopic = config.kafka.topic, log?: Logger): Promise<number> {
  const { kafka } = config;
  const sizing = sizingOf(config);
  const maxMessageBytes = logTopicMessageBytes(sizing);
  const timestamps = kafka.topicProfile !== 'msk-serverless'
    ? [
        { name: 'message.timestamp.before.max.ms', value: ANY_TIME },
        { name: 'message.timestamp.after.max.ms', value: ANY_TIME },
      ]
    : [];
  const settings = await ensureTopics(
    admin,
    [
      {
        topic: logTopic,
        numPartitions: kafka.topicPartitions,
        replicationFactor: kafka.replicationFactor,
        configEntries: [{ name: 'max.message.bytes', value: String(maxMessageBytes) }, ...timestamps],
        check: (values) => checkLogTopic(logTopic, values, sizing),
      },
      { topic: kafka.progressTopic, numPartitions: 1, replicationFactor: kafka.replicationFactor, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, ...compactionSettingsFor(kafka.topicProfile)] },
      { topic: kafka.deadLetterTopic, numPartitions: 1, replicationFactor: kafka.replicationFactor },
    ],
    log,
  );
  const actual = Number(settings.get(logTopic)?.get('max.message.bytes'));
  return logRequestBytes(Number.isFinite(actual) && actual > 0 ? actual : maxMessageBytes);
}
