import type { Admin } from 'kafkajs';
import { checkCompaction, compactionCommand, compactionProblems, createTopics } from './topics';

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

describe('compactionProblems', () => {
  // Kafka's defaults (segment.bytes 1 GiB, segment.ms 7 days, ratio 0.5) keep a topic of small
  // records in its active segment for days: nothing is compacted and every start reads everything.
  it('names each setting that keeps a compacted topic from being compacted, with the value it needs', () => {
    const defaults = new Map([
      ['cleanup.policy', 'compact'],
      ['segment.bytes', '1073741824'],
      ['segment.ms', '604800000'],
      ['min.cleanable.dirty.ratio', '0.5'],
    ]);
    expect(compactionProblems(defaults)).toEqual([
      { name: 'segment.bytes', value: '1073741824', wanted: String(64 * 1024 * 1024) },
      { name: 'segment.ms', value: '604800000', wanted: '3600000' },
      { name: 'min.cleanable.dirty.ratio', value: '0.5', wanted: '0.1' },
    ]);
  });

  it('accepts the settings logpipe creates the topics with, smaller values and compact,delete', () => {
    expect(compactionProblems(new Map([['cleanup.policy', 'compact'], ['segment.bytes', String(64 * 1024 * 1024)], ['segment.ms', '3600000'], ['min.cleanable.dirty.ratio', '0.1']]))).toEqual([]);
    expect(compactionProblems(new Map([['cleanup.policy', 'compact,delete'], ['segment.bytes', '1048576'], ['segment.ms', '60000'], ['min.cleanable.dirty.ratio', '0.01']]))).toEqual([]);
    expect(compactionProblems(new Map())).toEqual([]);
  });

  it('reports a topic that is not compacted at all', () => {
    expect(compactionProblems(new Map([['cleanup.policy', 'delete']]))).toEqual([{ name: 'cleanup.policy', value: 'delete', wanted: 'compact' }]);
  });
});

describe('checkCompaction', () => {
  it("reads the topic's settings, and answers [] when they cannot be read", async () => {
    const requests: unknown[] = [];
    const admin = {
      describeConfigs: async (request: unknown) => {
        requests.push(request);
        return { resources: [{ configEntries: [{ configName: 'segment.ms', configValue: '604800000' }] }] };
      },
    } as unknown as Admin;
    expect(await checkCompaction(admin, 'progress')).toEqual([{ name: 'segment.ms', value: '604800000', wanted: '3600000' }]);
    expect(requests).toEqual([{ includeSynonyms: false, resources: [{ type: 2, name: 'progress' }] }]);
    const denied = { describeConfigs: async () => Promise.reject(new Error('TOPIC_AUTHORIZATION_FAILED')) } as unknown as Admin;
    expect(await checkCompaction(denied, 'progress')).toEqual([]);
  });

  it('spells the kafka-configs command that sets every setting', () => {
    expect(compactionCommand('t')).toBe(
      'kafka-configs.sh --bootstrap-server <brokers> --alter --entity-type topics --entity-name t --add-config cleanup.policy=compact,segment.bytes=67108864,segment.ms=3600000,min.cleanable.dirty.ratio=0.1',
    );
  });
});
