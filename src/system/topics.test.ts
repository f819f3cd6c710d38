import type { Admin } from 'kafkajs';
import { createTopics } from './topics';

/** An admin whose createTopics rejects as kafkajs does: a KafkaJSAggregateError with one error per topic. */
function refusingAdmin(errors: Array<{ topic: string; type: string; message: string }>): { admin: Admin; calls: unknown[] } {
  const calls: unknown[] = [];
  const admin = {
    createTopics: async (request: unknown) => {
      calls.push(request);
      throw Object.assign(new Error('Topic creation errors'), { name: 'KafkaJSAggregateError', errors });
    },
  } as unknown as Admin;
  return { admin, calls };
}

describe('createTopics', () => {
  // A replication factor above the broker count was reported as "Kafka not reachable" and retried forever.
  it('names the refused topics, the reason and the key to change', async () => {
    const invalid = { type: 'INVALID_REPLICATION_FACTOR', message: 'Replication-factor is invalid' };
    const { admin } = refusingAdmin([{ topic: 'a', ...invalid }, { topic: 'b', ...invalid }, { topic: 'c', type: 'POLICY_VIOLATION', message: 'not allowed' }]);
    await expect(createTopics(admin, [{ topic: 'a', replicationFactor: 3 }, { topic: 'b', replicationFactor: 3 }, { topic: 'c', replicationFactor: 3 }])).rejects.toThrow(
      'cannot create topics "a", "b" (replication factor 3): Replication-factor is invalid (INVALID_REPLICATION_FACTOR); ' +
        'kafka.replicationFactor (LOGPIPE_KAFKA_REPLICATION_FACTOR) must not exceed the number of brokers; ' +
        'cannot create topic "c" (replication factor 3): not allowed (POLICY_VIOLATION)',
    );
  });

  it('passes other errors through unchanged', async () => {
    const down = new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1');
    const admin = { createTopics: async () => Promise.reject(down) } as unknown as Admin;
    await expect(createTopics(admin, [{ topic: 'a' }])).rejects.toBe(down);
  });

  it('asks nothing for an empty list', async () => {
    const { admin, calls } = refusingAdmin([]);
    await createTopics(admin, []);
    expect(calls).toEqual([]);
  });
});
