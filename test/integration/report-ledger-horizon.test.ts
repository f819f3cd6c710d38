/**
 * The report stage's ledger horizon (docs/report.md, "Start-up") on the real broker: the stage
 * reads the progress topic from report.ingestStallMs plus the clock skew before its start, not
 * from its beginning, and that changes nothing it decides.
 *
 * - An object in progress whose last commit is within ingestStallMs before the stage starts still
 *   holds its partition: the window its first half of lines opened does not close, although the
 *   partition is caught up and quiet for longer than idleCloseMs, until the object finishes; then
 *   it closes once, with every line and none late (exactly-once of windows, fault scenario R2's
 *   concern).
 * - History older than the horizon is not read: the ledger's consumer is handed the records since
 *   the horizon only (reading the whole topic made every report start grow with every object ever
 *   ingested: 2–5 s of a 15–20 s start after 1,000,000 objects, docs/benchmarks.md).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { EachBatchPayload } from 'kafkajs';
import { ledgerKey, objectId } from '../../src/ingest/object-ref';
import { encodeProgress, type ObjectProgress } from '../../src/ingest/progress';
import { ensureIngestTopics } from '../../src/ingest/topics';
import type { ReportDocument } from '../../src/report/render';
import { ReportStage } from '../../src/report/stage';
import type { EmailTransport } from '../../src/report/transport';
import { createKafka } from '../../src/system/kafka/clients';
import type { KafkaPort } from '../../src/system/kafka/port';
import { createLogger } from '../../src/system/observability/logging';
import { eventually, quietLogger, testConfig, uniqueName } from '../support/helpers';

jest.setTimeout(180_000);

const base = testConfig();
const kafka = createKafka(base, quietLogger().logger);
const log = createLogger({ level: 'error', format: 'json', stream: new PassThrough() });
const DAY = 24 * 60 * 60 * 1000;
const HISTORY = 2_000;

const noEmail: EmailTransport = { kind: 'file', send: async () => ({ ok: true, providerMessageId: null }), close: async () => undefined, describe: () => 'none' };

const progress = (id: string, status: ObjectProgress['status'], updatedAtMs: number): Buffer =>
  encodeProgress({ id, status, byteOffset: 1, lines: 1, entries: 1, records: 1, updatedAt: new Date(updatedAtMs).toISOString() });

/** kafkajs, with the records handed to the ledger's consumer (group logpipe-ledger-*) counted. */
function counting(): { port: KafkaPort; ledgerRecords: () => number } {
  let records = 0;
  const port: KafkaPort = {
    admin: () => kafka.admin(),
    producer: (config) => kafka.producer(config),
    consumer: (config) => {
      const consumer = kafka.consumer(config);
      if (!config.groupId.startsWith('logpipe-ledger')) return consumer;
      return {
        ...consumer,
        run: (o) =>
          consumer.run({
            ...o,
            eachBatch: async (payload: EachBatchPayload) => {
              records += payload.batch.messages.length;
              await o!.eachBatch!(payload);
            },
          }),
      };
    },
  };
  return { port, ledgerRecords: () => records };
}

describe('the report stage reads the ingest ledger from its horizon', () => {
  it('an object in progress committed within ingestStallMs before the start holds its partition until it finishes; older history is not read', async () => {
    const topic = uniqueName('it-report-horizon');
    const progressTopic = uniqueName('it-report-horizon-progress');
    const group = uniqueName('it-report-horizon-group');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logpipe-report-horizon-'));
    const config = {
      ...base,
      kafka: { ...base.kafka, progressTopic, topicPartitions: 1 },
      report: { ...base.report, groupId: group, dir, idleCloseMs: 1_000, ingestStallMs: 60_000 },
    };
    const admin = kafka.admin();
    await admin.connect();
    await ensureIngestTopics(admin, config, topic);
    await admin.disconnect();

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // History ingested a month ago: objects of this log topic, some left in progress, the key of
    // the held object among them (an older version of it).
    const monthAgo = Date.now() - 30 * DAY;
    const old = Array.from({ length: HISTORY }, (_, i) => {
      const id = ledgerKey(topic, objectId({ kind: 's3', bucket: 'b', key: i === 0 ? 'held.log' : `old/${i}.log` }, 'v0'));
      return { key: id, value: progress(id, i % 2 ? 'done' : 'in-progress', monthAgo + i), timestamp: String(monthAgo + i) };
    });
    for (let i = 0; i < old.length; i += 500) await producer.send({ topic: progressTopic, acks: -1, messages: old.slice(i, i + 500) });
    // The held object: its last commit 20 s before the stage starts (within ingestStallMs), the
    // first half of its lines on the log topic, all in the window 10:00–10:01.
    const held = ledgerKey(topic, objectId({ kind: 's3', bucket: 'b', key: 'held.log' }, 'v1'));
    await producer.send({ topic: progressTopic, acks: -1, messages: [{ key: held, value: progress(held, 'in-progress', Date.now() - 20_000) }] });
    const windowStart = Date.UTC(2026, 0, 1, 10, 0, 0);
    const line = (i: number) => ({
      key: 'held.log',
      value: `10:00:${String(i).padStart(2, '0')}.000 [main] ${i % 10 === 0 ? 'ERROR' : 'INFO'} app.X - line ${i}`,
      timestamp: String(windowStart + i * 1000),
      headers: { level: i % 10 === 0 ? 'ERROR' : 'INFO', line: String(i + 1), message: `line ${i}` },
    });
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 30 }, (_, i) => line(i)) });

    const reports: ReportDocument[] = [];
    const counted = counting();
    const stage = new ReportStage({ kafka: counted.port, config, topic, transport: noEmail, log, onReport: (doc) => reports.push(doc) });
    await stage.start();
    try {
      await eventually('the stage to read its partition to the end', async () => ((await stage.status()).partitions.some((p) => p.nextOffset >= 30) ? true : undefined), 60_000);
      // Caught up and quiet for many idleCloseMs: only the object in progress keeps the window open.
      await new Promise((r) => setTimeout(r, 8_000));
      expect(reports).toEqual([]);

      // The object finishes: the rest of its lines, then its done record.
      await producer.send({ topic, acks: -1, messages: Array.from({ length: 30 }, (_, i) => line(30 + i)) });
      await producer.send({ topic: progressTopic, acks: -1, messages: [{ key: held, value: progress(held, 'done', Date.now()) }] });
      await eventually('the window to close', async () => (reports.length > 0 ? true : undefined), 60_000);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(reports.map((r) => ({ startMs: r.startMs, total: r.total, errors: r.counts.ERROR, late: r.late }))).toEqual([{ startMs: windowStart, total: 60, errors: 6, late: 0 }]);
      expect((await stage.status()).late).toBe(0);
      // Only what was committed since the horizon: the held object's two records, none of the history.
      expect(counted.ledgerRecords()).toBe(2);
    } finally {
      await stage.stop();
      await producer.disconnect();
    }
  });
});
