/**
 * The publisher contract (VersionPublisher) on the real broker, for each Kafka client logpipe can use
 * (kafka.client): kafkajs's ObjectPublisher and librdkafka's LibrdkafkaObjectPublisher. librdkafka
 * runs when @confluentinc/kafka-javascript is installed, and must be when LOGPIPE_KAFKA_CLIENT is
 * librdkafka (the CI matrix run). What each test guards:
 * - records land in order, with key, value, event timestamp and headers, and the partition
 *   kafkajs's DefaultPartitioner picks (a source's records stay on one partition whichever client);
 * - the records and the progress are one transaction: a failed commit leaves neither visible, and
 *   spends the publisher (a new one takes the version over);
 * - a second producer of the same transactional id fences the first: the first's next commit fails
 *   as permanent (not retried) and writes nothing;
 * - dead letters carry the reason with the final progress.
 */
import { PassThrough } from 'node:stream';
import type { Message } from 'kafkajs';
import { decodeProgress } from '../../src/ingest/progress';
import { ObjectPublisher, PublisherSpentError, type PublisherTopics, type VersionPublisher } from '../../src/ingest/publisher';
import { LibrdkafkaObjectPublisher } from '../../src/ingest/publisher-librdkafka';
import { isRetriable } from '../../src/system/errors/errors';
import { createKafka } from '../../src/system/kafka/clients';
import { forwardLibrdkafkaLogs, librdkafkaConfigFor, loadLibrdkafka, type LibrdkafkaModule } from '../../src/system/kafka/librdkafka';
import { createTopics } from '../../src/system/kafka/topics';
import { createLogger } from '../../src/system/observability/logging';
import { progressOf, quietLogger, readTopic, testConfig, uniqueName } from '../support/helpers';
import { kafkaClientOf } from '../../src/system/config/config';

jest.setTimeout(180_000);

const config = testConfig();
const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
const kafka = createKafka(config, quietLogger().logger);
const admin = kafka.admin();
const cleanups: Array<() => Promise<unknown>> = [];

/** The native binding when it can be loaded; under LOGPIPE_KAFKA_CLIENT=librdkafka it must be. */
function librdkafkaIfInstalled(): LibrdkafkaModule | undefined {
  try {
    return loadLibrdkafka();
  } catch (err) {
    if (kafkaClientOf(config, 'ingest') === 'librdkafka') throw err;
    return undefined;
  }
}
const rdkafka = librdkafkaIfInstalled();

type Opener = (transactionalId: string, topics: PublisherTopics, maxRequestBytes?: number) => Promise<VersionPublisher>;
const clients: Array<[string, Opener]> = [
  ['kafkajs', (tid, topics, maxRequestBytes) => ObjectPublisher.open(kafka, tid, topics, { maxRequestBytes })],
  ...(rdkafka
    ? ([
        [
          'librdkafka',
          (tid: string, topics: PublisherTopics, maxRequestBytes?: number) =>
            LibrdkafkaObjectPublisher.open(rdkafka, librdkafkaConfigFor(config, { clientIdSuffix: '-it' }), tid, topics, { maxRequestBytes }, (p) => forwardLibrdkafkaLogs(p, log)),
        ],
      ] as Array<[string, Opener]>)
    : []),
];


async function freshTopics(partitions = 1): Promise<PublisherTopics> {
  const topics = { log: uniqueName('it-pub-log'), progress: uniqueName('it-pub-progress'), deadLetter: uniqueName('it-pub-dlq') };
  await createTopics(admin, [
    { topic: topics.log, numPartitions: partitions, replicationFactor: 1 },
    { topic: topics.progress, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    { topic: topics.deadLetter, numPartitions: 1, replicationFactor: 1 },
  ]);
  return topics;
}

async function opened(open: Opener, tid: string, topics: PublisherTopics, maxRequestBytes?: number): Promise<VersionPublisher> {
  const p = await open(tid, topics, maxRequestBytes);
  cleanups.push(() => p.close());
  return p;
}

beforeAll(async () => {
  await admin.connect();
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await admin.disconnect();
});

describe.each(clients)('the publisher on %s', (_client, open) => {
  it('commits records in order with key, value, timestamp and headers, on kafkajs\'s partition for the key, with the progress', async () => {
    const topics = await freshTopics(10);
    const id = uniqueName('object');
    const p = await opened(open, uniqueName('it-pub'), topics);
    await p.fence(`\u0000barrier ${id}`);
    const t0 = Date.UTC(2026, 0, 2, 3, 4, 5);
    const records: Message[] = Array.from({ length: 2500 }, (_, i) => ({
      key: 'app/web-1.log',
      value: Buffer.from(`line ${i}`),
      timestamp: String(t0 + i),
      // A header value with a NUL (a hostile object name) arrives whole.
      headers: { object: `${id}\u0000x`, flags: i % 2 ? 'truncated' : '' },
    }));
    const firstBatch = records.slice(0, 1200);
    await p.commit(firstBatch, progressOf(id, 1200));
    await p.commit(records.slice(1200), progressOf(id, 2500, 'done'));
    // librdkafka copies what it queues: its publisher lets a batch's records go before the commit
    // returns (VersionPublisher.commit; the ingest's peak memory, docs/benchmarks.md).
    if (_client === 'librdkafka') expect(firstBatch).toHaveLength(0);

    const got = await readTopic(kafka, topics.log, 2500, 1500, 60_000);
    expect(got.map((r) => r.value.toString())).toEqual(records.map((r) => (r.value as Buffer).toString()));
    expect(got.map((r) => r.timestamp)).toEqual(records.map((r) => Number(r.timestamp)));
    expect(got[1]).toMatchObject({ key: 'app/web-1.log', headers: { object: `${id}\u0000x`, flags: 'truncated' } });
    // murmur2 of the key, as kafkajs's DefaultPartitioner and the Java client compute it: 10 partitions.
    expect(new Set(got.map((r) => r.partition)).size).toBe(1);
    const javaPartition = (await import('kafkajs')).Partitioners.DefaultPartitioner()({
      topic: topics.log,
      partitionMetadata: Array.from({ length: 10 }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] })),
      message: { key: 'app/web-1.log', value: null },
    });
    expect(got[0].partition).toBe(javaPartition);

    // The barrier's tombstone and two progress records.
    const progressRecords = await readTopic(kafka, topics.progress, 3, 1500, 60_000);
    const ledger = progressRecords.filter((r) => r.key === id).map((r) => decodeProgress(r.value));
    // The barrier's key whole: it begins with a NUL, which a C string would cut off (the ledger waits for exactly this key).
    expect(progressRecords.filter((r) => r.key.startsWith('\u0000')).map((r) => r.key)).toEqual([`\u0000barrier ${id}`]);
    expect(ledger.map((x) => [x?.lines, x?.status])).toEqual([
      [1200, 'in-progress'],
      [2500, 'done'],
    ]);
  });

  // A failed transaction spends the publisher (VersionPublisher): on kafkajs the failed request had
  // written the progress partition and was refused for the log partition, and kafkajs threw without
  // advancing that partition's idempotent sequence, so a next transaction on the same producer had
  // its progress record dropped by the broker as a duplicate (lines committed without their
  // progress; found by this test). The version goes on through a new publisher, as the service does.
  it('a failed commit leaves neither its records nor its progress visible; the publisher is spent, a new one goes on', async () => {
    const topics = await freshTopics();
    const id = uniqueName('object');
    const tid = uniqueName('it-pub');
    // A request budget far below one record: the broker (kafkajs) or librdkafka refuses it.
    const p = await opened(open, tid, topics, 2_000);
    await p.fence(`\u0000barrier ${id}`);
    const huge = { key: id, value: Buffer.alloc(2 << 20, 'x') };
    await expect(p.commit([{ key: id, value: 'before the huge one' }, huge], progressOf(id, 2))).rejects.toThrow();
    const refused = await p.commit([{ key: id, value: 'on the spent one' }], progressOf(id, 1)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(PublisherSpentError);
    expect(isRetriable(refused)).toBe(true);
    await expect(p.deadLetter(progressOf(id, 0, 'dead-letter'), {})).rejects.toBeInstanceOf(PublisherSpentError);

    const next = await opened(open, tid, topics, 2_000);
    await next.fence(`\u0000barrier ${id} 2`);
    await next.commit([{ key: id, value: 'after' }], progressOf(id, 1));
    const got = await readTopic(kafka, topics.log, 1, 1500, 60_000);
    expect(got.map((r) => r.value.toString())).toEqual(['after']);
    const ledger = (await readTopic(kafka, topics.progress, 3, 1500, 60_000)).filter((r) => r.key === id).map((r) => decodeProgress(r.value)?.lines);
    expect(ledger).toEqual([1]);
  });

  it('a second producer of the transactional id fences the first: its commit fails, permanently, and writes nothing', async () => {
    const topics = await freshTopics();
    const id = uniqueName('object');
    const tid = uniqueName('it-pub-fence');
    const first = await opened(open, tid, topics);
    await first.fence(`\u0000barrier ${id} 1`);
    await first.commit([{ key: id, value: 'line 1' }], progressOf(id, 1));

    const second = await opened(open, tid, topics);
    await second.fence(`\u0000barrier ${id} 2`);
    const err = await first.commit([{ key: id, value: 'line 2 from the fenced one' }], progressOf(id, 2)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(isRetriable(err)).toBe(false);
    await second.commit([{ key: id, value: 'line 2' }], progressOf(id, 2, 'done'));

    const got = await readTopic(kafka, topics.log, 2, 1500, 60_000);
    expect(got.map((r) => r.value.toString())).toEqual(['line 1', 'line 2']);
  });

  it('fencing waits for the older producer\'s open transaction: what it had not committed is never visible', async () => {
    const topics = await freshTopics();
    const id = uniqueName('object');
    const tid = uniqueName('it-pub-open');
    // The old writer is another client, left with an open transaction (a crashed process).
    const old = kafka.producer({ transactionalId: tid, idempotent: true, maxInFlightRequests: 1 });
    await old.connect();
    cleanups.push(() => old.disconnect());
    const tx = await old.transaction();
    await tx.send({ topic: topics.log, messages: [{ key: id, value: 'uncommitted' }] });

    const p = await opened(open, tid, topics);
    await p.fence(`\u0000barrier ${id}`);
    await expect(tx.commit()).rejects.toThrow();
    await p.commit([{ key: id, value: 'committed' }], progressOf(id, 1, 'done'));
    const got = await readTopic(kafka, topics.log, 1, 1500, 60_000);
    expect(got.map((r) => r.value.toString())).toEqual(['committed']);
  });

  it('dead-letters an object with the reason and its final progress, in one transaction', async () => {
    const topics = await freshTopics();
    const id = uniqueName('object');
    const p = await opened(open, uniqueName('it-pub'), topics);
    await p.deadLetter(progressOf(id, 0, 'dead-letter'), { bucket: 'b', key: 'k' });
    const [dl] = await readTopic(kafka, topics.deadLetter, 1, 1500, 60_000);
    expect(JSON.parse(dl.value.toString())).toEqual({ bucket: 'b', key: 'k', id, reason: 'NoSuchKey: gone', at: new Date(0).toISOString() });
    const [pr] = (await readTopic(kafka, topics.progress, 1, 1500, 60_000)).filter((r) => r.key === id);
    expect(decodeProgress(pr.value)).toMatchObject({ status: 'dead-letter', reason: 'NoSuchKey: gone' });
  });
});
