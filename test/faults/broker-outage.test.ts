/**
 * Fault suite R2: the Kafka broker stops for 15 s while `logpipe start` ingests three hosts' logs
 * and reports on them, then starts again (its data survives on disk). Ingestion and reporting resume
 * without operator action; the log topic holds every line once and the window reports equal the
 * generator's ground truth.
 *
 * All three objects are in progress before the broker stops (ingest.parallelObjects 3, and the
 * scenario waits for their start records in the ledger): an object in progress holds its partition's
 * windows open through the outage (report.ingestStallMs), while one still queued behind the others is
 * unknown to the report stage and its lines may come late (docs/report.md, "Known limits"). With the
 * default of 2, the third object's windows were closed without it whenever the report stage caught
 * up before the queue moved on: two CI runs saw the first window at two thirds of its lines.
 */
import fs from 'node:fs';
import { down, up } from '../../src/devstack/stack';
import { faultScenario } from '../support/fault-scenario';
import { eventually, topicOffsets } from '../support/helpers';
import { generateLogs } from '../support/service';

const scenario = faultScenario('R2');
const { config, kafka, bucket, topic } = scenario;

describe('R2 broker outage mid-ingest', () => {
  it('resumes without operator action: every line once, window reports equal the truth', async () => {
    const perHost = 30_000;
    const { files, truth } = generateLogs(scenario.dir, { seed: 21, instances: 3, linesPerHost: perHost, start: '2026-11-25T10:00:00Z' });
    const keys = [1, 2, 3].map((h) => `hosts/LogFileGenerator.2026-11-25.host-${h}.log`);
    for (const [i, key] of keys.entries()) await scenario.upload(key, fs.readFileSync(files[i]));

    const service = await scenario.start({ ...scenario.reportEnv(3000), LOGPIPE_INGEST_BATCH_MAX_RECORDS: '2000', LOGPIPE_INGEST_PARALLEL_OBJECTS: String(keys.length), LOGPIPE_LOG_LEVEL: 'info' });
    for (const key of keys) expect(await service.trigger(bucket, key)).toBe(202);
    await eventually('every object in progress in the ledger', async () => {
      const ledger = await scenario.ledger();
      return keys.every((k) => ledger.has(k)) ? true : undefined;
    }, 120_000);
    await eventually('some committed batches', async () => ((await topicOffsets(kafka, topic)) >= 10_000 ? true : undefined), 120_000);
    await down(config, ['kafka']);
    await new Promise((r) => setTimeout(r, 15_000));
    await up(config, () => undefined, ['kafka']);

    const lines = await scenario.readLog(3 * perHost, 3000, 300_000);
    expect(lines).toHaveLength(3 * perHost);
    for (const [i, key] of keys.entries()) {
      const expected = fs.readFileSync(files[i], 'utf8').trimEnd().split('\n');
      expect(lines.filter((r) => r.key === key).map((r) => r.value.toString())).toEqual(expected);
    }
    const reports = await eventually('every window reported', async () => {
      const got = await scenario.reports();
      return got.docs.length >= truth.length ? got : undefined;
    }, 240_000);
    expect(reports.duplicates).toEqual([]);
    expect(reports.docs.map((d) => [d.startMs, d.counts, d.total])).toEqual(truth.map((w) => [w.startMs, w.counts, w.total]));
    expect(service.child.exitCode).toBeNull();
    scenario.record({
      scenario: `Kafka broker down mid-ingest (3 objects, ${3 * perHost} lines, ingest and report in one service)`,
      injected: 'broker stopped (controlled shutdown) once the three objects were in progress (ingest.parallelObjects 3) and 10,000 lines were committed, started again 15 s later',
      checked: 'every line once on the log topic, in order per object; each window reported once with the ground truth counts; the service kept running',
      result: `pass (${truth.length} windows)`,
    });
  });
});
