/**
 * Fault suite R13 (issue 14 item 1): one version of a 200,000-line object in a versioned bucket,
 * `POST /v1/ingest` twice at the same moment to one running `logpipe start`: one request naming the
 * `versionId` (as S3 events through SQS do) and one not (as the Lambda path, `logpipe trigger` and the
 * listing do); also both without and both with it. However a request names the version, the two
 * must become one job: the second joins the first.
 *
 * Found on 2f9dfc1 with one request of each kind: two jobs in one process, the second `begin` closing
 * the first's producer and both byte streams feeding one parser; the log topic held 389,997 records,
 * 964 of them not a whole line, out of order, and "object ingested" was logged twice (400,000 lines).
 * This scenario there: 399,954 records, 638 not whole, 199,316 repeated, 526 out of order, the ledger
 * done with 400,001 lines; the two trials that name the version alike passed.
 *
 * Checked per trial (a fresh log topic and service each): the log topic, read_committed, holds every
 * line of the version once, in order, each record one whole line, and nothing else; the ledger has
 * the version done with every line; the service logged "object ingested" once; both requests got 202.
 */
import fs from 'node:fs';
import { checkLogTopic, describeCheck, ingestedLogCount, recentStart, secondsSince, waitFor } from '../support/exactly-once';
import { faultScenario } from '../support/fault-scenario';
import { uniqueName } from '../support/helpers';
import { generateLogs, type ServiceProcess } from '../support/service';

const scenario = faultScenario('R13');
const { kafka, bucket, dir } = scenario;
const start = recentStart();
const key = `hosts/LogFileGenerator.${start.slice(0, 10)}.log`;
const LINES = 200_000;
let lines: string[] = [];
let versionId = '';

beforeAll(async () => {
  const [file] = generateLogs(dir, { seed: 13, instances: 1, linesPerHost: LINES, start }).files;
  const body = fs.readFileSync(file);
  lines = body.toString('utf8').trimEnd().split('\n');
  await scenario.createBucket({ versioned: true });
  const version = await scenario.upload(key, body);
  if (!version) throw new Error('the bucket did not version the object');
  versionId = version;
});

type Naming = 'with' | 'without';
const TRIALS: Array<[string, Naming, Naming]> = [
  ['one request with the versionId, one without', 'with', 'without'],
  ['both without the versionId', 'without', 'without'],
  ['both with the versionId', 'with', 'with'],
];

describe('R13 two ingest requests for one version at once', () => {
  it.each(TRIALS)('%s: one job, every line once, in order, whole', async (name, a, b) => {
    const started = Date.now();
    const row = scenario.recorder({
      scenario: `two \`POST /v1/ingest\` at once for one version of a ${LINES.toLocaleString('en-US')}-line object in a versioned bucket: ${name}`,
      injected: `requests ${a} and ${b} \`versionId\`, sent together to one \`logpipe start\``,
      checked: 'log topic (read_committed): every line once, in order, each record one whole line, nothing else; ledger done with every line; "object ingested" logged once; both answered 202',
    });
    const topic = uniqueName('faults-r13-lines');
    let service: ServiceProcess | undefined;
    await row
      .run(async () => {
        service = await scenario.start({ LOGPIPE_KAFKA_TOPIC: topic, LOGPIPE_REPORT_ENABLED: 'false', LOGPIPE_LOG_LEVEL: 'info' });
        const port = service.port;
        const post = async (naming: Naming): Promise<number> =>
          (await fetch(`http://127.0.0.1:${port}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ bucket, key, ...(naming === 'with' ? { versionId } : {}) }) })).status;
        const statuses = await Promise.all([post(a), post(b)]);
        const ledger = await waitFor(async () => {
          const entry = (await scenario.versions(topic)).get(`${key}#${versionId}`);
          return entry && entry.status !== 'in-progress' ? entry : undefined;
        }, 180_000);
        const check = await checkLogTopic(kafka, topic, [{ key, version: versionId, lines }]);
        // A second job, if any, finishes after the first: wait for the service to go quiet before counting.
        await new Promise((r) => setTimeout(r, 3_000));
        const ingestedLogs = ingestedLogCount(service.log());
        const ok = check.ok && ledger?.status === 'done' && ledger.lines === LINES && ingestedLogs === 1 && statuses.every((s) => s === 202);
        row.record({
          result: `${ok ? 'pass' : 'FAIL'} (${describeCheck(check)}; ledger ${ledger ? `${ledger.status} ${ledger.lines}` : 'not final within 180 s'}; "object ingested" logged ${ingestedLogs}×; answers ${statuses.join(', ')}; ${secondsSince(started)} s)`,
        });
        expect(statuses).toEqual([202, 202]);
        expect(check.unexpected).toBe(0);
        expect(check.sources).toEqual([{ key, version: versionId, expected: LINES, records: LINES, notWholeLines: 0, duplicates: 0, outOfOrder: 0, missing: 0 }]);
        expect([ledger?.status, ledger?.lines]).toEqual(['done', LINES]);
        expect(ingestedLogs).toBe(1);
      })
      .finally(() => service?.stop());
  });
});
