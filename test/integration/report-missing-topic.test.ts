/**
 * A report stage started before its log topic exists (a service started before its first ingest)
 * fails its start with LogTopicMissingError naming the topic, which ReportActor logs at info and
 * retries, and starts once the topic is there.
 */
import { PassThrough } from 'node:stream';
import { LogTopicMissingError, ReportStage } from '../../src/report/stage';
import { createKafka } from '../../src/system/kafka/clients';
import { createLogger } from '../../src/system/observability/logging';
import { createTopics } from '../../src/system/kafka/topics';
import { quietLogger, testConfig, uniqueName } from '../support/helpers';

jest.setTimeout(120_000);

const base = testConfig();
const kafka = createKafka(base, quietLogger().logger);
const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });

describe('a report stage whose log topic does not exist yet', () => {
  it('fails its start naming the topic, and starts once the topic exists', async () => {
    const topic = uniqueName('it-missing-topic');
    const group = uniqueName('it-missing-topic-group');
    const config = { ...base, report: { ...base.report, groupId: group, dir: `/tmp/${group}` } };
    const transport = { kind: 'file' as const, send: async () => ({ ok: true as const, providerMessageId: null }), close: async () => {}, describe: () => 'test' };

    const early = new ReportStage({ kafka, config, topic, transport, log });
    const failure = await early.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    await early.stop();
    expect(failure).toBeInstanceOf(LogTopicMissingError);
    expect((failure as Error).message).toContain(`"${topic}"`);

    const admin = kafka.admin();
    await admin.connect();
    await createTopics(admin, [{ topic, numPartitions: 2, replicationFactor: 1 }]);
    await admin.disconnect();

    const later = new ReportStage({ kafka, config, topic, transport, log });
    try {
      await expect(later.start()).resolves.toBeUndefined();
    } finally {
      await later.stop();
    }
  });
});
