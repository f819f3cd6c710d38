import type { Admin } from 'kafkajs';
import type { Logger } from '../observability/logging';
import type { TopicConfigValues } from '../config/topic-settings';
import { loadConfig } from '../config/config';
import { checkCompaction, compactionCommand, compactionProblems, compactionSettingsFor, COMPACTION_SETTINGS, createTopics, ensureReportTopics, ensureTopics } from './topics';

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

  // A KRaft broker started a moment before answered the metadata request after a successful
  // CreateTopics with UNKNOWN_TOPIC_OR_PARTITION; kafkajs threw it and `logpipe ingest` exited 1.
  describe('a created topic not yet in the broker\'s metadata', () => {
    const unknown = (): Error => Object.assign(new Error('This server does not host this topic-partition'), { name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    const lagging = (answers: Array<Error | Array<{ name: string; partitions: Array<{ leader: number }> }>>): { admin: Admin; asked: () => number } => {
      const state = { asked: 0 };
      const admin = {
        createTopics: async () => Promise.reject(unknown()),
        fetchTopicMetadata: async () => {
          const a = answers[Math.min(state.asked++, answers.length - 1)];
          if (a instanceof Error) throw a;
          return { topics: a };
        },
      } as unknown as Admin;
      return { admin, asked: () => state.asked };
    };
    const noSleep = async (): Promise<void> => undefined;

    it('waits until every created topic has a leader per partition', async () => {
      const l = lagging([unknown(), [{ name: 'a', partitions: [{ leader: -1 }] }], [{ name: 'a', partitions: [{ leader: 1 }, { leader: 1 }] }]]);
      await createTopics(l.admin, [{ topic: 'a' }], { sleep: noSleep });
      expect(l.asked()).toBe(3);
    });

    it('rejects naming the topics when they never show', async () => {
      const l = lagging([unknown()]);
      await expect(createTopics(l.admin, [{ topic: 'a' }, { topic: 'b' }], { waitMs: 0, sleep: noSleep })).rejects.toThrow('topics "a", "b" created, but not in the broker\'s metadata with a leader per partition after 0 s');
    });

    it('passes another error of the metadata request through', async () => {
      const down = new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1');
      const l = lagging([down]);
      await expect(createTopics(l.admin, [{ topic: 'a' }], { sleep: noSleep })).rejects.toBe(down);
    });
  });

  it('asks nothing for an empty list', async () => {
    const { admin, calls } = refusingAdmin([]);
    await createTopics(admin, []);
    expect(calls).toEqual([]);
  });
});

/** An admin with `topics` existing (name → effective settings, or an error code for describeConfigs), recording what it is asked. */
function fakeAdmin(topics: Record<string, Record<string, string> | number>, describeFails?: Error) {
  const created: unknown[] = [];
  const warnings: Array<Record<string, unknown>> = [];
  const admin = {
    listTopics: async () => Object.keys(topics),
    createTopics: async (request: { topics: unknown[] }) => {
      created.push(...request.topics);
      return true;
    },
    describeConfigs: async ({ resources }: { resources: Array<{ name: string }> }) => {
      if (describeFails) throw describeFails;
      return {
        resources: resources.map(({ name }) => {
          const t = topics[name];
          return typeof t === 'number'
            ? { resourceName: name, errorCode: t, errorMessage: 'Authorization failed', configEntries: [] }
            : { resourceName: name, errorCode: 0, configEntries: Object.entries(t).map(([configName, configValue]) => ({ configName, configValue })) };
        }),
      };
    },
  } as unknown as Admin;
  const log = { warn: (message: string, meta: Record<string, unknown>) => warnings.push({ message, ...meta }) } as unknown as Logger;
  return { admin, created, warnings, log };
}

describe('ensureTopics', () => {
  const tooSmall = (values: TopicConfigValues): string[] => (Number(values.get('max.message.bytes')) < 100 ? [`too small: ${values.get('max.message.bytes')}`] : []);

  it('creates the missing topics without their checks and returns their settings as created', async () => {
    const { admin, created } = fakeAdmin({});
    const settings = await ensureTopics(admin, [{ topic: 'a', configEntries: [{ name: 'max.message.bytes', value: '500' }], check: tooSmall }, { topic: 'b' }]);
    expect(created).toEqual([{ topic: 'a', configEntries: [{ name: 'max.message.bytes', value: '500' }] }, { topic: 'b' }]);
    expect(settings.get('a')?.get('max.message.bytes')).toBe('500');
  });

  // Topics created by hand (MSK Serverless docs used to ask for that) must not fail later, at the first large record.
  it('checks existing topics against their effective settings and rejects with every problem, creating nothing', async () => {
    const { admin, created } = fakeAdmin({ a: { 'max.message.bytes': '50' }, b: { 'max.message.bytes': '60' }, c: { 'max.message.bytes': '5000' } });
    await expect(ensureTopics(admin, [{ topic: 'a', check: tooSmall }, { topic: 'b', check: tooSmall }, { topic: 'c', check: tooSmall }, { topic: 'd' }])).rejects.toThrow('too small: 50; too small: 60');
    expect(created).toEqual([]);
    const ok = fakeAdmin({ c: { 'max.message.bytes': '5000' } });
    expect((await ensureTopics(ok.admin, [{ topic: 'c', check: tooSmall }])).get('c')?.get('max.message.bytes')).toBe('5000');
  });

  it('skips the check with a warning when the settings cannot be read (no DescribeConfigs rights)', async () => {
    const denied = fakeAdmin({ a: 29, b: { 'max.message.bytes': '5000' } });
    const settings = await ensureTopics(denied.admin, [{ topic: 'a', check: tooSmall }, { topic: 'b', check: tooSmall }], denied.log);
    expect(settings.has('a')).toBe(false);
    expect(denied.warnings).toEqual([expect.objectContaining({ message: 'topic settings not readable; not checked', topic: 'a', error: 'Authorization failed' })]);
    const down = fakeAdmin({ a: { 'max.message.bytes': '1' } }, new Error('Cluster authorization failed'));
    await ensureTopics(down.admin, [{ topic: 'a', check: tooSmall }], down.log);
    expect(down.warnings).toEqual([expect.objectContaining({ topics: ['a'], error: 'Cluster authorization failed' })]);
  });

  // MSK Serverless refuses settings it does not allow; the message must say which key makes logpipe ask for less.
  it('a refused setting points at kafka.topicProfile and lists what was asked for', async () => {
    const { admin } = refusingAdmin([{ topic: 'a', type: 'INVALID_CONFIG', message: 'Invalid config' }]);
    await expect(createTopics(admin, [{ topic: 'a', configEntries: [{ name: 'max.message.bytes', value: '16777216' }] }])).rejects.toThrow(
      'cannot create topic "a": Invalid config (INVALID_CONFIG); a cluster that limits topic settings (MSK Serverless) needs kafka.topicProfile msk-serverless (LOGPIPE_KAFKA_TOPIC_PROFILE) or kafka.topicMaxMessageBytes, or the topic created by hand (logpipe asked for max.message.bytes=16777216)',
    );
  });
});

describe('ensureReportTopics', () => {
  const { config } = loadConfig({ env: {} });
  const { kafka, report } = config;

  it('creates the partials and state topics (one partition, large records; state compacted), the report topic and the ingest ledger', async () => {
    const { admin, created } = fakeAdmin({});
    await ensureReportTopics(admin, config);
    const byName = new Map((created as Array<{ topic: string; numPartitions: number; configEntries?: Array<{ name: string; value: string }> }>).map((t) => [t.topic, t]));
    expect([...byName.keys()]).toEqual([report.partialsTopic, report.stateTopic, report.topic, kafka.progressTopic]);
    for (const topic of [report.partialsTopic, report.stateTopic]) {
      expect(byName.get(topic)?.numPartitions).toBe(1);
      expect(byName.get(topic)?.configEntries).toContainEqual({ name: 'max.message.bytes', value: String(16 * 1024 * 1024) });
    }
    expect(byName.get(report.stateTopic)?.configEntries).toContainEqual({ name: 'cleanup.policy', value: 'compact' });
    expect(byName.get(kafka.progressTopic)?.configEntries).toContainEqual({ name: 'cleanup.policy', value: 'compact' });
  });

  it('rejects an existing state topic too small for a state record, naming it', async () => {
    const { admin, created } = fakeAdmin({ [report.stateTopic]: { 'max.message.bytes': '1048588', 'cleanup.policy': 'compact' } });
    await expect(ensureReportTopics(admin, config)).rejects.toThrow(report.stateTopic);
    expect(created).toEqual([]);
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

describe('compactionSettingsFor', () => {
  it('gives the compaction settings under the standard profile and none under msk-serverless, which refuses them', () => {
    expect(compactionSettingsFor('standard')).toBe(COMPACTION_SETTINGS);
    expect(compactionSettingsFor('msk-serverless')).toEqual([]);
  });
});
