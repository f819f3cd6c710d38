/**
 * Issue 17 item 3: `logpipe start` with several forked ingest workers (ingest.workers), on the real
 * broker and moto. Objects are dealt to the workers and ingested in parallel: every line on the log
 * topic once, in order per object. A worker process SIGKILLed mid-object is restarted alone (the
 * other workers keep their processes and objects), its object finishes from the ledger, nothing twice.
 */
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createKafka, createS3 } from '../../src/system/kafka/clients';
import { eventually, quietLogger, readTopic, testConfig, topicOffsets, uniqueName } from '../support/helpers';
import { childPids, forkedWorkersEnv, type ServiceProcess, startServiceProcess } from '../support/service';

const config = testConfig();
const s3 = createS3(config);
const kafka = createKafka(config, quietLogger().logger);
const bucket = uniqueName('it-workers');

const WORKERS = 3;
const OBJECTS = 3;
const LINES = 60_000;

/** Distinct, parseable lines (one record each), tagged with their object and number. */
const linesOf = (tag: string, n: number): string[] => Array.from({ length: n }, (_, i) => `10:${String(Math.floor(i / 6000) % 60).padStart(2, '0')}:${String(Math.floor(i / 100) % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')} [main] ${i % 10 === 0 ? 'ERROR' : 'INFO '} app - ${tag} line ${i}`);


let service: ServiceProcess | undefined;

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  await service?.stop();
  s3.destroy();
});

describe('logpipe start with ingest.workers 3 (forked)', () => {
  it('ingests objects in parallel workers; a SIGKILLed worker restarts alone and its object finishes from the ledger, every line once, in order', async () => {
    const topic = uniqueName('it-workers-lines');
    const objects = Array.from({ length: OBJECTS }, (_, n) => ({ key: `w/LogFileGenerator.2026-11-2${n}.log`, lines: linesOf(`object${n}`, LINES) }));
    service = await startServiceProcess({
      LOGPIPE_KAFKA_TOPIC: topic,
      ...forkedWorkersEnv(WORKERS),
      LOGPIPE_LOG_LEVEL: 'info',
    });
    const pid = service.child.pid!;
    const workers = await eventually('three forked workers', async () => (childPids(pid).length === WORKERS ? childPids(pid) : undefined), 60_000);
    for (const o of objects) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: o.key, Body: o.lines.join('\n') + '\n' }));
    for (const o of objects) expect(await service.trigger(bucket, o.key)).toBe(202);
    // Every worker busy with its object (runningSlots: one object per worker), some batches committed.
    await eventually('some committed batches', async () => ((await topicOffsets(kafka, topic)) >= 3 * 2000 ? true : undefined), 120_000, 50);
    const victim = workers[1]!;
    process.kill(victim, 'SIGKILL');

    const records = await readTopic(kafka, topic, OBJECTS * LINES, 3000, 300_000);
    const log = service.log();
    try {
      for (const o of objects) {
        const mine = records.filter((r) => r.key === o.key).map((r) => r.value.toString());
        // Exactly once and in order per object (one key, one partition).
        expect(mine.length).toBe(LINES);
        expect(mine).toEqual(o.lines);
      }
      expect(records).toHaveLength(OBJECTS * LINES);
      // Only the killed worker was restarted: the other two processes are the same, plus one new one.
      const restarted = log.split('\n').filter((l) => l.includes('"child actor restarted"') && l.includes('"child":"FileFetcherActor"'));
      expect(restarted).toHaveLength(1);
      const now = childPids(pid);
      expect(now).toHaveLength(WORKERS);
      expect(now).not.toContain(victim);
      expect(now.filter((p) => workers.includes(p)).sort()).toEqual(workers.filter((p) => p !== victim).sort());
      expect(log).toContain('"ingest workers started"');
      // It was mid-object: that attempt failed and was retried (from the ledger: the lines above are each once).
      expect(log).toContain('"ingest attempt failed, retrying"');
    } catch (err) {
      service.keepLog('workers', topic);
      throw err;
    }
  });
});
