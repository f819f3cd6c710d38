/**
 * Fault suite R12 (issue 14 items 1 and 6; DESIGN.md: "An object is ingested once per version,
 * however many triggers arrive and however they name it ... several processes or hosts at once"):
 * two `logpipe start` share one SQS queue that receives a versioned bucket's ObjectCreated
 * notifications (with version ids) and both list the bucket every 1.5 s (ListObjectVersions; the
 * listing names no version). Three keys are written three times each, the overwrites landing while
 * earlier versions are still being ingested, so SQS events, listings and the two processes race
 * for every version, current and overwritten.
 *
 * Checked: every version done in the ledger; the log topic, read_committed, holds each version's
 * lines once, in order, each record one whole line, under its own version id, and nothing else.
 * On 2f9dfc1: one run wrote a version's 30,000 lines as 50,000 records, another never ingested one
 * overwritten version at all.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ObjectProgress } from '../../src/ingest/progress';
import { checkLogTopic, describeCheck, exact, type ExpectedSource, ingestedLogCount, recentStart, type ScenarioRecorder, secondsSince, waitFor } from '../support/exactly-once';
import { faultScenario } from '../support/fault-scenario';
import { generateLogs } from '../support/service';

const scenario = faultScenario('R12');
const { kafka, bucket, topic, dir, services } = scenario;
const day = recentStart();
const KEYS = ['a', 'b', 'c'].map((host) => `hosts/${host}/LogFileGenerator.${day.slice(0, 10)}.log`);
const WRITES = 3;
const LINES_PER_VERSION = 30_000;
/** Between two rounds of writes: each round overwrites every key while the last one is being ingested. */
const ROUND_GAP_MS = 1_500;

describe('R12 two services on one SQS queue and a listing of one versioned bucket', () => {
  it('ingests each version exactly once', async () => {
    const started = Date.now();
    const row = scenario.recorder({
      scenario: `two \`logpipe start\` sharing one SQS queue and a listing of one versioned bucket (${KEYS.length} keys × ${WRITES} versions of ${LINES_PER_VERSION.toLocaleString('en-US')} lines)`,
      injected: `S3 ObjectCreated notifications with version ids to the shared queue (visibility 10 s), both processes listing the bucket every 1.5 s, each key overwritten every ${ROUND_GAP_MS / 1000} s while earlier versions were being ingested`,
      checked: 'every version done in the ledger with all its lines; log topic (read_committed): each version\'s lines once, in order, whole, under its version id, nothing else',
    });
    await row.run(() => trial(row, started));
  });
});

async function trial(row: ScenarioRecorder, started: number): Promise<void> {
  const queueUrl = await scenario.createBucket({ versioned: true, notify: true });
  const env = {
    LOGPIPE_REPORT_ENABLED: 'false',
    LOGPIPE_INGEST_SQS_QUEUE_URL: queueUrl!,
    LOGPIPE_INGEST_SQS_WAIT_SECONDS: '1',
    LOGPIPE_INGEST_VISIBILITY_TIMEOUT_SECONDS: '10',
    LOGPIPE_INGEST_LISTINGS: bucket,
    LOGPIPE_INGEST_LIST_INTERVAL_MS: '1500',
    LOGPIPE_LOG_LEVEL: 'info',
  };
  // Distinct contents per version: its own seed and start time; generated before anything runs.
  const bodies = Array.from({ length: WRITES }, (_, round) =>
    KEYS.map((_key, k) => {
      const start = new Date(Date.parse(day) + (10 + round) * 3_600_000 + k * 600_000).toISOString().replace('.000Z', 'Z');
      const [file] = generateLogs(path.join(dir, `${round}-${k}`), { seed: 1200 + 10 * round + k, instances: 1, linesPerHost: LINES_PER_VERSION, start }).files;
      return fs.readFileSync(file);
    }),
  );
  await scenario.start(env);
  await scenario.start(env);

  const expected: ExpectedSource[] = [];
  for (const [round, versions] of bodies.entries()) {
    for (const [k, key] of KEYS.entries()) {
      const version = await scenario.upload(key, versions[k]);
      if (!version) throw new Error('the bucket did not version the object');
      expected.push({ key, version, lines: versions[k].toString('utf8').trimEnd().split('\n') });
    }
    if (round < WRITES - 1) await new Promise((r) => setTimeout(r, ROUND_GAP_MS));
  }

  const wanted = expected.map((e) => `${e.key}#${e.version}`);
  const final = (got: Map<string, ObjectProgress>): boolean => wanted.every((w) => ['done', 'dead-letter'].includes(got.get(w)?.status ?? ''));
  const ledger = (await waitFor(async () => {
    const got = await scenario.versions();
    return final(got) ? got : undefined;
  }, 180_000)) ?? (await scenario.versions());
  const check = await checkLogTopic(kafka, topic, expected);
  const notDone = wanted.filter((w) => ledger.get(w)?.status !== 'done' || ledger.get(w)?.lines !== LINES_PER_VERSION);
  const logged = services.map((s) => ingestedLogCount(s.log()));
  const ok = check.ok && notDone.length === 0;
  row.record({
    result: `${ok ? 'pass' : 'FAIL'} (${check.sources.filter(exact).length} of ${expected.length} versions exact${check.ok ? '' : `; ${describeCheck(check, true)}`}; ${notDone.length} not done in the ledger; "object ingested" logged ${logged.join(' + ')} times; ${secondsSince(started)} s)`,
  });
  expect(notDone).toEqual([]);
  expect(check.unexpected).toBe(0);
  expect(check.sources).toEqual(expected.map((e) => ({ key: e.key, version: e.version, expected: LINES_PER_VERSION, records: LINES_PER_VERSION, notWholeLines: 0, duplicates: 0, outOfOrder: 0, missing: 0 })));
}
