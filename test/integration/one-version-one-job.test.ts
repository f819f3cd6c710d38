/**
 * Issue 14 item 1: one object version, one job, however the triggers name it. Two ingest requests
 * for the same version of a versioned bucket arrive at once at a running `logpipe start`, one naming
 * the versionId (as S3 events through SQS do), one not (as the Lambda path, `logpipe trigger` and the
 * listing do). They used to become two jobs in one process whose byte streams fed one parser: the
 * log topic held 389,997 records for a 200,000-line object, 964 of them not a whole line.
 * Guarded here: the log topic (read_committed) holds every line exactly once, in order, each record
 * one whole line, and the service ingested the object once.
 */
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createKafka, createS3 } from '../../src/system/clients';
import { startServiceProcess, type ServiceProcess } from '../faults/service';
import { eventually, quietLogger, readTopic, testConfig, uniqueName } from './helpers';

jest.setTimeout(300_000);

const config = testConfig();
const s3 = createS3(config);
const kafka = createKafka(config, quietLogger().logger);
const bucket = uniqueName('it-onejob');
const topic = uniqueName('it-onejob-lines');
const N = 200_000;

const line = (i: number): string => `10:${String(Math.floor(i / 60_000) % 60).padStart(2, '0')}:${String(Math.floor(i / 1000) % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')} [main] ${i % 10 === 0 ? 'ERROR' : 'INFO '} app - line ${i} of one version`;

let service: ServiceProcess | undefined;

afterAll(async () => {
  await service?.stop();
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
      expect(records.map((r) => r.headers.version).every((v) => v === put.VersionId)).toBe(true);
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
