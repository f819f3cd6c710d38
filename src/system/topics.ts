/**
 * Topic creation shared by ingest and the report stage: one place that turns the broker's refusal
 * into a message naming the topic, the reason and the key to change.
 */
import type { Admin, ITopicConfig } from 'kafkajs';

/** kafkajs's per-topic error inside the KafkaJSAggregateError that createTopics throws. */
interface TopicError {
  topic?: string;
  type?: string;
  message?: string;
}

/**
 * Creates `topics` (waiting for their leaders); a no-op for an empty list. Rejects with an Error
 * whose message names each topic the broker refused and why; a replication factor above the
 * number of brokers points at kafka.replicationFactor. Retrying cannot fix such a refusal.
 */
export async function createTopics(admin: Admin, topics: ITopicConfig[]): Promise<void> {
  if (topics.length === 0) return;
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } catch (err) {
    const errors = (err as { errors?: TopicError[] }).errors;
    if (!Array.isArray(errors) || errors.length === 0) throw err;
    throw new Error(explain(errors, topics), { cause: err });
  }
}

/** One clause per distinct refusal, naming its topics: `cannot create topics "a", "b" (replication factor 3): why; fix`. */
function explain(errors: TopicError[], topics: ITopicConfig[]): string {
  const groups = new Map<string, TopicError[]>();
  for (const e of errors) {
    const key = `${e.type}\u0000${e.message}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  return [...groups.values()]
    .map((group) => {
      const { type, message } = group[0];
      const names = group.map((e) => `"${e.topic ?? '?'}"`).join(', ');
      const factors = [...new Set(group.map((e) => topics.find((t) => t.topic === e.topic)?.replicationFactor).filter((f) => f !== undefined))];
      const what = `cannot create topic${group.length > 1 ? 's' : ''} ${names}${factors.length ? ` (replication factor ${factors.join(', ')})` : ''}`;
      const fix = type === 'INVALID_REPLICATION_FACTOR' ? '; kafka.replicationFactor (LOGPIPE_KAFKA_REPLICATION_FACTOR) must not exceed the number of brokers' : '';
      return `${what}: ${message ?? 'refused'}${type ? ` (${type})` : ''}${fix}`;
    })
    .join('; ');
}
