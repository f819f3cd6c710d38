/**
 * Issue 14 item 1: one object version, one job, however the triggers name it. Two ingest requests
 * for the same version of a versioned bucket arrive at once at a running `logpipe start`, one naming
 * the versionId (as S3 events through SQS do), one not (as the Lambda path, `logpipe trigger` and the
 * listing do). They used to become two jobs in one process whose byte streams fed one parser: the
 * log topic held 389,997 records for a 200,000-line object, 964 of them not a whole line.
 * Guarded here: the log topic (read_committed) holds every line exactly once, in order, each record
 * one whole line, and the service ingested the object once.
 *
 * And the listing of a versioned bucket: it checked the ledger by ETag, which never matched, so every
 * pass queued every object again; an older version left in progress was never finished (item 6).
 */
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ledgerKey, objectId, provenanceOf } from '../../src/ingest/object-ref';
import { encodeProgress } from '../../src/ingest/progress';
import { ensureIngestTopics } from '../../src/ingest/topics';
import { createKafka, createS3 } from '../../src/system/kafka/clients';
import { ledgerEntries, startServiceProcess, type ServiceProcess } from '../support/service';
import { eventually, metricValue, quietLogger, readTopic, testConfig, uniqueName } from '../support/helpers';

jest.setTimeout(300_000);

const config = testConfig();
const s3 = createS3(config);
const kafka = createKafka(config, quietLogger().logger);
const bucket = uniqueName('it-onejob');
const topic = uniqueName('it-onejob-lines');
const N = 200_000;

const line = (i: number): string => `10:${String(Math.floor(i / 60_000) % 60).padStart(2, '0')}:${String(Math.floor(i / 1000) % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')} [main] ${i % 10 === 0 ? 'ERROR' : 'INFO '} app - line ${i} of one version`;

let service: ServiceProcess | undefined;
let lister: ServiceProcess | undefined;

afterAll(async () => {
  await service?.stop();
  await lister?.stop();
  s3.destroy();
});

describe('logpipe start: one object version, two requests at once', () => {
  it('ingests the version once when one request names the versionId and the other does not', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    const key = 'LogFileGenerator.2026-11-25.log';
    const body = Array.from({ length: N }, (_, i) => line(i)).join('\n') + '\n';
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    expect(put.VersionId).toBeTruthy();

    service = await startServiceProcess({ LOGPIPE_KAFKA_TOPIC: topic, LOGPIPE_LOG_LEVEL: 'info' });
    const post = (payload: Record<string, string>): Promise<number> =>
      fetch(`http://127.0.0.1:${service!.port}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) }).then((r) => r.status);
    try {
      expect(await Promise.all([post({ bucket, key, versionId: put.VersionId! }), post({ bucket, key })])).toEqual([202, 202]);
      // Both requests have finished once the dashboard lists nothing queued, running or waiting for a retry.
      await eventually(
        'both requests to finish',
        async () => {
          const { objects } = (await (await fetch(`http://127.0.0.1:${service!.port}/api/dashboard`)).json()) as { objects: Array<{ status: string }> };
          return objects.length > 0 && objects.every((o) => o.status === 'ingested' || o.status === 'dead-letter') ? true : undefined;
        },
        180_000,
      );
      const records = await readTopic(kafka, topic, N, 5000, 180_000);
      const values = records.map((r) => r.value.toString());
      const wrong = values.findIndex((v, i) => v !== line(i));
      expect({ records: values.length, firstWrong: wrong < 0 ? undefined : { at: wrong, got: values[wrong] } }).toEqual({ records: N, firstWrong: undefined });
      expect(new Set(records.map((r) => r.key))).toEqual(new Set([key]));
      expect(records.map((r) => provenanceOf(r.headers)?.version).every((v) => v === put.VersionId)).toBe(true);
      const logLines = service.log().split('\n');
      expect(logLines.filter((l) => l.includes('"object ingested"'))).toHaveLength(1);
      // Two jobs of one version in one process: they fence each other's producer (attempts fail and
      // are retried), or the fetcher makes the second wait for the first. One job does neither.
      expect(logLines.filter((l) => l.includes('"ingest attempt failed, retrying"'))).toEqual([]);
      expect(logLines.filter((l) => l.includes('already being ingested in this process'))).toEqual([]);
    } catch (err) {
      service.keepLog('one-version-one-job', topic);
      throw err;
    }
  });
});

describe('logpipe start: the listing of a versioned bucket', () => {
  it('queues each version once over many passes and finishes an older version left in progress', async () => {
    const listed = uniqueName('it-onejob-listed');
    const listTopic = uniqueName('it-onejob-listed-lines');
    await s3.send(new CreateBucketCommand({ Bucket: listed }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: listed, VersioningConfiguration: { Status: 'Enabled' } }));
    const key = 'LogFileGenerator.2026-11-26.log';
    const old = Array.from({ length: 3000 }, (_, i) => `${line(i)} (old)`);
    const current = Array.from({ length: 2000 }, (_, i) => `${line(i)} (current)`);
    const v1 = (await s3.send(new PutObjectCommand({ Bucket: listed, Key: key, Body: old.join('\n') + '\n' }))).VersionId!;
    const v2 = (await s3.send(new PutObjectCommand({ Bucket: listed, Key: key, Body: current.join('\n') + '\n' }))).VersionId!;
    // The older version's ingest was interrupted before its first batch: the ledger has it in progress.
    const admin = kafka.admin();
    await admin.connect();
    await ensureIngestTopics(admin, config, listTopic).finally(() => admin.disconnect());
    const id = ledgerKey(listTopic, objectId({ kind: 's3', bucket: listed, key }, v1));
    const producer = kafka.producer();
    await producer.connect();
    const parser = { format: undefined, dayMs: 0, lastTodMs: -1, lastTimeMs: 0, lines: 0 } as never;
    await producer.send({ topic: config.kafka.progressTopic, messages: [{ key: id, value: encodeProgress({ id, status: 'in-progress', byteOffset: 0, lines: 0, entries: 0, records: 0, parser, updatedAt: new Date().toISOString() }) }] });
    await producer.disconnect();

    lister = await startServiceProcess({ LOGPIPE_KAFKA_TOPIC: listTopic, LOGPIPE_LOG_LEVEL: 'info', LOGPIPE_INGEST_LISTINGS: listed, LOGPIPE_INGEST_LIST_INTERVAL_MS: '300' });
    try {
      const records = await readTopic(kafka, listTopic, old.length + current.length, 3000, 120_000);
      const byVersion = (v: string): string[] => records.filter((r) => provenanceOf(r.headers)?.version === v).map((r) => r.value.toString());
      expect(byVersion(v1)).toEqual(old);
      expect(byVersion(v2)).toEqual(current);
      expect(records).toHaveLength(old.length + current.length);
      const ledger = await ledgerEntries(kafka, config.kafka.progressTopic, listTopic, listed);
      expect(ledger.get(key)?.status).toBe('done');
      // Passes every 300 ms went on meanwhile: each version was queued once.
      const metrics = await (await fetch(`http://127.0.0.1:${lister.port}/metrics`)).text();
      expect(metricValue(metrics, 'logpipe_ingest_requests_total{trigger="listing",status="queued"}')).toBe(2);
    } catch (err) {
      lister.keepLog('one-version-one-job listing', listTopic);
      throw err;
    }
  });
});
