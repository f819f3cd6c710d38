/**
 * Taking a transactional id over on the real broker (issue 14 items 2 and 3): the new owner fences
 * the old one before it reads the state it resumes from, and reads that state to the true end, past
 * another writer's open transaction. Each test failed on the code before the fix:
 * - the publisher opened its producer (kafkajs initialises the id at the first transaction, not at
 *   connect) and read the ledger before any fence, so the old owner's next commit still landed;
 * - the ledger was read up to the offset ListOffsets gives (the last stable offset), which another
 *   writer's open transaction holds back: the old owner's last commit lay past it and was not read.
 */
import { PassThrough } from 'node:stream';
import KafkaPublisherActor, { publisherOpener } from '../../src/actors/kafka-publisher-actor';
import { Ledger } from '../../src/ingest/ledger';
import { createKafka } from '../../src/system/kafka/clients';
import { createLogger } from '../../src/system/observability/logging';
import { createTopics } from '../../src/system/kafka/topics';
import { progressOf, quietLogger, readTopic, testConfig, uniqueName } from '../support/helpers';

jest.setTimeout(180_000);

const config = testConfig();
const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
const kafka = createKafka(config, quietLogger().logger);
const topics = { log: uniqueName('it-takeover-log'), progress: uniqueName('it-takeover-progress'), deadLetter: uniqueName('it-takeover-dlq') };
const admin = kafka.admin();
const cleanups: Array<() => Promise<unknown>> = [];


/**
 * A publisher actor with a ledger of its own, as a separate process has, on the real broker.
 * Processes with the same `prefix` derive the same transactional id for a version.
 */
async function publisherProcess(prefix: string): Promise<KafkaPublisherActor> {
  const ledger = new Ledger(kafka, topics.progress, log);
  const actor = new KafkaPublisherActor();
  // The publisher of kafka.client (LOGPIPE_KAFKA_CLIENT): the take-over contract holds for both.
  actor.init({ kafka, admin, ledger, topics, transactionalIdPrefix: prefix, log, ...publisherOpener(config, log, topics) });
  await ledger.start();
  cleanups.push(() => actor.destroy(), () => ledger.stop());
  return actor;
}

beforeAll(async () => {
  await admin.connect();
  await createTopics(admin, [
    { topic: topics.log, numPartitions: 1, replicationFactor: 1 },
    { topic: topics.progress, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    { topic: topics.deadLetter, numPartitions: 1, replicationFactor: 1 },
  ]);
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await admin.disconnect();
});

describe('taking an object version over', () => {
  it('fences the old owner before reading the ledger: the old owner\'s next commit fails and nothing is written twice', async () => {
    const prefix = uniqueName('it-takeover');
    const id = uniqueName('object');
    const [old, replacement] = await Promise.all([publisherProcess(prefix), publisherProcess(prefix)]);
    await old.begin(id);
    await old.commit(id, [{ key: id, value: 'line 1' }], progressOf(id, 1));

    // The old owner pauses (GC, SIGSTOP); a replacement takes the version over and resumes.
    const resumed = await replacement.begin(id);
    expect(resumed?.lines).toBe(1);
    // The old owner wakes up with its next batch: it must not land.
    await expect(old.commit(id, [{ key: id, value: 'line 2' }], progressOf(id, 2))).rejects.toThrow();
    await replacement.commit(id, [{ key: id, value: 'line 2' }], progressOf(id, 2, 'done'));

    const lines = (await readTopic(kafka, topics.log, 2, 1500, 60_000)).filter((r) => r.key === id).map((r) => r.value.toString());
    expect(lines).toEqual(['line 1', 'line 2']);
  });

  it('reads the ledger past another writer\'s open transaction, so the old owner\'s last commit is known', async () => {
    const id = uniqueName('object');
    const other = kafka.producer({ transactionalId: uniqueName('it-takeover-other'), idempotent: true, maxInFlightRequests: 1 });
    await other.connect();
    cleanups.push(() => other.disconnect());
    const prefix = uniqueName('it-takeover');
    const [old, replacement] = await Promise.all([publisherProcess(prefix), publisherProcess(prefix)]);

    await old.begin(id);
    // Another object's writer opens a transaction on the progress topic and holds it open: the last
    // stable offset stays before it.
    const open = await other.transaction();
    await open.send({ topic: topics.progress, messages: [{ key: 'another object', value: JSON.stringify(progressOf('another object', 1)) }] });
    // The old owner commits its first batch after it: past the last stable offset.
    await old.commit(id, [{ key: id, value: 'line 1' }], progressOf(id, 1));

    const takeOver = replacement.begin(id);
    // The other writer commits a moment later (as a transaction in flight does).
    setTimeout(() => void open.commit(), 1_500);
    const resumed = await takeOver;
    expect(resumed).toMatchObject({ lines: 1, status: 'in-progress' });
  });
});
